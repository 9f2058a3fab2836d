// SPDX-License-Identifier: GPL-2.0
/*
 * gup: the kernel pins arena pages for short-lived I/O (FOLL_PIN GUP) while
 * BPF frees and re-allocates them.
 *
 *  - process_vm_readv / process_vm_writev from a second process: a forked
 *    child (one at a time, each living 5-50 ms) reads the token word of the
 *    parent's arena pages and writes markers into them, through
 *    pin_user_pages_remote() on the parent's mm;
 *  - O_DIRECT: one worker reads a 512-byte block from a file into the
 *    arena (the kernel writes the page through a pin) and writes the first
 *    512 bytes of an arena page to the file (the kernel reads it).  The file
 *    is created in $AS_DIO_DIR, the current directory, /var/tmp or /tmp (the
 *    first whose filesystem takes 512-byte-aligned O_DIRECT; --gup-dio-dir
 *    puts it first) and unlinked at once; without one this part is reported
 *    unavailable.
 *
 * Kernel-path oracle (as_kop_*): with the allocation unchanged around an op,
 * the marker written must be what BPF reads and the word read must be BPF's
 * token; an op on a page that stayed free must fail.  Plus sweeps,
 * zero-on-alloc and the leak oracle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include "scenario.h"

static const char *opt_dio_dir;	/* --gup-dio-dir */

/* what a child counted, folded into the spawner's counters after it exits */
struct child_ctr { uint64_t kop, fail; };

static struct {
	int dfd, bfd;		/* the same file, O_DIRECT and buffered */
	_Atomic bool taken;	/* one O_DIRECT worker */
	char why[200];
} dio = {.dfd = -1, .bfd = -1};

/* ---- process_vm_readv / process_vm_writev from a second process ---- */

/* Runs in the child: no stdio, no malloc (forked from a threaded process). */
static void vm_child(struct as_worker *w, void *arg)
{
	struct child_ctr *out = arg;
	struct as_run *r = as_run_of(w);
	const struct as_arena *a = as_arena(r);
	uint64_t end = as_now_ns() + 1000000ULL * (5 + as_rand_below(w, 46));
	uint64_t kop0 = as_counter(w, C_KOP), fail0 = as_counter(w, C_KOP_FAIL);
	static uint64_t reported[AS_MAX_PAGES];	/* token of a page this child reported */

	while (as_now_ns() < end) {
		uint32_t p = as_rand_below(w, 4) ? as_victim(w) : as_hot_pick(w);
		char *page = as_page_addr(a, p);
		struct iovec local, remote;
		struct as_kop k;
		uint64_t v = 0;
		ssize_t n;

		if (p >= a->npages)
			continue;
		/* one report per stale mapping: it stays until the parent's
		 * sweep heals it, and every later read would count it again */
		if (reported[p] && reported[p] == as_page_token(r, p))
			continue;
		if (as_rand_below(w, 2)) {
			as_kop_begin(w, &k, AS_KOP_READ, p, 0, "process_vm_readv from a second process");
			local = (struct iovec){&v, 8};
			remote = (struct iovec){page, 8};
			n = process_vm_readv(a->pid, &local, 1, &remote, 1, 0);
		} else {
			as_kop_begin(w, &k, AS_KOP_WRITE, p, as_kslot(w), "process_vm_writev from a second process");
			local = (struct iovec){&k.mark, 8};
			remote = (struct iovec){page + as_kslot(w), 8};
			n = process_vm_writev(a->pid, &local, 1, &remote, 1, 0);
		}
		if (as_kop_end(w, &k, n == 8 ? 0 : n < 0 ? -errno : -EIO, v) != V_NONE)
			reported[p] = k.tok0;
	}
	out->kop = as_counter(w, C_KOP) - kop0;
	out->fail = as_counter(w, C_KOP_FAIL) - fail0;
}

static void vm_spawner(struct as_worker *w)
{
	struct child_ctr *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct as_child c = {0};

	if (sh == MAP_FAILED)
		return;
	while (as_continue(w)) {
		if (c.pid && as_child_reaped(&c)) {
			as_count(w, C_KOP, sh->kop);
			as_count(w, C_KOP_FAIL, sh->fail);
		}
		if (!c.pid) {
			memset(sh, 0, sizeof(*sh));
			as_rand(w);	/* each child its own choices */
			as_child_start(w, &c, vm_child, sh);
		}
		usleep(500);
	}
	as_child_kill(&c);
	munmap(sh, sizeof(*sh));
}

