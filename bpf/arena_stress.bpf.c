// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of arena-stress: allocate and free arena pages, check that fresh
 * pages are zero, stamp each allocation with a token, and read/write the
 * coherence nonces through the kernel mapping of the arena.
 *
 * All programs are SEC("syscall"): bpf_arena_alloc_pages/free_pages are
 * sleepable-only kfuncs up to 6.18, and syscall programs are run from user
 * threads with BPF_PROG_TEST_RUN, one call per op.  as_do_op_nosleep (7.x
 * only: user space loads it where the kernel has the non-sleepable arena
 * paths) makes the same calls inside an RCU read section, where the verifier
 * picks the non-sleepable variants: a free then only queues the span for
 * arena_free_worker() and returns before anything is freed.  as_do_reserve
 * (loaded where the kernel has bpf_arena_reserve_pages: 6.18 has it, 6.12
 * not) reserves.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "arena_bpf.h"

extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
int bpf_arena_reserve_pages(void *map, void __arena *addr, __u32 page_cnt) __ksym __weak;

/* max_entries and map_flags (BPF_F_SEGV_ON_FAULT) of the arena (arena_bpf.h)
 * are set by user space before load, from --pages and the scenario. */
struct as_sweep sweep;

static __always_inline int do_alloc(struct as_op *op, bool nosleep)
{
	void __arena *want = NULL, *got;
	__u32 pgoff, cnt = op->cnt;
	int i;

	if (cnt == 0 || cnt > AS_MAX_ALLOC_CNT)
		return -22;
	if (op->pgoff != AS_ANY_PGOFF)
		want = (void __arena *)uaddr(op->pgoff);
	if (nosleep) {
		bpf_rcu_read_lock();
		got = bpf_arena_alloc_pages(&arena, want, cnt, NUMA_NO_NODE, 0);
		bpf_rcu_read_unlock();
	} else {
		got = bpf_arena_alloc_pages(&arena, want, cnt, NUMA_NO_NODE, 0);
	}
	if (!got)
		return -12;
	pgoff = pgoff_of(got);
	op->pgoff = pgoff;
	if (op->inject & AS_INJ_DIRTY_ALLOC)
		*word(pgoff, AS_ORACLE_BYTES - 8) = 0xbad;
	as_check_fresh(pgoff, cnt, AS_MAX_ALLOC_CNT, &op->dirty_words, &op->dirty_pgoff, &op->dirty_off,
		       &op->dirty_val);
	bpf_for(i, 0, cnt) {
		if (i >= AS_MAX_ALLOC_CNT)
			break;
		*word(pgoff + i, AS_OFF_TOKEN) = AS_TOKEN(op->gen, pgoff + i);
	}
	return 0;
}

/* nosleep: inside an RCU read section, where 7.x takes the deferred path */
static __always_inline int do_free(struct as_op *op, bool nosleep)
{
	void __arena *ptr = (void __arena *)uaddr(op->pgoff);

	if (op->cnt == 0 || op->cnt > AS_MAX_PAGES)
		return -22;
	if (nosleep) {
		bpf_rcu_read_lock();
		bpf_arena_free_pages(&arena, ptr, op->cnt);
		bpf_rcu_read_unlock();
	} else {
		bpf_arena_free_pages(&arena, ptr, op->cnt);
	}
	return 0;
}

static __always_inline int do_sweep(struct as_op *op)
{
	int j;

	bpf_for(j, 0, op->cnt) {
		__u32 p;

		if (j >= AS_SWEEP_BATCH)
			break;
		p = sweep.idx[j];
		if (p >= AS_MAX_PAGES)
			continue;
		/* Reading a page the arena does not own gives 0 (exception
		 * fixup), so free pages read as token 0. */
		sweep.token[j] = *word(p, AS_OFF_TOKEN);
		sweep.unonce[j] = *word(p, AS_OFF_UNONCE);
		if (op->inject & AS_INJ_SWEEP_LIE)
			sweep.unonce[j] ^= 1;
		if (sweep.want[j])
			*word(p, AS_OFF_BNONCE) = sweep.bnonce[j];
	}
	return 0;
}

SEC("syscall")
int as_do_op(struct as_op *op)
{
	long ret = -22;

	switch (op->op) {
	case AS_OP_ALLOC:
		ret = do_alloc(op, false);
		break;
	case AS_OP_FREE:
		ret = do_free(op, false);
		break;
	case AS_OP_SWEEP:
		ret = do_sweep(op);
		break;
	case AS_OP_PEEK:
		op->peek_token = *word(op->pgoff, AS_OFF_TOKEN);
		op->peek_unonce = *word(op->pgoff, AS_OFF_UNONCE);
		op->peek_val = *word(op->pgoff, op->off & (AS_PAGE_SIZE - 8));
		ret = 0;
		break;
	case AS_OP_PROBE:
		ret = 0;
		break;
	}
	op->ret = ret;
	return 0;
}

/* alloc and free only; a free here is deferred: it returns before anything is freed */
SEC("syscall")
int as_do_op_nosleep(struct as_op *op)
{
	op->ret = op->op == AS_OP_ALLOC ? do_alloc(op, true) : op->op == AS_OP_FREE ? do_free(op, true) : -22;
	return 0;
}

/* reservations: user space loads this only where the kernel has the kfunc */
SEC("syscall")
int as_do_reserve(struct as_op *op)
{
	void __arena *ptr = (void __arena *)uaddr(op->pgoff);

	op->ret = op->op == AS_OP_RESERVE && op->cnt && op->cnt <= AS_MAX_PAGES
		  ? bpf_arena_reserve_pages(&arena, ptr, op->cnt) : -22;
	return 0;
}

char _license[] SEC("license") = "GPL";
