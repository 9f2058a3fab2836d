// SPDX-License-Identifier: GPL-2.0
/*
 * reserve: bpf_arena_reserve_pages() under churn, from several CPUs.
 *
 * Each user worker (spread over the CPUs) keeps a few allocations and a few
 * reservations of its own and, in random order: reserves free pages; tries
 * to reserve over one of its allocations (and the free page after it), which
 * the kernel must refuse; tries to allocate at one of its reservations, which
 * the kernel must refuse; reads a reserved page from user space; releases a
 * reservation with a free; checks its own allocations' contents.  Meanwhile
 * the BPF churn workers allocate at fixed and kernel-chosen addresses all
 * over the arena: a kernel-chosen allocation must never land on a
 * reservation (checked for every allocation).  Sweeps judge reserved pages
 * as free ones and the accounting oracle counts them as no page.
 *
 * A user fault on a reserved page follows the kernel's contract (the kfunc's
 * submission, 8fc3d2d8b501): by default the arena has no
 * BPF_F_SEGV_ON_FAULT, and the fault may allocate a page there (it must be
 * zeroed; an allocation over the range is still refused); when that lazy
 * allocation fails (SIGSEGV), the page must stay reserved.  With
 * --reserve-segv the arena has the flag and the fault must fail with
 * SIGSEGV.  No user thread here touches a page it does not hold itself.
 *
 * Target (6.17 .. 7.x): arena_vm_fault()'s lazy allocation claims the page
 * with range_tree_clear(), which succeeds on a range already in use, and on
 * failure gives it back with range_tree_set(): a failed fault on a reserved
 * page releases it (findings/04).
 */
#include "scenario.h"

#define RESV_SPANS 6	/* allocations + reservations a worker holds at once */

static bool opt_no_fault;	/* --reserve-no-fault */
static bool opt_segv;		/* --reserve-segv */

static uint32_t resv_flags(void)
{
	return opt_segv ? BPF_F_SEGV_ON_FAULT : 0;
}

static void resv_worker(struct as_worker *w)
{
	const struct as_arena *a = as_arena(as_run_of(w));
	/* the user workers share the arena's upper half for their fixed
	 * addresses (the churn workers take any) */
	uint32_t lo = a->npages / 2, span = a->npages - lo;

	if (lo == 0)
		lo = 1, span = a->npages - 1;
	while (as_continue(w)) {
		uint32_t n = as_nowned(w), what;

		/* a draw of its own: with the action's, a worker below
		 * RESV_SPANS would never check a refusal (what < 3) */
		if (n < RESV_SPANS && (n == 0 || as_rand_below(w, 8) < 3)) {
			uint32_t cnt = 1 + as_rand_below(w, 4);
			uint32_t pgoff = lo + as_rand_below(w, span > cnt ? span - cnt + 1 : 1);

			if (pgoff + cnt > a->npages)
				continue;
			if (as_rand_below(w, 2))
				as_reserve(w, pgoff, cnt);
			else
				as_alloc(w, pgoff, cnt);
			continue;
		}
		if (!n)
			continue;
		what = as_rand_below(w, 8);
		uint32_t idx = as_rand_below(w, n);
		struct as_span s = as_owned(w, idx);

		if (s.reserved) {
			if (what < 3)
				as_alloc_over(w, idx);
			else if (what < 6 && !opt_no_fault)
				as_ureserved_read(w, idx, s.pgoff + as_rand_below(w, s.cnt));
			else
				as_free_span(w, idx, s.cnt);	/* releases it */
		} else {
			if (what < 3)
				as_reserve_over(w, idx);
			else if (what < 6)
				as_check_contents(w, s.pgoff + as_rand_below(w, s.cnt), "a user read of its own page");
			else
				as_free_span(w, idx, s.cnt);
		}
	}
	while (as_nowned(w))	/* leave the arena empty */
		as_free_span(w, 0, as_owned(w, 0).cnt);
}

static const struct as_optdef opts[] = {
	AS_SOPT_FLAG("reserve-no-fault", opt_no_fault, 0,
		     "never fault a reserved page from user space"),
	AS_SOPT_FLAG("reserve-segv", opt_segv, 0,
		     "the arena has BPF_F_SEGV_ON_FAULT: a user fault on a reserved page must fail with SIGSEGV "
		     "(without it the fault may allocate the page)"),
	{0},
};

const struct as_scenario as_sc_reserve = {
	.name = "reserve", .reserves = true,
	.summary = "bpf_arena_reserve_pages() under churn: reserved ranges refuse allocations and "
		   "reservations over allocated pages, user faults follow BPF_F_SEGV_ON_FAULT; a free releases them",
	.more_flags = resv_flags,
	.probe = as_probe_reserve, .lead = resv_worker, .user = resv_worker, .opts = opts,
};
