// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the nomem scenario (stress/nomem.c): the arena ops whose error
 * paths it drives (one program per op, nm_alloc ... nm_tokens), on the engine's arena (user space reuses its fd), while the
 * arena's memory cgroup is at its limit:
 *   NM_ALLOC       one bpf_arena_alloc_pages() of cnt pages at pgoff (up to
 *                  the whole arena: past 1024 pages the kernel allocates in
 *                  batches and a failure in a later batch rolls back the
 *                  pages it mapped), checks the fresh pages' oracle half for
 *                  zero and stamps each with its token;
 *   NM_DRAIN       single-page allocations at pgoff, pgoff + 1, ... until one
 *                  fails: ret = how many succeeded (they drain what the memcg
 *                  charged ahead on this CPU);
 *   NM_FREE        one bpf_arena_free_pages() of cnt pages at pgoff;
 *   NM_FREE_EACH   cnt single-page frees, pgoff, pgoff + 1, ..., all inside
 *                  one bpf_preempt_disable() section, so every
 *                  free is deferred (7.x: kmalloc_nolock() of its span) and
 *                  arena_free_worker(), queued on this CPU, runs only after
 *                  the last: the spans pile up against the memcg's limit;
 *   NM_CLAIMED     for each page of [pgoff, pgoff + cnt): is it in use in
 *                  the arena's range tree?  bpf_arena_reserve_pages() of the
 *                  page succeeds only on a free page (the reservation is
 *                  released again at once); state[i] = 1 in use, 0 free;
 *   NM_TOKENS      reads the token word of the pages with state[i] == 1
 *                  (the range tree's pages in use): ret = how many differ
 *                  from their token, the first one in bad_*; those get
 *                  state NM_ZERO (no page behind: a JIT-ed read of an
 *                  unmapped arena address reads 0) or NM_OTHER.
 * nosleep: the kfunc calls run under bpf_preempt_disable(), where the 7.x
 * verifier picks bpf_arena_{alloc,free}_pages_non_sleepable.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "arena_stress.h"
#include "nomem.h"

#define __arena __attribute__((address_space(1)))
#define NUMA_NO_NODE (-1)

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;
int bpf_arena_reserve_pages(void *map, void __arena *addr, __u32 page_cnt) __ksym __weak;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym __weak;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_preempt_disable(void) __ksym __weak;
extern void bpf_preempt_enable(void) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 64);
	__ulong(map_extra, AS_ARENA_BASE);
} arena SEC(".maps");

const volatile __u64 as_ubase = AS_ARENA_BASE;	/* the engine's --arena-base */
__u8 state[NM_MAX_PAGES];

static __always_inline __u64 uaddr(__u32 pgoff)
{
	return as_ubase + (__u64)pgoff * AS_PAGE_SIZE;
}

static __always_inline volatile __u64 __arena *word(__u32 pgoff, __u32 off)
{
	return (volatile __u64 __arena *)(uaddr(pgoff) + off);
}

static __always_inline void __arena *alloc1(__u32 pgoff, __u32 cnt, bool nosleep)
{
	void __arena *got;

	if (nosleep) {
		bpf_preempt_disable();
		got = bpf_arena_alloc_pages(&arena, (void __arena *)uaddr(pgoff), cnt, NUMA_NO_NODE, 0);
		bpf_preempt_enable();
	} else {
		got = bpf_arena_alloc_pages(&arena, (void __arena *)uaddr(pgoff), cnt, NUMA_NO_NODE, 0);
	}
	return got;
}

/* zero-on-alloc over the oracle half, then the token */
static __always_inline void fresh(struct nm_op *op, __u32 p)
{
	int w;

	bpf_for(w, 0, AS_ORACLE_BYTES / 8) {
		__u64 v = *word(p, w * 8);

		if (!v)
			continue;
		if (!op->dirty)
			op->bad_pgoff = p, op->bad_val = v;
		op->dirty++;
	}
	*word(p, AS_OFF_TOKEN) = AS_TOKEN(op->gen, p);
}

/* pgoff and cnt within NM_MAX_PAGES */
static __always_inline bool bad_range(struct nm_op *op)
{
	op->ret = -22;
	return !op->cnt || op->cnt > NM_MAX_PAGES || op->pgoff > NM_MAX_PAGES - op->cnt;
}

SEC("syscall")
int nm_alloc(struct nm_op *op)
{
	void __arena *got;
	int i;

	if (bad_range(op))
		return 0;
	got = alloc1(op->pgoff, op->cnt, op->nosleep);
	if (!got) {
		op->ret = -12;
		return 0;
	}
	op->ret = ((__u32)(__u64)got - (__u32)as_ubase) / AS_PAGE_SIZE;
	bpf_for(i, 0, op->cnt)
		fresh(op, op->ret + i);
	return 0;
}

SEC("syscall")
int nm_drain(struct nm_op *op)
{
	int i;

	if (bad_range(op))
		return 0;
	op->ret = 0;	/* counts in the context: a counter in a register keeps bpf_for's states apart */
	bpf_for(i, 0, op->cnt) {
		if (!alloc1(op->pgoff + i, 1, false))
			break;
		fresh(op, op->pgoff + i);
		op->ret++;
	}
	return 0;
}

SEC("syscall")
int nm_free(struct nm_op *op)
{
	if (bad_range(op))
		return 0;
	if (op->nosleep) {
		bpf_preempt_disable();
		bpf_arena_free_pages(&arena, (void __arena *)uaddr(op->pgoff), op->cnt);
		bpf_preempt_enable();
	} else {
		bpf_arena_free_pages(&arena, (void __arena *)uaddr(op->pgoff), op->cnt);
	}
	op->ret = 0;
	return 0;
}

/* always deferred: nosleep is implied */
SEC("syscall")
int nm_free_each(struct nm_op *op)
{
	__u32 pgoff = op->pgoff;
	int i;

	if (bad_range(op))
		return 0;
	bpf_preempt_disable();
	bpf_for(i, 0, op->cnt)
		bpf_arena_free_pages(&arena, (void __arena *)uaddr(pgoff + i), 1);
	bpf_preempt_enable();
	op->ret = 0;
	return 0;
}

SEC("syscall")
int nm_claimed(struct nm_op *op)
{
	int i;

	if (bad_range(op))
		return 0;
	op->ret = 0;
	bpf_for(i, 0, op->cnt) {
		__u32 k = op->pgoff + i;

		if (k >= NM_MAX_PAGES)
			break;
		if (bpf_arena_reserve_pages(&arena, (void __arena *)uaddr(k), 1)) {
			state[k] = 1;
			op->ret++;
			continue;
		}
		state[k] = 0;	/* it was free: release the reservation */
		bpf_arena_free_pages(&arena, (void __arena *)uaddr(k), 1);
	}
	return 0;
}

SEC("syscall")
int nm_tokens(struct nm_op *op)
{
	int i;

	if (bad_range(op))
		return 0;
	op->ret = 0;
	bpf_arena_reserve_pages(&arena, NULL, 0);	/* nothing: makes the arena this program's */
	bpf_for(i, 0, op->cnt) {
		__u32 k = op->pgoff + i;
		__u64 v;

		if (k >= NM_MAX_PAGES)
			break;
		if (state[k] != 1)
			continue;
		v = *word(k, AS_OFF_TOKEN);
		if (v == (op->gen ? AS_TOKEN(op->gen, k) : 0))
			continue;
		state[k] = v ? NM_OTHER : NM_ZERO;
		if (!op->ret)
			op->bad_pgoff = k, op->bad_val = v;
		op->ret++;
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
