// SPDX-License-Identifier: GPL-2.0
/* --repro DIR: what it accepts before the run (a directory it may write, or
 * a path to create), what it refuses (a file, a device, the --json path, a
 * directory holding files it did not write), and that it writes only its
 * own files, creating the directory only then and removing what it created
 * when the write fails. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "repro.h"
#include "unit.h"

static char dir[] = "/tmp/as-unit-repro-XXXXXX";

static const char *at(const char *name)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], PATH_MAX, "%s/%s", dir, name);
	return p[i];
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static void refused(const char *d, const char *json, const char *says)
{
	char err[512];

	ASSERT_EQ(as_repro_check(d, json, err, sizeof(err)), -1, d);
	ASSERT_STR_HAS(err, says, d);
	ASSERT_TRUE(!strchr(err, '\n'), "one line");
}

int main(void)
{
	static struct as_report rep;
	struct as_violation v = {.kind = V_STALE_FREE, .pgoff = 3, .addr = 0x100000003000ULL};
	char err[512], buf[64];
	FILE *f;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary directory"))
		T_DONE();
	as_report_init(&rep, "fault-free", 7);
	snprintf(v.saw, sizeof(v.saw), "user reads 1, BPF reads 0");

	/* accepted: a new path in a writable directory, an empty directory */
	ASSERT_EQ(as_repro_check(at("new"), NULL, err, sizeof(err)), 0, "a path to create");
	ASSERT_TRUE(!exists(at("new")), "is not created by the check");
	mkdir(at("empty"), 0755);
	ASSERT_EQ(as_repro_check(at("empty"), at("r.json"), err, sizeof(err)), 0, "an empty directory");

	/* refused */
	f = fopen(at("file"), "w");
	fputs("mine", f);
	fclose(f);
	refused(at("file"), NULL, "not a directory (a regular file)");
	refused("/dev/null", NULL, "not a directory (a device)");
	refused(at("new"), at("new"), "the same path as --json");
	refused(at("empty"), at("empty/README.md"), "is a file of the reproducer");
	refused("/nonexistent-dir/r", NULL, "no such directory /nonexistent-dir");
	mkdir(at("theirs"), 0755);
	f = fopen(at("theirs/Makefile"), "w");
	fputs("all:\n", f);
	fclose(f);
	refused(at("theirs"), NULL, "holds a Makefile that --repro did not write");

	/* the write: only then the directory, then each file whole, and a mark */
	ASSERT_EQ(as_repro_write(at("new"), &rep, &v, "6.18.0-test", err, sizeof(err)), 0, "written");
	ASSERT_TRUE(exists(at("new/repro.c")) && exists(at("new/repro.bpf.c")) && exists(at("new/Makefile")) &&
		    exists(at("new/README.md")) && exists(at("new/.arena-stress-repro")), "its files");
	ASSERT_EQ(as_repro_check(at("new"), NULL, err, sizeof(err)), 0, "a directory --repro wrote: accepted again");
	ASSERT_EQ(as_repro_write(at("new"), &rep, &v, "6.18.0-test", err, sizeof(err)), 0, "and written again");
	/* a directory holding a file of its own: never replaced */
	ASSERT_EQ(as_repro_write(at("theirs"), &rep, &v, "6.18.0-test", err, sizeof(err)), -1,
		  "not written over a Makefile of someone else");
	f = fopen(at("theirs/Makefile"), "r");
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	fclose(f);
	ASSERT_TRUE(!strcmp(buf, "all:\n"), "which is untouched");
	ASSERT_TRUE(!exists(at("theirs/repro.c")), "and nothing added");

	/* a kind without a template: nothing created */
	v.kind = V_DIRTY_ALLOC;
	ASSERT_EQ(as_repro_write(at("none"), &rep, &v, "6.18.0-test", err, sizeof(err)), -1, "no template");
	ASSERT_STR_HAS(err, "no minimal reproducer for a dirty-alloc violation", "says so");
	ASSERT_TRUE(!exists(at("none")), "and creates no directory");
	v.kind = V_STALE_FREE;

	/* a write that fails half-way: what it created goes, the directory too */
	{
		struct rlimit rl, small = {.rlim_cur = 64};

		getrlimit(RLIMIT_FSIZE, &rl);
		small.rlim_max = rl.rlim_max;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &small);
		ASSERT_EQ(as_repro_write(at("half"), &rep, &v, "6.18.0-test", err, sizeof(err)), -1,
			  "a write that cannot complete fails");
		ASSERT_TRUE(!exists(at("half")), "and leaves no directory it created");
		ASSERT_EQ(as_repro_write(at("empty"), &rep, &v, "6.18.0-test", err, sizeof(err)), -1,
			  "into a directory of the user's");
		setrlimit(RLIMIT_FSIZE, &rl);
		ASSERT_TRUE(exists(at("empty")), "which stays");
		ASSERT_TRUE(!exists(at("empty/repro.bpf.c")) && !exists(at("empty/.arena-stress-repro")),
			    "emptied of what it wrote");
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ASSERT_EQ(system(cmd), 0, "cleaned up");
	}
	T_DONE();
}
