/* SPDX-License-Identifier: GPL-2.0 */
#ifndef AS_REPRO_H
#define AS_REPRO_H
#include <stddef.h>
#include "report.h"

/* Can dir take a reproducer?  Checked before the run: a directory that is
 * empty of the reproducer's files or one an earlier --repro wrote (it holds
 * .arena-stress-repro), or a path that does not exist yet in a writable
 * directory (created only when a reproducer is written); not a file, a
 * device, nor json (the --json path, NULL: none).  0, or -1 with err
 * ("DIR: why"). */
int as_repro_check(const char *dir, const char *json, char *err, size_t len);

/* Write a minimal, self-contained reproducer of violation v (found by the
 * scenario of rep on kernel) into dir: repro.bpf.c, repro.c, Makefile and a
 * README with the evidence, each replaced whole.  0, or -1 with err filled
 * (no template for this kind of violation, or the files could not be
 * written: then what it created, the directory included, is removed). */
int as_repro_write(const char *dir, const struct as_report *rep, const struct as_violation *v,
		   const char *kernel, char *err, size_t len);
#endif
