// SPDX-License-Identifier: GPL-2.0
/*
 * dofork: madvise(MADV_DOFORK) on the arena, then fork, while BPF frees.
 *
 * The arena VMA carries VM_DONTCOPY so that a child never inherits it: the
 * arena tracks user mappings on a list of its own (one vma_list entry per
 * mmap) and zaps only those on a free.  MADV_DOFORK clears VM_DONTCOPY
 * (6.12 - 6.18 allow it).  A forked child then inherits the VMA, but
 * arena_vm_open() only takes another reference on the parent's list entry:
 * the child's VMA is on no list, so frees never zap the child's PTEs and the
 * child keeps reading pages the arena freed.  When the parent then unmaps,
 * the entry stays (the child holds a reference) and points at the parent's
 * freed VMA, which the next multi-page free zaps: a use-after-free (KASAN
 * "slab-use-after-free in zap_page_range_single" on 6.12).
 *
 * Oracles: the kernel accepting MADV_DOFORK on the arena is a contract
 * violation (reported once); a child reading the token of an allocation
 * whose free had returned is a stale mapping (V_STALE_FREE); the kernel
 * watch catches the use-after-free where KASAN or page checks are on.
 *
 * UNSAFE: the parent munmaps and maps the arena again while a child holds
 * the inherited VMA, which sets up the use-after-free.  Host runs need
 * --unsafe; the tests run it in the VM.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scenario.h"

/* Runs in the child: no stdio, no malloc. */
static void child(struct as_worker *w, void *arg)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	uint64_t end = as_now_ns() + 1000000ULL * (5 + as_rand_below(w, 30));

	(void)arg;
	while (as_now_ns() < end)
		as_child_read(w, as_rand_below(w, 4) ? as_victim(w) : as_rand_below(w, a->npages),
			      "a child that inherited the arena through MADV_DOFORK keeps a PTE the free did "
			      "not zap: its VMA is on none of the arena's lists");
}

static void forker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	struct as_child c = {0};
	bool reported = false;

	while (as_continue(w)) {
		if (as_child_reaped(&c)) {
			as_count(w, C_CHECK, 1);
			if (madvise(a->base, a->len, MADV_DOFORK)) {
				/* the fixed behaviour: the arena refuses to be inherited */
				as_note(r, "the kernel refuses MADV_DOFORK on the arena (%s): nothing to inherit",
					strerror(errno));
				reported = true;
				usleep(1000);
				continue;
			}
			if (!reported)
				as_contract(r, 0, "madvise(MADV_DOFORK) on the arena succeeded: VM_DONTCOPY cleared, "
					    "a forked child inherits the arena VMA");
			reported = true;
			as_child_start(w, &c, child, NULL);
			madvise(a->base, a->len, MADV_DONTFORK);	/* other forks must not inherit it */
		} else if (as_rand_below(w, 4) == 0) {
			/* unmap while the child holds the inherited VMA: the arena's
			 * list entry then points at a freed VMA */
			as_remap(w, false);
		}
		usleep(500);
	}
	as_child_kill(&c);
}

const struct as_scenario as_sc_dofork = {
	.name = "dofork", .unsafe = true, .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "MADV_DOFORK + fork: a child inherits the arena VMA that frees never zap",
	.lead = forker, .user = as_fault_worker,
};
