// SPDX-License-Identifier: GPL-2.0
/*
 * nomem: the arena's error paths, driven by its memory cgroup at its limit.
 *
 * The lever.  Every 7.x arena allocation runs under the arena's rqspinlock
 * with interrupts off, so bpf_map_alloc_pages() takes alloc_pages_nolock(),
 * which fail_page_alloc never fails (prepare_alloc_pages() skips
 * should_fail_alloc_page() under ALLOC_NOLOCK), and the deferred free's
 * kmalloc_nolock() never calls should_failslab() (it skips
 * slab_pre_alloc_hook()); neither bpf_map_alloc_pages() nor the arena's
 * functions are error-injection points.  What fails them is what fails them
 * on a real system: both are __GFP_ACCOUNT, charged to the map's memory
 * cgroup (bpf_map_memcg_enter()), and a nolock charge over memory.max fails
 * at once (no reclaim).  So the engine creates this scenario's arena in a
 * memory cgroup of its own (descriptor .arena_memcg) and the lead sets its
 * memory.max: only this arena's calls fail.  Which calls failed the engine
 * knows from their results (allocations) or by probing the arena afterwards
 * (frees return nothing).
 *
 * Each cycle of the lead (pinned to one CPU: a memcg charges ahead per CPU):
 *   A  a multi-page bpf_arena_alloc_pages() of 1536 pages with room for
 *      about 1064: the kernel maps a first batch of 1024 (KMALLOC_MAX_CACHE_SIZE
 *      / sizeof(struct page *) on x86-64), the second fails, and the
 *      allocation must roll back: range_tree_set() of the unmapped part and
 *      arena_free_pages() of the mapped one.  memory.peak tells whether the
 *      first batch was mapped (nomem_partial).  Alternately sleepable and
 *      non-sleepable: the latter's rollback is itself a deferred free, whose
 *      kmalloc_nolock() may fail under the same limit, and the kernel then
 *      keeps the batch on purpose;
 *   B  256 single pages, each mapped in user space, freed one by one inside
 *      one bpf_preempt_disable() section (deferred frees) with the memcg at
 *      its limit and what it charged ahead drained: kmalloc_nolock() of the
 *      span fails once the per-CPU object stock is used up, and arena.c says
 *      "pages are intentionally left inaccessible (leaked) until the arena is
 *      destroyed": not a bug, counted (nomem_leaked), and the leak oracle
 *      after teardown checks they come back;
 *   C  (unless --nomem-no-fault) a user fault on a reserved page whose lazy
 *      allocation fails (findings/04): the reservation must hold, i.e. an
 *      allocation there is refused (as_alloc_over, the reserve scenario's
 *      check).
 * After each failure, with the limit lifted and the deferred frees done (a
 * sentinel page's deferred free completes after every span queued before
 * it): the range tree (bpf_arena_reserve_pages() of each page: in use or
 * free), the arena's page count (fdinfo memlock, exact: no other worker
 * allocates), the kernel view (tokens through the kernel mapping), the user
 * view (pagemap: no PTE on a page the arena freed; a kept page reads its
 * token) must agree with what the call's error path promises: a failed
 * allocation leaves no page and no range behind (an allocation over the
 * whole range succeeds again, with zeroed pages), a failed deferred free
 * keeps exactly its pages, whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "scenario.h"
#include "nomem.h"
#include "nomem.skel.h"

#define BATCH 1024			/* the kernel's allocation batch (x86-64, 4 KiB pages) */
#define A0 1u				/* A: [A0, A0 + NA) */
#define NA (BATCH + BATCH / 2)
#define A_ROOM (BATCH + 40)		/* pages of room: the first batch fits, the second does not */
#define B0 1600u			/* B: slices of NB from B0 up to D0 */
#define NB 256
#define D0 3600u			/* drain: [D0, D0 + ND) */
#define ND 400
#define C0 4000u			/* C: reserved pages [C0, C0 + NC) */
#define NC 64
#define S0 4095u			/* sentinels, downwards from S0 */
#define NEED_PAGES 4096

static struct nomem_bpf *skel;
static bool opt_no_fault;		/* --nomem-no-fault */
static const char *opt_phases;		/* --nomem-phases (NULL: abc) */
static uint64_t gen_seq;
static struct as_worker *lead_w;	/* counts the BPF calls (the engine's alloc/free columns) */

