// SPDX-License-Identifier: GPL-2.0
/* Violation records, the final table and the JSON report. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report.h"
#include "causes_tbl.h"

const char *const as_causes_tsv = as_tmpl_causes_tsv;

/* ---- known causes ---- */

static struct as_cause causes[AS_CAUSES_MAX];
static int ncauses;

/* The length of the atom at re (an escape, a bracket class, one character),
 * or -1 when malformed. */
static int atom_len(const char *re)
{
	const char *p;

	if (re[0] == '\\')
		return re[1] ? 2 : -1;
	if (re[0] != '[')
		return 1;
	p = re + 1;
	if (*p == '^')
		p++;
	if (*p == ']')	/* a ']' first is a member */
		p++;
	while (*p && *p != ']')
		p++;
	return *p ? (int)(p - re) + 1 : -1;
}

static bool atom_match(const char *re, int n, char c)
{
	bool neg, in = false;
	const char *p, *end;

	if (!c || c == '\n')	/* nothing matches the end or a line break */
		return false;
	if (re[0] == '\\')
		return c == re[1];
	if (re[0] == '.')
		return true;
	if (re[0] != '[')
		return c == re[0];
	neg = re[1] == '^';
	end = re + n - 1;	/* the closing ']' */
	for (p = re + 1 + neg; p < end; p++) {
		if (p + 2 < end && p[1] == '-') {
			in |= (unsigned char)c >= (unsigned char)p[0] && (unsigned char)c <= (unsigned char)p[2];
			p += 2;
		} else {
			in |= c == *p;
		}
	}
	return in != neg;
}

/* Does re[0..re_end) match at t (t0: the text's start)? */
static bool match_here(const char *re, const char *re_end, const char *t, const char *t0)
{
	while (re < re_end) {
		int n, k, min, max;
		char q;

		if (*re == '^') {
			if (t != t0 && t[-1] != '\n')
				return false;
			re++;
			continue;
		}
		if (*re == '$') {
			if (*t && *t != '\n')
				return false;
			re++;
			continue;
		}
		n = atom_len(re);
		q = re + n < re_end ? re[n] : 0;
		if (q == '*' || q == '+' || q == '?') {
			min = q == '+';
			max = q == '?' ? 1 : INT_MAX;
			for (k = 0; k < max && atom_match(re, n, t[k]); k++)
				;
			for (; k >= min; k--)	/* greedy, then back off */
				if (match_here(re + n + 1, re_end, t + k, t0))
					return true;
			return false;
		}
		if (!atom_match(re, n, *t))
			return false;
		re += n;
		t++;
	}
	return true;
}

/* The end of the alternative that starts at re ('|' or the end). */
static const char *alt_end(const char *re)
{
	while (*re && *re != '|')
		re += atom_len(re) > 0 ? atom_len(re) : 1;
	return re;
}

/* A pattern as_re_search() can run: "" or why not. */
static const char *re_check(const char *re)
{
	bool atom = false;	/* the previous item can take a quantifier */

	if (!*re)
		return "an empty pattern";
	for (; *re; ) {
		if (*re == '*' || *re == '+' || *re == '?') {
			if (!atom)
				return "a quantifier after nothing to repeat";
			atom = false;
			re++;
		} else if (*re == '|' || *re == '^' || *re == '$') {
			if (*re == '|' && (!re[1] || re[1] == '|'))
				return "an empty alternative";
			atom = false;
			re++;
		} else if (*re == '(' || *re == ')' || *re == '{') {
			return "groups and counted repeats are not supported";
		} else {
			int n = atom_len(re);

			if (n < 0)
				return "an unclosed '[' or a trailing '\\'";
			atom = true;
			re += n;
		}
	}
	return "";
}

bool as_re_search(const char *re, const char *text)
{
	if (*re == '|' || *re_check(re))
		return false;
	for (const char *a = re, *e; ; a = e + 1) {
		e = alt_end(a);
		for (const char *t = text; ; t++) {
			if (match_here(a, e, t, text))
				return true;
			if (!*t)
				break;
		}
		if (!*e)
			return false;
	}
}

/* "a.b" or "a.b.c" at s: the number of parts (2, 3), 0 when not a version;
 * *end after it. */
