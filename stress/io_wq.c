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
 * With --io-wq-munmap (on with --unsafe), the lead worker also munmaps the
 * whole arena and maps it again while ops are in flight (the munmap-remap
 * hazard: zap_pages() without the mmap_lock against page-table teardown on
 * 6.12-6.18); ops that overlap an unmapped window are not judged.
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
#include "scenario.h"

static bool opt_munmap;	/* --io-wq-munmap */

static void uring_rw(struct as_worker *w, struct io_uring *ring, int file, uint32_t p, bool write_to_arena,
		     bool async)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	char *page = as_page_addr(as_arena(as_run_of(w)), p);
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
	res = as_uring_run1(ring);
	if (!write_to_arena && res == 8 && pread(file, &v, 8, 0) != 8)
		res = -EIO;
	as_kop_end(w, &k, res < 0 ? res : res == 8 ? 0 : -EIO, v);
}

static void io_work(struct as_worker *w, bool lead)
{
	const struct as_arena *a = as_arena(as_run_of(w));
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
		uint32_t p = as_rand_below(w, 4) ? as_victim(w) : as_hot_pick(w), what = as_rand_below(w, 16);

		if (p >= a->npages)
			continue;
		if (what < 6) {
			uring_rw(w, &ring, file, p, true, as_rand_below(w, 2));
		} else if (what < 12) {
			uring_rw(w, &ring, file, p, false, as_rand_below(w, 2));
		} else if (what < 15 && have_madv) {
			bool whole = as_rand_below(w, 4) == 0;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_madvise(sqe, whole ? a->base : as_page_addr(a, p),
					      whole ? a->len : AS_PAGE_SIZE, MADV_DONTNEED);
			if (as_rand_below(w, 2))
				sqe->flags |= IOSQE_ASYNC;
			as_uring_run1(&ring);
			as_count(w, C_MADV, 1);
			as_check_contents(w, p, whole ? "IORING_OP_MADVISE(MADV_DONTNEED) of the whole arena"
						      : "IORING_OP_MADVISE(MADV_DONTNEED)");
		} else if (lead && opt_munmap) {
			as_remap(w, true);
			as_check_contents(w, p, "munmap + mmap of the whole arena");
		}
	}
	io_uring_queue_exit(&ring);
	close(file);
}

static void io_lead(struct as_worker *w) { io_work(w, true); }
static void io_worker(struct as_worker *w) { io_work(w, false); }

static const struct as_optdef opts[] = {
	AS_SOPT_FLAG("io-wq-munmap", opt_munmap, AS_OF_BY_UNSAFE,
		     "also munmap + re-mmap the arena while ops are in flight (may crash 6.12-6.18; on with --unsafe)"),
	{0},
};

const struct as_scenario as_sc_io_wq = {
	.name = "io-wq", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "io_uring READ/WRITE/MADVISE on arena addresses (inline and io-wq) race BPF frees; "
		   "with --io-wq-munmap (or --unsafe) also munmap",
	.probe = as_probe_io_uring, .lead = io_lead, .user = io_worker, .opts = opts,
};
