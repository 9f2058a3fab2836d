/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's own state: one run of one scenario on one fresh arena.
 * Scenarios never include this; they see user/scenario.h.  Files:
 *   guard.c    guarded access to arena memory (SIGSEGV/SIGBUS caught)
 *   workers.c  worker threads, quiesce points, the hang report, children
 *   pages.c    BPF ops, the page table, post-free and contents oracles
 *   kop.c      the kernel-path oracle's snapshots and re-check
 *   sweep.c    the coherence sweep and its independent re-check
 *   run.c      one run: set-up, coordinator loop, teardown, report
 */
#ifndef AS_ENGINE_H
#define AS_ENGINE_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include "scenario.h"
#include "coverage.h"

#define AS_DEFERRED_WAIT_MS 2000	/* a deferred free not done by then: its pages stay busy */
#define AS_ACCT_SETTLE_MS 200	/* an accounting mismatch must last this long, workers parked */

struct arena_stress_bpf;
struct as_report;
struct as_violation;

/* Page state: 0 = free; otherwise the owning worker's id + 1, with PS_BUSY
 * set while it changes (claimed for an alloc in flight, token being updated,
 * free in flight).  Readers trust (state, token) only when not busy and the
 * same before and after what they check: a seqlock of sorts. */
#define PS_FREE		0u
#define PS_BUSY	(1u << 31)
/* Reserved (bpf_arena_reserve_pages) by the owner, no page behind it: neither
 * free (no allocation may land there) nor allocated (nothing to read). */
#define PS_RESV	(1u << 30)
static inline bool ps_allocated(uint32_t st)
{
	return st != PS_FREE && !(st & PS_RESV);
}

struct as_page {
	_Atomic uint32_t state;
	uint32_t cnt_hint;	/* pages in the allocation that contains it */
	uint64_t token;		/* token BPF wrote at allocation */
	/* What the last free of this page saw (for classification). */
	uint64_t free_ns;	/* when it was freed (ns since run start) */
	uint32_t free_cnt;	/* page_cnt of that free */
	uint8_t  sampled;	/* pagemap was read around that free */
	uint8_t  pte_before;	/* user PTE present just before that free */
	uint8_t  pte_after;	/* user PTE present right after it */
	uint64_t pfn_before;	/* PFN of the user PTE just before that free */
	/* Set by every engine path that touches the address from this process
	 * (as_touch): only then can a user PTE exist here, so only then do
	 * frees pay for the pagemap reads around them. */
	_Atomic uint8_t touched;
	/* A free of this page is running (set before the BPF op, cleared once
	 * it returned and, when deferred, completed); early_reuse: the last
	 * allocation here came while one was, i.e. the kernel handed the
	 * address out again before the free was done with it. */
	_Atomic uint8_t freeing;
	uint8_t early_reuse;
	_Atomic uint8_t watched;	/* on the sweep's watch list (struct as_watch) */
};

/*
 * What the coherence sweep judges: every page that may need it, i.e. every
 * page allocated now and every page this process touched since a sweep last
 * found it free and unmapped, so that a sweep costs O(those pages) and not
 * O(arena) (a 4 GiB arena has 1M pages).  A page joins when it is allocated
 * or touched (as_watch) and leaves when a sweep finds it free, clean and with
 * no PTE here.  Appends go to list cur under a spinlock; a sweep flips cur
 * under it, drains the other list with every worker parked, and appends what
 * it keeps again.  MAP_SHARED: forked children append too (remote GUP faults
 * land in this process).  A child's touch racing a sweep's drop can lose a
 * page from the list: a missed check, never a false report.
 */
struct as_watch {
	_Atomic int lock;
	_Atomic uint32_t cur;
	uint32_t n[2];
	bool overflow;		/* more appends than room: the next sweep walks the table */
	uint32_t cap;
	uint32_t idx[];		/* [2][cap] */
};
void as_watch_page(struct as_run *r, uint32_t p);	/* watch p (if it is not yet) */
void as_watch_keep(struct as_run *r, uint32_t p);	/* a sweep keeps p watched */
void as_watch_lock(struct as_watch *wl);
void as_watch_unlock(struct as_watch *wl);
/* Classification suffix for a violation on page p (early_reuse), or "". */
const char *as_reuse_note(const struct as_run *r, uint32_t p);
/* What the PTE samples around page p's last free saw, and what that says of
 * how a stale PTE (pfn stale_pfn) got there (sweep.c). */
