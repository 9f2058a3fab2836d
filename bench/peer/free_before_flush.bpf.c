// SPDX-License-Identifier: GPL-2.0
/*
 * The peer for bench/vm-ttd.sh (finding 5's class), BPF side: the logic of
 * the upstream selftest in flight, arena_race's free_before_flush
 * (kernel-patches/bpf), written again here.  A thread frees an arena page
 * (free_page); when that free reaches its kernel TLB flush, a tracing
 * program holds it there (spinning, bounded by time) until user space says
 * go.  Meanwhile user space asks to allocate the same address again
 * (try_realloc): a free that has not flushed must not have given its range
 * back, so the allocation must fail.  Where the free holds a lock across
 * its flush (the mutex of 6.12-6.18) the allocation waits on it instead and
 * the hold times out: no verdict then.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define __arena __attribute__((address_space(1)))
#define NUMA_NO_NODE (-1)
#define PEER_PAGE 4096ULL
#define PEER_BASE (1ULL << 44)
#define HOLD_NS (500ULL * 1000000)	/* the longest the free is held at its flush */

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym __weak;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4);
	__ulong(map_extra, PEER_BASE);
} arena SEC(".maps");

__u32 target_tid;	/* the freeing thread (set by free_page; 0 before each round) */
int hold;		/* in: hold that thread's flush */
int flush_entered;	/* out: it is held there */
int release;		/* in: let it go */
int timed_out;		/* out: HOLD_NS passed without release */
int realloc_ok;		/* out: try_realloc got the address */
int in_hold;		/* the freeing thread is in the hold now */
int during_hold;	/* out: try_realloc got it while in_hold */
__u64 held_ns;		/* out: how long the last hold lasted */

static __always_inline void __arena *page1(void)
{
	return (void __arena *)(PEER_BASE + PEER_PAGE);
}

SEC("syscall")
int alloc_page(void *ctx)
{
	volatile __u64 __arena *p = bpf_arena_alloc_pages(&arena, page1(), 1, NUMA_NO_NODE, 0);

	if (!p)
		return 1;
	*p = 0x5eed0000000000aaULL;
	return 0;
}

SEC("syscall")
int free_page(void *ctx)
{
	target_tid = (__u32)bpf_get_current_pid_tgid();
	bpf_arena_free_pages(&arena, page1(), 1);
	return 0;
}

SEC("syscall")
int try_realloc(void *ctx)
{
	volatile __u64 __arena *p = bpf_arena_alloc_pages(&arena, page1(), 1, NUMA_NO_NODE, 0);

	realloc_ok = p != NULL;
	during_hold = p && *(volatile int *)&in_hold;
	if (p)
		*p = 0x5eed0000000000bbULL;
	return 0;
}

SEC("fentry/flush_tlb_kernel_range")
int BPF_PROG(hold_flush, unsigned long start, unsigned long end)
{
	__u64 t0;
	int i;

	if (!hold || !target_tid || (__u32)bpf_get_current_pid_tgid() != target_tid)
		return 0;
	hold = 0;
	flush_entered = 1;
	t0 = bpf_ktime_get_ns();
	in_hold = 1;
	bpf_for(i, 0, 1 << 23) {	/* BPF_MAX_LOOPS: an iterator asked for more never runs */
		if (*(volatile int *)&release)
			break;
		if (bpf_ktime_get_ns() - t0 > HOLD_NS) {
			timed_out = 1;
			break;
		}
	}
	in_hold = 0;
	held_ns = bpf_ktime_get_ns() - t0;
	return 0;
}

char _license[] SEC("license") = "GPL";
