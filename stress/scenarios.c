// SPDX-License-Identifier: GPL-2.0
/* The scenario table: add a scenario by adding its file and one line here. */
#include <string.h>
#include "scenarios.h"

const struct as_scenario *const as_scenarios[] = {
	&as_sc_fault_free,
	&as_sc_madvise,
	&as_sc_contract,
	&as_sc_munmap_remap,
	&as_sc_multi_process,
	NULL,
};

const struct as_scenario *as_find_scenario(const char *name)
{
	for (int i = 0; as_scenarios[i]; i++)
		if (!strcmp(as_scenarios[i]->name, name))
			return as_scenarios[i];
	return NULL;
}