const char *as_free_history(struct as_run *r, uint32_t p, uint64_t stale_pfn, char *buf, size_t len);

/* One worker thread (BPF churn or user side). */
struct as_worker {
	struct as_run *run;
	int id;			/* 0.. */
	bool bpf;		/* true: BPF churn worker */
	pthread_t thread;
	uint64_t rng;
	void (*fn)(struct as_worker *w);
	pid_t tid;
	_Atomic uint32_t cur;	/* page being touched (for hang reports) */
	/* BPF workers: allocations this worker owns */
	struct as_span *spans;
	uint32_t nspans, cap;
	uint64_t seq;		/* allocations made: generation = id << 32 | seq */
	uint64_t kseq;		/* kernel-path markers made */
	uint64_t ctr[C__NR] __attribute__((aligned(64)));
};

/* Per-thread guard for touching arena memory: SIGSEGV/SIGBUS inside it
 * jumps back instead of killing the tool. */
struct as_guard {
	sigjmp_buf jb;
	volatile sig_atomic_t armed;
	volatile uintptr_t addr;
	volatile int sig;
};
extern __thread struct as_guard as_tls_guard;

#define AS_HOT_RING 64
#define AS_MAX_WORKERS 64
#define AS_HANG_SECS 5
/* The hang watchdog: AS_HANG_SECS, times the scenarios per CPU under
 * --parallel (each has that share of the machine) */
int as_hang_secs(void);
#define AS_MIN_SHARE_S 0.01	/* a scenario given less did no work, whatever it started */

struct as_run {
	struct as_arena a;		/* what scenarios see (as_arena()) */
	const struct as_scenario *sc;
	const struct as_opts *o;
	uint32_t arena_flags;		/* sc->arena_flags | sc->more_flags() */
	struct arena_stress_bpf *skel;
	int prog_fd;
	int nosleep_fd;			/* as_do_op_nosleep (7.x), or -1 */
	int reserve_fd;			/* as_do_reserve (bpf_arena_reserve_pages), or -1 */
	bool deferred;			/* deferred frees on: nosleep_fd and their completion known */
	struct as_covrun *cov;		/* race-window tracing; also the deferred frees' completion */
	uint64_t seed;
	/* ns, monotonic: when the workers started (the gate opened); before
	 * that, when set-up began.  Every run time counts from here: the
	 * deadline, progress lines, violation times, duration_s. */
	uint64_t t0;
	uint64_t setup_ns;		/* set-up: load, verify, map, probes, spawn */
	struct as_page *pages;		/* MAP_SHARED: forked children see it live */
	struct as_watch *watch;		/* MAP_SHARED too */
	size_t watch_sz;
	int pagemap_fd;
	uint32_t arena_id;		/* the arena map's id: its free worker's runs */

	struct as_worker *w[AS_MAX_WORKERS];
	int nw;

	/* read by every worker on every iteration: keep on its own line */
	_Atomic bool stop __attribute__((aligned(64)));
	_Atomic bool go;		/* the start gate: every worker spawned, t0 taken */
	_Atomic bool quiesce;
	_Atomic int parked __attribute__((aligned(64)));
	_Atomic uint64_t suspects;	/* post-free checks that asked for a sweep */
	_Atomic uint64_t sweep_hold_ns;	/* no periodic sweep before this (as_hold_sweeps); suspects still sweep */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;

	_Atomic uint32_t hot[AS_HOT_RING] __attribute__((aligned(64)));	/* recently allocated */
	_Atomic uint32_t hot_head;
	_Atomic uint32_t victim;		/* page a BPF worker frees next */
	_Atomic uint32_t mapgen;		/* odd while a worker has the arena unmapped */
	/* allocations at a kernel-chosen address in flight, and how many began:
	 * until such an op returns, a page the table calls free may be allocated */
	_Atomic uint32_t any_inflight;
	_Atomic uint64_t any_seq;