static int nm_do(uint32_t what, uint32_t pgoff, uint32_t cnt, bool nosleep, uint64_t gen, struct nm_op *out)
{
	struct bpf_program *const progs[] = {
		[NM_ALLOC] = skel->progs.nm_alloc, [NM_DRAIN] = skel->progs.nm_drain, [NM_FREE] = skel->progs.nm_free,
		[NM_FREE_EACH] = skel->progs.nm_free_each, [NM_CLAIMED] = skel->progs.nm_claimed,
		[NM_TOKENS] = skel->progs.nm_tokens,
	};
	struct nm_op op = {.op = what, .pgoff = pgoff, .cnt = cnt, .nosleep = nosleep, .gen = gen};
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &op, .ctx_size_in = sizeof(op));
	int ret = bpf_prog_test_run_opts(bpf_program__fd(progs[what]), &t) ? -errno : (int)op.ret;

	if (lead_w && (what == NM_ALLOC || what == NM_DRAIN)) {
		uint32_t got = what == NM_ALLOC ? (ret >= 0 ? cnt : 0) : (ret > 0 ? ret : 0);

		as_count(lead_w, C_ALLOC, what == NM_ALLOC ? 1 : got + (got < cnt));
		as_count(lead_w, C_ALLOC_PAGES, got);
		as_count(lead_w, C_ALLOC_FAIL, what == NM_ALLOC ? ret < 0 : got < cnt);
	} else if (lead_w && (what == NM_FREE || what == NM_FREE_EACH)) {
		as_count(lead_w, C_FREE, what == NM_FREE ? 1 : cnt);
		as_count(lead_w, C_FREE_PAGES, cnt);
	}
	if (out)
		*out = op;
	return ret;
}

static int nomem_probe(const struct as_opts *o, char *why, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ns = btf && btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable", BTF_KIND_FUNC) >= 0;
	bool rs = btf && btf__find_by_name_kind(btf, "bpf_arena_reserve_pages", BTF_KIND_FUNC) >= 0;

	btf__free(btf);
	if (!ns || !rs) {
		snprintf(why, len, "needs the 7.x arena (bpf_arena_free_pages_non_sleepable and "
			 "bpf_arena_reserve_pages in BTF): its allocations are nolock and its frees deferrable");
		return -1;
	}
	(void)o;	/* --pages: set-up says (a skip here would hide it from --list) */
	return 0;
}

static int nomem_setup(struct as_run *r)
{
	const struct as_arena *a = as_arena(r);
	int err;

	if (a->npages < NEED_PAGES || a->npages > NM_MAX_PAGES) {
		as_note(r, "needs --pages %u to %u (its ranges: a 1536-page allocation, slices of deferred frees, "
			"reservations): nothing driven", NEED_PAGES, NM_MAX_PAGES);
		as_stop(r);
		return 0;
	}
	skel = nomem_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->as_ubase = as_opts_of(r)->arena_base;
	err = bpf_map__reuse_fd(skel->maps.arena, a->map_fd);
	if (err)
		as_note(r, "its BPF object cannot use the arena map: %s", strerror(-err));
	else if ((err = nomem_bpf__load(skel)))
		as_note(r, "its BPF programs do not load: %s (-v shows the verifier's log)", strerror(-err));
	if (err) {
		nomem_bpf__destroy(skel);
		skel = NULL;
		return err;
	}
	if (as_arena_memcg_usage(r) < 0) {
		as_note(r, "the arena has no memory cgroup of its own: nothing can be made to fail");
		return -ENOENT;
	}
	return 0;
}

static long long memlock_pages(const struct as_run *r)
{
	long long b = as_map_memlock(as_arena(r)->map_fd);

	return b < 0 ? -1 : b / AS_PAGE_SIZE;
}

/* A sentinel's deferred free: once its range is free again, every span
 * queued before it has been through arena_free_worker()'s first loop (PTEs
 * cleared, range released, nr_pages counted) under the arena's lock.  Its
 * zap comes after: callers poll the user view with a deadline.  The memcg
 * must not be limited.  true: done; false: unknown (said in a note). */