static int parse_ver(const char *s, const char **end, unsigned v[3])
{
	int n = 0;

	v[0] = v[1] = v[2] = 0;
	while (n < 3 && *s >= '0' && *s <= '9') {
		char *e;
		unsigned long x = strtoul(s, &e, 10);

		if (x > 100000)
			return 0;
		v[n++] = x;
		s = e;
		if (*s != '.' || n == 3 || s[1] < '0' || s[1] > '9')
			break;
		s++;
	}
	*end = s;
	return n >= 2 ? n : 0;
}

static int ver_cmp(const unsigned a[3], const unsigned b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

int as_kernel_in(const char *ranges, const char *release)
{
	unsigned rel[3], lo[3], hi[3];
	const char *p = ranges, *e;
	int in = 0, n;

	if (!parse_ver(release, &e, rel))
		return -1;
	for (;;) {
		if (!(n = parse_ver(p, &p, lo)))
			return -1;
		if (*p == '-') {
			p++;
			if (!*p || *p == ',') {
				hi[0] = hi[1] = hi[2] = UINT_MAX;
			} else if (!(n = parse_ver(p, &p, hi))) {
				return -1;
			}
		} else {
			memcpy(hi, lo, sizeof(hi));
		}
		if (n == 2)
			hi[2] = UINT_MAX;	/* "6.19": every 6.19.x */
		in |= ver_cmp(rel, lo) >= 0 && ver_cmp(rel, hi) <= 0;
		if (!*p)
			return in;
		if (*p != ',')
			return -1;
		p++;
	}
}

static int kind_of(const char *name)
{
	for (int k = 1; k < V__NR; k++)
		if (!strcmp(as_vkind_name[k], name))
			return k;
	return -1;
}

int as_causes_load(const char *tsv, const char *release, char *err, size_t len)
{
	static struct as_cause rows[AS_CAUSES_MAX];
	struct as_cause *c;
	int n = 0, line = 0;

	for (const char *p = tsv; *p; ) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char buf[1024], *f[9], *save = NULL;
		const char *why;
		int nf = 0, in;

		line++;
		if (ll >= sizeof(buf)) {
			snprintf(err, len, "line %d: longer than %zu characters", line, sizeof(buf) - 1);
			return -1;
		}
		memcpy(buf, p, ll);
		buf[ll] = 0;
		p += ll + (eol ? 1 : 0);
		if (!buf[strspn(buf, " \t")] || buf[0] == '#')
			continue;
		for (char *t = strtok_r(buf, "\t", &save); t; t = strtok_r(NULL, "\t", &save))
			if (nf < 9)
				f[nf++] = t;
			else
				nf = 10;
		if (nf != 9) {
			snprintf(err, len, "line %d: %d tab-separated fields, not 9", line, nf);
			return -1;
		}
		if (n == AS_CAUSES_MAX) {
			snprintf(err, len, "line %d: more than %d rows", line, AS_CAUSES_MAX);
			return -1;
		}
		c = &rows[n];
		memset(c, 0, sizeof(*c));
#define FIELD(dst, src) do { \
		if (strlen(src) >= sizeof(dst)) { \
			snprintf(err, len, "line %d: '%.40s...' is longer than %zu characters", line, src, \
				 sizeof(dst) - 1); \
			return -1; \
		} \
		strcpy(dst, src); \
	} while (0)
		FIELD(c->scenario, f[0]);
		FIELD(c->kind, f[1]);
		FIELD(c->pattern, f[2]);
		FIELD(c->kernels, f[3]);
		FIELD(c->id, f[4]);
		FIELD(c->title, f[5]);
		FIELD(c->fixed, f[6]);
		FIELD(c->stable, f[7]);
		FIELD(c->ref, f[8]);
#undef FIELD
		if (strcmp(c->kind, "*") && kind_of(c->kind) < 0) {
			snprintf(err, len, "line %d: no violation kind '%s'", line, c->kind);
			return -1;
		}
		if (*(why = re_check(c->pattern))) {
			snprintf(err, len, "line %d: pattern '%s': %s", line, c->pattern, why);
			return -1;
		}
		if ((in = as_kernel_in(c->kernels, "0.0")) < 0) {
			snprintf(err, len, "line %d: kernels '%s': not ranges like 6.16,6.13-6.18.29,7.3-", line,
				 c->kernels);
			return -1;
		}
		if (strncmp(c->id, "finding ", 8) && strncmp(c->id, "upstream ", 9)) {
			snprintf(err, len, "line %d: cause '%s' is neither 'finding N' nor 'upstream COMMIT'", line, c->id);
			return -1;
		}
		c->here = as_kernel_in(c->kernels, release) == 1;
		n++;
	}
	memcpy(causes, rows, sizeof(rows[0]) * n);
	ncauses = n;
	return n;
}

