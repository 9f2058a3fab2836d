/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by bpf/scratch.bpf.c and stress/scratch.c: where the scratch
 * scenario writes in a page, and the blocks user space and BPF exchange.
 *
 * Offsets are in the oracle half of the page (arena_stress.h), at words no
 * other oracle reads or writes: a fresh page is zero there, so the
 * zero-on-alloc check of an allocation over a scratched address also sees
 * the scratch page's marker if the allocation left the scratch PTE behind.
 */
#ifndef AS_SCRATCH_H
#define AS_SCRATCH_H

#include "arena_stress.h"

#define AS_SCRATCH_MARK_OFF	1024	/* the marker written through the scratch page */
#define AS_SCRATCH_SHARD_OFF	1032	/* the one-entry shard table: 0, never written */
#define AS_SCRATCH_IDENT_OFF	AS_SCRATCH_OFF	/* the identity cpu->cid table, in the owned page */
#define AS_SCRATCH_MAX_CPUS	256
_Static_assert(AS_SCRATCH_SHARD_OFF + 8 <= AS_ORACLE_BYTES && AS_SCRATCH_MARK_OFF > AS_OFF_BNONCE + 8,
	       "the scratch words are oracle-half words no other oracle uses");
_Static_assert(AS_SCRATCH_IDENT_OFF + AS_SCRATCH_MAX_CPUS * 4 <= AS_KSLOT_OFF, "the cpu->cid table in the user half");

/* .bss of scratch.bpf.c: what ops.init_cids() passes, and what it did */
struct as_scratch_trigger {
	__u32 target_pgoff;	/* the unallocated page whose shard table the kernel copies */
	__u32 ident_pgoff;	/* an allocated page holding the cpu->cid table */
	__u32 nr_cpu_ids;
	__u32 pad;
	__u64 runs;		/* ops.init_cids() calls */
	__u64 called;		/* ... that called scx_bpf_cid_override() */
};

/* as_scratch_rw: one word at (pgoff, off) through the kernel mapping */
struct as_scratch_rw {
	__u32 pgoff, off;
	__u32 write, pad;
	__u64 val;		/* in: what to write */
	__u64 old, now;		/* out: the word before and after */
};

#endif
