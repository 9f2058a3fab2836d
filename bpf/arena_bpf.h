/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every BPF object of arena-stress that touches the arena shares
 * (bpf/arena_stress.bpf.c, bpf/ctxop.bpf.c, bpf/scratch.bpf.c): the arena
 * map (the engine's: user space reuses its fd, or sets max_entries and
 * map_flags, before load), the arena kfuncs, the user base, the address of
 * a word of a page, and the zero-on-alloc check of fresh pages.
 * Include after vmlinux.h and bpf_helpers.h, with BPF_NO_KFUNC_PROTOTYPES.
 */
#ifndef AS_ARENA_BPF_H
#define AS_ARENA_BPF_H

#include "arena_stress.h"

#define __arena __attribute__((address_space(1)))
#define NUMA_NO_NODE (-1)

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym __weak;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 64);
	__ulong(map_extra, AS_ARENA_BASE);
} arena SEC(".maps");

/* the user base of the arena (its map_extra), set before load (--arena-base) */
const volatile __u64 as_ubase = AS_ARENA_BASE;

static __always_inline __u64 uaddr(__u32 pgoff)
{
	return as_ubase + (__u64)pgoff * AS_PAGE_SIZE;
}

static __always_inline volatile __u64 __arena *word(__u32 pgoff, __u32 off)
{
	return (volatile __u64 __arena *)(uaddr(pgoff) + off);
}

/* The page offset of an address the allocator returned: the kernel relates
 * addresses by their low 32 bits (compute_pgoff()). */
static __always_inline __u32 pgoff_of(void __arena *p)
{
	return ((__u32)(__u64)p - (__u32)as_ubase) / AS_PAGE_SIZE;
}

/* Zero-on-alloc oracle: the oracle half of every fresh page must be zero.
 * Counts the non-zero words of pages [pgoff, pgoff + min(cnt, max)) into
 * *words and notes the first (page, offset, value); *words is not reset. */
static __always_inline void as_check_fresh(__u32 pgoff, __u32 cnt, __u32 max, __u32 *words, __u32 *dpgoff,
					   __u32 *doff, __u64 *dval)
{
	int i, w;

	bpf_for(i, 0, cnt) {
		if (i >= max)
			break;
		bpf_for(w, 0, AS_ORACLE_BYTES / 8) {
			__u64 v = *word(pgoff + i, w * 8);

			if (!v)
				continue;
			if (!*words) {
				*dpgoff = pgoff + i;
				*doff = w * 8;
				*dval = v;
			}
			(*words)++;
		}
	}
}

#endif
