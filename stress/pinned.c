// SPDX-License-Identifier: GPL-2.0
/*
 * pinned: arena pages registered as io_uring fixed buffers (a long-term GUP
 * pin, FOLL_PIN | FOLL_LONGTERM) while BPF frees and re-allocates them.
 *
 * A pinned page outlives bpf_arena_free_pages(): the pin holds a reference,
 * so after the free the buffer still points at the old page while the
 * address, once re-allocated, is backed by a fresh one.  Each pin worker
 * registers one page (mostly the one a BPF worker announced it frees next),
 * then runs a few READ_FIXED (file or pipe -> buffer: the kernel writes a
 * marker into the pinned page) and WRITE_FIXED (buffer -> file or pipe: the
 * kernel reads the token word) ops, napping between them so frees and
 * re-allocations land in between, and unregisters.
 *
 * Kernel-path oracle (as_kop_*), against the allocation the pin was taken on:
 *  - same allocation throughout: the marker must be what BPF reads, and the
 *    token read through the pin must be BPF's token;
 *  - address re-allocated since the pin: the marker must never appear in
 *    the new allocation, and the old page must not show the new token;
 *  - registering an address the arena had freed must fail (EFAULT).
 * Plus the usual sweeps, zero-on-alloc (a pinned page that went back to the
 * arena would not be zero) and the leak oracle: pinned pages must come back
 * once the buffers are unregistered and the arena is torn down.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <liburing.h>
#include "scenario.h"

struct pin_io {
	struct io_uring ring;
	int file;		/* memfd: READ_FIXED source, WRITE_FIXED sink */
	int pipe[2];
};

/* READ_FIXED: the kernel writes a marker into the pinned page. */
static void pin_write(struct as_worker *w, struct pin_io *io, const struct as_kop *reg, char *buf, bool pipe)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
	struct as_kop k;
	int res;

	as_kop_begin(w, &k, AS_KOP_WRITE, reg->p, as_kslot(w),
		     pipe ? "io_uring READ_FIXED from a pipe into a pinned buffer"
			  : "io_uring READ_FIXED from a file into a pinned buffer");
	as_kop_pinned(&k, reg);
	if (pipe ? write(io->pipe[1], &k.mark, 8) != 8 : pwrite(io->file, &k.mark, 8, 4096) != 8)
		return;
	io_uring_prep_read_fixed(sqe, pipe ? io->pipe[0] : io->file, buf + as_kslot(w), 8, pipe ? 0 : 4096, 0);
	res = as_uring_run1(&io->ring);
	as_kop_end(w, &k, res < 0 ? res : res == 8 ? 0 : -EIO, 0);
}

/* WRITE_FIXED: the kernel reads the token word of the pinned page. */
static void pin_read(struct as_worker *w, struct pin_io *io, const struct as_kop *reg, char *buf, bool pipe)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
	struct as_kop k;
	uint64_t v = 0;
	int res;

	as_kop_begin(w, &k, AS_KOP_READ, reg->p, 0,
		     pipe ? "io_uring WRITE_FIXED from a pinned buffer into a pipe"
			  : "io_uring WRITE_FIXED from a pinned buffer into a file");
	as_kop_pinned(&k, reg);
	io_uring_prep_write_fixed(sqe, pipe ? io->pipe[1] : io->file, buf, 8, 0, 0);
	res = as_uring_run1(&io->ring);
	if (res == 8 && (pipe ? read(io->pipe[0], &v, 8) : pread(io->file, &v, 8, 0)) != 8)
		res = -EIO;
	as_kop_end(w, &k, res < 0 ? res : res == 8 ? 0 : -EIO, v);
}

static void pin_worker(struct as_worker *w)
{
	const struct as_arena *a = as_arena(as_run_of(w));
	struct pin_io io;

	if (io_uring_queue_init(8, &io.ring, 0))
		return;
	io.file = memfd_create("arena-stress-pin", MFD_CLOEXEC);
	if (io.file < 0 || pipe2(io.pipe, O_CLOEXEC) || ftruncate(io.file, 8192)) {
		io_uring_queue_exit(&io.ring);
		return;
	}
	while (as_continue(w)) {
		uint32_t p = as_rand_below(w, 3) ? as_victim(w) : as_hot_pick(w);
		char *buf = as_page_addr(a, p);
		struct iovec iov = {buf, AS_PAGE_SIZE};
		struct as_kop reg;
		int err, rounds;

		if (p >= a->npages)
			continue;
		as_kop_begin(w, &reg, AS_KOP_RESOLVE, p, 0, "io_uring buffer registration (pin_user_pages)");
		err = io_uring_register_buffers(&io.ring, &iov, 1);
		as_kop_end(w, &reg, err, 0);
		if (err)
			continue;	/* a freed page cannot be pinned (EFAULT) */
		as_count(w, C_PIN, 1);
		rounds = 1 + as_rand_below(w, 4);
		while (rounds-- && as_continue(w)) {
			/* let the free (and a re-allocation) land while pinned */
			as_nap(w);
			if (as_rand_below(w, 2))
				pin_write(w, &io, &reg, buf, as_rand_below(w, 4) == 0);
			else
				pin_read(w, &io, &reg, buf, as_rand_below(w, 4) == 0);
		}
		io_uring_unregister_buffers(&io.ring);
	}
	io_uring_queue_exit(&io.ring);
	close(io.file);
	close(io.pipe[0]);
	close(io.pipe[1]);
}

const struct as_scenario as_sc_pinned = {
	.name = "pinned", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "io_uring fixed buffers pin arena pages; READ/WRITE_FIXED while BPF frees and re-allocates",
	.probe = as_probe_io_uring, .lead = pin_worker, .user = pin_worker,
};