	struct as_report *rep;		/* where violations go */
	uint64_t sweep_seq;
	uint64_t sweep_ns;		/* time spent in sweeps */
	bool acct;			/* the arena reports its pages (7.x): the accounting oracle is on */
	bool acct_reported;		/* ... and has fired (once: the count stays off) */
	uint64_t totals[C__NR];		/* summed at the end */
	uint64_t own_ctr[C__NR];	/* the coordinator's own (sweeps) */
	uint64_t elapsed_ns;
	double share_s;			/* the run's share of --duration */
	bool hung;			/* workers stuck in the kernel: cannot tear down */
	/* --inject stale: 0 armed, page + 1 while a free of that page was
	 * skipped (the table says free, this process still maps the page),
	 * AS_STALE_DONE once a sweep reported it; see as_stale_skip() */
	_Atomic uint32_t inj_stale;
	/* descriptor .arena_memcg: the arena's memory cgroup, and its
	 * memory.peak open (a write resets what this fd reads), or -1 */
	char arena_cg[600];
	int arena_peak_fd;
	long long arena_cg0;		/* its usage with the arena new */
};
#define AS_STALE_DONE UINT32_MAX

/* workers.c */
int as_spawn(struct as_run *r, bool bpf, void (*fn)(struct as_worker *w));
/* The line-up: --bpf-threads BPF workers (the scenario's, or
 * as_churn_worker), then its lead once (if any), then its user workers
 * until --user-threads user workers run in all. */
int as_spawn_std(struct as_run *r);
int as_quiesce_begin(struct as_run *r);	/* 0, or -ETIMEDOUT: somebody never parked */
void as_quiesce_end(struct as_run *r);
void as_report_hang(struct as_run *r);
void as_install_signal_guard(void);

/* pages.c */
void as_span_push(struct as_worker *w, uint32_t pgoff, uint32_t cnt, bool reserved);
int as_bpf_op(struct as_run *r, struct as_op *op);
int as_bpf_op_fd(int prog_fd, struct as_op *op);
uint64_t as_peek_word(struct as_run *r, uint32_t p, uint32_t off, int *err);
static inline volatile uint64_t *as_uword(const struct as_run *r, uint32_t pgoff, uint32_t off)
{
	return (volatile uint64_t *)(as_page_addr(&r->a, pgoff) + off);
}
/* First step of every independent re-check: the PFN mapped now (0: none),
 * then MADV_DONTNEED of page p.  The caller's next access faults afresh;
 * as_pfn() then says what it mapped.  0, or -errno of madvise. */
int as_drop_pte(struct as_run *r, uint32_t p, uint64_t *pfn_now);
/* A read of page p that began with the page free (state s0) and returned v:
 * true when it still returned the token of the allocation freed there, i.e.
 * user space reached a page the arena dropped (a page being re-allocated
 * reads 0 or its new token instead). */
bool as_read_was_stale(const struct as_run *r, uint32_t p, uint32_t s0, uint64_t v);
static inline uint32_t page_state(const struct as_run *r, uint32_t p)
{
	return atomic_load_explicit(&r->pages[p].state, memory_order_acquire);
}
/* as_touch() of one page, inline for the engine's hot paths */
static inline void touch1(struct as_run *r, uint32_t p)
{
	if (!atomic_load_explicit(&r->pages[p].touched, memory_order_relaxed))
		atomic_store(&r->pages[p].touched, 1);
	if (!atomic_load_explicit(&r->pages[p].watched, memory_order_relaxed))
		as_watch_page(r, p);
}
uint32_t as_page_state(const struct as_run *r, uint32_t p);
/* Record a violation: time, address, report, console, --stop-on-violation. */
void as_violation(struct as_run *r, struct as_violation *v);

/* --inject stale, the free half: true when this free (of page p, n pages,
 * whose user PTE read pm just before it) is the one whose BPF free is
 * skipped.  as_stale_late_free(): the sweep that judged page p frees it for
 * real (its zap drops the PTE); found: the sweep reported it. */
bool as_stale_skip(struct as_run *r, uint32_t p, uint32_t n, bool deferred, bool have_pm, uint64_t pm);
void as_stale_late_free(struct as_run *r, uint32_t p, bool found);

/* sweep.c: quiesce all workers, run the coherence sweep, resume.  With
 * every worker parked no BPF op is in flight, so the accounting oracle
 * compares the arena's own page count with the page table there too. */
int as_sweep(struct as_run *r);

/* run.c: one run of one scenario; fills rep.  0, or 2 on set-up error (why). */
int as_run_scenario(const struct as_scenario *sc, const struct as_opts *o,
		    uint64_t seed, double duration_s, struct as_report *rep,
		    char *why, size_t len);

extern _Atomic bool as_interrupted;
/* --parallel: how many scenarios run at once (1 otherwise), and the tracing
 * attached once before their processes were forked (NULL: each its own). */
extern int as_concurrent;
extern const struct as_covrun *as_cov_shared;

#endif
