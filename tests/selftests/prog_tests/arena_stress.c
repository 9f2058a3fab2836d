// SPDX-License-Identifier: GPL-2.0
/*
 * arena-stress as a BPF selftest: BPF allocates and frees arena pages
 * (bpf_arena_alloc_pages/free_pages, from SEC("syscall") programs run with
 * BPF_PROG_TEST_RUN) while user space faults, reads and writes the same
 * pages; user space and BPF must keep seeing the same memory.
 *
 * The BPF programs are arena-stress' own (progs/arena_stress.c includes
 * them).  Deliberately stand-alone otherwise: a selftest uses only the
 * tree's harness, so what it repeats of the tool is on purpose.  Subtests, a few seconds in all:
 *   zero_on_alloc  fresh pages are zero, BPF's token is what user space reads,
 *                  a freed page faults (BPF_F_SEGV_ON_FAULT)
 *   contract       partial munmap/mprotect, mremap and MAP_PRIVATE are refused
 *   madvise        MADV_DONTNEED/COLD/PAGEOUT keep the contents
 *   gup            process_vm_readv/writev reach allocated pages, not freed ones
 *   fault_free     frees racing user faults: no user PTE may be left on a
 *                  page the arena freed (fails on kernels with that bug);
 *                  unless it found one, it must have done the work (frees
 *                  raced by faults): an allocation failure that idles fails
 * The scenarios that can crash a kernel (munmap-remap, multi-process,
 * dofork) and those needing liburing are skipped: run arena-stress for them.
 */
#define _GNU_SOURCE
#include <test_progs.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "progs/arena_stress/arena_stress.h"
#include "arena_stress.skel.h"

#define NPAGES 16

static struct arena_stress *skel;
static char *base;
static int prog_fd;
static long pgsz;	/* the page size (the arena's unit), getpagesize() */

static int op(__u32 kind, __u32 pgoff, __u64 gen, struct as_op *o)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = o, .ctx_size_in = sizeof(*o));

	memset(o, 0, sizeof(*o));
	o->op = kind;
	o->pgoff = pgoff;
	o->cnt = 1;
	o->gen = gen;
	if (bpf_prog_test_run_opts(prog_fd, &t))
		return -errno;
	return (int)o->ret;
}

/* what BPF reads at a page's token (off 0) or at byte offset off */
static __u64 peek(__u32 pgoff, __u32 off)
{
	struct as_op o = {.op = AS_OP_PEEK, .pgoff = pgoff, .off = off};
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &o, .ctx_size_in = sizeof(o));

	if (bpf_prog_test_run_opts(prog_fd, &t))
		return ~0ULL;
	return off ? o.peek_val : o.peek_token;
}

/* user access that survives SIGSEGV: 0, or -1 if it faulted */
static __thread sigjmp_buf jb;
static void on_segv(int sig) { siglongjmp(jb, 1); }

static int uread(int p, __u64 *v)
{
	if (sigsetjmp(jb, 0))
		return -1;
	*v = *(volatile __u64 *)(base + p * pgsz);
	return 0;
}

static bool setup(void)
{
	pgsz = getpagesize();
	/* the BPF programs lay pages out by AS_PAGE_SIZE */
	if (!ASSERT_EQ(pgsz, AS_PAGE_SIZE, "page size the BPF programs were built for"))
		return false;
	skel = arena_stress__open();
	if (!ASSERT_OK_PTR(skel, "arena_stress__open"))
		return false;
	bpf_map__set_max_entries(skel->maps.arena, NPAGES);
	bpf_map__set_map_flags(skel->maps.arena, BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT);
	/* arena-stress' 7.x-only program (non-sleepable kfunc variants): not used here */
	bpf_program__set_autoload(skel->progs.as_do_op_nosleep, false);
	bpf_program__set_autoload(skel->progs.as_do_reserve, false);	/* not on 6.12 */
	if (!ASSERT_OK(arena_stress__load(skel), "arena_stress__load")) {
		arena_stress__destroy(skel);
		return false;
	}
	prog_fd = bpf_program__fd(skel->progs.as_do_op);
	base = bpf_map__initial_value(skel->maps.arena, &(size_t){0});
	return ASSERT_OK_PTR(base, "arena mapped");
}

