// SPDX-License-Identifier: GPL-2.0
/*
 * One run of one scenario: set-up (a fresh arena and the page table), the
 * coordinator loop (periodic and suspect-driven sweeps, the kernel watch,
 * the progress line), teardown (join, final sweep, coverage) and the
 * report, then the leak oracle once everything is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "report.h"
#include "arena_stress.skel.h"
#include "coverage.h"

const char *const as_ctr_name[C__NR] = {
	[C_ALLOC] = "alloc", [C_ALLOC_PAGES] = "alloc_pages", [C_ALLOC_FAIL] = "alloc_fail",
	[C_FREE] = "free", [C_FREE_PAGES] = "free_pages", [C_UREAD] = "user_read",
	[C_UWRITE] = "user_write", [C_USEGV] = "user_segv", [C_MADV] = "madvise",
	[C_MPROTECT] = "mprotect", [C_FAULTS] = "faults", [C_SWEEP] = "sweep",
	[C_SWEEP_PAGES] = "sweep_pages", [C_SUSPECT] = "suspect", [C_REMAP] = "remap",
	[C_CHILD] = "child", [C_CHECK] = "contract_checks", [C_PIN] = "pins", [C_KOP] = "kernel_ops",
	[C_KOP_FAIL] = "kernel_op_fail", [C_USIGBUS] = "user_sigbus",
	[C_FREE_DEFERRED] = "free_deferred", [C_DEFERRED_LATE] = "deferred_late",
	[C_ALLOC_NS] = "alloc_nosleep", [C_ALLOC_NS_FAIL] = "alloc_nosleep_fail",
	[C_RESERVE] = "reserve", [C_RESV_CHECK] = "reserve_checks", [C_ACCT_SETTLED] = "acct_settled",
	[C_ALLOC_TOP] = "alloc_top", [C_UNMAP_RACE] = "unmap_race",
	[C_SCRATCH] = "scratch", [C_SCRATCH_ALLOC] = "scratch_alloc",
	[C_RESV_FAULT] = "reserve_faults", [C_RESV_FAULT_FAIL] = "reserve_fault_fail",
	[C_NOMEM_FAIL] = "nomem_fail", [C_NOMEM_PARTIAL] = "nomem_partial", [C_NOMEM_NOFAIL] = "nomem_nofail",
	[C_NOMEM_DEFERRED] = "nomem_deferred", [C_NOMEM_LEAKED] = "nomem_leaked", [C_NOMEM_CHECK] = "nomem_checks",
	[C_SCRATCH_REFUSED] = "scratch_refused", [C_SCRATCH_RETRY] = "scratch_retry_alloc",
};

_Atomic bool as_interrupted;
int as_concurrent = 1;
const struct as_covrun *as_cov_shared;
int as_injected_leak_fd = -1;	/* --inject leak: a map kept open */

/* Leak oracle: after teardown (arena unmapped, map fd closed), the kernel
 * memory charged to our memory cgroup must come back to the baseline taken
 * before the arena existed.  The map is freed from a workqueue, so wait a
 * little.  What user space holds (its heap, the thread stacks glibc keeps,
 * the shared tables) is not the kernel's and is left out (kernel_usage()). */
#define AS_LEAK_TOLERANCE (2LL << 20)

/* Usage as usage() measures it, once it is back within tol of base or
 * after 2 s (memory is freed from workqueues and RCU callbacks). */
static long long settle(long long (*usage)(void), long long base, long long tol)
{
	long long now = -1;

	for (int i = 0; i < 100; i++) {
		now = usage();
		if (now < 0 || now - base <= tol)
			break;
		usleep(20000);
	}
	return now;
}

/* Kernel memory charged to the memory cgroup: memory.stat "kernel" (slab,
 * stacks, page tables, vmalloc, percpu and pages charged to it, the arena's
 * among them); where that counter is missing (cgroup v1), the usage less
 * what user space holds (anon, shmem: the MAP_SHARED tables this process
 * shares with its parent, file cache). */
