// SPDX-License-Identifier: GPL-2.0
/*
 * contract: what the arena mapping must refuse, checked again and again while
 * BPF allocates and frees.  From kernel/bpf/arena.c (6.9+):
 *   - partial munmap / partial mprotect: arena_vm_may_split() -> -EINVAL
 *   - mremap: growing is refused by mremap itself (VM_DONTEXPAND); a move
 *     of the same size reaches arena_vm_mremap() -> -EINVAL
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
#include "scenario.h"

/* The kernel accepted a partial change: put the whole arena back. */
static void repair(struct as_run *r)
{
	int err;

	munmap(as_arena(r)->base, as_arena(r)->len);
	if ((err = as_map_again(r)))
		as_contract(r, 0, "could not map the arena again after a partial change: %s", strerror(-err));
}

static void contract_worker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	bool inject = as_injected(r, AS_INJ_CONTRACT);

	while (as_continue(w)) {
		uint32_t p = 1 + as_rand_below(w, a->npages - 2);
		char *pa = as_page_addr(a, p);
		void *m;

		as_count(w, C_CHECK, 1);
		switch (as_rand_below(w, 8)) {
		case 0:
			if (munmap(pa, AS_PAGE_SIZE) == 0) {
				as_contract(r, p, "the kernel split the arena VMA: munmap of one page inside it "
					    "succeeded");
				repair(r);
			}
			break;
		case 1:
			if (mprotect(pa, AS_PAGE_SIZE, PROT_READ) == 0) {
				as_contract(r, p, "the kernel split the arena VMA: mprotect of one page inside it "
					    "succeeded");
				/* the pieces stay split (mm merges no VMA with a
				 * .close away) and frees zap only the one on the
				 * arena's VMA list: put the whole arena back */
				repair(r);
			}
			break;
		case 2:
			m = mremap(a->base, a->len, a->len + AS_PAGE_SIZE, MREMAP_MAYMOVE);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "the kernel grew the arena VMA: mremap to %p, one page longer, "
					    "succeeded", m);
				munmap(m, a->len + AS_PAGE_SIZE);
				repair(r);
			}
			break;
		case 3:
			m = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, a->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a MAP_PRIVATE mapping of the arena succeeded at %p", m);
				munmap(m, a->len);
			}
			break;
		case 4:
			/* --inject contract: map what the kernel rightly allows, to
			 * show this check reports an accepted mapping */
			m = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_SHARED | (inject ? MAP_ANONYMOUS : 0),
				 inject ? -1 : a->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a second mapping of the arena at another address (%p) succeeded", m);
				munmap(m, a->len);
			}
			break;
		case 5:
			m = mmap(a->base + a->len + (1UL << 30), a->len / 2, PROT_READ | PROT_WRITE, MAP_SHARED,
				 a->map_fd, 0);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "a half-length mapping of the arena succeeded at %p", m);
				munmap(m, a->len / 2);
			}
			break;
		case 7: {
			/* a move of the same size: only arena_vm_mremap() refuses it
			 * (mremap refuses growing a VM_DONTEXPAND mapping itself) */
			void *to = mmap(NULL, a->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (to == MAP_FAILED)
				break;
			m = mremap(a->base, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
			if (m != MAP_FAILED) {
				as_contract(r, 0, "the kernel moved the arena VMA: mremap of the whole arena to "
					    "%p succeeded", m);
				munmap(m, a->len);
				repair(r);
			} else {
				munmap(to, a->len);
			}
			break;
		}
		case 6: {
			pid_t pid = fork();
			int st;

			/* VM_DONTCOPY: nothing may be mapped at the arena in the
			 * child.  msync() fails with ENOMEM on an unmapped range
			 * and, MS_ASYNC, does nothing else: whether the child has
			 * the VMA, whatever its pages */
			if (pid == 0)
				_exit(msync(a->base, a->len, MS_ASYNC) ? 0 : 1);
			if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 1)
				as_report_v(r, V_CONTRACT, 0, "the arena VMA must not be inherited across fork "
					    "(VM_DONTCOPY)", "the forked child inherited the arena VMA across fork: the "
					    "whole arena was mapped in the child (no VM_DONTCOPY)");
			break;
		}
		}
	}
}

const struct as_scenario as_sc_contract = {
	.name = "contract", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "partial munmap/mprotect, mremap, MAP_PRIVATE, other mappings, fork must be refused",
	.lead = contract_worker, .user = as_fault_worker,
};