static uint32_t sentinel = S0;
static bool deferred_settled(struct as_run *r)
{
	/* within the hang watchdog's 5 s: 3 s for every try together */
	uint64_t end = as_now_ns() + 3000000000ULL;

	for (int tries = 0; tries < 3 && sentinel > C0 + NC && as_now_ns() < end; tries++) {

		if (nm_do(NM_DRAIN, sentinel, 1, false, ++gen_seq, NULL) != 1) {
			sentinel--;
			continue;
		}
		nm_do(NM_FREE, sentinel, 1, true, 0, NULL);
		while (as_now_ns() < end) {
			struct timespec ts = {0, 1000000};

			if (nm_do(NM_CLAIMED, sentinel, 1, false, 0, NULL) == 0)
				return true;
			nanosleep(&ts, NULL);
		}
		sentinel--;	/* its own span was lost (kept): the next one */
	}
	as_count(lead_w, C_DEFERRED_LATE, 1);
	as_note(r, "a sentinel's deferred free did not complete within 3 s, the limit lifted: the deferred frees "
		"before it not judged (deferred_late)");
	return false;
}

/* Pages of [p, p + n) the arena's range tree has in use (skel->bss->state) */
static int claimed(uint32_t p, uint32_t n)
{
	int k = 0, got;

	/* in chunks, with a quiesce point between: each probe's free flushes
	 * the TLB (IPIs), slow under emulation (the hang watchdog's 5 s) */
	for (uint32_t i = 0; i < n; i += 256) {
		if (i && !as_continue(lead_w))
			return -1;
		got = nm_do(NM_CLAIMED, p + i, n - i < 256 ? n - i : 256, false, 0, NULL);
		if (got < 0)
			return got;
		k += got;
	}
	return k;
}

static void check_count(struct as_run *r, struct as_worker *w, long long want, const char *after)
{
	long long got = memlock_pages(r);

	as_count(w, C_NOMEM_CHECK, 1);
	if (got < 0 || got == want)
		return;
	as_report_v(r, V_ACCOUNTING, 0, "the arena's page count (nr_pages, fdinfo memlock) drifted on an error path",
		    "%s: the arena reports %lld pages in use, %lld expected", after, got, want);
}

/* No page of [p, p + n) the range tree calls free may stay mapped in user
 * space once the deferred frees are done (their zap runs after the release:
 * polled for 2 s).  The pages in use must read their token from user space. */
static void check_user_view(struct as_run *r, struct as_worker *w, uint32_t p, uint32_t n, uint64_t gen,
			    const char *after)
{
	uint64_t end = as_now_ns() + 2000000000ULL;
	uint32_t bad = UINT32_MAX;

	as_count(w, C_NOMEM_CHECK, 1);
	do {
		bad = UINT32_MAX;
		for (uint32_t i = 0; i < n && bad == UINT32_MAX; i++)
			if ((skel->bss->state[p + i] == NM_FREE_PAGE || skel->bss->state[p + i] == NM_ZERO) &&
			    as_pfn(r, p + i))
				bad = p + i;
		if (bad == UINT32_MAX)
			break;
		struct timespec ts = {0, 2000000};

		nanosleep(&ts, NULL);
	} while (as_now_ns() < end);
	if (bad != UINT32_MAX)
		as_report_v(r, V_STALE_FREE, bad, "a page the arena released stays mapped in user space",
			    "%s: page %u was freed (its range free, or in use with no page behind) but this process still maps pfn %#"
			    PRIx64 " there 2 s later", after, bad, as_pfn(r, bad));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = 0, want = gen ? AS_TOKEN(gen, p + i) : 0;
		int sig;

		if (skel->bss->state[p + i] != NM_IN_USE)
			continue;
		sig = as_guarded_read((volatile uint64_t *)(as_page_addr(as_arena(r), p + i) + AS_OFF_TOKEN), &v);
		if (!sig && v == want)
			continue;
		as_report_v(r, sig ? V_UNREACHABLE : V_COHERENCE, p + i, "a page the arena kept after a failure "
			    "must stay whole in user space", "%s: page %u is in use in the range tree; a user read "
			    "%s%#" PRIx64 " (token %#" PRIx64 ")", after, p + i, sig ? "faulted; " : "read ", v, want);
		break;
	}
}

