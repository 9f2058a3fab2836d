/* SPDX-License-Identifier: GPL-2.0 */
/* Arena ops from other calling contexts (stress/ctxop.c): what the timer,
 * irqoff, iter-vma, tc and perf scenarios share, and scratch's
 * non-sleepable allocations over scratched pages. */
#ifndef AS_STRESS_CTXOP_H
#define AS_STRESS_CTXOP_H
#include "scenario.h"

enum as_ctx_kind {
	AS_CTX_TIMER,	/* a bpf_timer callback: hrtimer softirq */
	AS_CTX_LOCKED,	/* inside bpf_spin_lock(): interrupts off */
	AS_CTX_ITER,	/* an iter.s/task_vma program: sleepable, mmap_lock read-held */
	AS_CTX_NET,	/* tc ingress on loopback, own netns: NET_RX softirq */
	AS_CTX_PERF,	/* a perf_event overflow: hardirq (software cpu-clock) or NMI (PMU) */
	AS_CTX_SWITCH,	/* tp_btf/sched_switch: runqueue lock held, interrupts off */
};

/* The kernel's BTF has the non-sleepable arena kfuncs and the deferred free
 * worker, and the verifier accepts the kfunc calls from that context (the
 * program is loaded to see): 0, or -1 with why (the verifier's own words). */
int as_ctx_probe(enum as_ctx_kind k, char *why, size_t len);
/* Load the programs for the run's arena: 0, or -errno. */
int as_ctx_setup(struct as_run *r, enum as_ctx_kind k);
/* The lead: allocate from that context, check the pages from user space and
 * BPF, free from it, wait until the deferred free is done, check the
 * pages are gone; once per iteration, nothing held across a quiesce point. */
void as_ctx_worker(struct as_worker *w);
/* The lead's parts, for a scenario that drives the context itself (its
 * lead calls as_ctx_start first, as_ctx_end last):
 *   as_ctx_start: what the context needs in the lead's thread (tc: its own
 *     network namespace, loopback up, the program on it): 0, or -1 (noted);
 *   as_ctx_cycle: allocate cnt pages at `at` (AS_ANY_PGOFF: any) from the
 *     context, check them from user space and BPF, free them from it, wait
 *     for the free, check they are gone.  0: done (*got: first page), 1: the
 *     allocation returned NULL (counted, not judged), -1: the run must stop;
 *   as_ctx_wait_free_worker: until every run of arena_free_worker() started
 *     by now has finished: 0, or -ETIMEDOUT; -EOPNOTSUPP (frees not deferred);
 *   as_ctx_end: the note of what ran where; unloads. */
int as_ctx_start(struct as_worker *w);
int as_ctx_cycle(struct as_worker *w, uint32_t at, uint32_t cnt, uint32_t *got);
int as_ctx_wait_free_worker(void);
void as_ctx_end(struct as_worker *w);
const char *as_ctx_where(enum as_ctx_kind k);
/* test (hidden option): the first free is not made */
extern bool as_ctx_inject_stale;
/* run where the kfuncs are sleepable-only but the verifier accepts them in
 * the context anyway (6.12: sleepable code in softirq; VM only) */
extern bool as_ctx_sleepable;
/* The probe and setup of a scenario whose lead runs context k's ops
 * (PFX_probe, PFX_setup), and its --NAME-inject-stale option. */
#define AS_CTX_SCENARIO_FNS(pfx, k)							\
	static int pfx##_probe(const struct as_opts *o, char *why, size_t len)		\
	{										\
		(void)o;								\
		return as_ctx_probe(k, why, len);					\
	}										\
	static int pfx##_setup(struct as_run *r)					\
	{										\
		return as_ctx_setup(r, k);						\
	}
#define AS_CTX_INJECT_STALE_OPT(name)							\
	AS_SOPT_FLAG(name "-inject-stale", as_ctx_inject_stale, AS_OF_HIDDEN,		\
		     "test: the first free from the program is not made (a user PTE on a freed page, emulated)")
#endif
