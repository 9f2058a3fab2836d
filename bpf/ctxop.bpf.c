// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the calling-context scenarios (stress/ctxop.c: timer, irqoff,
 * iter-vma, tc, perf, sched-switch, and scratch's non-sleepable allocations): the same
 * arena ops as bpf/arena_stress.bpf.c, made from where real users make them
 * instead of from a syscall program:
 *
 *   as_ctx_timer   arms the slot's bpf_timer for now; its callback runs the
 *                  request in the hrtimer softirq (HRTIMER_MODE_REL_SOFT), an
 *                  async callback the verifier never treats as sleepable, so
 *                  7.x picks bpf_arena_{alloc,free}_pages_non_sleepable (6.12:
 *                  the kfuncs are sleepable-only and the verifier refuses it);
 *   as_ctx_locked  runs the request's kfunc call inside a bpf_spin_lock region:
 *                  bpf_spin_lock() is local_irq_save() + the lock
 *                  (kernel/bpf/helpers.c), so the call runs with interrupts
 *                  off (the arena kfuncs are KF_SPINLOCK_SAFE for this);
 *   as_ctx_iter    an iter.s/task_vma program: runs the request at the arena's
 *                  VMA with the task's mmap_lock read-held (sleepable kfuncs);
 *   as_ctx_tc      tc ingress (tcx) on the loopback of the scenario's own
 *                  network namespace: a UDP datagram the lead sends itself
 *                  carries the slot, and the NET_RX softirq runs the request
 *                  (non-sleepable kfuncs, as XDP and tc users call them);
 *   as_ctx_perf    a perf_event program: the next overflow on any CPU runs the
 *                  request, in the hrtimer interrupt of a software cpu-clock
 *                  event (hardirq, interrupts off) or the NMI of a PMU's;
 *   as_ctx_switch  a tp_btf/sched_switch program: the next context switch on any
 *                  CPU runs the request, with the runqueue lock held and
 *                  interrupts off;
 *   as_ctx_peek    reads the request's pages through the kernel mapping, from
 *                  the user thread (a deferred free's progress).
 *
 * Each op records preempt_count and the CPU it ran on (where the kernel has a
 * per-CPU __preempt_count: x86 from 6.15), checks fresh pages for zero (the
 * zero-on-alloc oracle) and writes the tokens, and a free through these
 * contexts is always deferred (arena_free_worker()), whose runs fentry/fexit
 * count.  The arena map is the engine's (user space reuses its fd).
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "arena_bpf.h"
#include "arena_worker.h"
#include "ctxop_req.h"

#define AS_CLOCK_MONOTONIC 1

/* as bpf_experimental.h reads it: x86's per-CPU preempt count (6.15+) */
extern const int __preempt_count __ksym __weak;

struct as_ctx_timer_elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AS_CTX_SLOTS);
	__type(key, int);
	__type(value, struct as_ctx_timer_elem);
} timers SEC(".maps");

struct as_ctx_lock_elem {
	struct bpf_spin_lock l;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct as_ctx_lock_elem);
} locks SEC(".maps");

struct as_ctx_req req[AS_CTX_SLOTS];
struct as_ctx_worker fw;

/* the syscall programs' context */
struct as_ctx_arm {
	__u32 slot;
	__s32 ret;
};

static __always_inline struct as_ctx_req *slot_req(__u32 slot)
{
	return &req[slot & (AS_CTX_SLOTS - 1)];
}

static __always_inline void __arena *want(struct as_ctx_req *q)
{
	return q->pgoff == AS_ANY_PGOFF ? NULL : (void __arena *)uaddr(q->pgoff);
}

/* zero-on-alloc, then the tokens: as do_alloc() in arena_stress.bpf.c */
static __always_inline void post_alloc(struct as_ctx_req *q, void __arena *got)
{
	__u32 pgoff, cnt = q->cnt;
	int i;

	q->dirty_words = 0;
	if (!got) {
		q->ret = -12;
		return;
	}
	pgoff = pgoff_of(got);
	q->pgoff = pgoff;
	if (q->inject & AS_INJ_DIRTY_ALLOC)
		*word(pgoff, AS_ORACLE_BYTES - 8) = 0xbad;
	as_check_fresh(pgoff, cnt, AS_CTX_MAX_CNT, &q->dirty_words, &q->dirty_pgoff, &q->dirty_off, &q->dirty_val);
	bpf_for(i, 0, cnt) {
		if (i >= AS_CTX_MAX_CNT)
			break;
		*word(pgoff + i, AS_OFF_TOKEN) = AS_TOKEN(q->gen, pgoff + i);
	}
	q->ret = 0;
}

