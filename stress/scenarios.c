// SPDX-License-Identifier: GPL-2.0
/* The scenario table: a scenario is its file in stress/ and one row here
 * (the name of its descriptor, as_sc_NAME). */
#include <string.h>
#include "scenarios.h"

#define AS_SCENARIO_TABLE(X) \
	X(fault_free)        \
	X(madvise)           \
	X(contract)          \
	X(munmap_remap)      \
	X(multi_process)     \
	X(pinned)            \
	X(io_wq)             \
	X(gup)               \
	X(reserve)           \
	X(reuse)             \
	X(teardown)          \
	X(dofork)           \
	X(scratch)           \
	X(timer)             \
	X(iter_vma)          \
	X(irqoff)            \
	X(nomem)             \
	X(tc)                \
	X(perf)              \
	X(sched_switch)

#define DECLARE(n) extern const struct as_scenario as_sc_##n;
#define ENTRY(n) &as_sc_##n,
AS_SCENARIO_TABLE(DECLARE)
const struct as_scenario *const as_scenarios[] = {AS_SCENARIO_TABLE(ENTRY) NULL};

const struct as_scenario *as_find_scenario(const char *name)
{
	for (int i = 0; as_scenarios[i]; i++)
		if (!strcmp(as_scenarios[i]->name, name))
			return as_scenarios[i];
	return NULL;
}
