/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_REPORT_H
#define AS_REPORT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include "oracle.h"
#include "scenario.h"

#define AS_REP_KEEP 24		/* violations kept in full per scenario: the first 16, */
#define AS_REP_KEEP_ANY 16	/* then only the first of each further kind */

/* One violation, with everything needed to reproduce and judge it. */
struct as_violation {
	enum as_vkind kind;
	uint64_t t_ns;		/* since the scenario started */
	uint32_t pgoff;
	uint64_t addr;		/* user address */
	char saw[320];		/* what each side saw */
	/* evidence */
	uint64_t pfn_user;	/* pagemap PFN of the user PTE when found */
	uint64_t pfn_after;	/* after MADV_DONTNEED + re-fault (0: none) */
	bool confirmed;		/* re-checked independently */
	char classify[480];	/* e.g. orphaned user PTE, installed during the free */
	int cause;		/* set by as_report_add: a row of the known causes, 0 new, -1 the tool's */
};

/*
 * Known causes (findings/causes.tsv, embedded at build time): a row per
 * cause and signature.  A violation has a row's cause when its scenario and
 * kind are the row's ("*": any), the running kernel is in the row's kernels
 * and the row's pattern matches what it saw or its verdict.  A kernel splat
 * is judged on the kernel lines it added, every one of which must match.
 * The first row that matches wins; none: "new".  Matching allocates nothing
 * (it runs in forked children too).
 */
#define AS_CAUSES_MAX 32
struct as_report;
struct as_cause {
	char scenario[32];	/* or "*" */
	char kind[24];		/* as_vkind_name, or "*" */
	char pattern[240];	/* as_re_search() */
	char kernels[120];	/* as_kernel_in() */
	char id[48];		/* "finding 1", "upstream 4fddde2a732d" */
	char title[160];
	char fixed[24];		/* first release with the fix, "-" */
	char stable[96];	/* stable releases that have it, "-" */
	char ref[200];		/* the write-up, or the fix's thread */
	bool here;		/* the running kernel is in kernels */
};
extern const char *const as_causes_tsv;	/* the shipped table */
/* Parse a table for a kernel release: the number of rows, or -1 with err
 * ("line N: why").  Replaces the table in use. */
int as_causes_load(const char *tsv, const char *release, char *err, size_t len);
/* Row i (1-based) of the table in use, or NULL. */
const struct as_cause *as_cause_get(int i);
/* The row a violation of scenario matches (kernel_lines: the splat lines it
 * added, for a kernel-splat), 0 none, -1 a tool-stuck (the tool's own). */
int as_cause_match(const char *scenario, const struct as_violation *v, const char *kernel_lines);
/*
 * Patterns: a subset of POSIX extended regular expressions, unanchored:
 * literals, '\' escapes, '.', bracket classes "[a-z]" and "[^...]", the
 * quantifiers '*', '+' and '?' after one of those, '^' and '$' (the start and
 * end of the text or of a line in it), and '|' between whole alternatives.
 */
bool as_re_search(const char *re, const char *text);
/* Kernel version ranges, comma-separated: "6.16" (every 6.16.x), "6.12.88"
 * (that one), "6.13-6.18.29", "7.3-" (7.3.0 and later).  1 when release
 * ("6.16.12+deb13-cloud-amd64") is in them, 0 when not, -1 when malformed. */
int as_kernel_in(const char *ranges, const char *release);
/* What the run's violations are known as, for the result line: "all known:
 * finding 1, upstream 4fddde2a732d", "2 new; known: finding 1", "3 new", or
 * "" when there are none. */
void as_causes_summary(const struct as_report *reps, int n, char *buf, size_t len);

/* ran; skipped (this kernel or --unsafe); failed (set-up error); not run (an
 * interrupt came first); no work (ran, but not one BPF allocation: no pass);
 * killed (by a second interrupt: what it reported until then is kept) */
enum as_status { AS_RAN, AS_SKIPPED, AS_FAILED, AS_NOTRUN, AS_NOWORK, AS_KILLED };
const char *as_status_name(enum as_status s);

