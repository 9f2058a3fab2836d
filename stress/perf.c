// SPDX-License-Identifier: GPL-2.0
/*
 * perf: arena pages allocated and freed by a perf_event program, at the
 * overflow of a sampling event: with interrupts off, in hardirq (a software
 * cpu-clock event's hrtimer interrupt) or in NMI (a PMU event's overflow on
 * x86).  The scenario opens a PMU cycles event per CPU where the machine has
 * a PMU, else (a TCG VM has none) the software cpu-clock, and says which.
 * On 7.x the verifier picks the non-sleepable kfuncs for a perf_event
 * program: the allocation takes the arena's rqspinlock and the nolock page
 * allocator with interrupts off (or in NMI), the free queues its span with
 * kmalloc_nolock() and irq_work; a caller here must never reach a TLB
 * flush's IPIs (they can deadlock with interrupts off), which is what
 * finding 6's candidate fix refuses such callers.  6.12's kfuncs are
 * sleepable only and the verifier refuses them here: skipped with its words.
 *
 * The lead runs the ops (stress/ctxop.c): it posts each request and the next
 * overflow on any CPU takes it (claimed once); the user workers fault the
 * page being freed, the BPF workers churn.  Each op's preempt_count is read
 * in the program: the note says how many ran in hardirq and in NMI.
 */
#include "ctxop.h"

AS_CTX_SCENARIO_FNS(perf, AS_CTX_PERF)

static const struct as_optdef opts[] = {
	AS_CTX_INJECT_STALE_OPT("perf"),
	{0},
};

const struct as_scenario as_sc_perf = {
	.name = "perf", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "7.x: a perf_event program allocates and frees arena pages at sampling overflows (hardirq, "
		   "interrupts off; NMI where a PMU exists) while user threads fault them and the churn runs",
	.probe = perf_probe, .setup = perf_setup, .lead = as_ctx_worker, .user = as_fault_worker,
	.opts = opts,
};
