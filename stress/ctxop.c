// SPDX-License-Identifier: GPL-2.0
/*
 * Arena ops from the calling contexts real users have (bpf/ctxop.bpf.c): a
 * bpf_timer callback (hrtimer softirq) and a bpf_spin_lock region
 * (interrupts off).  Shared by the timer and irqoff scenarios.
 *
 * The engine's own ops come from syscall programs run by BPF_PROG_TEST_RUN,
 * and its page table knows only those.  So an op here lives inside one
 * iteration of its worker: allocate from the context, check the pages,
 * free from the context, wait until the (always deferred) free is done,
 * check that the pages are gone; the worker reaches its next quiesce point
 * holding nothing.  No sweep can see these pages allocated (a sweep parks
 * every worker first), and the accounting oracle, which compares the
 * arena's page count with the table at every sweep, sees them freed.  Within
 * the iteration the checks are the engine's oracles applied by hand, through
 * its API:
 *   - zero-on-alloc: the BPF side checks the fresh pages' oracle half in the
 *     context itself (dirty-alloc);
 *   - user space reads each page's token (user reads count, faults too), a
 *     mismatch is re-checked after MADV_DONTNEED (coherence, confirmed when
 *     the fresh fault reads the token: a stale PTE), a fault is
 *     unreachable-page;
 *   - user space writes a nonce, and BPF in the same context reads it and its
 *     own token back (coherence, bpf-token);
 *   - the page is announced as the next victim while it is freed: the
 *     standard user faulters fault it over and over, as in fault-free;
 *   - after the free is done, each page must fault from user space; one
 *     that still reads its token is a user PTE the free left behind
 *     (stale-free-mapping, confirmed when it faults after MADV_DONTNEED);
 *     the pages were touched, so the sweeps judge them too.
 * A deferred free is done once BPF no longer reads its token (the worker has
 * cleared the kernel PTEs) and every arena_free_worker() run started by then
 * has finished (its fentry/fexit), as the engine decides for its own.
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ctxop.h"
#include "ctxop_req.h"
#include "ctxop.skel.h"

#define WAIT_MS 2000	/* an op, or a deferred free, not done by then */
#define GEN_ID 0xfeULL	/* the generation's worker field: no engine worker has it */

bool as_ctx_inject_stale, as_ctx_sleepable;

static struct ctxop_bpf *skel;	/* loaded by setup, destroyed by the worker */
static struct bpf_link *iter_link;	/* AS_CTX_ITER: the iterator, for this process's tasks */
static enum as_ctx_kind kind;
static bool deferred;		/* 7.x: frees from the context are deferred */

static const char *const where[] = {
	[AS_CTX_TIMER] = "a bpf_timer callback",
	[AS_CTX_LOCKED] = "a bpf_spin_lock region",
	[AS_CTX_ITER] = "an iter.s/task_vma program",
};

/* where the ops ran, for the note */
static struct {
	uint64_t ops, softirq, hardirq, nmi, task, pc_unknown, allocs, null, frees, max_wait_us;
	uint64_t cpus;
} st;

static struct bpf_program *kind_prog(struct ctxop_bpf *s, enum as_ctx_kind k)
{
	return k == AS_CTX_TIMER ? s->progs.as_ctx_timer : k == AS_CTX_LOCKED ? s->progs.as_ctx_locked
			       : s->progs.as_ctx_iter;
}

/* Open and load the object for context k: on the run's arena (map_fd >= 0)
 * or on an arena of its own (a probe).  log: the verifier's log of k's
 * program.  0, or -errno. */
static int open_load(enum as_ctx_kind k, bool fw, int map_fd, uint64_t ubase, char *log, size_t loglen,
		     struct ctxop_bpf **out)
{
	struct ctxop_bpf *s = ctxop_bpf__open();
	int err;

