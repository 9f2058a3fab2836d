// SPDX-License-Identifier: GPL-2.0
/*
 * Engine overhead per primitive: the same kernel operation in a raw loop
 * (direct BPF_PROG_TEST_RUN / madvise + load, nothing else) and through the
 * engine (as_alloc/as_free_run with the zero-on-alloc and post-free pagemap
 * oracles, counters, quiesce polling, periodic sweeps, kernel watch).
 * Bench-only scenarios, not in the scenario table.  Single thread each.
 * Primitives: BPF alloc+free, user fault, munmap+mmap of the arena (one
 * thread, no concurrent frees: safe on any kernel), io_uring READ into and
 * WRITE from an arena page (the engine adds the kernel-path oracle), and on
 * 7.x the non-sleepable allocation and the deferred free (done: the raw loop
 * waits until BPF reads the page as gone, the engine until the free worker's
 * run has finished, through its fentry/fexit); and where the kernel has
 * cid-form sched_ext, the scratch page's install (stress/scratch.c's
 * window: reserve, attach + detach the scheduler, BPF write + read back, a
 * user read that must fault, free), against the scratch scenario itself.
 * usage: overhead [seconds-per-measurement] [repeats] [only: a substring of
 * the primitive's name]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>
#include <liburing.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "report.h"
#include "arena_stress.skel.h"
#include "scratch.h"
#include "scratch.skel.h"
#include "scenarios.h"

static double secs = 2.0;

/* ---- raw loops ---- */

enum { K_ALLOC, K_FAULT, K_REMAP, K_URING_IN, K_URING_OUT, K_RESERVE, K_NOSLEEP, K_DEFERRED, K_SCRATCH, K__NR };
static const char *const what[K__NR] = {
	"BPF alloc+free (1 page)", "user fault (MADV_DONTNEED + load)", "munmap + mmap + first touch",
	"io_uring READ into the arena (8 B)", "io_uring WRITE from the arena (8 B)",
	"BPF reserve+release (1 page)", "BPF nosleep alloc+free (1 page)", "BPF alloc+deferred free, done",
	"scratch page install (sched_ext)",
};
static bool have_reserve;	/* BTF has bpf_arena_reserve_pages */
static bool have_nosleep;	/* BTF has bpf_arena_free_pages_non_sleepable (7.x) */
static bool have_scx;		/* the scratch scenario's probe passes */


static double raw_other(struct arena_stress_bpf *s, int kind, char *base)
{
	size_t len = 64 * 4096;
	int map_fd = bpf_map__fd(s->maps.arena), file = memfd_create("bench", 0);
	struct io_uring ring;
	uint64_t n = 0, t0, end;

	io_uring_queue_init(8, &ring, 0);
	ftruncate(file, 8192);
	t0 = as_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		for (int i = 0; i < 64; i++, n++) {
			struct io_uring_cqe *cqe;

			if (kind == K_REMAP) {
				munmap(base, len);
				mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | 0x100000 /* FIXED_NOREPLACE */,
				     map_fd, 0);
				(void)*(volatile uint64_t *)(base + 4096);	/* the first touch faults */
				continue;
			}
			if (kind == K_URING_IN)
				io_uring_prep_read(io_uring_get_sqe(&ring), file, base + 4096 + AS_KSLOT_OFF, 8, 4096);
			else
				io_uring_prep_write(io_uring_get_sqe(&ring), file, base + 4096, 8, 0);
			io_uring_submit(&ring);
			io_uring_wait_cqe(&ring, &cqe);
			io_uring_cqe_seen(&ring, cqe);
		}
	} while (as_now_ns() < end);
	io_uring_queue_exit(&ring);
	close(file);
	arena_stress_bpf__destroy(s);
	return n / ((as_now_ns() - t0) / 1e9);
}

static int raw_op(int fd, struct as_op *o)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = o, .ctx_size_in = sizeof(*o));

	return bpf_prog_test_run_opts(fd, &t) ?: (int)o->ret;
}

