/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_REPRO_H
#define AS_REPRO_H
#include <stddef.h>
#include "report.h"

/* Write a minimal, self-contained reproducer of violation v (found by the
 * scenario of rep on kernel) into dir: repro.bpf.c, repro.c, Makefile and a
 * README with the evidence.  0, or -1 with err filled (no template for this
 * kind of violation, or the files could not be written). */
int as_repro_write(const char *dir, const struct as_report *rep, const struct as_violation *v,
		   const char *kernel, char *err, size_t len);
#endif
