// SPDX-License-Identifier: GPL-2.0
/* The oracles' decision logic, pagemap access and the kernel-log watch. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include "oracle.h"

const char *const as_vkind_name[V__NR] = {
	[V_NONE] = "none",
	[V_COHERENCE] = "coherence",
	[V_STALE_FREE] = "stale-free-mapping",
	[V_TOKEN] = "bpf-token",
	[V_UNREACHABLE] = "unreachable-page",
	[V_DIRTY_ALLOC] = "dirty-alloc",
	[V_KERNEL] = "kernel-splat",
	[V_SIGNAL] = "unexpected-signal",
	[V_CONTRACT] = "contract",
	[V_LEAK] = "leak",
	[V_HANG] = "hang",
	[V_PIN] = "pin-crossing",
	[V_STUCK] = "tool-stuck",
	[V_ACCOUNTING] = "accounting",
};

uint64_t as_nonce(uint64_t seed, uint64_t sweep, uint32_t pgoff, int dir)
{
	/* splitmix64 of the inputs; never 0, never a token (top byte 0xA5). */
	uint64_t z = seed ^ (sweep * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)pgoff << 1) ^ (uint64_t)dir;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	z &= ~(0xffULL << 56);
	return z | (0x5aULL << 56);
}

enum as_vkind as_judge_page(const struct as_view *v, char *why, size_t len)
{
	if (v->allocated) {
		if (v->uwrite_sig || v->uread_sig) {
			snprintf(why, len, "allocated page: user %s took signal %d",
				 v->uwrite_sig ? "write" : "read",
				 v->uwrite_sig ? v->uwrite_sig : v->uread_sig);
			return V_UNREACHABLE;
		}
		if (v->bpf_token != v->exp_token) {
			snprintf(why, len, "BPF reads token %#" PRIx64 ", it wrote %#" PRIx64,
				 v->bpf_token, v->exp_token);
			return V_TOKEN;
		}
		if (v->bpf_unonce != v->unonce || v->user_bnonce != v->bnonce) {
			snprintf(why, len,
				 "user wrote %#" PRIx64 ", BPF read %#" PRIx64 "; BPF wrote %#" PRIx64
				 ", user read %#" PRIx64,
				 v->unonce, v->bpf_unonce, v->bnonce, v->user_bnonce);
			return V_COHERENCE;
		}
		return V_NONE;
	}
	/* A free page: nothing in user space may still map it. */
	if (v->probed && v->segv_on_fault && v->probe_sig == 0) {
		snprintf(why, len, "free page readable from user space (read %#" PRIx64
			 "), BPF reads %#" PRIx64 "; PTE %s pfn %#" PRIx64,
			 v->probe_val, v->bpf_token, v->pte_present ? "present" : "absent", v->pfn);
		return V_STALE_FREE;
	}
	if (v->pte_present) {
		snprintf(why, len, "free page still has a user PTE (pfn %#" PRIx64 ")", v->pfn);
		return V_STALE_FREE;
	}
	return V_NONE;
}

enum as_vkind as_judge_kop(const struct as_kview *k, const char *path, char *why, size_t len)
{
	/* the kernel took the page of the allocation that is still there */
	bool same = k->stable && k->allocated && k->ref_known && k->ref_alloc && k->t_ref == k->t_now;
	/* the address was re-allocated after the kernel took its page */
	bool moved = k->stable && k->allocated && k->ref_known && k->t_ref != k->t_now;

