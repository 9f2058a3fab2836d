// SPDX-License-Identifier: GPL-2.0
/*
 * arena_free_reuse: a page freed on one CPU and allocated at once on
 * another must not be reachable through the freed page's user mapping.
 *
 * bpf_arena_free_pages() used to give the range back to the range tree
 * together with clearing the kernel PTEs, under the arena lock, and only
 * then, unlocked, flush the kernel TLB and zap the user PTEs.  An
 * allocation on another CPU could take the address in between: user space
 * then read and wrote the old page there until the zap (and the new page's
 * BPF writes could go to the old page through a stale kernel TLB entry).
 *
 * Two threads, one per CPU, each allocate a page at a kernel-chosen address
 * (the lowest free one, which is often the page the other thread has just
 * freed), write a token of their own there from BPF, read it back from user
 * space, which maps the page, and free it.  Every read must return the
 * token just written; a fresh page must read 0 from BPF.  It runs 5 s, and
 * on a slow machine on until MIN_CROSS pages have moved between the CPUs,
 * up to 30 s; it counts every wrong read and reports the first.
 */
#define _GNU_SOURCE
#include <test_progs.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "arena_free_reuse.skel.h"

#define NR_PAGES	8	/* as in progs/arena_free_reuse.c */
#define BUDGET_NS	(5ULL * 1000000000)
#define MAX_NS		(30ULL * 1000000000)
#define MIN_CROSS	20	/* pages that moved between the CPUs */
#define TOKEN(id, n)	(0xa5a5000000000000ULL | (__u64)(id) << 40 | (n))

struct args {		/* progs/arena_free_reuse.c */
	__u64 token;
	__u64 addr;
	__u64 old;
};

struct worker {
	pthread_t th;
	int id, err;
	long allocs, busy, cross, bad;
	int bad_page;	/* the first page read wrong, or -1 */
	__u64 want, got, old, at_ns;	/* what it read wrong, and when */
};

static struct arena_free_reuse *skel;
static char *base;
static int pgsz;
static atomic_int stop, owner[NR_PAGES];
static atomic_long cross;
static __u64 start_ns;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int run(struct bpf_program *prog, struct args *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = a, .ctx_size_in = sizeof(*a));

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
}

static void *churn(void *arg)
{
	struct worker *w = arg;
	struct args a;
	cpu_set_t set;
	__u64 n = 0, got;
	long p;

	CPU_ZERO(&set);
	CPU_SET(w->id, &set);
	w->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!w->err && !atomic_load(&stop)) {
		__u64 t = now_ns() - start_ns;

		if (t >= MAX_NS || (t >= BUDGET_NS && atomic_load(&cross) >= MIN_CROSS))
			break;
		memset(&a, 0, sizeof(a));
		a.token = TOKEN(w->id + 1, ++n);
		w->err = run(skel->progs.page_alloc, &a);
		if (w->err)
			break;
		if (!a.addr) {	/* every page in use, or being freed */
			w->busy++;
			continue;
		}
		p = (long)(a.addr - (__u64)(unsigned long)base) / pgsz;
		if (p < 0 || p >= NR_PAGES) {
			w->err = -ERANGE;
			break;
		}
		w->allocs++;
		/* the other thread had this page last */
		if (atomic_exchange(&owner[p], w->id + 1) == 2 - w->id) {
			w->cross++;
			atomic_fetch_add(&cross, 1);
		}
		/* user space maps it here: the PTE the next free must zap first */
		got = READ_ONCE(*(__u64 *)(base + p * pgsz));
		if ((got != a.token || a.old) && !w->bad++) {
			w->bad_page = p;
			w->got = got;
			w->want = a.token;
			w->old = a.old;
			w->at_ns = now_ns() - start_ns;
		}
		w->err = run(skel->progs.page_free, &a);
	}
	atomic_store(&stop, 1);
	return NULL;
}

void serial_test_arena_free_reuse(void)
{
	struct worker w[2] = {};
	size_t sz;
	int i;

	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		test__skip();	/* the race needs two CPUs */
		return;
	}
	skel = arena_free_reuse__open_and_load();
	if (!ASSERT_OK_PTR(skel, "arena_free_reuse__open_and_load"))
		return;
	pgsz = getpagesize();
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	if (!ASSERT_OK_PTR(base, "arena mapping"))
		goto out;
	atomic_store(&stop, 0);
	for (i = 0; i < NR_PAGES; i++)
		atomic_store(&owner[i], 0);
	atomic_store(&cross, 0);
	start_ns = now_ns();
	for (i = 0; i < 2; i++) {
		w[i].id = i;
		w[i].bad_page = -1;
		if (!ASSERT_OK(pthread_create(&w[i].th, NULL, churn, &w[i]), "pthread_create")) {
			atomic_store(&stop, 1);
			break;
		}
	}
	while (--i >= 0)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < 2; i++) {
		printf("%s: cpu %d: %ld allocs (%ld after the other), %ld refused, %ld wrong\n",
		       __func__, i, w[i].allocs, w[i].cross, w[i].busy, w[i].bad);
		if (!ASSERT_OK(w[i].err, "alloc and free"))
			continue;
		if (w[i].bad_page >= 0) {
			printf("%s: cpu %d: page %d: user space reads %#llx, BPF wrote %#llx\n",
			       __func__, i, w[i].bad_page, (unsigned long long)w[i].got,
			       (unsigned long long)w[i].want);
			printf("%s: the fresh page read %#llx from BPF; %llu ms into the run\n",
			       __func__, (unsigned long long)w[i].old,
			       (unsigned long long)w[i].at_ns / 1000000);
		}
		ASSERT_EQ(w[i].bad_page, -1, "no stale arena page after a free on another CPU");
	}
	/* the race was run, not skipped: pages moved between the CPUs */
	if (w[0].bad_page < 0 && w[1].bad_page < 0)
		ASSERT_GE(w[0].cross + w[1].cross, MIN_CROSS, "pages re-allocated across CPUs");
out:
	arena_free_reuse__destroy(skel);
	skel = NULL;
}
