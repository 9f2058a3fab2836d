// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the scratch-page reproducer (7.x, x86): a do-nothing cid-form
 * sched_ext scheduler whose ops.init_cids() makes the kernel read a shard
 * table at an unallocated arena page, so the kernel installs the arena's
 * scratch page there; and one SEC("syscall") program that allocates, frees,
 * reads and writes arena words through the kernel mapping.
 */
#define BPF_NO_KFUNC_PROTOTYPES
/* vmlinux.h of a 7.3+ kernel declares this; ours below holds only what we set */
#define sched_ext_ops_cid sched_ext_ops_cid___vmlinux
#include "vmlinux.h"
#undef sched_ext_ops_cid
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define __arena __attribute__((address_space(1)))
#define ARENA_BASE (1ULL << 44)	/* user and kernel views share the low 32 bits */

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
				    int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;
void scx_bpf_cid_override(const __s32 __arena *cpu_to_cid, __u32 cpu_to_cid_cnt,
			  const __s32 __arena *shard_start, __u32 shard_start_cnt) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);	/* pages: sched_ext takes some for its pool at each enable */
	__ulong(map_extra, ARENA_BASE);
} arena SEC(".maps");

__u32 target, nr_cpu_ids;	/* page 0 holds the identity cpu->cid table at offset 2048 */

static __u64 uaddr(__u32 page, __u32 off) { return ARENA_BASE + (__u64)page * 4096 + off; }

SEC("struct_ops.s/init_cids")
int BPF_PROG(init_cids)
{
	asm volatile("" :: "r"(&arena));	/* __arena arguments need the program's arena */
	/* the shard table at an unallocated page: kmemdup() faults there */
	scx_bpf_cid_override((const __s32 __arena *)uaddr(0, 2048), nr_cpu_ids,
			     (const __s32 __arena *)uaddr(target, 1032), 1);
	return 0;
}

struct sched_ext_ops_cid {
	__s32 (*init_cids)(void);
	__u64 flags;
	char name[128];
};

SEC(".struct_ops.link")
struct sched_ext_ops_cid ops = {
	.init_cids = (void *)init_cids,
	.flags = 1ULL << 3,	/* SCX_OPS_SWITCH_PARTIAL: no task is moved */
	.name = "arena_repro",
};

enum { R_ALLOC, R_FREE, R_PROBE };

struct ctx {
	__u32 op, page;
	__u64 mark;	/* R_PROBE: written through the scratch page at offset 1024 */
	__u64 before;	/* out: read back before the allocation (mark: the scratch page is there) */
	__u64 after;	/* out: read after the allocation (a fresh page must read 0) */
	__s64 ret;
};

SEC("syscall")
int run(struct ctx *c)
{
	void __arena *pg = (void __arena *)uaddr(c->page, 0);
	volatile __u64 __arena *w = (volatile __u64 __arena *)uaddr(c->page, 1024);

	c->ret = 0;
	if (c->op == R_ALLOC) {
		c->ret = bpf_arena_alloc_pages(&arena, pg, 1, -1, 0) ? 0 : -12;
	} else if (c->op == R_FREE) {
		bpf_arena_free_pages(&arena, pg, 1);
	} else {
		/* in one run, so nothing flushes this CPU's TLB in between */
		*w = c->mark;			/* through the scratch page */
		c->before = *w;			/* ... and into this CPU's TLB */
		c->ret = bpf_arena_alloc_pages(&arena, pg, 1, -1, 0) ? 0 : -12;
		c->after = c->ret ? 0 : *w;	/* the fresh page, or the scratch page still */
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