/* The kernel view of the pages in use (state NM_IN_USE): each reads its
 * token (gen; 0: never stamped, reads 0); the others' state becomes NM_ZERO
 * or NM_OTHER (bpf/nomem.bpf.c).  How many differ. */
static int kernel_view(uint32_t p, uint32_t n, uint64_t gen, struct nm_op *op)
{
	return nm_do(NM_TOKENS, p, n, false, gen, op);
}

static uint32_t count_state(uint32_t p, uint32_t n, uint8_t st)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		k += skel->bss->state[p + i] == st;
	return k;
}

static int first_in_use(uint32_t p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (skel->bss->state[p + i])
			return p + i;
	return -1;
}

static int last_in_use(uint32_t p, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;)
		if (skel->bss->state[p + i])
			return p + i;
	return -1;
}

static bool a_kept;	/* A's first batch kept by a failed deferred rollback: A is done */

static void phase_a(struct as_worker *w, bool ns)
{
	struct as_run *r = as_run_of(w);
	const char *how = ns ? "a non-sleepable" : "a sleepable";
	char after[160];
	long long m0 = memlock_pages(r), cur0 = as_arena_memcg_usage(r), peak;
	uint64_t gen = ++gen_seq;
	struct nm_op op;
	long long d;
	bool prefix;
	int ret, kept;

	if (a_kept)
		return;
	if (as_arena_memcg_limit(r, (long long)A_ROOM * AS_PAGE_SIZE))
		return;
	ret = nm_do(NM_ALLOC, A0, NA, ns, gen, &op);
	peak = as_arena_memcg_peak(r);
	as_arena_memcg_limit(r, -1);
	if (ret >= 0) {
		as_count(w, C_NOMEM_NOFAIL, 1);
		nm_do(NM_FREE, A0, NA, false, 0, NULL);
		return;
	}
	as_count(w, C_NOMEM_FAIL, 1);
	if (peak >= 0 && cur0 >= 0 && peak - cur0 >= (long long)BATCH * AS_PAGE_SIZE)
		as_count(w, C_NOMEM_PARTIAL, 1);
	snprintf(after, sizeof(after), "after %s bpf_arena_alloc_pages() of %u pages at page %u failed (memcg "
		 "peak %+lld KiB)", how, NA, A0, peak >= 0 && cur0 >= 0 ? (peak - cur0) / 1024 : -1);
	/* a non-sleepable rollback frees through the free worker; so may a
	 * sleepable one (7.3.4: when its rqspinlock fails; the project's series:
	 * also when the release cannot take it) */
	if (!as_continue(w) || !deferred_settled(r))
		return;
	/* the range tree and the page count: nothing in use, or exactly the
	 * first batch with its pages, kept on purpose (the rollback's free could
	 * not allocate its span: a deferred one, or with the project's series a
	 * sleepable one too) */
	kept = claimed(A0, NA);
	if (kept < 0)
		return;	/* the run ends */
	d = memlock_pages(r) - m0;
	as_count(w, C_NOMEM_CHECK, 1);
	prefix = true;
	for (int i = 0; prefix && i < NA; i++)
		prefix = skel->bss->state[A0 + i] == (i < kept);
	if (!prefix || (kept && kept != BATCH) || d != kept) {
		as_report_v(r, d == kept ? V_CONTRACT : V_ACCOUNTING, A0, d == kept ?
			    "a failed allocation must give back its range (the rollback releases what it did "
			    "not map and frees what it mapped, or keeps the whole batch when its free cannot queue)" :
			    "a failed allocation's pages and its range must agree: in use in the range tree, "
			    "counted, mapped",
			    "%s: %d of its pages are in use in the arena's range tree (pages %d..%d%s), the arena "
			    "counts %lld more pages than before", after, kept, first_in_use(A0, NA), last_in_use(A0, NA),
			    prefix ? "" : ", not its first ones", d);
		a_kept = true;	/* the range is no longer ours to reuse */
		return;
	}
	if (kept) {	/* the rollback's span was not queued: kept by design */
		struct nm_op kv;

		as_count(w, C_NOMEM_LEAKED, kept);
		if (kernel_view(A0, kept, 0, &kv) > 0)
			as_report_v(r, V_TOKEN, kv.bad_pgoff, "a page a failed allocation kept must stay whole",
				    "%s: page %" PRIu64 " of the batch kept reads %#" PRIx64 " through the kernel "
				    "mapping (never written: 0)", after, (uint64_t)kv.bad_pgoff, (uint64_t)kv.bad_val);
		a_kept = true;
	}
	check_user_view(r, w, A0, NA, 0, after);
	if (!as_continue(w))
		return;
	/* the rest of the range is allocatable again, zeroed, and counted */
	ret = nm_do(NM_ALLOC, A0 + kept, NA - kept, false, gen, &op);
	as_count(w, C_NOMEM_CHECK, 1);
	if (ret != (int)(A0 + kept)) {
		as_report_v(r, V_CONTRACT, A0 + kept, "a failed allocation must give back its range",
			    "%s: allocating its %u pages again at page %u, unlimited, failed (%d): the range "
			    "(or a kernel PTE in it) was left behind", after, NA - kept, A0 + kept, ret);
		a_kept = true;
		return;
	}
	if (op.dirty)
		as_report_v(r, V_DIRTY_ALLOC, op.bad_pgoff, "a page allocated where a failed allocation rolled "
			    "back must be zeroed", "%s: the range allocated again has %" PRIu64 " non-zero "
			    "word(s), first at page %" PRIu64 ": %#" PRIx64, after, (uint64_t)op.dirty,
			    (uint64_t)op.bad_pgoff, (uint64_t)op.bad_val);
	check_count(r, w, m0 + NA, "after allocating that range again");
	as_continue(w);	/* a quiesce point (the free below runs anyway: the range is ours) */
	nm_do(NM_FREE, A0 + kept, NA - kept, false, 0, NULL);
	/* a sleepable free defers too when its rqspinlock gives up (a vCPU
	 * holding it preempted by the host is enough) */
	if (as_continue(w) && deferred_settled(r))
		check_count(r, w, m0 + kept, "after freeing it");
}

