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
};

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
	struct as_violation v[AS_REP_KEEP];
	int nkept;
	int64_t first_ns;	/* time to first detection, -1 none */
	char kernel[4096];	/* kernel lines seen */
	bool interrupted;
	long long leak_delta;	/* memcg bytes above baseline after teardown */
	bool leak_checked;
	char memcg_dir[512];	/* the scenario's own memory cgroup, removed after it */
	_Atomic int done;	/* set by the scenario process when the report is final */
	_Atomic int reported;	/* ... when its counters and verdicts are, before the arena goes */
	bool cov_on;		/* race-window coverage attached */
	struct as_cov cov;	/* its counts over the run */
	char cov_unavail[256];
	char note[256];		/* what of the scenario could not run here, and why */
	double sweep_every_ms;	/* the sweeps' real interval (duration / sweeps) */
	double sweep_ms;	/* what one sweep took, on average */
	char acct_why[160];	/* why the accounting oracle is off here ("" = on) */
	char nosleep_why[400];	/* why the 7.x non-sleepable/deferred paths are off ("" = on) */
	pthread_mutex_t lock;
};

void as_report_init(struct as_report *r, const char *scenario, uint64_t seed);
void as_report_add(struct as_report *r, const struct as_violation *v);
void as_report_print_violation(FILE *f, const struct as_report *r, const struct as_violation *v);
void as_report_table(FILE *f, struct as_report *reps, int n);
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
