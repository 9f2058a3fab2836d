// SPDX-License-Identifier: GPL-2.0
/*
 * --repro DIR: turn a violation into a minimal reproducer a kernel maintainer
 * can build and run without arena-stress.  The templates are the files in
 * repro/ (built and tested as they are), embedded at build time.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "repro.h"
#include "repro_tmpl.h"

struct tmpl {
	const char *name;	/* for the README */
	const char *src;	/* repro.c */
	const char *what;	/* what the reproducer does */
	const char *bpf;	/* repro.bpf.c */
	const char *bpf_what;	/* what that does */
};

static const struct tmpl orphan = {
	"fault vs bpf_arena_free_pages(): orphaned user PTE / page freed while locked",
	as_tmpl_orphan_c,
	"One BPF thread frees the arena page it announced and allocates another;\n"
	"three user threads keep faulting the announced page (one on the BPF\n"
	"thread's CPU).  When a user read returns the token of an allocation whose\n"
	"free had returned, everything stops and the evidence is collected: the\n"
	"read goes through a present PTE (pagemap), BPF reads 0 at the address, and\n"
	"after MADV_DONTNEED the access faults.  A \"Bad page state\" the kernel logs\n"
	"meanwhile (a page freed while the fault held its lock) also counts.\n",
	as_tmpl_repro_bpf_c, "allocate, free and read one arena page",
};

static const struct tmpl dofork = {
	"MADV_DOFORK: a forked child keeps a PTE bpf_arena_free_pages() never zaps",
	as_tmpl_dofork_c,
	"BPF allocates a page; the parent clears VM_DONTCOPY with MADV_DOFORK and\n"
	"forks; the child maps the page; BPF frees it; the child reads it again.\n"
	"Deterministic: no race.  It stops short of the use-after-free that a\n"
	"parent munmap would set up (see repro.c).\n",
	as_tmpl_repro_bpf_c, "allocate, free and read one arena page",
};

static const struct tmpl reserve = {
	"a failed user fault on a bpf_arena_reserve_pages() reservation releases the page",
	as_tmpl_reserve_c,
	"BPF reserves pages of an arena without BPF_F_SEGV_ON_FAULT, where user\n"
	"faults may populate reserved pages (the kfunc's contract).  The arena map\n"
	"is charged to a memory cgroup of its own whose memory.max is then set to\n"
	"what it uses, so the fault's lazy allocation fails: the write to a\n"
	"reserved page takes SIGSEGV.  Then BPF allocates at that page, which must\n"
	"be refused; when it succeeds, the evidence is printed.  Deterministic: no\n"
	"race.  Needs root and cgroup v2 with the memory controller.\n",
	as_tmpl_reserve_bpf_c, "reserve, allocate and read arena pages",
};

static const struct tmpl scratch = {
	"x86: an allocation over a scratched arena address keeps the scratch page in the TLB",
	as_tmpl_scratch_c,
	"A do-nothing cid-form sched_ext scheduler (it moves no task) makes the\n"
	"kernel install the arena's scratch page at an unallocated page; user space\n"
	"detaches it again.  Then, in one BPF run, BPF writes a marker through the\n"
	"scratch page, reads it back (into the CPU's TLB), allocates the page and\n"
	"reads it again: a fresh page must read 0.  When BPF reads the marker, the\n"
	"evidence is printed, with what user space reads there.  Needs a 7.3+ kernel\n"
	"with sched_ext (and ORC on x86) and no other scheduler loaded.\n",
	as_tmpl_scratch_bpf_c, "the sched_ext scheduler, and allocate, free and probe one arena page",
};

static const struct tmpl *pick(const struct as_report *rep, const struct as_violation *v)
{
	if (!strcmp(rep->scenario, "scratch"))	/* finding 6's symptoms; the window check has no reproducer yet */
		return v->kind == V_DIRTY_ALLOC || (v->kind == V_TOKEN && strstr(v->saw, "BPF reads token"))
		       ? &scratch : NULL;
	if (!strcmp(rep->scenario, "dofork") && (v->kind == V_STALE_FREE || v->kind == V_CONTRACT))
		return &dofork;
	if (!strcmp(rep->scenario, "reserve") && v->kind == V_CONTRACT && strstr(v->saw, "the lazy allocation failed"))
		return &reserve;
	if (!strcmp(rep->scenario, "reserve") && v->kind == V_CONTRACT)
		return NULL;	/* the other reservation refusals: no reproducer of their own yet */
	switch (v->kind) {
	case V_COHERENCE: case V_STALE_FREE: case V_TOKEN: case V_UNREACHABLE:
	case V_KERNEL: case V_HANG:
		return &orphan;
	default:
		return NULL;
	}
}

/* the files a reproducer is, and the mark of a directory --repro wrote */
static const char *const files[] = {"repro.bpf.c", "repro.c", "Makefile", "README.md"};
#define MARK ".arena-stress-repro"
#define NFILES (sizeof(files) / sizeof(files[0]))

/* A reproducer's file that is in dir but not of an earlier --repro, or NULL. */
static const char *foreign(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" MARK, dir);
	if (!lstat(path, &st))
		return NULL;
	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (!lstat(path, &st))
			return files[i];
	}
	return NULL;
}

/* p as an absolute path, its last part not resolved when it does not exist */
static void canon(const char *p, char *out)
{
	char d[PATH_MAX], b[PATH_MAX], rd[PATH_MAX];

	if (realpath(p, out))
		return;
	snprintf(d, sizeof(d), "%s", p);
	snprintf(b, sizeof(b), "%s", p);
	if (!realpath(dirname(d), rd) || snprintf(out, PATH_MAX, "%s/%s", rd, basename(b)) >= PATH_MAX)
		snprintf(out, PATH_MAX, "%s", p);
}

