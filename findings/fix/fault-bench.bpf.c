// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of fault-bench: allocate and free one arena page at a given
 * index (SEC("syscall"), run with BPF_PROG_TEST_RUN; sleepable, so the free
 * is the immediate one, not the deferred).  The arena has no
 * BPF_F_SEGV_ON_FAULT: page 0 is faulted in lazily by user space.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))
#define ARENA_BASE (1ULL << 44)
#define NPAGES 16
#define PG 4096		/* x86-64: the benchmark's VM */

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NPAGES);
	__ulong(map_extra, ARENA_BASE);
} arena SEC(".maps");

__u32 page;

SEC("syscall")
int alloc(void *ctx)
{
	void __arena *p = (void __arena *)(ARENA_BASE + (__u64)(page % NPAGES) * PG);

	return bpf_arena_alloc_pages(&arena, p, 1, -1, 0) == p ? 0 : 1;
}

SEC("syscall")
int release(void *ctx)
{
	bpf_arena_free_pages(&arena, (void __arena *)(ARENA_BASE + (__u64)(page % NPAGES) * PG), 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
