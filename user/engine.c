// SPDX-License-Identifier: GPL-2.0
/*
 * The engine: arena set-up, worker threads, quiesce points, BPF ops with the
 * zero-on-alloc and post-free oracles attached, the coherence sweep with its
 * independent re-check, the kernel watch and the coordinator loop.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "report.h"
#include "arena_stress.skel.h"
#include "coverage.h"

const char *const as_ctr_name[C__NR] = {
	[C_ALLOC] = "alloc", [C_ALLOC_PAGES] = "alloc_pages", [C_ALLOC_FAIL] = "alloc_fail",
	[C_FREE] = "free", [C_FREE_PAGES] = "free_pages", [C_UREAD] = "user_read",
	[C_UWRITE] = "user_write", [C_USEGV] = "user_segv", [C_MADV] = "madvise",
	[C_FAULTS] = "faults", [C_SWEEP] = "sweep", [C_SWEEP_PAGES] = "sweep_pages",
	[C_SUSPECT] = "suspect", [C_REMAP] = "remap", [C_CHILD] = "child",
	[C_CHECK] = "contract_checks", [C_PIN] = "pins", [C_KOP] = "kernel_ops",
	[C_KOP_FAIL] = "kernel_op_fail", [C_USIGBUS] = "user_sigbus",
};

_Atomic bool as_interrupted;
char *volatile as_injected_leak;	/* kept reachable: the compiler may not drop it */
__thread struct as_guard as_tls_guard;

uint64_t as_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t as_rand(struct as_worker *w)
{
	/* xorshift64* */
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void as_nap(struct as_worker *w)
{
	uint32_t us = w->run->o->nap_us;
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};

	if (us)
		nanosleep(&ts, NULL);
}

/* ---- guarded access to arena memory ---- */

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	struct as_guard *g = &as_tls_guard;

	(void)uc;
	if (g->armed) {
		g->armed = 0;
		g->sig = sig;
		g->addr = (uintptr_t)si->si_addr;
		siglongjmp(g->jb, sig);
	}
	/* Not an arena access we guard: a bug in the tool. Die as usual. */
	signal(sig, SIG_DFL);
}

void as_install_signal_guard(void)
{
	struct sigaction sa = {0};

	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* sigsetjmp without saving the mask (no syscall on the hot path);
 * SA_NODEFER keeps the signal unblocked after the jump. */
int as_guarded_read(volatile uint64_t *p, uint64_t *val)
{
	struct as_guard *g = &as_tls_guard;

	if (sigsetjmp(g->jb, 0))
		return g->sig;
	g->armed = 1;
	*val = *p;
	g->armed = 0;
	return 0;
}

int as_guarded_write(volatile uint64_t *p, uint64_t val)
{
	struct as_guard *g = &as_tls_guard;

	if (sigsetjmp(g->jb, 0))
		return g->sig;
	g->armed = 1;
	*p = val;
	g->armed = 0;
	return 0;
}

static volatile uint64_t *uword(struct as_run *r, uint32_t pgoff, uint32_t off)
{
	return (volatile uint64_t *)(r->base + (size_t)pgoff * AS_PAGE_SIZE + off);
}

void as_suspect(struct as_worker *w)
{
	w->ctr[C_SUSPECT]++;
	atomic_fetch_add(&w->run->suspects, 1);
	/* Park everybody now: a user worker's next MADV_DONTNEED would
	 * otherwise heal the very PTE the sweep has to see. */
	atomic_store(&w->run->quiesce, true);
}

static void violation(struct as_run *r, struct as_violation *v);

/* An arena access never earns SIGBUS: a free page gives SIGSEGV (with
 * BPF_F_SEGV_ON_FAULT), an allocated one maps.  SIGBUS means the fault
 * handler itself failed (VM_FAULT_SIGBUS), e.g. it could not take its lock.
 * Counted always; the first one per worker is reported with the page state. */
static void sigbus(struct as_worker *w, uint32_t p, const char *what)
{
	struct as_page *pg = &w->run->pages[p];
	uint32_t s = atomic_load(&pg->state);
	struct as_violation v = {.kind = V_SIGNAL, .pgoff = p};

	if (w->ctr[C_USIGBUS]++)
		return;
	snprintf(v.saw, sizeof(v.saw), "user %s of page %u took SIGBUS; the page was %s (token %#" PRIx64 ")",
		 what, p, s == PS_FREE ? "free" : s & PS_BUSY ? "changing hands" : "allocated",
		 __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE));
	snprintf(v.classify, sizeof(v.classify), "the arena fault handler failed (VM_FAULT_SIGBUS): it returns "
		 "that only when it cannot take the arena's lock; free pages fault with SIGSEGV");
	violation(w->run, &v);
}

int as_uread(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t *val)
{
	struct as_page *pg = &w->run->pages[pgoff];
	uint32_t s0 = atomic_load_explicit(&pg->state, memory_order_acquire);
	int sig;

	as_touch(w->run, pgoff, 1);
	atomic_store_explicit(&w->cur, pgoff, memory_order_relaxed);
	sig = as_guarded_read(uword(w->run, pgoff, off), val);

	w->ctr[sig ? C_USEGV : C_UREAD]++;
	if (sig == SIGBUS)
		sigbus(w, pgoff, "read");
	/* a suspect only: the sweep decides */
	if (!sig && off == AS_OFF_TOKEN && as_read_was_stale(w->run, pgoff, s0, *val))
		as_suspect(w);
	return sig;
}

bool as_read_was_stale(struct as_run *r, uint32_t p, uint32_t s0, uint64_t v)
{
	struct as_page *pg = &r->pages[p];

	return s0 == PS_FREE && v && v == __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) &&
	       atomic_load(&pg->state) == PS_FREE;
}

int as_uwrite(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t val)
{
	int sig;

	as_touch(w->run, pgoff, 1);
	atomic_store_explicit(&w->cur, pgoff, memory_order_relaxed);
	sig = as_guarded_write(uword(w->run, pgoff, off), val);

	w->ctr[sig ? C_USEGV : C_UWRITE]++;
	if (sig == SIGBUS)
		sigbus(w, pgoff, "write");
	return sig;
}

/* ---- workers and quiesce ---- */

