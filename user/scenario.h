/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scenario API: all that a scenario (one file in stress/) may use.
 *
 * A scenario is a descriptor (struct as_scenario) naming the workers it runs;
 * the engine creates a fresh arena, starts the BPF churn workers and the
 * scenario's user workers, parks them for coherence sweeps, applies every
 * oracle and writes the report.  Workers loop on as_continue() and use the
 * calls below; the run and worker structures are the engine's own.
 * README.md, "Adding a scenario", shows the smallest one.
 */
#ifndef AS_SCENARIO_H
#define AS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/bpf.h>
#include "arena_stress.h"
#include "opts.h"
#include "oracle.h"

struct as_run;		/* one run of one scenario on one fresh arena */
struct as_worker;	/* one worker thread of it */

/* ---- the descriptor ---- */

struct as_scenario {
	const char *name;
	const char *summary;
	bool unsafe;		/* may crash a kernel: host runs need --unsafe */
	uint32_t arena_flags;	/* extra map flags, e.g. BPF_F_SEGV_ON_FAULT */
	/* non-NULL: more map flags, chosen by the scenario's options (called
	 * once, before the arena is created); as_arena_flags() has the result */
	uint32_t (*more_flags)(void);
	bool reserves;		/* uses as_reserve*(): the engine loads the reservation program */
	/* non-NULL: the kernel allocates pages of its own in this arena, which
	 * no page table knows (why): the accounting oracle is off */
	const char *kernel_pages;
	/* the arena map is created in a memory cgroup of its own (a sibling of
	 * the scenario's), so the arena's allocations alone can be made to fail
	 * (as_arena_memcg_limit); after teardown its usage must come back */
	bool arena_memcg;
	/* runs only when named (--scenario): not in the default line-up (a
	 * scenario with needs of its own, e.g. an arena size) */
	bool named_only;
	/* 0 when this kernel supports the scenario, else fills why */
	int (*probe)(const struct as_opts *o, char *why, size_t len);
	/* before any worker starts: 0, or -errno (the run then fails) */
	int (*setup)(struct as_run *r);
	/* one user worker that always runs (even with --user-threads 0) */
	void (*lead)(struct as_worker *w);
	/* the user workers that fill up --user-threads (NULL: none) */
	void (*user)(struct as_worker *w);
	/* the --bpf-threads BPF workers (NULL: as_churn_worker) */
	void (*bpf)(struct as_worker *w);
	/* its own options (--NAME-...), terminated by an entry without a name */
	const struct as_optdef *opts;
};

/* ---- the arena and the run ---- */

