// SPDX-License-Identifier: GPL-2.0
/*
 * sched-switch: arena pages allocated and freed by a tracing program on the
 * sched_switch tracepoint (tp_btf), which __schedule() calls with the
 * runqueue lock held and interrupts off: the context of a sched_ext
 * scheduler's ops.enqueue() and ops.dispatch() too, which the verifier lets
 * call the arena (scratch --scratch-probe-ops).  On 7.x the verifier picks
 * the non-sleepable kfuncs there: the allocation takes the arena's
 * rqspinlock and the nolock page allocator under the runqueue lock, the free
 * queues its span and raises the irq_work from the scheduler.  Such a
 * caller must never reach a TLB flush's IPIs or anything that wakes a task
 * (a wake-up takes a runqueue lock).  6.12's kfuncs are sleepable only and
 * the verifier refuses them here: skipped with its words.
 *
 * The lead runs the ops (stress/ctxop.c): it posts each request, and the
 * next context switch on any CPU takes it (claimed once; the lead's own
 * naps switch often); the user workers fault the page being freed, the BPF
 * workers churn.  A program in the scheduler of every CPU: VM only (unsafe).
 */
#include "ctxop.h"

AS_CTX_SCENARIO_FNS(sw, AS_CTX_SWITCH)

static const struct as_optdef opts[] = {
	AS_CTX_INJECT_STALE_OPT("sched-switch"),
	{0},
};

const struct as_scenario as_sc_sched_switch = {
	.name = "sched-switch", .unsafe = true, .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "7.x: a sched_switch tracing program (runqueue lock held, interrupts off) allocates and frees "
		   "arena pages while user threads fault them and the churn runs",
	.probe = sw_probe, .setup = sw_setup, .lead = as_ctx_worker, .user = as_fault_worker,
	.opts = opts,
};