static void *worker_main(void *arg)
{
	struct as_worker *w = arg;

	if (w->run->o->affinity == AS_AFF_SPREAD) {
		/* Worker i on CPU i mod n: on 2 CPUs the BPF worker shares its
		 * CPU with a user worker while others fault from the other CPU.
		 * A fault's mutex_unlock then wakes the waiting free on the same
		 * CPU, which preempts the faulting thread between dropping
		 * arena->lock and installing the PTE: the race window opens
		 * ~10x more often than with free scheduling (bench/README). */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->id % (ncpu > 0 ? ncpu : 1), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	w->tid = gettid();
	/* naps must end when asked, not up to 50 us later (default slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	w->fn(w);
	/* A worker that returns counts as parked for good. */
	pthread_mutex_lock(&w->run->qlock);
	w->run->parked++;
	pthread_cond_broadcast(&w->run->qcond);
	pthread_mutex_unlock(&w->run->qlock);
	return NULL;
}

int as_spawn(struct as_run *r, bool bpf, void (*fn)(struct as_worker *w))
{
	struct as_worker *w;

	if (r->nw >= (int)(sizeof(r->w) / sizeof(r->w[0])))
		return -E2BIG;
	w = aligned_alloc(64, (sizeof(*w) + 63) & ~63UL);
	if (!w)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	w->run = r;
	w->id = r->nw;
	w->bpf = bpf;
	w->fn = fn;
	w->rng = (r->seed + 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)(w->id + 1) * 0xD1B54A32D192ED03ULL;
	if (!w->rng)
		w->rng = 1;
	r->w[r->nw++] = w;
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		r->nw--;
		free(w);
		return -EAGAIN;
	}
	return 0;
}

int as_spawn_std(struct as_run *r, void (*lead)(struct as_worker *w), void (*user)(struct as_worker *w))
{
	int i, err, n = r->o->user_threads;

	for (i = 0; i < r->o->bpf_threads; i++)
		if ((err = as_spawn(r, true, as_churn_worker)))
			return err;
	if (lead && (err = as_spawn(r, false, lead)))
		return err;
	for (i = lead ? 1 : 0; i < n; i++)
		if ((err = as_spawn(r, false, user)))
			return err;
	return 0;
}

bool as_continue(struct as_worker *w)
{
	struct as_run *r = w->run;

	if (atomic_load_explicit(&r->stop, memory_order_relaxed))
		return false;
	if ((r->o->inject & AS_INJ_HANG) && !w->bpf && as_now_ns() - r->t0 > 200000000ULL)
		for (;;)	/* test: never reach a quiesce point again */
			pause();
	if (atomic_load_explicit(&r->quiesce, memory_order_acquire)) {
		pthread_mutex_lock(&r->qlock);
		r->parked++;
		pthread_cond_broadcast(&r->qcond);
		while (atomic_load(&r->quiesce) && !atomic_load(&r->stop))
			pthread_cond_wait(&r->qcond, &r->qlock);
		r->parked--;
		pthread_mutex_unlock(&r->qlock);
	}
	return !atomic_load_explicit(&r->stop, memory_order_relaxed);
}

#define AS_HANG_SECS 5

static void violation(struct as_run *r, struct as_violation *v);

/* Park every worker.  A worker that does not arrive within AS_HANG_SECS is
 * stuck somewhere it cannot leave (on a correct kernel every op here takes
 * microseconds): returns -ETIMEDOUT and the caller reports a hang. */
static int quiesce_begin(struct as_run *r)
{
	struct timespec dl;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += AS_HANG_SECS;
	pthread_mutex_lock(&r->qlock);
	atomic_store(&r->quiesce, true);
	while (r->parked < r->nw && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&r->qcond, &r->qlock, &dl);
	err = r->parked < r->nw ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&r->qlock);
	return err;
}

/* Report workers that never parked: their kernel stacks and the page each
 * was touching.  Reads /proc; works while they stay stuck. */
static void report_hang(struct as_run *r)
{
	struct as_violation v = {.kind = V_HANG};
	size_t k = 0;

	for (int i = 0; i < r->nw; i++) {
		struct as_worker *w = r->w[i];
		char path[64], line[128], wchan[64] = "?";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", w->tid);
		if ((f = fopen(path, "r"))) {
			if (!fgets(wchan, sizeof(wchan), f))
				snprintf(wchan, sizeof(wchan), "?");
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", w->tid);
		if ((f = fopen(path, "r"))) {
			char st = '?', *p;

			if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
				st = p[2];
			fclose(f);
			if (st != 'D')
				continue;
		}
		if (!k)
			v.pgoff = atomic_load(&w->cur);
		k += snprintf(v.saw + k, sizeof(v.saw) > k ? sizeof(v.saw) - k : 0,
			      "%s%s worker %d (tid %d) in D state at %s, touching page %u",
			      k ? "; " : "", w->bpf ? "BPF" : "user", w->id, w->tid, wchan, atomic_load(&w->cur));
	}
	if (!k) {
		snprintf(v.saw, sizeof(v.saw), "workers did not reach a quiesce point within %d s", AS_HANG_SECS);
		snprintf(v.classify, sizeof(v.classify), "no worker is in uninterruptible sleep: stuck in user "
			 "space or in an interruptible wait (a tool bug, an injected hang, or a very slow op)");
	} else {
		snprintf(v.classify, sizeof(v.classify),
			 "tasks stuck in uninterruptible sleep for %d s: the kernel never released what they wait "
			 "for; they cannot be killed, so this run cannot tear down (its process stays behind)",
			 AS_HANG_SECS);
	}
	for (int i = 0; i < r->nw && r->o->verbose; i++) {
		char path[64], buf[2048];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", r->w[i]->tid);
		if ((f = fopen(path, "r"))) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = 0;
			fclose(f);
			printf("  kernel stack of worker %d (tid %d):\n%s", r->w[i]->id, r->w[i]->tid, buf);
		}
	}
	r->hung = true;
	violation(r, &v);
}

static void quiesce_end(struct as_run *r)
{
	pthread_mutex_lock(&r->qlock);
	atomic_store(&r->quiesce, false);
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
}

/* ---- BPF ops ---- */

int as_bpf_op(struct as_run *r, struct as_op *op)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = op, .ctx_size_in = sizeof(*op));
	int err = bpf_prog_test_run_opts(r->prog_fd, &t);

	return err ? err : (int)op->ret;
}

static void violation(struct as_run *r, struct as_violation *v)
{
	v->t_ns = as_now_ns() - r->t0;
	v->addr = (uint64_t)(uintptr_t)r->base + (uint64_t)v->pgoff * AS_PAGE_SIZE;
	as_report_add(r->rep, v);
	if (getpid() != r->pid)
		return;	/* a forked child: no stdio (a parent thread may have held its lock) */
	if (r->o->verbose || r->rep->nviol <= 3)
		as_report_print_violation(stdout, r->rep, v);
	if (r->rep->nviol == 4 && !r->o->verbose)
		printf("(further violations are counted; -v prints each)\n");
	fflush(stdout);
	if (r->o->stop_on_violation)
		atomic_store(&r->stop, true);
}

