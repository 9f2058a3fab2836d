// SPDX-License-Identifier: GPL-2.0
/* io_uring helpers of the io_uring scenarios (pinned, io-wq). */
#include <errno.h>
#include <string.h>
#include <liburing.h>
#include "scenario.h"

int as_uring_run1(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* A ring can be set up here and it knows the ops the scenarios use. */
int as_probe_io_uring(const struct as_opts *o, char *why, size_t len)
{
	static const struct { int op; const char *name; } need[] = {
		{IORING_OP_READ_FIXED, "READ_FIXED"}, {IORING_OP_WRITE_FIXED, "WRITE_FIXED"},
		{IORING_OP_READ, "READ"}, {IORING_OP_WRITE, "WRITE"},
	};
	struct io_uring_probe *pr;
	struct io_uring ring;
	long disabled = as_read_long("/proc/sys/kernel/io_uring_disabled");
	int err;

	(void)o;
	if (disabled == 2) {
		snprintf(why, len, "io_uring is disabled on this machine (sysctl kernel.io_uring_disabled=2)");
		return -1;
	}
	err = io_uring_queue_init(4, &ring, 0);
	if (err) {
		snprintf(why, len, "cannot set up an io_uring: %s%s", strerror(-err),
			 err == -ENOSYS ? " (kernel built without CONFIG_IO_URING)"
			 : err == -EPERM ? " (io_uring_disabled sysctl, seccomp or an LSM refuses it)" : "");
		return -1;
	}
	pr = io_uring_get_probe_ring(&ring);
	for (size_t i = 0; pr && i < sizeof(need) / sizeof(need[0]); i++)
		if (!io_uring_opcode_supported(pr, need[i].op)) {
			snprintf(why, len, "this kernel's io_uring has no IORING_OP_%s", need[i].name);
			io_uring_free_probe(pr);
			io_uring_queue_exit(&ring);
			return -1;
		}
	if (pr)
		io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
	return 0;
}
