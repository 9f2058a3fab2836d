// SPDX-License-Identifier: GPL-2.0
/*
 * Independent confirmation of the fault-vs-free orphaned user PTE, with none
 * of the engine's code: its own alloc/free loop, its own faulters, its own
 * checks.  Shares only the BPF object.  Deliberately stand-alone: what it
 * repeats of the engine (or of the selftest) is the point of it.
 *
 * A BPF thread keeps two pages, frees the older one and allocates a new one;
 * faulters drop their PTE for the page about to be freed and touch it again.
 * Whoever reads the token of an allocation whose free had already returned
 * (the BPF thread probes each freed page a few microseconds after the free)
 * stops everything; then, with nothing else running:
 *   1. user space still reads that token through its mapping,
 *   2. /proc/self/pagemap shows a present PTE (PFN),
 *   3. BPF reads 0 at the same address through the kernel mapping,
 *   4. after MADV_DONTNEED the user access SIGSEGVs (BPF_F_SEGV_ON_FAULT).
 * All four: exit 1 (confirmed).  Nothing within the budget: exit 0.
 * usage: confirm_orphan [seconds]
 */
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
#include "arena_stress.h"
#include "arena_stress.skel.h"

#define NPAGES 16
static struct arena_stress_bpf *skel;
static char *base;
static int prog;
static _Atomic int stop, target = 1;
static _Atomic uint64_t freed_tok[NPAGES];	/* token of a freed allocation, 0 = live */
static _Atomic int found = -1;
static __thread sigjmp_buf jb;
static __thread volatile int armed;

static void on_segv(int sig)
{
	if (!armed)
		abort();
	armed = 0;
	siglongjmp(jb, 1);
}

static int uread(int p, uint64_t *v)
{
	if (sigsetjmp(jb, 0))
		return -1;
	armed = 1;
	*v = *(volatile uint64_t *)(base + (size_t)p * 4096);
	armed = 0;
	return 0;
}

static int op(int kind, int pgoff, uint64_t gen, struct as_op *o)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = o, .ctx_size_in = sizeof(*o));

	*o = (struct as_op){.op = kind, .pgoff = pgoff, .cnt = 1, .gen = gen};
	return bpf_prog_test_run_opts(prog, &t) ?: (int)o->ret;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *bpf_thread(void *arg)
{
	int live[2] = {1, 2}, next = 3;
	uint64_t gen = 1, val;
	struct as_op o;

	pin(0);
	op(AS_OP_ALLOC, 1, gen++, &o);
	op(AS_OP_ALLOC, 2, gen++, &o);
	while (!stop) {
		int v = live[0];
		uint64_t tok = AS_TOKEN(gen - 2, v);

		target = v;				/* faulters aim here */
		atomic_store(&freed_tok[next], 0);
		if (op(AS_OP_ALLOC, next, gen++, &o))	/* gives them time */
			break;
		if (op(AS_OP_FREE, v, 0, &o))
			break;
		atomic_store(&freed_tok[v], tok);	/* the free has returned */
		live[0] = live[1];
		live[1] = next;
		next = next == NPAGES - 1 ? 1 : next + 1;
		target = live[0];
		/* the racing fault installs its PTE a few us after the free */
		for (volatile int spin = 0; spin < 20000; spin++)
			;
		if (uread(v, &val) == 0 && val == tok) {
			found = v;
			stop = 1;
		}
	}
	return NULL;
}

static void *faulter(void *arg)
{
	uint64_t v;

	pin((long)arg);
	while (!stop) {
		int p = target;
		uint64_t ft = atomic_load(&freed_tok[p]);

		madvise(base + (size_t)p * 4096, 4096, MADV_DONTNEED);
		if (uread(p, &v) == 0 && ft && v == ft && atomic_load(&freed_tok[p]) == ft) {
			found = p;
			stop = 1;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 10;
	struct timespec t0, now;
	pthread_t th[4];
	int pm = open("/proc/self/pagemap", O_RDONLY);

	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_NODEFER};

	sigaction(SIGSEGV, &sa, NULL);	/* NODEFER: we leave by siglongjmp */
	skel = arena_stress_bpf__open();
	if (!skel)
		return 2;
	bpf_map__set_max_entries(skel->maps.arena, NPAGES);
	bpf_map__set_map_flags(skel->maps.arena, BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT);
	/* the 7.x-only program: not needed here, and refused before 7.0 */
	bpf_program__set_autoload(skel->progs.as_do_op_nosleep, false);
	bpf_program__set_autoload(skel->progs.as_do_reserve, false);	/* not on 6.12 */
	if (arena_stress_bpf__load(skel)) {
		fprintf(stderr, "confirm_orphan: cannot load the BPF object\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.as_do_op);
	base = bpf_map__initial_value(skel->maps.arena, &(size_t){0});
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		stop = 0;
		found = -1;
		pthread_create(&th[0], NULL, bpf_thread, NULL);
		for (long i = 1; i < 4; i++)
			pthread_create(&th[i], NULL, faulter, (void *)i);
		do {
			usleep(1000);
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (!stop && (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 < budget);
		stop = 1;
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		if (found < 0) {
			printf("confirm_orphan: no orphaned PTE within %.1fs\n", budget);
			return 0;
		}
		{
			int p = found;
			uint64_t uv = 0, ent = 0, v2;
			struct as_op o;
			int user_ok = uread(p, &uv) == 0;
			int pte = pread(pm, &ent, 8, (off_t)((uintptr_t)(base + (size_t)p * 4096) / 4096) * 8) == 8 &&
				  (ent >> 63);
			int bpf_zero = op(AS_OP_PEEK, p, 0, &o) == 0 && o.peek_token == 0;
			int gone;

			madvise(base + (size_t)p * 4096, 4096, MADV_DONTNEED);
			gone = uread(p, &v2) != 0;
			if (user_ok && pte && bpf_zero && gone) {
				printf("CONFIRMED orphaned user PTE: page %d addr %p: user reads token %#lx through PTE "
				       "pfn %#llx, BPF reads %#llx; after MADV_DONTNEED the user access faults\n",
				       p, base + (size_t)p * 4096, (unsigned long)uv,
				       (unsigned long long)(ent & ((1ULL << 55) - 1)), (unsigned long long)o.peek_token);
				return 1;
			}
			/* evidence healed before we looked (another faulter's
			 * MADV_DONTNEED): hunt again within the budget */
			for (int i = 1; i < NPAGES; i++)
				if (!atomic_load(&freed_tok[i]))
					op(AS_OP_FREE, i, 0, &o);
			memset((void *)freed_tok, 0, sizeof(freed_tok));
			target = 1;
		}
	}
}
