// SPDX-License-Identifier: GPL-2.0
/*
 * A page freed on one CPU and allocated at once on another must not be
 * reachable through the freed page's user mapping (prog_tests/arena_free_reuse.c).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "bpf_arena_common.h"

#define NR_PAGES 8
#ifdef __TARGET_ARCH_arm64
#define ARENA_BASE (0x1ull << 32)
#else
#define ARENA_BASE (0x1ull << 44)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NR_PAGES);
	__ulong(map_extra, ARENA_BASE);	/* start of the user mapping */
} arena SEC(".maps");

/* each thread's own context (BPF_PROG_TEST_RUN's ctx_in, copied back) */
struct args {
	__u64 token;	/* in: written at offset 0 of the new page */
	__u64 addr;	/* out (alloc): the new page's user address, 0: none; in (free) */
	__u64 old;	/* out (alloc): the word at offset 0 before the write: 0 */
};

/* a page at a kernel-chosen address: the lowest free one */
SEC("syscall")
int page_alloc(struct args *a)
{
	__u64 __arena *p = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);

	a->addr = (__u64)p;
	if (p) {
		a->old = *p;
		*p = a->token;
	}
	return 0;
}

SEC("syscall")
int page_free(struct args *a)
{
	bpf_arena_free_pages(&arena, (void __arena *)a->addr, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