/* the scratch page installed at the arena's last page, as the scenario's window does it */
static double raw_scratch(struct arena_stress_bpf *s, char *base)
{
	struct scratch_bpf *x = scratch_bpf__open();
	int fd = bpf_program__fd(s->progs.as_do_op), rfd = bpf_program__fd(s->progs.as_do_reserve);
	uint32_t top = 1023, ncpu = (uint32_t)libbpf_num_possible_cpus();
	uint64_t n = 0, t0, end, v;
	struct as_op o = {.op = AS_OP_ALLOC, .pgoff = 0, .cnt = 1};

	x->rodata->as_ubase = (uint64_t)(uintptr_t)base;
	if (bpf_map__reuse_fd(x->maps.arena, bpf_map__fd(s->maps.arena)) || scratch_bpf__load(x) ||
	    raw_op(fd, &o))
		exit(2);
	x->bss->trig.nr_cpu_ids = ncpu;
	x->bss->trig.ident_pgoff = 0;
	x->bss->trig.target_pgoff = top;
	for (uint32_t c = 0; c < ncpu && c < AS_SCRATCH_MAX_CPUS; c++)
		((int32_t *)(base + AS_SCRATCH_IDENT_OFF))[c] = (int32_t)c;
	t0 = as_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		struct as_scratch_rw rw = {.pgoff = top, .off = AS_SCRATCH_MARK_OFF, .write = 1, .val = n + 1};
		LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &rw, .ctx_size_in = sizeof(rw));
		struct bpf_link *l;

		o = (struct as_op){.op = AS_OP_RESERVE, .pgoff = top, .cnt = 1};
		raw_op(rfd, &o);
		l = bpf_map__attach_struct_ops(x->maps.as_scratch_ops);
		if (!l)
			exit(2);
		bpf_link__destroy(l);
		bpf_prog_test_run_opts(bpf_program__fd(x->progs.as_scratch_rw), &t);
		n += rw.now == rw.val;
		as_guarded_read((volatile uint64_t *)(base + (size_t)top * 4096 + AS_SCRATCH_MARK_OFF), &v);
		o = (struct as_op){.op = AS_OP_FREE, .pgoff = top, .cnt = 1};
		raw_op(fd, &o);
	} while (as_now_ns() < end);
	scratch_bpf__destroy(x);
	arena_stress_bpf__destroy(s);
	return n / ((as_now_ns() - t0) / 1e9);
}

static double raw_once(int fault)
{
	struct arena_stress_bpf *s = arena_stress_bpf__open();
	uint64_t n = 0, t0, end;
	struct as_op o;
	char *base;
	int fd;

	bpf_map__set_max_entries(s->maps.arena, fault == K_SCRATCH ? 1024 : 64);
	bpf_map__set_map_flags(s->maps.arena, BPF_F_MMAPABLE | (fault == K_SCRATCH ? 0 : BPF_F_SEGV_ON_FAULT));
	bpf_program__set_autoload(s->progs.as_do_op_nosleep, fault == K_NOSLEEP || fault == K_DEFERRED);
	bpf_program__set_autoload(s->progs.as_do_reserve, fault == K_RESERVE || fault == K_SCRATCH);
	if (arena_stress_bpf__load(s))
		exit(2);
	fd = bpf_program__fd(s->progs.as_do_op);
	base = bpf_map__initial_value(s->maps.arena, &(size_t){0});
	if (fault == K_SCRATCH)
		return raw_scratch(s, base);
	if (fault != K_ALLOC && fault != K_RESERVE && fault != K_NOSLEEP && fault != K_DEFERRED) {
		o = (struct as_op){.op = AS_OP_ALLOC, .pgoff = 1, .cnt = 1};
		raw_op(fd, &o);
	}
	if (fault >= K_REMAP && fault <= K_URING_OUT)
		return raw_other(s, fault, base);
	t0 = as_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		for (int i = 0; i < 64; i++, n++) {
			if (fault == K_NOSLEEP) {
				o = (struct as_op){.op = AS_OP_ALLOC, .pgoff = AS_ANY_PGOFF, .cnt = 1, .gen = n};
				if (raw_op(bpf_program__fd(s->progs.as_do_op_nosleep), &o))
					continue;	/* the nolock allocator may fail */
				o.op = AS_OP_FREE;
				raw_op(fd, &o);
			} else if (fault == K_DEFERRED) {
				o = (struct as_op){.op = AS_OP_ALLOC, .pgoff = 1, .cnt = 1, .gen = n};
				if (raw_op(fd, &o))
					continue;	/* the last free not released yet */
				o.op = AS_OP_FREE;
				raw_op(bpf_program__fd(s->progs.as_do_op_nosleep), &o);
				do {	/* done: BPF reads the page as gone */
					o = (struct as_op){.op = AS_OP_PEEK, .pgoff = 1};
					raw_op(fd, &o);
				} while (o.peek_token);
			} else if (fault == K_RESERVE) {
				o = (struct as_op){.op = AS_OP_RESERVE, .pgoff = 1, .cnt = 1};
				raw_op(bpf_program__fd(s->progs.as_do_reserve), &o);
				o.op = AS_OP_FREE;
				raw_op(fd, &o);
			} else if (fault) {
				madvise(base + 4096, 4096, MADV_DONTNEED);
				(void)*(volatile uint64_t *)(base + 4096);
			} else {
				o = (struct as_op){.op = AS_OP_ALLOC, .pgoff = AS_ANY_PGOFF, .cnt = 1, .gen = n};
				raw_op(fd, &o);
				o.op = AS_OP_FREE;
				raw_op(fd, &o);
			}
		}
	} while (as_now_ns() < end);
	arena_stress_bpf__destroy(s);
	return n / ((as_now_ns() - t0) / 1e9);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct raw_arg { int fault; double rate; };