const struct as_cause *as_cause_get(int i)
{
	return i >= 1 && i <= ncauses ? &causes[i - 1] : NULL;
}

/* Every complete line of text matches re (and there is one). */
static bool every_line(const char *re, const char *text)
{
	char line[512];
	int lines = 0;

	for (const char *p = text, *eol; *p; p = eol + 1) {
		if (!(eol = strchr(p, '\n')) || (size_t)(eol - p) >= sizeof(line))
			return false;	/* cut off, or too long to judge */
		memcpy(line, p, eol - p);
		line[eol - p] = 0;
		if (!as_re_search(re, line))
			return false;
		lines++;
	}
	return lines > 0;
}

int as_cause_match(const char *scenario, const struct as_violation *v, const char *kernel_lines)
{
	if (v->kind == V_STUCK)
		return -1;
	for (int i = 0; i < ncauses; i++) {
		const struct as_cause *c = &causes[i];

		if (!c->here || (strcmp(c->scenario, "*") && strcmp(c->scenario, scenario)) ||
		    (strcmp(c->kind, "*") && strcmp(c->kind, as_vkind_name[v->kind])))
			continue;
		if (v->kind == V_KERNEL ? every_line(c->pattern, kernel_lines ? kernel_lines : "")
		    : as_re_search(c->pattern, v->saw) || as_re_search(c->pattern, v->classify))
			return i + 1;
	}
	return 0;
}

/* One line on a cause: what it is and where it is fixed or written up. */
static void cause_text(int i, char *buf, size_t len)
{
	const struct as_cause *c = as_cause_get(i);

	if (i < 0)
		snprintf(buf, len, "the tool's own (a worker stuck outside the kernel)");
	else if (!c)
		snprintf(buf, len, "new: no known cause matches (findings/causes.tsv)");
	else if (!strncmp(c->id, "upstream ", 9))
		snprintf(buf, len, "%s \"%s\": fixed in %s; stable: %s", c->id, c->title, c->fixed, c->stable);
	else
		snprintf(buf, len, "%s: %s (%s)", c->id, c->title, c->ref);
}

void as_causes_summary(const struct as_report *reps, int n, char *buf, size_t len)
{
	uint64_t fresh = 0;
	bool seen[AS_CAUSES_MAX + 1] = {0};
	size_t k = 0;

	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		fresh += reps[i].by_cause[0];
		for (int j = 1; j <= ncauses; j++)
			seen[j] |= reps[i].by_cause[j] > 0;
	}
	if (fresh)
		k += snprintf(buf, len, "%" PRIu64 " new", fresh);
	for (int j = 1; j <= ncauses && k < len; j++) {
		bool dup = false;

		if (!seen[j])
			continue;
		for (int m = 1; m < j; m++)	/* one cause, several signatures */
			dup |= seen[m] && !strcmp(causes[m - 1].id, causes[j - 1].id);
		if (dup)
			continue;
		k += snprintf(buf + k, len - k, "%s%s", k == 0 ? "all known: " : strchr(buf, ':') ? ", "
			      : "; known: ", causes[j - 1].id);
	}
}

void as_report_init(struct as_report *r, const char *scenario, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->scenario, sizeof(r->scenario), "%s", scenario);
	r->seed = seed;
	r->first_ns = -1;
	{	/* reports live in shared memory: a scenario runs in a child */
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		/* forked checkers (gup, multi-process, dofork) are SIGKILLed at
		 * teardown: one that dies holding the lock must not block us */
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&r->lock, &a);
		pthread_mutexattr_destroy(&a);
	}
}

