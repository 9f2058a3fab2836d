/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_OPTS_H
#define AS_OPTS_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes (documented in README and --help). */
enum {
	AS_EXIT_CLEAN = 0,	/* ran, no violation, kernel quiet */
	AS_EXIT_VIOLATION = 1,	/* at least one oracle fired */
	AS_EXIT_USAGE = 2,	/* bad option, not root, no BPF/arena support */
	AS_EXIT_SPLAT = 3,	/* the kernel logged a BUG/WARNING/Oops/... */
	AS_EXIT_SKIPPED = 4,	/* nothing could run on this kernel */
};

#define AS_MAX_SCEN 32

/* --version: the one place it is set (a build may define AS_VERSION) */
#ifndef AS_VERSION
#define AS_VERSION "0.9.0"
#endif

enum { AS_AFF_SPREAD = 0, AS_AFF_NONE = 1 };

struct as_opts {
	const char *scen[AS_MAX_SCEN];
	int nscen;
	bool list;
	bool help;
	bool version;
	double duration;	/* total seconds, split over scenarios */
	bool duration_set;
	uint64_t seed;
	bool seed_set;
	uint32_t pages;
	uint64_t arena_base;	/* user address of the arena (map_extra) */
	int bpf_threads;
	int user_threads;
	bool user_threads_set;	/* given: --parallel does not scale it */
	bool parallel;		/* the scenarios at once, each for the whole --duration */
	const char *json;	/* path, or "-" for stdout */
	const char *repro;	/* write a reproducer of the first violation here */
	int verbose;
	bool unsafe;
	bool stop_on_violation;
	uint32_t sweep_ms;	/* periodic coherence sweep interval */
	bool no_kwatch;		/* do not watch the kernel log (tests) */
	bool no_coverage;	/* do not attach the race-window tracing */
	int affinity;		/* AS_AFF_* */
	uint32_t nap_us;	/* BPF workers sleep this long before a free */
	uint32_t inject;	/* AS_INJ_* (tests: prove the oracles fire) */
#define AS_INJ_HANG (1U << 8)	/* a user worker stops reaching quiesce points */
#define AS_INJ_CONTRACT (1U << 9)	/* contract: one check maps what the kernel allows */
#define AS_INJ_LEAK (1U << 10)	/* 8 MiB stay charged after teardown */
#define AS_INJ_PIN (1U << 11)	/* a write through an old pin is made to reach the new page */
#define AS_INJ_ACCT (1U << 12)	/* the accounting oracle counts one page more than allocated */
#define AS_INJ_RESV (1U << 13)	/* reserve: a reservation is released behind the table before an allocation over it */
#define AS_INJ_SCRATCH (1U << 14)	/* scratch: one write through the scratch page the scenario does not record */
#define AS_INJ_STALE (1U << 15)	/* one single-page free leaves this process's PTE on the page (pages.c) */
#define AS_INJ_EXIT_HANG (1U << 16)	/* the scenario process stops in user space after its report, before it is done */
};

/*
 * The option table (user/opts.c) generates parsing, the defaults and
 * --help; each scenario may add entries of its own (struct as_scenario's
 * opts), named --SCENARIO-..., with storage of its own (ptr).
 */
enum as_otype {
	AS_OT_UINT,	/* decimal integer in [lo, hi] */
	AS_OT_DOUBLE,	/* decimal seconds, 0 < v <= hi */
	AS_OT_FLAG,	/* no value: true */
	AS_OT_COUNT,	/* no value: +1 each time */
	AS_OT_STR,	/* a non-empty value that is not an option ("-" allowed) */
	AS_OT_CHOICE,	/* one of choices ("a,b,c"): its index */
	AS_OT_CALL,	/* call(o, value) does it */
};
#define AS_OF_HIDDEN	1u	/* not in --help (tests only) */
#define AS_OF_BY_UNSAFE	2u	/* AS_OT_FLAG: --unsafe sets it too */

struct as_optdef {
	const char *name;	/* --name */
	char shortc;		/* -c, or 0 */
	enum as_otype type;
	const char *arg;	/* in --help: N, SEC, FILE, ... */
	uint64_t lo, hi;	/* AS_OT_UINT range; AS_OT_DOUBLE: hi */
	const char *dflt;	/* default, as it would be typed (NULL: none) */
	const char *choices;	/* AS_OT_CHOICE */
	const char *help;
	size_t off;		/* the field in struct as_opts ... */
	size_t size;		/* ... and its size */
	size_t set_off;		/* offset + 1 of a bool set when given (0: none) */
	void *ptr;		/* scenario options: their own storage instead */
	int (*call)(struct as_opts *o, const char *val, char *err, size_t len);
	unsigned flags;		/* AS_OF_* */
};

/* A scenario's own options (storage: a static of the scenario file). */
#define AS_SOPT_FLAG(n, var, fl, h) \
	{.name = n, .type = AS_OT_FLAG, .help = h, .ptr = &(var), .size = sizeof(var), .flags = fl}
#define AS_SOPT_STR(n, var, a, h) \
	{.name = n, .type = AS_OT_STR, .arg = a, .help = h, .ptr = &(var), .size = sizeof(var)}

void as_opts_defaults(struct as_opts *o);
/* 0 ok; AS_EXIT_USAGE with a one-line message in err (control characters
 * of what the user typed shown as '?'), naming the option as written. */
int as_parse_opts(int argc, char **argv, struct as_opts *o, char *err, size_t len);
void as_usage(FILE *f);
/* What the user typed may hold a newline: control characters of s become
 * '?', so that an error quoting it stays one line. */
void as_one_line(char *s);
#endif
