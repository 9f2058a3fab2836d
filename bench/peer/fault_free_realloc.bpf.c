// SPDX-License-Identifier: GPL-2.0
/*
 * The peer for bench/vm-ttd.sh, BPF side: the logic of the upstream selftest
 * in flight, arena_race's fault_free_realloc (kernel-patches/bpf), written
 * again here.  One arena page at a fixed address; each round frees it and
 * allocates it again at the same address in one program run, then writes a
 * new marker there.  User space (fault_free_realloc.c) reads the page after
 * every round while a second thread keeps faulting it in: a user read that
 * differs from the marker BPF just wrote is the divergence finding 1 names
 * (a user PTE installed on the freed page after the free's zap).
 * No BPF_F_SEGV_ON_FAULT, as upstream: a user fault on the freed address
 * allocates a page there; the re-allocation then fails and the marker goes
 * into that page, which user space maps too (no divergence).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))
#define NUMA_NO_NODE (-1)
#define PEER_PAGE 4096ULL
#define PEER_BASE (1ULL << 44)	/* map_extra: the user mapping's address */
#define PEER_MARK 0x5eed000000000000ULL

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4);
	__ulong(map_extra, PEER_BASE);
} arena SEC(".maps");

__u64 marker;		/* out: what BPF wrote last at the page's first word */
__u64 prev_marker;	/* out: the one before (the freed page's) */
__u64 seq;
__u64 realloc_failed;	/* out: rounds where a user fault had allocated the page first */

static __always_inline volatile __u64 __arena *page1(void)
{
	return (volatile __u64 __arena *)(PEER_BASE + PEER_PAGE);
}

SEC("syscall")
int first_alloc(void *ctx)
{
	if (bpf_arena_alloc_pages(&arena, (void __arena *)page1(), 1, NUMA_NO_NODE, 0) != page1())
		return 1;
	marker = PEER_MARK;
	*page1() = marker;
	return 0;
}

SEC("syscall")
int free_realloc(void *ctx)
{
	bpf_arena_free_pages(&arena, (void __arena *)page1(), 1);
	if (!bpf_arena_alloc_pages(&arena, (void __arena *)page1(), 1, NUMA_NO_NODE, 0))
		realloc_failed++;
	prev_marker = marker;
	marker = PEER_MARK + ++seq;
	*page1() = marker;
	return 0;
}

char _license[] SEC("license") = "GPL";
