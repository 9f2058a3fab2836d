// SPDX-License-Identifier: GPL-2.0
/*
 * tc: arena pages allocated and freed by a tc program in the NET_RX
 * softirq, as a tc or XDP program handling packets calls the arena.
 *
 * The lead thread moves to a network namespace of its own (only that
 * thread: it goes when the thread exits), brings its loopback up, puts the
 * program on the loopback's tcx ingress and sends itself a UDP datagram per
 * op: loopback_xmit() queues it on the backlog, and the NET_RX softirq (run
 * at the sender's local_bh_enable(), or by ksoftirqd) runs the program,
 * which takes the request the datagram names and drops it.  On 7.x the
 * verifier picks the non-sleepable kfuncs for a tc program: the allocation
 * under the arena's rqspinlock in softirq, the free deferred to
 * arena_free_worker(); a softirq caller must never reach what only a task
 * may do (flush_tlb_kernel_range()'s IPIs warn outside task context, which
 * the kernel watch reports).  6.12's kfuncs are sleepable only and the
 * verifier refuses them in a tc program: skipped with its words.
 *
 * The lead runs the ops (stress/ctxop.c: allocate, check from user space
 * and from the program, free, wait for the deferred free, check the pages
 * fault), the user workers fault the page being freed, the BPF workers
 * churn.  Each op's preempt_count is read in the program: the note says how
 * many ran serving a softirq.
 */
#include "ctxop.h"

AS_CTX_SCENARIO_FNS(tc, AS_CTX_NET)

static const struct as_optdef opts[] = {
	AS_CTX_INJECT_STALE_OPT("tc"),
	{0},
};

const struct as_scenario as_sc_tc = {
	.name = "tc", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "7.x: a tc ingress program on the loopback of the scenario's own network namespace allocates and "
		   "frees arena pages in the NET_RX softirq, for datagrams the scenario sends itself",
	.probe = tc_probe, .setup = tc_setup, .lead = as_ctx_worker, .user = as_fault_worker,
	.opts = opts,
};
