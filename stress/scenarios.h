/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_SCENARIOS_H
#define AS_SCENARIOS_H
#include "engine.h"

/* The one table of scenarios (stress/scenarios.c); one file each. */
extern const struct as_scenario *const as_scenarios[];
const struct as_scenario *as_find_scenario(const char *name);

extern const struct as_scenario as_sc_fault_free;
extern const struct as_scenario as_sc_madvise;
extern const struct as_scenario as_sc_contract;
extern const struct as_scenario as_sc_munmap_remap;
extern const struct as_scenario as_sc_multi_process;
extern const struct as_scenario as_sc_pinned;
extern const struct as_scenario as_sc_io_wq;
extern const struct as_scenario as_sc_gup;
extern const struct as_scenario as_sc_dofork;

/* Shared probe of the io_uring scenarios (stress/scenarios.c). */
int as_probe_io_uring(const struct as_opts *o, char *why, size_t len);
#endif
