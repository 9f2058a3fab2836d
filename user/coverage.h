/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_COVERAGE_H
#define AS_COVERAGE_H
#include <stdbool.h>
#include "arena_stress.h"

struct coverage_bpf;

/* Optional race-window tracing (bpf/coverage.bpf.c). */
struct as_covrun {
	struct coverage_bpf *skel;
	struct as_cov base;	/* counters when the run started */
	bool on;		/* at least the fault/free pair is attached */
	char unavailable[256];	/* programs not attached, and why */
};

/* Probes each target in the kernel's BTF, loads and attaches what exists. */
void as_cov_start(struct as_covrun *c);
/* Counters since as_cov_start (all zero when off). */
void as_cov_read(const struct as_covrun *c, struct as_cov *delta);
void as_cov_stop(struct as_covrun *c);
/* Counters from now on (a copy of an instance attached before a fork:
 * --parallel attaches once for all scenarios). */
void as_cov_rebase(struct as_covrun *c);
/* The runs of the deferred free worker of the arena whose map id is
 * arena_id, started and finished: false when that probe is not attached. */
bool as_cov_free_worker(const struct as_covrun *c, uint32_t arena_id, uint64_t *started, uint64_t *done);
#endif
