// SPDX-License-Identifier: GPL-2.0
/*
 * BPF ops and the page table: every alloc and free goes through here, with
 * the zero-on-alloc oracle (BPF checks fresh pages) and the post-free oracle
 * (this process's PTEs sampled around each free) attached; user reads and
 * writes, the contents-persist check, and the mapping helpers.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "report.h"

uint64_t as_pfn(struct as_run *r, uint32_t p)
{
	uint64_t pm = 0;

	if (r->pagemap_fd < 0 || as_pagemap_read(r->pagemap_fd, (uintptr_t)as_uword(r, p, 0), 1, &pm) ||
	    !(pm & PM_PRESENT))
		return 0;
	return pm & PM_PFN_MASK;
}

int as_drop_pte(struct as_run *r, uint32_t p, uint64_t *pfn_now)
{
	*pfn_now = as_pfn(r, p);
	return madvise((void *)as_uword(r, p, 0), AS_PAGE_SIZE, MADV_DONTNEED) ? -errno : 0;
}

void as_touch(struct as_run *r, uint32_t pgoff, uint32_t n)
{
	for (uint32_t i = 0; i < n && pgoff + i < r->a.npages; i++)
		touch1(r, pgoff + i);
}

/* a holder killed inside (a child at teardown) must not wedge the rest */
void as_watch_lock(struct as_watch *wl)
{
	uint64_t until = 0;

	while (atomic_exchange_explicit(&wl->lock, 1, memory_order_acquire)) {
		if (!until)
			until = as_now_ns() + 1000000000ULL;
		else if (as_now_ns() > until)
			return;	/* taken over */
		sched_yield();
	}
}

void as_watch_unlock(struct as_watch *wl)
{
	atomic_store_explicit(&wl->lock, 0, memory_order_release);
}

/* onto the list appends go to now; the lock held */
static void watch_append(struct as_watch *wl, uint32_t p)
{
	uint32_t c = atomic_load_explicit(&wl->cur, memory_order_relaxed);

	if (wl->n[c] < wl->cap)
		wl->idx[(size_t)c * wl->cap + wl->n[c]++] = p;
	else
		wl->overflow = true;
}

void as_watch_page(struct as_run *r, uint32_t p)
{
	struct as_watch *wl = r->watch;

	if (!wl)
		return;
	as_watch_lock(wl);
	if (!atomic_exchange(&r->pages[p].watched, 1))
		watch_append(wl, p);
	as_watch_unlock(wl);
}

void as_watch_keep(struct as_run *r, uint32_t p)
{
	as_watch_lock(r->watch);
	watch_append(r->watch, p);
	as_watch_unlock(r->watch);
}

uint32_t as_page_state(const struct as_run *r, uint32_t p)
{
	return page_state(r, p);
}

bool as_page_allocated(const struct as_run *r, uint32_t p)
{
	return ps_allocated(as_page_state(r, p));
}

uint64_t as_page_token(const struct as_run *r, uint32_t p)
{
	return __atomic_load_n(&r->pages[p].token, __ATOMIC_ACQUIRE);
}

uint64_t as_peek_word(struct as_run *r, uint32_t p, uint32_t off, int *err)
{
	struct as_op op = {.op = AS_OP_PEEK, .pgoff = p, .off = off};

	*err = as_bpf_op(r, &op);
	return op.peek_val;
}

/* ---- the mapping ---- */

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int as_map_again(const struct as_run *r)
{
	void *m = mmap(r->a.base, r->a.len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
		       r->a.map_fd, 0);

	if (m == r->a.base)
		return 0;
	if (m != MAP_FAILED) {	/* a kernel without MAP_FIXED_NOREPLACE put it elsewhere */
		munmap(m, r->a.len);
		return -EEXIST;
	}
	return -errno;
}

int as_remap(struct as_worker *w, bool nap)
{
	struct as_run *r = w->run;
	int err;

	atomic_fetch_add(&r->mapgen, 1);	/* odd: unmapped (as_kop_end) */
	if (munmap(r->a.base, r->a.len)) {
		as_contract(r, 0, "munmap of the whole arena failed: %s", strerror(errno));
		atomic_fetch_add(&r->mapgen, 1);
		return 0;
	}
	if (nap)
		as_nap(w);	/* let frees run while nothing is mapped */
	err = as_map_again(r);
	atomic_fetch_add(&r->mapgen, 1);
	w->ctr[C_REMAP]++;
	if (err) {
		as_contract(r, 0, "mmap of the arena again at %p after munmap failed: %s", r->a.base,
			    strerror(-err));
		as_stop(r);	/* nothing to test without it */
		return -1;
	}
	return 0;
}