static void subtest_zero_on_alloc(void)
{
	int dirty = 0, bad_token = 0, readable = 0, fails = 0;
	struct as_op o;
	__u64 v;

	for (int i = 0; i < 500; i++) {
		__u32 p;

		if (op(AS_OP_ALLOC, AS_ANY_PGOFF, i, &o)) {
			fails++;
			continue;
		}
		p = o.pgoff;
		dirty += o.dirty_words != 0;
		bad_token += peek(p, 0) != AS_TOKEN(i, p) || uread(p, &v) || v != AS_TOKEN(i, p);
		op(AS_OP_FREE, p, 0, &o);
		readable += uread(p, &v) == 0;	/* nothing races here */
	}
	ASSERT_EQ(fails, 0, "allocations failed");
	ASSERT_EQ(dirty, 0, "fresh pages with non-zero words");
	ASSERT_EQ(bad_token, 0, "user and BPF disagree on the token");
	ASSERT_EQ(readable, 0, "freed pages still readable from user space");
}

static void subtest_contract(void)
{
	size_t len = NPAGES * pgsz;
	void *m;

	ASSERT_ERR(munmap(base + pgsz, pgsz), "partial munmap refused");
	ASSERT_ERR(mprotect(base + pgsz, pgsz, PROT_READ), "partial mprotect refused");
	m = mremap(base, len, 2 * len, MREMAP_MAYMOVE);
	ASSERT_EQ(m, MAP_FAILED, "mremap refused");
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, bpf_map__fd(skel->maps.arena), 0);
	ASSERT_EQ(m, MAP_FAILED, "MAP_PRIVATE refused");
}

static void subtest_madvise(void)
{
	static const int advice[] = {MADV_DONTNEED, 20 /* MADV_COLD */, 21 /* MADV_PAGEOUT */};
	struct as_op o;
	__u64 v;

	if (!ASSERT_OK(op(AS_OP_ALLOC, 1, 7, &o), "alloc page 1"))
		return;
	for (int i = 0; i < 3; i++) {
		ASSERT_OK(uread(1, &v), "fault the page in");
		ASSERT_OK(madvise(base + pgsz, pgsz, advice[i]), "madvise");
		ASSERT_OK(uread(1, &v), "page readable after madvise");
		ASSERT_EQ(v, AS_TOKEN(7, 1), "contents persist across madvise");
	}
	op(AS_OP_FREE, 1, 0, &o);
}

static void subtest_gup(void)
{
	__u64 v = 0, mark = 0x3c0000000000abcdULL;
	struct iovec local = {&v, 8}, remote = {base + pgsz, 8};
	struct as_op o;

	if (!ASSERT_OK(op(AS_OP_ALLOC, 1, 9, &o), "alloc page 1"))
		return;
	ASSERT_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), 8, "process_vm_readv");
	ASSERT_EQ(v, AS_TOKEN(9, 1), "GUP reads BPF's token");
	local.iov_base = &mark;
	remote.iov_base = base + pgsz + AS_KSLOT_OFF;
	ASSERT_EQ(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), 8, "process_vm_writev");
	ASSERT_EQ(peek(1, AS_KSLOT_OFF), mark, "BPF reads what GUP wrote");
	op(AS_OP_FREE, 1, 0, &o);
	local.iov_base = &v;
	remote.iov_base = base + pgsz;
	ASSERT_LT(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), 0, "GUP refused on a freed page");
}

/* fault_free: one BPF thread announces the page it frees next, allocates
 * another and frees it; three user threads keep faulting the announced page
 * (one on the BPF thread's CPU).  A user read that returns the token of an
 * allocation whose free had returned is a stale mapping. */
static _Atomic int stop, target = 1, found = -1;
static _Atomic __u64 freed[NPAGES];
/* the work done: frees, user faults, and what failed (all must be 0) */
static _Atomic long nfree, nfault, alloc_fail, madv_fail;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *churn(void *arg)
{
	int live[2] = {1, 2}, next = 3;
	__u64 gen = 2, tok[NPAGES], v;
	struct as_op o;

	pin(0);
	op(AS_OP_ALLOC, 1, 0, &o);
	tok[1] = AS_TOKEN(0, 1);
	op(AS_OP_ALLOC, 2, 1, &o);
	tok[2] = AS_TOKEN(1, 2);
	while (!stop) {
		int victim = live[0];

		target = victim;
		freed[next] = 0;
		if (op(AS_OP_ALLOC, next, gen, &o)) {
			alloc_fail++;	/* nothing left to race: say so, not idle */
			stop = 1;
			break;
		}
		tok[next] = AS_TOKEN(gen++, next);
		op(AS_OP_FREE, victim, 0, &o);
		freed[victim] = tok[victim];
		nfree++;
		live[0] = live[1];
		live[1] = next;
		next = next % (NPAGES - 1) + 1;
		target = live[0];
		for (volatile int spin = 0; spin < 20000; spin++)
			;
		if (uread(victim, &v) == 0 && v == tok[victim]) {
			found = victim;
			stop = 1;
		}
	}
	op(AS_OP_FREE, live[0], 0, &o);
	op(AS_OP_FREE, live[1], 0, &o);
	return NULL;
}

