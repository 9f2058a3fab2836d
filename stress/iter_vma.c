// SPDX-License-Identifier: GPL-2.0
/*
 * iter-vma: arena pages allocated and freed by a sleepable task_vma iterator
 * (iter.s/task_vma), which runs its program with the mm's mmap_lock
 * read-held, while other threads of the same process mmap and munmap (each
 * takes that mmap_lock for writing).
 *
 * Target (7.1.5+, "bpf: Take mmap_lock in zap_pages()"): in a sleepable
 * program the verifier picks the sleepable bpf_arena_free_pages(); a free of
 * more than one page, or of one page user space maps (page_ref_count() > 1),
 * calls zap_pages(), which takes mmap_read_lock() of every mm on the arena's
 * VMA list, and the iterator's own mm is on it.  A read lock taken twice
 * works until a writer queues between the two acquisitions: rwsem readers
 * then wait behind the writer, which waits for the first read hold: the
 * iterating thread sleeps in D state for good, the writer with it.  The
 * tool's verdict is then a hang (threads in D state), and the kernel's own
 * hung-task detector names them after its timeout.  Before 7.1.5 zap_pages()
 * took no mmap_lock (and no recursion happens).
 *
 * The lead runs the ops (stress/ctxop.c) through the iterator: allocate,
 * check from user space (which maps the pages), check through the iterator,
 * free through it (1 to 4 pages: the bulk zap, or the single zap of a mapped
 * page), check they fault.  The user workers mmap and munmap an anonymous
 * page in a loop.  May leave the scenario process unkillable: VM only.
 */
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "ctxop.h"

static int iter_probe(const struct as_opts *o, char *why, size_t len)
{
	(void)o;
	return as_ctx_probe(AS_CTX_ITER, why, len);
}

static int iter_setup(struct as_run *r)
{
	/* No thread of this process may take mmap_lock for writing behind the
	 * iterator but the writers themselves (-u 0, the control, has none): so
	 * malloc must not brk or mmap while it runs.  One malloc arena, a heap
	 * that grows in 16 MiB steps and never shrinks, grown now. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	free(malloc(1 << 20));
	return as_ctx_setup(r, AS_CTX_ITER);
}

/* mmap_write_lock() of the process's mm, as often as it can */
static void writer(struct as_worker *w)
{
	while (as_continue(w)) {
		void *p = mmap(NULL, AS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, AS_PAGE_SIZE);
		as_count(w, C_REMAP, 1);
	}
}

const struct as_scenario as_sc_iter_vma = {
	.name = "iter-vma", .unsafe = true, .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "a sleepable task_vma iterator (mmap_lock read-held) allocates and frees arena pages of its own "
		   "process while its other threads mmap and munmap (7.1.5+: the free's zap takes mmap_lock again)",
	.probe = iter_probe, .setup = iter_setup, .lead = as_ctx_worker, .user = writer,
};