void as_suspect(struct as_worker *w)
{
	w->ctr[C_SUSPECT]++;
	atomic_fetch_add(&w->run->suspects, 1);
	/* Park everybody now: a user worker's next MADV_DONTNEED would
	 * otherwise heal the very PTE the sweep has to see. */
	atomic_store(&w->run->quiesce, true);
}

void as_hold_sweeps(struct as_worker *w, uint32_t ms)
{
	uint64_t until = w->run->t0 + ms * 1000000ULL, cur = atomic_load(&w->run->sweep_hold_ns);

	while (until > cur && !atomic_compare_exchange_weak(&w->run->sweep_hold_ns, &cur, until))
		;
}

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
	as_violation(w->run, &v);
}

/* A guarded user read or write of one word, counted; SIGBUS is reported. */
static int uaccess(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t *val, bool write)
{
	int sig;

	touch1(w->run, pgoff);
	atomic_store_explicit(&w->cur, pgoff, memory_order_relaxed);
	sig = write ? as_guarded_write(as_uword(w->run, pgoff, off), *val)
		    : as_guarded_read(as_uword(w->run, pgoff, off), val);
	w->ctr[sig ? C_USEGV : write ? C_UWRITE : C_UREAD]++;
	if (sig == SIGBUS)
		sigbus(w, pgoff, write ? "write" : "read");
	return sig;
}

int as_uread(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t *val)
{
	uint32_t s0 = page_state(w->run, pgoff);
	int sig = uaccess(w, pgoff, off, val, false);

	/* a suspect only: the sweep decides */
	if (!sig && off == AS_OFF_TOKEN && as_read_was_stale(w->run, pgoff, s0, *val))
		as_suspect(w);
	return sig;
}

int as_uwrite(struct as_worker *w, uint32_t pgoff, uint32_t off, uint64_t val)
{
	return uaccess(w, pgoff, off, &val, true);
}

bool as_read_was_stale(const struct as_run *r, uint32_t p, uint32_t s0, uint64_t v)
{
	struct as_page *pg = &r->pages[p];

	return s0 == PS_FREE && v && v == __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) &&
	       atomic_load(&pg->state) == PS_FREE;
}

int as_child_read(struct as_worker *w, uint32_t p, const char *classify)
{
	struct as_run *r = w->run;
	uint32_t s0 = as_page_state(r, p);
	uint64_t v = 0;
	int sig = as_guarded_read(as_uword(r, p, AS_OFF_TOKEN), &v);

	if (!sig && as_read_was_stale(r, p, s0, v))
		as_report_v(r, V_STALE_FREE, p, classify, "child %d reads token %#" PRIx64 " of an allocation "
			    "whose free had returned", getpid(), v);
	return sig;
}

int as_bpf_op_fd(int prog_fd, struct as_op *op)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = op, .ctx_size_in = sizeof(*op));
	int err = bpf_prog_test_run_opts(prog_fd, &t);

	return err ? err : (int)op->ret;
}

int as_bpf_op(struct as_run *r, struct as_op *op)
{
	return as_bpf_op_fd(r->prog_fd, op);
}

bool as_have_nosleep(const struct as_run *r) { return r->nosleep_fd >= 0; }
bool as_have_deferred(const struct as_run *r) { return r->deferred; }

void as_violation(struct as_run *r, struct as_violation *v)
{
	v->t_ns = as_now_ns() - r->t0;
	v->addr = (uint64_t)(uintptr_t)r->a.base + (uint64_t)v->pgoff * AS_PAGE_SIZE;
	as_report_add(r->rep, v);
	if (getpid() != r->a.pid)
		return;	/* a forked child: no stdio (a parent thread may have held its lock) */
	if (r->o->verbose || r->rep->nviol <= 3)
		as_report_print_violation(stdout, r->rep, v);
	if (r->rep->nviol == 4 && !r->o->verbose)
		printf("(further violations are counted; -v prints each)\n");
	fflush(stdout);
	if (r->o->stop_on_violation)
		atomic_store(&r->stop, true);
}

void as_span_push(struct as_worker *w, uint32_t pgoff, uint32_t cnt, bool reserved)
{
	if (w->nspans == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 64;
		struct as_span *n = realloc(w->spans, cap * sizeof(*n));

		if (!n)
			return;
		w->spans = n;
		w->cap = cap;
	}
	w->spans[w->nspans++] = (struct as_span){pgoff, cnt, reserved};
}

