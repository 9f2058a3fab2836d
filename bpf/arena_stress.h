/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the BPF programs (bpf/arena_stress.bpf.c) and the user-space
 * engine: the page layout, the op block passed through BPF_PROG_TEST_RUN, and
 * the sweep arrays.  Only fixed-width types, so both sides agree on layout.
 */
#ifndef ARENA_STRESS_H
#define ARENA_STRESS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The arena is mapped at the address chosen at creation time (map_extra),
 * by default 4 GiB-aligned as the kernel selftests do.  --arena-base moves
 * it (within one 4 GiB window, as the kernel requires): the BPF side then
 * computes every address from the same base (as_ubase), and the low 32 bits
 * of an arena address are (base + pgoff << 12) in both views. */
#define AS_ARENA_BASE		(1ULL << 44)
#define AS_PAGE_SIZE		4096
#define AS_MAX_PAGES		(1u << 20)	/* upper bound of --pages: a 4 GiB arena */
#define AS_SWEEP_BATCH		4096	/* pages one BPF sweep call judges */
#define AS_MAX_ALLOC_CNT	64	/* largest single bpf_arena_alloc_pages() */

/*
 * Page layout.  Offsets below AS_ORACLE_BYTES belong to the oracles: BPF
 * writes the allocation token, the coherence sweep writes its nonces, and
 * nothing else writes there, so a fresh page must be zero in that half.
 * User threads scribble only at AS_SCRATCH_OFF and above.
 */
#define AS_OFF_TOKEN		0	/* BPF: token of the allocation */
#define AS_OFF_UNONCE		8	/* sweep: user writes, BPF reads */
#define AS_OFF_BNONCE		16	/* sweep: BPF writes, user reads */
#define AS_ORACLE_BYTES		2048
#define AS_SCRATCH_OFF		2048	/* user threads scribble in [2048, 3072) */
/* Kernel-path markers (GUP, io_uring, process_vm_*): one 8-byte slot per
 * worker in [3072, 3584); an O_DIRECT block of 512 bytes at 3584. */
#define AS_SCRATCH_WORDS	128
#define AS_KSLOT_OFF		3072
#define AS_KSLOTS		64
#define AS_DIO_OFF		3584
#define AS_DIO_LEN		512

/* The layout, checked by both compilers (clang for BPF, cc for user space). */
_Static_assert(AS_OFF_BNONCE + 8 <= AS_ORACLE_BYTES, "oracle words inside the oracle half");
_Static_assert(AS_SCRATCH_OFF >= AS_ORACLE_BYTES, "user scribbles stay out of the oracle half");
_Static_assert(AS_SCRATCH_OFF + AS_SCRATCH_WORDS * 8 <= AS_KSLOT_OFF, "scratch words before the marker slots");
_Static_assert(AS_KSLOT_OFF + AS_KSLOTS * 8 <= AS_DIO_OFF, "marker slots before the O_DIRECT block");
_Static_assert(AS_DIO_OFF + AS_DIO_LEN <= AS_PAGE_SIZE && AS_DIO_OFF % 512 == 0, "O_DIRECT block aligned, in the page");

/* Token written into every allocated page: magic | generation | pgoff. */
#define AS_TOKEN_MAGIC		0xA5ULL
#define AS_TOKEN(gen, pgoff)	((AS_TOKEN_MAGIC << 56) | (((__u64)(gen) & 0xffffffffffULL) << 16) | ((__u64)(pgoff) & 0xffff))

enum as_op_kind {
	AS_OP_ALLOC = 1,	/* pgoff == AS_ANY_PGOFF: let the kernel choose */
	AS_OP_FREE,
	AS_OP_SWEEP,		/* coherence sweep over [0, cnt) */
	AS_OP_PEEK,		/* read one page's oracle words (re-check) */
	AS_OP_PROBE,		/* does this kernel have the arena kfuncs */
	AS_OP_RESERVE,		/* bpf_arena_reserve_pages(pgoff, cnt) (as_do_reserve) */
};

#define AS_ANY_PGOFF		0xffffffffU

/* Injection flags (tests only): make an oracle see a known divergence. */
#define AS_INJ_DIRTY_ALLOC	(1U << 0)	/* write before the zero check */
#define AS_INJ_SWEEP_LIE	(1U << 1)	/* BPF reports a wrong user nonce */

/* One BPF_PROG_TEST_RUN call; the kernel copies it back after the run. */
struct as_op {
	__u32 op;
	__u32 pgoff;		/* in: page (AS_ANY_PGOFF = any); out: allocated page */
	__u32 cnt;		/* pages */
	__u32 inject;		/* AS_INJ_* */
	__u64 gen;		/* in: generation for the token */
	__s64 ret;		/* out: 0 ok, <0 -errno */
	/* out, zero-on-alloc: first non-zero word found in a fresh page */
	__u32 dirty_words;
	__u32 dirty_pgoff;
	__u32 dirty_off;
	__u32 off;		/* in, AS_OP_PEEK: byte offset of peek_val */
	__u64 dirty_val;
	/* out, AS_OP_PEEK */
	__u64 peek_token;
	__u64 peek_unonce;
	__u64 peek_val;
};
/* the op block crosses BPF_PROG_TEST_RUN: one layout on both sides, no padding */
_Static_assert(sizeof(struct as_op) == 80, "struct as_op is 80 bytes on both sides");
_Static_assert(__builtin_offsetof(struct as_op, gen) == 16 && __builtin_offsetof(struct as_op, dirty_val) == 48,
	       "struct as_op fields where both sides expect them");

/*
 * Sweep arrays live in the BPF program's .bss (mmaped by the skeleton); one
 * call judges op->cnt <= AS_SWEEP_BATCH pages, slot j for page idx[j]:
 * in:  idx[j]    = the page
 *      want[j]   = 1 if user space believes it is allocated
 *      bnonce[j] = what BPF must write at its AS_OFF_BNONCE
 * out: token[j], unonce[j] = what BPF read through the kernel mapping
 */
struct as_sweep {
	__u32 idx[AS_SWEEP_BATCH];
	__u8  want[AS_SWEEP_BATCH];
	__u64 bnonce[AS_SWEEP_BATCH];
	__u64 token[AS_SWEEP_BATCH];
	__u64 unonce[AS_SWEEP_BATCH];
};

/* runs of one arena's deferred free worker (bpf/coverage.bpf.c, by map id) */
struct as_worker_runs {
	__u64 started, done;
};

/*
 * Race-window coverage (bpf/coverage.bpf.c), system-wide counters:
 * a fault is "in flight" from arena_vm_fault() returning a page to
 * finish_fault() installing it; teardown is free_pgtables() running.
 */
struct as_cov {
	__u64 arena_faults;		/* arena_vm_fault() calls */
	__u64 frees;			/* bpf_arena_free_pages() calls */
	__u64 free_during_fault;	/* ... that began or ended with a fault in flight */
	__u64 arena_zaps;		/* zap_page_range_single() from an arena free */
	__u64 zap_during_teardown;	/* ... while free_pgtables() was running */
	__u64 pinned_frees;		/* pages an arena free dropped while GUP-pinned */
	__u64 iowq_faults;		/* arena faults taken by io_uring's io-wq workers */
	__u64 remote_faults;		/* ... by a task of another mm (GUP remote) */
	__u64 deferred_runs;		/* runs of arena_free_worker() (7.x deferred frees) */
	__u64 deferred_during_fault;	/* ... that ended with an arena fault in flight */
};


#endif
