// SPDX-License-Identifier: GPL-2.0
/* The report: violations are counted and kept, the table shows them, and
 * the JSON is valid (checked by python3's parser) and carries the evidence.
 * The exit code's precedence.  The output file: replaced whole or not at
 * all, a device or FIFO written and never replaced.  The known causes: the
 * pattern matcher, kernel ranges, the table's parser, and each violation's
 * cause in the table, the JSON and the summary the result line quotes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "report.h"
#include "unit.h"

static const char *const names[] = {"alloc", "free", "faults", "sweep"};

static struct as_report xr[3];

/* the reports of a run: one scenario each status, n violations of kind k */
static void rep(int i, enum as_status st, enum as_vkind k, int n)
{
	struct as_violation v = {.kind = k};

	as_report_init(&xr[i], "s", 1);
	xr[i].status = st;
	while (n--)
		as_report_add(&xr[i], &v);
}

static void exit_codes(void)
{
	rep(0, AS_RAN, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 1, false), AS_EXIT_CLEAN, "ran, nothing found: 0");
	ASSERT_EQ(as_exit_code(xr, 1, true), AS_EXIT_USAGE, "clean, but the report not written: 2");
	ASSERT_EQ(as_exit_code(xr, 0, false), AS_EXIT_SKIPPED, "no scenario: nothing ran, 4");
	rep(0, AS_SKIPPED, V_COHERENCE, 0);
	rep(1, AS_NOWORK, V_COHERENCE, 0);
	rep(2, AS_NOTRUN, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 3, false), AS_EXIT_SKIPPED, "skipped, no work, not run: 4");
	rep(2, AS_KILLED, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 3, false), AS_EXIT_SKIPPED, "killed before any finding: 4");
	rep(2, AS_RAN, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 3, false), AS_EXIT_CLEAN, "one ran clean, the others skipped: 0");
	rep(1, AS_FAILED, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 3, false), AS_EXIT_USAGE, "failed beats clean: 2");
	rep(1, AS_FAILED, V_COHERENCE, 0);
	rep(2, AS_SKIPPED, V_COHERENCE, 0);
	rep(0, AS_SKIPPED, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 3, false), AS_EXIT_USAGE, "failed beats nothing ran (the host refused): 2");
	rep(0, AS_RAN, V_STUCK, 1);
	ASSERT_EQ(as_exit_code(xr, 1, false), AS_EXIT_USAGE, "a worker stuck outside the kernel: the tool's, 2");
	rep(0, AS_RAN, V_STALE_FREE, 2);
	ASSERT_EQ(as_exit_code(xr, 1, false), AS_EXIT_VIOLATION, "violations: 1");
	rep(1, AS_FAILED, V_COHERENCE, 0);
	ASSERT_EQ(as_exit_code(xr, 2, false), AS_EXIT_VIOLATION, "violations beat another's failure: 1");
	/* a scenario process that died after its first violation: exit 1, and
	 * its status stays "failed" (said in the table, JSON, result line) */
	rep(0, AS_FAILED, V_COHERENCE, 1);
	ASSERT_EQ(as_exit_code(xr, 1, false), AS_EXIT_VIOLATION, "failed after a violation: 1");
	ASSERT_EQ(xr[0].status, AS_FAILED, "and its status stays failed");
	rep(0, AS_RAN, V_STUCK, 1);
	xr[0].by_kind[V_COHERENCE]++, xr[0].nviol++;
	ASSERT_EQ(as_exit_code(xr, 1, false), AS_EXIT_VIOLATION, "a violation beside tool-stuck: 1");
	ASSERT_EQ(as_exit_code(xr, 1, true), AS_EXIT_USAGE, "violations, the report asked for not written: 2");
	rep(1, AS_RAN, V_KERNEL, 1);
	ASSERT_EQ(as_exit_code(xr, 2, false), AS_EXIT_SPLAT, "a splat beats violations: 3");
	ASSERT_EQ(as_exit_code(xr, 2, true), AS_EXIT_SPLAT, "and an output failure: 3");
	rep(0, AS_FAILED, V_COHERENCE, 0);
	rep(1, AS_FAILED, V_KERNEL, 1);
	ASSERT_EQ(as_exit_code(xr, 2, false), AS_EXIT_SPLAT, "and failures: 3");
}

