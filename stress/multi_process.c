// SPDX-License-Identifier: GPL-2.0
/*
 * multi-process: a pool of child processes (arena fd inherited) map the arena
 * at the same address, fault and verify pages, then munmap or just exit
 * (exit_mmap) while BPF frees; new children keep replacing them.
 *
 * Every free must zap every process's PTEs.  A child checks its own view with
 * the shared page table: reading the token of an allocation whose free had
 * returned is a stale mapping in that child; an allocated page must read its
 * token.  Nothing may leak once all children are gone (leak oracle).
 *
 * UNSAFE for the same reason as munmap-remap: zap_pages() without the child's
 * mmap_lock against the child's munmap/exit page-table teardown.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scenario.h"

#define POOL 3

/* Runs in the child: no stdio, no malloc (forked from a threaded process). */
static void child(struct as_worker *w, void *arg)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	uint64_t end = as_now_ns() + 1000000ULL * (1 + as_rand_below(w, 20));
	int err;

	(void)arg;
	/* the arena VMA is VM_DONTCOPY: nothing is mapped there in a new
	 * child (msync() fails with ENOMEM on an unmapped range).  A kernel
	 * without it (4fddde2a732d) hands the child the parent's VMA, which
	 * shares the parent's VMA-list entry: said, then replaced by the
	 * child's own mapping so that the scenario still tests what it is for */
	if (!msync(a->base, a->len, MS_ASYNC)) {
		as_report_v(r, V_CONTRACT, 0, "the arena VMA must not be inherited across fork (VM_DONTCOPY)",
			    "the child inherited the arena VMA across fork: the whole arena was mapped in the "
			    "child before it mapped it (no VM_DONTCOPY)");
		if (munmap(a->base, a->len))
			_exit(3);
	}
	if ((err = as_map_again(r))) {
		as_report_v(r, V_CONTRACT, 0, "another process must be able to map the arena at its address",
			    "mmap of the arena at the parent's address in a child failed: %s", strerror(-err));
		_exit(3);
	}
	/* at most 20 ms; the spawner kills those still running at the end */
	while (as_now_ns() < end) {
		uint32_t p = as_rand_below(w, 4) ? as_victim(w) : as_rand_below(w, a->npages);

		if (as_rand_below(w, 2))
			madvise(as_page_addr(a, p), AS_PAGE_SIZE, MADV_DONTNEED);
		/* decided on the spot: no sweep covers children */
		as_child_read(w, p, "stale user PTE in another process: the free did not zap this child's "
			      "mapping (or a fault raced it)");
		as_check_contents(w, p, "a fault in a child process");
	}
	if (as_rand_below(w, 2))
		munmap(a->base, a->len);	/* else: exit_mmap tears it down */
}

static void spawner(struct as_worker *w)
{
	struct as_child pool[POOL] = {0};

	while (as_continue(w)) {
		for (int i = 0; i < POOL; i++)
			if (as_child_reaped(&pool[i]))
				as_child_start(w, &pool[i], child, NULL);
		usleep(200);
	}
	for (int i = 0; i < POOL; i++)
		as_child_kill(&pool[i]);
}

const struct as_scenario as_sc_multi_process = {
	.name = "multi-process", .unsafe = true, .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "child processes map, fault, munmap or exit while BPF frees",
	.lead = spawner, .user = as_fault_worker,
};
