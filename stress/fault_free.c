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
 *
 * The first --fault-free-hot-ms of the run (2000 by default; 0: none) are a
 * hot phase: each BPF worker keeps --fault-free-hot-pages pages of its own
 * and, round after round, drops this process's PTE on one, announces it,
 * frees it (no nap: the readers' faults are in flight by then), allocates it
 * again at the same address at once (a fresh token) and reads it from user
 * space (as_check_contents): a user PTE that a fault installed on the freed
 * page reads the old token from an allocation BPF owns, a coherence
 * violation judged on the spot, with no sweep in between.  Periodic sweeps
 * wait until the phase ends (suspects from the post-free samples still sweep
 * at once).  Then the standard churn (stress/workers.c) runs on.
 */
#include <sched.h>
#include <sys/mman.h>
#include "scenario.h"

static uint64_t hot_ms = 2000, hot_pages = 1;

static void hot_worker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	const struct as_opts *o = as_opts_of(r);
	uint32_t npages = as_arena(r)->npages, slice = npages / o->bpf_threads;
	uint32_t lo = as_worker_id(w) * slice, n = 0, i = 0;
	uint64_t end = as_now_ns() + hot_ms * 1000000ULL;

	as_hold_sweeps(w, hot_ms);
	/* pages 1.. of its slice (page 0 means "any address" to the kernel) */
	while (hot_ms && n < hot_pages && n + 1 < slice && as_alloc(w, lo + 1 + n, 1) == 0)
		n++;
	while (n && as_now_ns() < end && as_continue(w)) {
		uint32_t p;

		i = (i + 1) % as_nowned(w);
		p = as_owned(w, i).pgoff;
		/* drop the PTE: the readers' next reads fault, in flight at the free */
		if (o->user_threads)
			madvise(as_page_addr(as_arena(r), p), AS_PAGE_SIZE, MADV_DONTNEED);
		as_announce_victim(w, p);
		/* no nap here: the readers' faults follow the MADV_DONTNEED
		 * now; measured in the VM (TCG) a nap lost more rounds than it
		 * gained races (7.3.4: 2 of 6 runs found within 2 s with the
		 * 20 us nap, 6 of 6 without, median 140 ms) */
		if (as_free_span(w, i, 1))
			break;
		/* the freed span left index i: the new one goes last */
		if (as_alloc(w, p, 1))
			break;
		/* a faulter this free preempted finishes its fault first */
		sched_yield();
		as_check_contents(w, p, "a free and an allocation again at the same address");
	}
	as_churn_worker(w);
}

/* Hot-phase user worker: reads the victim
 * without dropping its PTE, so what a racing fault installed stays until the
 * BPF worker's next check; then the standard faulter. */
static void hot_reader(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	uint64_t end = as_now_ns() + hot_ms * 1000000ULL, v;

	while (as_now_ns() < end && as_continue(w)) {
		uint32_t p = as_victim(w);

		if (!as_page_allocated(r, p))
			continue;
		/* a token the page no longer has: a fault in flight across its
		 * free; the sweep judges it with everyone parked (the BPF
		 * worker's next MADV_DONTNEED would drop the evidence) */
		if (!as_uread(w, p, AS_OFF_TOKEN, &v) && v && v != as_page_token(r, p))
			as_suspect(w);
		sched_yield();	/* the BPF worker first, whenever it can run */
	}
	as_fault_worker(w);
}

static const struct as_optdef opts[] = {
	{.name = "fault-free-hot-ms", .type = AS_OT_UINT, .arg = "MS", .lo = 0, .hi = 3600000, .dflt = "2000",
	 .help = "the hot phase's length from the workers' start: each BPF worker frees and re-allocates a few "
		 "pages of its own at the same address and reads each at once (0: none)",
	 .ptr = &hot_ms, .size = sizeof(hot_ms)},
	{.name = "fault-free-hot-pages", .type = AS_OT_UINT, .arg = "N", .lo = 1, .hi = 16, .dflt = "1",
	 .help = "pages each BPF worker keeps in the hot phase", .ptr = &hot_pages, .size = sizeof(hot_pages)},
	{0},
};

const struct as_scenario as_sc_fault_free = {
	.name = "fault-free", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "BPF frees and re-allocates pages while user threads fault them",
	.bpf = hot_worker, .user = hot_reader, .opts = opts,
};
