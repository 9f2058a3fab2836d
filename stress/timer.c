// SPDX-License-Identifier: GPL-2.0
/*
 * timer: arena pages allocated and freed from bpf_timer callbacks, i.e. in
 * the hrtimer softirq, the context of every BPF program that keeps state on
 * a timer (and, for the arena's code, the same as XDP or tc: not a task,
 * interrupts on, no sleeping).
 *
 * On 7.x the verifier treats an async callback as non-sleepable and picks
 * bpf_arena_alloc_pages_non_sleepable() and
 * bpf_arena_free_pages_non_sleepable(): the allocation runs under the
 * arena's rqspinlock from softirq, the free queues its span with
 * kmalloc_nolock() and raises the irq_work from softirq; arena_free_worker()
 * does the rest.  What a softirq caller must never reach is what only a
 * task may do: flush_tlb_kernel_range()'s IPIs (smp_call_function_many_cond()
 * warns outside task context, which the kernel watch reports), sleeping
 * locks, the sleepable zap.  Before 7.0 the kfuncs are sleepable-only; the
 * probe loads the program to see what the verifier makes of that.  6.12's
 * verifier accepts them anyway: its in_sleepable() is true for every state of
 * a sleepable program, the async callback's included (7.3.4 asks the state
 * only).  Such a kernel is skipped with that reason, unless --timer-sleepable
 * asks to run the sleepable kfuncs in softirq (findings/observations).
 *
 * The lead runs the ops (stress/ctxop.c: allocate from the callback, check
 * from user space and from the callback, free from it, wait until the free
 * is done, check the pages fault), announcing the page it frees as the next
 * victim; the user workers are the standard faulters, the BPF workers the
 * standard churn, so the softirq's allocations and frees race sleepable and
 * deferred ones and user faults on the same arena.  Every op's
 * preempt_count is read in the callback: the note says how many ran serving a
 * softirq.
 */
#include "ctxop.h"

static int timer_probe(const struct as_opts *o, char *why, size_t len)
{
	(void)o;
	return as_ctx_probe(AS_CTX_TIMER, why, len);
}

static int timer_setup(struct as_run *r)
{
	return as_ctx_setup(r, AS_CTX_TIMER);
}

static const struct as_optdef opts[] = {
	AS_SOPT_FLAG("timer-inject-stale", as_ctx_inject_stale, AS_OF_HIDDEN,
		     "test: the first free from the callback is not made (a user PTE on a freed page, emulated)"),
	AS_SOPT_FLAG("timer-sleepable", as_ctx_sleepable, 0,
		     "timer: also where the arena kfuncs are sleepable only but the verifier takes them in the "
		     "callback (6.12): sleepable code in softirq, may crash the kernel (VM only)"),
	{0},
};

const struct as_scenario as_sc_timer = {
	.name = "timer", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "7.x: BPF allocates and frees arena pages from bpf_timer callbacks (hrtimer softirq) while "
		   "user threads fault them and the churn runs",
	.probe = timer_probe, .setup = timer_setup, .lead = as_ctx_worker, .user = as_fault_worker,
	.opts = opts,
};
