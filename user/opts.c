// SPDX-License-Identifier: GPL-2.0
/* Command-line options: strict parsing, one-line errors naming the option. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"
#include "arena_stress.h"

void as_opts_defaults(struct as_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->duration = 10.0;
	o->pages = 64;
	o->bpf_threads = 1;
	o->user_threads = 3;
	o->sweep_ms = 100;
	o->nap_us = 20;
}

void as_usage(FILE *f)
{
	fprintf(f,
"usage: arena-stress [options]\n"
"Stress BPF arena memory: BPF programs allocate and free arena pages while\n"
"user threads fault, read and write them; oracles check that user space and\n"
"BPF keep seeing the same memory.\n\n"
"  -s, --scenario NAME[,NAME]  scenarios to run (default: all this kernel supports)\n"
"  -l, --list                  list scenarios and whether this kernel supports them\n"
"  -d, --duration SEC          total run time, split over the scenarios (default 10)\n"
"  -S, --seed N                random seed (default: from the clock; printed)\n"
"  -p, --pages N               arena size in pages, 4..%d (default 64)\n"
"  -b, --bpf-threads N         BPF alloc/free threads, 1..16 (default 1)\n"
"  -u, --user-threads N        user fault/read/write threads, 0..32 (default 3;\n"
"                              0 = BPF churn only: a negative control)\n"
"  -a, --affinity MODE         spread: pin worker i to CPU i mod n (default);\n"
"                              none: let the scheduler place them\n"
"      --sweep-ms N            coherence sweep every N ms, 1..60000 (default 100)\n"
"      --nap-us N              BPF workers nap N us before each free, 0..100000\n"
"                              (default 20: the wake-up preempts a faulter mid-fault)\n"
"  -j, --json FILE             write the report as JSON to FILE ('-' = stdout,\n"
"                              the human report then goes to stderr)\n"
"  -x, --stop-on-violation     end a scenario at its first violation\n"
"      --unsafe                also run scenarios that may crash the kernel\n"
"      --no-kernel-watch       do not fail on kernel log splats\n"
"      --no-coverage           do not attach the race-window tracing (fentry/fexit)\n"
"      --repro DIR             stop at the first violation and write a minimal,\n"
"                              self-contained reproducer of it to DIR (BPF program,\n"
"                              C file, Makefile, README); implies -x\n"
"  -v, --verbose               more output (repeat for more)\n"
"  -h, --help                  this text\n\n"
"exit codes: 0 clean, 1 violations found, 2 usage or environment error,\n"
"            3 the kernel logged a splat, 4 nothing could run on this kernel\n",
		AS_MAX_PAGES);
}

static int num(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
	       char *err, size_t len)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, len, "invalid value '%s' for %s (expected an integer in %" PRIu64 "..%" PRIu64 ")",
		 s ? s : "", opt, lo, hi);
	return AS_EXIT_USAGE;
}

enum { O_UNSAFE = 256, O_SWEEP_MS, O_NO_KWATCH, O_INJECT, O_NAP_US, O_NO_COV, O_REPRO };

int as_parse_opts(int argc, char **argv, struct as_opts *o, char *err, size_t len)
{
	static const struct option lo[] = {
		{"scenario", required_argument, 0, 's'},
		{"list", no_argument, 0, 'l'},
		{"duration", required_argument, 0, 'd'},
		{"seed", required_argument, 0, 'S'},
		{"pages", required_argument, 0, 'p'},
		{"bpf-threads", required_argument, 0, 'b'},
		{"user-threads", required_argument, 0, 'u'},
		{"sweep-ms", required_argument, 0, O_SWEEP_MS},
		{"nap-us", required_argument, 0, O_NAP_US},
		{"json", required_argument, 0, 'j'},
		{"affinity", required_argument, 0, 'a'},
		{"stop-on-violation", no_argument, 0, 'x'},
		{"unsafe", no_argument, 0, O_UNSAFE},
		{"no-kernel-watch", no_argument, 0, O_NO_KWATCH},
		{"no-coverage", no_argument, 0, O_NO_COV},
		{"repro", required_argument, 0, O_REPRO},
		{"inject", required_argument, 0, O_INJECT},	/* tests only */
		{"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	uint64_t v;
	int c;

	as_opts_defaults(o);
	err[0] = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:ld:S:p:b:u:j:a:xvh", lo, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *dup = strdup(optarg), *save = NULL, *tok;

			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (o->nscen == AS_MAX_SCEN) {
					snprintf(err, len, "too many names for --scenario");
					return AS_EXIT_USAGE;
				}
				o->scen[o->nscen++] = tok;	/* dup lives for the program */
			}
			if (!o->nscen) {
				snprintf(err, len, "empty value for --scenario");
				return AS_EXIT_USAGE;
			}
			break;
		}
		case 'l': o->list = true; break;
		case 'd': {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(d > 0) || d > 86400) {
				snprintf(err, len, "invalid value '%s' for --duration (expected seconds, 0 < SEC <= 86400)",
					 optarg);
				return AS_EXIT_USAGE;
			}
			o->duration = d;
			o->duration_set = true;
			break;
		}
		case 'S':
			if (num("--seed", optarg, 0, UINT64_MAX, &v, err, len))
				return AS_EXIT_USAGE;
			o->seed = v;
			o->seed_set = true;
			break;
		case 'p':
			if (num("--pages", optarg, 4, AS_MAX_PAGES, &v, err, len))
				return AS_EXIT_USAGE;
			o->pages = v;
			break;
		case 'b':
			if (num("--bpf-threads", optarg, 1, 16, &v, err, len))
				return AS_EXIT_USAGE;
			o->bpf_threads = v;
			break;
		case 'u':
			if (num("--user-threads", optarg, 0, 32, &v, err, len))
				return AS_EXIT_USAGE;
			o->user_threads = v;
			break;
		case O_SWEEP_MS:
			if (num("--sweep-ms", optarg, 1, 60000, &v, err, len))
				return AS_EXIT_USAGE;
			o->sweep_ms = v;
			break;
		case O_NAP_US:
			if (num("--nap-us", optarg, 0, 100000, &v, err, len))
				return AS_EXIT_USAGE;
			o->nap_us = v;
			break;
		case 'j': o->json = optarg; break;
		case 'a':
			if (!strcmp(optarg, "spread"))
				o->affinity = AS_AFF_SPREAD;
			else if (!strcmp(optarg, "none"))
				o->affinity = AS_AFF_NONE;
			else {
				snprintf(err, len, "invalid value '%s' for --affinity (spread, none)", optarg);
				return AS_EXIT_USAGE;
			}
			break;
		case 'x': o->stop_on_violation = true; break;
		case O_UNSAFE: o->unsafe = true; break;
		case O_NO_KWATCH: o->no_kwatch = true; break;
		case O_NO_COV: o->no_coverage = true; break;
		case O_REPRO:
			if (!*optarg) {
				snprintf(err, len, "empty value for --repro (a directory to write the reproducer to)");
				return AS_EXIT_USAGE;
			}
			o->repro = optarg;
			o->stop_on_violation = true;	/* the first violation is the one */
			break;
		case O_INJECT:
			if (!strcmp(optarg, "dirty-alloc"))
				o->inject |= AS_INJ_DIRTY_ALLOC;
			else if (!strcmp(optarg, "sweep-lie"))
				o->inject |= AS_INJ_SWEEP_LIE;
			else if (!strcmp(optarg, "hang"))
				o->inject |= AS_INJ_HANG;
			else if (!strcmp(optarg, "contract"))
				o->inject |= AS_INJ_CONTRACT;
			else if (!strcmp(optarg, "leak"))
				o->inject |= AS_INJ_LEAK;
			else if (!strcmp(optarg, "pin"))
				o->inject |= AS_INJ_PIN;
			else {
				snprintf(err, len, "invalid value '%s' for --inject (dirty-alloc, sweep-lie, hang, contract, leak, pin)", optarg);
				return AS_EXIT_USAGE;
			}
			break;
		case 'v': o->verbose++; break;
		case 'h': o->help = true; break;
		case ':':
			snprintf(err, len, "option %s needs a value", argv[optind - 1]);
			return AS_EXIT_USAGE;
		default:
			snprintf(err, len, "unknown option '%s' (see --help)", argv[optind - 1]);
			return AS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, len, "unexpected argument '%s' (see --help)", argv[optind]);
		return AS_EXIT_USAGE;
	}
	return 0;
}