	if (!s)
		return -errno;
	bpf_program__set_autoload(s->progs.as_ctx_timer, k == AS_CTX_TIMER);
	bpf_program__set_autoload(s->progs.as_ctx_locked, k == AS_CTX_LOCKED);
	bpf_program__set_autoload(s->progs.as_ctx_iter, k == AS_CTX_ITER);
	bpf_program__set_autoload(s->progs.as_ctx_fw_in, fw);
	bpf_program__set_autoload(s->progs.as_ctx_fw_out, fw);
	if (log) {
		log[0] = 0;
		bpf_program__set_log_buf(kind_prog(s, k), log, loglen);
		bpf_program__set_log_level(kind_prog(s, k), 1);
	}
	err = 0;
	if (map_fd >= 0) {
		s->rodata->as_ubase = ubase;
		err = bpf_map__reuse_fd(s->maps.arena, map_fd);
	}
	if (!err)
		err = ctxop_bpf__load(s);
	if (err) {
		ctxop_bpf__destroy(s);
		return err;
	}
	*out = s;
	return 0;
}

/* The verifier's reason: its last line that is not a statistic. */
static void last_reason(char *log, char *out, size_t len)
{
	char *save = NULL, *line, *best = NULL;

	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] && strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17) &&
		    strncmp(line, "stack depth", 11) && strncmp(line, "-- END", 6))
			best = line;
	snprintf(out, len, "%s", best ? best : "");
}

int as_ctx_probe(enum as_ctx_kind k, char *why, size_t len)
{
	static char log[1 << 20];
	struct btf *btf = btf__load_vmlinux_btf();
	bool ns = btf && btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable", BTF_KIND_FUNC) >= 0;
	bool fw = btf && btf__find_by_name_kind(btf, "arena_free_worker", BTF_KIND_FUNC) >= 0;
	struct ctxop_bpf *s = NULL;
	char reason[200];
	int err;

	btf__free(btf);
	/* load it either way: what the verifier says is the reason */
	err = open_load(k, fw, -1, 0, log, sizeof(log), &s);
	if (err) {
		last_reason(log, reason, sizeof(reason));
		snprintf(why, len, "the verifier refused arena kfunc calls from %s (%s%s%s)%s", where[k],
			 reason[0] ? "\"" : "", reason[0] ? reason : strerror(-err), reason[0] ? "\"" : "",
			 ns ? "" : ": this kernel has no bpf_arena_free_pages_non_sleepable (in BTF), its arena "
			 "kfuncs are sleepable only (before 7.0)");
		return -1;
	}
	ctxop_bpf__destroy(s);
	if (k == AS_CTX_ITER)
		return 0;	/* sleepable kfuncs, synchronous frees */
	if (!ns && !as_ctx_sleepable) {
		/* 6.12: in_sleepable() is env->prog->sleepable || the state's, so a
		 * sleepable program's async callback passes for sleepable */
		snprintf(why, len, "this kernel's arena kfuncs are sleepable only (no bpf_arena_free_pages_non_sleepable "
			 "in BTF), yet its verifier accepted them in %s of a sleepable program: they would run "
			 "sleepable code (arena->lock, GFP_KERNEL, the zap) there; --%s-sleepable runs them "
			 "(may crash the kernel: VM only)", where[k], k == AS_CTX_TIMER ? "timer" : "irqoff");
		return -1;
	}
	if (!ns)
		return 0;	/* asked for: no deferred free to wait for */
	if (!fw) {
		snprintf(why, len, "no arena_free_worker() in BTF: the end of a deferred free cannot be told");
		return -1;
	}
	return 0;
}

int as_ctx_setup(struct as_run *r, enum as_ctx_kind k)
{
	const struct as_arena *a = as_arena(r);
	struct btf *btf = btf__load_vmlinux_btf();
	int err;

	deferred = k != AS_CTX_ITER && btf &&
		   btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable", BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	kind = k;
	memset(&st, 0, sizeof(st));
	err = open_load(k, deferred, a->map_fd, (uint64_t)(uintptr_t)a->base, NULL, 0, &skel);
	if (!err)
		err = ctxop_bpf__attach(skel);
	if (!err && k == AS_CTX_ITER) {	/* the scenario process's tasks only */
		union bpf_iter_link_info li = {.task.pid = (uint32_t)a->pid};
		LIBBPF_OPTS(bpf_iter_attach_opts, io, .link_info = &li, .link_info_len = sizeof(li));

		iter_link = bpf_program__attach_iter(skel->progs.as_ctx_iter, &io);
		err = iter_link ? 0 : -errno;
	}
	if (err && skel) {
		ctxop_bpf__destroy(skel);
		skel = NULL;
	}
	if (err)
		as_note(r, "%s: loading or attaching its programs failed (%s)", where[k], strerror(-err));
	return err;
}