static void *faulter(void *arg)
{
	__u64 v, f;

	pin((long)arg);
	while (!stop) {
		int p = target;

		f = freed[p];
		if (stop)
			break;
		if (madvise(base + p * pgsz, pgsz, MADV_DONTNEED))
			madv_fail++;
		nfault++;
		if (uread(p, &v) == 0 && f && v == f && freed[p] == f) {
			found = p;
			stop = 1;
		}
	}
	return NULL;
}

static void subtest_fault_free(void)
{
	int confirmed = 0, rounds = 0;
	pthread_t th[4];
	__u64 v, t0 = get_time_ns();

	nfree = nfault = alloc_fail = madv_fail = 0;
	while (get_time_ns() - t0 < 3000000000ULL && !confirmed) {
		stop = 0;
		found = -1;
		memset((void *)freed, 0, sizeof(freed));
		pthread_create(&th[0], NULL, churn, NULL);
		for (long i = 1; i < 4; i++)
			pthread_create(&th[i], NULL, faulter, (void *)(i == 2 ? 0L : 1L));
		while (!stop && get_time_ns() - t0 < 3000000000ULL)
			usleep(1000);
		stop = 1;
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		rounds++;
		/* with every thread stopped: still the freed token, BPF sees no page */
		if (found >= 0 && uread(found, &v) == 0 && v == freed[found] && peek(found, 0) == 0) {
			confirmed = 1;
			printf("%s: page %d: user reads token %#llx of a freed allocation, BPF reads 0\n",
			       __func__, found, (unsigned long long)v);
		}
	}
	ASSERT_EQ(alloc_fail, 0, "allocations failed (nothing raced after)");
	ASSERT_EQ(madv_fail, 0, "MADV_DONTNEED failed");
	/* a clean verdict needs the race to have run: more than 100 frees
	 * in 3 s even under emulation (TCG); a finding may come at once */
	if (!confirmed) {
		ASSERT_GT(nfree, 100, "frees raced by user faults");
		ASSERT_GT(nfault, 100, "user faults on the page being freed");
	}
	printf("%s: %d rounds, %ld frees, %ld user faults\n", __func__, rounds, (long)nfree, (long)nfault);
	ASSERT_EQ(confirmed, 0, "orphaned user PTE: a fault racing bpf_arena_free_pages() left user space "
		  "mapping a page the arena freed");
}

static void skip(const char *name, const char *why)
{
	if (test__start_subtest(name)) {
		printf("%s: %s\n", name, why);
		test__skip();
	}
}

static void run(const char *name, void (*fn)(void))
{
	if (!test__start_subtest(name))
		return;
	if (!setup())
		return;
	fn();
	arena_stress__destroy(skel);
}

void serial_test_arena_stress(void)
{
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_NODEFER}, old;

	sigaction(SIGSEGV, &sa, &old);	/* freed pages must fault: catch it */
	run("zero_on_alloc", subtest_zero_on_alloc);
	run("contract", subtest_contract);
	run("madvise", subtest_madvise);
	run("gup", subtest_gup);
	run("fault_free", subtest_fault_free);
	skip("munmap_remap", "may crash the kernel (zap without mmap_lock vs page-table teardown): "
	     "run arena-stress --unsafe in a VM");
	skip("multi_process", "may crash the kernel: run arena-stress --unsafe in a VM");
	skip("dofork", "may crash the kernel (use-after-free of the parent's VMA): run arena-stress in a VM");
	skip("pinned_io_uring", "needs liburing: run arena-stress -s pinned,io-wq");
	sigaction(SIGSEGV, &old, NULL);
}
