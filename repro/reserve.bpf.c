// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the reservation reproducer: reserve, allocate and read arena
 * pages.  One SEC("syscall") program, run from user space with
 * BPF_PROG_TEST_RUN.  The arena has no BPF_F_SEGV_ON_FAULT: user faults may
 * allocate pages, reserved ones included (the kernel's contract).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))
#define ARENA_BASE (1ULL << 44)	/* user and kernel views share the low 32 bits */
#define NPAGES 512

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
int bpf_arena_reserve_pages(void *map, void __arena *addr, __u32 page_cnt) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NPAGES);	/* pages */
	__ulong(map_extra, ARENA_BASE);
} arena SEC(".maps");

enum { OP_RESERVE, OP_ALLOC, OP_PEEK };

struct ctx {
	__u32 op, page;
	__u64 val;	/* OP_PEEK: the word at offset 0 */
	__s64 ret;
};

SEC("syscall")
int run(struct ctx *c)
{
	__u64 __arena *p = (__u64 __arena *)(ARENA_BASE + (__u64)(c->page % NPAGES) * 4096);

	c->ret = 0;
	if (c->op == OP_RESERVE)
		c->ret = bpf_arena_reserve_pages(&arena, p, 1);
	else if (c->op == OP_ALLOC)
		c->ret = bpf_arena_alloc_pages(&arena, p, 1, -1, 0) ? 0 : -12;
	else
		c->val = *p;	/* a page the arena does not own reads 0 */
	return 0;
}

char _license[] SEC("license") = "GPL";
