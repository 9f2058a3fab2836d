// SPDX-License-Identifier: GPL-2.0
/*
 * The standard workers every scenario builds on.
 *
 * as_churn_worker (BPF side of every scenario) allocates (fixed addresses in
 * the worker's own slice, an eighth of them at its top, or anywhere; 1..16
 * pages) and frees (whole
 * allocations, or page_cnt 1 of a larger one), keeping a few allocations
 * live.  On 7.x a quarter of the allocations take the non-sleepable path and
 * a third of the frees the deferred one (arena_free_worker), mixed with the
 * sleepable ones.  It announces the page it will free next as soon as it has chosen it
 * (as_announce_victim) and naps --nap-us before each free: see
 * stress/fault_free.c for why that makes fault-vs-free races frequent.
 */
#include <sys/mman.h>
#include "scenario.h"

#define LIVE_SPANS 4		/* allocations a BPF worker keeps at once */

static uint32_t pick_cnt(struct as_worker *w)
{
	uint32_t r = as_rand_below(w, 100), max = as_arena(as_run_of(w))->npages / 8;

	if (r < 70 || max < 2)
		return 1;
	if (r < 90)
		return 2 + as_rand_below(w, max < 3 ? 1 : 3);
	return 2 + as_rand_below(w, (max < 16 ? max : 16) - 1);
}

void as_churn_worker(struct as_worker *w)
{
	const struct as_opts *o = as_opts_of(as_run_of(w));
	/* each BPF worker picks fixed addresses in its own slice */
	uint32_t slice = as_arena(as_run_of(w))->npages / o->bpf_threads, lo = as_worker_id(w) * slice;
	uint32_t victim = 0;

	while (as_continue(w)) {
		if (as_nowned(w) < LIVE_SPANS) {
			uint32_t cnt = pick_cnt(w), pgoff = AS_ANY_PGOFF;

			if (as_rand_below(w, 2) && slice > cnt) {
				/* an eighth of them at the top of the slice: for the
				 * last worker the arena's end, where the kernel's
				 * lower-32-bit arithmetic meets its guard region */
				pgoff = lo + (as_rand_below(w, 8) ? as_rand_below(w, slice - cnt + 1)
								  : slice - cnt - as_rand_below(w, slice - cnt < 4 ? 1 : 4));
				if (pgoff == 0)
					pgoff = 1;
			}
			/* 7.x: a quarter of them the non-sleepable way */
			if (as_have_nosleep(as_run_of(w)) && !as_rand_below(w, 4))
				as_alloc_nosleep(w, pgoff, cnt);
			else
				as_alloc(w, pgoff, cnt);
		} else {
			uint32_t cnt = as_owned(w, victim).cnt;
			/* the nap's timer wake-up lands at a random point of the
			 * co-located faulter; see stress/fault_free.c */
			as_nap(w);

			/* mostly whole allocations; sometimes one page of a larger
			 * one (page_cnt 1 takes the single-page zap path) */
			if (as_have_deferred(as_run_of(w)) && !as_rand_below(w, 3))
				as_free_span_deferred(w, victim, as_rand_below(w, 4) ? cnt : 1);
			else
				as_free_span(w, victim, as_rand_below(w, 4) ? cnt : 1);
		}
		/* choose and announce the next victim now, so user workers
		 * are already faulting it when the free comes */
		if (as_nowned(w)) {
			struct as_span s;

			victim = as_rand_below(w, as_nowned(w));
			s = as_owned(w, victim);
			as_announce_victim(w, s.pgoff + as_rand_below(w, s.cnt));
		}
	}
	while (as_nowned(w))	/* leave the arena empty */
		as_free_span(w, 0, as_owned(w, 0).cnt);
}

/* The standard user faulter: mostly the page a BPF worker frees next
 * (dropping its own PTE first so every access is a fresh fault), sometimes a
 * recently allocated page or any page; scribbles in the scratch half. */
void as_fault_worker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	uint32_t dead = UINT32_MAX;	/* victim that faulted: already freed */
	uint64_t v;

	while (as_continue(w)) {
		uint32_t pick = as_rand_below(w, 16), p;

		if (pick < 13) {
			p = as_victim(w);
			if (p == dead) {
				/* wait for the next victim, or for this one to be
				 * allocated again (a hot loop re-allocates it) */
				if (!as_page_allocated(r, p))
					continue;
				dead = UINT32_MAX;
			}
			madvise(as_page_addr(a, p), AS_PAGE_SIZE, MADV_DONTNEED);
			as_count(w, C_MADV, 1);
		} else {
			p = pick < 15 ? as_hot_pick(w) : as_rand_below(w, a->npages);
		}
		if (pick == 14) {
			as_uwrite(w, p, AS_SCRATCH_OFF + 8 * as_rand_below(w, AS_SCRATCH_WORDS), as_rand(w));
		} else if (as_uread(w, p, AS_OFF_TOKEN, &v)) {
			if (pick < 13)
				dead = p;
		} else if (pick < 13 && v && v != as_page_token(r, p)) {
			/* the read returned a token the page no longer has: its
			 * fault was in flight across a free (and maybe an
			 * allocation again).  Park everyone for a sweep now,
			 * before the next MADV_DONTNEED drops what that fault
			 * installed: the sweep judges it with every worker
			 * parked, its PTE sampled and re-checked */
			as_suspect(w);
		}
	}
}
