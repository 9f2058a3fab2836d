// SPDX-License-Identifier: GPL-2.0
/* Option parsing: defaults, every option, and one-line errors naming the
 * option for bad values (exit code 2). */
#include "opts.h"
#include "unit.h"

static int parse(struct as_opts *o, char *err, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = {"arena-stress", (char *)a1, (char *)a2, (char *)a3, NULL};
	int argc = 1 + !!a1 + !!a2 + !!a3;

	return as_parse_opts(argc, argv, o, err, 256);
}

static void bad(const char *a1, const char *a2, const char *names)
{
	struct as_opts o;
	char err[256];

	ASSERT_EQ(parse(&o, err, a1, a2, NULL), AS_EXIT_USAGE, a1);
	ASSERT_STR_HAS(err, names, a1);
	ASSERT_TRUE(!strchr(err, '\n'), "error is one line");
}

int main(void)
{
	struct as_opts o;
	char err[256];

	ASSERT_EQ(parse(&o, err, NULL, NULL, NULL), 0, "no arguments");
	ASSERT_EQ(o.duration * 10, 100, "default duration 10 s");
	ASSERT_EQ(o.pages, 64, "default pages");
	ASSERT_EQ(o.nscen, 0, "default: all scenarios");
	ASSERT_TRUE(!o.seed_set && !o.json && !o.unsafe, "defaults off");

	ASSERT_EQ(parse(&o, err, "--scenario", "fault-free,other", "-v"), 0, "scenario list");
	ASSERT_EQ(o.nscen, 2, "two names");
	ASSERT_TRUE(!strcmp(o.scen[0], "fault-free") && !strcmp(o.scen[1], "other"), "names split on ','");
	ASSERT_EQ(o.verbose, 1, "-v");

	ASSERT_EQ(parse(&o, err, "--seed=42", "-d", "0.5"), 0, "seed and duration");
	ASSERT_TRUE(o.seed_set && o.seed == 42, "seed");
	ASSERT_EQ(o.duration * 10, 5, "fractional duration");

	ASSERT_EQ(parse(&o, err, "--pages", "4096", "-x"), 0, "pages");
	ASSERT_EQ(o.pages, 4096, "pages value");
	ASSERT_TRUE(o.stop_on_violation, "-x");

	ASSERT_EQ(parse(&o, err, "--repro", "/tmp/r", NULL), 0, "--repro");
	ASSERT_TRUE(o.repro && !strcmp(o.repro, "/tmp/r"), "--repro directory");
	ASSERT_TRUE(o.stop_on_violation, "--repro implies -x");
	ASSERT_EQ(parse(&o, err, "--repro", "", NULL), AS_EXIT_USAGE, "empty --repro");
	ASSERT_STR_HAS(err, "--repro", "names --repro");
	ASSERT_EQ(parse(&o, err, "--inject", "pin", NULL), 0, "--inject pin");
	ASSERT_TRUE(o.inject & AS_INJ_PIN, "pin injection set");

	ASSERT_EQ(parse(&o, err, "-b", "4", "--user-threads=0"), 0, "threads");
	ASSERT_EQ(o.bpf_threads, 4, "bpf threads");
	ASSERT_EQ(o.user_threads, 0, "user threads 0 (negative control)");

	ASSERT_EQ(parse(&o, err, "--json", "-", "--affinity=none"), 0, "json to stdout");
	ASSERT_TRUE(o.json && !strcmp(o.json, "-") && o.affinity == AS_AFF_NONE, "json, affinity");

	ASSERT_EQ(parse(&o, err, "--nap-us", "0", NULL), 0, "nap off");
	ASSERT_EQ(o.nap_us, 0, "nap value");
	ASSERT_EQ(parse(&o, err, "--inject", "dirty-alloc", "--unsafe"), 0, "inject");
	ASSERT_TRUE(o.inject && o.unsafe, "inject, unsafe");

	/* the whole 4 GiB an arena can span, and a base that is not 4 GiB-aligned */
	ASSERT_EQ(o.arena_base, 0x100000000000ULL, "default base: 4 GiB-aligned");
	ASSERT_EQ(parse(&o, err, "-p", "1048576", NULL), 0, "a 4 GiB arena");
	ASSERT_EQ(parse(&o, err, "--arena-base", "0x100080000000", NULL), 0, "a base at 2 GiB into a window");
	ASSERT_EQ(o.arena_base, 0x100080000000ULL, "base value");
	ASSERT_EQ(parse(&o, err, "--arena-base", "0x100080000000", "-p524288"), 0, "2 GiB from 2 GiB: fits");
	ASSERT_EQ(parse(&o, err, "--arena-base", "0x100080000000", "-p524289"), AS_EXIT_USAGE,
		  "a page more crosses 4 GiB");
	ASSERT_STR_HAS(err, "crosses a 4 GiB boundary", "and says so");

	/* numbers are decimal only: no octal, hex, sign or space */
	ASSERT_EQ(parse(&o, err, "-p", "010", NULL), 0, "-p 010 is decimal");
	ASSERT_EQ(o.pages, 10, "-p 010 = 10 pages, not octal 8");
	ASSERT_EQ(parse(&o, err, "-p", "08", NULL), 0, "-p 08 is decimal too");
	ASSERT_EQ(o.pages, 8, "-p 08 = 8 pages");
	bad("-p", "0x10", "--pages");
	bad("-d", "0x10", "--duration");
	bad("-d", "1e3", "--duration");
	bad("-S", " -1", "--seed");
	bad("-S", "18446744073709551616", "--seed");
	ASSERT_EQ(parse(&o, err, "-S", "18446744073709551615", NULL), 0, "the largest seed");
	/* the option to blame is the one given */
	bad("-Zx", NULL, "'-Z'");
	ASSERT_EQ(parse(&o, err, "-d", "1", "-Zx"), AS_EXIT_USAGE, "-d 1 -Zx");
	ASSERT_STR_HAS(err, "'-Z'", "-d 1 -Zx blames -Z");
	bad("-d", NULL, "--duration");
	/* values that are options, empty values, names twice */
	ASSERT_EQ(parse(&o, err, "-j", "-v", NULL), AS_EXIT_USAGE, "-j -v");
	ASSERT_STR_HAS(err, "--json needs a value", "-j -v names --json");
	bad("--json", "", "--json");
	bad("--scenario", "fault-free,fault-free", "named twice");
	/* scenario options: in the table, default off, --unsafe turns this one on */
	ASSERT_EQ(parse(&o, err, "--gup-dio-dir", "/tmp", NULL), 0, "a scenario's own option");
	ASSERT_EQ(parse(&o, err, "--io-wq-munmap", NULL, NULL), 0, "--io-wq-munmap");
	bad("--io-wq-munmap=1", NULL, "--io-wq-munmap");

	/* --version; long options named as written: a value given to a flag,
	 * an ambiguous prefix (with its candidates), a unique prefix taken */
	ASSERT_EQ(parse(&o, err, "--version", NULL, NULL), 0, "--version");
	ASSERT_TRUE(o.version, "--version set");
	ASSERT_EQ(parse(&o, err, "-V", NULL, NULL), 0, "-V");
	ASSERT_TRUE(o.version, "-V set");
	bad("--verbose=3", NULL, "option --verbose takes no value (got '--verbose=3')");
	bad("--help=x", NULL, "option --help takes no value");
	bad("--verb=2", NULL, "option --verbose takes no value (got '--verb=2')");
	bad("--s", NULL, "ambiguous option '--s' (could be --scenario, --seed, --sweep-ms, --stop-on-violation");
	bad("--ver", NULL, "ambiguous option '--ver' (could be --verbose, --version)");
	bad("--s=1", NULL, "ambiguous option '--s'");
	ASSERT_EQ(parse(&o, err, "--verb", "--dur", "2"), 0, "unique prefixes");
	ASSERT_TRUE(o.verbose == 1 && o.duration == 2, "and what they name");
	bad("-v", "-Zx", "unknown option '-Z'");
	bad("--unsafe", "-Zx", "unknown option '-Z'");
	/* one line, whatever the value holds */
	bad("--pages", "1\n2", "'1?2'");	/* bad() also checks it is one line */
	bad("--no-such\nthing", NULL, "'--no-such?thing'");
	/* empty scenario names, however they come */
	bad("--scenario", ",", "empty scenario name in ','");
	bad("-s", "fault-free,,madvise", "empty scenario name in 'fault-free,,madvise'");
	bad("-s", "fault-free,", "empty scenario name");
	bad("-s", ",fault-free", "empty scenario name");
	ASSERT_EQ(parse(&o, err, "-s", "a,b", "-s" ), AS_EXIT_USAGE, "-s with no value");
	ASSERT_EQ(parse(&o, err, "-s", "a,b,c", NULL), 0, "three names");
	ASSERT_TRUE(o.nscen == 3 && !strcmp(o.scen[2], "c"), "split on ','");

	/* out of range or malformed: option, value, what the error must name */
	static const char *const cases[][3] = {
		{"--pages", "3", "--pages"}, {"--pages", "1048577", "--pages"}, {"--pages", "12x", "--pages"},
		{"--duration", "abc", "--duration"}, {"--duration", "0", "--duration"},
		{"--duration", "-1", "--duration"}, {"--seed", "-5", "--seed"},
		{"--bpf-threads", "0", "--bpf-threads"}, {"--user-threads", "33", "--user-threads"},
		{"--sweep-ms", "0", "--sweep-ms"}, {"--affinity", "both", "--affinity"},
		{"--nap-us", "100001", "--nap-us"}, {"--inject", "nothing", "--inject"},
		{"--bogus", NULL, "--bogus"}, {"--pages", NULL, "--pages"}, {"stray", NULL, "stray"},
		{"--arena-base", "4096", "--arena-base"}, {"--arena-base", "0x1234", "--arena-base"},
		{"--arena-base", "0x0", "--arena-base"}, {"--arena-base", "0x400000000000", "--arena-base"},
		{"--arena-base", "0x10000000zz00", "--arena-base"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad(cases[i][0], cases[i][1], cases[i][2]);
	T_DONE();
}
