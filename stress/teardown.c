// SPDX-License-Identifier: GPL-2.0
/*
 * teardown: arenas destroyed with their pages still allocated.
 *
 * Every other scenario frees its pages before the arena goes, so destruction
 * (arena_map_free(): the pages still in the kernel mapping are freed with it)
 * frees nothing.  Here the lead worker creates arenas of its own (512 pages,
 * without BPF_F_SEGV_ON_FAULT, mapped at 1 << 45), fills each from user space
 * (every page a lazy fault allocates), and destroys it (munmap, close: the
 * map is freed from a workqueue).  No BPF program holds these maps, so
 * nothing but the arena's own teardown stands between the close and the
 * free.  After a warm-up batch of eight, and then after every eight, what
 * they held must have come back against the baseline taken after the warm-up (as_check_mem_back: the memory cgroup, or
 * the system's free memory where there is none, as in the VM), within the
 * larger of 8 MiB and a quarter of all they held: a leak adds up over the
 * batches, the noise of a system-wide measure and one batch's late frees do
 * not.  The engine's arena, its
 * churn and sweeps run alongside as in every scenario.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "scenario.h"

#define TD_BASE		(1ULL << 45)
#define TD_PAGES	512
#define TD_PER_BATCH	8

static int kept[256], nkept;	/* --inject leak: arenas kept alive (their fds), closed at the end */

/* One arena: created, filled by user faults, destroyed.  0, or -errno. */
static int one_arena(struct as_worker *w)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE, .map_extra = TD_BASE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARENA, "as_teardown", 0, 0, TD_PAGES, &mo), err = 0;
	size_t len = (size_t)TD_PAGES * AS_PAGE_SIZE;
	volatile uint64_t *u;

	if (fd < 0)
		return -errno;
	u = mmap((void *)TD_BASE, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (u == MAP_FAILED) {
		err = -errno;
	} else {
		for (uint32_t p = 0; p < TD_PAGES; p++)
			if (as_guarded_write(&u[p * (AS_PAGE_SIZE / 8)], p + 1)) {	/* a lazy fault each */
				err = -EFAULT;
				break;
			}
		munmap((void *)u, len);
	}
	if (!err && as_injected(as_run_of(w), AS_INJ_LEAK) && nkept < 256)
		kept[nkept++] = fd;	/* test: the arena, and its pages, live on */
	else
		close(fd);
	return err;
}

/* One batch of arenas: 0, or -1 when the run ends or an arena fails. */
static int batch(struct as_worker *w, long long *released)
{
	for (int i = 0; i < TD_PER_BATCH; i++) {
		int err;

		if (!as_continue(w))
			return -1;
		if ((err = one_arena(w))) {
			as_note(as_run_of(w), "a teardown arena could not be created, mapped or filled: %s",
				strerror(-err));
			return -1;
		}
		*released += (long long)TD_PAGES * AS_PAGE_SIZE;
		as_count(w, C_CHILD, 1);
	}
	return 0;
}

static void td_lead(struct as_worker *w)
{
	long long base, released = 0;

	/* a warm-up batch first: on 7.x each arena populates the page tables
	 * of its 4 GiB kernel range, which stay with the vmalloc range and
	 * are used again by later arenas there, not freed */
	if (batch(w, &released))
		return;
	if ((base = as_mem_used()) < 0) {
		as_note(as_run_of(w), "no memory measure (no memcg, no /proc/meminfo): teardown leaks unseen");
		return;
	}
	released = 0;
	/* against that one baseline: a leak adds up over the batches, the
	 * noise of a system-wide measure and one batch's late frees do not */
	while (!batch(w, &released))
		if (as_check_mem_back(w, base, released, as_injected(as_run_of(w), AS_INJ_LEAK)
				      ? "arenas destroyed with their pages allocated [injected: kept open]"
				      : "arenas destroyed with their pages allocated"))
			break;
	while (nkept)
		close(kept[--nkept]);
}

const struct as_scenario as_sc_teardown = {
	.name = "teardown", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "arenas destroyed with their pages still allocated: the memory must come back",
	.lead = td_lead,
};
