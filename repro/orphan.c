// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: a user page fault on a BPF arena page racing
 * bpf_arena_free_pages() leaves a user PTE on a page the arena freed.
 *
 * Deliberately stand-alone: it shares no code with arena-stress (only the
 * page layout), so it can be sent to a kernel list on its own; what it
 * repeats of the tool is on purpose.
 *
 *   user thread (fault on X)               BPF program (bpf_arena_free_pages(X, 1))
 *   arena_vm_fault()
 *     lock; page = P; page ref +1; unlock
 *                                          lock; mark X free; P is not mapped
 *                                          yet, so nothing to zap; drop the
 *                                          arena's reference to P; unlock
 *   __do_fault: lock_page(P)
 *   finish_fault(): PTE X -> P             user now maps P, BPF sees no page at X
 *
 * A variant of the same window frees P while the fault still holds its page
 * lock (the free zaps the fresh PTE between finish_fault() and unlock_page()):
 * "BUG: Bad page state ... flags: locked" where page checks are on, and a
 * page left locked for good (faults on it hang) where they are off.
 *
 * One BPF thread announces the page it frees next, allocates another, then
 * frees it; three user threads keep faulting the announced page, one on the
 * BPF thread's CPU (so the free often runs while that faulter is preempted
 * inside the window).
 *
 * Exit 1: reproduced (the evidence is printed), 0: not within the time
 * budget, 2: set-up error.  usage: ./repro [seconds]   (root)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

#define NPAGES 16
enum { OP_ALLOC, OP_FREE, OP_PEEK };
struct ctx { __u32 op, page; __u64 token; __s64 ret; };

static char *base;
static int prog;
static _Atomic int stop, target = 1, found = -1;
static _Atomic __u64 freed[NPAGES];	/* token of a page whose free returned */
static __thread sigjmp_buf jb;

static void on_segv(int sig) { siglongjmp(jb, 1); }

static int uread(int page, __u64 *v)	/* 0, or -1 on SIGSEGV */
{
	if (sigsetjmp(jb, 0))	/* no mask save: no syscall per read (SA_NODEFER) */
		return -1;
	*v = *(volatile __u64 *)(base + page * 4096L);
	return 0;
}

static __u64 bpf(int op, int page, __u64 token)
{
	struct ctx c = {.op = op, .page = page, .token = token};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &c, .ctx_size_in = sizeof(c));

	if (bpf_prog_test_run_opts(prog, &o) || c.ret) {
		fprintf(stderr, "repro: BPF op %d on page %d failed\n", op, page);
		exit(2);
	}
	return c.token;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void *bpf_thread(void *arg)
{
	__u64 tok[NPAGES], gen = 0, v;
	int live[2] = {1, 2}, next = 3;

	pin(0);
	for (int i = 0; i < 2; i++)
		bpf(OP_ALLOC, live[i], tok[live[i]] = 0xa5000000ULL << 32 | ++gen << 8 | live[i]);
	while (!stop) {
		int victim = live[0];

		target = victim;		/* faulters hammer the page freed next */
		freed[next] = 0;
		bpf(OP_ALLOC, next, tok[next] = 0xa5000000ULL << 32 | ++gen << 8 | next);
		bpf(OP_FREE, victim, 0);	/* ... a fault may be in flight on it */
		freed[victim] = tok[victim];	/* the free has returned */
		live[0] = live[1];
		live[1] = next;
		next = next % (NPAGES - 1) + 1;
		target = live[0];		/* move on: their MADV_DONTNEED would heal it */
		/* a fault in flight installs its PTE a few us after the free */
		for (volatile int spin = 0; spin < 20000; spin++)
			;
		if (uread(victim, &v) == 0 && v == tok[victim]) {
			found = victim;
			stop = 1;
		}
	}
	bpf(OP_FREE, live[0], 0);	/* leave the arena empty for another round */
	bpf(OP_FREE, live[1], 0);
	return NULL;
}

static void *faulter(void *arg)
{
	__u64 v, f;

	pin((long)arg);
	while (!stop) {
		int p = target;

		f = freed[p];
		if (stop)
			break;	/* do not zap the evidence */
		madvise(base + p * 4096L, 4096, MADV_DONTNEED);	/* fault afresh */
		if (uread(p, &v) == 0 && f && v == f && freed[p] == f) {
			found = p;	/* read a freed allocation's token */
			stop = 1;
		}
	}
	return NULL;
}

/* New kernel-log lines that report a bad page, if any. */
static int kmsg_bad_page(int fd)
{
	char line[1024];
	int n, bad = 0;

	while (fd >= 0 && (n = read(fd, line, sizeof(line) - 1)) > 0) {
		line[n] = 0;
		if (strstr(line, "Bad page state") || (strstr(line, "flags:") && strstr(line, "locked"))) {
			printf("kernel: %s", strchr(line, ';') ? strchr(line, ';') + 1 : line);
			bad = 1;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 10;
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_NODEFER};
	struct repro_bpf *skel;
	pthread_t th[4];
	__u64 v = 0, pte = 0, after;
	int pm, p, ok;

	lseek(kmsg, 0, SEEK_END);
	sigaction(SIGSEGV, &sa, NULL);
	skel = repro_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "repro: cannot load the BPF program (root? arena support?)\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.run);
	base = bpf_map__initial_value(skel->maps.arena, &(size_t){0});
	pm = open("/proc/self/pagemap", O_RDONLY);
	for (double t = 0; t < budget;) {
		stop = 0;
		found = -1;
		memset(freed, 0, sizeof(freed));
		pthread_create(&th[0], NULL, bpf_thread, NULL);
		pthread_create(&th[1], NULL, faulter, (void *)1L);
		pthread_create(&th[2], NULL, faulter, (void *)0L);	/* on the BPF thread's CPU */
		pthread_create(&th[3], NULL, faulter, (void *)1L);
		for (; t < budget && !stop; t += 0.001)
			usleep(1000);
		stop = 1;
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		if (kmsg_bad_page(kmsg)) {
			printf("REPRODUCED: the kernel freed an arena page in a bad state (see above)\n");
			return 1;
		}
		if ((p = found) < 0)
			break;
		/* Evidence, with every thread stopped: user space still reads
		 * the freed token through a present PTE, BPF reads nothing
		 * there, and after MADV_DONTNEED the access faults as a freed
		 * page must. */
		pread(pm, &pte, 8, (long)(base + p * 4096L) / 4096 * 8);
		ok = uread(p, &v) == 0 && v == freed[p] && (pte >> 63) && bpf(OP_PEEK, p, 0) == 0;
		madvise(base + p * 4096L, 4096, MADV_DONTNEED);
		ok &= uread(p, &after) != 0;
		if (ok) {
			printf("REPRODUCED orphaned user PTE: page %d at %p: user reads token %#llx through PTE pfn "
			       "%#llx; BPF reads 0; after MADV_DONTNEED the user access faults\n", p,
			       base + p * 4096L, (unsigned long long)v, (unsigned long long)(pte & ((1ULL << 55) - 1)));
			return 1;
		}
		/* a faulter zapped the evidence before it stopped: hunt again */
	}
	printf("not reproduced within %.1f s\n", budget);
	return 0;
}
