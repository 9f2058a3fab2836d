// SPDX-License-Identifier: GPL-2.0
/* Violation records, the final table and the JSON report. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "report.h"

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

void as_report_add(struct as_report *r, const struct as_violation *v)
{
	if (pthread_mutex_lock(&r->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&r->lock);	/* its last update is whole or absent */
	r->nviol++;
	r->by_kind[v->kind]++;
	if (r->first_ns < 0 || (int64_t)v->t_ns < r->first_ns)
		r->first_ns = v->t_ns;
	/* the first of every kind is always kept: a rare kind after many
	 * common ones is the one that needs its evidence */
	if (r->nkept < AS_REP_KEEP_ANY || (r->by_kind[v->kind] == 1 && r->nkept < AS_REP_KEEP))
		r->v[r->nkept++] = *v;
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

void as_report_table(FILE *f, struct as_report *reps, int n)
{
	fprintf(f, "\n%-14s %-8s %7s %10s %10s %10s %10s %8s %6s %10s  %s\n", "scenario", "status", "secs",
		"allocs", "frees", "pages", "faults", "sweeps", "viol", "first(ms)", "kinds / reason");
	for (int i = 0; i < n; i++) {
		struct as_report *r = &reps[i];
		char kinds[300] = "", first[32] = "-";
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
		fprintf(f, "%-14s %-8s %7.2f %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
			" %6" PRIu64 " %10s  %s%s\n", r->scenario, as_status_name(r->status), r->duration_s,
			ctr(r, "alloc"), ctr(r, "free"), ctr(r, "alloc_pages"), ctr(r, "faults"), ctr(r, "sweep"),
			r->nviol, first, kinds, r->interrupted ? " (interrupted)" : "");
	}
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

int as_report_json(FILE *f, struct as_report *reps, int n, const char *kernel_release, int exit_code)
{
	fprintf(f, "{\n  \"tool\": \"arena-stress\",\n  \"kernel\": ");
	json_str(f, kernel_release);
	fprintf(f, ",\n  \"exit_code\": %d,\n  \"scenarios\": [", exit_code);
	for (int i = 0; i < n; i++) {
		struct as_report *r = &reps[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, r->scenario);
		fprintf(f, ", \"status\": \"%s\", \"seed\": %" PRIu64 ", \"duration_s\": %.3f, \"interrupted\": %s"
			", \"sweep_every_ms\": %.1f, \"sweep_ms\": %.3f", as_status_name(r->status), r->seed,
			r->duration_s, r->interrupted ? "true" : "false", r->sweep_every_ms, r->sweep_ms);
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
			fprintf(f, ", \"repro\": \"arena-stress --scenario %s --seed %" PRIu64 "\"}", r->scenario, r->seed);
		}
		fprintf(f, "%s]}", r->nkept ? "\n     " : "");
	}
	fprintf(f, "\n  ]\n}\n");
	return ferror(f) ? -1 : 0;
}
