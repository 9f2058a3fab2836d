// SPDX-License-Identifier: GPL-2.0
/*
 * madvise: MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT and whole-arena mprotect
 * racing BPF frees.
 *
 * The arena's contents live in its kernel pages, not in the user PTEs, so
 * after any of these the next access must map the arena's own page again:
 * contents persist (as_check_contents).  A read-only mprotect must make a
 * write fault.  The coherence sweep runs as everywhere.
 */
#include <pthread.h>
#include <sys/mman.h>
#include "scenario.h"

/* one mprotect window at a time: another worker restoring PROT_WRITE in the
 * middle of a check would make the check lie */
static pthread_mutex_t prot_lock = PTHREAD_MUTEX_INITIALIZER;

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static void madvise_worker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	static const struct { int advice; const char *name; } adv[] = {
		{MADV_DONTNEED, "MADV_DONTNEED"}, {MADV_COLD, "MADV_COLD"}, {MADV_PAGEOUT, "MADV_PAGEOUT"},
	};

	while (as_continue(w)) {
		uint32_t what = as_rand_below(w, 16);
		uint32_t p = as_rand_below(w, 2) ? as_victim(w) : as_rand_below(w, a->npages);

		if (what < 12) {		/* one page, or the whole arena */
			int k = as_rand_below(w, 3);
			bool whole = what == 0;
			char name[48];

			madvise(whole ? a->base : as_page_addr(a, p), whole ? a->len : AS_PAGE_SIZE, adv[k].advice);
			as_count(w, C_MADV, 1);
			snprintf(name, sizeof(name), "%s%s", adv[k].name, whole ? " of the whole arena" : "");
			as_check_contents(w, p, name);
		} else if (what < 14) {		/* whole-arena mprotect RO, write must fault */
			uint64_t v;
			int sig;

			pthread_mutex_lock(&prot_lock);
			if (mprotect(a->base, a->len, PROT_READ)) {
				pthread_mutex_unlock(&prot_lock);
				continue;
			}
			as_count(w, C_MPROTECT, 1);
			if (as_page_allocated(r, p)) {
				as_touch(r, p, 1);
				sig = as_guarded_read((volatile uint64_t *)as_page_addr(a, p), &v);
				if (!sig && !as_guarded_write((volatile uint64_t *)(as_page_addr(a, p) + AS_SCRATCH_OFF), 1))
					as_contract(r, p, "a write succeeded through an arena mapping made read-only "
						    "with mprotect(PROT_READ)");
			}
			/* always restore before the next quiesce point */
			if (mprotect(a->base, a->len, PROT_READ | PROT_WRITE))
				as_contract(r, 0, "mprotect back to PROT_READ|PROT_WRITE refused: %m");
			pthread_mutex_unlock(&prot_lock);
			as_check_contents(w, p, "mprotect(PROT_READ) and back");
		} else {
			uint64_t v;

			as_uread(w, p, AS_OFF_TOKEN, &v);
		}
	}
}

const struct as_scenario as_sc_madvise = {
	.name = "madvise", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "MADV_DONTNEED/COLD/PAGEOUT and mprotect of the arena race BPF frees; contents persist",
	.lead = madvise_worker, .user = madvise_worker,
};