static void patterns(void)
{
	ASSERT_TRUE(as_re_search("split the arena", "the kernel split the arena VMA"), "a literal anywhere");
	ASSERT_TRUE(!as_re_search("split the arena", "split the aren"), "not a text shorter than it");
	ASSERT_TRUE(as_re_search("^the kernel", "the kernel split"), "^ at the start");
	ASSERT_TRUE(!as_re_search("^kernel", "the kernel split"), "^ only at the start");
	ASSERT_TRUE(as_re_search("^taint 0 -> 32$", "kmsg: x\ntaint 0 -> 32\n"), "^ and $ at a line's ends");
	ASSERT_TRUE(!as_re_search("^taint 0 -> 32$", "taint 0 -> 544"), "$ at the end, not before more");
	ASSERT_TRUE(as_re_search("page .* non-zero", "fresh page (alloc) had 6 non-zero words"), ".*");
	ASSERT_TRUE(!as_re_search("a.*b", "a\nb"), "'.' does not cross a line");
	ASSERT_TRUE(as_re_search("pfn:[0-9a-f]+$", "Bad page state pfn:02591"), "a class, +");
	ASSERT_TRUE(!as_re_search("pfn:[0-9a-f]+$", "Bad page state pfn:"), "+ wants one");
	ASSERT_TRUE(as_re_search("x[^0-9]y", "x-y") && !as_re_search("x[^0-9]y", "x5y"), "a negated class");
	ASSERT_TRUE(as_re_search("colou?r", "color") && as_re_search("colou?r", "colour"), "?");
	ASSERT_TRUE(as_re_search("a\\.b", "a.b") && !as_re_search("a\\.b", "axb"), "an escaped '.'");
	ASSERT_TRUE(as_re_search("^zzz|^the|nothing", "the end"), "an alternative past the first");
	ASSERT_TRUE(!as_re_search("^zzz|nothing", "the end"), "no alternative");
	ASSERT_TRUE(as_re_search("^$", ""), "the empty text");
	ASSERT_TRUE(!as_re_search("a[bc", "ab") && !as_re_search("*a", "a") && !as_re_search("a||b", "a"),
		    "a malformed pattern matches nothing");
}

static void kernel_ranges(void)
{
	const char *up = "6.9-6.12.87,6.13-6.18.29,6.19-7.0.6";

	ASSERT_EQ(as_kernel_in(up, "6.16.12+deb13-cloud-amd64"), 1, "6.16.12 in a range");
	ASSERT_EQ(as_kernel_in(up, "6.18.29"), 1, "the range's last release");
	ASSERT_EQ(as_kernel_in(up, "6.18.30+deb13-cloud-amd64"), 0, "past it");
	ASSERT_EQ(as_kernel_in(up, "6.12.118+deb12-cloud-amd64"), 0, "6.12.118: fixed");
	ASSERT_EQ(as_kernel_in(up, "6.12.87"), 1, "6.12.87: not");
	ASSERT_EQ(as_kernel_in(up, "6.19.14+deb13-cloud-amd64"), 1, "6.19.14");
	ASSERT_EQ(as_kernel_in(up, "7.0.13+deb13-cloud-amd64"), 0, "7.0.13");
	ASSERT_EQ(as_kernel_in(up, "6.8.0"), 0, "before arenas");
	ASSERT_EQ(as_kernel_in("7.3", "7.3.4+deb13-cloud-amd64"), 1, "a series: every 7.3.x");
	ASSERT_EQ(as_kernel_in("7.3", "7.30.1"), 0, "7.30 is not 7.3");
	ASSERT_EQ(as_kernel_in("7.3", "7.3"), 1, "7.3 itself");
	ASSERT_EQ(as_kernel_in("6.12.88", "6.12.88-1"), 1, "one release");
	ASSERT_EQ(as_kernel_in("6.12.88", "6.12.89"), 0, "only that one");
	ASSERT_EQ(as_kernel_in("7.3-", "10.0.1"), 1, "open-ended");
	ASSERT_EQ(as_kernel_in("6.12,7.3", "7.3.4"), 1, "a list");
	ASSERT_EQ(as_kernel_in("6", "6.12.1"), -1, "malformed: one part");
	ASSERT_EQ(as_kernel_in("6.12-x", "6.12.1"), -1, "malformed: the end");
	ASSERT_EQ(as_kernel_in("6.12;7.3", "6.12.1"), -1, "malformed: the separator");
	ASSERT_EQ(as_kernel_in("6.12", "unknown"), -1, "a release that is no version");
}

