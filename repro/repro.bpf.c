// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the reproducer: allocate, free and read one arena page.
 * One SEC("syscall") program, run from user space with BPF_PROG_TEST_RUN
 * (bpf_arena_alloc_pages/free_pages are sleepable-only kfuncs).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))
#define ARENA_BASE (1ULL << 44)	/* user and kernel views share the low 32 bits */

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	/* a user access to a page BPF did not allocate must SIGSEGV */
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT);
	__uint(max_entries, 16);	/* pages */
	__ulong(map_extra, ARENA_BASE);
} arena SEC(".maps");

enum { OP_ALLOC, OP_FREE, OP_PEEK };

struct ctx {
	__u32 op, page;
	__u64 token;	/* OP_ALLOC: written at offset 0; OP_PEEK: read from there */
	__s64 ret;
};

SEC("syscall")
int run(struct ctx *c)
{
	__u64 __arena *p = (__u64 __arena *)(ARENA_BASE + (__u64)c->page * 4096);

	c->ret = 0;
	if (c->op == OP_ALLOC) {
		int i;

		if (bpf_arena_alloc_pages(&arena, p, 1, -1, 0) != p) {
			c->ret = -12;
			return 0;
		}
		/* a fresh page must be zero (this also gives the faulters time) */
		bpf_for(i, 0, 512)
			if (p[i])
				c->ret = -17;
		*p = c->token;
	} else if (c->op == OP_FREE) {
		bpf_arena_free_pages(&arena, p, 1);
	} else {
		c->token = *p;	/* a page the arena does not own reads 0 */
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