static void run_push(struct as_worker *w, uint32_t pgoff, uint32_t cnt)
{
	if (w->nruns == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 64;
		struct as_allocrun *n = realloc(w->runs, cap * sizeof(*n));

		if (!n)
			return;
		w->runs = n;
		w->cap = cap;
	}
	w->runs[w->nruns++] = (struct as_allocrun){pgoff, cnt};
}

static void hot_push(struct as_run *r, uint32_t pgoff)
{
	uint32_t h = atomic_fetch_add_explicit(&r->hot_head, 1, memory_order_relaxed);

	atomic_store_explicit(&r->hot[h % AS_HOT_RING], pgoff, memory_order_relaxed);
}

uint32_t as_target(struct as_worker *w)
{
	return atomic_load_explicit(&w->run->target, memory_order_relaxed);
}

void as_set_target(struct as_run *r, uint32_t pgoff)
{
	atomic_store_explicit(&r->target, pgoff, memory_order_relaxed);
}

uint32_t as_hot_pick(struct as_worker *w)
{
	struct as_run *r = w->run;
	uint32_t h = atomic_load_explicit(&r->hot_head, memory_order_relaxed);
	uint32_t back = 1 + as_rand_below(w, 4);

	if (h < back)
		return as_rand_below(w, r->npages);
	return atomic_load_explicit(&r->hot[(h - back) % AS_HOT_RING], memory_order_relaxed);
}

int as_alloc(struct as_worker *w, uint32_t pgoff, uint32_t cnt)
{
	struct as_run *r = w->run;
	uint32_t me = w->id + 1, i, got;
	struct as_op op = {0};
	uint64_t gen;
	int err;

	if (pgoff != AS_ANY_PGOFF) {
		if (pgoff + cnt > r->npages || pgoff == 0)
			return -EINVAL;	/* uaddr 0 would mean "any" to the kernel */
		for (i = 0; i < cnt; i++) {
			uint32_t exp = PS_FREE;

			if (!atomic_compare_exchange_strong(&r->pages[pgoff + i].state, &exp, me | PS_BUSY))
				break;
		}
		if (i < cnt) {
			while (i--) {
				uint32_t exp = me | PS_BUSY;

				atomic_compare_exchange_strong(&r->pages[pgoff + i].state, &exp, PS_FREE);
			}
			return -EBUSY;
		}
	}
	if (pgoff == AS_ANY_PGOFF) {	/* see struct as_run: any_inflight */
		atomic_fetch_add(&r->any_inflight, 1);
		atomic_fetch_add(&r->any_seq, 1);
	}
	gen = ((uint64_t)w->id << 32) | ++w->seq;	/* unique per allocation */
	op.op = AS_OP_ALLOC;
	op.pgoff = pgoff;
	op.cnt = cnt;
	op.gen = gen;
	op.inject = r->o->inject & AS_INJ_DIRTY_ALLOC;
	err = as_bpf_op(r, &op);
	got = op.pgoff;
	if (pgoff != AS_ANY_PGOFF && (err || got != pgoff)) {
		for (i = 0; i < cnt; i++) {
			uint32_t exp = me | PS_BUSY;

			atomic_compare_exchange_strong(&r->pages[pgoff + i].state, &exp, PS_FREE);
		}
	}
	if (err) {
		if (pgoff == AS_ANY_PGOFF)
			atomic_fetch_sub(&r->any_inflight, 1);
		w->ctr[C_ALLOC_FAIL]++;
		return err;
	}
	for (i = 0; i < cnt; i++) {
		struct as_page *pg = &r->pages[got + i];

		/* busy, token, owned: a reader never pairs the owner with a
		 * stale token (as_check_contents), and one that sees the new
		 * token sees the page not free (as_uread) */
		atomic_store_explicit(&pg->state, me | PS_BUSY, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);	/* busy before the token */
		pg->cnt_hint = cnt;
		__atomic_store_n(&pg->token, AS_TOKEN(gen, got + i), __ATOMIC_RELEASE);
		atomic_store_explicit(&pg->state, me, memory_order_release);
	}
	if (pgoff == AS_ANY_PGOFF)
		atomic_fetch_sub(&r->any_inflight, 1);
	w->ctr[C_ALLOC]++;
	w->ctr[C_ALLOC_PAGES] += cnt;
	run_push(w, got, cnt);
	hot_push(r, got);
	if (op.dirty_words) {
		struct as_violation v = {.kind = V_DIRTY_ALLOC, .pgoff = op.dirty_pgoff};

		snprintf(v.saw, sizeof(v.saw),
			 "fresh page (alloc of %u page(s) at page %u) had %u non-zero word(s) in its oracle half; "
			 "first at offset %u = %#" PRIx64 "%s", cnt, got, op.dirty_words, op.dirty_off,
			 (uint64_t)op.dirty_val, op.inject ? " [injected]" : "");
		snprintf(v.classify, sizeof(v.classify), "the page allocator or a stale writer handed out a used page");
		violation(r, &v);
	}
	return 0;
}

int as_free_run(struct as_worker *w, uint32_t idx, uint32_t n)
{
	struct as_run *r = w->run;
	struct as_allocrun *ar = &w->runs[idx];
	uint32_t pgoff = ar->pgoff, i, me = w->id + 1;
	uint64_t before[AS_MAX_ALLOC_CNT], after[AS_MAX_ALLOC_CNT], t;
	struct as_op op = {0};
	bool have_pm = r->pagemap_fd >= 0 && n <= AS_MAX_ALLOC_CNT;
	bool suspect = false;
	int err;

	if (!n || n > ar->cnt)
		return -EINVAL;
	if (have_pm) {	/* no PTE can exist where this process never touched */
		for (i = 0; i < n && !atomic_load_explicit(&r->pages[pgoff + i].touched,
							    memory_order_relaxed); i++)
			;
		have_pm = i < n;
	}
	/* Post-free oracle: sample this process's PTEs around the free.  A PTE
	 * still present after the free is a suspect (another worker may have
	 * re-allocated and faulted the page meanwhile), so it only asks for an
	 * immediate coherence sweep, which decides. */
	if (have_pm && as_pagemap_read(r->pagemap_fd, (uintptr_t)uword(r, pgoff, 0), n, before))
		have_pm = false;
	/* nobody else can own these until the free runs: a store will do */
	for (i = 0; i < n; i++)
		atomic_store_explicit(&r->pages[pgoff + i].state, me | PS_BUSY, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);	/* busy before the kernel frees */
	op.op = AS_OP_FREE;
	op.pgoff = pgoff;
	op.cnt = n;
	err = as_bpf_op(r, &op);
	if (err) {	/* nothing was freed: still ours */
		for (i = 0; i < n; i++)
			atomic_store_explicit(&r->pages[pgoff + i].state, me, memory_order_release);
		return err;
	}
	t = as_now_ns() - r->t0;
	if (have_pm && as_pagemap_read(r->pagemap_fd, (uintptr_t)uword(r, pgoff, 0), n, after))
		have_pm = false;
	for (i = 0; i < n; i++) {
		struct as_page *pg = &r->pages[pgoff + i];
		uint32_t exp = me;

		pg->free_ns = t;
		pg->free_cnt = n;
		pg->sampled = have_pm;
		pg->pte_before = have_pm && (before[i] & PM_PRESENT);
		pg->pte_after = have_pm && (after[i] & PM_PRESENT);
		pg->pfn_before = pg->pte_before ? before[i] & PM_PFN_MASK : 0;
		suspect |= pg->pte_after;
		exp = me | PS_BUSY;
		atomic_compare_exchange_strong(&pg->state, &exp, PS_FREE);
	}
	w->ctr[C_FREE]++;
	w->ctr[C_FREE_PAGES] += n;
	if (n == ar->cnt) {
		*ar = w->runs[--w->nruns];
	} else {
		ar->pgoff += n;
		ar->cnt -= n;
	}
	if (suspect)
		as_suspect(w);
	return 0;
}

