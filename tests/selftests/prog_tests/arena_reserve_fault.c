// SPDX-License-Identifier: GPL-2.0
/*
 * arena_reserve_fault: a user fault on a page reserved with
 * bpf_arena_reserve_pages() whose page allocation fails must leave the page
 * reserved.
 *
 * Without BPF_F_SEGV_ON_FAULT a user fault on a reserved page may populate
 * it.  arena_vm_fault() "claims" the page with range_tree_clear(), which
 * succeeds on a page that is in use already, and when the allocation fails
 * its error path used to range_tree_set() the page: the reservation lost
 * it, and bpf_arena_alloc_pages() could then allocate inside it.
 *
 * The allocation is made to fail for real: the arena map is created in a
 * memory cgroup of its own (the map charges its pages there) and its
 * memory.max is set to its memory.current.  On one CPU, user faults on free
 * pages use up what the cgroup has charged ahead until one fails, and then a
 * reserved page is faulted; if that allocation succeeds after all (allowed),
 * the next reserved page is tried.  The reserved pages have free pages on
 * either side, so giving one back needs no allocation of its own.  The
 * fault allocates with alloc_pages_nolock(), which fail_page_alloc never
 * fails; the memcg charge does.
 */
#define _GNU_SOURCE
#include <test_progs.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include "cgroup_helpers.h"
#include "arena_reserve_fault.skel.h"

#define NR_PAGES	512	/* as in progs/arena_reserve_fault.c */
#define NR_RESV		32	/* reserved pages, one reservation each */
#define RESV_FIRST	(NR_PAGES - 2 * NR_RESV)	/* reserved: every other page from here */
#define CG		"/arena_reserve_fault"
#define NR_TRIES	100	/* allocations at the page after the failed fault */

static struct arena_reserve_fault *skel;
static sigjmp_buf jb;

static void on_segv(int sig)
{
	siglongjmp(jb, 1);
}

/* 1: the write went through, 0: it faulted with SIGSEGV */
static int touch(char *p)
{
	if (sigsetjmp(jb, 1))
		return 0;
	WRITE_ONCE(*(__u64 *)p, 1);
	return 1;
}

static int run(struct bpf_program *prog, __u32 page)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	skel->bss->page = page;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	return err ?: opts.retval;
}

static long long memory_current(int cg_fd)
{
	char buf[32] = {};
	int fd, n;

	fd = openat(cg_fd, "memory.current", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

void serial_test_arena_reserve_fault(void)
{
	struct sigaction sa = {.sa_handler = on_segv}, old_sa;
	int pgsz = getpagesize(), cg_fd = -1, k = 0, r, err, tries;
	bool limited = false, failed = false, restored = false;
	cpu_set_t old_cpus, one;
	char *base, buf[32];
	long long cur;
	size_t sz;

	if (!ASSERT_OK(setup_cgroup_environment(), "setup_cgroup_environment"))
		return;
	cg_fd = create_and_get_cgroup(CG);
	if (!ASSERT_GE(cg_fd, 0, "create_and_get_cgroup"))
		goto out;
	skel = arena_reserve_fault__open();
	if (!ASSERT_OK_PTR(skel, "arena_reserve_fault__open"))
		goto out;
	/* the arena charges its pages to the memcg its creator was in */
	if (!ASSERT_OK(join_cgroup(CG), "join_cgroup"))
		goto out;
	err = arena_reserve_fault__load(skel);
	if (!ASSERT_OK(join_root_cgroup(), "join_root_cgroup") ||
	    !ASSERT_OK(err, "arena_reserve_fault__load"))
		goto out;
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	if (!ASSERT_OK_PTR(base, "arena mapping"))
		goto out;
	/*
	 * Every other page: a page given back next to free ones merges with
	 * them, where a lone one would need a new range tree node, which is
	 * charged to the cgroup at its limit and could fail on its own.
	 */
	for (err = 0, r = RESV_FIRST + 1; r < NR_PAGES && !err; r += 2)
		err = run(skel->progs.reserve, r);
	if (!ASSERT_OK(err, "bpf_arena_reserve_pages"))
		goto out;

	/* on one CPU: the charge a memcg takes ahead is kept per CPU */
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(old_cpus), &old_cpus), "sched_getaffinity"))
		goto out;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(one), &one), "sched_setaffinity"))
		goto out;
	cur = memory_current(cg_fd);
	snprintf(buf, sizeof(buf), "%lld", cur);
	limited = ASSERT_GT(cur, 0, "memory.current") &&
		  ASSERT_OK(write_cgroup_file(CG, "memory.max", buf), "memory.max");
	if (limited) {
		sigaction(SIGSEGV, &sa, &old_sa);
		for (r = NR_PAGES - 1; r > RESV_FIRST; r -= 2) {
			/* free pages until one's allocation is refused */
			while (k < RESV_FIRST && touch(base + (long)k * pgsz))
				k++;
			if (k++ == RESV_FIRST)
				break;
			if (!touch(base + (long)r * pgsz)) {
				failed = true;
				break;
			}
			/* the reserved page's allocation succeeded: allowed, try the next */
		}
		sigaction(SIGSEGV, &old_sa, NULL);
		restored = !write_cgroup_file(CG, "memory.max", "max");
	}
	sched_setaffinity(0, sizeof(old_cpus), &old_cpus);
	if (!limited || !ASSERT_TRUE(restored, "memory.max = max") ||
	    !ASSERT_TRUE(failed, "a user fault on a reserved page fails at memory.max"))
		goto out;
	/*
	 * The failed fault must have left page r reserved.  The allocation
	 * uses kmalloc_nolock() and alloc_pages_nolock(), which can fail for a
	 * while on their own, so a page given back may take more than one try.
	 */
	for (tries = 0; tries < NR_TRIES && run(skel->progs.alloc, r) == 1; tries++)
		;
	if (!ASSERT_EQ(tries, NR_TRIES, "allocation in the reservation refused"))
		printf("%s: reserved page %d allocated (try %d) after a user fault on it failed\n",
		       __func__, r, tries + 1);
out:
	arena_reserve_fault__destroy(skel);
	skel = NULL;
	if (cg_fd >= 0)
		close(cg_fd);
	cleanup_cgroup_environment();
}
