/* SPDX-License-Identifier: GPL-2.0 */
/* Arena ops from other calling contexts (stress/ctxop.c): what the timer and
 * irqoff scenarios share. */
#ifndef AS_STRESS_CTXOP_H
#define AS_STRESS_CTXOP_H
#include "scenario.h"

enum as_ctx_kind {
	AS_CTX_TIMER,	/* a bpf_timer callback: hrtimer softirq */
	AS_CTX_LOCKED,	/* inside bpf_spin_lock(): interrupts off */
	AS_CTX_ITER,	/* an iter.s/task_vma program: sleepable, mmap_lock read-held */
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
/* test (hidden option): the first free is not made */
extern bool as_ctx_inject_stale;
/* run where the kfuncs are sleepable-only but the verifier accepts them in
 * the context anyway (6.12: sleepable code in softirq; VM only) */
extern bool as_ctx_sleepable;
#endif