int as_check_contents(struct as_worker *w, uint32_t p, const char *what)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[p];
	uint32_t s0 = atomic_load(&pg->state), s1;
	uint64_t t0 = __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST), t1, v = 0;
	int sig;

	if (s0 == PS_FREE || (s0 & PS_BUSY))
		return 0;
	as_touch(r, p, 1);
	atomic_store_explicit(&w->cur, p, memory_order_relaxed);
	sig = as_guarded_read(uword(r, p, AS_OFF_TOKEN), &v);
	atomic_thread_fence(memory_order_acquire);	/* the read before the re-check */
	t1 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	s1 = atomic_load_explicit(&pg->state, memory_order_acquire);
	if (s1 != s0 || t1 != t0 || sig || v == t0)
		return 0;	/* raced with a free or re-allocation, or intact */
	{
		struct as_violation viol = {.kind = V_COHERENCE, .pgoff = p};
		uint64_t pm = 0, pm2 = 0, v2 = 0;
		int sig2;

		/* confirm: which page did we read, and does a fresh fault read
		 * the arena's own page? */
		if (r->pagemap_fd >= 0 && !as_pagemap_read(r->pagemap_fd, (uintptr_t)uword(r, p, 0), 1, &pm) &&
		    (pm & PM_PRESENT))
			viol.pfn_user = pm & PM_PFN_MASK;
		madvise((void *)uword(r, p, 0), AS_PAGE_SIZE, MADV_DONTNEED);
		sig2 = as_guarded_read(uword(r, p, AS_OFF_TOKEN), &v2);
		if (r->pagemap_fd >= 0 && !as_pagemap_read(r->pagemap_fd, (uintptr_t)uword(r, p, 0), 1, &pm2) &&
		    (pm2 & PM_PRESENT))
			viol.pfn_after = pm2 & PM_PFN_MASK;
		if (atomic_load(&pg->state) != s0 || __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) != t0)
			return 0;	/* freed meanwhile: the re-check means nothing */
		viol.confirmed = !sig2 && v2 == t0;
		snprintf(viol.saw, sizeof(viol.saw), "after %s, user reads token %#" PRIx64
			 " from a page BPF allocated with token %#" PRIx64 " and still owns; re-read after "
			 "MADV_DONTNEED: %#" PRIx64 "%s", what, v, t0, v2, sig2 ? " (faulted)" : "");
		snprintf(viol.classify, sizeof(viol.classify), "contents did not persist across %s: %s", what,
			 !viol.confirmed ? "not explained by a stale PTE"
			 : viol.pfn_after != viol.pfn_user ? "the user PTE mapped another page than the arena's "
				"(a stale PTE); a fresh fault maps the arena's page"
			 : "a stale PTE, already replaced by another thread before its PFN was sampled; "
			   "a fresh fault maps the arena's page");
		violation(r, &viol);
	}
	return 1;
}

void as_report_v(struct as_run *r, enum as_vkind kind, uint32_t pgoff, const char *classify,
		 const char *fmt, ...)
{
	struct as_violation v = {.kind = kind, .pgoff = pgoff};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.saw, sizeof(v.saw), fmt, ap);
	va_end(ap);
	snprintf(v.classify, sizeof(v.classify), "%s", classify);
	violation(r, &v);
}

/* ---- kernel-path ops: GUP, io_uring, process_vm_*, O_DIRECT ---- */

void as_kop_begin(struct as_worker *w, struct as_kop *k, enum as_kop_kind kind, uint32_t p, uint32_t off,
		  const char *path)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[p];

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->path = path;
	k->p = p;
	k->off = off;
	k->mapgen0 = atomic_load(&r->mapgen);
	k->any_inflight0 = atomic_load(&r->any_inflight);
	k->any_seq0 = atomic_load(&r->any_seq);
	k->s0 = atomic_load_explicit(&pg->state, memory_order_acquire);
	k->t0 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	/* unless as_kop_pinned() says otherwise, the kernel takes the page now */
	k->ref_known = !(k->s0 & PS_BUSY);
	k->ref_alloc = k->s0 != PS_FREE;
	k->t_ref = k->t0;
	if (kind == AS_KOP_WRITE)	/* top byte 0x3c: never a token (0xa5) or nonce (0x5a) */
		k->mark = (0x3cULL << 56) | ((uint64_t)(getpid() & 0xffff) << 40) |
			  ((uint64_t)(w->id & 0xff) << 32) | (++w->kseq & 0xffffffffULL);
	as_touch(r, p, 1);
	atomic_store_explicit(&w->cur, p, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);	/* snapshot before the kernel acts */
}

void as_kop_pinned(struct as_kop *k, const struct as_kop *reg)
{
	k->pinned = true;
	k->ref_known = reg->stable;
	k->ref_alloc = reg->s0 != PS_FREE;
	k->t_ref = reg->t0;
}

static uint64_t peek_word(struct as_run *r, uint32_t p, uint32_t off, int *err)
{
	struct as_op op = {.op = AS_OP_PEEK, .pgoff = p, .off = off};

	*err = as_bpf_op(r, &op);
	return op.peek_val;
}

/* Independent re-check of a kernel-path finding, from the owning process:
 * drop this process's PTE, fault afresh, and see whether user space and BPF
 * agree again (then the kernel went through a stale user PTE). */
