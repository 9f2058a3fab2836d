// SPDX-License-Identifier: GPL-2.0
/* The report: violations are counted and kept, the table shows them, and
 * the JSON is valid (checked by python3's parser) and carries the evidence.
 * The exit code's precedence.  The output file: replaced whole or not at
 * all, a device or FIFO written and never replaced. */
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
	T_DONE();
}