static void *raw_thread(void *p)
{
	struct raw_arg *a = p;

	pin(0);		/* where the engine's worker 0 runs (affinity spread) */
	a->rate = raw_once(a->fault);
	return NULL;
}

static double raw(int fault)
{
	struct raw_arg a = {fault, 0};
	pthread_t t;

	pthread_create(&t, NULL, raw_thread, &a);
	pthread_join(t, NULL);
	return a.rate;
}

/* ---- the same through the engine ---- */

static void alloc_free_worker(struct as_worker *w)
{
	while (as_continue(w))
		if (!as_alloc(w, AS_ANY_PGOFF, 1))
			as_free_span(w, 0, 1);
}

static void reserve_worker(struct as_worker *w)
{
	while (as_continue(w))
		if (!as_reserve(w, 1, 1))
			as_free_span(w, 0, 1);
}

static void nosleep_worker(struct as_worker *w)
{
	while (as_continue(w))
		if (!as_alloc_nosleep(w, AS_ANY_PGOFF, 1))
			as_free_span(w, 0, 1);
}

static void deferred_worker(struct as_worker *w)
{
	while (as_continue(w))
		if (!as_alloc(w, 1, 1))
			as_free_span_deferred(w, 0, 1);
}

static void fault_worker(struct as_worker *w)
{
	uint64_t v;

	while (as_continue(w)) {
		madvise(w->run->a.base + 4096, 4096, MADV_DONTNEED);
		w->ctr[C_MADV]++;
		as_uread(w, 1, AS_OFF_TOKEN, &v);
	}
}

/* what stress/io_wq.c and the io-wq munmap path do per op, minus the random choices */
static void remap_worker(struct as_worker *w)
{
	while (as_continue(w)) {
		as_remap(w, false);
		as_check_contents(w, 1, "munmap + mmap");
	}
}

static void uring_worker(struct as_worker *w, bool in)
{
	struct as_run *r = w->run;
	int file = memfd_create("bench", 0);
	struct io_uring ring;

	io_uring_queue_init(8, &ring, 0);
	ftruncate(file, 8192);
	while (as_continue(w)) {
		struct io_uring_cqe *cqe;
		struct as_kop k;
		uint64_t v = 0;
		int res;

		as_kop_begin(w, &k, in ? AS_KOP_WRITE : AS_KOP_READ, 1, in ? as_kslot(w) : 0, "bench");
		if (in) {
			pwrite(file, &k.mark, 8, 4096);
			io_uring_prep_read(io_uring_get_sqe(&ring), file, r->a.base + 4096 + as_kslot(w), 8, 4096);
		} else {
			io_uring_prep_write(io_uring_get_sqe(&ring), file, r->a.base + 4096, 8, 0);
		}
		io_uring_submit(&ring);
		io_uring_wait_cqe(&ring, &cqe);
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (!in && res == 8)
			pread(file, &v, 8, 0);
		as_kop_end(w, &k, res == 8 ? 0 : -EIO, v);
	}
	io_uring_queue_exit(&ring);
	close(file);
}
static void uring_in_worker(struct as_worker *w) { uring_worker(w, true); }
static void uring_out_worker(struct as_worker *w) { uring_worker(w, false); }

/* page 1 allocated before the measured worker starts */
static int page1(struct as_run *r)
{
	struct as_op o = {.op = AS_OP_ALLOC, .pgoff = 1, .cnt = 1, .gen = 1};

	as_bpf_op(r, &o);
	r->pages[1].token = AS_TOKEN(1, 1);
	atomic_store(&r->pages[1].state, 1);
	return 0;
}