static long long kernel_usage(void)
{
	long long k = as_memcg_stat("kernel"), u, x;
	static const char *const user[] = {"anon", "rss", "shmem", "file", "cache"};

	if (k >= 0)
		return k;
	u = as_memcg_usage();
	for (size_t i = 0; u >= 0 && i < sizeof(user) / sizeof(user[0]); i++)
		if ((x = as_memcg_stat(user[i])) > 0 && (i != 1 || as_memcg_stat("anon") < 0) &&
		    (i != 4 || as_memcg_stat("file") < 0))
			u -= x;
	return u;
}

static long long slab0 = -1;	/* memory.stat "slab" at the baseline */
static struct as_memstat stat0[96];	/* ... and every counter of it */
static int nstat0;

/* The memory.stat byte counters that grew most since the baseline, as
 * " (KEY +N KiB, ...)" into out: what a leak is made of. */
static void stat_growth(char *out, size_t len)
{
	struct as_memstat now[96];
	int n = as_memcg_stat_all(now, 96), used = 0, shown = 0;
	bool taken[96] = {false};

	out[0] = 0;
	for (; shown < 4; shown++) {
		long long best = 256 << 10;
		int bi = -1;

		for (int i = 0; i < n; i++)
			for (int j = 0; j < nstat0; j++)
				if (!taken[i] && !strcmp(now[i].key, stat0[j].key) && !strstr(now[i].key, "pg") &&
				    now[i].val - stat0[j].val > best && strcmp(now[i].key, "slab")) {
					best = now[i].val - stat0[j].val;
					bi = i;
				}
		if (bi < 0)
			break;
		taken[bi] = true;
		for (int j = 0; j < nstat0; j++)
			if (!strcmp(now[bi].key, stat0[j].key))
				used += snprintf(out + used, len - used, "%s%s %+lld KiB", shown ? ", " : "; grew most: ",
						 now[bi].key, (now[bi].val - stat0[j].val) / 1024);
		if ((size_t)used >= len)
			break;
	}
}

static void leak_check(struct as_run *r, long long base)
{
	struct as_violation v = {.kind = V_LEAK};
	long long now, slab;

	if (base < 0)
		return;
	malloc_trim(0);	/* heap glibc keeps (libbpf's BTF parsing) is not a leak */
	now = settle(kernel_usage, base, AS_LEAK_TOLERANCE);
	r->rep->leak_checked = true;
	r->rep->leak_delta = now - base;
	if (r->o->verbose)
		printf("leak oracle: memcg %+lld KiB after teardown (tolerance %lld KiB)\n",
		       (now - base) / 1024, AS_LEAK_TOLERANCE / 1024);
	if (now - base <= AS_LEAK_TOLERANCE)
		return;
	char grew[200];

	slab = as_memcg_stat("slab");
	stat_growth(grew, sizeof(grew));
	snprintf(v.saw, sizeof(v.saw), "kernel memory of the memory cgroup %+lld KiB above the baseline 2 s after teardown "
		 "(tolerance %lld KiB; slab objects %+lld KiB of it%s): pages not returned", (now - base) / 1024,
		 AS_LEAK_TOLERANCE / 1024, slab >= 0 && slab0 >= 0 ? (slab - slab0) / 1024 : 0, grew);
	as_violation(r, &v);
}

/* The arena's own memory cgroup (descriptor .arena_memcg). */
long long as_arena_memcg_usage(const struct as_run *r)
{
	return r->arena_cg[0] ? as_cg_get(r->arena_cg, "memory.current") : -1;
}

int as_arena_memcg_limit(struct as_run *r, long long room)
{
	char val[32] = "max";
	long long cur = as_arena_memcg_usage(r);

	if (cur < 0)
		return -ENOENT;
	if (room >= 0)
		snprintf(val, sizeof(val), "%lld", cur + room);
	if (r->arena_peak_fd >= 0 && pwrite(r->arena_peak_fd, "reset\n", 6, 0) != 6) {
		close(r->arena_peak_fd);	/* a kernel without per-fd peaks (< 6.12): unknown */
		r->arena_peak_fd = -1;
	}
	return as_cg_put(r->arena_cg, "memory.max", val);
}