/* The arena as every worker sees it; fixed for the run. */
struct as_arena {
	char *base;		/* user mapping, npages pages */
	size_t len;
	uint32_t npages;
	int map_fd;		/* the arena map: mmap it again with this */
	pid_t pid;		/* the scenario process (forked children differ) */
};
const struct as_arena *as_arena(const struct as_run *r);
const struct as_opts *as_opts_of(const struct as_run *r);
/* The arena's extra map flags: arena_flags | more_flags(). */
uint32_t as_arena_flags(const struct as_run *r);
struct as_run *as_run_of(const struct as_worker *w);
static inline char *as_page_addr(const struct as_arena *a, uint32_t p)
{
	return a->base + (size_t)p * AS_PAGE_SIZE;
}
/* AS_INJ_* test injection asked for on the command line */
bool as_injected(const struct as_run *r, uint32_t inj);
/* End the run (nothing left to test). */
void as_stop(struct as_run *r);
/* What of the scenario could not run here, and why (once, in the report). */
void as_note(struct as_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The arena's own memory cgroup (descriptor .arena_memcg): its usage in
 * bytes (-1: none); as_arena_memcg_limit() sets its memory.max to its usage
 * plus room bytes (room < 0: no limit), and forgets the peak; the peak
 * since then (-1: unknown).  0, or -errno. */
long long as_arena_memcg_usage(const struct as_run *r);
int as_arena_memcg_limit(struct as_run *r, long long room);
long long as_arena_memcg_peak(const struct as_run *r);
/* PFN of this process's PTE for page p, 0 when none (or not root). */
uint64_t as_pfn(struct as_run *r, uint32_t p);

/* ---- workers ---- */

#define AS_TOP_PAGES 64	/* "near the top" of the arena: its last pages */

/* Counters, summed over workers for the report and the progress line. */
enum as_ctr {
	C_ALLOC, C_ALLOC_PAGES, C_ALLOC_FAIL, C_FREE, C_FREE_PAGES,
	C_UREAD, C_UWRITE, C_USEGV, C_MADV, C_MPROTECT, C_FAULTS,
	C_SWEEP, C_SWEEP_PAGES, C_SUSPECT, C_REMAP, C_CHILD, C_CHECK,
	C_PIN, C_KOP, C_KOP_FAIL, C_USIGBUS,
	C_FREE_DEFERRED,	/* frees through the non-sleepable (deferred) path, 7.x */
	C_DEFERRED_LATE,	/* ... not completed within AS_DEFERRED_WAIT_MS: pages kept busy */
	C_ALLOC_NS,		/* allocations through the non-sleepable path, 7.x */
	C_ALLOC_NS_FAIL,	/* ... that failed: no error, the nolock allocator may */
	C_RESERVE,		/* reservations made (bpf_arena_reserve_pages) */
	C_RESV_CHECK,		/* refusals checked: reserve over allocated, alloc or user fault over reserved */
	C_ACCT_SETTLED,		/* accounting mismatches that settled within AS_ACCT_SETTLE_MS (a free the kernel deferred) */
	C_ALLOC_TOP,		/* allocations ending in the arena's last AS_TOP_PAGES pages (last 1/16 of a small one) */
	C_UNMAP_RACE,		/* contents checks not judged: another worker's munmap of the arena overlapped the read */
	C_SCRATCH,		/* 7.x: scratch page installs seen through BPF (stress/scratch.c) */
	C_SCRATCH_ALLOC,	/* ... allocations at an address where the scratch page was installed */
	C_RESV_FAULT,		/* user faults on a reserved page that mapped one (no BPF_F_SEGV_ON_FAULT) */
	C_RESV_FAULT_FAIL,	/* ... that failed (SIGSEGV): the reservation then checked whole */
	C_NOMEM_FAIL,		/* nomem: arena calls refused with the arena's memcg at its limit */
	C_NOMEM_PARTIAL,	/* ... multi-page allocations that failed after mapping a batch (rolled back) */
	C_NOMEM_NOFAIL,		/* ... squeezed calls that succeeded all the same (nothing driven) */
	C_NOMEM_DEFERRED,	/* ... deferred frees made with the memcg at its limit */
	C_NOMEM_LEAKED,		/* ... pages those kept (kmalloc_nolock() of the span failed: leaked by design) */
	C_NOMEM_CHECK,		/* ... oracle checks after a failure (range tree, page count, views) */
	C_SCRATCH_REFUSED,	/* non-sleepable allocations at a scratched page that the kernel refused (finding 6's fix) */
	C_SCRATCH_RETRY,	/* ... allocations there again once the free worker cleared it: done */
	C__NR
};
extern const char *const as_ctr_name[C__NR];

/* false: stop; parks the worker while a sweep runs */
bool as_continue(struct as_worker *w);
int as_worker_id(const struct as_worker *w);
uint64_t as_rand(struct as_worker *w);
static inline uint32_t as_rand_below(struct as_worker *w, uint32_t n)
{
	return n ? (uint32_t)(as_rand(w) % n) : 0;
}
uint64_t as_now_ns(void);
void as_nap(struct as_worker *w);	/* sleep --nap-us (0: nothing) */
void as_count(struct as_worker *w, enum as_ctr c, uint64_t n);
uint64_t as_counter(const struct as_worker *w, enum as_ctr c);

/* ---- BPF ops, with the zero-on-alloc and post-free oracles applied ---- */

/* One allocation a BPF worker owns: pages [pgoff, pgoff + cnt); or, with
 * reserved set, a reservation it holds (as_reserve). */
struct as_span { uint32_t pgoff, cnt; bool reserved; };
int as_alloc(struct as_worker *w, uint32_t pgoff, uint32_t cnt);	/* pgoff or AS_ANY_PGOFF */
int as_free_span(struct as_worker *w, uint32_t idx, uint32_t npages);	/* a prefix of owned span idx */
/* 7.x: the same through the non-sleepable kfunc variants (as a free from a
 * non-sleepable context takes them).  A deferred free returns before the
 * kernel frees anything; the engine keeps the pages "changing hands" (no
 * oracle judges them) until a run of arena_free_worker() that started after
 * it has finished, then samples the PTEs as for any free.  -EOPNOTSUPP
 * where the kernel (or tracing, for the completion) lacks them. */
int as_free_span_deferred(struct as_worker *w, uint32_t idx, uint32_t npages);
int as_alloc_nosleep(struct as_worker *w, uint32_t pgoff, uint32_t cnt);
/* Whether those two work here (else why, in the report). */
bool as_have_nosleep(const struct as_run *r);
bool as_have_deferred(const struct as_run *r);
/* Reservations (bpf_arena_reserve_pages; descriptor .reserves).  A
 * reservation is a span the worker owns with .reserved set; as_free_span()
 * releases it (a free releases a reservation).  Each call applies the
 * reservation contract and reports what the kernel got wrong:
 *   as_reserve: reserve free pages [pgoff, pgoff + cnt): 0, -EBUSY (not all
 *     free in the table: nothing asked; or the kernel refused), -EOPNOTSUPP;
 *   as_reserve_over: reserve over owned allocation idx (and the free page
 *     after it, when there is one): the kernel must refuse (-EBUSY);
 *   as_alloc_over: allocate at owned reservation idx: the kernel must refuse;
 *   as_ureserved_read: a user read of page p of owned reservation idx must
 *     fault (SIGSEGV), with or without BPF_F_SEGV_ON_FAULT. */
int as_reserve(struct as_worker *w, uint32_t pgoff, uint32_t cnt);
int as_reserve_over(struct as_worker *w, uint32_t idx);
int as_alloc_over(struct as_worker *w, uint32_t idx);
int as_ureserved_read(struct as_worker *w, uint32_t idx, uint32_t p);
/* The probe of a scenario that reserves: the kfunc is in this kernel's BTF. */
int as_probe_reserve(const struct as_opts *o, char *why, size_t len);
uint32_t as_nowned(const struct as_worker *w);			/* spans this worker owns */
struct as_span as_owned(const struct as_worker *w, uint32_t idx);
uint32_t as_hot_pick(struct as_worker *w);	/* a recently allocated page */
uint32_t as_victim(struct as_worker *w);	/* the page a BPF worker frees next */
void as_announce_victim(struct as_worker *w, uint32_t pgoff);
void as_suspect(struct as_worker *w);		/* ask for an immediate sweep */
/* No periodic sweep (--sweep-ms) until ms after the workers' start: a phase
 * whose own checks judge every op at once (stress/fault_free.c) keeps its
 * CPU time; a suspect (as_suspect) still sweeps at once. */
void as_hold_sweeps(struct as_worker *w, uint32_t ms);

/* ---- the page table ---- */

bool as_page_allocated(const struct as_run *r, uint32_t p);
uint64_t as_page_token(const struct as_run *r, uint32_t p);	/* of its last allocation */

/* ---- user-side access (SIGSEGV/SIGBUS caught): 0 or the signal ---- */

int as_uread(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t *val);
int as_uwrite(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t val);
int as_guarded_read(volatile uint64_t *p, uint64_t *val);
int as_guarded_write(volatile uint64_t *p, uint64_t val);
/* Code that makes the kernel touch arena pages for this process (GUP,
 * io_uring, ...) without as_uread/as_kop_begin calls this first, so the
 * post-free oracle samples the PTEs. */
void as_touch(struct as_run *r, uint32_t pgoff, uint32_t n);

/* ---- oracles a scenario calls ---- */

/* "Contents must persist": if page p stayed allocated around the read, it
 * must read the token BPF wrote.  what names the operation before it. */
int as_check_contents(struct as_worker *w, uint32_t p, const char *what);
/* "BPF reads its own token": BPF reads page p's token word through the
 * kernel mapping, on this worker's CPU; if p stayed allocated around the
 * read, it must be the token of that allocation.  Reported as V_TOKEN (a
 * stale kernel translation on this CPU, or a lost write).  Reading another
 * worker's page also loads it into this CPU's TLB. */
int as_check_bpf_token(struct as_worker *w, uint32_t p);
/* A process without a sweep of its own (a forked child) reads page p's
 * token: if the read began with the page free and returned the token of the
 * allocation freed there, this process maps a page the arena dropped, and it
 * is reported at once (V_STALE_FREE, with classify).  0, or the signal. */
int as_child_read(struct as_worker *w, uint32_t p, const char *classify);
/* Memory in use as the leak oracle sees it: this process's memory cgroup,
 * or where there is none (the VM) the system's MemTotal - MemFree - PageTables.  Bytes,
 * or -1.  as_check_mem_back: after work that should have given `released`
 * bytes back, usage must come back to within the larger of 8 MiB and a
 * quarter of `released` of base within 2 s; else a V_LEAK saying what.  1
 * when it reported. */
long long as_mem_used(void);
int as_check_mem_back(struct as_worker *w, long long base, long long released, const char *what);
/* A violation found by scenario code. */
void as_report_v(struct as_run *r, enum as_vkind kind, uint32_t pgoff, const char *classify,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The kernel accepted an operation the arena must refuse. */
#define as_contract(r, pgoff, ...) \
	as_report_v(r, V_CONTRACT, pgoff, "the arena mapping must refuse this", __VA_ARGS__)

/* ---- the mapping ---- */

/* munmap the whole arena and map it again at its address (napping
 * in between when nap is set), keeping the mapping generation the
 * kernel-path oracle reads.  A failed re-mmap is reported and ends the run:
 * returns -1 then, else 0. */
int as_remap(struct as_worker *w, bool nap);
/* Map the arena at its address in this process (a forked child, or after a
 * partial change): 0, or -errno. */
int as_map_again(const struct as_run *r);

/* ---- child processes (forked from a threaded process: in the child no
 * stdio and no malloc; as_report_v and the page table work) ---- */

struct as_child { pid_t pid; };
/* Fork a child running fn(w, arg), then _exit(0); counts C_CHILD.
 * 0, or -errno. */
int as_child_start(struct as_worker *w, struct as_child *c, void (*fn)(struct as_worker *w, void *arg),
		   void *arg);
/* Reap it if it exited (no wait): true when no child is running. */
bool as_child_reaped(struct as_child *c);
void as_child_kill(struct as_child *c);	/* SIGKILL and reap */

/* ---- kernel-path ops: the kernel reads or writes an arena page for this
 * process (GUP pins, io_uring, process_vm_readv/writev, O_DIRECT).  Bracket
 * each op with as_kop_begin() and as_kop_end(); the kernel-path oracle
 * (as_judge_kop) rules on it and every finding is re-checked and reported. */

struct as_kop {
	enum as_kop_kind kind;
	const char *path;	/* what the kernel did, for the report */
	uint32_t p, off;	/* page, and byte offset read (0) or written */
	uint32_t s0, mapgen0;	/* page state and mapping generation before */
	uint32_t any_inflight0;	/* allocations at kernel-chosen addresses before */
	uint64_t any_seq0;
	uint64_t tok0;		/* page token before */
	uint64_t mark;		/* AS_KOP_WRITE: the marker the op must write at off */
	bool pinned;		/* the page was taken earlier, by a pin (see as_kop_pinned) */
	bool ref_known, ref_alloc;
	uint64_t t_ref;
	bool stable;		/* out: the allocation did not change around the op */
};
/* Byte offset of this worker's marker slot in every page. */
uint32_t as_kslot(const struct as_worker *w);
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

/* ---- the standard workers (stress/workers.c) ---- */

void as_churn_worker(struct as_worker *w);	/* BPF alloc/free loop: every scenario's BPF side */
void as_fault_worker(struct as_worker *w);	/* user faulter of the page freed next */

/* ---- io_uring (stress/uring.c) ---- */

struct io_uring;
/* Submit what is queued (one sqe) and wait: the cqe's result, or -EIO. */
int as_uring_run1(struct io_uring *ring);
/* Probe of the io_uring scenarios: a ring works here and knows the ops. */
int as_probe_io_uring(const struct as_opts *o, char *why, size_t len);

#endif