uint32_t as_nowned(const struct as_worker *w) { return w->nspans; }
struct as_span as_owned(const struct as_worker *w, uint32_t idx) { return w->spans[idx]; }

static void hot_push(struct as_run *r, uint32_t pgoff)
{
	uint32_t h = atomic_fetch_add_explicit(&r->hot_head, 1, memory_order_relaxed);

	atomic_store_explicit(&r->hot[h % AS_HOT_RING], pgoff, memory_order_relaxed);
}

uint32_t as_victim(struct as_worker *w)
{
	return atomic_load_explicit(&w->run->victim, memory_order_relaxed);
}

void as_announce_victim(struct as_worker *w, uint32_t pgoff)
{
	atomic_store_explicit(&w->run->victim, pgoff, memory_order_relaxed);
}

uint32_t as_hot_pick(struct as_worker *w)
{
	struct as_run *r = w->run;
	uint32_t h = atomic_load_explicit(&r->hot_head, memory_order_relaxed);
	uint32_t back = 1 + as_rand_below(w, 4);

	if (h < back)
		return as_rand_below(w, r->a.npages);
	return atomic_load_explicit(&r->hot[(h - back) % AS_HOT_RING], memory_order_relaxed);
}

static int alloc(struct as_worker *w, uint32_t pgoff, uint32_t cnt, bool nosleep)
{
	struct as_run *r = w->run;
	uint32_t me = w->id + 1, i, got;
	struct as_op op = {0};
	uint64_t gen;
	int err;

	if (pgoff != AS_ANY_PGOFF) {
		if (pgoff + cnt > r->a.npages || pgoff == 0)
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
	err = as_bpf_op_fd(nosleep ? r->nosleep_fd : r->prog_fd, &op);
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
		w->ctr[nosleep ? C_ALLOC_NS_FAIL : C_ALLOC_FAIL]++;
		return err;
	}
	if (nosleep)
		w->ctr[C_ALLOC_NS]++;
	for (i = 0; i < cnt; i++) {
		struct as_page *pg = &r->pages[got + i];

		if (pgoff == AS_ANY_PGOFF && (atomic_load(&pg->state) & PS_RESV))
			as_report_v(r, V_CONTRACT, got + i, "bpf_arena_alloc_pages() must never hand out a reserved page",
				    "an allocation at a kernel-chosen address (%u page(s) at page %u) includes page %u, "
				    "which worker %u holds reserved%s", cnt, got, got + i,
				    (atomic_load(&pg->state) & ~(PS_RESV | PS_BUSY)) - 1,
				    /* --inject resv releases reservations behind the table */
				    r->o->inject & AS_INJ_RESV ? " [injected]" : "");
		/* busy, token, owned: a reader never pairs the owner with a
		 * stale token (as_check_contents), and one that sees the new
		 * token sees the page not free (as_uread) */
		atomic_store_explicit(&pg->state, me | PS_BUSY, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);	/* busy before the token */
		pg->cnt_hint = cnt;
		pg->early_reuse = atomic_load(&pg->freeing);
		__atomic_store_n(&pg->token, AS_TOKEN(gen, got + i), __ATOMIC_RELEASE);
		atomic_store_explicit(&pg->state, me, memory_order_release);
		if (!atomic_load_explicit(&pg->watched, memory_order_relaxed))
			as_watch_page(r, got + i);
	}
	if (pgoff == AS_ANY_PGOFF)
		atomic_fetch_sub(&r->any_inflight, 1);
	w->ctr[C_ALLOC]++;
	w->ctr[C_ALLOC_PAGES] += cnt;
	/* the last AS_TOP_PAGES, or the last sixteenth of a small arena */
	w->ctr[C_ALLOC_TOP] += got + cnt + (r->a.npages / 16 < AS_TOP_PAGES ? r->a.npages / 16 : AS_TOP_PAGES)
			       > r->a.npages;
	as_span_push(w, got, cnt, false);
	hot_push(r, got);
	if (op.dirty_words) {
		struct as_violation v = {.kind = V_DIRTY_ALLOC, .pgoff = op.dirty_pgoff};

		snprintf(v.saw, sizeof(v.saw),
			 "fresh page (alloc of %u page(s) at page %u) had %u non-zero word(s) in its oracle half; "
			 "first at offset %u = %#" PRIx64 "%s", cnt, got, op.dirty_words, op.dirty_off,
			 (uint64_t)op.dirty_val, op.inject ? " [injected]" : "");
		snprintf(v.classify, sizeof(v.classify), "the page allocator or a stale writer handed out a used page%s",
			 as_reuse_note(r, op.dirty_pgoff));
		as_violation(r, &v);
	}
	return 0;
}

