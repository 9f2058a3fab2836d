// SPDX-License-Identifier: GPL-2.0
/*
 * The peer for bench/vm-ttd.sh (finding 5's class): the logic of the
 * upstream selftest in flight, arena_race's free_before_flush, written again
 * as a stand-alone program.  Each round: allocate the page, free it from a
 * second thread while free_before_flush.bpf.c holds that free at its kernel
 * TLB flush, try to allocate the address again from this thread, let the
 * free go.  An allocation that succeeds while the free is in the hold is a
 * detection: the range was given back before its flush (upstream's
 * realloc_before_flush assertion).  A hold that timed out says the free kept
 * a lock across its flush (the allocation waited for it): no verdict, the
 * next round.
 *
 * usage: free_before_flush [-d SECONDS] [-r ROUNDS] [-s SEED]  (as
 * fault_free_realloc; -r 0: no round bound, default 1000)
 * One line out: "peer free_before_flush: found F first_ms T rounds R
 * setup_ms S ...", first_ms from the first round.  Exit 1 found, 0 not
 * found, 2 error (no fentry on flush_tlb_kernel_range here, say).
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
#include "free_before_flush.skel.h"

static struct free_before_flush_bpf *skel;
static atomic_int freed;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	return err ? err : (int)opts.retval;
}

static void *freer(void *arg)
{
	run(skel->progs.free_page);
	atomic_store(&freed, 1);
	return NULL;
}

static int silent(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	double secs = 2, t_begin = now_ms(), t0, t = 0;
	unsigned long rounds = 1000, i, held = 0, timeouts = 0;
	const char *seed = "-";
	int c, found = 0, err = 0;

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
	skel = free_before_flush_bpf__open_and_load();
	if (!skel || free_before_flush_bpf__attach(skel)) {
		fprintf(stderr, "free_before_flush: loading or attaching the BPF object failed: %s\n", strerror(errno));
		return 2;
	}
	t0 = now_ms();
	for (i = 0; (!rounds || i < rounds) && now_ms() - t0 < secs * 1e3 && !found; i++) {
		pthread_t th;
		double dl;

		if ((err = run(skel->progs.alloc_page)))
			break;
		skel->bss->flush_entered = skel->bss->release = skel->bss->timed_out = 0;
		skel->bss->realloc_ok = skel->bss->during_hold = skel->bss->in_hold = 0;
		/* not the last round's thread (still exiting: its flushes are
		 * not this free's): free_page names the new one */
		skel->bss->target_tid = 0;
		skel->bss->hold = 1;
		atomic_store(&freed, 0);
		if ((err = pthread_create(&th, NULL, freer, NULL)))
			break;
		/* until the free is held at its flush, or has returned (a kernel
		 * whose free does not flush there: the hold never came) */
		for (dl = now_ms() + 5000; !skel->bss->flush_entered && !atomic_load(&freed) && now_ms() < dl; )
			;
		if (skel->bss->flush_entered && !atomic_load(&freed)) {
			held++;
			run(skel->progs.try_realloc);
			/* a verdict only while the free was still held */
			if (skel->bss->realloc_ok && skel->bss->during_hold && !skel->bss->timed_out) {
				t = now_ms() - t0;
				found = 1;
			}
		}
		skel->bss->release = 1;
		pthread_join(th, NULL);
		timeouts += skel->bss->timed_out;
		skel->bss->hold = 0;
		/* leave the page free for the next round's allocation */
		if (skel->bss->realloc_ok) {
			skel->bss->hold = 0;
			run(skel->progs.free_page);
		}
	}
	printf("peer free_before_flush: found %d first_ms %.3f rounds %lu setup_ms %.1f run_ms %.1f held %lu "
	       "timeouts %lu last_hold_ms %.3f seed %s%s\n", found, found ? t : -1.0, i, t0 - t_begin, now_ms() - t0,
	       held, timeouts, skel->bss->held_ns / 1e6, seed, found ? " (an allocation got the address while its free was held at the TLB flush)" : "");
	if (err)
		printf("error %d\n", err);
	free_before_flush_bpf__destroy(skel);
	return err ? 2 : found;
}
