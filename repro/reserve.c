// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: a user fault inside a bpf_arena_reserve_pages() reservation
 * maps a page there (arena without BPF_F_SEGV_ON_FAULT).
 *
 * Deliberately stand-alone: it shares no code with arena-stress.
 *
 *   BPF                                  user space
 *   bpf_arena_reserve_pages(X, 1) = 0
 *                                        *(u64 *)X = M     must SIGSEGV
 *                                        arena_vm_fault()
 *                                          vmalloc_to_page(X) == NULL
 *                                          range_tree_clear(X) == 0: a range
 *                                          already in use clears "fine"
 *                                          allocates, maps and accounts a page
 *   bpf_arena_alloc_pages(X, 1) = NULL   (X is still in use)
 *   BPF reads X: M                       user memory at a reserved address
 *
 * Deterministic: no race.  Exit 1: reproduced (the evidence is printed),
 * 0: the fault was refused (SIGSEGV), 2: set-up error.
 * usage: ./repro   (root)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

enum { OP_RESERVE, OP_ALLOC, OP_PEEK };
struct ctx { __u32 op, page; __u64 val; __s64 ret; };

static sigjmp_buf jb;
static void on_segv(int sig) { siglongjmp(jb, 1); }

static int op(int prog, __u32 what, __u32 page, __u64 *val)
{
	struct ctx c = {.op = what, .page = page};
	/* a syscall program's context is copied back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &c, .ctx_size_in = sizeof(c));

	if (bpf_prog_test_run_opts(prog, &t))
		return -1;
	if (val)
		*val = c.val;
	return (int)c.ret;
}

/* the arena map's memory usage (fdinfo memlock; 7.x counts its pages) */
static long long memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static unsigned long long pfn(void *addr)
{
	unsigned long long e = 0;
	FILE *f = fopen("/proc/self/pagemap", "r");

	if (f && fseek(f, (long)((unsigned long)addr / 4096 * 8), SEEK_SET) == 0 && fread(&e, 8, 1, f) != 1)
		e = 0;
	if (f)
		fclose(f);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

int main(void)
{
	struct repro_bpf *skel = repro_bpf__open_and_load();
	volatile __u64 *x;
	long long m0, m1;
	__u64 seen = 0;
	size_t sz;
	int prog, fd, ret;

	if (!skel) {
		fprintf(stderr, "repro: cannot load the BPF program (root? a kernel with bpf_arena_reserve_pages?)\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.run);
	fd = bpf_map__fd(skel->maps.arena);
	x = (volatile __u64 *)((char *)bpf_map__initial_value(skel->maps.arena, &sz) + 4096);	/* page 1 */
	ret = op(prog, OP_RESERVE, 1, NULL);
	if (ret) {
		fprintf(stderr, "repro: bpf_arena_reserve_pages() failed: %d\n", ret);
		return 2;
	}
	m0 = memlock(fd);
	signal(SIGSEGV, on_segv);
	if (sigsetjmp(jb, 1)) {
		printf("not reproduced: the user write to the reserved page %p took SIGSEGV\n", (void *)x);
		return 0;
	}
	*x = 0x5eedfacecafef00dULL;
	signal(SIGSEGV, SIG_DFL);
	m1 = memlock(fd);
	op(prog, OP_PEEK, 1, &seen);
	ret = op(prog, OP_ALLOC, 1, NULL);
	printf("REPRODUCED: a user write to page 1, which BPF reserved, succeeded:\n"
	       "  user PTE -> pfn %#llx (pagemap)\n"
	       "  arena memory usage %lld -> %lld bytes (fdinfo memlock)\n"
	       "  BPF reads %#llx at the reserved address\n"
	       "  bpf_arena_alloc_pages() there: %s\n",
	       pfn((void *)x), m0, m1, (unsigned long long)seen, ret ? "refused" : "succeeded");
	return 1;
}