static double engine(int fault)
{
	static const struct as_scenario sc[K__NR] = {
		/* one measured worker, worker 0 (bpf_threads 0 below for the others) */
		{.name = "bench-alloc", .arena_flags = BPF_F_SEGV_ON_FAULT, .bpf = alloc_free_worker},
		{.name = "bench-fault", .arena_flags = BPF_F_SEGV_ON_FAULT, .setup = page1, .lead = fault_worker},
		{.name = "bench-remap", .arena_flags = BPF_F_SEGV_ON_FAULT, .setup = page1, .lead = remap_worker},
		{.name = "bench-uring-in", .arena_flags = BPF_F_SEGV_ON_FAULT, .setup = page1,
		 .lead = uring_in_worker},
		{.name = "bench-uring-out", .arena_flags = BPF_F_SEGV_ON_FAULT, .setup = page1,
		 .lead = uring_out_worker},
		{.name = "bench-reserve", .arena_flags = BPF_F_SEGV_ON_FAULT, .reserves = true, .lead = reserve_worker},
		{.name = "bench-nosleep", .arena_flags = BPF_F_SEGV_ON_FAULT, .bpf = nosleep_worker},
		{.name = "bench-deferred", .arena_flags = BPF_F_SEGV_ON_FAULT, .bpf = deferred_worker},
		{0},	/* K_SCRATCH: the scratch scenario itself, windows only */
	};
	static const enum as_ctr metric[K__NR] = {C_ALLOC, C_UREAD, C_REMAP, C_KOP, C_KOP, C_RESERVE,
						  C_ALLOC_NS, C_FREE_DEFERRED, C_SCRATCH};
	const struct as_scenario *run = &sc[fault];
	static struct as_report rep;
	struct as_opts o;
	char why[256];

	as_opts_defaults(&o);
	if (fault == K_SCRATCH) {	/* its option sets the scenario's own flag */
		char *argv[] = {"overhead", "--scratch-no-alloc", NULL};

		if (as_parse_opts(2, argv, &o, why, sizeof(why)))
			exit(2);
		o.pages = 1024;
		run = as_find_scenario("scratch");
	}
	o.affinity = AS_AFF_SPREAD;	/* worker 0 on CPU 0 */
	/* optional tracing, not part of the engine; but a deferred free is
	 * known done only through it (README, "The 7.x arena") */
	o.no_coverage = fault != K_DEFERRED;
	o.bpf_threads = fault == K_ALLOC || fault == K_NOSLEEP || fault == K_DEFERRED;	/* no churn under the user-side primitives */
	o.user_threads = 0;
	as_report_init(&rep, run->name, 1);
	if (as_run_scenario(run, &o, 1, secs, &rep, why, sizeof(why)) || rep.nviol) {
		fprintf(stderr, "overhead: engine run failed: %s (%lu violations)\n", why, (unsigned long)rep.nviol);
		exit(2);
	}
	return (rep.ctr[metric[fault]] + (fault == K_FAULT ? rep.ctr[C_USEGV] : 0)) / rep.duration_s;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 11;
	char cg[512] = "";

	if (reps < 1 || reps > 64)
		reps = 11;

	if (argc > 1)
		secs = atof(argv[1]);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		pin(1);		/* coordinator and main away from the measured CPU */
	libbpf_set_print(NULL);
	as_install_signal_guard();
	/* a memory cgroup of our own, as arena-stress gives each scenario, so
	 * the engine's leak oracle sees only this process */
	as_memcg_isolate(cg, sizeof(cg));
	printf("%-36s %12s %12s %9s %17s\n", "primitive (1 thread)", "raw ops/s", "engine ops/s",
	       "overhead", "(p25..p75, n)");
	{
		struct btf *btf = btf__load_vmlinux_btf();

		have_reserve = btf && btf__find_by_name_kind(btf, "bpf_arena_reserve_pages", BTF_KIND_FUNC) >= 0;
		have_nosleep = btf && btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable",
							     BTF_KIND_FUNC) >= 0;
		btf__free(btf);
		{
			struct as_opts o;
			char why[256];

			as_opts_defaults(&o);
			have_scx = !as_find_scenario("scratch")->probe(&o, why, sizeof(why));
		}
	}
	for (int f = 0; f < K__NR; f++) {
		double r[64], e[64], ov[64];

		if (f == K_RESERVE && !have_reserve) {
			printf("%-36s (this kernel has no bpf_arena_reserve_pages)\n", what[f]);
			continue;
		}
		if (argc > 3 && !strstr(what[f], argv[3]))
			continue;
		if (f == K_SCRATCH && !have_scx) {
			printf("%-36s (this kernel has no cid-form sched_ext, or a scheduler is loaded)\n", what[f]);
			continue;
		}
		if ((f == K_NOSLEEP || f == K_DEFERRED) && !have_nosleep) {
			printf("%-36s (this kernel has no non-sleepable arena kfuncs: before 7.0)\n", what[f]);
			continue;
		}

		/* adjacent raw/engine pairs, so machine drift cancels; medians */
		for (int i = 0; i < reps && i < 64; i++) {
			r[i] = raw(f);
			e[i] = engine(f);
			ov[i] = 100.0 * (1 - e[i] / r[i]);
		}
		qsort(r, reps, sizeof(double), cmp);
		qsort(e, reps, sizeof(double), cmp);
		qsort(ov, reps, sizeof(double), cmp);
		printf("%-36s %12.0f %12.0f %8.1f%% %8.1f..%.1f%%, %d\n", what[f], r[reps / 2], e[reps / 2],
		       ov[reps / 2], ov[reps / 4], ov[(3 * reps) / 4], reps);
	}
	return 0;	/* the cgroup goes with us: arena-stress' parent removes its own, we leave ours empty */
}
