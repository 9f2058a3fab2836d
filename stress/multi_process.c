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
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scenarios.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define POOL 3

/* Runs in the child: no stdio, no malloc (forked from a threaded process). */
static void child(struct as_worker *w)
{
	struct as_run *r = w->run;
	uint64_t end = as_now_ns() + 1000000ULL * (1 + as_rand_below(w, 20));
	uint64_t v;

	if (mmap(r->base, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, r->map_fd, 0) !=
	    r->base) {
		as_contract(r, 0, "a child could not map the arena at the parent's address");
		_exit(3);
	}
	while (as_now_ns() < end && !atomic_load(&r->stop)) {
		uint32_t p = as_rand_below(w, 4) ? as_target(w) : as_rand_below(w, r->npages);

		if (as_rand_below(w, 2))
			madvise(r->base + (size_t)p * AS_PAGE_SIZE, AS_PAGE_SIZE, MADV_DONTNEED);
		/* a stale read decided on the spot (no sweep covers children) */
		{
			uint32_t s0 = atomic_load(&r->pages[p].state);
			int sig = as_guarded_read((volatile uint64_t *)(r->base + (size_t)p * AS_PAGE_SIZE), &v);

			if (!sig && as_read_was_stale(r, p, s0, v))
				as_report_v(r, V_STALE_FREE, p, "stale user PTE in another process: the free "
					    "did not zap this child's mapping (or a fault raced it)",
					    "child %d reads token %#lx of an allocation whose free had returned",
					    getpid(), (unsigned long)v);
		}
		as_check_contents(w, p, "a fault in a child process");
	}
	if (as_rand_below(w, 2))
		munmap(r->base, r->len);	/* else: exit_mmap tears it down */
	_exit(0);
}

static void spawner(struct as_worker *w)
{
	pid_t pids[POOL] = {0};
	int st;

	while (as_continue(w)) {
		for (int i = 0; i < POOL; i++) {
			if (pids[i] && waitpid(pids[i], &st, WNOHANG) == pids[i])
				pids[i] = 0;
			if (!pids[i]) {
				pids[i] = fork();
				if (pids[i] == 0)
					child(w);
				if (pids[i] < 0)
					pids[i] = 0;
				else
					w->ctr[C_CHILD]++;
			}
		}
		usleep(200);
	}
	for (int i = 0; i < POOL; i++)
		if (pids[i]) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &st, 0);
		}
}

static int start(struct as_run *r)
{
	return as_spawn_std(r, spawner, as_fault_worker);
}

const struct as_scenario as_sc_multi_process = {
	.name = "multi-process",
	.summary = "child processes map, fault, munmap or exit while BPF frees",
	.unsafe = true,
	.arena_flags = BPF_F_SEGV_ON_FAULT,
	.start = start,
};
