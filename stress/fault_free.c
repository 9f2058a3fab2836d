// SPDX-License-Identifier: GPL-2.0
/*
 * fault-free: BPF frees and re-allocates arena pages while user threads fault
 * them in.
 *
 * Target (6.12 .. 6.18 and later): arena_vm_fault() takes a reference on the
 * arena page under arena->lock and returns it; the user PTE is installed
 * later by finish_fault(), without that lock.  A bpf_arena_free_pages() that
 * takes the lock in between finds no user PTE (page_mapped() is false, and
 * a bulk zap finds nothing to zap), drops the kernel's reference and
 * returns; then the PTE goes in, pointing at a page the arena no longer owns.
 *
 * What makes the window open often (bench/run.sh measures each step):
 *  - each BPF worker (as_churn_worker) announces the page it will free next (as_announce_victim)
 *    as soon as it has chosen it, and user workers fault that page over and
 *    over (MADV_DONTNEED + read) until the free lands;
 *  - workers are spread over the CPUs (--affinity spread), so a user worker
 *    shares the BPF worker's CPU;
 *  - the BPF worker naps a few microseconds before each free (--nap-us).
 *    Its timer wake-up preempts the co-located faulter at a random point;
 *    when that point is inside arena_vm_fault() (arena->lock held), the free
 *    sleeps on the mutex, the faulter's mutex_unlock() wakes it, and wake-up
 *    preemption runs the whole free before finish_fault() installs the PTE.
 */
#include "scenario.h"

const struct as_scenario as_sc_fault_free = {
	.name = "fault-free", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "BPF frees and re-allocates pages while user threads fault them",
	.user = as_fault_worker,
};
