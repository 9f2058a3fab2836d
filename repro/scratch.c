// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer (7.x, x86): an allocation over an address where the kernel
 * installed the arena's scratch page keeps the scratch page in the TLB.
 *
 * Deliberately stand-alone: it shares no code with arena-stress.
 *
 *   kernel code for BPF reads X (unallocated): scx_bpf_cid_override()'s
 *     kmemdup() faults; bpf_arena_handle_page_fault(): kernel PTE X := scratch
 *   BPF writes M at X, reads it back          the TLB now maps X -> scratch
 *   bpf_arena_alloc_pages(X, 1)               apply_range_set_cb(): PTE X :=
 *                                             new page; flush_tlb_before_set()
 *                                             is empty on x86, nothing flushes
 *   BPF reads X: M                            a fresh page that is not zero:
 *                                             BPF still reaches the scratch page
 *   user space reads X: 0                     the page table's new page
 *
 * The scratch page is installed by a do-nothing cid-form sched_ext
 * scheduler (moves no task; attached and detached again for each address).
 * Needs a 7.3+ kernel with CONFIG_SCHED_CLASS_EXT and ORC, and no other
 * sched_ext scheduler loaded.  Exit 1: reproduced (the evidence is
 * printed), 0: not seen in 15 tries, 2: set-up error.  Runs on CPU 0 only:
 * the TLB that keeps the scratch page is the one BPF loaded it into.
 * usage: ./repro   (root)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

enum { R_ALLOC, R_FREE, R_PROBE };
struct ctx { __u32 op, page; __u64 mark, before, after; __s64 ret; };

static int op(int prog, struct ctx *c)
{
	/* a syscall program's context is copied back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = c, .ctx_size_in = sizeof(*c));

	return bpf_prog_test_run_opts(prog, &t) ? -1 : (int)c->ret;
}

int main(void)
{
	struct repro_bpf *skel = repro_bpf__open();
	unsigned int ncpu = (unsigned int)libbpf_num_possible_cpus();
	__u64 mark = 0x5c7a7c0000000000ULL;
	cpu_set_t cpu0;
	char *base;
	size_t sz;
	int prog;

	/* one CPU: the read that loads the TLB and the read after the allocation */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	if (!skel || (skel->bss->nr_cpu_ids = ncpu, repro_bpf__load(skel))) {
		fprintf(stderr, "repro: cannot load the BPF programs (root? a 7.3+ kernel with sched_ext?)\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.run);
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	if (op(prog, &(struct ctx){.op = R_ALLOC, .page = 0}) || ncpu > 512) {
		fprintf(stderr, "repro: no page for the cpu->cid table\n");
		return 2;
	}
	for (unsigned int c = 0; c < ncpu; c++)	/* identity cpu -> cid */
		((__s32 *)(base + 2048))[c] = (__s32)c;
	/* from the top: sched_ext's pool takes the lowest free pages at each enable */
	for (__u32 x = 1023; x > 1023 - 15; x--) {
		struct ctx c = {.op = R_PROBE, .page = x, .mark = ++mark};
		struct bpf_link *l;

		skel->bss->target = x;
		l = bpf_map__attach_struct_ops(skel->maps.ops);
		if (!l) {
			fprintf(stderr, "repro: attaching the sched_ext scheduler failed (another one loaded?)\n");
			return 2;
		}
		bpf_link__destroy(l);
		if (op(prog, &c)) {
			fprintf(stderr, "repro: the allocation at page %u failed\n", x);
			return 2;
		}
		if (c.before != mark)
			printf("page %u: the scratch page was not installed (BPF read %#llx back)\n", x,
			       (unsigned long long)c.before);
		else if (c.after) {
			printf("REPRODUCED: page %u, allocated over the scratch page, is not zero for BPF:\n"
			       "  BPF reads %#llx at offset 1024 of the fresh page: the marker it wrote through\n"
			       "  the scratch page just before the allocation\n"
			       "  user space reads %#llx there (the page the page table holds)\n",
			       x, (unsigned long long)c.after,
			       (unsigned long long)*(volatile __u64 *)(base + x * 4096 + 1024));
			return 1;
		}
		op(prog, &(struct ctx){.op = R_FREE, .page = x});
	}
	printf("not reproduced: every allocation over a scratched page read zero\n");
	return 0;
}
