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
 *  - each BPF worker announces the page it will free next (as_set_target)
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
#include <sys/mman.h>
#include "scenarios.h"

#define LIVE_RUNS 4		/* allocations a BPF worker keeps at once */

static uint32_t pick_cnt(struct as_worker *w)
{
	uint32_t r = as_rand_below(w, 100), max = w->run->npages / 8;

	if (r < 70 || max < 2)
		return 1;
	if (r < 90)
		return 2 + as_rand_below(w, max < 3 ? 1 : 3);
	return 2 + as_rand_below(w, (max < 16 ? max : 16) - 1);
}

static void bpf_worker(struct as_worker *w)
{
	struct as_run *r = w->run;
	/* each BPF worker picks fixed addresses in its own slice */
	uint32_t slice = r->npages / r->o->bpf_threads, lo = w->id * slice;
	uint32_t victim = 0;

	while (as_continue(w)) {
		if (w->nruns < LIVE_RUNS) {
			uint32_t cnt = pick_cnt(w), pgoff = AS_ANY_PGOFF;

			if (as_rand_below(w, 2) && slice > cnt) {
				pgoff = lo + as_rand_below(w, slice - cnt + 1);
				if (pgoff == 0)
					pgoff = 1;
			}
			as_alloc(w, pgoff, cnt);
		} else {
			uint32_t cnt = w->runs[victim].cnt;
			/* the nap's timer wake-up lands at a random point of the
			 * co-located faulter; see the comment at the top */
			as_nap(w);

			/* mostly whole allocations; sometimes one page of a larger
			 * one (page_cnt 1 takes the single-page zap path) */
			as_free_run(w, victim, as_rand_below(w, 4) ? cnt : 1);
		}
		/* choose and announce the next victim now, so user workers
		 * are already faulting it when the free comes */
		if (w->nruns) {
			victim = as_rand_below(w, w->nruns);
			as_set_target(r, w->runs[victim].pgoff + as_rand_below(w, w->runs[victim].cnt));
		}
	}
	while (w->nruns)	/* leave the arena empty */
		as_free_run(w, 0, w->runs[0].cnt);
}

static void user_worker(struct as_worker *w)
{
	struct as_run *r = w->run;
	uint32_t dead = UINT32_MAX;	/* target that faulted: already freed */
	uint64_t v;

	while (as_continue(w)) {
		uint32_t pick = as_rand_below(w, 16), p;

		if (pick < 13) {
			p = as_target(w);
			if (p == dead)
				continue;	/* wait for the next victim */
			madvise(r->base + (size_t)p * AS_PAGE_SIZE, AS_PAGE_SIZE, MADV_DONTNEED);
			w->ctr[C_MADV]++;
		} else {
			p = pick < 15 ? as_hot_pick(w) : as_rand_below(w, r->npages);
		}
		if (pick == 14)
			as_uwrite(w, p, AS_SCRATCH_OFF + 8 * as_rand_below(w, 256), as_rand(w));
		else if (as_uread(w, p, AS_OFF_TOKEN, &v) && pick < 13)
			dead = p;
	}
}

static int start(struct as_run *r)
{
	int i, err;

	for (i = 0; i < r->o->bpf_threads; i++)
		if ((err = as_spawn(r, true, bpf_worker)))
			return err;
	for (i = 0; i < r->o->user_threads; i++)
		if ((err = as_spawn(r, false, user_worker)))
			return err;
	return 0;
}

const struct as_scenario as_sc_fault_free = {
	.name = "fault-free",
	.summary = "BPF frees and re-allocates pages while user threads fault them",
	.arena_flags = BPF_F_SEGV_ON_FAULT,
	.start = start,
};
