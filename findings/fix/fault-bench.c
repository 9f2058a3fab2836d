// SPDX-License-Identifier: GPL-2.0
/*
 * The arena fault path's cost, for the fix's benchmark (fault-bench.sh):
 * one arena page faulted in lazily (no BPF_F_SEGV_ON_FAULT), then
 * MADV_DONTNEED + a read, over and over: every read is one arena_vm_fault()
 * (the page stays in the arena, so it is the lookup path, plus the fix's
 * rwsem round trip on a patched kernel).  Prints "faults/s N" for each of
 * ROUNDS rounds of SECS seconds.  Stand-alone: libbpf's map creation only.
 * usage: fault-bench [SECS] [ROUNDS]
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/bpf.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2, t0;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE, .map_extra = 1ULL << 44);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARENA, "bench", 0, 0, 16, &o);
	volatile char *p;

	if (fd < 0) {
		perror("arena");
		return 2;
	}
	p = mmap((void *)(1ULL << 44), 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	(void)p[0];	/* the lazy allocation: from now on every fault finds the page */
	for (int r = 0; r < rounds; r++) {
		unsigned long n = 0;

		t0 = now();
		while (now() - t0 < secs) {
			for (int i = 0; i < 256; i++, n++) {
				madvise((void *)p, 4096, MADV_DONTNEED);
				(void)p[0];
			}
		}
		printf("faults/s %.0f\n", n / (now() - t0));
	}
	return 0;
}