void as_report_add(struct as_report *r, struct as_violation *v)
{
	if (pthread_mutex_lock(&r->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&r->lock);	/* its last update is whole or absent */
	{
		const char *klines = r->kernel + (r->kernel_seen <= strlen(r->kernel) ? r->kernel_seen : 0);
		int c = as_cause_match(r->scenario, v, klines);

		if (v->kind == V_KERNEL)
			r->kernel_seen = strlen(r->kernel);
		if (c >= 0)
			r->by_cause[c]++;
		v->cause = c;
	}
	r->nviol++;
	r->by_kind[v->kind]++;
	if (r->first_ns < 0 || (int64_t)v->t_ns < r->first_ns)
		r->first_ns = v->t_ns;
	/* the first of every kind is always kept: a rare kind after many
	 * common ones is the one that needs its evidence */
	if (r->nkept < AS_REP_KEEP_ANY || (r->by_kind[v->kind] == 1 && r->nkept < AS_REP_KEEP)) {
		r->v[r->nkept++] = *v;
	}
	pthread_mutex_unlock(&r->lock);
}

void as_report_print_violation(FILE *f, const struct as_report *r, const struct as_violation *v)
{
	fprintf(f, "VIOLATION %s: scenario=%s seed=%" PRIu64 " t=%.3fms page=%u addr=%#" PRIx64 "\n",
		as_vkind_name[v->kind], r->scenario, r->seed, v->t_ns / 1e6, v->pgoff, v->addr);
	fprintf(f, "  saw:      %s\n", v->saw);
	if (v->pfn_user || v->pfn_after)
		fprintf(f, "  pagemap:  user PTE pfn %#" PRIx64 ", after MADV_DONTNEED + re-fault pfn %#" PRIx64 "\n",
			v->pfn_user, v->pfn_after);
	if (v->classify[0])
		fprintf(f, "  verdict:  %s%s\n", v->classify, v->confirmed ? " [confirmed]" : "");
	{
		char cause[512];

		cause_text(v->cause, cause, sizeof(cause));
		fprintf(f, "  cause:    %s\n", cause);
	}
	fprintf(f, "  repro:    arena-stress --scenario %s --seed %" PRIu64 "\n", r->scenario, r->seed);
}

const char *as_status_name(enum as_status s)
{
	static const char *const name[] = {
		[AS_RAN] = "ran", [AS_SKIPPED] = "skipped", [AS_FAILED] = "failed",
		[AS_NOTRUN] = "not run", [AS_NOWORK] = "no work", [AS_KILLED] = "killed",
	};

	return name[s];
}

static uint64_t ctr(const struct as_report *r, const char *name)
{
	for (int i = 0; i < r->nctr; i++)
		if (!strcmp(r->ctr_name[i], name))
			return r->ctr[i];
	return 0;
}

static void coverage_lines(FILE *f, struct as_report *reps, int n)
{
	const char *off = NULL;	/* the same reason for every scenario that ran: said once */
	bool any = false;

	for (int i = 0; i < n; i++) {
		if (reps[i].status != AS_RAN && reps[i].status != AS_NOWORK)
			continue;
		if (reps[i].cov_on || (off && strcmp(off, reps[i].cov_unavail))) {
			off = NULL;
			break;
		}
		off = reps[i].cov_unavail;
	}
	if (off && *off) {
		fprintf(f, "\nrace-window coverage (fentry/fexit, system-wide): unavailable: %s\n", off);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct as_report *r = &reps[i];
		const struct as_cov *c = &r->cov;

		if (r->status != AS_RAN || (!r->cov_on && !r->cov_unavail[0]))
			continue;
		if (!any)
			fprintf(f, "\nrace-window coverage (fentry/fexit, system-wide):\n");
		any = true;
		if (!r->cov_on) {
			fprintf(f, "  %-14s unavailable: %s\n", r->scenario, r->cov_unavail);
			continue;
		}
		fprintf(f, "  %-14s %" PRIu64 " arena faults; %" PRIu64 " of %" PRIu64 " frees (%.1f%%) overlapped a fault "
			"in flight; %" PRIu64 " of %" PRIu64 " arena zaps ran during page-table teardown; %" PRIu64
			" pinned pages freed; %" PRIu64 " faults from io-wq, %" PRIu64 " from another process%s%s\n", r->scenario,
			(uint64_t)c->arena_faults, (uint64_t)c->free_during_fault, (uint64_t)c->frees,
			c->frees ? 100.0 * c->free_during_fault / c->frees : 0.0, (uint64_t)c->zap_during_teardown,
			(uint64_t)c->arena_zaps, (uint64_t)c->pinned_frees, (uint64_t)c->iowq_faults,
			(uint64_t)c->remote_faults,
			r->cov_unavail[0] ? "; unavailable: " : "", r->cov_unavail);
	}
}

/* Under the table: each scenario's violations by cause. */
static void causes_lines(FILE *f, const struct as_report *reps, int n)
{
	bool any = false;

	for (int i = 0; i < n; i++) {
		for (int jj = 1; jj <= AS_CAUSES_MAX + 1; jj++) {
			int j = jj % (AS_CAUSES_MAX + 1);	/* the known ones, then new */
			char cause[512];

			if (!reps[i].by_cause[j])
				continue;
			if (!any)
				fprintf(f, "causes (findings/causes.tsv):\n");
			any = true;
			cause_text(j, cause, sizeof(cause));
			fprintf(f, "  %-14s %6" PRIu64 "  %s\n", reps[i].scenario, reps[i].by_cause[j], cause);
		}
	}
}

void as_report_table(FILE *f, struct as_report *reps, int n)
{
	fprintf(f, "\n%-14s %-8s %7s %9s %10s %10s %10s %10s %8s %6s %10s  %s\n", "scenario", "status", "secs",
		"setup(ms)", "allocs", "frees", "pages", "faults", "sweeps", "viol", "first(ms)", "kinds / reason");
	for (int i = 0; i < n; i++) {
		struct as_report *r = &reps[i];
		char kinds[520] = "", first[32] = "-";
		size_t k = 0;

		if (r->status != AS_RAN && r->status != AS_NOWORK) {
			snprintf(kinds, sizeof(kinds), "%s", r->why);
		} else {
			for (int j = 1; j < V__NR; j++)
				if (r->by_kind[j])
					k += snprintf(kinds + k, sizeof(kinds) - k, "%s%s=%" PRIu64,
						      k ? " " : "", as_vkind_name[j], r->by_kind[j]);
			if (!k)
				snprintf(kinds, sizeof(kinds), "clean");
		}
		if (r->first_ns >= 0)
			snprintf(first, sizeof(first), "%.2f", r->first_ns / 1e6);
		fprintf(f, "%-14s %-8s %7.2f %9.0f %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
			" %6" PRIu64 " %10s  %s%s\n", r->scenario, as_status_name(r->status), r->duration_s,
			r->setup_ns / 1e6, ctr(r, "alloc"), ctr(r, "free"), ctr(r, "alloc_pages"), ctr(r, "faults"), ctr(r, "sweep"),
			r->nviol, first, kinds, r->interrupted ? " (interrupted)" : "");
	}
	causes_lines(f, reps, n);
	for (int i = 0; i < n; i++)
		if (reps[i].note[0])
			fprintf(f, "note: %s: %s\n", reps[i].scenario, reps[i].note);
	fprintf(f, "(allocs, frees: BPF calls; pages: pages allocated; faults: the scenario process's page "
		"faults; README.md, \"The final table\")\n");
	for (int i = 0; i < n; i++)	/* said once: it is the kernel's, not the scenario's */
		if ((reps[i].status == AS_RAN || reps[i].status == AS_NOWORK) && reps[i].acct_why[0]) {
			fprintf(f, "accounting oracle off: %s\n", reps[i].acct_why);
			break;
		}
	for (int i = 0; i < n; i++)
		if ((reps[i].status == AS_RAN || reps[i].status == AS_NOWORK) && reps[i].nosleep_why[0]) {
			fprintf(f, "non-sleepable and deferred arena paths off: %s\n", reps[i].nosleep_why);
			break;
		}
	coverage_lines(f, reps, n);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A violation's cause: "new", "tool", or the row's cause. */
static void json_cause(FILE *f, int i)
{
	const struct as_cause *c = as_cause_get(i);

	if (!c) {
		json_str(f, i < 0 ? "tool" : "new");
		return;
	}
	fprintf(f, "{\"id\": ");
	json_str(f, c->id);
	fprintf(f, ", \"title\": ");
	json_str(f, c->title);
	if (!strncmp(c->id, "upstream ", 9)) {
		fprintf(f, ", \"fixed_in\": ");
		json_str(f, c->fixed);
		fprintf(f, ", \"stable\": ");
		json_str(f, c->stable);
	}
	fprintf(f, ", \"ref\": ");
	json_str(f, c->ref);
	fprintf(f, "}");
}

/* Where the run is: "host", or what the VM runner's /init says (AS_WHERE:
 * "vm: PACKAGE-OR-IMAGE"). */
const char *as_where(void)
{
	const char *w = getenv("AS_WHERE");

	return w && *w ? w : "host";
}

int as_report_json(FILE *f, struct as_report *reps, int n, const char *kernel_release, int exit_code)
{
	char summary[512];

	as_causes_summary(reps, n, summary, sizeof(summary));
	fprintf(f, "{\n  \"tool\": \"arena-stress\",\n  \"kernel\": ");
	json_str(f, kernel_release);
	fprintf(f, ",\n  \"where\": ");
	json_str(f, as_where());
	fprintf(f, ",\n  \"exit_code\": %d,\n  \"causes\": ", exit_code);
	json_str(f, summary);
	fprintf(f, ", \"all_known\": %s", !summary[0] ? "null" : !strncmp(summary, "all known", 9) ? "true"
		: "false");
	fprintf(f, ",\n  \"scenarios\": [");
	for (int i = 0; i < n; i++) {
		struct as_report *r = &reps[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, r->scenario);
		fprintf(f, ", \"status\": \"%s\", \"seed\": %" PRIu64 ", \"duration_s\": %.3f, \"setup_ms\": %.3f"
			", \"interrupted\": %s, \"sweep_every_ms\": %.1f, \"sweep_ms\": %.3f", as_status_name(r->status),
			r->seed, r->duration_s, r->setup_ns / 1e6, r->interrupted ? "true" : "false", r->sweep_every_ms,
			r->sweep_ms);
		if (r->status != AS_RAN && r->status != AS_NOWORK) {
			fprintf(f, ", \"reason\": ");
			json_str(f, r->why);
		}
		if (r->note[0]) {
			fprintf(f, ", \"note\": ");
			json_str(f, r->note);
		}
		fprintf(f, ", \"accounting\": ");
		json_str(f, r->acct_why[0] ? r->acct_why : "on");
		fprintf(f, ", \"nosleep_paths\": ");
		json_str(f, r->nosleep_why[0] ? r->nosleep_why : "on");
		fprintf(f, ",\n     \"counters\": {");
		for (int j = 0; j < r->nctr; j++)
			fprintf(f, "%s\"%s\": %" PRIu64, j ? ", " : "", r->ctr_name[j], r->ctr[j]);
		fprintf(f, "},\n     \"violations_total\": %" PRIu64 ", \"first_detection_ms\": ", r->nviol);
		if (r->first_ns >= 0)
			fprintf(f, "%.3f", r->first_ns / 1e6);
		else
			fprintf(f, "null");
		fprintf(f, ", \"by_kind\": {");
		for (int j = 1, k = 0; j < V__NR; j++)
			if (r->by_kind[j])
				fprintf(f, "%s\"%s\": %" PRIu64, k++ ? ", " : "", as_vkind_name[j], r->by_kind[j]);
		fprintf(f, "}, \"by_cause\": {");
		for (int j = 1, k = 0; j <= AS_CAUSES_MAX + 1; j++) {
			int c = j % (AS_CAUSES_MAX + 1);	/* the known ones, then new */

			if (!r->by_cause[c])
				continue;
			fprintf(f, "%s", k++ ? ", " : "");
			json_str(f, c ? as_cause_get(c)->id : "new");
			fprintf(f, ": %" PRIu64, r->by_cause[c]);
		}
		fprintf(f, "},\n     \"coverage\": ");
		if (r->cov_on)
			fprintf(f, "{\"arena_faults\": %" PRIu64 ", \"frees\": %" PRIu64 ", \"free_during_fault\": %" PRIu64
				", \"arena_zaps\": %" PRIu64 ", \"zap_during_teardown\": %" PRIu64 ", \"pinned_frees\": %"
				PRIu64 ", \"iowq_faults\": %" PRIu64 ", \"remote_faults\": %" PRIu64 ", \"deferred_runs\": %" PRIu64
				", \"deferred_during_fault\": %" PRIu64 ", \"unavailable\": ",
				(uint64_t)r->cov.arena_faults, (uint64_t)r->cov.frees, (uint64_t)r->cov.free_during_fault,
				(uint64_t)r->cov.arena_zaps, (uint64_t)r->cov.zap_during_teardown,
				(uint64_t)r->cov.pinned_frees, (uint64_t)r->cov.iowq_faults, (uint64_t)r->cov.remote_faults,
				(uint64_t)r->cov.deferred_runs, (uint64_t)r->cov.deferred_during_fault);
		else
			fprintf(f, "{\"unavailable\": ");
		json_str(f, r->cov_unavail[0] ? r->cov_unavail : r->cov_on ? "" : "off");
		fprintf(f, "}");
		fprintf(f, ",\n     \"memcg_delta_kb\": ");
		if (r->leak_checked)
			fprintf(f, "%lld", r->leak_delta / 1024);
		else
			fprintf(f, "null");
		if (r->arena_cg_checked)
			fprintf(f, ",\n     \"arena_memcg_after_kb\": %lld", r->arena_cg_kb);
		fprintf(f, ",\n     \"kernel_log\": ");
		json_str(f, r->kernel);
		fprintf(f, ",\n     \"violations\": [");
		for (int j = 0; j < r->nkept; j++) {
			struct as_violation *v = &r->v[j];

			fprintf(f, "%s\n       {\"kind\": \"%s\", \"t_ms\": %.3f, \"page\": %u, \"addr\": \"%#" PRIx64
				"\", \"saw\": ", j ? "," : "", as_vkind_name[v->kind], v->t_ns / 1e6, v->pgoff, v->addr);
			json_str(f, v->saw);
			fprintf(f, ", \"pfn_user\": \"%#" PRIx64 "\", \"pfn_after\": \"%#" PRIx64
				"\", \"confirmed\": %s, \"classification\": ", v->pfn_user, v->pfn_after,
				v->confirmed ? "true" : "false");
			json_str(f, v->classify);
			fprintf(f, ", \"cause\": ");
			json_cause(f, v->cause);
			fprintf(f, ", \"repro\": \"arena-stress --scenario %s --seed %" PRIu64 "\"}", r->scenario, r->seed);
		}
		fprintf(f, "%s]}", r->nkept ? "\n     " : "");
	}
	fprintf(f, "\n  ]\n}\n");
	return ferror(f) ? -1 : 0;
}

int as_exit_code(const struct as_report *reps, int n, bool output_failed)
{
	bool splat = false, viol = false, failed = false, ran = false;

	for (int i = 0; i < n; i++) {
		splat |= reps[i].by_kind[V_KERNEL] > 0;
		viol |= reps[i].nviol > reps[i].by_kind[V_STUCK];
		/* a worker stuck outside the kernel is the tool's failure */
		failed |= reps[i].status == AS_FAILED || reps[i].by_kind[V_STUCK] > 0;
		ran |= reps[i].status == AS_RAN;
	}
	return splat ? AS_EXIT_SPLAT : output_failed ? AS_EXIT_USAGE : viol ? AS_EXIT_VIOLATION
	     : failed ? AS_EXIT_USAGE : !ran ? AS_EXIT_SKIPPED : AS_EXIT_CLEAN;
}

int as_tmp_beside(const char *path, char *tmp, size_t len)
{
	char copy[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", path);
	if ((size_t)snprintf(tmp, len, "%s/.arena-stress-XXXXXX", dirname(copy)) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkostemp(tmp, O_CLOEXEC);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= w;
	}
	return 0;
}

int as_out_open(struct as_out *out, const char *path, char *err, size_t len)
{
	static const char probe[4096];
	char tmp[PATH_MAX + 32];
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (stat(path, &st)) {
		if (errno != ENOENT) {
			snprintf(err, len, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (!lstat(path, &st)) {	/* the link is there, what it names is not */
			snprintf(err, len, "%s: a symbolic link to nothing", path);
			return -1;
		}
		snprintf(out->path, sizeof(out->path), "%s", path);
	} else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		/* written, never replaced; a FIFO without a reader would block */
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISFIFO(st.st_mode) ? O_NONBLOCK : 0));
		if (fd < 0 && errno == ENXIO && S_ISFIFO(st.st_mode) && !access(path, W_OK)) {
			out->how = AS_OUT_OPEN_LATER;
			snprintf(out->path, sizeof(out->path), "%s", path);
			return 0;
		}
		/* a write of nothing still fails where every write would (/dev/full) */
		if (fd < 0 || (S_ISFIFO(st.st_mode) && fcntl(fd, F_SETFL, 0)) || write(fd, "", 0) < 0) {
			snprintf(err, len, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		out->how = AS_OUT_FD;
		out->fd = fd;
		return 0;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory"
			 : S_ISBLK(st.st_mode) ? "is a block device (not overwritten)"
			 : "not a regular file, a character device or a FIFO");
		return -1;
	} else if (access(path, W_OK)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	} else if (!realpath(path, out->path)) {	/* a symlink: the file it names is replaced */
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	} else {
		out->existed = true;
		out->st = st;
	}
	/* the report is written beside it and renamed over it: that must be
	 * possible now, with room for a page of it */
	fd = as_tmp_beside(out->path, tmp, sizeof(tmp));
	if (fd < 0) {
		int e = errno;
		char d[PATH_MAX];
		const char *dir;
		struct stat ds;

		snprintf(d, sizeof(d), "%s", out->path);
		dir = dirname(d);
		if (e == ENOENT && stat(dir, &ds))
			snprintf(err, len, "%s: no such directory %s", path, dir);
		else
			snprintf(err, len, "%s: cannot create a file in %s (%s): the report is written beside "
				 "it and renamed over it", path, dir, strerror(e));
		return -1;
	}
	unlink(tmp);
	if (write_all(fd, probe, sizeof(probe)) || fsync(fd)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	out->how = AS_OUT_REPLACE;
	return 0;
}

int as_out_write(struct as_out *out, const char *data, size_t n, char *err, size_t len)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	struct stat st;
	mode_t um;
	int fd;

	switch (out->how) {
	case AS_OUT_NONE:
		return 0;
	case AS_OUT_OPEN_LATER:
		out->fd = open(out->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (out->fd < 0)
			break;
		out->how = AS_OUT_FD;
		/* fall through */
	case AS_OUT_FD:
		if (write_all(out->fd, data, n))
			break;
		return 0;
	case AS_OUT_REPLACE:
		/* what is there now must still be a file to replace */
		if (!lstat(out->path, &st) && !S_ISREG(st.st_mode)) {
			snprintf(err, len, "%s is no longer a regular file: not replaced", out->path);
			return -1;
		}
		fd = as_tmp_beside(out->path, tmp, sizeof(tmp));
		if (fd < 0)
			break;
		um = umask(0);
		umask(um);
		if ((out->existed && geteuid() == 0 && fchown(fd, out->st.st_uid, out->st.st_gid)) ||
		    fchmod(fd, out->existed ? out->st.st_mode & 07777 : 0666 & ~um) ||
		    write_all(fd, data, n) || fsync(fd)) {
			int e = errno;

			close(fd);
			unlink(tmp);
			errno = e;
			break;
		}
		if (close(fd) || rename(tmp, out->path)) {
			int e = errno;

			unlink(tmp);
			errno = e;
			break;
		}
		snprintf(dir, sizeof(dir), "%s", out->path);
		if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);	/* the rename itself, on disk */
			close(fd);
		}
		return 0;
	}
	snprintf(err, len, "%s", strerror(errno));
	return -1;
}

void as_out_close(struct as_out *out)
{
	if (out->how == AS_OUT_FD && out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	out->how = AS_OUT_NONE;
}