	if (!k->stable)
		return V_NONE;
	if (k->err) {
		/* only "bad address" says the kernel could not reach the page */
		if (k->err == -EFAULT && (same || (k->kind == AS_KOP_RESOLVE && k->allocated))) {
			snprintf(why, len, "%s failed with EFAULT on a page BPF allocated (token %#" PRIx64
				 ") and kept throughout", path, k->t_now);
			return V_UNREACHABLE;
		}
		return V_NONE;
	}
	switch (k->kind) {
	case AS_KOP_RESOLVE:
		if (!k->allocated && k->segv_on_fault) {
			snprintf(why, len, "%s succeeded on an address the arena had freed (and kept free): "
				 "the kernel reached a page through a stale user PTE", path);
			return V_STALE_FREE;
		}
		return V_NONE;
	case AS_KOP_READ:
		if (same && k->val != k->t_now) {
			snprintf(why, len, "%s read %#" PRIx64 " at offset 0 of a page BPF allocated with token %#"
				 PRIx64 " and still owns", path, k->val, k->t_now);
			return V_COHERENCE;
		}
		if (moved && k->val == k->t_now) {
			snprintf(why, len, "%s read the new allocation's token %#" PRIx64 " through a page taken "
				 "when the address held %s %#" PRIx64 ": the old page and the new one are the same",
				 path, k->val, k->ref_alloc ? "token" : "a freed page, last token", k->t_ref);
			return V_PIN;
		}
		if (!k->allocated && !k->pinned && k->segv_on_fault && k->val && k->val == k->t_now) {
			snprintf(why, len, "%s read token %#" PRIx64 " of an allocation the arena had freed "
				 "(and kept free)", path, k->val);
			return V_STALE_FREE;
		}
		return V_NONE;
	case AS_KOP_WRITE:
		if (same && k->val != k->mark) {
			snprintf(why, len, "%s wrote %#" PRIx64 " into a page BPF allocated (token %#" PRIx64
				 ") and still owns; BPF reads %#" PRIx64 " there", path, k->mark, k->t_now, k->val);
			return V_COHERENCE;
		}
		if (moved && k->val == k->mark) {
			snprintf(why, len, "%s wrote %#" PRIx64 " through a page taken when the address held %s %#"
				 PRIx64 "; it appears in the new allocation (token %#" PRIx64 ")", path, k->mark,
				 k->ref_alloc ? "token" : "a freed page, last token", k->t_ref, k->t_now);
			return V_PIN;
		}
		return V_NONE;
	}
	return V_NONE;
}

int as_pagemap_read(int fd, uintptr_t vaddr, uint32_t n, uint64_t *out)
{
	size_t want = (size_t)n * 8;
	ssize_t got = pread(fd, out, want, (off_t)(vaddr / 4096) * 8);

	return got == (ssize_t)want ? 0 : -1;
}

/* ---- kernel watch ---- */

static const char *const splat_pat[] = {
	"BUG:", "BUG ", "WARNING:", "Oops", "Bad page", "Bad rss-counter",
	"bad pmd", "list_add corruption", "list_del corruption", "list corruption",
	"hung task", "blocked for more than", "general protection fault",
	"Kernel panic", "refcount_t:", "UBSAN:", "KASAN:",
};

bool as_kmsg_match(const char *line)
{
	/* /dev/kmsg records are "prio,seq,ts,flags;message"; match the message. */
	const char *msg = strchr(line, ';');

	msg = msg ? msg + 1 : line;
	for (size_t i = 0; i < sizeof(splat_pat) / sizeof(splat_pat[0]); i++)
		if (strstr(msg, splat_pat[i]))
			return true;
	return false;
}

long as_read_long(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

int as_kwatch_open(struct as_kwatch *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd >= 0)
		lseek(k->fd, 0, SEEK_END);
	k->warn0 = as_read_long("/sys/kernel/warn_count");
	k->oops0 = as_read_long("/sys/kernel/oops_count");
	k->taint0 = as_read_long("/proc/sys/kernel/tainted");
	return k->fd >= 0 ? 0 : -errno;
}

static void kw_add(struct as_kwatch *k, const char *s)
{
	size_t n = strlen(s);

	k->nlines++;
	if (k->len + n + 2 >= sizeof(k->lines))
		return;
	memcpy(k->lines + k->len, s, n);
	k->len += n;
	k->lines[k->len++] = '\n';
	k->lines[k->len] = 0;
}

