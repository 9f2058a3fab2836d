// SPDX-License-Identifier: GPL-2.0
/*
 * --repro DIR: turn a violation into a minimal reproducer a kernel maintainer
 * can build and run without arena-stress.  The templates are the files in
 * repro/ (built and tested as they are), embedded at build time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
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

static int put(const char *dir, const char *name, const char *text, char *err, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int as_repro_write(const char *dir, const struct as_report *rep, const struct as_violation *v,
		   const char *kernel, char *err, size_t len)
{
	const struct tmpl *t = pick(rep, v);
	char readme[8192];

	if (!t) {
		snprintf(err, len, "no minimal reproducer for a %s violation yet; the tool reproduces it: "
			 "arena-stress --scenario %s --seed %" PRIu64, as_vkind_name[v->kind], rep->scenario, rep->seed);
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
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
	if (put(dir, "repro.bpf.c", t->bpf, err, len) || put(dir, "repro.c", t->src, err, len) ||
	    put(dir, "Makefile", as_tmpl_Makefile, err, len) || put(dir, "README.md", readme, err, len))
		return -1;
	return 0;
}