static void kop_confirm(struct as_run *r, struct as_violation *v, const struct as_kop *k, const struct as_kview *kv)
{
	volatile uint64_t *u = uword(r, k->p, 0);
	uint64_t pm = 0, val = 0;
	bool moved = false;
	int sig, perr;

	if (getpid() != r->pid) {
		snprintf(v->classify, sizeof(v->classify), "seen from a second process (%s): not re-checked "
			 "there; the coherence sweep of the arena's own process covers the page", k->path);
		return;
	}
	if (r->pagemap_fd >= 0 && !as_pagemap_read(r->pagemap_fd, (uintptr_t)u, 1, &pm) && (pm & PM_PRESENT))
		v->pfn_user = pm & PM_PFN_MASK;
	if (v->kind == V_PIN) {
		uint64_t again = kv->kind == AS_KOP_WRITE ? peek_word(r, k->p, k->off, &perr) : 0;

		v->confirmed = kv->kind == AS_KOP_WRITE && !perr && again == k->mark;
		snprintf(v->classify, sizeof(v->classify), "data crossed between a page the kernel took before the "
			 "address was freed and re-allocated and the arena's new page: a page went back to the arena "
			 "while the kernel still held it%s", v->confirmed ? " (BPF still reads the marker)" : "");
		return;
	}
	madvise((void *)u, AS_PAGE_SIZE, MADV_DONTNEED);
	if (kv->allocated) {
		if (kv->kind == AS_KOP_WRITE) {
			uint64_t m2 = k->mark ^ 0xffffffffULL;

			sig = as_guarded_write(uword(r, k->p, k->off), m2);
			v->confirmed = !sig && peek_word(r, k->p, k->off, &perr) == m2 && !perr;
		} else {
			sig = as_guarded_read(u, &val);
			v->confirmed = !sig && val == kv->t_now;
		}
		if (r->pagemap_fd >= 0 && !as_pagemap_read(r->pagemap_fd, (uintptr_t)u, 1, &pm) && (pm & PM_PRESENT))
			v->pfn_after = pm & PM_PFN_MASK;
	} else {
		sig = as_guarded_read(u, &val);
		v->confirmed = sig != 0;
	}
	/* changed meanwhile (or an allocation at a kernel-chosen address may
	 * have taken a free page): the re-check means nothing */
	moved = atomic_load(&r->pages[k->p].state) != k->s0 ||
		__atomic_load_n(&r->pages[k->p].token, __ATOMIC_SEQ_CST) != k->t0 ||
		(k->s0 == PS_FREE && atomic_load(&r->any_inflight));
	v->confirmed &= !moved;
	snprintf(v->classify, sizeof(v->classify), "%s", moved
		 ? "re-check inconclusive: BPF freed or re-allocated the page while it ran"
		 : !v->confirmed
		 ? "not explained by a stale user PTE: MADV_DONTNEED + a fresh fault did not restore coherence"
		 : k->pinned ? "the pin was taken through a user PTE that did not map the arena's page (an orphaned "
			       "PTE from a fault racing a free); after MADV_DONTNEED a fresh fault maps the arena's page"
		 : "the kernel went through a stale user PTE (an orphaned PTE from a fault racing a free); "
		   "after MADV_DONTNEED a fresh fault maps the arena's page");
}

enum as_vkind as_kop_end(struct as_worker *w, struct as_kop *k, int err, uint64_t val)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[k->p];
	struct as_kview kv = {0};
	struct as_violation v = {0};
	bool injected = false;
	uint32_t s1, mg1;
	uint64_t t1;
	int perr = 0;

	if (k->kind == AS_KOP_WRITE && !err) {
		if ((r->o->inject & AS_INJ_PIN) && k->pinned && k->ref_known && k->s0 != PS_FREE &&
		    !(k->s0 & PS_BUSY) && k->t0 != k->t_ref) {
			/* test: make the old pin's data reach the new page */
			as_guarded_write(uword(r, k->p, k->off), k->mark);
			injected = true;
		}
		val = peek_word(r, k->p, k->off, &perr);
	}
	atomic_thread_fence(memory_order_acquire);	/* the op and its check before the re-read */
	t1 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	s1 = atomic_load_explicit(&pg->state, memory_order_acquire);
	mg1 = atomic_load(&r->mapgen);
	k->stable = s1 == k->s0 && t1 == k->t0 && !(k->s0 & PS_BUSY) && mg1 == k->mapgen0 && !(mg1 & 1) && !perr;
	/* "stayed free" also needs no allocation at a kernel-chosen address
	 * overlapping the op: the table learns of those only when they return */
	if (k->s0 == PS_FREE && (k->any_inflight0 || atomic_load(&r->any_inflight) ||
				 atomic_load(&r->any_seq) != k->any_seq0))
		k->stable = false;
	w->ctr[C_KOP]++;
	if (err)
		w->ctr[C_KOP_FAIL]++;
	kv.kind = k->kind;
	kv.segv_on_fault = r->sc->arena_flags & BPF_F_SEGV_ON_FAULT;
	kv.stable = k->stable;
	kv.allocated = k->s0 != PS_FREE;
	kv.t_now = k->t0;
	kv.pinned = k->pinned;
	kv.ref_known = k->ref_known;
	kv.ref_alloc = k->ref_alloc;
	kv.t_ref = k->t_ref;
	kv.err = err;
	kv.val = val;
	kv.mark = k->mark;
	v.kind = as_judge_kop(&kv, k->path, v.saw, sizeof(v.saw));
	if (v.kind == V_NONE)
		return V_NONE;
	v.pgoff = k->p;
	if (injected)
		strncat(v.saw, " [injected]", sizeof(v.saw) - strlen(v.saw) - 1);
	kop_confirm(r, &v, k, &kv);
	violation(r, &v);
	if (v.kind == V_STALE_FREE || v.kind == V_COHERENCE)
		as_suspect(w);	/* let the sweep see the page too */
	return v.kind;
}

/* ---- the standard BPF churn worker ---- */

/*
 * Allocates (fixed addresses in the worker's own slice, or anywhere; 1..16
 * pages) and frees (whole allocations, or page_cnt 1 of a larger one), keeping
 * a few allocations live.  It announces the page it will free next as soon as
 * it has chosen it (as_set_target) and naps --nap-us before each free: see
 * stress/fault_free.c for why that makes fault-vs-free races frequent.
 */
#define LIVE_RUNS 4		/* allocations a BPF worker keeps at once */

static uint32_t pick_cnt(struct as_worker *w)
{
	uint32_t r = as_rand_below(w, 100), max = w->run->npages / 8;

	if (r < 70 || max < 2)
		return 1;
	if (r < 90)
		return 2 + as_rand_below(w, max < 3 ? 1 : 3);
	return 2 + as_rand_below(w, (max < 16 ? max : 16) - 1);
}

