// SPDX-License-Identifier: GPL-2.0
/*
 * contract: what the arena mapping must refuse, checked again and again while
 * BPF allocates and frees.  From kernel/bpf/arena.c (6.9+):
 *   - partial munmap / partial mprotect: arena_vm_may_split() -> -EINVAL
 *   - mremap: arena_vm_mremap() -> -EINVAL
 *   - MAP_PRIVATE: bpf_map_mmap() wants VM_SHARED for arena -> -EINVAL
 *   - a second mapping at another address or of another length -> -EINVAL/-EBUSY
 *   - fork: VM_DONTCOPY, the child must not inherit the arena
 * A kernel that accepts any of these is reported (and the mapping repaired).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scenarios.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The kernel accepted a partial change: put the whole arena back. */
static void repair(struct as_run *r)
{
	munmap(r->base, r->len);
	if (mmap(r->base, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, r->map_fd, 0) !=
	    r->base)
		as_contract(r, 0, "could not map the arena again after a partial change: %s", strerror(errno));
}

static void contract_worker(struct as_worker *w)
{
	struct as_run *r = w->run;

	while (as_continue(w)) {
		uint32_t p = 1 + as_rand_below(w, r->npages - 2);
		char *pa = r->base + (size_t)p * AS_PAGE_SIZE;
		void *m;

		w->ctr[C_CHECK]++;
		switch (as_rand_below(w, 7)) {
		case 0:
			if (munmap(pa, AS_PAGE_SIZE) == 0) {
				as_contract(r, p, "munmap of one page inside the arena succeeded");
				repair(r);
			}
			break;
		case 1:
			if (mprotect(pa, AS_PAGE_SIZE, PROT_READ) == 0) {
				as_contract(r, p, "mprotect of one page inside the arena succeeded");
				mprotect(r->base, r->len, PROT_READ | PROT_WRITE);
			}
			break;
		case 2:
			m = mremap(r->base, r->len, r->len + AS_PAGE_SIZE, MREMAP_MAYMOVE);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "mremap of the arena to %p succeeded", m);
				munmap(m, r->len + AS_PAGE_SIZE);
				repair(r);
			}
			break;
		case 3:
			m = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, r->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a MAP_PRIVATE mapping of the arena succeeded at %p", m);
				munmap(m, r->len);
			}
			break;
		case 4:
			/* --inject contract: map what the kernel rightly allows, to
			 * show this check reports an accepted mapping */
			m = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED |
				 (r->o->inject & AS_INJ_CONTRACT ? MAP_ANONYMOUS : 0),
				 r->o->inject & AS_INJ_CONTRACT ? -1 : r->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a second mapping of the arena at another address (%p) succeeded", m);
				munmap(m, r->len);
			}
			break;
		case 5:
			m = mmap(r->base + r->len + (1UL << 30), r->len / 2, PROT_READ | PROT_WRITE, MAP_SHARED,
				 r->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a half-length mapping of the arena succeeded at %p", m);
				munmap(m, r->len / 2);
			}
			break;
		case 6: {
			pid_t pid = fork();
			int st;

			if (pid == 0) {
				uint64_t v;

				/* VM_DONTCOPY: nothing may be mapped here in the child */
				_exit(as_guarded_read((volatile uint64_t *)pa, &v) ? 0 : 1);
			}
			if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 1)
				as_contract(r, p, "a forked child can read the parent's arena (VM_DONTCOPY not honoured)");
			break;
		}
		}
	}
}

static int start(struct as_run *r)
{
	return as_spawn_std(r, contract_worker, as_fault_worker);
}

const struct as_scenario as_sc_contract = {
	.name = "contract",
	.summary = "partial munmap/mprotect, mremap, MAP_PRIVATE, other mappings, fork must be refused",
	.arena_flags = BPF_F_SEGV_ON_FAULT,
	.start = start,
};