static uint32_t b_next = B0;

/* Drain what the memcg charged ahead: single-page allocations until one
 * fails (the limit must be set).  How many succeeded; ND: none failed. */
static int drain(void)
{
	return nm_do(NM_DRAIN, D0, ND, false, ++gen_seq, NULL);
}

static void phase_b(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	uint32_t p = b_next;
	uint64_t gen = ++gen_seq, v;
	long long m0;
	char after[160];
	int nd, kept;
	uint32_t whole, lost, other;

	if (p + NB > D0)
		return;	/* slices used up: the kept pages stay until teardown */
	b_next += NB;
	if (nm_do(NM_DRAIN, p, NB, false, gen, NULL) != NB) {
		as_note(r, "deferred frees: %u pages could not be allocated unlimited", NB);
		return;
	}
	for (uint32_t i = 0; i < NB; i++)	/* user PTEs, for the zap to drop */
		as_guarded_read((volatile uint64_t *)(as_page_addr(as_arena(r), p + i) + AS_OFF_TOKEN), &v);
	m0 = memlock_pages(r);
	if (as_arena_memcg_limit(r, 0))
		return;
	nd = drain();
	nm_do(NM_FREE_EACH, p, NB, true, 0, NULL);
	as_arena_memcg_limit(r, -1);
	as_count(w, C_NOMEM_DEFERRED, NB);
	if (nd == ND)
		as_count(w, C_NOMEM_NOFAIL, 1);
	if (nd > 0)
		nm_do(NM_FREE, D0, nd, false, 0, NULL);
	if (!as_continue(w) || !deferred_settled(r))
		return;
	snprintf(after, sizeof(after), "after %u deferred single-page frees at pages %u..%u with the arena's "
		 "memcg at its limit", NB, p, p + NB - 1);
	/* in use in the range tree: kept by design (its span not queued) with
	 * its page and token, or (NM_ZERO) freed but its range not given back */
	kept = claimed(p, NB);
	if (kept < 0)
		return;
	kernel_view(p, NB, gen, NULL);
	whole = count_state(p, NB, NM_IN_USE);
	lost = count_state(p, NB, NM_ZERO);
	other = count_state(p, NB, NM_OTHER);
	as_count(w, C_NOMEM_LEAKED, whole);
	as_count(w, C_NOMEM_CHECK, 1);
	if (lost)
		as_report_v(r, V_CONTRACT, p, "a free must give back its range: the kernel freed the page but its "
			    "range stays in use (range_tree_set() failed, -ENOMEM under the memcg limit, and its "
			    "error is ignored)", "%s: %u page(s) are in use in the arena's range tree with no page "
			    "behind them (BPF reads 0, the arena does not count them), %u kept whole, %u freed",
			    after, lost, whole, NB - kept);
	if (other)
		as_report_v(r, V_TOKEN, p, "a page a failed deferred free kept must keep its contents",
			    "%s: %u kept page(s) read neither their token nor 0 through the kernel mapping", after, other);
	check_count(r, w, m0 - NB + whole, after);
	check_user_view(r, w, p, NB, gen, after);
}