void as_churn_worker(struct as_worker *w)
{
	struct as_run *r = w->run;
	/* each BPF worker picks fixed addresses in its own slice */
	uint32_t slice = r->npages / r->o->bpf_threads, lo = w->id * slice;
	uint32_t victim = 0;

	while (as_continue(w)) {
		if (w->nruns < LIVE_RUNS) {
			uint32_t cnt = pick_cnt(w), pgoff = AS_ANY_PGOFF;

			if (as_rand_below(w, 2) && slice > cnt) {
				pgoff = lo + as_rand_below(w, slice - cnt + 1);
				if (pgoff == 0)
					pgoff = 1;
			}
			as_alloc(w, pgoff, cnt);
		} else {
			uint32_t cnt = w->runs[victim].cnt;
			/* the nap's timer wake-up lands at a random point of the
			 * co-located faulter; see the comment at the top */
			as_nap(w);

			/* mostly whole allocations; sometimes one page of a larger
			 * one (page_cnt 1 takes the single-page zap path) */
			as_free_run(w, victim, as_rand_below(w, 4) ? cnt : 1);
		}
		/* choose and announce the next victim now, so user workers
		 * are already faulting it when the free comes */
		if (w->nruns) {
			victim = as_rand_below(w, w->nruns);
			as_set_target(r, w->runs[victim].pgoff + as_rand_below(w, w->runs[victim].cnt));
		}
	}
	while (w->nruns)	/* leave the arena empty */
		as_free_run(w, 0, w->runs[0].cnt);
}

/* The standard user faulter: mostly the page a BPF worker frees next
 * (dropping its own PTE first so every access is a fresh fault), sometimes a
 * recently allocated page or any page; scribbles in the scratch half. */
void as_fault_worker(struct as_worker *w)
{
	struct as_run *r = w->run;
	uint32_t dead = UINT32_MAX;	/* target that faulted: already freed */
	uint64_t v;

	while (as_continue(w)) {
		uint32_t pick = as_rand_below(w, 16), p;

		if (pick < 13) {
			p = as_target(w);
			if (p == dead)
				continue;	/* wait for the next victim */
			madvise(r->base + (size_t)p * AS_PAGE_SIZE, AS_PAGE_SIZE, MADV_DONTNEED);
			w->ctr[C_MADV]++;
		} else {
			p = pick < 15 ? as_hot_pick(w) : as_rand_below(w, r->npages);
		}
		if (pick == 14)
			as_uwrite(w, p, AS_SCRATCH_OFF + 8 * as_rand_below(w, AS_SCRATCH_WORDS), as_rand(w));
		else if (as_uread(w, p, AS_OFF_TOKEN, &v) && pick < 13)
			dead = p;
	}
}

/* ---- the coherence sweep ---- */

/* What the last free of page p saw, and what that says about how the stale
 * PTE (pfn stale_pfn) got there.  Only states what was observed. */
static const char *free_history(struct as_run *r, uint32_t p, uint64_t stale_pfn, char *buf, size_t len)
{
	struct as_page *pg = &r->pages[p];
	const char *how;

	if (!pg->free_cnt) {
		snprintf(buf, len, "page never freed in this run");
		return buf;
	}
	if (!pg->sampled)
		how = "PTEs were not sampled around that free";
	else if (!pg->pte_before && pg->pte_after)
		how = "PTE installed while the free ran (fault in flight across the free)";
	else if (!pg->pte_before)
		how = "PTE installed after the free returned (a fault that took its page reference "
		      "before the free installed it afterwards)";
	else if (pg->pfn_before != stale_pfn)
		how = "another page was mapped when the free began; the stale PTE was installed later";
	else if (!pg->pte_after)
		how = "the free zapped this PTE, then a fault that had taken its page reference before "
		      "the free installed it again";
	else
		how = "the same PTE was present before and after the free: the free did not zap it, "
		      "or it was already stale from an earlier free of this address";
	snprintf(buf, len, "last free: page_cnt=%u at %.3fms; user PTE %s just before it (pfn %#" PRIx64
		 "), %s right after: %s", pg->free_cnt, pg->free_ns / 1e6,
		 !pg->sampled ? "?" : pg->pte_before ? "present" : "absent", pg->pfn_before,
		 !pg->sampled ? "?" : pg->pte_after ? "present" : "absent", how);
	return buf;
}

/* Independent re-check of one page: drop this process's PTE with
 * MADV_DONTNEED, re-fault, and see whether user and BPF agree again. */
static void confirm(struct as_run *r, struct as_violation *v, const struct as_view *view)
{
	uint32_t p = v->pgoff;
	volatile uint64_t *u = uword(r, p, 0);
	uint64_t pm = 0, val = 0, n2 = as_nonce(r->seed ^ 0xc0ffee, r->sweep_seq, p, 2);
	char hist[360];
	int sig;

	v->pfn_user = view->pfn;
	if (madvise((void *)u, AS_PAGE_SIZE, MADV_DONTNEED)) {
		snprintf(v->classify, sizeof(v->classify), "MADV_DONTNEED failed: %s", strerror(errno));
		return;
	}
	free_history(r, p, view->pfn, hist, sizeof(hist));
	if (view->allocated) {
		struct as_op op = {.op = AS_OP_PEEK, .pgoff = p};

		sig = as_guarded_write(u + AS_OFF_UNONCE / 8, n2);
		if (!sig && !as_bpf_op(r, &op))
			sig = op.peek_unonce == n2 ? 0 : -1;
		if (!as_pagemap_read(r->pagemap_fd, (uintptr_t)u, 1, &pm) && (pm & PM_PRESENT))
			v->pfn_after = pm & PM_PFN_MASK;
		v->confirmed = sig == 0 && v->pfn_after != v->pfn_user;
		snprintf(v->classify, sizeof(v->classify), "%s; %s",
			 sig == 0 ? "orphaned user PTE: MADV_DONTNEED + re-fault restored coherence"
				  : "not restored by MADV_DONTNEED", hist);
	} else {
		sig = as_guarded_read(u, &val);
		v->confirmed = view->segv_on_fault ? sig != 0 : true;
		snprintf(v->classify, sizeof(v->classify), "%s; %s",
			 v->confirmed ? "orphaned user PTE on a freed page: gone after MADV_DONTNEED"
				      : "still readable after MADV_DONTNEED", hist);
	}
}