/* ---- O_DIRECT ---- */

/* A file in a directory whose filesystem takes 512-byte O_DIRECT, unlinked
 * at once.  0, or fills dio.why. */
static int dio_setup(void)
{
	const char *env = getenv("AS_DIO_DIR"), *dirs[] = {opt_dio_dir, env, ".", "/var/tmp", "/tmp"};
	char path[4096], last[160] = "no directory tried";
	void *buf = NULL;

	if (posix_memalign(&buf, 4096, 8192))
		return -1;
	memset(buf, 0, 8192);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/.arena-stress-dio.%d", dirs[i], getpid());
		dio.bfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (dio.bfd < 0) {
			snprintf(last, sizeof(last), "%s: %s", dirs[i], strerror(errno));
			continue;
		}
		dio.dfd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		unlink(path);
		if (dio.dfd >= 0 && pwrite(dio.bfd, buf, 8192, 0) == 8192 && !fsync(dio.bfd) &&
		    pread(dio.dfd, (char *)buf + AS_DIO_OFF, AS_DIO_LEN, 0) == AS_DIO_LEN) {
			free(buf);
			return 0;
		}
		snprintf(last, sizeof(last), "%s: %s", dirs[i], dio.dfd < 0 ? strerror(errno)
			 : errno == EINVAL ? "filesystem needs more than 512-byte O_DIRECT alignment" : strerror(errno));
		if (dio.dfd >= 0)
			close(dio.dfd);
		close(dio.bfd);
		dio.dfd = dio.bfd = -1;
	}
	free(buf);
	snprintf(dio.why, sizeof(dio.why), "O_DIRECT unavailable (%s; give --gup-dio-dir a directory on "
		 "ext4, xfs or btrfs)", last);
	return -1;
}

static void dio_worker(struct as_worker *w)
{
	const struct as_arena *a = as_arena(as_run_of(w));

	while (as_continue(w)) {
		uint32_t p = as_rand_below(w, 4) ? as_victim(w) : as_hot_pick(w);
		char *page = as_page_addr(a, p);
		struct as_kop k;
		uint64_t v = 0;
		ssize_t n;

		if (p >= a->npages)
			continue;
		if (as_rand_below(w, 2)) {
			/* file block 0 (marker first) -> the page's O_DIRECT block */
			as_kop_begin(w, &k, AS_KOP_WRITE, p, AS_DIO_OFF, "O_DIRECT read from a file into the arena");
			if (pwrite(dio.bfd, &k.mark, 8, 0) != 8)
				continue;
			n = pread(dio.dfd, page + AS_DIO_OFF, AS_DIO_LEN, 0);
		} else {
			/* the page's first 512 bytes (token first) -> file block 8 */
			as_kop_begin(w, &k, AS_KOP_READ, p, 0, "O_DIRECT write from the arena into a file");
			n = pwrite(dio.dfd, page, AS_DIO_LEN, 4096);
			if (n == AS_DIO_LEN && pread(dio.bfd, &v, 8, 4096) != 8)
				n = -1;
		}
		as_kop_end(w, &k, n == AS_DIO_LEN ? 0 : n < 0 ? -errno : -EIO, v);
	}
	close(dio.dfd);
	close(dio.bfd);
}

static void gup_user(struct as_worker *w)
{
	if (dio.dfd >= 0 && !atomic_exchange(&dio.taken, true))
		dio_worker(w);
	else
		as_fault_worker(w);
}

static int setup(struct as_run *r)
{
	/* Yama ptrace_scope 1 lets only ancestors use process_vm_*: allow our child */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (dio_setup()) {
		as_note(r, "%s", dio.why);
		printf("gup: %s; process_vm_readv/writev only\n", dio.why);
	}
	return 0;
}

static const struct as_optdef opts[] = {
	AS_SOPT_STR("gup-dio-dir", opt_dio_dir, "DIR", "try DIR first for the O_DIRECT file (also $AS_DIO_DIR)"),
	{0},
};

const struct as_scenario as_sc_gup = {
	.name = "gup", .arena_flags = BPF_F_SEGV_ON_FAULT,
	.summary = "process_vm_readv/writev from a second process and O_DIRECT pin arena pages BPF frees",
	.setup = setup, .lead = vm_spawner, .user = gup_user, .opts = opts,
};
