// SPDX-License-Identifier: GPL-2.0
/*
 * munmap-remap: threads munmap the whole arena and map it again at the same
 * address (MAP_FIXED_NOREPLACE) while BPF frees single- and multi-page ranges
 * and other threads fault.
 *
 * UNSAFE: bpf_arena_free_pages() zaps every user VMA on the arena's list
 * without that mm's mmap_lock (fixed upstream in 2026, "bpf: Take mmap_lock
 * in zap_pages()", not in 6.12.117 nor 6.18.44), while munmap's
 * free_pgtables() tears the same page tables down before arena_vm_close()
 * takes the VMA off the list.  That can walk freed page tables: host runs
 * need --unsafe; the tests run it only inside the VM runner.
 *
 * Oracles: a fault into the arena while it is unmapped is expected (caught in
 * its thread); the re-mmap must succeed at the same address; after it the
 * contents persist (as_check_contents) and the coherence sweep must hold.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "scenarios.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void remap_worker(struct as_worker *w)
{
	struct as_run *r = w->run;

	while (as_continue(w)) {
		uint32_t p = as_rand_below(w, 2) ? as_target(w) : as_rand_below(w, r->npages);
		void *m;

		if (munmap(r->base, r->len)) {
			as_contract(r, 0, "munmap of the whole arena failed: %s", strerror(errno));
			continue;
		}
		if (as_rand_below(w, 2))
			as_nap(w);	/* let frees run while nothing is mapped */
		m = mmap(r->base, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, r->map_fd, 0);
		w->ctr[C_REMAP]++;
		if (m != r->base) {
			as_contract(r, 0, "mmap of the arena again at %p after munmap failed: %s", r->base,
				    m == MAP_FAILED ? strerror(errno) : "mapped elsewhere");
			atomic_store(&r->stop, true);	/* nothing to test without it */
			return;
		}
		as_check_contents(w, p, "munmap + mmap of the whole arena");
	}
}

static int start(struct as_run *r)
{
	return as_spawn_std(r, remap_worker, as_fault_worker);
}

const struct as_scenario as_sc_munmap_remap = {
	.name = "munmap-remap",
	.summary = "munmap + re-mmap the whole arena while BPF frees and threads fault",
	.unsafe = true,
	.arena_flags = BPF_F_SEGV_ON_FAULT,
	.start = start,
};
