// SPDX-License-Identifier: GPL-2.0
/* The scenario table: add a scenario by adding its file and one line here. */
#include <errno.h>
#include <string.h>
#include <liburing.h>
#include "scenarios.h"

const struct as_scenario *const as_scenarios[] = {
	&as_sc_fault_free,
	&as_sc_madvise,
	&as_sc_contract,
	&as_sc_munmap_remap,
	&as_sc_multi_process,
	&as_sc_pinned,
	&as_sc_io_wq,
	&as_sc_gup,
	&as_sc_dofork,
	NULL,
};

const struct as_scenario *as_find_scenario(const char *name)
{
	for (int i = 0; as_scenarios[i]; i++)
		if (!strcmp(as_scenarios[i]->name, name))
			return as_scenarios[i];
	return NULL;
}

/* Shared probe of the io_uring scenarios: a ring can be set up here and it
 * knows the ops they use.  Returns 0, or fills why. */
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
