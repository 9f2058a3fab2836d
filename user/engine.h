/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arena-stress engine: one run of one scenario on one fresh arena.
 *
 * A run owns the BPF skeleton (and so the arena), a page-state table shared
 * by all workers, the worker threads the scenario starts, the quiesce
 * machinery the coherence sweep needs, and the violations found.
 */
#ifndef AS_ENGINE_H
#define AS_ENGINE_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/bpf.h>
#include "arena_stress.h"
#include "opts.h"
#include "oracle.h"

struct arena_stress_bpf;
struct as_run;

/* Counters, one set per worker (cache-line separated), summed for reports. */
enum as_ctr {
	C_ALLOC, C_ALLOC_PAGES, C_ALLOC_FAIL, C_FREE, C_FREE_PAGES,
	C_UREAD, C_UWRITE, C_USEGV, C_MADV, C_FAULTS,
	C_SWEEP, C_SWEEP_PAGES, C_SUSPECT, C_REMAP, C_CHILD, C_CHECK,
	C_PIN, C_KOP, C_KOP_FAIL, C_USIGBUS,
	C__NR
};
extern const char *const as_ctr_name[C__NR];

/* Page state: 0 = free; otherwise the owning worker's id + 1, with PS_BUSY
 * set while it changes (claimed for an alloc in flight, token being updated,
 * free in flight).  Readers trust (state, token) only when not busy and the
 * same before and after what they check: a seqlock of sorts. */
#define PS_FREE		0u
#define PS_BUSY	(1u << 31)

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
};

struct as_allocrun { uint32_t pgoff, cnt; };

/* One worker thread (BPF churn or user side).  Scenario code gets this. */
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
	struct as_allocrun *runs;
	uint32_t nruns, cap;
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

struct as_scenario {
	const char *name;
	const char *summary;
	bool unsafe;		/* may crash a kernel: host needs --unsafe */
	uint32_t arena_flags;	/* extra map flags, e.g. BPF_F_SEGV_ON_FAULT */
	/* Returns 0 when supported, else fills why. */
	int (*probe)(const struct as_opts *o, char *why, size_t len);
	/* Starts workers with as_spawn(); the engine drives the rest. */
	int (*start)(struct as_run *r);
};

#define AS_HOT_RING 64

struct as_run {
	const struct as_scenario *sc;
	const struct as_opts *o;
	struct arena_stress_bpf *skel;
	int prog_fd;
	int map_fd;			/* the arena map: mmap it again with this */
	char *base;			/* user mapping of the arena */
	size_t len;			/* its length (npages pages) */
	uint32_t npages;
	uint64_t seed;
	pid_t pid;			/* the scenario process (children differ) */
	uint64_t t0;			/* ns, monotonic */
	struct as_page *pages;		/* MAP_SHARED: forked children see it live */
	int pagemap_fd;

	struct as_worker *w[64];
	int nw;

	/* read by every worker on every iteration: keep on its own line */
	_Atomic bool stop __attribute__((aligned(64)));
	_Atomic bool quiesce;
	_Atomic int parked __attribute__((aligned(64)));
	_Atomic uint64_t suspects;	/* post-free checks that asked for a sweep */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;

	_Atomic uint32_t hot[AS_HOT_RING] __attribute__((aligned(64)));	/* recently allocated */
	_Atomic uint32_t hot_head;
	_Atomic uint32_t target;		/* page a BPF worker is freeing now */
	_Atomic uint32_t mapgen;		/* odd while a worker has the arena unmapped */
	/* allocations at a kernel-chosen address in flight, and how many began:
	 * until such an op returns, a page the table calls free may be allocated */
	_Atomic uint32_t any_inflight;
	_Atomic uint64_t any_seq;

	struct as_report *rep;		/* where violations go */
	uint64_t sweep_seq;
	uint64_t totals[C__NR];		/* summed at the end */
	uint64_t own_ctr[C__NR];	/* the coordinator's own (sweeps) */
	uint64_t elapsed_ns;
	bool interrupted;
	bool hung;			/* workers stuck in the kernel: cannot tear down */
};

/* Engine API for scenarios. */
int as_spawn(struct as_run *r, bool bpf, void (*fn)(struct as_worker *w));
/* The usual line-up: --bpf-threads as_churn_worker, then `lead` once (if
 * given), then `user` until --user-threads user workers run in all. */
int as_spawn_std(struct as_run *r, void (*lead)(struct as_worker *w), void (*user)(struct as_worker *w));
bool as_continue(struct as_worker *w);		/* false: stop; parks on quiesce */
uint64_t as_rand(struct as_worker *w);
static inline uint32_t as_rand_below(struct as_worker *w, uint32_t n)
{
	return n ? (uint32_t)(as_rand(w) % n) : 0;
}
uint64_t as_now_ns(void);
void as_nap(struct as_worker *w);	/* sleep --nap-us (0: nothing) */

