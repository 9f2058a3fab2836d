// SPDX-License-Identifier: GPL-2.0
/*
 * scratch: the 7.x arena's scratch page, installed by the kernel itself.
 *
 * When kernel code touches an unallocated arena address for a BPF program
 * and has no exception fixup, 7.x's bpf_arena_handle_page_fault() maps the
 * arena's one shared scratch page there instead of oopsing.  A JIT-ed BPF
 * access never gets there (the exception table fixes it up first); in 7.3 a
 * sched_ext kfunc with an __arena argument does.  So the lead worker loads a
 * do-nothing cid-form sched_ext scheduler (bpf/scratch.bpf.c: it moves no
 * task) whose ops.init_cids() hands scx_bpf_cid_override() a shard table at
 * an unallocated page, attaches it and detaches it again: each attach
 * scratches one page.  Then, while the churn workers allocate and free all
 * over the arena:
 *   - through a reserved scratched page (a "window": nothing can be
 *     allocated there) BPF reads the marker word it wrote through the
 *     scratch page last time, and writes a new one.  Only this scenario
 *     writes to the scratch page, so the old word must be the last marker: a
 *     scratch page that was freed or handed out again reads otherwise
 *     (reported as token: BPF's view lost what it wrote).  The read-back of
 *     the new marker shows the scratch page is installed there;
 *   - a user read of a window must fault: user space never maps the
 *     scratch page (contract);
 *   - at an unreserved scratched page (it reads the marker) the worker
 *     allocates: the zero-on-alloc oracle judges the new page, whose oracle
 *     half holds the marker if the allocation left the scratch PTE behind
 *     (dirty-alloc); the churn workers' kernel-chosen allocations land on
 *     such pages too;
 *   - windows are released by freeing them: a free over a scratched
 *     address must not give the scratch page back to the allocator (else the
 *     next window check sees the marker gone).
 * Finding 6's candidate fix (findings/fix/0005) decides by the caller: a
 * sleepable allocation over a scratched page replaces the scratch PTE and
 * flushes it (the default here: the engine's syscall programs are
 * sleepable); a non-sleepable one is refused and hands the page to the
 * deferred free, whose worker clears and flushes the scratch PTE, after
 * which an allocation there succeeds.  --scratch-ctx CTX allocates over the
 * scratched pages from a non-sleepable context instead (stress/ctxop.c:
 * the bpf_timer callback, the bpf_spin_lock region, tc ingress, a perf
 * overflow), with that context's own oracles on what it got.  When the
 * kernel refuses (counter scratch_refused), the scenario waits until BPF no
 * longer reads the scratch page there and the free worker's runs are over,
 * and allocates again from the same context: that must succeed (counter
 * scratch_retry_alloc).  A scratch PTE that stays, or a second refusal at a
 * page the table calls free, is reported (accounting: the range is lost to
 * every allocation).  The kernel as shipped allocates at once (no refusal),
 * and the context's zero-on-alloc and token checks see finding 6.
 * Loading a scheduler is intrusive and the path is new: opt-in (--unsafe).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ctxop.h"
#include "scratch.h"
#include "scratch.skel.h"

#define WINDOWS 4	/* reserved scratched pages held at once */
#define SCX_STATE "/sys/kernel/sched_ext/state"