struct as_report {
	char scenario[32];
	uint64_t seed;
	enum as_status status;
	char why[512];		/* skip / failure reason */
	double duration_s;
	uint64_t ctr[C__NR];	/* engine counters */
	int nctr;
	const char *const *ctr_name;
	uint64_t nviol;		/* all violations */
	uint64_t by_kind[V__NR];
	uint64_t by_cause[AS_CAUSES_MAX + 1];	/* [0]: new; tool-stuck ones are not counted */
	size_t kernel_seen;	/* kernel[] judged by the last kernel-splat */
	struct as_violation v[AS_REP_KEEP];
	int nkept;
	int64_t first_ns;	/* time to first detection from the workers' start, -1 none */
	uint64_t setup_ns;	/* set-up before the workers started (load, verify, map, spawn) */
	char kernel[4096];	/* kernel lines seen */
	bool interrupted;
	long long leak_delta;	/* memcg bytes above baseline after teardown */
	bool leak_checked;
	long long arena_cg_kb;	/* descriptor .arena_memcg: the arena's memcg usage after teardown, against the arena new */
	bool arena_cg_checked;
	char memcg_dir[512];	/* the scenario's own memory cgroup, removed after it */
	_Atomic int done;	/* set by the scenario process when the report is final */
	_Atomic int reported;	/* ... when its counters and verdicts are, before the arena goes */
	bool cov_on;		/* race-window coverage attached */
	struct as_cov cov;	/* its counts over the run */
	char cov_unavail[256];
	char note[512];		/* what of the scenario could not run here, and why */
	double sweep_every_ms;	/* the sweeps' real interval (duration / sweeps) */
	double sweep_ms;	/* what one sweep took, on average */
	char acct_why[160];	/* why the accounting oracle is off here ("" = on) */
	char nosleep_why[400];	/* why the 7.x non-sleepable/deferred paths are off ("" = on) */
	pthread_mutex_t lock;
};

void as_report_init(struct as_report *r, const char *scenario, uint64_t seed);
/* Counts v, keeps it (or not), and sets v->cause. */
void as_report_add(struct as_report *r, struct as_violation *v);
void as_report_print_violation(FILE *f, const struct as_report *r, const struct as_violation *v);
void as_report_table(FILE *f, struct as_report *reps, int n);
/* "host", or "vm: IMAGE" inside the VM runner (AS_WHERE) */
const char *as_where(void);
int as_report_json(FILE *f, struct as_report *reps, int n, const char *kernel_release, int exit_code);

/*
 * The exit code of a run from its reports (README, "Exit codes"): a kernel
 * splat (3) before violations (1) before a failure (2: a scenario that
 * failed, or a worker stuck outside the kernel) before nothing ran (4)
 * before clean (0).  A scenario that failed after a violation is exit 1, its
 * status "failed" said in the table, the JSON and the result line.
 * output_failed: an output asked for (--json, --repro) could not be written:
 * 2, unless the kernel splatted (3: its log says so whatever the report).
 */
int as_exit_code(const struct as_report *reps, int n, bool output_failed);

/*
 * An output file of the run (--json FILE), checked before the run, written
 * whole after it.  A regular file (or a new one) is replaced by rename() of
 * a complete, fsynced temporary file beside it, so it is never truncated or
 * removed; a character device or FIFO is written directly, never replaced.
 */
enum as_out_how {
	AS_OUT_NONE,
	AS_OUT_FD,		/* fd: stdout, a character device, a FIFO with a reader */
	AS_OUT_OPEN_LATER,	/* a FIFO without a reader yet: opened (blocking) to write */
	AS_OUT_REPLACE,		/* path: the regular file (symlinks followed) to replace */
};
struct as_out {
	enum as_out_how how;
	int fd;
	char path[4096];
	bool existed;		/* AS_OUT_REPLACE: its mode and owner are kept */
	struct stat st;
};
/* 0, or -1 with err ("PATH: why"): a directory, a block device, a dangling
 * symlink, a full or read-only place, a directory that takes no new file. */
int as_out_open(struct as_out *out, const char *path, char *err, size_t len);
/* 0, or -1 with err; the old file is untouched unless the write succeeded. */
int as_out_write(struct as_out *out, const char *data, size_t n, char *err, size_t len);
void as_out_close(struct as_out *out);
/* A temporary file beside path (".arena-stress-XXXXXX" in its directory),
 * named in tmp: its fd, or -1 with errno. */
int as_tmp_beside(const char *path, char *tmp, size_t len);
#endif