long long as_arena_memcg_peak(const struct as_run *r)
{
	char buf[32] = "";

	if (r->arena_peak_fd < 0 || pread(r->arena_peak_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* Teardown of an arena with a memory cgroup of its own: every page it held,
 * those a failed deferred free kept on purpose included ("left inaccessible
 * (leaked) until the arena is destroyed", kernel/bpf/arena.c), must be
 * uncharged once the map is freed.  Then the cgroup goes. */
#define AS_ARENA_CG_TOLERANCE (256LL << 10)
static long long arena_cg_usage_now;
static const struct as_run *arena_cg_run;
static long long arena_cg_usage(void)
{
	return as_arena_memcg_usage(arena_cg_run);
}

static void arena_cg_check(struct as_run *r, bool started)
{
	struct as_violation v = {.kind = V_LEAK};

	if (!r->arena_cg[0])
		return;
	if (r->arena_peak_fd >= 0)
		close(r->arena_peak_fd);
	r->arena_peak_fd = -1;
	as_cg_put(r->arena_cg, "memory.max", "max");
	arena_cg_run = r;
	arena_cg_usage_now = settle(arena_cg_usage, r->arena_cg0, AS_ARENA_CG_TOLERANCE) - r->arena_cg0;
	r->rep->arena_cg_kb = arena_cg_usage_now / 1024;
	r->rep->arena_cg_checked = true;
	if (r->o->verbose)
		printf("arena memcg: %+lld KiB after teardown against the arena new (tolerance %lld KiB)\n",
		       arena_cg_usage_now / 1024,
		       AS_ARENA_CG_TOLERANCE / 1024);
	if (started && arena_cg_usage_now > AS_ARENA_CG_TOLERANCE) {
		snprintf(v.saw, sizeof(v.saw), "the arena's memory cgroup has %+lld KiB more charged 2 s after the "
			 "arena was destroyed than when it was new (tolerance %lld KiB): its pages were not all given back",
			 arena_cg_usage_now / 1024, AS_ARENA_CG_TOLERANCE / 1024);
		snprintf(v.classify, sizeof(v.classify), "pages the arena held (or kept after a failed deferred "
			 "free) not freed with it");
		as_violation(r, &v);
	}
	rmdir(r->arena_cg);	/* no task in it: its charges do not keep it */
}

/* The same oracle for memory a scenario gave back during the run (teardown:
 * whole arenas destroyed with pages in them). */
#define AS_MEM_TOLERANCE (8LL << 20)

int as_check_mem_back(struct as_worker *w, long long base, long long released, const char *what)
{
	struct as_violation v = {.kind = V_LEAK};
	long long now;

	long long tol = released / 4 > AS_MEM_TOLERANCE ? released / 4 : AS_MEM_TOLERANCE;

	now = settle(as_mem_used, base, tol);
	if (now < 0 || now - base <= tol)
		return 0;
	snprintf(v.saw, sizeof(v.saw), "%s: %s %+lld KiB above the baseline 2 s later, of %lld KiB that should have "
		 "come back (tolerance %lld KiB)", what, as_memcg_usage() >= 0 ? "memory cgroup usage" :
		 "system memory in use (MemTotal - MemFree - PageTables)", (now - base) / 1024, released / 1024, tol / 1024);
	snprintf(v.classify, sizeof(v.classify), "memory not returned: arena pages not freed with their arena?");
	as_violation(w->run, &v);
	return 1;
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
	as_violation(r, &v);
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


/* ---- set-up ---- */

/* Does this arena report its pages (7.x: nr_pages << PAGE_SHIFT as the map's
 * memory usage; 6.12-6.18 report 0)?  One page allocated and freed before
 * any worker runs tells. */
static void acct_probe(struct as_run *r)
{
	struct as_op op = {.op = AS_OP_ALLOC, .pgoff = AS_ANY_PGOFF, .cnt = 1, .gen = 0};
	long long before = as_map_memlock(r->a.map_fd), during;

	if (r->sc->kernel_pages) {
		snprintf(r->rep->acct_why, sizeof(r->rep->acct_why), "%s", r->sc->kernel_pages);
		return;
	}
	if (as_bpf_op(r, &op)) {
		snprintf(r->rep->acct_why, sizeof(r->rep->acct_why), "the probe allocation failed");
		return;
	}
	during = as_map_memlock(r->a.map_fd);
	op.op = AS_OP_FREE;
	op.cnt = 1;
	as_bpf_op(r, &op);
	/* reporting is told by the allocation; what the free does is judged */
	r->acct = before == 0 && during == AS_PAGE_SIZE;
	if (!r->acct) {
		snprintf(r->rep->acct_why, sizeof(r->rep->acct_why), "this kernel's arena does not report its "
			 "pages as map memory usage (fdinfo memlock %lld, then %lld with a page allocated): "
			 "6.12-6.18 report 0", before, during);
		return;
	}
	if (as_map_memlock(r->a.map_fd) != 0) {
		struct as_violation v = {.kind = V_ACCOUNTING, .pgoff = op.pgoff};

		snprintf(v.saw, sizeof(v.saw), "one page allocated and freed before any worker ran: the arena "
			 "reported %lld bytes in use, then %lld after the free", during, as_map_memlock(r->a.map_fd));
		snprintf(v.classify, sizeof(v.classify), "the arena's page count (nr_pages, its map memory usage) "
			 "did not follow a free");
		as_violation(r, &v);
		r->acct_reported = true;
	}
}

/* Open and load the BPF object, with the 7.x non-sleepable program and the
 * reservation program or without them.  0, or -errno. */
static int load_skel(struct as_run *r, bool nosleep, bool reserve)
{
	int err;

	r->skel = arena_stress_bpf__open();
	if (!r->skel)
		return -errno;
	bpf_map__set_max_entries(r->skel->maps.arena, r->a.npages);
	bpf_map__set_map_flags(r->skel->maps.arena, BPF_F_MMAPABLE | r->arena_flags);
	bpf_map__set_map_extra(r->skel->maps.arena, r->o->arena_base);
	r->skel->rodata->as_ubase = r->o->arena_base;
	bpf_program__set_autoload(r->skel->progs.as_do_op_nosleep, nosleep);
	bpf_program__set_autoload(r->skel->progs.as_do_reserve, reserve);
	err = arena_stress_bpf__load(r->skel);
	if (err) {
		arena_stress_bpf__destroy(r->skel);
		r->skel = NULL;
	}
	return err;
}

static int run_setup(struct as_run *r, char *why, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();
	/* 7.0+: the verifier picks this variant for a call in non-sleepable context */
	bool ns = btf && btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable", BTF_KIND_FUNC) >= 0;
	/* reservations: only the scenarios that reserve load the program */
	bool rs = r->sc->reserves && btf &&
		  btf__find_by_name_kind(btf, "bpf_arena_reserve_pages", BTF_KIND_FUNC) >= 0;
	size_t sz;
	int err, err2;

	btf__free(btf);
	r->nosleep_fd = -1;
	r->reserve_fd = -1;
	if (!ns)
		snprintf(r->rep->nosleep_why, sizeof(r->rep->nosleep_why), "this kernel has no "
			 "bpf_arena_free_pages_non_sleepable (in BTF): its arena kfuncs are sleepable only (before 7.0)");
	/* descriptor .arena_memcg: the map charges the arena's memory cgroup
	 * (bpf_map_save_memcg() takes the creator's), the process moves back */
	if (r->sc->arena_memcg && (err = as_memcg_sibling(r->rep->memcg_dir, r->arena_cg, sizeof(r->arena_cg)))) {
		snprintf(why, len, "no memory cgroup for the arena beside the scenario's (%s): %s",
			 r->rep->memcg_dir[0] ? r->rep->memcg_dir : "the scenario has none of its own", strerror(-err));
		return -1;
	}
	err = load_skel(r, ns, rs);
	if (r->arena_cg[0]) {
		char pid[32], peak[700];

		snprintf(pid, sizeof(pid), "%d", getpid());
		if ((err2 = as_cg_put(r->rep->memcg_dir, "cgroup.procs", pid))) {
			snprintf(why, len, "cannot move back to %s: %s", r->rep->memcg_dir, strerror(-err2));
			return -1;
		}
		snprintf(peak, sizeof(peak), "%s/memory.peak", r->arena_cg);
		r->arena_peak_fd = open(peak, O_RDWR);
		/* what the map and the load charged there (this process's heap
		 * pages touched meanwhile stay charged to it): teardown's baseline */
		r->arena_cg0 = as_arena_memcg_usage(r);
	}
	if (err && rs && !(err2 = load_skel(r, ns, false))) {	/* the reservation program it was */
		as_note(r, "the verifier refused the bpf_arena_reserve_pages() call (%s): no reservations",
			strerror(-err));
		rs = false;
		err = 0;
	}
	if (err && ns) {
		snprintf(r->rep->nosleep_why, sizeof(r->rep->nosleep_why), "the verifier refused the kfunc calls "
			 "inside bpf_rcu_read_lock() (%s; -vv shows its log)", strerror(-err));
		err = load_skel(r, false, rs);
	}
	if (err) {
		snprintf(why, len, "loading the BPF programs failed: %s (-v shows the verifier log)",
			 strerror(-err));
		return -1;
	}
	r->prog_fd = bpf_program__fd(r->skel->progs.as_do_op);
	if (!r->rep->nosleep_why[0])
		r->nosleep_fd = bpf_program__fd(r->skel->progs.as_do_op_nosleep);
	if (rs)
		r->reserve_fd = bpf_program__fd(r->skel->progs.as_do_reserve);
	r->a.base = bpf_map__initial_value(r->skel->maps.arena, &sz);
	if (!r->a.base) {
		snprintf(why, len, "libbpf did not map the arena");
		return -1;
	}
	r->a.map_fd = bpf_map__fd(r->skel->maps.arena);
	{
		struct bpf_map_info info = {0};
		__u32 ilen = sizeof(info);

		if (!bpf_map_get_info_by_fd(r->a.map_fd, &info, &ilen))
			r->arena_id = info.id;
	}
	r->a.len = (size_t)r->a.npages * AS_PAGE_SIZE;
	r->pages = mmap(NULL, r->a.npages * sizeof(*r->pages), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->pages == MAP_FAILED) {
		r->pages = NULL;
		snprintf(why, len, "mmap of the page table: %s", strerror(errno));
		return -1;
	}
	r->watch_sz = sizeof(*r->watch) + 2 * (size_t)r->a.npages * sizeof(r->watch->idx[0]);
	r->watch = mmap(NULL, r->watch_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->watch == MAP_FAILED) {
		r->watch = NULL;
		snprintf(why, len, "mmap of the sweep's watch list: %s", strerror(errno));
		return -1;
	}
	r->watch->cap = r->a.npages;
	r->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	acct_probe(r);
	return 0;
}

/*
 * Open the start gate: the run's clock starts now, with every worker
 * spawned and waiting (workers.c).  What set-up found (the accounting probe)
 * was found before any worker ran: time 0 on this clock.
 */
static void run_go(struct as_run *r, uint64_t t_begin)
{
	struct as_report *rep = r->rep;

	pthread_mutex_lock(&r->qlock);
	r->t0 = as_now_ns();
	r->setup_ns = r->t0 - t_begin;
	rep->setup_ns = r->setup_ns;
	if (rep->nviol) {
		if (pthread_mutex_lock(&rep->lock) == EOWNERDEAD)
			pthread_mutex_consistent(&rep->lock);
		for (int i = 0; i < rep->nkept; i++)
			rep->v[i].t_ns = 0;
		rep->first_ns = 0;
		pthread_mutex_unlock(&rep->lock);
	}
	atomic_store(&r->go, true);
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
}

/* The scenario's own set-up, then its workers (held at the start gate),
 * then the gate opens.  On a failure the workers spawned so far are let go
 * with stop set: they return at once and teardown joins them. */
static int run_start(struct as_run *r, uint64_t t_begin, char *why, size_t len)
{
	int err = r->sc->setup ? r->sc->setup(r) : 0;

	if (!err)
		err = as_spawn_std(r);
	if (err) {
		snprintf(why, len, "starting the scenario failed: %s", strerror(-err));
		atomic_store(&r->stop, true);
	}
	run_go(r, t_begin);
	return err;
}

/* ---- the coordinator: sweeps, kernel watch, progress, until the end ---- */

static void run_loop(struct as_run *r, double duration_s, struct as_kwatch *kw, struct as_covrun *cov)
{
	const struct as_opts *o = r->o;
	uint64_t now_c[C__NR] = {0}, prev_c[C__NR] = {0}, flt0 = minflt();
	uint64_t t_end = r->t0 + (uint64_t)(duration_s * 1e9);
	uint64_t t_sweep = r->t0 + o->sweep_ms * 1000000ULL;
	uint64_t t_prog = r->t0 + 1000000000ULL, t_kw = r->t0 + 100000000ULL;

	while (!atomic_load(&r->stop)) {
		uint64_t now = as_now_ns();
		/* 1 ms: a suspect parks the workers itself (as_suspect), so
		 * this only bounds how long they wait for the sweep */
		struct timespec ts = {0, 1000000};

		if (now >= t_end || atomic_load(&as_interrupted) ||
		    (o->stop_on_violation && r->rep->nviol))	/* also found by children */
			break;
		if (atomic_load(&r->suspects) || (now >= t_sweep && now >= atomic_load(&r->sweep_hold_ns))) {
			atomic_store(&r->suspects, 0);
			as_sweep(r);
			t_sweep = as_now_ns() + o->sweep_ms * 1000000ULL;
		}
		if (now >= t_kw) {
			kernel_check(r, kw);
			t_kw = now + 100000000ULL;
		}
		if (now >= t_prog) {
			sum_counters(r, now_c);
			now_c[C_FAULTS] = minflt() - flt0;
			{
				struct as_cov c;

				as_cov_read(cov, &c);
				progress(r, now_c, prev_c, 1.0, (now - r->t0) / 1e9);
				if (cov->on)
					fprintf(stderr, "%*s race windows: %" PRIu64 " frees with a fault in flight, %" PRIu64
						" arena zaps during page-table teardown\n", 19, "", (uint64_t)c.free_during_fault,
						(uint64_t)c.zap_during_teardown);
			}
			memcpy(prev_c, now_c, sizeof(now_c));
			/* into the shared report too: a process a kernel bug wedges
			 * later still leaves its counters so far (main.c) */
			memcpy(r->rep->ctr, now_c, sizeof(r->rep->ctr));
			r->rep->nctr = C__NR;
			r->rep->ctr_name = as_ctr_name;
			r->rep->duration_s = (now - r->t0) / 1e9;
			t_prog += 1000000000ULL;
		}
		nanosleep(&ts, NULL);
	}
	/* a scenario that ran past a second shows at least one line, even when a
	 * sweep (workers parked, at worst for the 5 s watchdog) spanned the mark */
	if (t_prog == r->t0 + 1000000000ULL && as_now_ns() >= t_prog) {
		double t = (as_now_ns() - r->t0) / 1e9;

		sum_counters(r, now_c);
		now_c[C_FAULTS] = minflt() - flt0;
		progress(r, now_c, prev_c, t, t);
	}
	r->rep->interrupted = atomic_load(&as_interrupted);
	r->totals[C_FAULTS] = minflt() - flt0;
}

/* ---- teardown: stop and join the workers, the final sweep ---- */

static void run_teardown(struct as_run *r, bool started, struct as_kwatch *kw, struct as_covrun *cov)
{
	struct timespec dl;	/* one deadline for all of them */
	uint64_t faults = r->totals[C_FAULTS];

	atomic_store(&r->stop, true);
	as_quiesce_end(r);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += as_hang_secs();
	for (int i = 0; i < r->nw; i++)
		if (pthread_timedjoin_np(r->w[i]->thread, NULL, &dl) && !r->hung)
			as_report_hang(r);
	r->elapsed_ns = as_now_ns() - r->t0;
	if (started && !r->hung && !(r->o->stop_on_violation && r->rep->nviol))
		as_sweep(r);	/* final sweep, all workers gone */
	kernel_check(r, kw);
	as_kwatch_close(kw);
	as_cov_read(cov, &r->rep->cov);
	r->rep->cov_on = cov->on;
	snprintf(r->rep->cov_unavail, sizeof(r->rep->cov_unavail), "%s", cov->unavailable);
	if (!r->hung && !as_cov_shared)	/* a shared one is the parent's */
		as_cov_stop(cov);
	sum_counters(r, r->totals);
	r->totals[C_FAULTS] = faults;
}

/* ---- the report; then free what the run held ---- */

static void run_report(struct as_run *r, bool started, const char *why)
{
	struct as_report *rep = r->rep;

	_Static_assert(sizeof(rep->ctr) == sizeof(r->totals), "report counters match the engine's");
	memcpy(rep->ctr, r->totals, sizeof(r->totals));
	rep->nctr = C__NR;
	rep->ctr_name = as_ctr_name;
	rep->duration_s = r->elapsed_ns / 1e9;
	/* no work: not one allocation, or a share of --duration too short for
	 * anything to race (decided by the request, not by what a worker
	 * managed to start before it saw the stop) */
	rep->status = !started ? AS_FAILED : r->totals[C_ALLOC] && r->share_s >= AS_MIN_SHARE_S ? AS_RAN : AS_NOWORK;
	if (!started)
		snprintf(rep->why, sizeof(rep->why), "%s", why);
	if (r->totals[C_SWEEP]) {
		rep->sweep_every_ms = r->elapsed_ns / 1e6 / r->totals[C_SWEEP];
		rep->sweep_ms = r->sweep_ns / 1e6 / r->totals[C_SWEEP];
	}
	/* sweeps far behind --sweep-ms: say so (each costs O(watched pages)) */
	if (rep->duration_s > 1 && rep->sweep_every_ms > 2.0 * r->o->sweep_ms)
		printf("%s: sweeps ran every %.0f ms, not every %u ms (--sweep-ms): one sweep of %.0f watched "
		       "pages took %.1f ms\n", r->sc->name, rep->sweep_every_ms, r->o->sweep_ms,
		       (double)r->totals[C_SWEEP_PAGES] / r->totals[C_SWEEP], rep->sweep_ms);
}

/* The workers, the pagemap and the arena (map fd and mapping) go; the run
 * and its page table stay for the leak oracle's report. */
static void run_release(struct as_run *r)
{
	for (int i = 0; i < r->nw; i++) {
		free(r->w[i]->spans);
		free(r->w[i]);
	}
	r->nw = 0;
	if (r->pagemap_fd >= 0)
		close(r->pagemap_fd);
	r->pagemap_fd = -1;
	arena_stress_bpf__destroy(r->skel);
	r->skel = NULL;
}

static void run_free(struct as_run *r)
{
	run_release(r);
	if (r->pages)
		munmap(r->pages, r->a.npages * sizeof(*r->pages));
	if (r->watch)
		munmap(r->watch, r->watch_sz);
	free(r);
}

int as_run_scenario(const struct as_scenario *sc, const struct as_opts *o, uint64_t seed,
		    double duration_s, struct as_report *rep, char *why, size_t len)
{
	struct as_kwatch kw = {.fd = -1};
	struct as_covrun cov = {0};
	uint64_t t_begin = as_now_ns();	/* set-up's clock */
	struct as_run *r;
	long long memcg0;
	bool started;

	r = calloc(1, sizeof(*r));
	if (!r)
		return AS_EXIT_USAGE;
	r->sc = sc;
	r->o = o;
	r->arena_flags = sc->arena_flags | (sc->more_flags ? sc->more_flags() : 0);
	r->seed = seed;
	r->a.pid = getpid();
	r->a.npages = o->pages;
	r->share_s = duration_s;
	r->rep = rep;
	r->pagemap_fd = -1;
	r->arena_peak_fd = -1;
	r->t0 = t_begin;	/* until the workers start: what set-up finds is at 0 (run_go) */
	pthread_mutex_init(&r->qlock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	/* leak baseline: before the arena exists (its kernel page tables are
	 * charged at creation and freed with it) */
	malloc_trim(0);
	memcg0 = kernel_usage();
	slab0 = as_memcg_stat("slab");
	nstat0 = as_memcg_stat_all(stat0, 96);
	if (run_setup(r, why, len)) {
		rep->status = AS_FAILED;
		snprintf(rep->why, sizeof(rep->why), "%s", why);
		run_free(r);
		return AS_EXIT_USAGE;
	}
	if (!o->no_kwatch)
		as_kwatch_open(&kw);
	if (as_cov_shared) {
		cov = *as_cov_shared;
		as_cov_rebase(&cov);
	} else if (!o->no_coverage) {
		as_cov_start(&cov);
	}
	r->cov = &cov;
	{
		uint64_t s, d;

		/* a deferred free is done once every run of this arena's
		 * arena_free_worker() started by then has ended (counted per
		 * arena, so other scenarios' arenas under --parallel do not
		 * blur it) */
		r->deferred = r->nosleep_fd >= 0 && r->arena_id && as_cov_free_worker(&cov, r->arena_id, &s, &d);
		if (r->nosleep_fd >= 0 && !r->deferred)
			snprintf(rep->nosleep_why, sizeof(rep->nosleep_why), "deferred frees off (non-sleepable "
				 "allocations on): their completion is known only by tracing arena_free_worker(), "
				 "which is unavailable here (%s)", o->no_coverage ? "--no-coverage" : cov.unavailable);
	}
	/* test: kernel memory that never comes back: an 8 MiB array map (its
	 * values are allocated at creation, charged to our memory cgroup),
	 * kept open */
	if (o->inject & AS_INJ_LEAK)
		as_injected_leak_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "as_inj_leak", 4, 4096, 2048, NULL);
	started = run_start(r, t_begin, why, len) == 0;
	run_loop(r, duration_s, &kw, &cov);
	if (r->deferred && o->verbose) {
		uint64_t ws, wd;

		if (as_cov_free_worker(&cov, r->arena_id, &ws, &wd))
			printf("deferred frees: arena %u's free worker ran %" PRIu64 " times (%" PRIu64 " done)\n",
			       r->arena_id, ws, wd);
	}
	run_teardown(r, started, &kw, &cov);
	run_report(r, started, why);
	/* from here only the arena's teardown and the leak oracle: a process
	 * stuck in the kernel can still block the unmap, and the parent then
	 * reports what is final now (main.c) */
	atomic_store(&rep->reported, 1);
	if (r->hung)	/* stuck threads still use all of it: leave it be */
		return 0;
	run_release(r);
	if (started)
		leak_check(r, memcg0);
	arena_cg_check(r, started);
	run_free(r);
	return started ? 0 : AS_EXIT_USAGE;
}
