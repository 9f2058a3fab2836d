// SPDX-License-Identifier: GPL-2.0
/*
 * Arena ops from the calling contexts real users have (bpf/ctxop.bpf.c): a
 * bpf_timer callback (hrtimer softirq), a bpf_spin_lock region (interrupts
 * off), a sleepable task_vma iterator (mmap_lock held), tc ingress on a
 * loopback (NET_RX softirq) and a perf_event overflow (hardirq or NMI).
 * Shared by the timer, irqoff, iter-vma, tc and perf scenarios, and by
 * scratch's allocations over scratched pages from a non-sleepable context.
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
 *     the pages were touched, so the sweeps judge them too (they alone on an
 *     arena without BPF_F_SEGV_ON_FAULT, where the read would map a page).
 * A deferred free is done once BPF no longer reads its token (the worker has
 * cleared the kernel PTEs) and every arena_free_worker() run started by then
 * has finished (its fentry/fexit), as the engine decides for its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ctxop.h"
#include "ctxop_req.h"
#include "ctxop.skel.h"

#define WAIT_MS 2000	/* an op, or a deferred free, not done by then */
#define GEN_ID 0xfeULL	/* the generation's worker field: no engine worker has it */
#define NET_PORT 7357	/* the requests' UDP port, in the scenario's own network namespace */
#define PERF_SW_PERIOD_NS 1000000	/* software cpu-clock: an overflow every 1 ms per CPU */
#define PERF_HW_PERIOD 1000000		/* PMU cycles between overflows */
#define MAX_CPUS 64

bool as_ctx_inject_stale, as_ctx_sleepable;

static struct ctxop_bpf *skel;	/* loaded by setup, destroyed by the worker */
static struct bpf_link *iter_link;	/* AS_CTX_ITER: the iterator, for this process's tasks */
static struct bpf_link *tc_link;	/* AS_CTX_NET: tcx ingress of the netns's loopback */
static int net_sock = -1;		/* AS_CTX_NET: the lead's UDP socket in that netns */
static struct bpf_link *perf_links[MAX_CPUS];	/* AS_CTX_PERF: one event per CPU */
static char perf_what[160];		/* AS_CTX_PERF: which event, and why not a PMU's */
static enum as_ctx_kind kind;
static bool deferred;		/* 7.x: frees from the context are deferred */
static bool inject_stale;	/* this run's first free is not made (as_ctx_inject_stale) */
static uint64_t gen_seq;	/* the lead's allocation generations */
static const char *stop_why;	/* why the lead stopped the run */
static uint32_t pc_hardirq = AS_PC_HARDIRQ_MASK, pc_nmi = AS_PC_NMI_MASK;	/* this kernel's preempt_count layout */

static const char *const where[] = {
	[AS_CTX_TIMER] = "a bpf_timer callback",
	[AS_CTX_LOCKED] = "a bpf_spin_lock region",
	[AS_CTX_ITER] = "an iter.s/task_vma program",
	[AS_CTX_NET] = "a tc ingress program",
	[AS_CTX_PERF] = "a perf_event program",
	[AS_CTX_SWITCH] = "a sched_switch tracing program",
};

const char *as_ctx_where(enum as_ctx_kind k)
{
	return where[k];
}

/* where the ops ran, for the note */
static struct {
	uint64_t ops, softirq, hardirq, nmi, task, pc_unknown, allocs, null, frees, max_wait_us;
	uint64_t cpus;
} st;