static void load_errors(void)
{
	static const char *const bad[][2] = {
		{"multi-process\tcontract\tx\t6.16\tfinding 1\tt\t-\t-\n", "not 9"},
		{"a\tno-such-kind\tx\t6.16\tfinding 1\tt\t-\t-\tr\n", "no violation kind 'no-such-kind'"},
		{"a\tcontract\t[x\t6.16\tfinding 1\tt\t-\t-\tr\n", "pattern '[x'"},
		{"a\tcontract\t(x)\t6.16\tfinding 1\tt\t-\t-\tr\n", "groups"},
		{"a\tcontract\tx\t6.x\tfinding 1\tt\t-\t-\tr\n", "kernels '6.x'"},
		{"a\tcontract\tx\t6.16\tsomething\tt\t-\t-\tr\n", "neither 'finding N'"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ASSERT_EQ(as_causes_load(bad[i][0], "6.16.12", err, sizeof(err)), -1, bad[i][1]);
		ASSERT_STR_HAS(err, bad[i][1], "says why");
		ASSERT_STR_HAS(err, "line 1", "and where");
	}
	ASSERT_EQ(as_causes_load("# only a comment\n\n", "6.16.12", err, sizeof(err)), 0, "an empty table");
}

/* A violation of scenario, kind, saw: added to r, its cause returned. */
static int add(struct as_report *r, enum as_vkind kind, const char *saw)
{
	struct as_violation v = {.kind = kind};

	snprintf(v.saw, sizeof(v.saw), "%s", saw);
	as_report_add(r, &v);
	return v.cause;
}

static const char *cause_id(int i)
{
	const struct as_cause *c = as_cause_get(i);

	return c ? c->id : i < 0 ? "tool" : "new";
}

static void causes(void)
{
	static struct as_report r[2];
	char err[256], sum[512], path[] = "/tmp/unit_report_c_XXXXXX", buf[65536], cmd[1600];
	const char *inherit = "the child inherited the arena VMA across fork: the whole arena was mapped in the "
			      "child before it mapped it (no VM_DONTCOPY)";
	int n, fd;
	FILE *f;

	/* the shipped table parses, and its rows apply where they say */
	n = as_causes_load(as_causes_tsv, "7.0.13+deb13-cloud-amd64", err, sizeof(err));
	if (!ASSERT_TRUE(n > 0, "findings/causes.tsv (built in) parses"))
		fprintf(stderr, "  %s\n", err);
	as_report_init(&r[0], "multi-process", 1);
	ASSERT_STR_HAS(cause_id(add(&r[0], V_CONTRACT, inherit)), "new", "7.0.13 has the fork fix: new");

	n = as_causes_load(as_causes_tsv, "6.16.12+deb13-cloud-amd64", err, sizeof(err));
	ASSERT_TRUE(n > 0, "and for 6.16");
	as_report_init(&r[0], "multi-process", 1);
	ASSERT_STR_HAS(cause_id(add(&r[0], V_CONTRACT, inherit)), "upstream 4fddde2a732d",
		       "6.16: the child's inherited VMA is the missing fork fix");
	ASSERT_STR_HAS(cause_id(add(&r[0], V_COHERENCE, inherit)), "new", "only for its kind");
	as_report_init(&r[1], "contract", 1);
	ASSERT_STR_HAS(cause_id(add(&r[1], V_CONTRACT, "the kernel split the arena VMA: munmap of one page inside "
				    "it succeeded")), "upstream 4fddde2a732d", "a split: the same fix");
	ASSERT_STR_HAS(cause_id(add(&r[1], V_CONTRACT, "a MAP_PRIVATE mapping of the arena succeeded at 0x1")),
		       "new", "another contract break: new");

	/* a splat is known only when every kernel line it added is */
	snprintf(r[1].kernel, sizeof(r[1].kernel), "kmsg: BUG: Bad page state in process arena-stress  pfn:02591\n"
		 "taint 0 -> 32\n");
	ASSERT_STR_HAS(cause_id(add(&r[1], V_KERNEL, r[1].kernel)), "finding 2", "Bad page state alone: finding 2");
	snprintf(r[1].kernel + strlen(r[1].kernel), sizeof(r[1].kernel) - strlen(r[1].kernel),
		 "kmsg: BUG: Bad page state in process arena-stress  pfn:02600\n");
	ASSERT_STR_HAS(cause_id(add(&r[1], V_KERNEL, r[1].kernel)), "finding 2", "and again");
	snprintf(r[1].kernel + strlen(r[1].kernel), sizeof(r[1].kernel) - strlen(r[1].kernel),
		 "kmsg: Oops: int3: 0000 [#1] SMP NOPTI\noops_count 0 -> 1\n");
	ASSERT_STR_HAS(cause_id(add(&r[1], V_KERNEL, r[1].kernel)), "new", "an Oops besides: new");
	ASSERT_STR_HAS(cause_id(add(&r[1], V_KERNEL, r[1].kernel)), "new", "no new kernel line to judge: new");
	ASSERT_EQ(add(&r[1], V_STUCK, "worker 2 never reached a quiesce point"), -1, "tool-stuck: the tool's");

	ASSERT_EQ(r[0].by_cause[0], 1, "counted: new");
	ASSERT_EQ(r[1].by_cause[0], 3, "counted: new (tool-stuck not)");
	as_causes_summary(r, 2, sum, sizeof(sum));
	ASSERT_STR_HAS(sum, "4 new; known: upstream 4fddde2a732d, finding 2",
		       "the summary: new first, then each known one once, in the table's order");
	as_causes_summary(r, 0, sum, sizeof(sum));
	ASSERT_EQ(sum[0], 0, "no violation: nothing to say");
	{
		static struct as_report k;

		as_report_init(&k, "contract", 1);
		add(&k, V_CONTRACT, inherit + 4);	/* "child inherited": not contract's message */
		add(&k, V_CONTRACT, "the forked child inherited the arena VMA across fork: the whole arena was mapped");
		as_causes_summary(&k, 1, sum, sizeof(sum));
		ASSERT_STR_HAS(sum, "1 new; known: upstream 4fddde2a732d", "a message of another scenario's is new");
		k.by_cause[0] = 0;
		as_causes_summary(&k, 1, sum, sizeof(sum));
		ASSERT_STR_HAS(sum, "all known: upstream 4fddde2a732d", "all known");
	}

	/* the table and the JSON say each one's cause */
	fd = mkstemp(path);
	f = fdopen(fd, "w+");
	as_report_print_violation(f, &r[0], &r[0].v[0]);
	as_report_table(f, r, 2);
	fflush(f);
	rewind(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	fclose(f);
	ASSERT_STR_HAS(buf, "  cause:    upstream 4fddde2a732d \"bpf: Fix use-after-free in arena_vm_close on fork\": "
		       "fixed in 7.1; stable: 7.0.7, 6.18.30, 6.12.88", "a violation's cause, printed");
	ASSERT_STR_HAS(buf, "causes (findings/causes.tsv):\n  multi-process       1  upstream 4fddde2a732d",
		       "the table's causes");
	ASSERT_STR_HAS(buf, "  contract            2  finding 2: page freed while a fault holds its lock",
		       "a finding, with its count");
	ASSERT_STR_HAS(buf, "  contract            3  new: no known cause matches", "and the new ones");
	f = fopen(path, "w");
	as_report_json(f, r, 2, "6.16.12+deb13-cloud-amd64", 1);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json; d=json.load(open(\"%s\")); s=d[\"scenarios\"];"
		 "assert d[\"all_known\"] is False and d[\"causes\"].startswith(\"4 new; known: \"), d;"
		 "assert s[0][\"by_cause\"]=={\"upstream 4fddde2a732d\": 1, \"new\": 1}, s[0][\"by_cause\"];"
		 "c=s[0][\"violations\"][0][\"cause\"]; assert c[\"id\"]==\"upstream 4fddde2a732d\" and c[\"fixed_in\"]==\"7.1\";"
		 "assert \"6.12.88\" in c[\"stable\"] and c[\"ref\"].startswith(\"https://lore.kernel.org/\");"
		 "assert s[0][\"violations\"][1][\"cause\"]==\"new\";"
		 "k=[v[\"cause\"] for v in s[1][\"violations\"]]; assert k[-1]==\"tool\" and k[2][\"id\"]==\"finding 2\", k;"
		 "assert \"fixed_in\" not in k[2] and k[2][\"ref\"]==\"findings/02-page-freed-while-locked.md\"'", path);
	ASSERT_EQ(system(cmd), 0, "the JSON carries each violation's cause and the counts by cause");
	unlink(path);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* nothing but what the test made is in dir: no temporary file left */
static int entries(const char *dir)
{
	char cmd[PATH_MAX + 64], buf[64];

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");

	buf[0] = 0;
	if (p) {
		if (!fgets(buf, sizeof(buf), p))
			buf[0] = 0;
		pclose(p);
	}
	return atoi(buf);
}

static void outputs(void)
{
	char dir[] = "/tmp/as-unit-out-XXXXXX", moved[PATH_MAX], p[PATH_MAX], q[PATH_MAX], buf[256], err[512];
	struct as_out o;
	struct stat a, b;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary directory"))
		return;
	/* an existing file: replaced by rename, its mode kept */
	snprintf(p, sizeof(p), "%s/r.json", dir);
	put_file(p, "old");
	chmod(p, 0640);
	stat(p, &a);
	ASSERT_EQ(as_out_open(&o, p, err, sizeof(err)), 0, "an existing file is accepted");
	slurp(p, buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "old"), "and untouched by the check");
	ASSERT_EQ(entries(dir), 1, "the check leaves no file behind");
	ASSERT_EQ(as_out_write(&o, "{\"new\": 1}\n", 12, err, sizeof(err)), 0, "written");
	as_out_close(&o);
	slurp(p, buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "{\"new\": 1}\n"), "the new report is there, whole");
	stat(p, &b);
	ASSERT_TRUE(a.st_ino != b.st_ino, "by rename: a new file, not the old one truncated");
	ASSERT_EQ(b.st_mode & 07777, 0640, "with the old file's mode");
	ASSERT_EQ(entries(dir), 1, "no temporary file left");

	/* the write cannot complete: the old file stays as it was */
	ASSERT_EQ(as_out_open(&o, p, err, sizeof(err)), 0, "again");
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	rename(dir, moved);	/* where the temporary file would go is gone */
	ASSERT_EQ(as_out_write(&o, "x", 1, err, sizeof(err)), -1, "a write that cannot complete fails");
	rename(moved, dir);
	slurp(p, buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "{\"new\": 1}\n"), "and the old report is untouched");
	{	/* a write that fails half-way (file size limit): the same */
		struct rlimit rl, small = {.rlim_cur = 4, .rlim_max = RLIM_INFINITY};

		getrlimit(RLIMIT_FSIZE, &rl);
		small.rlim_max = rl.rlim_max;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &small);
		ASSERT_EQ(as_out_write(&o, "0123456789", 10, err, sizeof(err)), -1, "a short write fails");
		setrlimit(RLIMIT_FSIZE, &rl);
		slurp(p, buf, sizeof(buf));
		ASSERT_TRUE(!strcmp(buf, "{\"new\": 1}\n"), "the old report untouched by a short write");
		ASSERT_EQ(entries(dir), 1, "its temporary file removed");
	}
	as_out_close(&o);

	/* a new file: created 0666 less the umask */
	snprintf(q, sizeof(q), "%s/new.json", dir);
	umask(022);
	ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), 0, "a new file");
	ASSERT_TRUE(stat(q, &a) && errno == ENOENT, "is not created by the check");
	ASSERT_EQ(as_out_write(&o, "{}", 2, err, sizeof(err)), 0, "written");
	as_out_close(&o);
	ASSERT_TRUE(!stat(q, &a) && (a.st_mode & 07777) == 0644, "mode 0666 & ~umask");
	unlink(q);

	/* a symlink: the link stays, the file it names is replaced */
	snprintf(q, sizeof(q), "%s/link.json", dir);
	symlink("r.json", q);
	ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), 0, "a symlink");
	ASSERT_EQ(as_out_write(&o, "L", 1, err, sizeof(err)), 0, "written");
	as_out_close(&o);
	ASSERT_TRUE(!lstat(q, &a) && S_ISLNK(a.st_mode), "the link is still a link");
	slurp(p, buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "L"), "and what it names was replaced");
	unlink(p);
	ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), -1, "a link to nothing is refused");
	unlink(q);

	/* refused before the run */
	ASSERT_EQ(as_out_open(&o, dir, err, sizeof(err)), -1, "a directory");
	ASSERT_STR_HAS(err, "is a directory", "says so");
	ASSERT_EQ(as_out_open(&o, "/proc/version", err, sizeof(err)), -1, "/proc/version");
	ASSERT_EQ(as_out_open(&o, "/nonexistent-dir/r.json", err, sizeof(err)), -1, "no such directory");
	ASSERT_STR_HAS(err, "no such directory /nonexistent-dir", "says so");
	ASSERT_TRUE(!strchr(err, '\n'), "one line");

	/* devices: written, never replaced; a full one refused up front */
	snprintf(q, sizeof(q), "%s/null", dir);
	if (geteuid() == 0 && !mknod(q, S_IFCHR | 0666, makedev(1, 3))) {
		ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), 0, "a character device");
		ASSERT_EQ(o.how, AS_OUT_FD, "written directly");
		ASSERT_EQ(as_out_write(&o, "{}", 2, err, sizeof(err)), 0, "written");
		as_out_close(&o);
		ASSERT_TRUE(!lstat(q, &a) && S_ISCHR(a.st_mode) && a.st_rdev == makedev(1, 3),
			    "and still the same device node");
		unlink(q);
		snprintf(q, sizeof(q), "%s/full", dir);
		mknod(q, S_IFCHR | 0666, makedev(1, 7));
		ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), -1, "a full device is refused before the run");
		ASSERT_STR_HAS(err, "No space left", "and says why");
		ASSERT_TRUE(!lstat(q, &a) && S_ISCHR(a.st_mode), "and is still a device node");
		unlink(q);
	} else {
		printf("note: device-node cases need root (mknod)\n");
	}
	snprintf(q, sizeof(q), "%s/fifo", dir);
	mkfifo(q, 0600);
	ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), 0, "a FIFO without a reader yet");
	ASSERT_EQ(o.how, AS_OUT_OPEN_LATER, "is opened when the report is written");
	as_out_close(&o);
	{
		int rfd = open(q, O_RDONLY | O_NONBLOCK);

		ASSERT_EQ(as_out_open(&o, q, err, sizeof(err)), 0, "a FIFO with a reader");
		ASSERT_EQ(as_out_write(&o, "{}", 2, err, sizeof(err)), 0, "written");
		as_out_close(&o);
		ASSERT_EQ(read(rfd, buf, sizeof(buf)), 2, "the reader has it");
		close(rfd);
		ASSERT_TRUE(!lstat(q, &a) && S_ISFIFO(a.st_mode), "and it is still a FIFO");
	}
	unlink(q);
	ASSERT_EQ(entries(dir), 0, "nothing left behind");
	rmdir(dir);
}

