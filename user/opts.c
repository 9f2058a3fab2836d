// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line options: one table (type, range, default, help) generates
 * parsing, defaults and --help; scenarios add their own entries.  Strict:
 * decimal numbers only, one-line errors naming the option.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"
#include "scenarios.h"

static int set_scenarios(struct as_opts *o, const char *val, char *err, size_t len);
static int set_repro(struct as_opts *o, const char *val, char *err, size_t len);
static int set_base(struct as_opts *o, const char *val, char *err, size_t len);
static int set_inject(struct as_opts *o, const char *val, char *err, size_t len);

#define F(field) .off = offsetof(struct as_opts, field), .size = sizeof(((struct as_opts *)0)->field)
#define SET(field) .set_off = offsetof(struct as_opts, field) + 1

static const struct as_optdef global[] = {
	{"scenario", 's', AS_OT_CALL, "NAME[,NAME]", .call = set_scenarios,
	 .help = "scenarios to run, each once (default: all this kernel supports)"},
	{"list", 'l', AS_OT_FLAG, F(list), .help = "list scenarios and whether this kernel supports them"},
	{"duration", 'd', AS_OT_DOUBLE, "SEC", .hi = 86400, .dflt = "10", F(duration), SET(duration_set),
	 .help = "total run time, split over the scenarios (--parallel: each scenario's)"},
	{"parallel", 'P', AS_OT_FLAG, F(parallel),
	 .help = "run the scenarios at once, each in its own process and arena for the whole --duration, "
		 "the CPUs shared (user threads per scenario scaled unless -u is given: README)"},
	{"seed", 'S', AS_OT_UINT, "N", 0, UINT64_MAX, F(seed), SET(seed_set),
	 .help = "random seed (default: from the clock; printed)"},
	{"pages", 'p', AS_OT_UINT, "N", 4, AS_MAX_PAGES, "64", F(pages),
	 .help = "arena size in pages (1048576: the whole 4 GiB an arena can span)"},
	{"arena-base", 0, AS_OT_CALL, "ADDR", .call = set_base, .dflt = "0x100000000000",
	 .help = "user address of the arena, page-aligned hex; the arena must not cross a 4 GiB boundary "
		 "(one that is not 4 GiB-aligned puts the pages at high offsets of the kernel's 4 GiB range)"},
	{"bpf-threads", 'b', AS_OT_UINT, "N", 1, 16, "1", F(bpf_threads), .help = "BPF alloc/free threads"},
	{"user-threads", 'u', AS_OT_UINT, "N", 0, 32, "3", F(user_threads), SET(user_threads_set),
	 .help = "user fault/read/write threads (0: BPF churn only, a negative control)"},
	{"affinity", 'a', AS_OT_CHOICE, "MODE", .dflt = "spread", .choices = "spread,none", F(affinity),
	 .help = "spread: pin worker i to CPU i mod n; none: let the scheduler place them"},
	{"sweep-ms", 0, AS_OT_UINT, "N", 1, 60000, "100", F(sweep_ms), .help = "coherence sweep every N ms"},
	{"nap-us", 0, AS_OT_UINT, "N", 0, 100000, "20", F(nap_us),
	 .help = "BPF workers nap N us before each free (the wake-up preempts a faulter mid-fault)"},
	{"json", 'j', AS_OT_STR, "FILE", F(json),
	 .help = "write the report as JSON to FILE ('-' = stdout, the human report then goes to stderr)"},
	{"stop-on-violation", 'x', AS_OT_FLAG, F(stop_on_violation), .help = "end a scenario at its first violation"},
	{"unsafe", 0, AS_OT_FLAG, F(unsafe), .help = "also run scenarios that may crash the kernel"},
	{"no-kernel-watch", 0, AS_OT_FLAG, F(no_kwatch), .help = "do not fail on kernel log splats"},
	{"no-coverage", 0, AS_OT_FLAG, F(no_coverage),
	 .help = "do not attach the race-window tracing (fentry/fexit)"},
	{"repro", 0, AS_OT_CALL, "DIR", .call = set_repro,
	 .help = "stop at the first violation and write a minimal, self-contained reproducer of it to DIR "
		 "(BPF program, C file, Makefile, README); implies -x"},
	{"inject", 0, AS_OT_CALL, "WHAT", .call = set_inject, .flags = AS_OF_HIDDEN,
	 .help = "tests: make an oracle see a known divergence"},
	{"verbose", 'v', AS_OT_COUNT, F(verbose), .help = "more output (repeat for more)"},
	{"help", 'h', AS_OT_FLAG, F(help), .help = "this text"},
	{"version", 'V', AS_OT_FLAG, F(version), .help = "print the version and exit"},
	{0},
};

