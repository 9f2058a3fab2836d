/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_SCENARIOS_H
#define AS_SCENARIOS_H
#include "scenario.h"

/* The one table of scenarios (stress/scenarios.c), NULL-terminated. */
extern const struct as_scenario *const as_scenarios[];
const struct as_scenario *as_find_scenario(const char *name);
#endif