static struct scratch_bpf *skel;	/* loaded in setup, destroyed by the lead */
static uint64_t mark;			/* the scratch page's word at AS_SCRATCH_MARK_OFF: only we write it */
static bool opt_no_alloc;		/* --scratch-no-alloc */
static int opt_ctx;			/* --scratch-ctx: index in CTX_CHOICES */
static bool opt_inject_rescratch;	/* --scratch-inject-rescratch */
static bool opt_probe_ops;		/* --scratch-probe-ops */
#define CTX_CHOICES "syscall,timer,irqoff,tc,perf"
static const int ctx_kind[] = {-1, AS_CTX_TIMER, AS_CTX_LOCKED, AS_CTX_NET, AS_CTX_PERF};
#define CLEAR_WAIT_MS 2000	/* a refused page's scratch PTE not cleared by then: reported */

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int scratch_probe(const struct as_opts *o, char *why, size_t len)
{
	struct btf *btf;
	char state[64], resv[256];
	bool ops, kf, init_cids = false;
	int id;

	/* its own need first: the kernel path that installs the scratch page */
	btf = btf__load_vmlinux_btf();
	id = btf ? btf__find_by_name_kind(btf, "sched_ext_ops_cid", BTF_KIND_STRUCT) : -1;
	ops = id >= 0;
	kf = btf && btf__find_by_name_kind(btf, "scx_bpf_cid_override", BTF_KIND_FUNC) >= 0;
	/* the op this scenario's scheduler implements (7.2's struct has none) */
	if (ops) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m = btf_members(t);

		for (int i = 0; i < btf_vlen(t) && !init_cids; i++)
			init_cids = !strcmp(btf__name_by_offset(btf, m[i].name_off), "init_cids");
	}
	btf__free(btf);
	if (ops && kf && !init_cids) {
		snprintf(why, len, "this kernel's sched_ext_ops_cid has no init_cids op in its BTF: the only "
			 "op through which this scenario's scheduler hands scx_bpf_cid_override() an arena address");
		return -1;
	}
	if (!ops || !kf) {
		snprintf(why, len, "this kernel has no cid-form sched_ext: no %s in its BTF; only a sched_ext "
			 "kfunc with an __arena argument installs the arena's scratch page",
			 !ops && !kf ? "sched_ext_ops_cid struct and no scx_bpf_cid_override kfunc"
			 : !ops ? "sched_ext_ops_cid struct" : "scx_bpf_cid_override kfunc");
		return -1;
	}
	/* its windows are reserved scratched pages */
	if (as_probe_reserve(o, resv, sizeof(resv))) {
		snprintf(why, len, "%s (this scenario holds scratched pages reserved)", resv);
		return -1;
	}
	if (read_line(SCX_STATE, state, sizeof(state)) || strcmp(state, "disabled")) {
		snprintf(why, len, "a sched_ext scheduler is loaded (" SCX_STATE ": %s): this scenario loads its own",
			 state);
		return -1;
	}
	if (ctx_kind[opt_ctx] >= 0 && as_ctx_probe((enum as_ctx_kind)ctx_kind[opt_ctx], why, len))
		return -1;	/* --scratch-ctx: its context's own reason */
	return 0;
}

