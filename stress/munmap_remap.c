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
#include "scenario.h"

static void remap_worker(struct as_worker *w)
{
	const struct as_arena *a = as_arena(as_run_of(w));

	while (as_continue(w)) {
		uint32_t p = as_rand_below(w, 2) ? as_victim(w) : as_rand_below(w, a->npages);

		/* half the time with a nap: frees run while nothing is mapped */
		if (as_remap(w, as_rand_below(w, 2)))
			return;
		as_check_contents(w, p, "munmap + mmap of the whole arena");
	}
}

const struct as_scenario as_sc_munmap_remap = {
	.name = "munmap-remap", .unsafe = true, .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "munmap + re-mmap the whole arena while BPF frees and threads fault",
	.lead = remap_worker, .user = as_fault_worker,
};
