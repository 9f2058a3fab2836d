/* SPDX-License-Identifier: GPL-2.0 */
/* The nomem scenario's op block (bpf/nomem.bpf.c, stress/nomem.c). */
#ifndef AS_NOMEM_H
#define AS_NOMEM_H

#define NM_MAX_PAGES 8192	/* the pages it uses: the arena's first 8192 */

/* state[] of a page after NM_CLAIMED (0 free, 1 in use) and NM_TOKENS */
enum { NM_FREE_PAGE = 0, NM_IN_USE = 1, NM_ZERO = 2, NM_OTHER = 3 };

enum nm_op_kind { NM_ALLOC = 1, NM_DRAIN, NM_FREE, NM_FREE_EACH, NM_CLAIMED, NM_TOKENS };

struct nm_op {
	__u32 op;
	__u32 pgoff;
	__u32 cnt;
	__u32 nosleep;		/* the calls under bpf_preempt_disable() */
	__u64 gen;		/* token generation (NM_TOKENS: 0 = the pages must read 0) */
	__s64 ret;
	__u64 dirty;		/* out: non-zero words found in fresh pages */
	__u64 bad_pgoff;	/* out: the first dirty page / token mismatch */
	__u64 bad_val;
};
_Static_assert(sizeof(struct nm_op) == 56, "struct nm_op: one layout on both sides");

#endif