static uint32_t c_next = C0;

static void phase_c(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	uint32_t p = c_next, idx;
	uint64_t v;
	int sig, nd;

	if (opt_no_fault || p >= C0 + NC)
		return;
	c_next++;
	if (as_reserve(w, p, 1))
		return;
	idx = as_nowned(w) - 1;
	if (as_arena_memcg_limit(r, 0))
		return;
	nd = drain();
	sig = as_guarded_read((volatile uint64_t *)(as_page_addr(as_arena(r), p) + AS_OFF_TOKEN), &v);
	as_arena_memcg_limit(r, -1);
	if (nd > 0)
		nm_do(NM_FREE, D0, nd, false, 0, NULL);
	if (!sig) {	/* allowed: the fault allocated the page (reserve's contract) */
		as_count(w, C_NOMEM_NOFAIL, 1);
		as_free_span(w, idx, 1);
		return;
	}
	as_count(w, C_NOMEM_FAIL, 1);
	as_count(w, C_NOMEM_CHECK, 1);
	/* the reservation must hold: an allocation there is refused */
	as_alloc_over(w, idx);
	if (as_nowned(w) > idx)
		as_free_span(w, idx, as_owned(w, idx).cnt);
}

static void nomem_lead(struct as_worker *w)
{
	cpu_set_t one;

	const char *ph = opt_phases ? opt_phases : "abc";

	if (!skel)
		return;	/* set-up found the arena too small */
	lead_w = w;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);	/* this thread: the memcg charges ahead per CPU */
	for (unsigned cyc = 0; as_continue(w); cyc++) {
		if (strchr(ph, 'a'))
			phase_a(w, cyc & 1);
		if (!as_continue(w))
			break;
		if (strchr(ph, 'b'))
			phase_b(w);
		if (!as_continue(w))
			break;
		if (strchr(ph, 'c'))
			phase_c(w);
	}
	nomem_bpf__destroy(skel);
	skel = NULL;
}

/* the BPF workers' slot: nothing (the lead's counts must be exact) */
static void nomem_idle(struct as_worker *w)
{
	while (as_continue(w)) {
		struct timespec ts = {0, 5000000};

		nanosleep(&ts, NULL);
	}
}

static const struct as_optdef opts[] = {
	AS_SOPT_STR("nomem-phases", opt_phases, "LETTERS",
		    "which phases run, of a (a multi-page allocation failing part-way), b (deferred frees whose "
		    "span allocation fails), c (a user fault on a reserved page failing): default abc"),
	AS_SOPT_FLAG("nomem-no-fault", opt_no_fault, 0,
		     "no user fault on a reserved page whose allocation fails (findings/04, reported on 7.3.4)"),
	{0},
};

const struct as_scenario as_sc_nomem = {
	.name = "nomem", .reserves = true, .arena_memcg = true, .named_only = true,
	.kernel_pages = "nomem keeps its own exact page count (its pages are not in the engine's table) and "
			"checks it after every failure",
	.summary = "7.x: the arena's memory cgroup at its limit: a multi-page allocation that fails part-way "
		   "rolls back, deferred frees whose kmalloc_nolock() fails keep their pages, a failed user fault "
		   "keeps a reservation",
	.probe = nomem_probe, .setup = nomem_setup, .lead = nomem_lead, .bpf = nomem_idle, .opts = opts,
};