int as_alloc(struct as_worker *w, uint32_t pgoff, uint32_t cnt)
{
	return alloc(w, pgoff, cnt, false);
}

int as_alloc_nosleep(struct as_worker *w, uint32_t pgoff, uint32_t cnt)
{
	return as_have_nosleep(w->run) ? alloc(w, pgoff, cnt, true) : -EOPNOTSUPP;
}

/*
 * When is a deferred free of page p (token tok) done?  arena_free_worker()
 * first clears the kernel PTEs of every queued span under the arena's
 * spinlock, then (unlocked) flushes, zaps user space and frees.  So once BPF
 * no longer reads tok at p, the run that took the span has started; runs are
 * serialized, so when every run started by then has finished (fexit count >=
 * fentry count, read after the observation), so has that one, zap included.
 * True when that happened within AS_DEFERRED_WAIT_MS.
 */
static bool deferred_done(struct as_run *r, uint32_t p, uint64_t tok)
{
	uint64_t end = as_now_ns() + AS_DEFERRED_WAIT_MS * 1000000ULL, s, d, started = 0;
	bool cleared = false;
	int err;

	while (as_cov_free_worker(r->cov, r->arena_id, &s, &d)) {
		if (!cleared && as_peek_word(r, p, AS_OFF_TOKEN, &err) != tok && !err) {
			cleared = true;
			as_cov_free_worker(r->cov, r->arena_id, &started, &d);
		}
		if (cleared && d >= started)
			return true;
		struct timespec ts = {0, 20000};	/* sleep: the kworker may share our CPU */

		if (as_now_ns() > end)
			return false;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * --inject stale: a user PTE left on a page the arena freed, the state
 * finding 1 leaves behind, made on purpose so that the stale-free oracle is
 * shown to fire through its whole real path (pagemap, as_judge_page, the
 * re-check, the report).  The kernel cannot be made to skip its zap, so the
 * engine emulates a free that returned without zapping: for one single-page
 * sleepable free of a page this process maps (its PTE present just before),
 * BPF's bpf_arena_free_pages() is not called and the page table records the
 * free as after any free that returned.  The PTE then stays on the page, with
 * the PFN it had, as the post-free samples show, and the free's suspect
 * starts a sweep.  What differs from the kernel bug until that sweep: the
 * arena still owns the page (BPF reads its old token, not 0; an allocation at
 * that address fails, the kernel's page count is one more).  The sweep that
 * judges the page frees it for real (as_stale_late_free), after its verdict
 * and before its re-check: the kernel's zap drops the PTE, so the re-check
 * sees what it sees after a real orphaned PTE, a free page that faults.
 * Once per run; re-armed if the sweep found no PTE (a worker dropped it).
 */
bool as_stale_skip(struct as_run *r, uint32_t p, uint32_t n, bool deferred, bool have_pm, uint64_t pm)
{
	uint32_t armed = 0;

	return (r->o->inject & AS_INJ_STALE) && n == 1 && !deferred && have_pm && (pm & PM_PRESENT) &&
	       getpid() == r->a.pid &&	/* the sweep runs in this process */
	       atomic_compare_exchange_strong(&r->inj_stale, &armed, p + 1);
}

void as_stale_late_free(struct as_run *r, uint32_t p, bool found)
{
	struct as_op op = {.op = AS_OP_FREE, .pgoff = p, .cnt = 1};

	as_bpf_op(r, &op);
	atomic_store(&r->inj_stale, found ? AS_STALE_DONE : 0);
}

static int free_span(struct as_worker *w, uint32_t idx, uint32_t n, bool deferred)
{
	struct as_run *r = w->run;
	struct as_span *ar = &w->spans[idx];
	uint32_t pgoff = ar->pgoff, i, me = w->id + 1;
	uint64_t before[AS_MAX_ALLOC_CNT], after[AS_MAX_ALLOC_CNT], t;
	struct as_op op = {0};
	bool have_pm = r->pagemap_fd >= 0 && n <= AS_MAX_ALLOC_CNT;
	bool suspect = false;
	int err;

	if (!n || n > ar->cnt || (deferred && ar->reserved))
		return -EINVAL;	/* a deferred free's completion is told by its token */
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
	if (have_pm && as_pagemap_read(r->pagemap_fd, (uintptr_t)as_uword(r, pgoff, 0), n, before))
		have_pm = false;
	/* nobody else can own these until the free runs: a store will do */
	for (i = 0; i < n; i++) {
		atomic_store_explicit(&r->pages[pgoff + i].state, me | PS_BUSY, memory_order_relaxed);
		atomic_store_explicit(&r->pages[pgoff + i].freeing, 1, memory_order_relaxed);
	}
	atomic_thread_fence(memory_order_seq_cst);	/* busy before the kernel frees */
	op.op = AS_OP_FREE;
	op.pgoff = pgoff;
	op.cnt = n;
	err = as_stale_skip(r, pgoff, n, deferred, have_pm, have_pm ? before[0] : 0) ? 0
	    : as_bpf_op_fd(deferred ? r->nosleep_fd : r->prog_fd, &op);
	if (err) {	/* nothing was freed: still ours */
		for (i = 0; i < n; i++) {
			atomic_store_explicit(&r->pages[pgoff + i].state, me, memory_order_release);
			atomic_store(&r->pages[pgoff + i].freeing, 0);
		}
		return err;
	}
	if (deferred) {
		w->ctr[C_FREE_DEFERRED]++;
		if (!deferred_done(r, pgoff, __atomic_load_n(&r->pages[pgoff].token, __ATOMIC_ACQUIRE))) {
			/* not known to be done (a kmalloc_nolock failure leaves
			 * the pages allocated by design): never judged, never
			 * reused, and not ours any more */
			w->ctr[C_DEFERRED_LATE]++;
			if (n == ar->cnt)
				*ar = w->spans[--w->nspans];
			else
				ar->pgoff += n, ar->cnt -= n;
			return 0;
		}
	}
	t = as_now_ns() - r->t0;
	if (have_pm && as_pagemap_read(r->pagemap_fd, (uintptr_t)as_uword(r, pgoff, 0), n, after))
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
		atomic_store(&pg->freeing, 0);	/* before the table says free */
		atomic_compare_exchange_strong(&pg->state, &exp, PS_FREE);
	}
	w->ctr[C_FREE]++;
	w->ctr[C_FREE_PAGES] += n;
	if (n == ar->cnt) {
		*ar = w->spans[--w->nspans];
	} else {
		ar->pgoff += n;
		ar->cnt -= n;
	}
	if (suspect)
		as_suspect(w);
	return 0;
}

int as_free_span(struct as_worker *w, uint32_t idx, uint32_t n)
{
	return free_span(w, idx, n, false);
}

int as_free_span_deferred(struct as_worker *w, uint32_t idx, uint32_t n)
{
	return as_have_deferred(w->run) ? free_span(w, idx, n, true) : -EOPNOTSUPP;
}

/*
 * Did another worker begin a munmap of the arena (as_remap) since mapgen read
 * m0?  munmap takes the VMA out of the mm's tree before it zaps its PTEs; in
 * between, a free's zap_pages() cannot find the VMA (it re-resolves it with
 * find_vma()), so the page it frees stays mapped there until the munmap's own
 * zap, and this process's reads may still see it.  Racing one's own munmap:
 * not judged, counted.
 */
static bool unmap_raced(struct as_worker *w, uint32_t m0)
{
	if (atomic_load(&w->run->mapgen) == m0)
		return false;
	w->ctr[C_UNMAP_RACE]++;
	return true;
}

int as_check_contents(struct as_worker *w, uint32_t p, const char *what)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[p];
	uint32_t s0 = atomic_load(&pg->state), s1;
	uint64_t t0 = __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST), t1, v = 0;
	uint32_t m0 = atomic_load(&r->mapgen);	/* odd: a worker has the arena unmapped */
	int sig;

	if (!ps_allocated(s0) || (s0 & PS_BUSY) || (m0 & 1))
		return 0;
	as_touch(r, p, 1);
	atomic_store_explicit(&w->cur, p, memory_order_relaxed);
	sig = as_guarded_read(as_uword(r, p, AS_OFF_TOKEN), &v);
	atomic_thread_fence(memory_order_acquire);	/* the read before the re-check */
	t1 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	s1 = atomic_load_explicit(&pg->state, memory_order_acquire);
	if (s1 != s0 || t1 != t0 || sig || v == t0)
		return 0;	/* raced with a free or re-allocation, or intact */
	if (unmap_raced(w, m0))
		return 0;
	{
		struct as_violation viol = {.kind = V_COHERENCE, .pgoff = p};
		uint64_t v2 = 0, vb;
		char hist[360] = "";
		int sig2, perr;

		/* confirm: which page did we read, and does a fresh fault read
		 * the arena's own page?  And what does BPF itself read there (the
		 * table could be wrong; the kernel's mapping could disagree)? */
		as_drop_pte(r, p, &viol.pfn_user);
		sig2 = as_guarded_read(as_uword(r, p, AS_OFF_TOKEN), &v2);
		viol.pfn_after = as_pfn(r, p);
		vb = as_peek_word(r, p, AS_OFF_TOKEN, &perr);
		if (atomic_load(&pg->state) != s0 || __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) != t0)
			return 0;	/* freed meanwhile: the re-check means nothing */
		if (unmap_raced(w, m0))	/* the re-check too */
			return 0;
		viol.confirmed = !sig2 && v2 == t0;
		if (viol.confirmed && viol.pfn_after != viol.pfn_user)
			as_free_history(r, p, viol.pfn_user, hist, sizeof(hist));
		snprintf(viol.saw, sizeof(viol.saw), "after %s, user reads token %#" PRIx64
			 " from a page BPF allocated with token %#" PRIx64 " and still owns; re-read after "
			 "MADV_DONTNEED: %#" PRIx64 "%s; BPF reads %#" PRIx64 "%s", what, v, t0, v2,
			 sig2 ? " (faulted)" : "", vb, perr ? " (peek failed)" : "");
		snprintf(viol.classify, sizeof(viol.classify), "contents did not persist across %s: %s%s", what,
			 !viol.confirmed ? "not explained by a stale PTE"
			 : viol.pfn_after != viol.pfn_user ? "the user PTE mapped another page than the arena's "
				"(an orphaned user PTE, on a page the arena no longer has at this address); a fresh "
				"fault maps the arena's page"
			 : "a stale PTE, already replaced by another thread before its PFN was sampled; "
			   "a fresh fault maps the arena's page", as_reuse_note(r, p));
		if (hist[0])
			snprintf(viol.classify + strlen(viol.classify), sizeof(viol.classify) - strlen(viol.classify),
				 "; %s", hist);
		as_violation(r, &viol);
	}
	return 1;
}

