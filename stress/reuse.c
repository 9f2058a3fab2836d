// SPDX-License-Identifier: GPL-2.0
/*
 * reuse: a free on one CPU while another CPU re-allocates the same addresses
 * and uses them.
 *
 * Target (7.x): bpf_arena_free_pages() releases the range under the arena's
 * spinlock, then, unlocked, flushes the kernel TLB (flush_tlb_kernel_range())
 * and zaps user space; arena_free_worker() (deferred frees) does the same.
 * An allocation on another CPU can take the range in between, while that
 * CPU may still hold a translation of the address to the old page: BPF there
 * then reads the old page's data as the new allocation's (zero-on-alloc sees
 * a dirty page) and writes into the old page, which the free then returns to
 * the page allocator (the new page reads back as zero).
 *
 * Every user worker (spread over the CPUs) runs BPF ops itself: it keeps two
 * allocations at kernel-chosen addresses (so the kernel hands out a range as
 * soon as a free on another CPU releases it), announces the page it frees
 * next, and reads the page other workers announced through BPF first (which
 * loads it into its CPU's TLB).  After each allocation it checks the fresh
 * pages from its own CPU: zero-on-alloc (in the allocation), BPF reads its
 * own token back (as_check_bpf_token), user space reads it too
 * (as_check_contents).  On 7.x a third of the frees are deferred.
 */
#include "scenario.h"

static void reuse_worker(struct as_worker *w)
{
	const struct as_arena *a = as_arena(as_run_of(w));

	while (as_continue(w)) {
		uint32_t n = as_nowned(w), v = as_victim(w);

		if (v < a->npages)	/* another worker's next free: into this CPU's TLB */
			as_check_bpf_token(w, v);
		if (n < 2) {
			if (as_alloc(w, AS_ANY_PGOFF, 1 + as_rand_below(w, 4)))
				continue;
			struct as_span s = as_owned(w, as_nowned(w) - 1);

			for (uint32_t i = 0; i < s.cnt; i++) {
				as_check_bpf_token(w, s.pgoff + i);
				as_check_contents(w, s.pgoff + i, "an allocation at a kernel-chosen address");
			}
		} else {
			uint32_t idx = as_rand_below(w, n);
			struct as_span s = as_owned(w, idx);

			as_announce_victim(w, s.pgoff);
			as_check_bpf_token(w, s.pgoff);
			if (as_have_deferred(as_run_of(w)) && !as_rand_below(w, 3))
				as_free_span_deferred(w, idx, s.cnt);
			else
				as_free_span(w, idx, s.cnt);
		}
	}
	while (as_nowned(w))	/* leave the arena empty */
		as_free_span(w, 0, as_owned(w, 0).cnt);
}

const struct as_scenario as_sc_reuse = {
	.name = "reuse", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "a free on one CPU while another re-allocates the same addresses at once and uses them "
		   "(the range is released before the kernel TLB flush)",
	.lead = reuse_worker, .user = reuse_worker,
};