int main(void)
{
	static struct as_report r[2];
	struct as_violation v = {0};
	char path[] = "/tmp/as-unit-json-XXXXXX", cmd[2048], buf[8192];
	FILE *f;
	int fd;

	as_report_init(&r[0], "fault-free", 1234);
	r[0].status = AS_RAN;
	r[0].nctr = 4;
	r[0].ctr_name = names;
	r[0].ctr[0] = 10, r[0].ctr[1] = 9, r[0].ctr[2] = 8, r[0].ctr[3] = 2;
	for (int i = 0; i < AS_REP_KEEP_ANY + 4; i++) {
		v.kind = i % 2 ? V_COHERENCE : V_STALE_FREE;
		v.t_ns = 5000000 + i;
		v.pgoff = i;
		v.addr = 0x100000000000ULL + i * 4096;
		snprintf(v.saw, sizeof(v.saw), "user wrote \"%d\"\nBPF read \\0", i);
		v.pfn_user = 0x1234;
		v.confirmed = true;
		as_report_add(&r[0], &v);
	}
	ASSERT_EQ(r[0].nviol, AS_REP_KEEP_ANY + 4, "all violations counted");
	ASSERT_EQ(r[0].nkept, AS_REP_KEEP_ANY, "the first AS_REP_KEEP_ANY kept in full");
	{	/* a rare kind after many common ones keeps its evidence */
		static struct as_report rare;

		as_report_init(&rare, "gup", 1);
		for (int i = 0; i < 40; i++) {
			v.kind = i == 30 || i == 31 ? V_UNREACHABLE : V_STALE_FREE;
			as_report_add(&rare, &v);
		}
		ASSERT_EQ(rare.nkept, AS_REP_KEEP_ANY + 1, "the first of a later kind is kept, only the first");
		ASSERT_EQ(rare.v[AS_REP_KEEP_ANY].kind, V_UNREACHABLE, "and it is the rare one");
		ASSERT_EQ(rare.nviol, 40, "all still counted");
	}
	ASSERT_EQ(r[0].by_kind[V_COHERENCE], (AS_REP_KEEP_ANY + 4) / 2, "counted by kind");
	ASSERT_EQ(r[0].first_ns, 5000000, "time to first detection");

	as_report_init(&r[1], "other", 1234);
	r[1].status = AS_SKIPPED;
	snprintf(r[1].why, sizeof(r[1].why), "kernel lacks \"x\"");

	fd = mkstemp(path);
	f = fdopen(fd, "w+");
	as_report_table(f, r, 2);
	ASSERT_EQ(as_report_json(f, r, 2, "6.18.0-test", 1), 0, "json written");
	fflush(f);
	rewind(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	ASSERT_STR_HAS(buf, "fault-free     ran", "table row");
	ASSERT_STR_HAS(buf, "coherence=10 stale-free-mapping=10", "table kinds");
	ASSERT_STR_HAS(buf, "skipped", "skip row");
	fclose(f);

	/* JSON alone, through a real parser */
	f = fopen(path, "w");
	as_report_json(f, r, 2, "6.18.0-test", 1);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(\"%s\")); s=d[\"scenarios\"];"
		 "assert d[\"exit_code\"]==1 and d[\"kernel\"]==\"6.18.0-test\";"
		 "assert s[0][\"violations_total\"]==20 and len(s[0][\"violations\"])==16;"
		 "v=s[0][\"violations\"][1]; assert v[\"kind\"]==\"coherence\" and v[\"confirmed\"] is True;"
		 "assert v[\"saw\"].startswith(\"user wrote \\\"1\\\"\\nBPF\");"
		 "assert v[\"repro\"]==\"arena-stress --scenario fault-free --seed 1234\";"
		 "assert s[0][\"counters\"][\"alloc\"]==10 and s[0][\"first_detection_ms\"]==5.0;"
		 "assert s[1][\"status\"]==\"skipped\" and s[1][\"reason\"]==\"kernel lacks \\\"x\\\"\"'", path);
	ASSERT_EQ(system(cmd), 0, "JSON parses and carries the evidence");
	unlink(path);
	exit_codes();
	outputs();
	patterns();
	kernel_ranges();
	load_errors();
	causes();
	T_DONE();
}
