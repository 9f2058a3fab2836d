// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's own logic, without BPF or a kernel bug: quiesce points park
 * every worker and release them, a worker that never parks is reported as
 * the tool's (tool-stuck) and not the kernel's, and the page-state seqlock
 * decides when a read is judged (as_check_contents, as_read_was_stale; not
 * while another worker has the arena unmapped), and
 * the sweep's watch list lists each page once.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "engine.h"
#include "report.h"
#include "unit.h"

static struct as_opts opts;
static struct as_report rep;

static struct as_run *fake_run(uint32_t npages)
{
	struct as_run *r = calloc(1, sizeof(*r));

	as_opts_defaults(&opts);
	opts.affinity = AS_AFF_NONE;
	opts.no_kwatch = opts.no_coverage = true;
	as_report_init(&rep, "unit", 1);
	r->o = &opts;
	r->rep = &rep;
	r->a.npages = npages;
	r->a.len = (size_t)npages * AS_PAGE_SIZE;
	r->a.base = mmap(NULL, r->a.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->a.pid = getpid();
	r->pages = calloc(npages, sizeof(*r->pages));
	r->pagemap_fd = -1;
	r->t0 = as_now_ns();
	atomic_store(&r->go, true);	/* no set-up here: the start gate is open */
	pthread_mutex_init(&r->qlock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	return r;
}

static _Atomic uint64_t spins[4];

static void spinner(struct as_worker *w)
{
	while (as_continue(w))
		atomic_fetch_add(&spins[w->id], 1);
}

static bool all_moved(const uint64_t *before, int n)
{
	for (int i = 0; i < n; i++)
		if (atomic_load(&spins[i]) == before[i])
			return false;
	return true;
}

static void quiesce(void)
{
	struct as_run *r = fake_run(4);
	uint64_t a[3], b[3];
	int i, n = 3;

	for (i = 0; i < n; i++)
		if (!ASSERT_EQ(as_spawn(r, false, spinner), 0, "spawn"))
			return;
	ASSERT_EQ(as_quiesce_begin(r), 0, "every worker parks");
	ASSERT_EQ(r->parked, n, "parked count");
	for (i = 0; i < n; i++)
		a[i] = atomic_load(&spins[i]);
	/* parked means parked: no worker moves while the sweep would run */
	for (volatile int k = 0; k < 20000000; k++)
		;
	for (i = 0; i < n; i++)
		b[i] = atomic_load(&spins[i]);
	ASSERT_TRUE(!memcmp(a, b, sizeof(a)), "no worker moved while parked");
	as_quiesce_end(r);
	/* released: each one moves again (bounded wait on the event itself) */
	for (uint64_t end = as_now_ns() + 5000000000ULL; !all_moved(b, n) && as_now_ns() < end;)
		sched_yield();
	ASSERT_TRUE(all_moved(b, n), "every worker resumes after the sweep");
	ASSERT_EQ(as_quiesce_begin(r), 0, "a second quiesce parks them again");
	as_quiesce_end(r);
	atomic_store(&r->stop, true);
	for (i = 0; i < n; i++)
		ASSERT_EQ(pthread_join(r->w[i]->thread, NULL), 0, "workers leave on stop");
}

static int gate[2];

static void blocked(struct as_worker *w)
{
	char c;

	/* stuck in user space (an interruptible wait): never reaches as_continue */
	if (read(gate[0], &c, 1) < 0)
		return;
	while (as_continue(w))
		;
}

static void stuck(void)
{
	struct as_run *r = fake_run(4);
	uint64_t t = as_now_ns();

	if (!ASSERT_EQ(pipe(gate), 0, "pipe") || !ASSERT_EQ(as_spawn(r, false, blocked), 0, "spawn"))
		return;
	ASSERT_EQ(as_quiesce_begin(r), -ETIMEDOUT, "a worker that never parks times the quiesce out");
	ASSERT_TRUE(as_now_ns() - t >= (AS_HANG_SECS - 1) * 1000000000ULL, "after the hang timeout");
	as_report_hang(r);
	ASSERT_EQ(rep.by_kind[V_STUCK], 1, "reported as the tool's own (tool-stuck)");
	ASSERT_EQ(rep.by_kind[V_HANG], 0, "not as a kernel hang: it is not in D state");
	ASSERT_STR_HAS(rep.v[0].classify, "no worker is in uninterruptible sleep", "and says why");
	atomic_store(&r->stop, true);
	as_quiesce_end(r);
	ASSERT_EQ(write(gate[1], "x", 1), 1, "release");
	ASSERT_EQ(pthread_join(r->w[0]->thread, NULL), 0, "it leaves once released");
}

static void seqlock(void)
{
	struct as_run *r = fake_run(4);
	struct as_worker w = {.run = r, .id = 0};
	volatile uint64_t *word = as_uword(r, 1, AS_OFF_TOKEN);
	uint64_t tok = AS_TOKEN(5, 1);

	r->pages[1].token = tok;
	atomic_store(&r->pages[1].state, 1);	/* owned by worker 0 */
	*word = tok;
	ASSERT_EQ(as_check_contents(&w, 1, "unit"), 0, "intact contents pass");
	ASSERT_EQ(rep.nviol, 0, "nothing reported");
	*word = tok ^ 1;
	atomic_store(&r->pages[1].state, 1 | PS_BUSY);
	ASSERT_EQ(as_check_contents(&w, 1, "unit"), 0, "a page changing hands is not judged");
	atomic_store(&r->pages[1].state, PS_FREE);
	ASSERT_EQ(as_check_contents(&w, 1, "unit"), 0, "a free page is not judged");
	ASSERT_EQ(rep.nviol, 0, "still nothing reported");
	atomic_store(&r->pages[1].state, 1);
	*word = tok ^ 1;
	atomic_store(&r->mapgen, 1);	/* another worker is inside as_remap() */
	ASSERT_EQ(as_check_contents(&w, 1, "unit"), 0, "a read while the arena is being unmapped is not judged");
	ASSERT_EQ(rep.nviol, 0, "nor reported");
	atomic_store(&r->mapgen, 2);	/* mapped again */
	ASSERT_EQ(as_check_contents(&w, 1, "unit"), 1, "a stable allocation that reads another token is judged");
	ASSERT_EQ(rep.by_kind[V_COHERENCE], 1, "as a coherence violation");
	ASSERT_TRUE(!rep.v[0].confirmed, "an anonymous page is no stale PTE: not confirmed");

	/* as_read_was_stale: only a read that began on a free page and returned
	 * the token of the allocation freed there, with the page still free */
	atomic_store(&r->pages[1].state, PS_FREE);
	ASSERT_TRUE(as_read_was_stale(r, 1, PS_FREE, tok), "freed token from a free page");
	ASSERT_TRUE(!as_read_was_stale(r, 1, 1, tok), "read began on an allocated page");
	ASSERT_TRUE(!as_read_was_stale(r, 1, PS_FREE, 0), "zero (a fresh page) is not stale");
	ASSERT_TRUE(!as_read_was_stale(r, 1, PS_FREE, tok ^ 1), "another token is not this one");
	atomic_store(&r->pages[1].state, 1);
	ASSERT_TRUE(!as_read_was_stale(r, 1, PS_FREE, tok), "re-allocated meanwhile");
}

/* The sweep's watch list: a page is listed once however often it is
 * touched or allocated, into the list appends go to; a sweep keeps a page
 * listed (as_watch_keep) without its flag changing; a full list says so. */
static void watch(void)
{
	struct as_run *r = fake_run(8);
	struct as_watch *wl = calloc(1, sizeof(*wl) + 2 * 8 * sizeof(wl->idx[0]));

	wl->cap = 8;
	r->watch = wl;
	as_touch(r, 3, 1);
	as_touch(r, 3, 1);
	as_watch_page(r, 3);
	as_touch(r, 5, 2);
	ASSERT_EQ(wl->n[0], 3, "pages 3, 5, 6 listed once each");
	ASSERT_TRUE(wl->idx[0] == 3 && wl->idx[1] == 5 && wl->idx[2] == 6, "in the order they came");
	ASSERT_TRUE(atomic_load(&r->pages[3].watched) && !atomic_load(&r->pages[4].watched), "flags");
	atomic_store(&wl->cur, 1);	/* a sweep took list 0 */
	as_watch_keep(r, 3);
	as_watch_page(r, 4);
	ASSERT_EQ(wl->n[1], 2, "the kept page and a new one go to the other list");
	ASSERT_TRUE(wl->idx[8] == 3 && wl->idx[9] == 4, "list 1 holds them");
	atomic_store(&r->pages[3].watched, 0);	/* a sweep dropped it */
	as_touch(r, 3, 1);
	ASSERT_EQ(wl->n[1], 3, "a dropped page touched again is listed again");
	for (uint32_t p = 0; p < 8; p++)
		as_watch_keep(r, p);
	ASSERT_TRUE(wl->overflow, "more than the list holds: overflow, for the next sweep to walk the table");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	as_install_signal_guard();
	quiesce();
	seqlock();
	stuck();
	watch();
	T_DONE();
}
