// SPDX-License-Identifier: GPL-2.0
/*
 * A user fault on a reserved arena page whose page allocation fails must
 * leave the page reserved (prog_tests/arena_reserve_fault.c).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "bpf_arena_common.h"

#define NR_PAGES 512
#ifdef __TARGET_ARCH_arm64
#define ARENA_BASE (0x1ull << 32)
#else
#define ARENA_BASE (0x1ull << 44)
#endif

/* no BPF_F_SEGV_ON_FAULT: user faults may populate reserved pages */
struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NR_PAGES);
	__ulong(map_extra, ARENA_BASE);	/* start of the user mapping */
} arena SEC(".maps");

__u32 page;	/* in: page index */

static void __arena *page_addr(void)
{
	return (void __arena *)(ARENA_BASE + (__u64)(page % NR_PAGES) * __PAGE_SIZE);
}

SEC("syscall")
int reserve(void *ctx)
{
	return bpf_arena_reserve_pages(&arena, page_addr(), 1);
}

/* 0: a page was allocated at that address, 1: refused */
SEC("syscall")
int alloc(void *ctx)
{
	void __arena *p = page_addr();

	return bpf_arena_alloc_pages(&arena, p, 1, NUMA_NO_NODE, 0) == p ? 0 : 1;
}

char _license[] SEC("license") = "GPL";