/* BPF ops (run through BPF_PROG_TEST_RUN) with their oracles applied. */
int as_bpf_op(struct as_run *r, struct as_op *op);
int as_alloc(struct as_worker *w, uint32_t pgoff, uint32_t cnt);	/* pgoff or AS_ANY_PGOFF */
int as_free_run(struct as_worker *w, uint32_t idx, uint32_t npages);	/* free a prefix of owned run idx */
uint32_t as_hot_pick(struct as_worker *w);
void as_churn_worker(struct as_worker *w);	/* standard BPF alloc/free loop */
void as_fault_worker(struct as_worker *w);	/* standard user faulter */
uint32_t as_target(struct as_worker *w);	/* page a BPF worker frees next */
void as_set_target(struct as_run *r, uint32_t pgoff);
void as_suspect(struct as_worker *w);		/* ask for an immediate sweep */

/* "Contents must persist": read page p's token and, if the page stayed
 * allocated (same owner, same token, not being freed) around the read, it
 * must be the token BPF wrote.  what names the operation before the read. */
int as_check_contents(struct as_worker *w, uint32_t p, const char *what);
/* Record a violation found by scenario code. */
void as_report_v(struct as_run *r, enum as_vkind kind, uint32_t pgoff, const char *classify,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The kernel accepted an operation the arena must refuse. */
#define as_contract(r, pgoff, ...) \
	as_report_v(r, V_CONTRACT, pgoff, "the arena mapping must refuse this", __VA_ARGS__)

/* User-side guarded access; return 0 or the signal number. */
int as_uread(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t *val);
/* A read of page p that began with the page free (state s0) and returned v:
 * true when it still returned the token of the allocation freed there, i.e.
 * user space reached a page the arena dropped (a page being re-allocated
 * reads 0 or its new token instead). */
bool as_read_was_stale(struct as_run *r, uint32_t p, uint32_t s0, uint64_t v);
int as_uwrite(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t val);
int as_guarded_read(volatile uint64_t *p, uint64_t *val);
/* Scenario code that makes the kernel touch arena pages for this process
 * (GUP, io_uring, ...) calls this first, so the post-free oracle looks. */
static inline void as_touch(struct as_run *r, uint32_t pgoff, uint32_t n);
int as_guarded_write(volatile uint64_t *p, uint64_t val);

void as_install_signal_guard(void);

/*
 * Kernel-path ops: the kernel reads or writes an arena page for this process
 * (GUP pins, io_uring, process_vm_readv/writev, O_DIRECT).  Bracket each op
 * with as_kop_begin() and as_kop_end(); the kernel-path oracle
 * (as_judge_kop) rules on it and every finding is re-checked and reported.
 */
struct as_kop {
	enum as_kop_kind kind;
	const char *path;	/* what the kernel did, for the report */
	uint32_t p, off;	/* page, and byte offset read (0) or written */
	uint32_t s0, mapgen0;	/* page state and mapping generation before */
	uint32_t any_inflight0;	/* allocations at kernel-chosen addresses before */
	uint64_t any_seq0;
	uint64_t t0;		/* page token before */
	uint64_t mark;		/* AS_KOP_WRITE: the marker the op must write at off */
	bool pinned;		/* the page was taken earlier, by a pin (see as_kop_pinned) */
	bool ref_known, ref_alloc;
	uint64_t t_ref;
	bool stable;		/* out: the allocation did not change around the op */
};
/* Byte offset of this worker's marker slot in every page. */
static inline uint32_t as_kslot(const struct as_worker *w) { return AS_KSLOT_OFF + 8 * (w->id % AS_KSLOTS); }
/* Snapshot page p before handing its address to the kernel; a WRITE gets
 * its unique marker in k->mark. */
void as_kop_begin(struct as_worker *w, struct as_kop *k, enum as_kop_kind kind, uint32_t p, uint32_t off,
		  const char *path);
/* The op acts on a page pinned by an earlier op (reg, ended): judge against
 * the allocation that was there when the pin was taken. */
void as_kop_pinned(struct as_kop *k, const struct as_kop *reg);
/* The op finished with err (0 or -errno); val is the word a READ returned.
 * A WRITE is checked by BPF reading the marker's place.  Returns the verdict. */
enum as_vkind as_kop_end(struct as_worker *w, struct as_kop *k, int err, uint64_t val);

/* One run of one scenario; fills rep. Returns 0, or 2 on set-up error (why). */
int as_run_scenario(const struct as_scenario *sc, const struct as_opts *o,
		    uint64_t seed, double duration_s, struct as_report *rep,
		    char *why, size_t len);

/* Quiesce all workers, run the coherence sweep, resume.  Exposed for tests. */
int as_sweep(struct as_run *r);

extern _Atomic bool as_interrupted;

static inline void as_touch(struct as_run *r, uint32_t pgoff, uint32_t n)
{
	for (uint32_t i = 0; i < n && pgoff + i < r->npages; i++)
		if (!atomic_load_explicit(&r->pages[pgoff + i].touched, memory_order_relaxed))
			atomic_store(&r->pages[pgoff + i].touched, 1);
}

#endif