const char *as_reuse_note(const struct as_run *r, uint32_t p)
{
	return r->pages[p].early_reuse ? "; this allocation took the address while its previous free was still "
		"running: the kernel released the range before that free's TLB flush and user zap were done" : "";
}

int as_check_bpf_token(struct as_worker *w, uint32_t p)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[p];
	uint32_t s0 = atomic_load(&pg->state);
	uint64_t t0 = __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST), v, v2;
	int err, err2, cpu = sched_getcpu();

	if (!ps_allocated(s0) || (s0 & PS_BUSY))
		return 0;
	v = as_peek_word(r, p, AS_OFF_TOKEN, &err);
	w->ctr[C_CHECK]++;
	if (err || v == t0 || atomic_load(&pg->state) != s0 || __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) != t0)
		return 0;	/* intact, or raced with a free or re-allocation */
	/* the same read again, after a moment (another CPU's flush may land) */
	sched_yield();
	v2 = as_peek_word(r, p, AS_OFF_TOKEN, &err2);
	if (atomic_load(&pg->state) != s0 || __atomic_load_n(&pg->token, __ATOMIC_SEQ_CST) != t0)
		return 0;
	{
		struct as_violation viol = {.kind = V_TOKEN, .pgoff = p};

		viol.confirmed = !err2 && v2 != t0;
		snprintf(viol.saw, sizeof(viol.saw), "BPF on CPU %d reads %#" PRIx64 " at page %u, which stayed "
			 "allocated with token %#" PRIx64 " around the read; read again: %#" PRIx64, cpu, v, p, t0, v2);
		snprintf(viol.classify, sizeof(viol.classify), "BPF's view through the kernel mapping lost the "
			 "allocation's token: %s%s", v2 == t0 ? "transient (a stale kernel TLB entry on that CPU, "
			 "flushed meanwhile?)" : "persistent: the kernel page at this address holds other data",
			 as_reuse_note(r, p));
		as_violation(r, &viol);
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
	as_violation(r, &v);
}
