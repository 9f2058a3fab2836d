// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: a user fault on a bpf_arena_reserve_pages() reservation whose
 * lazy allocation fails gives the reserved page back to the allocator.
 *
 * Deliberately stand-alone: it shares no code with arena-stress.
 *
 * The contract (the kfunc's submission, 8fc3d2d8b501, 6.17): reserved
 * regions "can also be allocated from userspace through minor faults.  It is
 * up to the user to prevent erroneous frees and/or use the
 * BPF_F_SEGV_ON_FAULT flag to catch stray userspace accesses."  So a user
 * fault there may map a page.  What it must not do is release the
 * reservation, and arena_vm_fault() does when its allocation fails:
 *
 *   BPF                                  user space
 *   bpf_arena_reserve_pages(R, 1) = 0
 *                                        *(u64 *)R = M     (arena memcg full)
 *                                        arena_vm_fault()
 *                                          vmalloc_to_page(R) == NULL
 *                                          range_tree_clear(R) == 0: a range
 *                                          already in use clears "fine"
 *                                          bpf_map_alloc_pages() fails
 *                                          range_tree_set(R): R is free now
 *                                        SIGSEGV
 *   bpf_arena_alloc_pages(R, 1) = R      inside the reservation
 *
 * The allocation is made to fail for real, not injected: the arena map is
 * created in a memory cgroup of its own (the map charges its pages there),
 * the process moves back out, and the cgroup's memory.max is set to what it
 * uses.  User faults on free pages then drain what the cgroup has charged
 * ahead on this CPU (and what deferred frees give back) until one fails, and
 * then R is faulted; when its allocation succeeds after all (allowed), the
 * next reserved page is tried, up to NRESV of them.  The 7.x fault
 * allocates with alloc_pages_nolock(), which fail_page_alloc never fails
 * (ALLOC_NOLOCK skips should_fail_alloc_page()); the memcg charge does.
 *
 * Deterministic: no race.  Exit 1: reproduced (the evidence is printed),
 * 0: the reservation held, 2: set-up error or inconclusive.
 * usage: ./repro   (root, cgroup v2 with the memory controller; x86-64)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

#define NPAGES 512	/* as in repro.bpf.c */
#define NRESV 32	/* reserved: the last NRESV pages, one reservation each */
#define PG 4096
#define CG "/sys/fs/cgroup"

enum { OP_RESERVE, OP_ALLOC, OP_PEEK };
struct ctx { __u32 op, page; __u64 val; __s64 ret; };

static char cg[128];
static struct repro_bpf *skel;
static sigjmp_buf jb;
static void on_segv(int sig) { siglongjmp(jb, 1); }

static int op(int prog, __u32 what, __u32 page, __u64 *val)
{
	struct ctx c = {.op = what, .page = page};
	/* a syscall program's context is copied back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &c, .ctx_size_in = sizeof(c));

	if (bpf_prog_test_run_opts(prog, &t))
		return -1;
	if (val)
		*val = c.val;
	return (int)c.ret;
}

static int put(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long long get(const char *dir, const char *file)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (f && fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static void cleanup(void)
{
	repro_bpf__destroy(skel);
	if (cg[0]) {
		put(cg, "memory.max", "max");
		rmdir(cg);	/* no task in it: its charges do not keep it */
	}
}

/* 1: the write went through, 0: SIGSEGV */
static int touch(volatile __u64 *p, __u64 v)
{
	if (sigsetjmp(jb, 1))
		return 0;
	*p = v;
	return 1;
}

int main(void)
{
	char pid[32];
	char *base;
	long long cur;
	cpu_set_t one;
	__u64 seen = 0;
	int prog, ret, k, R;

	/* cgroup v2 with the memory controller for the arena's own cgroup */
	if (get(CG, "cgroup.procs") < 0 && mount("none", CG, "cgroup2", 0, NULL) && errno != EBUSY) {
		perror("repro: mount cgroup2 on " CG);
		return 2;
	}
	put(CG, "cgroup.subtree_control", "+memory");
	snprintf(cg, sizeof(cg), CG "/arena-repro-%d", getpid());
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (mkdir(cg, 0755) || put(cg, "cgroup.procs", pid)) {
		fprintf(stderr, "repro: cannot make and join %s (root? cgroup v2 memory controller?)\n", cg);
		return 2;
	}
	atexit(cleanup);
	skel = repro_bpf__open_and_load();	/* the map is charged to cg from now on */
	put(CG, "cgroup.procs", pid);		/* and the process leaves it */
	if (!skel) {
		fprintf(stderr, "repro: cannot load the BPF program (root? a kernel with bpf_arena_reserve_pages?)\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.run);
	base = (char *)bpf_map__initial_value(skel->maps.arena, &(size_t){0});
	if (!base) {
		fprintf(stderr, "repro: the arena is not mapped\n");
		return 2;
	}
	for (int i = 0; i < NRESV; i++) {
		ret = op(prog, OP_RESERVE, NPAGES - 1 - i, NULL);
		if (ret) {
			fprintf(stderr, "repro: bpf_arena_reserve_pages() of page %d failed: %d\n", NPAGES - 1 - i, ret);
			return 2;
		}
	}
	/* one CPU: what the cgroup charged ahead is kept per CPU */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	cur = get(cg, "memory.current");
	snprintf(pid, sizeof(pid), "%lld", cur);
	if (cur <= 0 || put(cg, "memory.max", pid)) {
		fprintf(stderr, "repro: cannot set %s/memory.max to %lld\n", cg, cur);
		return 2;
	}
	signal(SIGSEGV, on_segv);
	for (k = 0, R = NPAGES - 1; R >= NPAGES - NRESV; R--) {
		int k0 = k;

		for (; k < NPAGES - NRESV && touch((volatile __u64 *)(base + (size_t)k * PG), 1); k++)
			;
		if (k == NPAGES - NRESV) {
			fprintf(stderr, "repro: inconclusive: user faults on free pages %d..%d all succeeded under "
				"memory.max = %lld; no allocation failed\n", k0, k - 1, cur);
			return 2;
		}
		printf("memory.max = %lld: user faults on free pages %d..%d mapped pages, page %d's failed "
		       "(SIGSEGV: the arena's allocation was refused)\n", cur, k0, k - 1, k);
		k++;
		if (!touch((volatile __u64 *)(base + (size_t)R * PG), 0x5eedfacecafef00dULL))
			break;
		printf("user write to reserved page %d mapped a page (allowed; its allocation did not fail): "
		       "the next one\n", R);
	}
	if (R < NPAGES - NRESV) {
		fprintf(stderr, "repro: inconclusive: no user fault on the %d reserved pages failed\n", NRESV);
		return 2;
	}
	signal(SIGSEGV, SIG_DFL);
	printf("user write to reserved page %d: SIGSEGV (its lazy allocation failed too)\n", R);
	put(cg, "memory.max", "max");
	ret = op(prog, OP_ALLOC, R, NULL);
	op(prog, OP_PEEK, R, &seen);
	if (ret) {
		printf("not reproduced: bpf_arena_alloc_pages() at reserved page %d is refused: the failed "
		       "fault left the reservation whole\n", R);
		return 0;
	}
	printf("REPRODUCED: bpf_arena_alloc_pages() at page %d, which BPF reserved, succeeded after a "
	       "user fault there failed:\n"
	       "  the fault's error path (range_tree_set()) gave the reserved page back to the allocator;\n"
	       "  BPF reads %#llx there, a fresh allocation inside the reservation\n",
	       R, (unsigned long long)seen);
	return 1;
}
