// SPDX-License-Identifier: GPL-2.0
/*
 * arena_fault_free: user faults race bpf_arena_free_pages() of the same page.
 *
 * arena_vm_fault() takes its page reference under the arena lock; before
 * the fix the PTE was installed later, by finish_fault(), without it.  A
 * free that ran in between found no PTE to zap, dropped the arena's
 * reference and returned, and the PTE then went in: user space kept reading
 * the freed page (its old token) while BPF saw none at that address.  The
 * same window, a step later, frees the page while the fault still holds its
 * lock: "Bad page state" where page checks are on, and a fault that waits
 * for that page lock forever where they are off.
 *
 * One thread allocates the next page, then frees the page the faulters are
 * on, and reads that page from user space: with BPF_F_SEGV_ON_FAULT the
 * read must fault.  Three threads (one on the freeing thread's CPU) keep
 * faulting the page about to be freed.  Bounded: 3 s or 200000 frees.
 *
 * The race runs in a child process, which opens its own skeleton (the arena
 * mapping is VM_DONTCOPY: a fork does not inherit it) and reports through
 * shared memory, so that threads stuck in the kernel for good fail the test
 * instead of hanging test_progs.
 */
#define _GNU_SOURCE
#include <test_progs.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "arena_fault_free.skel.h"

#ifndef PAGE_SIZE /* on some archs it comes in sys/user.h */
#define PAGE_SIZE getpagesize()
#endif
#define NR_PAGES	16
#define MAX_FREES	200000
#define BUDGET_NS	(3ULL * 1000000000)
#define WAIT_NS		(BUDGET_NS + 10ULL * 1000000000)
#define SETTLE_NS	100000	/* after a free, for faults in flight to finish */

enum { AFF_ALLOC, AFF_FREE, AFF_READ };	/* progs/arena_fault_free.c */

struct result {
	int setup_err;		/* step that failed in the child, 0: none */
	int frees;
	int stale;		/* page user space still read after its free, or -1 */
	__u64 user, bpf;	/* what user space and BPF read there */
};

static struct arena_fault_free *skel;
static char *base;
static atomic_int stop, target = 1;
static __thread sigjmp_buf jb;

static void on_segv(int sig)
{
	siglongjmp(jb, 1);
}

/* 0 and the word at page p, or -1: the access faulted */
static int uread(int p, __u64 *v)
{
	if (sigsetjmp(jb, 1))
		return -1;
	*v = READ_ONCE(*(__u64 *)(base + (long)p * PAGE_SIZE));
	return 0;
}

static int run(__u32 op, __u32 page, __u64 token)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	skel->bss->op = op;
	skel->bss->page = page;
	skel->bss->token = token;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.page_op), &opts);
	return err ?: opts.retval;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % libbpf_num_possible_cpus(), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *faulter(void *arg)
{
	__u64 v;

	pin((long)arg);
	while (!atomic_load(&stop)) {
		int p = atomic_load(&target);

		madvise(base + (long)p * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
		uread(p, &v);
	}
	return NULL;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* the child: the race, its result in *res */
static void race(struct result *res)
{
	struct sigaction sa = {.sa_handler = on_segv};
	int live = 1, next = 2;
	__u64 tok[NR_PAGES] = {}, gen = 1, v = 0, end;
	pthread_t th[3];
	size_t sz;
	long i;

	res->stale = -1;
	skel = arena_fault_free__open_and_load();
	if (!skel) {
		res->setup_err = 1;
		return;
	}
	base = bpf_map__initial_value(skel->maps.arena, &sz);
	sigaction(SIGSEGV, &sa, NULL);
	tok[live] = 0xa5a5000000000000ULL | gen++;
	if (!base || run(AFF_ALLOC, live, tok[live])) {
		res->setup_err = 2;
		return;
	}
	pin(0);
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, faulter, (void *)i);
	end = now_ns() + BUDGET_NS;
	while (res->frees < MAX_FREES && now_ns() < end) {
		int victim = live;

		tok[next] = 0xa5a5000000000000ULL | gen++;
		if (run(AFF_ALLOC, next, tok[next])) {
			res->setup_err = 3;
			break;
		}
		atomic_store(&target, victim);
		run(AFF_FREE, victim, 0);
		res->frees++;
		/* the faulters move on, so none drops a PTE left on the victim; a
		 * fault that took its page before the free may still be installing
		 */
		atomic_store(&target, next);
		for (__u64 until = now_ns() + SETTLE_NS; now_ns() < until; )
			;
		/* the free has returned: the page must be gone from user space */
		if (uread(victim, &v) == 0 && v == tok[victim]) {
			res->stale = victim;
			res->user = v;
			run(AFF_READ, victim, 0);
			res->bpf = skel->bss->token;
			break;
		}
		live = next;
		next = next % (NR_PAGES - 1) + 1;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	run(AFF_FREE, live, 0);
	arena_fault_free__destroy(skel);
}

void serial_test_arena_fault_free(void)
{
	struct result *res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status = 0, done = 0;
	__u64 end;
	pid_t pid;

	if (!ASSERT_NEQ(res, MAP_FAILED, "shared result"))
		return;
	memset(res, 0, sizeof(*res));
	fflush(stdout);
	pid = fork();
	if (!ASSERT_GE(pid, 0, "fork"))
		goto out;
	if (pid == 0) {
		/* reports through res only: a child stuck for good must not keep
		 * test_progs' output (a pipe, say) open
		 */
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		race(res);
		_exit(0);
	}
	end = now_ns() + WAIT_NS;
	while (!(done = waitpid(pid, &status, WNOHANG) == pid) && now_ns() < end)
		usleep(10000);
	/* else its threads are stuck in the kernel: a fault waiting for the
	 * lock of a page freed while locked
	 */
	if (!ASSERT_TRUE(done, "racing child exited")) {
		kill(pid, SIGKILL);	/* threads in D state stay; test_progs goes on */
		goto out;
	}
	if (!ASSERT_EQ(res->setup_err, 0, "set-up in the child (1 load, 2 first alloc, 3 alloc)"))
		goto out;
	if (res->stale >= 0)
		printf("%s: page %d: user space reads token %#llx after its free, BPF %#llx\n",
		       __func__, res->stale, (unsigned long long)res->user,
		       (unsigned long long)res->bpf);
	if (ASSERT_EQ(res->stale, -1, "no user PTE left on a freed arena page"))
		ASSERT_GT(res->frees, 100, "frees racing faults");
out:
	munmap(res, sizeof(*res));
}