static struct bpf_program *kind_prog(struct ctxop_bpf *s, enum as_ctx_kind k)
{
	switch (k) {
	case AS_CTX_TIMER: return s->progs.as_ctx_timer;
	case AS_CTX_LOCKED: return s->progs.as_ctx_locked;
	case AS_CTX_ITER: return s->progs.as_ctx_iter;
	case AS_CTX_NET: return s->progs.as_ctx_tc;
	case AS_CTX_PERF: return s->progs.as_ctx_perf;
	case AS_CTX_SWITCH: return s->progs.as_ctx_switch;
	}
	return NULL;
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
	bpf_program__set_autoload(s->progs.as_ctx_tc, k == AS_CTX_NET);
	bpf_program__set_autoload(s->progs.as_ctx_perf, k == AS_CTX_PERF);
	bpf_program__set_autoload(s->progs.as_ctx_switch, k == AS_CTX_SWITCH);
	s->rodata->net_port = htons(NET_PORT);
	bpf_program__set_autoload(s->progs.as_ctx_fw_in, fw);
	bpf_program__set_autoload(s->progs.as_ctx_fw_out, fw);
	if (log) {
		log[0] = 0;
		bpf_program__set_log_buf(kind_prog(s, k), log, loglen);
		bpf_program__set_log_level(kind_prog(s, k), 1);
	}
	err = 0;
	if (map_fd >= 0) {
		struct bpf_map_info info = {0};
		__u32 ilen = sizeof(info);

		s->rodata->as_ubase = ubase;
		/* its arena's free worker only: other arenas' run beside it */
		if (!bpf_map_get_info_by_fd(map_fd, &info, &ilen))
			s->rodata->fw_arena_id = info.id;
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

static int perf_open(int cpu, bool hw)
{
	struct perf_event_attr a = {.size = sizeof(a), .disabled = 0};

	if (hw) {	/* a PMU's overflow is an NMI on x86 */
		a.type = PERF_TYPE_HARDWARE;
		a.config = PERF_COUNT_HW_CPU_CYCLES;
		a.sample_period = PERF_HW_PERIOD;
	} else {	/* the overflow runs in the event's hrtimer interrupt */
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_CPU_CLOCK;
		a.sample_period = PERF_SW_PERIOD_NS;
	}
	return (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The calling thread in a network namespace of its own with its loopback
 * up, a UDP socket in it (*sock), and prog on the loopback's tcx ingress
 * (*link).  0, or -1 with why. */
static int net_enter(struct bpf_program *prog, int *sock, struct bpf_link **link, char *why, size_t len)
{
	struct ifreq ifr = {0};
	int ifindex;

	*sock = -1;
	*link = NULL;
	if (unshare(CLONE_NEWNET)) {
		snprintf(why, len, "no network namespace of its own (unshare(CLONE_NEWNET): %s%s)", strerror(errno),
			 errno == EINVAL ? "; a kernel without CONFIG_NET_NS" : "");
		return -1;
	}
	*sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*sock < 0) {
		snprintf(why, len, "no UDP socket in its network namespace (%s%s)", strerror(errno),
			 errno == EAFNOSUPPORT ? "; a kernel without CONFIG_INET" : "");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(*sock, SIOCGIFFLAGS, &ifr) || (ifr.ifr_flags |= IFF_UP, ioctl(*sock, SIOCSIFFLAGS, &ifr)) ||
	    !(ifindex = (int)if_nametoindex("lo"))) {
		snprintf(why, len, "the loopback of its network namespace could not be brought up (%s)", strerror(errno));
		return -1;
	}
	*link = bpf_program__attach_tcx(prog, ifindex, NULL);
	if (!*link) {
		snprintf(why, len, "attaching the tc program to the loopback's tcx ingress failed (%s%s)",
			 strerror(errno), errno == EOPNOTSUPP || errno == EINVAL ? "; a kernel without CONFIG_NET_XGRESS?" : "");
		return -1;
	}
	return 0;
}

/* What the context needs besides the verifier: 0, or -1 with why.  s: the
 * probe's object, k's program loaded. */
static int probe_more(enum as_ctx_kind k, struct ctxop_bpf *s, char *why, size_t len)
{
	if (k == AS_CTX_NET) {	/* in this thread's netns and back */
		int ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), sock, err;
		struct bpf_link *l;

		if (ns < 0) {
			snprintf(why, len, "no network namespaces (/proc/thread-self/ns/net: %s; a kernel without CONFIG_NET_NS)",
				 strerror(errno));
			return -1;
		}
		err = net_enter(s->progs.as_ctx_tc, &sock, &l, why, len);
		bpf_link__destroy(l);
		if (sock >= 0)
			close(sock);
		if (setns(ns, CLONE_NEWNET) && !err) {
			snprintf(why, len, "could not return to the original network namespace (%s)", strerror(errno));
			err = -1;
		}
		close(ns);
		return err;
	}
	if (k == AS_CTX_PERF) {
		int fd = perf_open(0, false);

		if (fd < 0) {
			snprintf(why, len, "no software cpu-clock perf event on CPU 0 (perf_event_open: %s)", strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
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
	err = probe_more(k, s, why, len);
	ctxop_bpf__destroy(s);
	if (err)
		return -1;
	if (k == AS_CTX_ITER)
		return 0;	/* sleepable kfuncs, synchronous frees */
	if (!ns && !as_ctx_sleepable) {
		/* 6.12: in_sleepable() is env->prog->sleepable || the state's, so a
		 * sleepable program's async callback passes for sleepable */
		snprintf(why, len, "this kernel's arena kfuncs are sleepable only (no bpf_arena_free_pages_non_sleepable "
			 "in BTF), yet its verifier accepted them in %s%s: they would run "
			 "sleepable code (arena->lock, GFP_KERNEL, the zap) there%s", where[k],
			 k == AS_CTX_TIMER ? " of a sleepable program" : "",
			 k == AS_CTX_TIMER ? "; --timer-sleepable runs them (may crash the kernel: VM only)" : "");
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

static void perf_detach(void)
{
	for (int c = 0; c < MAX_CPUS; c++) {
		bpf_link__destroy(perf_links[c]);	/* closes the event */
		perf_links[c] = NULL;
	}
}

/* The perf program on an event per online CPU: a PMU's cycles where the
 * machine has one (its overflow is an NMI), else the software cpu-clock
 * (its overflow runs in the event's hrtimer interrupt). */
static int perf_attach(struct as_run *r)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = perf_open(0, true), hw_err = fd < 0 ? errno : 0, on = 0;
	bool hw = fd >= 0;

	if (fd >= 0)
		close(fd);
	if (hw)
		snprintf(perf_what, sizeof(perf_what), "PMU cycles/%d", PERF_HW_PERIOD);
	else
		snprintf(perf_what, sizeof(perf_what), "cpu-clock/%dus (no PMU: %s)", PERF_SW_PERIOD_NS / 1000,
			 strerror(hw_err));
	for (int c = 0; c < n && c < MAX_CPUS; c++) {
		fd = perf_open(c, hw);
		if (fd < 0)
			continue;	/* offline */
		perf_links[c] = bpf_program__attach_perf_event(skel->progs.as_ctx_perf, fd);
		if (!perf_links[c]) {
			int err = -errno;

			close(fd);
			as_note(r, "%s: attaching to the %s event of CPU %d failed (%s)", where[AS_CTX_PERF],
				hw ? "cycles" : "cpu-clock", c, strerror(-err));
			return err;
		}
		on++;
	}
	return on ? 0 : -ENODEV;
}

int as_ctx_setup(struct as_run *r, enum as_ctx_kind k)
{
	const struct as_arena *a = as_arena(r);
	struct btf *btf = btf__load_vmlinux_btf();
	bool rc;
	int err;

	deferred = k != AS_CTX_ITER && btf &&
		   btf__find_by_name_kind(btf, "bpf_arena_free_pages_non_sleepable", BTF_KIND_FUNC) >= 0;
	rc = btf && btf__find_by_name_kind(btf, "local_interrupt_disable_state", BTF_KIND_VAR) >= 0;
	pc_hardirq = rc ? AS_PC_RC_HARDIRQ_MASK : AS_PC_HARDIRQ_MASK;
	pc_nmi = rc ? AS_PC_RC_NMI_MASK : AS_PC_NMI_MASK;
	btf__free(btf);
	kind = k;
	memset(&st, 0, sizeof(st));
	inject_stale = as_ctx_inject_stale;
	gen_seq = 0;
	stop_why = NULL;
	err = open_load(k, deferred, a->map_fd, (uint64_t)(uintptr_t)a->base, NULL, 0, &skel);
	if (!err)
		err = ctxop_bpf__attach(skel);
	if (!err && k == AS_CTX_ITER) {	/* the scenario process's tasks only */
		union bpf_iter_link_info li = {.task.pid = (uint32_t)a->pid};
		LIBBPF_OPTS(bpf_iter_attach_opts, io, .link_info = &li, .link_info_len = sizeof(li));

		iter_link = bpf_program__attach_iter(skel->progs.as_ctx_iter, &io);
		err = iter_link ? 0 : -errno;
	}
	if (!err && k == AS_CTX_PERF)
		err = perf_attach(r);
	if (err && skel) {
		perf_detach();
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

/* Send the datagram whose tc ingress runs request slot. */
static int run_net(uint32_t slot)
{
	struct { uint32_t magic, slot; } m = {AS_CTX_NET_MAGIC, slot};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(NET_PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	_Static_assert(sizeof(m) == sizeof(struct as_ctx_net_msg) - 8, "the datagram after the UDP header");
	return sendto(net_sock, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -errno : 0;
}

/* One request through the context: 0 (q holds the result), -ETIMEDOUT, or
 * the error of starting it. */
static int run_op(struct as_ctx_req *q, uint32_t slot)
{
	uint32_t seq = q->seq + 1;
	uint64_t t0 = as_now_ns(), waited;
	int err;

	if (kind == AS_CTX_PERF)
		__atomic_store_n(&skel->bss->perf_slot, slot, __ATOMIC_RELEASE);
	if (kind == AS_CTX_SWITCH)
		__atomic_store_n(&skel->bss->switch_slot, slot, __ATOMIC_RELEASE);
	__atomic_store_n(&q->seq, seq, __ATOMIC_RELEASE);
	switch (kind) {
	case AS_CTX_ITER:
		err = run_iter(slot);
		break;
	case AS_CTX_NET:
		err = run_net(slot);
		break;
	case AS_CTX_PERF:
	case AS_CTX_SWITCH:
		err = 0;	/* the next overflow, or context switch, on any CPU takes it */
		break;
	default:
		err = run_prog(bpf_program__fd(kind_prog(skel, kind)), slot);
	}
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
	else if (q->pc & pc_nmi)
		st.nmi++;
	else if (q->pc & pc_hardirq)
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
		PRIu64 " in NMI, %" PRIu64 " unknown (no __preempt_count); CPUs %s; slowest op %" PRIu64 " us%s%s",
		stop ? stop : "", stop ? "; " : "", where[kind], st.allocs, st.null, st.frees,
		deferred ? "deferred" : "sleepable (not deferred)", st.ops, st.softirq,
		st.task, st.hardirq, st.nmi, st.pc_unknown, cpus[0] ? cpus : "-", st.max_wait_us,
		kind == AS_CTX_PERF ? "; event: " : "", kind == AS_CTX_PERF ? perf_what : "");
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

int as_ctx_start(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);
	char why[300];

	if (kind != AS_CTX_NET)
		return 0;
	/* this thread only: the netns goes when the lead thread exits */
	if (net_enter(skel->progs.as_ctx_tc, &net_sock, &tc_link, why, sizeof(why))) {
		as_note(r, "%s: %s", where[kind], why);
		stop_why = "the context could not be set up: stopped";
		return -1;
	}
	return 0;
}

int as_ctx_wait_free_worker(void)
{
	uint64_t end = as_now_ns() + WAIT_MS * 1000000ULL, started;

	if (!deferred)
		return -EOPNOTSUPP;
	started = __atomic_load_n(&skel->bss->fw.started, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&skel->bss->fw.finished, __ATOMIC_ACQUIRE) < started) {
		if (as_now_ns() > end)
			return -ETIMEDOUT;
		nap20();
	}
	return 0;
}

int as_ctx_cycle(struct as_worker *w, uint32_t at, uint32_t cnt, uint32_t *gotp)
{
	struct as_run *r = as_run_of(w);
	uint32_t slot = (uint32_t)as_worker_id(w) % AS_CTX_SLOTS, got;
	struct as_ctx_req *q = &skel->bss->req[slot];
	uint64_t gen = (GEN_ID << 32) | ++gen_seq, nonce[AS_CTX_MAX_CNT] = {0}, v;
	bool early = false, segv = as_arena_flags(r) & BPF_F_SEGV_ON_FAULT;
	int err;

	if (stop_why)
		return -1;
	q->op = AS_OP_ALLOC;
	q->pgoff = at;
	q->cnt = cnt;
	q->gen = gen;
	q->inject = as_injected(r, AS_INJ_DIRTY_ALLOC) ? AS_INJ_DIRTY_ALLOC : 0;
	q->skip_free = 0;
	err = run_op(q, slot);
	if (err) {
		stop_why = err == -ETIMEDOUT ? "an allocation was not done within 2 s: stopped"
					     : "the context could not be started: stopped";
		return -1;
	}
	if (q->ret) {	/* the nolock allocator may fail: counted, not judged */
		as_count(w, deferred ? C_ALLOC_NS_FAIL : C_ALLOC_FAIL, 1);
		st.null++;
		return 1;
	}
	got = q->pgoff;
	if (gotp)
		*gotp = got;
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
		stop_why = "a peek was not done within 2 s: stopped";
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
	q->skip_free = inject_stale;
	for (;;) {
		if (run_op(q, slot)) {
			stop_why = "a free was not done within 2 s: stopped";
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
				stop_why = "a deferred free was not done within 2 s (kmalloc_nolock() failing leaves the "
					   "pages allocated by design): stopped";
				break;
			}
		}
		/* without BPF_F_SEGV_ON_FAULT (scratch) a user read of a freed page
		 * maps a fresh one: the sweeps judge the touched pages' PTEs then */
		for (uint32_t i = 0; segv && i < cnt; i++) {
			uint64_t tok = AS_TOKEN(gen, got + i);

			if (!as_uread(w, got + i, AS_OFF_TOKEN, &v) && v == tok)
				user_after_free(r, got + i, tok, v, q->skip_free);
		}
		if (!q->skip_free)
			break;
		q->skip_free = inject_stale = false;	/* injected once: now free them for real */
	}
	return stop_why ? -1 : 0;
}

void as_ctx_end(struct as_worker *w)
{
	struct as_run *r = as_run_of(w);

	summary(r, stop_why);
	if (stop_why)
		as_stop(r);
	perf_detach();
	bpf_link__destroy(tc_link);
	tc_link = NULL;
	if (net_sock >= 0)
		close(net_sock);
	net_sock = -1;
	bpf_link__destroy(iter_link);
	iter_link = NULL;
	ctxop_bpf__destroy(skel);
	skel = NULL;
}

void as_ctx_worker(struct as_worker *w)
{
	if (!as_ctx_start(w))
		while (as_continue(w)) {
			uint32_t cnt = 1 + as_rand_below(w, AS_CTX_MAX_CNT);

			if (as_ctx_cycle(w, pick_at(w, cnt), cnt, NULL) < 0)
				break;
		}
	as_ctx_end(w);
}