/* every entry: the global ones, then each scenario's */
#define FOR_EACH_OPT(d)                                                                 \
	for (int _s = -1; _s < 0 || as_scenarios[_s]; _s++)                             \
		for (const struct as_optdef *d = _s < 0 ? global : as_scenarios[_s]->opts; \
		     d && d->name; d++)

static void *where(struct as_opts *o, const struct as_optdef *d)
{
	return d->ptr ? d->ptr : (char *)o + d->off;
}

static void put_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = v; break;
	case 2: *(uint16_t *)p = v; break;
	case 4: *(uint32_t *)p = v; break;
	default: *(uint64_t *)p = v; break;
	}
}

/* Decimal digits only: no sign, space, octal or hex. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* Decimal seconds: digits with at most one '.', nothing else. */
static bool parse_secs(const char *s, double *out)
{
	int dots = 0, digits = 0;

	for (const char *c = s; *c; c++) {
		if (*c == '.')
			dots++;
		else if (*c >= '0' && *c <= '9')
			digits++;
		else
			return false;
	}
	if (!digits || dots > 1)
		return false;
	*out = strtod(s, NULL);
	return true;
}

static int choice(const char *choices, const char *val)
{
	size_t n = strlen(val);
	int i = 0;

	for (const char *c = choices; *c; i++) {
		const char *e = strchr(c, ',');
		size_t l = e ? (size_t)(e - c) : strlen(c);

		if (l == n && !strncmp(c, val, n))
			return i;
		c += l + (e != NULL);
	}
	return -1;
}

static int apply(struct as_opts *o, const struct as_optdef *d, const char *val, char *err, size_t len)
{
	void *p = where(o, d);
	uint64_t u;
	double x;
	int i;

	switch (d->type) {
	case AS_OT_FLAG: *(bool *)p = true; break;
	case AS_OT_COUNT: (*(int *)p)++; break;
	case AS_OT_UINT:
		if (!parse_u64(val, &u) || u < d->lo || u > d->hi) {
			snprintf(err, len, "invalid value '%s' for --%s (expected an integer in %" PRIu64 "..%" PRIu64 ")",
				 val, d->name, d->lo, d->hi);
			return AS_EXIT_USAGE;
		}
		put_uint(p, d->size, u);
		break;
	case AS_OT_DOUBLE:
		if (!parse_secs(val, &x) || !(x > 0) || x > (double)d->hi) {
			snprintf(err, len, "invalid value '%s' for --%s (expected seconds, 0 < SEC <= %" PRIu64 ")",
				 val, d->name, d->hi);
			return AS_EXIT_USAGE;
		}
		*(double *)p = x;
		break;
	case AS_OT_STR: *(const char **)p = val; break;
	case AS_OT_CHOICE:
		if ((i = choice(d->choices, val)) < 0) {
			snprintf(err, len, "invalid value '%s' for --%s (%s)", val, d->name, d->choices);
			return AS_EXIT_USAGE;
		}
		*(int *)p = i;
		break;
	case AS_OT_CALL:
		if (d->call(o, val, err, len))
			return AS_EXIT_USAGE;
		break;
	}
	if (d->set_off)
		*(bool *)((char *)o + d->set_off - 1) = true;
	return 0;
}

void as_opts_defaults(struct as_opts *o)
{
	char err[256];

	memset(o, 0, sizeof(*o));
	FOR_EACH_OPT(d) {
		if (d->ptr)
			memset(d->ptr, 0, d->size);
		if (d->dflt) {
			apply(o, d, d->dflt, err, sizeof(err));
			if (d->set_off)	/* a default is not "given" */
				*(bool *)((char *)o + d->set_off - 1) = false;
		}
	}
}

/* NAME[,NAME]: every name non-empty ("a,,b", "a," and "," alike) and given once */
static int set_scenarios(struct as_opts *o, const char *val, char *err, size_t len)
{
	char *dup = strdup(val), *tok = dup, *end;

	if (!dup) {
		snprintf(err, len, "--scenario: out of memory");
		return AS_EXIT_USAGE;
	}
	for (;; tok = end + 1) {
		end = strchrnul(tok, ',');
		if (end == tok) {
			snprintf(err, len, "empty scenario name in '%s' for --scenario", val);
			return AS_EXIT_USAGE;
		}
		bool last = !*end;

		*end = 0;
		for (int i = 0; i < o->nscen; i++)
			if (!strcmp(o->scen[i], tok)) {
				snprintf(err, len, "scenario '%s' named twice for --scenario", tok);
				return AS_EXIT_USAGE;
			}
		if (o->nscen == AS_MAX_SCEN) {
			snprintf(err, len, "too many names for --scenario");
			return AS_EXIT_USAGE;
		}
		o->scen[o->nscen++] = tok;	/* dup lives for the program */
		if (last)
			return 0;
	}
}

