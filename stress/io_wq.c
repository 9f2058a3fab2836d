// SPDX-License-Identifier: GPL-2.0
/*
 * io-wq: io_uring ops on plain (unregistered) arena addresses while BPF frees
 * and re-allocates the pages behind them.
 *
 * IORING_OP_READ into an arena page makes the kernel write to it,
 * IORING_OP_WRITE from one makes it read it, each through copy_to_user /
 * copy_from_user in the submitting task or, with IOSQE_ASYNC, in an io-wq
 * worker thread: a kernel thread sharing the process's mm that takes the
 * arena fault itself.  IORING_OP_MADVISE(MADV_DONTNEED) drops PTEs from
 * io-wq as well, after which the contents must persist.
 *
 * With --unsafe, one worker also munmaps the whole arena and maps it again
 * while ops are in flight (the munmap-remap hazard: zap_pages() without the
 * mmap_lock against page-table teardown on 6.12-6.18); ops that overlap an
 * unmapped window are not judged.
 *
 * Kernel-path oracle (as_kop_*): with the allocation unchanged around an op,
 * the marker READ wrote must be what BPF reads, and the word WRITE read must
 * be BPF's token; an op on a page that stayed free must fail (EFAULT with
 * BPF_F_SEGV_ON_FAULT).  Plus sweeps, zero-on-alloc and the leak oracle.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <liburing.h>
#include "scenarios.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int ring_run(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static void uring_rw(struct as_worker *w, struct io_uring *ring, int file, uint32_t p, bool write_to_arena,
		     bool async)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	char *page = w->run->base + (size_t)p * AS_PAGE_SIZE;
	struct as_kop k;
	uint64_t v = 0;
	int res;

	if (write_to_arena) {
		as_kop_begin(w, &k, AS_KOP_WRITE, p, as_kslot(w), async
			     ? "IORING_OP_READ into the arena, from an io-wq worker (IOSQE_ASYNC)"
			     : "IORING_OP_READ into the arena, inline");
		if (pwrite(file, &k.mark, 8, 4096) != 8)
			return;
		io_uring_prep_read(sqe, file, page + as_kslot(w), 8, 4096);
	} else {
		as_kop_begin(w, &k, AS_KOP_READ, p, 0, async
			     ? "IORING_OP_WRITE from the arena, from an io-wq worker (IOSQE_ASYNC)"
			     : "IORING_OP_WRITE from the arena, inline");
		io_uring_prep_write(sqe, file, page, 8, 0);
	}
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	res = ring_run(ring);
	if (!write_to_arena && res == 8 && pread(file, &v, 8, 0) != 8)
		res = -EIO;
	as_kop_end(w, &k, res < 0 ? res : res == 8 ? 0 : -EIO, v);
}

static void remap(struct as_worker *w)
{
	struct as_run *r = w->run;

	atomic_fetch_add(&r->mapgen, 1);	/* odd: unmapped */
	if (munmap(r->base, r->len)) {
		atomic_fetch_add(&r->mapgen, 1);
		return;
	}
	as_nap(w);
	if (mmap(r->base, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, r->map_fd, 0) != r->base) {
		as_contract(r, 0, "mmap of the arena again at %p after munmap failed: %m", r->base);
		atomic_store(&r->stop, true);
	}
	atomic_fetch_add(&r->mapgen, 1);
	w->ctr[C_REMAP]++;
}

static void io_worker(struct as_worker *w)
{
	struct as_run *r = w->run;
	bool lead = w->id == r->o->bpf_threads;	/* the first user worker */
	struct io_uring_probe *pr;
	struct io_uring ring;
	bool have_madv;
	int file;

	if (io_uring_queue_init(8, &ring, 0))
		return;
	pr = io_uring_get_probe_ring(&ring);
	have_madv = pr && io_uring_opcode_supported(pr, IORING_OP_MADVISE);
	if (pr)
		io_uring_free_probe(pr);
	file = memfd_create("arena-stress-io-wq", MFD_CLOEXEC);
	if (file < 0 || ftruncate(file, 8192)) {
		io_uring_queue_exit(&ring);
		return;
	}
	while (as_continue(w)) {
		uint32_t p = as_rand_below(w, 4) ? as_target(w) : as_hot_pick(w), what = as_rand_below(w, 16);

		if (p >= r->npages)
			continue;
		if (what < 6) {
			uring_rw(w, &ring, file, p, true, as_rand_below(w, 2));
		} else if (what < 12) {
			uring_rw(w, &ring, file, p, false, as_rand_below(w, 2));
		} else if (what < 15 && have_madv) {
			bool whole = as_rand_below(w, 4) == 0;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_madvise(sqe, whole ? r->base : r->base + (size_t)p * AS_PAGE_SIZE,
					      whole ? r->len : AS_PAGE_SIZE, MADV_DONTNEED);
			if (as_rand_below(w, 2))
				sqe->flags |= IOSQE_ASYNC;
			ring_run(&ring);
			w->ctr[C_MADV]++;
			as_check_contents(w, p, whole ? "IORING_OP_MADVISE(MADV_DONTNEED) of the whole arena"
						      : "IORING_OP_MADVISE(MADV_DONTNEED)");
		} else if (lead && r->o->unsafe) {
			remap(w);
			as_check_contents(w, p, "munmap + mmap of the whole arena");
		}
	}
	io_uring_queue_exit(&ring);
	close(file);
}

static int start(struct as_run *r)
{
	return as_spawn_std(r, io_worker, io_worker);
}

const struct as_scenario as_sc_io_wq = {
	.name = "io-wq",
	.summary = "io_uring READ/WRITE/MADVISE on arena addresses (inline and io-wq) race BPF frees; "
		   "with --unsafe also munmap",
	.arena_flags = BPF_F_SEGV_ON_FAULT,
	.probe = as_probe_io_uring,
	.start = start,
};