static int run_prog(int fd, uint32_t slot)
{
	struct { uint32_t slot; int32_t ret; } arm = {slot, 0};
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &arm, .ctx_size_in = sizeof(arm));

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	return arm.ret;
}

static void nap20(void)
{
	struct timespec ts = {0, 20000};	/* the softirq or kworker may need our CPU */

	nanosleep(&ts, NULL);
}

/* Read the iterator once: its program runs the request at the arena's VMA. */
static int run_iter(uint32_t slot)
{
	char buf[64];
	ssize_t n;
	int fd;

	skel->bss->iter_slot = slot;
	fd = bpf_iter_create(bpf_link__fd(iter_link));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

/* One request through the context: 0 (q holds the result), -ETIMEDOUT, or
 * the error of starting it. */
static int run_op(struct as_ctx_req *q, uint32_t slot)
{
	uint32_t seq = q->seq + 1;
	uint64_t t0 = as_now_ns(), waited;
	int err;

	__atomic_store_n(&q->seq, seq, __ATOMIC_RELEASE);
	err = kind == AS_CTX_ITER ? run_iter(slot) : run_prog(bpf_program__fd(kind_prog(skel, kind)), slot);
	if (err)
		return err;
	while (__atomic_load_n(&q->done, __ATOMIC_ACQUIRE) != seq) {
		if (as_now_ns() - t0 > WAIT_MS * 1000000ULL)
			return -ETIMEDOUT;
		nap20();
	}
	waited = (as_now_ns() - t0) / 1000;
	st.max_wait_us = waited > st.max_wait_us ? waited : st.max_wait_us;
	st.ops++;
	if (!q->pc_known)
		st.pc_unknown++;
	else if (q->pc & AS_PC_NMI_MASK)
		st.nmi++;
	else if (q->pc & AS_PC_HARDIRQ_MASK)
		st.hardirq++;
	else if (q->pc & AS_PC_SOFTIRQ_OFFSET)
		st.softirq++;
	else
		st.task++;
	if (q->cpu < 64)
		st.cpus |= 1ULL << q->cpu;
	return 0;
}

/* The deferred free of the pages at q (first token tok) is done: 0, or
 * -ETIMEDOUT (kmalloc_nolock() failing leaves them allocated by design). */
static int wait_freed(struct as_ctx_req *q, uint32_t slot, uint64_t tok)
{
	uint64_t end = as_now_ns() + WAIT_MS * 1000000ULL, started = 0;
	bool cleared = false;

	for (;;) {
		if (!cleared && !run_prog(bpf_program__fd(skel->progs.as_ctx_peek), slot) && q->tok[0] != tok) {
			cleared = true;
			started = __atomic_load_n(&skel->bss->fw.started, __ATOMIC_ACQUIRE);
		}
		if (cleared && __atomic_load_n(&skel->bss->fw.finished, __ATOMIC_ACQUIRE) >= started)
			return 0;
		if (as_now_ns() > end)
			return -ETIMEDOUT;
		nap20();
	}
}

/* A user read of page p of an allocation that stayed allocated returned v,
 * not its token tok: re-check with a fresh fault and report. */
static void user_mismatch(struct as_run *r, uint32_t p, uint64_t tok, uint64_t v, bool early)
{
	const struct as_arena *a = as_arena(r);
	volatile uint64_t *u = (volatile uint64_t *)(as_page_addr(a, p) + AS_OFF_TOKEN);
	uint64_t v2 = 0;
	int sig2;

	madvise(as_page_addr(a, p), AS_PAGE_SIZE, MADV_DONTNEED);
	sig2 = as_guarded_read(u, &v2);
	as_report_v(r, V_COHERENCE, p, !sig2 && v2 == tok
		    ? (early ? "a stale user PTE: the fresh fault maps the page BPF allocated [confirmed]; the "
			       "allocation took the address while the table still had it allocated or changing hands "
			       "(another worker's free of it was still running)"
			     : "a stale user PTE: the fresh fault maps the page BPF allocated [confirmed]")
		    : "user space and BPF disagree, not explained by a stale PTE",
		    "page allocated from %s: user reads %#" PRIx64 ", BPF wrote token %#" PRIx64
		    "; after MADV_DONTNEED: %#" PRIx64 "%s", where[kind], v, tok, v2, sig2 ? " (faulted)" : "");
}

/* After the free was done page p must fault; it read v. */
static void user_after_free(struct as_run *r, uint32_t p, uint64_t tok, uint64_t v, bool injected)
{
	const struct as_arena *a = as_arena(r);
	uint64_t v2 = 0;
	int sig2;

	madvise(as_page_addr(a, p), AS_PAGE_SIZE, MADV_DONTNEED);
	sig2 = as_guarded_read((volatile uint64_t *)(as_page_addr(a, p) + AS_OFF_TOKEN), &v2);
	as_report_v(r, V_STALE_FREE, p, sig2 || v2 != tok
		    ? "a user PTE on a page the arena freed: gone after MADV_DONTNEED [confirmed]"
		    : "the page still reads its token after a fresh fault: the free did not happen",
		    "page freed from %s (deferred, done) still reads token %#" PRIx64 " from user space; "
		    "after MADV_DONTNEED: %#" PRIx64 "%s%s", where[kind], v, v2, sig2 ? " (faulted)" : "",
		    injected ? " [injected]" : "");
}

static void summary(struct as_run *r, const char *stop)
{
	char cpus[64] = "";
	size_t n = 0;

	for (int c = 0; c < 64 && n < sizeof(cpus) - 4; c++)
		if (st.cpus & (1ULL << c))
			n += snprintf(cpus + n, sizeof(cpus) - n, "%s%d", n ? "," : "", c);
	as_note(r, "%s%s%s: %" PRIu64 " allocations (%" PRIu64 " NULL) and %" PRIu64 " %s frees; of %" PRIu64
		" ops %" PRIu64 " ran serving a softirq, %" PRIu64 " in task context, %" PRIu64 " in hardirq, %"
		PRIu64 " in NMI, %" PRIu64 " unknown (no __preempt_count); CPUs %s; slowest op %" PRIu64 " us",
		stop ? stop : "", stop ? "; " : "", where[kind], st.allocs, st.null, st.frees,
		deferred ? "deferred" : "sleepable (not deferred)", st.ops, st.softirq,
		st.task, st.hardirq, st.nmi, st.pc_unknown, cpus[0] ? cpus : "-", st.max_wait_us);
}

/* A fixed address whose pages the table calls free, or AS_ANY_PGOFF. */
static uint32_t pick_at(struct as_worker *w, uint32_t cnt)
{
	const struct as_run *r = as_run_of(w);
	uint32_t n = as_arena(r)->npages, p;

	if (as_rand_below(w, 4) || n <= cnt + 1)
		return AS_ANY_PGOFF;
	p = 1 + as_rand_below(w, n - cnt);
	for (uint32_t i = 0; i < cnt; i++)
		if (as_page_allocated(r, p + i))
			return AS_ANY_PGOFF;
	return p;
}

void as_ctx_worker(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	uint32_t slot = (uint32_t)as_worker_id(w) % AS_CTX_SLOTS;
	struct as_ctx_req *q = &skel->bss->req[slot];
	bool stale = as_ctx_inject_stale;
	const char *stop = NULL;
	uint64_t seq = 0;

	while (!stop && as_continue(w)) {
		uint32_t cnt = 1 + as_rand_below(w, AS_CTX_MAX_CNT), at = pick_at(w, cnt), got;
		uint64_t gen = (GEN_ID << 32) | ++seq, nonce[AS_CTX_MAX_CNT] = {0}, v;
		bool early = false;
		int err;

		q->op = AS_OP_ALLOC;
		q->pgoff = at;
		q->cnt = cnt;
		q->gen = gen;
		q->inject = as_injected(r, AS_INJ_DIRTY_ALLOC) ? AS_INJ_DIRTY_ALLOC : 0;
		q->skip_free = 0;
		err = run_op(q, slot);
		if (err) {
			stop = err == -ETIMEDOUT ? "an allocation was not done within 2 s: stopped"
						 : "the context could not be started: stopped";
			break;
		}
		if (q->ret) {	/* the nolock allocator may fail: counted, not judged */
			as_count(w, deferred ? C_ALLOC_NS_FAIL : C_ALLOC_FAIL, 1);
			st.null++;
			continue;
		}
		got = q->pgoff;
		as_count(w, C_ALLOC, 1);
		as_count(w, C_ALLOC_PAGES, cnt);
		as_count(w, C_ALLOC_NS, deferred);	/* the non-sleepable variants: 7.x, not iter */
		st.allocs++;
		for (uint32_t i = 0; i < cnt; i++)
			early |= as_page_allocated(r, got + i);
		if (q->dirty_words)
			as_report_v(r, V_DIRTY_ALLOC, q->dirty_pgoff, early
				    ? "the page allocator or a stale writer handed out a used page; the table still had "
				      "it allocated or changing hands (another worker's free of it was running)"
				    : "the page allocator or a stale writer handed out a used page",
				    "fresh page (alloc of %u page(s) at page %u from %s) had %u non-zero word(s) in its "
				    "oracle half; first at offset %u = %#" PRIx64 "%s", cnt, got, where[kind],
				    q->dirty_words, q->dirty_off, (uint64_t)q->dirty_val,
				    q->inject ? " [injected]" : "");
		/* user space: the token, then a nonce for BPF */
		for (uint32_t i = 0; i < cnt; i++) {
			uint32_t p = got + i;
			uint64_t tok = AS_TOKEN(gen, p);
			int sig = as_uread(w, p, AS_OFF_TOKEN, &v);

			if (sig == SIGSEGV)
				as_report_v(r, V_UNREACHABLE, p, "an allocated page must be reachable from user space",
					    "page allocated from %s (token %#" PRIx64 ") faults (SIGSEGV) from user space",
					    where[kind], tok);
			else if (!sig && v != tok)
				user_mismatch(r, p, tok, v, early);
			nonce[i] = as_rand(w) | 1;
			if (as_uwrite(w, p, AS_OFF_UNONCE, nonce[i]))
				nonce[i] = 0;
		}
		/* BPF, from the same context: its own token and the user's nonce */
		q->op = AS_OP_PEEK;
		if (run_op(q, slot)) {
			stop = "a peek was not done within 2 s: stopped";
			q->ret = -1;
		}
		for (uint32_t i = 0; !q->ret && i < cnt; i++) {
			uint32_t p = got + i;
			uint64_t tok = AS_TOKEN(gen, p);

			if (q->tok[i] != tok)
				as_report_v(r, V_TOKEN, p, "BPF's view through the kernel mapping lost the allocation's token",
					    "BPF in %s reads %#" PRIx64 " at page %u, allocated there with token %#" PRIx64,
					    where[kind], (uint64_t)q->tok[i], p, tok);
			else if (nonce[i] && q->unonce[i] != nonce[i])
				as_report_v(r, V_COHERENCE, p, "user space and BPF see different pages at one address",
					    "user wrote %#" PRIx64 " at page %u; BPF in %s reads %#" PRIx64, nonce[i], p,
					    where[kind], (uint64_t)q->unonce[i]);
		}
		/* the free, with the user faulters on it */
		as_announce_victim(w, got + as_rand_below(w, cnt));
		as_nap(w);
		q->op = AS_OP_FREE;
		q->pgoff = got;
		q->cnt = cnt;
		q->skip_free = stale;
		for (;;) {
			if (run_op(q, slot)) {
				stop = "a free was not done within 2 s: stopped";
				break;
			}
			if (!q->skip_free) {
				as_count(w, C_FREE, 1);
				as_count(w, C_FREE_PAGES, cnt);
				as_count(w, C_FREE_DEFERRED, deferred);
				st.frees++;
				if (wait_freed(q, slot, AS_TOKEN(gen, got))) {
					/* its pages stay allocated, unknown to the table: stop before the
					 * accounting oracle blames the kernel for what it does by design */
					as_count(w, C_DEFERRED_LATE, 1);
					stop = "a deferred free was not done within 2 s (kmalloc_nolock() failing leaves the "
					       "pages allocated by design): stopped";
					break;
				}
			}
			for (uint32_t i = 0; i < cnt; i++) {
				uint64_t tok = AS_TOKEN(gen, got + i);

				if (!as_uread(w, got + i, AS_OFF_TOKEN, &v) && v == tok)
					user_after_free(r, got + i, tok, v, q->skip_free);
			}
			if (!q->skip_free)
				break;
			q->skip_free = stale = false;	/* injected once: now free them for real */
		}
	}
	summary(r, stop);
	if (stop)
		as_stop(r);
	bpf_link__destroy(iter_link);
	iter_link = NULL;
	ctxop_bpf__destroy(skel);
	skel = NULL;
}