static __always_inline void peek(struct as_ctx_req *q)
{
	int i;

	bpf_for(i, 0, AS_CTX_MAX_CNT) {
		if (i >= q->cnt)
			break;
		q->tok[i] = *word(q->pgoff + i, AS_OFF_TOKEN);
		q->unonce[i] = *word(q->pgoff + i, AS_OFF_UNONCE);
	}
	q->ret = 0;
}

static __always_inline void finish(struct as_ctx_req *q)
{
	q->pc_known = bpf_ksym_exists(&__preempt_count);
	if (q->pc_known)
		q->pc = *(int *)bpf_this_cpu_ptr(&__preempt_count);
	q->cpu = bpf_get_smp_processor_id();
	q->done = q->seq;	/* last: user space polls it */
}

/* ---- softirq: a bpf_timer callback ---- */

/* the request, in a context where the kfunc calls may be made directly */
static __always_inline void run_req(struct as_ctx_req *q)
{
	if (q->op == AS_OP_ALLOC) {
		post_alloc(q, bpf_arena_alloc_pages(&arena, want(q), q->cnt, NUMA_NO_NODE, 0));
	} else if (q->op == AS_OP_FREE) {
		if (!q->skip_free)
			bpf_arena_free_pages(&arena, (void __arena *)uaddr(q->pgoff), q->cnt);
		q->ret = 0;
	} else if (q->op == AS_OP_PEEK) {
		peek(q);
	} else {
		q->ret = -22;
	}
	finish(q);
}

static int timer_cb(void *map, int *key, struct as_ctx_timer_elem *e)
{
	asm volatile("" :: "r"(&arena));	/* the callback's arena */
	run_req(slot_req(*key));
	return 0;
}

SEC("syscall")
int as_ctx_timer(struct as_ctx_arm *a)
{
	int key = a->slot & (AS_CTX_SLOTS - 1);
	struct as_ctx_timer_elem *e = bpf_map_lookup_elem(&timers, &key);
	long err;

	if (!e) {
		a->ret = -2;
		return 0;
	}
	err = bpf_timer_init(&e->t, &timers, AS_CLOCK_MONOTONIC);
	if (err && err != -16)	/* -EBUSY: set up by an earlier op */
		goto out;
	err = bpf_timer_set_callback(&e->t, timer_cb);
	if (!err)
		err = bpf_timer_start(&e->t, 0, 0);
out:
	a->ret = err;
	return 0;
}

/* ---- interrupts off: inside a bpf_spin_lock region ---- */

SEC("syscall")
int as_ctx_locked(struct as_ctx_arm *a)
{
	struct as_ctx_req *q = slot_req(a->slot);
	int key = 0;
	struct as_ctx_lock_elem *l = bpf_map_lookup_elem(&locks, &key);
	void __arena *got = NULL;
	void __arena *at = want(q);
	__u32 op = q->op, cnt = q->cnt, skip = q->skip_free;

	if (!l) {
		a->ret = -2;
		return 0;
	}
	bpf_spin_lock(&l->l);
	if (op == AS_OP_ALLOC)
		got = bpf_arena_alloc_pages(&arena, at, cnt, NUMA_NO_NODE, 0);
	else if (op == AS_OP_FREE && !skip)
		bpf_arena_free_pages(&arena, at, cnt);
	bpf_spin_unlock(&l->l);
	if (op == AS_OP_ALLOC)
		post_alloc(q, got);
	else if (op == AS_OP_PEEK)
		peek(q);
	else
		q->ret = op == AS_OP_FREE ? 0 : -22;
	finish(q);
	a->ret = 0;
	return 0;
}

/* ---- a sleepable iterator holding mmap_lock ---- */

__u32 iter_slot;	/* the request the next read of the iterator runs */

