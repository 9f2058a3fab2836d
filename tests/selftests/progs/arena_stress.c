// SPDX-License-Identifier: GPL-2.0
/*
 * arena-stress as a BPF selftest: the BPF programs are arena-stress' own,
 * bpf/arena_stress.bpf.c, bpf/arena_stress.h and bpf/arena_bpf.h, installed into
 * progs/arena_stress/ next to this file (arena-stress tests/selftests/run.sh
 * does it), so the selftest and the tool run the same code.
 */
#include "arena_stress/arena_stress.bpf.c"