int as_kwatch_poll(struct as_kwatch *k)
{
	char rec[2048], msg[300];
	long v;

	while (k->fd >= 0) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records: keep reading */
				continue;
			break;
		}
		rec[n] = 0;
		if (as_kmsg_match(rec)) {
			char *m = strchr(rec, ';');
			char *nl;

			snprintf(msg, sizeof(msg), "kmsg: %.280s", m ? m + 1 : rec);
			if ((nl = strchr(msg, '\n')))
				*nl = 0;
			kw_add(k, msg);
		}
	}
	v = as_read_long("/sys/kernel/warn_count");
	if (v > k->warn0) {
		snprintf(msg, sizeof(msg), "warn_count %ld -> %ld", k->warn0, v);
		kw_add(k, msg);
		k->warn0 = v;
	}
	v = as_read_long("/sys/kernel/oops_count");
	if (v > k->oops0) {
		snprintf(msg, sizeof(msg), "oops_count %ld -> %ld", k->oops0, v);
		kw_add(k, msg);
		k->oops0 = v;
	}
	v = as_read_long("/proc/sys/kernel/tainted");
	if (v != k->taint0 && v >= 0) {
		snprintf(msg, sizeof(msg), "taint %ld -> %ld", k->taint0, v);
		kw_add(k, msg);
		k->taint0 = v;
	}
	return k->nlines;
}

void as_kwatch_close(struct as_kwatch *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

static int memcg_try(char *path, size_t len, const char *fmt, const char *rel, const char *file)
{
	char dir[400];

	snprintf(dir, sizeof(dir), fmt, strcmp(rel, "/") ? rel : "");
	snprintf(path, len, "%s/%s", dir, file);
	return access(path, R_OK) == 0;
}

/* The directory of this process's memory cgroup, and its usage file name. */
static int memcg_find(char *dir, size_t len, const char **file)
{
	char line[512], path[512];
	int found = 0;
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (!found && f && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *rel;

		if (nl)
			*nl = 0;
		rel = strrchr(line, ':');	/* "ID:controllers:/path" */
		if (!rel++)
			continue;
		if (strstr(line, ":memory:")) {		/* v1 */
			*file = "memory.usage_in_bytes";
			found = memcg_try(path, sizeof(path), "/sys/fs/cgroup/memory%s", rel, *file);
		} else if (!strncmp(line, "0::", 3)) {	/* v2, or v2 beside v1 */
			*file = "memory.current";
			found = memcg_try(path, sizeof(path), "/sys/fs/cgroup%s", rel, *file) ||
				memcg_try(path, sizeof(path), "/sys/fs/cgroup/unified%s", rel, *file);
		}
	}
	if (f)
		fclose(f);
	if (found)
		snprintf(dir, len, "%.*s", (int)(strrchr(path, '/') - path), path);
	return found;
}

/* Where this process can make its own memory cgroup: its memcg (memcg_find),
 * or, on cgroup2, its cgroup when that has none of its own but gives the
 * memory controller to its children (the root cgroup: the VM runner's /init
 * runs the tool there).  1 and dir, or 0. */
static int memcg_home(char *dir, size_t len)
{
	char line[400], ctl[256] = "", path[512];
	const char *file;
	int found = 0;
	FILE *f, *c;

	if (memcg_find(dir, len, &file))
		return 1;
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "0::", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.subtree_control",
			 strcmp(line + 3, "/") ? line + 3 : "");
		if ((c = fopen(path, "r"))) {
			found = fgets(ctl, sizeof(ctl), c) && strstr(ctl, "memory");
			fclose(c);
		}
		break;
	}
	if (f)
		fclose(f);
	if (found)
		snprintf(dir, len, "%.*s", (int)(strrchr(path, '/') - path), path);
	return found;
}

/* A counter of memory.stat in the memory cgroup as_memcg_usage() reads
 * (cgroup v2: "slab" is every slab object charged to it); -1 without one. */
long long as_memcg_stat(const char *key)
{
	struct as_memstat m[96];
	int n = as_memcg_stat_all(m, 96);

	for (int i = 0; i < n; i++)
		if (!strcmp(m[i].key, key))
			return m[i].val;
	return -1;
}

