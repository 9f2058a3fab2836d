// SPDX-License-Identifier: GPL-2.0
/*
 * Worker threads and quiesce points: workers loop on as_continue(), which
 * parks them while the coordinator sweeps; one that never parks is stuck
 * (reported as a hang with its kernel state).  Also the workers' small
 * accessors and the child-process helpers scenarios fork with.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "report.h"

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

int as_worker_id(const struct as_worker *w) { return w->id; }
struct as_run *as_run_of(const struct as_worker *w) { return w->run; }
const struct as_arena *as_arena(const struct as_run *r) { return &r->a; }
const struct as_opts *as_opts_of(const struct as_run *r) { return r->o; }
uint32_t as_arena_flags(const struct as_run *r) { return r->arena_flags; }
bool as_injected(const struct as_run *r, uint32_t inj) { return r->o->inject & inj; }
void as_count(struct as_worker *w, enum as_ctr c, uint64_t n) { w->ctr[c] += n; }
uint64_t as_counter(const struct as_worker *w, enum as_ctr c) { return w->ctr[c]; }
void as_stop(struct as_run *r) { atomic_store(&r->stop, true); }

void as_note(struct as_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->rep->note[0])
		return;	/* the first one stands */
	va_start(ap, fmt);
	vsnprintf(r->rep->note, sizeof(r->rep->note), fmt, ap);
	va_end(ap);
}

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
	/* the start gate: all workers start together, once set-up is over and
	 * the run's clock (t0) starts (run.c, run_start) */
	pthread_mutex_lock(&w->run->qlock);
	while (!atomic_load(&w->run->go) && !atomic_load(&w->run->stop))
		pthread_cond_wait(&w->run->qcond, &w->run->qlock);
	pthread_mutex_unlock(&w->run->qlock);
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
	int err;

	if (r->nw >= AS_MAX_WORKERS)
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
	/* EAGAIN is "not now" (the kernel's task or memory limits): a scenario
	 * process that just exited may still hold them; try for up to 1 s */
	for (int i = 0; (err = pthread_create(&w->thread, NULL, worker_main, w)) == EAGAIN && i < 50; i++)
		usleep(20000);
	if (err) {
		r->nw--;
		free(w);
		return -err;
	}
	return 0;
}

int as_spawn_std(struct as_run *r)
{
	void (*lead)(struct as_worker *w) = r->sc->lead, (*user)(struct as_worker *w) = r->sc->user;
	int i, err, n = user ? r->o->user_threads : 0;

	for (i = 0; i < r->o->bpf_threads; i++)
		if ((err = as_spawn(r, true, r->sc->bpf ? r->sc->bpf : as_churn_worker)))
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

int as_hang_secs(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int share = ncpu > 0 ? (as_concurrent + (int)ncpu - 1) / (int)ncpu : as_concurrent;

	return AS_HANG_SECS * (share > 1 ? share : 1);
}

/* Park every worker.  A worker that does not arrive within as_hang_secs() is
 * stuck somewhere it cannot leave (on a correct kernel every op here takes
 * microseconds): returns -ETIMEDOUT and the caller reports a hang. */
int as_quiesce_begin(struct as_run *r)
{
	struct timespec dl;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += as_hang_secs();
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
void as_report_hang(struct as_run *r)
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
		/* no worker in D state, but a kernel thread of this process may be
		 * (io_uring's io-wq workers are tasks of it): a worker waiting for
		 * its op then sleeps interruptibly, and the hang is the kernel's */
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		while (d && (e = readdir(d)) && !k) {
			char path[300], line[256], *p;
			FILE *f;

			snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
			if (e->d_name[0] == '.' || !(f = fopen(path, "r")))
				continue;
			if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) && p[2] == 'D') {
				char *name = strchr(line, '(');

				*p = 0;
				k = snprintf(v.saw, sizeof(v.saw), "workers did not reach a quiesce point within %d s; "
					     "task %s (%s) of this process is in D state", as_hang_secs(), e->d_name,
					     name ? name + 1 : "?");
			}
			fclose(f);
		}
		if (d)
			closedir(d);
	}
	if (!k) {
		v.kind = V_STUCK;	/* not the kernel's: the tool's own (or injected) */
		snprintf(v.saw, sizeof(v.saw), "workers did not reach a quiesce point within %d s", as_hang_secs());
		snprintf(v.classify, sizeof(v.classify), "no worker is in uninterruptible sleep: stuck in user "
			 "space or in an interruptible wait (a tool bug, an injected hang, or a very slow op)");
	} else {
		snprintf(v.classify, sizeof(v.classify),
			 "tasks stuck in uninterruptible sleep for %d s: the kernel never released what they wait "
			 "for; they cannot be killed, so this run cannot tear down (its process stays behind)",
			 as_hang_secs());
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
	as_violation(r, &v);
}

void as_quiesce_end(struct as_run *r)
{
	pthread_mutex_lock(&r->qlock);
	atomic_store(&r->quiesce, false);
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
}

/* ---- child processes ---- */

int as_child_start(struct as_worker *w, struct as_child *c, void (*fn)(struct as_worker *w, void *arg),
		   void *arg)
{
	pid_t pid = fork();

	if (pid < 0) {
		c->pid = 0;
		return -errno;
	}
	if (pid == 0) {
		fn(w, arg);
		_exit(0);
	}
	c->pid = pid;
	w->ctr[C_CHILD]++;
	return 0;
}

bool as_child_reaped(struct as_child *c)
{
	int st;

	if (c->pid && waitpid(c->pid, &st, WNOHANG) == c->pid)
		c->pid = 0;
	return !c->pid;
}

void as_child_kill(struct as_child *c)
{
	int st;

	if (!c->pid)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	c->pid = 0;
}
