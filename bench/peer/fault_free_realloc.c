// SPDX-License-Identifier: GPL-2.0
/*
 * The peer for bench/vm-ttd.sh: the logic of the upstream selftest in flight,
 * arena_race's fault_free_realloc, written again as a stand-alone program
 * (libbpf skeleton, no arena-stress code).  One thread reads the page over
 * and over (each read after a zap is a fresh fault); the main thread runs
 * rounds of "free the page, allocate it again at the same address, write a
 * new marker" (fault_free_realloc.bpf.c) and reads the page after each: a
 * value other than the marker BPF just wrote is a detection (upstream's
 * marker_after_realloc assertion).
 *
 * usage: fault_free_realloc [-d SECONDS] [-r ROUNDS] [-s SEED]
 *   -d  time bound of the rounds (default 2)
 *   -r  round bound, 0 for none (default 1000, upstream's)
 *   -s  only echoed: the logic has no randomness (bench/vm-ttd.sh passes
 *       the seed it gives arena-stress)
 * One line out: "peer fault_free_realloc: found F first_ms T rounds R
 * setup_ms S ..."; first_ms counts from the first round (the reader thread
 * is started just before it).  Exit 1 found, 0 not found, 2 error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fault_free_realloc.skel.h"

static atomic_int stop;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *reader(void *arg)
{
	volatile unsigned long long *p = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		(void)*p;
	return NULL;
}

static int run(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	return err ? err : (int)opts.retval;
}

static int silent(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	double secs = 2, t_begin = now_ms(), t0, t = 0;
	unsigned long rounds = 1000, i;
	unsigned long long v = 0, exp = 0, prev = 0;
	struct fault_free_realloc_bpf *skel;
	volatile unsigned long long *addr;
	const char *seed = "-";
	pthread_t th;
	size_t sz;
	int c, found = 0, err = 0;
	char *base;

	while ((c = getopt(argc, argv, "d:r:s:")) != -1) {
		switch (c) {
		case 'd': secs = atof(optarg); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 's': seed = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-d SECONDS] [-r ROUNDS (0: no bound)] [-s SEED]\n", argv[0]);
			return 2;
		}
	}
	libbpf_set_print(silent);
	skel = fault_free_realloc_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "fault_free_realloc: loading the BPF object failed: %s\n", strerror(errno));
		return 2;
	}
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	if (!base || run(skel->progs.first_alloc)) {
		fprintf(stderr, "fault_free_realloc: no arena mapping, or the first allocation failed\n");
		fault_free_realloc_bpf__destroy(skel);
		return 2;
	}
	addr = (volatile unsigned long long *)(base + getpagesize());
	if (pthread_create(&th, NULL, reader, (void *)addr)) {
		fprintf(stderr, "fault_free_realloc: pthread_create failed\n");
		return 2;
	}
	t0 = now_ms();
	for (i = 0; (!rounds || i < rounds) && now_ms() - t0 < secs * 1e3; i++) {
		if ((err = run(skel->progs.free_realloc)))
			break;
		v = *addr;
		exp = skel->bss->marker;
		if (v != exp) {
			t = now_ms() - t0;
			prev = skel->bss->prev_marker;
			found = 1;
			i++;
			break;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("peer fault_free_realloc: found %d first_ms %.3f rounds %lu setup_ms %.1f run_ms %.1f "
	       "realloc_failed %llu seed %s", found, found ? t : -1.0, i, t0 - t_begin, now_ms() - t0,
	       (unsigned long long)skel->bss->realloc_failed, seed);
	if (found)
		printf(" user %#llx bpf_wrote %#llx (%s)", v, exp,
		       v == prev ? "the freed page's marker: a user PTE left on it" :
		       v == 0 ? "zero" : "another value");
	if (err)
		printf(" error %d", err);
	printf("\n");
	fault_free_realloc_bpf__destroy(skel);
	return err ? 2 : found;
}