int as_memcg_stat_all(struct as_memstat *m, int max)
{
	char dir[512], path[600], line[256];
	const char *file;
	int n = 0;
	FILE *f;

	if (!memcg_find(dir, sizeof(dir), &file))
		return 0;
	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	while (f && n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %lld", m[n].key, &m[n].val) == 2)
			n++;
	if (f)
		fclose(f);
	return n;
}

long long as_memcg_usage(void)
{
	char dir[512], path[600], buf[64];
	const char *file;
	long long v = -1;
	FILE *f;

	if (!memcg_find(dir, sizeof(dir), &file))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

long long as_mem_used(void)
{
	long long cg = as_memcg_usage(), total = -1, free_ = -1, pt = 0, v;
	char line[128];
	FILE *f;

	if (cg >= 0)
		return cg;
	if (!(f = fopen("/proc/meminfo", "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %lld kB", &v) == 1)
			total = v;
		else if (sscanf(line, "MemFree: %lld kB", &v) == 1)
			free_ = v;
		else if (sscanf(line, "PageTables: %lld kB", &v) == 1)
			pt = v;
	}
	fclose(f);
	/* page tables apart: 7.x populates those of each arena's 4 GiB kernel
	 * range at creation, and vmalloc keeps them for the range's next user */
	return total < 0 || free_ < 0 ? -1 : (total - free_ - pt) * 1024;
}

long long as_map_memlock(int map_fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", map_fd);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* The process is gone, or a zombie (it has left its cgroup already). */
static bool run_gone(long pid)
{
	char path[64], line[256], *p;
	bool zombie = false;
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r"))) {
		zombie = fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) && p[2] == 'Z';
		fclose(f);
	}
	return zombie;
}

int as_memcg_sweep_stale(void)
{
	char dir[512], sub[1024];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (!memcg_home(dir, sizeof(dir)) || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "arena-stress-", 13) && e->d_type == DT_DIR) {
			long pid = strtol(e->d_name + 13, NULL, 10);

			/* only a dead run's: a live one may have made its cgroup
			 * and not moved in yet (empty, so rmdir would succeed) */
			if (pid <= 0 || !run_gone(pid))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
			/* EBUSY: the dead run's last task is still leaving it */
			for (int i = 0; i < 20; i++) {
				if (!rmdir(sub)) {
					n++;
					break;
				}
				if (errno != EBUSY)
					break;
				usleep(10000);
			}
		}
	closedir(d);
	return n;
}

int as_memcg_isolate(char *made, size_t len)
{
	char dir[512], sub[600], procs[700];
	FILE *f;
	int ok;

	made[0] = 0;
	if (!memcg_home(dir, sizeof(dir)))
		return -1;
	snprintf(sub, sizeof(sub), "%s/arena-stress-%d", dir, getpid());
	if (mkdir(sub, 0755) && errno != EEXIST)
		return -1;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", sub);
	f = fopen(procs, "w");
	ok = f && fprintf(f, "%d\n", getpid()) > 0;
	if (f && fclose(f))
		ok = 0;
	if (!ok) {
		rmdir(sub);
		return -1;
	}
	snprintf(made, len, "%s", sub);
	return 0;
}

/* file in a cgroup directory: its first number (-1), or write val (0 / -errno) */
long long as_cg_get(const char *dir, const char *file)
{
	char path[700], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

int as_cg_put(const char *dir, const char *file, const char *val)
{
	char path[700];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = -errno;
	close(fd);
	return err;
}

int as_memcg_sibling(const char *own, char *made, size_t len)
{
	char pid[32];

	made[0] = 0;
	if (!own[0])
		return -ENOENT;
	snprintf(made, len, "%s-arena", own);	/* arena-stress-PID-arena: as_memcg_sweep_stale's too */
	if (mkdir(made, 0755) && errno != EEXIST) {
		made[0] = 0;
		return -errno;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	return as_cg_put(made, "cgroup.procs", pid);
}