/* nr_cpu_ids: the last possible CPU + 1 */
static uint32_t nr_cpu_ids(void)
{
	char buf[256], *p;

	if (read_line("/sys/devices/system/cpu/possible", buf, sizeof(buf)) || !buf[0])
		return 0;
	p = buf + strlen(buf);
	while (p > buf && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return (uint32_t)strtoul(p, NULL, 10) + 1;
}

static int scratch_setup(struct as_run *r)
{
	const struct as_arena *a = as_arena(r);
	int err;

	skel = scratch_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->as_ubase = (uint64_t)(uintptr_t)a->base;
	/* --scratch-probe-ops's scheduler is no part of the scenario's */
	bpf_map__set_autocreate(skel->maps.as_probe_ops, false);
	bpf_program__set_autoload(skel->progs.as_probe_enqueue, false);
	bpf_program__set_autoload(skel->progs.as_probe_dispatch, false);
	err = bpf_map__reuse_fd(skel->maps.arena, a->map_fd);
	if (!err)
		err = scratch_bpf__load(skel);
	if (err) {
		as_note(r, "scratch: loading the scheduler failed (%s)", strerror(-err));
		scratch_bpf__destroy(skel);
		skel = NULL;
		return err;
	}
	skel->bss->trig.nr_cpu_ids = nr_cpu_ids();
	mark = 0;
	if (ctx_kind[opt_ctx] >= 0) {
		err = as_ctx_setup(r, (enum as_ctx_kind)ctx_kind[opt_ctx]);
		if (err) {
			scratch_bpf__destroy(skel);
			skel = NULL;
			return err;
		}
	}
	return 0;
}

static int rw(uint32_t p, bool write, uint64_t val, struct as_scratch_rw *op)
{
	*op = (struct as_scratch_rw){.pgoff = p, .off = AS_SCRATCH_MARK_OFF, .write = write, .val = val};
	/* a syscall program writes its context back to ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = op, .ctx_size_in = sizeof(*op));

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.as_scratch_rw), &t) ? -errno : 0;
}

/* Attach and detach the scheduler: its ops.init_cids() makes the kernel
 * copy a shard table from page p.  0, or -errno (the run then stops). */
static int trigger(uint32_t p)
{
	uint64_t called = skel->bss->trig.called;
	struct bpf_link *l;

	skel->bss->trig.target_pgoff = p;
	l = bpf_map__attach_struct_ops(skel->maps.as_scratch_ops);
	if (!l)
		return -errno;
	bpf_link__destroy(l);
	return skel->bss->trig.called != called ? 0 : -ENOENT;
}

/* a page neither allocated nor owned: -1 when none was found quickly */
static int64_t pick_free(struct as_worker *w)
{
	const struct as_run *r = as_run_of(w);
	uint32_t n = as_arena(r)->npages;

	for (int i = 0; i < 16; i++) {
		uint32_t p = as_rand_below(w, n);
		bool mine = false;

		for (uint32_t k = 0; k < as_nowned(w); k++) {
			struct as_span s = as_owned(w, k);

			mine |= p >= s.pgoff && p < s.pgoff + s.cnt;
		}
		if (!mine && !as_page_allocated(r, p))
			return p;
	}
	return -1;
}

static int owned_idx(const struct as_worker *w, uint32_t p)
{
	for (uint32_t k = 0; k < as_nowned(w); k++)
		if (as_owned(w, k).pgoff == p)
			return (int)k;
	return -1;
}

/* The window check at reserved page p, just scratched. */
static void window(struct as_worker *w, uint32_t p)
{
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	uint64_t next = 0x5c7a7c0000000000ULL | (as_rand(w) & 0xffffffffffULL), v;
	struct as_scratch_rw op;
	int sig;

	if (rw(p, true, next, &op))
		return;
	if (op.now != next) {	/* not installed: the kernel copied without a fault, or recovery is off */
		as_note(r, "scratch: page %u read back %#" PRIx64 " after the trigger: the scratch page was not "
			"installed there", p, (uint64_t)op.now);
		return;
	}
	as_count(w, C_SCRATCH, 1);
	if (op.old != mark)
		as_report_v(r, V_TOKEN, p, "the scratch page changed under a scratched address: only this scenario "
			    "writes to it (the kernel freed it or handed it out again)",
			    "BPF read %#" PRIx64 " through the scratch page at page %u, where it last wrote %#" PRIx64
			    "%s", (uint64_t)op.old, p, mark, as_injected(r, AS_INJ_SCRATCH) ? " [injected]" : "");
	mark = next;
	as_touch(r, p, 1);	/* the post-free oracle samples its PTE when the window is freed */
	sig = as_guarded_read((volatile uint64_t *)(as_page_addr(a, p) + AS_SCRATCH_MARK_OFF), &v);
	as_count(w, C_CHECK, 1);
	if (!sig)
		as_contract(r, p, "a user read of page %u, reserved and scratched, succeeded and read %#" PRIx64
			    " (the scratch page holds %#" PRIx64 "): user space must never map the scratch page",
			    p, v, mark);
	if (as_injected(r, AS_INJ_SCRATCH) && as_counter(w, C_SCRATCH) == 2)
		rw(p, true, mark ^ 1, &op);	/* test: a write the next check does not expect */
}

/* BPF reads the scratch marker at page p (the scratch PTE is there). */
static bool scratched(uint32_t p)
{
	struct as_scratch_rw op;

	return !rw(p, false, 0, &op) && op.now == mark && mark;
}

/* An allocation at scratched page p from the non-sleepable context (the
 * cycle applies the context's oracles to what it gets); false: stop. */
static bool alloc_over_nosleep(struct as_worker *w, uint32_t p)
{
	struct as_run *r = as_run_of(w);
	bool rescratched = false;
	uint64_t end;
	uint32_t got;
	int rc = as_ctx_cycle(w, p, 1, &got);

	if (rc <= 0) {	/* allocated over it at once (as shipped), or stop */
		if (!rc)
			as_count(w, C_SCRATCH_ALLOC, 1);
		return rc == 0;
	}
	if (as_page_allocated(r, p))
		return true;	/* not the scratch PTE's doing: the churn took it */
	as_count(w, C_SCRATCH_REFUSED, 1);
	/* 0005: the refused page goes through the deferred free, whose worker
	 * clears the scratch PTE (BPF then reads 0 there) and gives it back */
	for (end = as_now_ns() + CLEAR_WAIT_MS * 1000000ULL; scratched(p);) {
		if (as_now_ns() > end) {
			as_report_v(r, V_ACCOUNTING, p, "a refused scratched page was never handed to the free worker: "
				    "best fit keeps choosing it and failing (finding 6's earlier candidate fix)",
				    "a non-sleepable allocation at page %u (scratched) from %s was refused, and BPF "
				    "still reads the scratch page there %d ms later", p, as_ctx_where((enum as_ctx_kind)
				    ctx_kind[opt_ctx]), CLEAR_WAIT_MS);
			return true;
		}
		as_nap(w);
	}
	if (as_ctx_wait_free_worker()) {
		as_note(r, "scratch: the free worker's run was not over within 2 s: stopped");
		return false;
	}
	if (opt_inject_rescratch) {	/* test: the scratch PTE back before the retry */
		opt_inject_rescratch = false;
		if (trigger(p) || !scratched(p))
			as_note(r, "scratch: --scratch-inject-rescratch could not scratch page %u again", p);
		else
			rescratched = true;
	}
	rc = as_ctx_cycle(w, p, 1, &got);
	if (rc == 0)
		as_count(w, C_SCRATCH_RETRY, 1);
	else if (rc == 1 && !as_page_allocated(r, p))
		as_report_v(r, V_ACCOUNTING, p, "the refusal of an allocation at a scratched page is not transient: "
			    "the range is lost to every allocation",
			    "a non-sleepable allocation at page %u from %s was refused again after the free worker "
			    "cleared the scratch PTE there and finished; the table has the page free%s", p,
			    as_ctx_where((enum as_ctx_kind)ctx_kind[opt_ctx]),
			    rescratched ? " [injected: scratched again before the retry]" : "");
	return rc >= 0;
}

/* --scratch-probe-ops: load (never attach) a scheduler whose ops.enqueue()
 * and ops.dispatch() allocate and free an arena page; the verifier's
 * verdict, in the note.  The run then ends. */
static void probe_ops(struct as_run *r)
{
	static char log[1 << 20];
	struct scratch_bpf *s = scratch_bpf__open();
	char *line, *save = NULL, *last = NULL;
	int err;

	if (!s) {
		as_note(r, "scratch: --scratch-probe-ops: opening the object failed (%s)", strerror(errno));
		return;
	}
	bpf_map__set_autocreate(s->maps.as_scratch_ops, false);
	bpf_program__set_autoload(s->progs.as_init_cids, false);
	bpf_program__set_autoload(s->progs.as_scratch_rw, false);
	bpf_program__set_log_buf(s->progs.as_probe_enqueue, log, sizeof(log));
	bpf_program__set_log_level(s->progs.as_probe_enqueue, 1);
	err = scratch_bpf__load(s);
	if (err) {
		for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (line[0] && strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17))
				last = line;
		as_note(r, "sched_ext ops.enqueue/ops.dispatch: the verifier refused arena alloc/free there (%s: %s)",
			strerror(-err), last ? last : "no log");
	} else {
		as_note(r, "sched_ext ops.enqueue/ops.dispatch: the verifier took bpf_arena_alloc_pages() and "
			"bpf_arena_free_pages() there (loaded, not attached: no task was run by it)");
	}
	scratch_bpf__destroy(s);
}

static void scratch_lead(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	uint32_t ncpu = skel->bss->trig.nr_cpu_ids, ident;
	int err;

	if (!ncpu || ncpu > AS_SCRATCH_MAX_CPUS || as_alloc(w, AS_ANY_PGOFF, 1)) {
		as_note(r, "scratch: no cpu->cid table (%u CPUs, at most %u; or no page for it)", ncpu,
			AS_SCRATCH_MAX_CPUS);
		as_stop(r);
		goto out;
	}
	if (opt_probe_ops) {
		probe_ops(r);
		as_stop(r);
		goto out;
	}
	if (ctx_kind[opt_ctx] >= 0 && as_ctx_start(w)) {
		as_stop(r);
		goto out;
	}
	ident = as_owned(w, 0).pgoff;
	skel->bss->trig.ident_pgoff = ident;
	for (uint32_t c = 0; c < ncpu; c += 2)
		as_uwrite(w, ident, AS_SCRATCH_IDENT_OFF + c * 4, c | (uint64_t)(c + 1) << 32);
	while (as_continue(w)) {
		int64_t p = pick_free(w);
		/* --scratch-ctx: mostly allocations, the path it is for */
		bool reserved = opt_no_alloc || !as_rand_below(w, ctx_kind[opt_ctx] >= 0 ? 4 : 2);

		if (p < 0 || (reserved && as_reserve(w, (uint32_t)p, 1)))
			continue;
		err = trigger((uint32_t)p);
		if (err) {
			as_note(r, "scratch: attaching the scheduler failed (%s): stopped", strerror(-err));
			as_stop(r);
			break;
		}
		if (reserved) {
			window(w, (uint32_t)p);
		} else if (ctx_kind[opt_ctx] >= 0) {
			if (scratched((uint32_t)p) && !alloc_over_nosleep(w, (uint32_t)p))
				break;
		} else if (scratched((uint32_t)p) && !as_alloc(w, (uint32_t)p, 1)) {
			as_count(w, C_SCRATCH_ALLOC, 1);	/* scratched: allocated over it (sleepable) */
		}
		while (as_nowned(w) > WINDOWS + 1) {	/* free the oldest but the table's page */
			int k = owned_idx(w, ident) == 0 ? 1 : 0;

			as_free_span(w, (uint32_t)k, as_owned(w, (uint32_t)k).cnt);
		}
		as_nap(w);
	}
out:
	while (as_nowned(w))	/* leave the arena empty */
		as_free_span(w, 0, as_owned(w, 0).cnt);
	if (ctx_kind[opt_ctx] >= 0)
		as_ctx_end(w);
	scratch_bpf__destroy(skel);
	skel = NULL;
}

static const struct as_optdef opts[] = {
	AS_SOPT_FLAG("scratch-no-alloc", opt_no_alloc, 0,
		     "only reserved windows: never allocate over a scratched address"),
	{.name = "scratch-ctx", .type = AS_OT_CHOICE, .arg = "CTX", .dflt = "syscall", .choices = CTX_CHOICES,
	 .ptr = &opt_ctx, .size = sizeof(opt_ctx),
	 .help = "allocate over scratched pages from CTX: syscall (sleepable, the default), or the non-sleepable "
		 "timer, irqoff, tc or perf context (finding 6's fix refuses those once)"},
	AS_SOPT_FLAG("scratch-probe-ops", opt_probe_ops, 0,
		     "only say whether the verifier takes arena allocations in sched_ext ops.enqueue/dispatch "
		     "(loads such a scheduler, never attaches it), and stop"),
	AS_SOPT_FLAG("scratch-inject-rescratch", opt_inject_rescratch, AS_OF_HIDDEN,
		     "test: scratch a refused page again before the retry (the retry's refusal is reported)"),
	{0},
};

const struct as_scenario as_sc_scratch = {
	.name = "scratch", .unsafe = true, .reserves = true,
	.kernel_pages = "sched_ext takes pages of its scheduler's arena for its own pool at each enable (kept until the arena dies)",
	.summary = "7.x: the kernel installs the arena's scratch page (through a do-nothing sched_ext scheduler); "
		   "it must keep what BPF wrote, never reach user space, vanish under an allocation, survive a free",
	.probe = scratch_probe, .setup = scratch_setup, .lead = scratch_lead, .opts = opts,
};