int as_repro_check(const char *dir, const char *json, char *err, size_t len)
{
	char d[PATH_MAX], cd[PATH_MAX], cj[PATH_MAX];
	const char *f;
	struct stat st;

	if (json) {
		canon(dir, cd);
		canon(json, cj);
		snprintf(d, sizeof(d), "%s", cj);
		if (!strcmp(cd, cj)) {
			snprintf(err, len, "%s: the same path as --json", dir);
			return -1;
		}
		if (!strcmp(dirname(d), cd)) {
			snprintf(d, sizeof(d), "%s", cj);
			if (!strcmp(basename(d), MARK))
				goto inside;
			for (size_t i = 0; i < NFILES; i++)
				if (!strcmp(basename(d), files[i]))
					goto inside;
		}
	}
	if (stat(dir, &st)) {
		if (errno != ENOENT) {
			snprintf(err, len, "%s: %s", dir, strerror(errno));
			return -1;
		}
		/* created only when there is a reproducer to write */
		snprintf(d, sizeof(d), "%s", dir);
		const char *parent = dirname(d);

		if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(err, len, "%s: no such directory %s", dir, parent);
			return -1;
		}
		if (access(parent, W_OK | X_OK)) {
			snprintf(err, len, "%s: cannot create it in %s: %s", dir, parent, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s: not a directory (%s)", dir, S_ISREG(st.st_mode) ? "a regular file"
			 : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a file arena-stress writes");
		return -1;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((f = foreign(dir))) {
		snprintf(err, len, "%s: holds a %s that --repro did not write (it would be replaced): "
			 "give a new or empty directory", dir, f);
		return -1;
	}
	return 0;
inside:
	snprintf(err, len, "%s: --json %s is a file of the reproducer", dir, json);
	return -1;
}

/* dir/name replaced whole by text: a temporary file renamed over it */
static int put(const char *dir, const char *name, const char *text, char *err, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	size_t n = strlen(text);
	FILE *f = NULL;
	int fd;
	mode_t um = umask(0);

	umask(um);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = as_tmp_beside(path, tmp, sizeof(tmp));
	if (fd < 0 || fchmod(fd, 0666 & ~um) || !(f = fdopen(fd, "w")) || fwrite(text, 1, n, f) != n ||
	    fflush(f) || fsync(fd)) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		if (fd >= 0)
			unlink(tmp);
		return -1;
	}
	if (fclose(f) || rename(tmp, path)) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int as_repro_write(const char *dir, const struct as_report *rep, const struct as_violation *v,
		   const char *kernel, char *err, size_t len)
{
	const struct tmpl *t = pick(rep, v);
	const char *text[NFILES + 1], *f;
	bool created = false, had[NFILES + 1];
	char readme[8192], path[PATH_MAX];
	struct stat st;
	size_t i;

	if (!t) {
		snprintf(err, len, "no minimal reproducer for a %s violation yet; the tool reproduces it: "
			 "arena-stress --scenario %s --seed %" PRIu64, as_vkind_name[v->kind], rep->scenario, rep->seed);
		return -1;
	}
	if ((f = foreign(dir))) {	/* checked before the run: unless it came since */
		snprintf(err, len, "%s holds a %s that --repro did not write: not replaced", dir, f);
		return -1;
	}
	if (!mkdir(dir, 0777))
		created = true;
	else if (errno != EEXIST) {
		snprintf(err, len, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(readme, sizeof(readme),
		 "# Reproducer: %s\n\n"
		 "Found by `arena-stress` on Linux %s, scenario `%s`, seed %" PRIu64 ", %.3f ms into the run:\n\n"
		 "```\n%s at page %u, address %#" PRIx64 "\n"
		 "  saw:      %s\n"
		 "  pagemap:  user PTE pfn %#" PRIx64 ", after MADV_DONTNEED + re-fault pfn %#" PRIx64 "\n"
		 "  verdict:  %s%s\n```\n\n"
		 "The same conditions again: `arena-stress --scenario %s --seed %" PRIu64 "`.\n\n"
		 "## Build and run\n\n"
		 "Needs root, clang, bpftool and libbpf >= 1.4 (BPF arena support):\n\n"
		 "```sh\nmake\nsudo ./repro        # exit 1: reproduced (evidence printed), 0: not seen, 2: set-up error\n```\n\n"
		 "## What it does\n\n%s\n"
		 "Files: `repro.bpf.c` (the BPF program: %s),\n"
		 "`repro.c` (the reproducer, with the interleaving in its header comment), `Makefile`.\n",
		 t->name, kernel, rep->scenario, rep->seed, v->t_ns / 1e6, as_vkind_name[v->kind], v->pgoff, v->addr,
		 v->saw, v->pfn_user, v->pfn_after, v->classify, v->confirmed ? " [confirmed]" : "",
		 rep->scenario, rep->seed, t->what, t->bpf_what);
	text[0] = t->bpf, text[1] = t->src, text[2] = as_tmpl_Makefile, text[3] = readme;
	text[NFILES] = "This directory was written by arena-stress --repro: a later --repro may replace its\n"
		       "repro.bpf.c, repro.c, Makefile and README.md.\n";
	for (i = 0; i <= NFILES; i++) {
		const char *name = i < NFILES ? files[i] : MARK;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		had[i] = !lstat(path, &st);
		if (put(dir, name, text[i], err, len))
			break;
	}
	if (i > NFILES)
		return 0;
	/* remove what this run created, and nothing else */
	while (i--) {
		if (!had[i]) {
			snprintf(path, sizeof(path), "%s/%s", dir, i < NFILES ? files[i] : MARK);
			unlink(path);
		}
	}
	if (created)
		rmdir(dir);
	return -1;
}
