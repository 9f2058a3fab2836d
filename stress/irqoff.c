// SPDX-License-Identifier: GPL-2.0
/*
 * irqoff: arena pages allocated and freed with interrupts off, from inside a
 * bpf_spin_lock() region (bpf_spin_lock() is local_irq_save() plus the lock,
 * kernel/bpf/helpers.c; the 7.x arena kfuncs are KF_SPINLOCK_SAFE for this
 * caller).  The verifier picks the non-sleepable variants there: the
 * allocation runs under the arena's rqspinlock with interrupts already off,
 * the free is deferred (kmalloc_nolock() and irq_work_queue() with
 * interrupts off).  This is the caller finding 6's candidate fix refuses to
 * let replace a scratch PTE (no flush IPIs with interrupts off).
 *
 * The lead runs the ops (stress/ctxop.c) through the locked program, the
 * user workers are the standard faulters, the BPF workers the churn.
 */
#include "ctxop.h"

static int irqoff_probe(const struct as_opts *o, char *why, size_t len)
{
	(void)o;
	return as_ctx_probe(AS_CTX_LOCKED, why, len);
}

static int irqoff_setup(struct as_run *r)
{
	return as_ctx_setup(r, AS_CTX_LOCKED);
}

const struct as_scenario as_sc_irqoff = {
	.name = "irqoff", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "7.x: BPF allocates and frees arena pages inside a bpf_spin_lock region (interrupts off) while "
		   "user threads fault them and the churn runs",
	.probe = irqoff_probe, .setup = irqoff_setup, .lead = as_ctx_worker, .user = as_fault_worker,
};
