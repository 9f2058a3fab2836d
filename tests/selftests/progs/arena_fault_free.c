// SPDX-License-Identifier: GPL-2.0
/*
 * A user fault on an arena page racing bpf_arena_free_pages() of that page
 * must not leave a user PTE to the freed page (prog_tests/arena_fault_free.c).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "bpf_arena_common.h"

#define NR_PAGES 16
#ifdef __TARGET_ARCH_arm64
#define ARENA_BASE (0x1ull << 32)
#else
#define ARENA_BASE (0x1ull << 44)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT);
	__uint(max_entries, NR_PAGES);
	__ulong(map_extra, ARENA_BASE);	/* start of the user mapping */
} arena SEC(".maps");

enum { AFF_ALLOC, AFF_FREE, AFF_READ };

__u32 op;	/* in */
__u32 page;	/* in: page index, 1..NR_PAGES - 1 */
__u64 token;	/* in (AFF_ALLOC): written at offset 0; out (AFF_READ): read there */

/* one program for all three: every arena access needs the program to use the arena */
SEC("syscall")
int page_op(void *ctx)
{
	__u64 __arena *p = (__u64 __arena *)(ARENA_BASE + (__u64)(page % NR_PAGES) * __PAGE_SIZE);

	switch (op) {
	case AFF_ALLOC:
		if (bpf_arena_alloc_pages(&arena, p, 1, NUMA_NO_NODE, 0) != p)
			return 1;
		*p = token;
		return 0;
	case AFF_FREE:
		bpf_arena_free_pages(&arena, p, 1);
		return 0;
	default:
		token = *p;	/* 0 when the arena has no page there */
		return 0;
	}
}

char _license[] SEC("license") = "GPL";