int as_sweep(struct as_run *r)
{
	uint32_t n = r->npages, p;
	struct as_sweep *sw = &r->skel->bss->sweep;
	bool segv = r->sc->arena_flags & BPF_F_SEGV_ON_FAULT;
	struct as_view *views;
	uint64_t *pm0, *pm1;
	struct as_op op = {0};
	bool workers = !atomic_load(&r->stop);
	int nviol = 0;

	views = calloc(n, sizeof(*views));
	pm0 = calloc(n, 8);
	pm1 = calloc(n, 8);
	if (!views || !pm0 || !pm1) {
		free(views), free(pm0), free(pm1);
		return -ENOMEM;
	}
	if (workers && quiesce_begin(r)) {
		free(views), free(pm0), free(pm1);
		report_hang(r);
		atomic_store(&r->stop, true);
		return -ETIMEDOUT;
	}
	r->sweep_seq++;
	if (r->pagemap_fd >= 0)
		as_pagemap_read(r->pagemap_fd, (uintptr_t)r->base, n, pm0);
	for (p = 0; p < n; p++) {
		struct as_view *v = &views[p];

		v->allocated = atomic_load(&r->pages[p].state) != PS_FREE;
		v->segv_on_fault = segv;
		v->exp_token = r->pages[p].token;
		v->pte_present = pm0[p] & PM_PRESENT;
		v->pfn = pm0[p] & PM_PFN_MASK;
		sw->want[p] = v->allocated;
		if (v->allocated) {
			v->unonce = as_nonce(r->seed, r->sweep_seq, p, 0);
			v->bnonce = as_nonce(r->seed, r->sweep_seq, p, 1);
			sw->bnonce[p] = v->bnonce;
			as_touch(r, p, 1);
			v->uwrite_sig = as_guarded_write(uword(r, p, AS_OFF_UNONCE), v->unonce);
		} else if (segv) {
			/* Without SEGV_ON_FAULT a read would allocate the page. */
			v->probed = true;
			v->probe_sig = as_guarded_read(uword(r, p, AS_OFF_TOKEN), &v->probe_val);
			if (!v->probe_sig)	/* only a stale PTE lets it succeed */
				as_touch(r, p, 1);
		}
	}
	op.op = AS_OP_SWEEP;
	op.cnt = n;
	op.inject = r->o->inject & AS_INJ_SWEEP_LIE;
	if (as_bpf_op(r, &op) == 0) {
		if (r->pagemap_fd >= 0)
			as_pagemap_read(r->pagemap_fd, (uintptr_t)r->base, n, pm1);
		for (p = 0; p < n; p++) {
			struct as_view *v = &views[p];
			struct as_violation viol = {0};

			v->bpf_token = sw->token[p];
			v->bpf_unonce = sw->unonce[p];
			if (v->allocated) {
				if (!v->uwrite_sig)
					v->uread_sig = as_guarded_read(uword(r, p, AS_OFF_BNONCE), &v->user_bnonce);
				v->pfn = pm1[p] & PM_PFN_MASK;
			}
			viol.kind = as_judge_page(v, viol.saw, sizeof(viol.saw));
			if (viol.kind == V_NONE)
				continue;
			viol.pgoff = p;
			if (op.inject)
				strncat(viol.saw, " [injected]", sizeof(viol.saw) - strlen(viol.saw) - 1);
			confirm(r, &viol, v);
			violation(r, &viol);
			nviol++;
		}
	}
	r->own_ctr[C_SWEEP]++;
	r->own_ctr[C_SWEEP_PAGES] += n;
	if (workers)
		quiesce_end(r);
	free(views), free(pm0), free(pm1);
	return nviol;
}

/* ---- one scenario run ---- */

/* Leak oracle: after teardown (arena unmapped, map fd closed), what was
 * charged to our memory cgroup must come back to the baseline taken before
 * the arena existed.  The map is freed from a workqueue, so wait a little. */
#define AS_LEAK_TOLERANCE (2LL << 20)

static void leak_check(struct as_run *r, long long base)
{
	struct as_violation v = {.kind = V_LEAK};
	long long now = -1;

	if (base < 0)
		return;
	malloc_trim(0);	/* heap glibc keeps (libbpf's BTF parsing) is not a leak */
	for (int i = 0; i < 100; i++) {
		now = as_memcg_usage();
		if (now - base <= AS_LEAK_TOLERANCE)
			break;
		usleep(20000);
	}
	r->rep->leak_checked = true;
	r->rep->leak_delta = now - base;
	if (r->o->verbose)
		printf("leak oracle: memcg %+lld KiB after teardown (tolerance %lld KiB)\n",
		       (now - base) / 1024, AS_LEAK_TOLERANCE / 1024);
	if (now - base <= AS_LEAK_TOLERANCE)
		return;
	snprintf(v.saw, sizeof(v.saw), "memory cgroup usage %+lld KiB above the baseline 2 s after teardown "
		 "(tolerance %lld KiB): pages not returned", (now - base) / 1024, AS_LEAK_TOLERANCE / 1024);
	violation(r, &v);
}

/* Kernel watch: each new batch of splat lines is one violation, quoting them. */
static void kernel_check(struct as_run *r, struct as_kwatch *kw)
{
	int before = kw->nlines;
	struct as_violation v = {.kind = V_KERNEL};

	if (kw->fd < 0 || as_kwatch_poll(kw) == before)
		return;
	snprintf(r->rep->kernel, sizeof(r->rep->kernel), "%s", kw->lines);
	snprintf(v.saw, sizeof(v.saw), "%.300s", kw->lines);
	violation(r, &v);
}

static void sum_counters(struct as_run *r, uint64_t *out)
{
	memcpy(out, r->own_ctr, sizeof(uint64_t) * C__NR);
	for (int i = 0; i < r->nw; i++)
		for (int c = 0; c < C__NR; c++)
			out[c] += r->w[i]->ctr[c];
}

static uint64_t minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void progress(struct as_run *r, const uint64_t *now, const uint64_t *prev, double dt, double t)
{
	fprintf(stderr, "[%-10s %6.1fs] alloc %7.0f/s  free %7.0f/s  faults %7.0f/s  reads %8.0f/s  segv %6.0f/s"
		"  sweeps %4" PRIu64 "  violations %" PRIu64 "\n", r->sc->name, t,
		(now[C_ALLOC] - prev[C_ALLOC]) / dt, (now[C_FREE] - prev[C_FREE]) / dt,
		(now[C_FAULTS] - prev[C_FAULTS]) / dt, (now[C_UREAD] - prev[C_UREAD]) / dt,
		(now[C_USEGV] - prev[C_USEGV]) / dt, now[C_SWEEP], r->rep->nviol);
}

