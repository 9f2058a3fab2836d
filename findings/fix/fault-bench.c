// SPDX-License-Identifier: GPL-2.0
/*
 * The arena fault path's cost, for the fix's benchmark (fault-bench.sh):
 * one arena page faulted in lazily (no BPF_F_SEGV_ON_FAULT), then
 * MADV_DONTNEED + a read, over and over on CPU 0: every read is one
 * arena_vm_fault() (the page stays in the arena, so it is the lookup path,
 * plus the fix's rwsem round trip on a patched kernel).  With "free", a
 * second thread on CPU 1 frees other pages of the same arena meanwhile:
 * BPF allocates page k (1..15 in turn), user space maps it with a read, BPF
 * frees it (each free takes the fix's rwsem for writing, flushes and zaps).
 * Prints "faults/s N" (and "frees/s M") for each of ROUNDS rounds of SECS
 * seconds.  Stand-alone: its own BPF object (fault-bench.bpf.c).
 * usage: fault-bench [SECS] [ROUNDS] [free]
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "fault-bench.skel.h"

static struct fault_bench *skel;
static volatile char *base;
static long pgsz;
static atomic_int stop;
static atomic_ulong frees;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int run(struct bpf_program *prog, __u32 page)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	skel->bss->page = page;	/* this thread's only: the faulter runs no BPF */
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -1;
	return o.retval;
}

static void *freer(void *arg)
{
	pin(1);
	for (unsigned int k = 0; !atomic_load(&stop); k++) {
		__u32 page = 1 + k % 15;

		if (run(skel->progs.alloc, page))
			continue;
		(void)base[page * pgsz];	/* mapped: the free zaps it */
		run(skel->progs.release, page);
		atomic_fetch_add(&frees, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2, t0, dt;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	int with_frees = argc > 3 && !strcmp(argv[3], "free");
	pthread_t th;
	size_t sz;

	pgsz = sysconf(_SC_PAGESIZE);
	skel = fault_bench__open_and_load();
	if (!skel) {
		fprintf(stderr, "fault-bench: cannot load its BPF object (root? arena support?)\n");
		return 2;
	}
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	if (!base) {
		fprintf(stderr, "fault-bench: the arena is not mapped\n");
		return 2;
	}
	pin(0);
	(void)base[0];	/* the lazy allocation: from now on every fault finds the page */
	if (with_frees && pthread_create(&th, NULL, freer, NULL)) {
		perror("fault-bench: pthread_create");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		unsigned long n = 0, f0 = atomic_load(&frees);

		t0 = now();
		while (now() - t0 < secs) {
			for (int i = 0; i < 256; i++, n++) {
				madvise((void *)base, pgsz, MADV_DONTNEED);
				(void)base[0];
			}
		}
		dt = now() - t0;
		if (with_frees)
			printf("faults/s %.0f frees/s %.0f\n", n / dt, (atomic_load(&frees) - f0) / dt);
		else
			printf("faults/s %.0f\n", n / dt);
	}
	atomic_store(&stop, 1);
	if (with_frees)
		pthread_join(th, NULL);
	fault_bench__destroy(skel);
	return 0;
}