/* Runs at the arena's VMA of the task the link is for, with that mm's
 * mmap_lock read-held by the iterator (task_vma_seq_get_next()); a sleepable
 * program, so the verifier picks the sleepable kfuncs: a free of more than
 * one page, or of a page user space maps, calls zap_pages(), which takes
 * mmap_read_lock() of every mm mapping the arena, this one included. */
SEC("iter.s/task_vma")
int as_ctx_iter(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct as_ctx_req *q = slot_req(iter_slot);

	asm volatile("" :: "r"(&arena));
	if (!vma || vma->vm_start != as_ubase || q->done == q->seq)
		return 0;
	run_req(q);
	return 0;
}

/* ---- contexts that may run a request twice at once: claim it first ---- */

/* true for the one caller that takes request q (its seq) */
static __always_inline bool claim(struct as_ctx_req *q)
{
	__u64 seq = q->seq, old = q->claim;

	if (q->done == seq || old == seq)
		return false;
	return __sync_val_compare_and_swap(&q->claim, old, seq) == old;
}

/* ---- softirq from networking: tc ingress on the loopback ---- */

const volatile __u16 net_port;	/* UDP destination port of the requests, network order */

/* A UDP datagram the lead sends to itself in the scenario's own network
 * namespace: loopback_xmit() queues it on the backlog and the NET_RX softirq
 * (on the sender's local_bh_enable(), or ksoftirqd) runs tc ingress here. */
SEC("tcx/ingress")
int as_ctx_tc(struct __sk_buff *skb)
{
	struct as_ctx_net_msg m;
	__u8 ip[20];
	__u32 ihl;

	asm volatile("" :: "r"(&arena));
	if (skb->protocol != bpf_htons(0x0800) || bpf_skb_load_bytes(skb, AS_ETH_HLEN, ip, sizeof(ip)) ||
	    ip[9] != 17)	/* IPPROTO_UDP */
		return AS_TC_ACT_OK;
	ihl = (ip[0] & 0xf) * 4;
	if (bpf_skb_load_bytes(skb, AS_ETH_HLEN + ihl, &m, sizeof(m)) || m.dport != net_port ||
	    m.magic != AS_CTX_NET_MAGIC)
		return AS_TC_ACT_OK;
	if (claim(slot_req(m.slot)))
		run_req(slot_req(m.slot));
	return AS_TC_ACT_SHOT;	/* ours: nobody receives it */
}

/* ---- interrupts off: a perf_event overflow (hardirq; NMI for a PMU's) ---- */

__u32 perf_slot;	/* the request the next overflow on any CPU runs */

SEC("perf_event")
int as_ctx_perf(struct bpf_perf_event_data *ctx)
{
	struct as_ctx_req *q = slot_req(perf_slot);

	asm volatile("" :: "r"(&arena));
	if (claim(q))
		run_req(q);
	return 0;
}

/* ---- interrupts off, runqueue lock held: a tracing program on sched_switch ---- */

__u32 switch_slot;	/* the request the next context switch on any CPU runs */

/* __schedule() calls trace_sched_switch() with the runqueue lock held and
 * interrupts off, the context of a sched_ext ops.enqueue()/dispatch() too */
SEC("tp_btf/sched_switch")
int BPF_PROG(as_ctx_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct as_ctx_req *q = slot_req(switch_slot);

	asm volatile("" :: "r"(&arena));
	if (claim(q))
		run_req(q);
	return 0;
}

/* ---- the user thread's own view (sleepable, task context) ---- */

SEC("syscall")
int as_ctx_peek(struct as_ctx_arm *a)
{
	asm volatile("" :: "r"(&arena));
	peek(slot_req(a->slot));
	a->ret = 0;
	return 0;
}

/* ---- the deferred free worker's runs ---- */

/* the arena map's id (user space sets it): only its worker's runs count */
const volatile __u32 fw_arena_id;

SEC("fentry/arena_free_worker")
int BPF_PROG(as_ctx_fw_in, struct work_struct *work)
{
	if (as_worker_arena_id(work) == fw_arena_id)
		__sync_fetch_and_add(&fw.started, 1);
	return 0;
}

SEC("fexit/arena_free_worker")
int BPF_PROG(as_ctx_fw_out, struct work_struct *work)
{
	if (as_worker_arena_id(work) == fw_arena_id)
		__sync_fetch_and_add(&fw.finished, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