int as_run_scenario(const struct as_scenario *sc, const struct as_opts *o, uint64_t seed,
		    double duration_s, struct as_report *rep, char *why, size_t len)
{
	struct as_run *r;
	struct as_kwatch kw = {.fd = -1};
	uint64_t now_c[C__NR] = {0}, prev_c[C__NR] = {0}, flt0, t_end, t_sweep, t_prog, t_kw;
	long long memcg0;
	struct as_covrun cov = {0};
	size_t sz;
	int err, i;

	r = calloc(1, sizeof(*r));
	if (!r)
		return AS_EXIT_USAGE;
	r->sc = sc;
	r->o = o;
	r->seed = seed;
	r->pid = getpid();
	r->npages = o->pages;
	r->rep = rep;
	r->pagemap_fd = -1;
	pthread_mutex_init(&r->qlock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	/* leak baseline: before the arena exists (its kernel page tables are
	 * charged at creation and freed with it) */
	malloc_trim(0);
	memcg0 = as_memcg_usage();

	r->skel = arena_stress_bpf__open();
	if (!r->skel) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(r->skel->maps.arena, r->npages);
	bpf_map__set_map_flags(r->skel->maps.arena, BPF_F_MMAPABLE | sc->arena_flags);
	err = arena_stress_bpf__load(r->skel);
	if (err) {
		snprintf(why, len, "loading the BPF programs failed: %s (-v shows the verifier log)",
			 strerror(-err));
		goto fail;
	}
	r->prog_fd = bpf_program__fd(r->skel->progs.as_run);
	r->base = bpf_map__initial_value(r->skel->maps.arena, &sz);
	if (!r->base) {
		snprintf(why, len, "libbpf did not map the arena");
		goto fail;
	}
	r->map_fd = bpf_map__fd(r->skel->maps.arena);
	r->len = (size_t)r->npages * AS_PAGE_SIZE;
	r->pages = mmap(NULL, r->npages * sizeof(*r->pages), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->pages == MAP_FAILED) {
		r->pages = NULL;
		snprintf(why, len, "mmap of the page table: %s", strerror(errno));
		goto fail;
	}
	r->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (!o->no_kwatch)
		as_kwatch_open(&kw);
	if (!o->no_coverage)
		as_cov_start(&cov);

	flt0 = minflt();
	r->t0 = as_now_ns();
	t_end = r->t0 + (uint64_t)(duration_s * 1e9);
	t_sweep = r->t0 + o->sweep_ms * 1000000ULL;
	t_prog = r->t0 + 1000000000ULL;
	t_kw = r->t0 + 100000000ULL;
	if (o->inject & AS_INJ_LEAK) {	/* test: memory that never comes back */
		as_injected_leak = malloc(8 << 20);
		if (as_injected_leak)
			memset((void *)as_injected_leak, 1, 8 << 20);
	}
	err = sc->start(r);
	if (err) {
		snprintf(why, len, "starting the scenario failed: %s", strerror(-err));
		atomic_store(&r->stop, true);
	}
	while (!atomic_load(&r->stop)) {
		uint64_t now = as_now_ns();
		/* 1 ms: a suspect parks the workers itself (as_suspect), so
		 * this only bounds how long they wait for the sweep */
		struct timespec ts = {0, 1000000};

		if (now >= t_end || atomic_load(&as_interrupted) ||
		    (o->stop_on_violation && rep->nviol))	/* also found by children */
			break;
		if (atomic_load(&r->suspects) || now >= t_sweep) {
			atomic_store(&r->suspects, 0);
			as_sweep(r);
			t_sweep = as_now_ns() + o->sweep_ms * 1000000ULL;
		}
		if (now >= t_kw) {
			kernel_check(r, &kw);
			t_kw = now + 100000000ULL;
		}
		if (now >= t_prog) {
			sum_counters(r, now_c);
			now_c[C_FAULTS] = minflt() - flt0;
			if (duration_s >= 2 || o->verbose) {
				struct as_cov c;

				as_cov_read(&cov, &c);
				progress(r, now_c, prev_c, 1.0, (now - r->t0) / 1e9);
				if (cov.on)
					fprintf(stderr, "%*s race windows: %" PRIu64 " frees with a fault in flight, %" PRIu64
						" arena zaps during page-table teardown\n", 19, "", (uint64_t)c.free_during_fault,
						(uint64_t)c.zap_during_teardown);
			}
			memcpy(prev_c, now_c, sizeof(now_c));
			t_prog += 1000000000ULL;
		}
		nanosleep(&ts, NULL);
	}
	rep->interrupted = atomic_load(&as_interrupted);
	atomic_store(&r->stop, true);
	quiesce_end(r);
	{
		struct timespec dl;	/* one deadline for all of them */

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += AS_HANG_SECS;
		for (i = 0; i < r->nw; i++)
			if (pthread_timedjoin_np(r->w[i]->thread, NULL, &dl) && !r->hung)
				report_hang(r);
	}
	r->elapsed_ns = as_now_ns() - r->t0;
	if (!err && !r->hung && !(o->stop_on_violation && rep->nviol))
		as_sweep(r);	/* final sweep, all workers gone */
	kernel_check(r, &kw);
	as_kwatch_close(&kw);
	as_cov_read(&cov, &rep->cov);
	rep->cov_on = cov.on;
	snprintf(rep->cov_unavail, sizeof(rep->cov_unavail), "%s", cov.unavailable);
	if (!r->hung)
		as_cov_stop(&cov);
	sum_counters(r, r->totals);
	r->totals[C_FAULTS] = minflt() - flt0;
	memcpy(rep->ctr, r->totals, sizeof(r->totals));
	rep->nctr = C__NR;
	rep->ctr_name = as_ctr_name;
	rep->duration_s = r->elapsed_ns / 1e9;
	rep->status = err ? AS_FAILED : AS_RAN;
	if (err)
		snprintf(rep->why, sizeof(rep->why), "%s", why);
	if (r->hung)	/* stuck threads still use all of it: leave it be */
		return 0;
	for (i = 0; i < r->nw; i++) {
		free(r->w[i]->runs);
		free(r->w[i]);
	}
	close(r->pagemap_fd);
	arena_stress_bpf__destroy(r->skel);
	r->skel = NULL;
	if (!err)
		leak_check(r, memcg0);
	munmap(r->pages, r->npages * sizeof(*r->pages));
	free(r);
	return err ? AS_EXIT_USAGE : 0;
fail:
	rep->status = AS_FAILED;
	snprintf(rep->why, sizeof(rep->why), "%s", why);
	arena_stress_bpf__destroy(r->skel);
	if (r->pages)
		munmap(r->pages, r->npages * sizeof(*r->pages));
	free(r);
	return AS_EXIT_USAGE;
}