/* Page-aligned hex, in the lower half of a 47-bit address space. */
static int set_base(struct as_opts *o, const char *val, char *err, size_t len)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(val, &end, 16);
	if (strncmp(val, "0x", 2) || errno || *end || !v || (v & (AS_PAGE_SIZE - 1)) || v >= (1ULL << 46)) {
		snprintf(err, len, "invalid value '%s' for --arena-base (a page-aligned hex address "
			 "0x1000..0x3ffffffff000)", val);
		return AS_EXIT_USAGE;
	}
	o->arena_base = v;
	return 0;
}

static int set_repro(struct as_opts *o, const char *val, char *err, size_t len)
{
	o->repro = val;
	o->stop_on_violation = true;	/* the first violation is the one */
	return 0;
}

static int set_inject(struct as_opts *o, const char *val, char *err, size_t len)
{
	static const char names[] = "dirty-alloc,sweep-lie,hang,contract,leak,pin,acct,resv,scratch,stale,exit-hang";
	static const uint32_t bits[] = {AS_INJ_DIRTY_ALLOC, AS_INJ_SWEEP_LIE, AS_INJ_HANG, AS_INJ_CONTRACT,
					AS_INJ_LEAK, AS_INJ_PIN, AS_INJ_ACCT, AS_INJ_RESV, AS_INJ_SCRATCH, AS_INJ_STALE,
					AS_INJ_EXIT_HANG};
	int i = choice(names, val);

	if (i < 0) {
		snprintf(err, len, "invalid value '%s' for --inject (%s)", val, names);
		return AS_EXIT_USAGE;
	}
	o->inject |= bits[i];
	return 0;
}

static const struct as_optdef *by_val(int val, const struct as_optdef *const *tab, int n)
{
	if (val >= 256 && val - 256 < n)
		return tab[val - 256];
	for (int i = 0; i < n; i++)
		if (tab[i]->shortc && tab[i]->shortc == val)
			return tab[i];
	return NULL;
}

/*
 * A long option getopt_long refused (unknown, ambiguous, or a value given to
 * one that takes none), named as the user wrote it: arg is "--name[=value]".
 */
static void long_error(const char *arg, const struct as_optdef *const *tab, int n, char *err, size_t len)
{
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t nl = eq ? (size_t)(eq - name) : strlen(name), k = 0;
	const struct as_optdef *hit = NULL;
	char cands[400] = "";
	int nhit = 0;

	for (int i = 0; i < n; i++) {
		if (strncmp(tab[i]->name, name, nl))
			continue;
		if (strlen(tab[i]->name) == nl) {	/* exact: it alone */
			hit = tab[i], nhit = 1;
			break;
		}
		hit = tab[i], nhit++;
		if (k < sizeof(cands))
			k += snprintf(cands + k, sizeof(cands) - k, "%s--%s", k ? ", " : "", tab[i]->name);
	}
	if (nhit > 1)
		snprintf(err, len, "ambiguous option '%.*s' (could be %s)", (int)(nl + 2), arg, cands);
	else if (nhit == 1 && eq)
		snprintf(err, len, "option --%s takes no value (got '%s')", hit->name, arg);
	else
		snprintf(err, len, "unknown option '%s' (see --help)", arg);
}

void as_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int parse(int argc, char **argv, struct as_opts *o, char *err, size_t len);

int as_parse_opts(int argc, char **argv, struct as_opts *o, char *err, size_t len)
{
	int rc = parse(argc, argv, o, err, len);

	if (rc)
		as_one_line(err);
	return rc;
}

static int parse(int argc, char **argv, struct as_opts *o, char *err, size_t len)
{
	const struct as_optdef *tab[256];
	struct option lo[257];
	char shorts[3 * 256 + 2] = ":";
	int n = 0, c, rc = 0;

	as_opts_defaults(o);
	err[0] = 0;
	FOR_EACH_OPT(d) {
		bool val = d->type != AS_OT_FLAG && d->type != AS_OT_COUNT;

		if (n == 256)
			break;
		tab[n] = d;
		lo[n] = (struct option){d->name, val ? required_argument : no_argument, 0,
					d->shortc ? d->shortc : 256 + n};
		if (d->shortc) {
			size_t l = strlen(shorts);

			shorts[l] = d->shortc;
			shorts[l + 1] = val ? ':' : 0;
			shorts[l + 2] = 0;
		}
		n++;
	}
	lo[n] = (struct option){0};
	optind = 0;	/* 0, not 1: glibc then also forgets a half-read "-Zx" */
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct as_optdef *d = by_val(c == ':' ? optopt : c, tab, n);

		if (c == ':') {
			if (d)
				snprintf(err, len, "option --%s needs a value", d->name);
			else
				snprintf(err, len, "option %s needs a value", argv[optind - 1]);
			return AS_EXIT_USAGE;
		}
		/* a long option's error: getopt_long sets optopt to 0 (unknown,
		 * ambiguous) or to the option itself (--flag=value), and has
		 * moved past the whole argument */
		if (c == '?' && (!optopt || by_val(optopt, tab, n)) && optind > 0 &&
		    !strncmp(argv[optind - 1], "--", 2)) {
			long_error(argv[optind - 1], tab, n, err, len);
			return AS_EXIT_USAGE;
		}
		if (c == '?' || !d) {
			if (optopt && optopt < 256)
				snprintf(err, len, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, len, "unknown option '%s' (see --help)", argv[optind - 1]);
			return AS_EXIT_USAGE;
		}
		if (optarg && d->type != AS_OT_UINT && d->type != AS_OT_DOUBLE) {
			if (!*optarg) {
				snprintf(err, len, "empty value for --%s", d->name);
				return AS_EXIT_USAGE;
			}
			if (optarg[0] == '-' && optarg[1]) {
				snprintf(err, len, "option --%s needs a value, not the option '%s'", d->name, optarg);
				return AS_EXIT_USAGE;
			}
		}
		rc = apply(o, d, optarg, err, len);
	}
	if (rc)
		return rc;
	if (optind < argc) {
		snprintf(err, len, "unexpected argument '%s' (see --help)", argv[optind]);
		return AS_EXIT_USAGE;
	}
	FOR_EACH_OPT(d)
		if ((d->flags & AS_OF_BY_UNSAFE) && o->unsafe)
			*(bool *)where(o, d) = true;
	/* the kernel refuses an arena whose user range crosses 4 GiB (-ERANGE) */
	if ((o->arena_base >> 32) != ((o->arena_base + (uint64_t)o->pages * AS_PAGE_SIZE - 1) >> 32)) {
		snprintf(err, len, "--arena-base %#" PRIx64 " with --pages %u crosses a 4 GiB boundary "
			 "(an arena's pages must share the upper 32 address bits)", o->arena_base, o->pages);
		return AS_EXIT_USAGE;
	}
	return 0;
}

/* One option: its names at the left, the help wrapped at 79 columns. */
static void usage_line(FILE *f, const struct as_optdef *d, const char *owner)
{
	char left[64], text[512], range[96] = "";
	const char *t = text;
	int col = 30;

	snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", d->shortc ? '-' : ' ', d->shortc ? d->shortc : ' ',
		 d->shortc ? ", " : "  ", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
	if (d->type == AS_OT_UINT && d->hi != UINT64_MAX)
		snprintf(range, sizeof(range), " (%" PRIu64 "..%" PRIu64 "%s%s)", d->lo, d->hi,
			 d->dflt ? ", default " : "", d->dflt ? d->dflt : "");
	else if (d->dflt)
		snprintf(range, sizeof(range), " (default %s)", d->dflt);
	snprintf(text, sizeof(text), "%s%s%s%s", owner ? owner : "", owner ? ": " : "", d->help, range);
	fprintf(f, "%-*s", col, left);
	if (strlen(left) >= (size_t)col)
		fprintf(f, "\n%*s", col, "");
	while (*t) {
		size_t n = strlen(t);

		if (n > (size_t)(79 - col)) {	/* break at the last space that fits */
			n = 79 - col;
			while (n && t[n] != ' ')
				n--;
			if (!n)
				n = strcspn(t, " ");
		}
		fprintf(f, "%.*s\n", (int)n, t);
		t += n;
		while (*t == ' ')
			t++;
		if (*t)
			fprintf(f, "%*s", col, "");
	}
}

void as_usage(FILE *f)
{
	fprintf(f,
"usage: arena-stress [options]\n"
"Stress BPF arena memory: BPF programs allocate and free arena pages while\n"
"user threads fault, read and write them; oracles check that user space and\n"
"BPF keep seeing the same memory.\n\n");
	for (const struct as_optdef *d = global; d->name; d++)
		if (!(d->flags & AS_OF_HIDDEN))
			usage_line(f, d, NULL);
	fprintf(f, "\nscenario options:\n");
	for (int s = 0; as_scenarios[s]; s++)
		for (const struct as_optdef *d = as_scenarios[s]->opts; d && d->name; d++)
			usage_line(f, d, as_scenarios[s]->name);
	fprintf(f, "\n"
"exit codes: 0 clean, 1 violations found, 2 usage or environment error,\n"
"            3 the kernel logged a splat, 4 nothing could run on this kernel\n");
}
