// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the scratch scenario (stress/scratch.c): make the 7.x kernel
 * install the arena's scratch page, and look at it.
 *
 * A JIT-ed BPF access of an unallocated arena address never installs the
 * scratch page: the exception table fixes it up first (ex_handler_bpf()).
 * Only kernel code without a fixup that touches the arena for a BPF program
 * does: in 7.3 that is a sched_ext kfunc with an __arena argument.
 * as_init_cids is the ops.init_cids() of a cid-form sched_ext scheduler that
 * does nothing else (SCX_OPS_SWITCH_PARTIAL: no task is moved to it); it
 * passes scx_bpf_cid_override() an identity cpu->cid table from a page the
 * scenario owns and a one-entry shard table at the target page, which is not
 * allocated.  The kfunc's kmemdup() of the shard table faults in the kernel,
 * bpf_arena_handle_page_fault() finds this program on the stack and installs
 * the scratch page at the target, and the copy reads 0: a valid table, so
 * the scheduler enables cleanly and user space detaches it again.
 *
 * as_scratch_rw reads and writes one word of an arena address through the
 * kernel mapping (the same JIT-ed access as every BPF arena access): at a
 * scratched address it reaches the scratch page; at an address without a
 * kernel page it reads 0 and drops the write (exception fixup).
 *
 * The arena map is the engine's (user space reuses its fd before load).
 */
#define BPF_NO_KFUNC_PROTOTYPES
/* the running kernel may be a 7.x one whose vmlinux.h has the type; ours is
 * declared below with only the members this scheduler sets */
#define sched_ext_ops_cid sched_ext_ops_cid___vmlinux
#include "vmlinux.h"
#undef sched_ext_ops_cid
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "arena_bpf.h"
#include "scratch.h"

#define AS_SCX_OPS_SWITCH_PARTIAL (1ULL << 3)	/* enum scx_ops_flags */

void scx_bpf_cid_override(const __s32 __arena *cpu_to_cid, __u32 cpu_to_cid_cnt,
			  const __s32 __arena *shard_start, __u32 shard_start_cnt) __ksym __weak;

struct as_scratch_trigger trig;			/* set by user space before each attach */

SEC("struct_ops.s/as_init_cids")
int BPF_PROG(as_init_cids)
{
	/* an __arena argument needs a program with an associated arena */
	asm volatile("" :: "r"(&arena));
	trig.runs++;
	if (!trig.nr_cpu_ids || trig.nr_cpu_ids > AS_SCRATCH_MAX_CPUS)
		return 0;
	scx_bpf_cid_override((const __s32 __arena *)(uaddr(trig.ident_pgoff) + AS_SCRATCH_IDENT_OFF), trig.nr_cpu_ids,
			     (const __s32 __arena *)(uaddr(trig.target_pgoff) + AS_SCRATCH_SHARD_OFF), 1);
	trig.called++;
	return 0;
}

/* the member names and types are the kernel's; libbpf matches them by name */
struct sched_ext_ops_cid {
	void (*enqueue)(struct task_struct *p, __u64 enq_flags);
	void (*dispatch)(__s32 cid, struct task_struct *prev);
	__s32 (*init_cids)(void);
	__u64 flags;
	char name[128];
};

/* --scratch-probe-ops: whether the verifier takes arena allocations and
 * frees in ops.enqueue() and ops.dispatch() (non-sleepable, called with the
 * runqueue lock held).  Only loaded, never attached, and not part of the
 * scenario's own object (user space turns these off). */
static __always_inline void alloc_free_one(void)
{
	void __arena *pg = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);

	if (pg)
		bpf_arena_free_pages(&arena, pg, 1);
}

SEC("struct_ops/as_probe_enqueue")
void BPF_PROG(as_probe_enqueue, struct task_struct *p, __u64 enq_flags)
{
	alloc_free_one();
}

SEC("struct_ops/as_probe_dispatch")
void BPF_PROG(as_probe_dispatch, __s32 cid, struct task_struct *prev)
{
	alloc_free_one();
}

SEC(".struct_ops.link")
struct sched_ext_ops_cid as_probe_ops = {
	.enqueue = (void *)as_probe_enqueue,
	.dispatch = (void *)as_probe_dispatch,
	.flags = AS_SCX_OPS_SWITCH_PARTIAL,
	.name = "arena_stress_probe",
};

SEC(".struct_ops.link")
struct sched_ext_ops_cid as_scratch_ops = {
	.init_cids = (void *)as_init_cids,
	.flags = AS_SCX_OPS_SWITCH_PARTIAL,
	.name = "arena_stress",
};

SEC("syscall")
int as_scratch_rw(struct as_scratch_rw *op)
{
	volatile __u64 __arena *p = word(op->pgoff, op->off & (AS_PAGE_SIZE - 8));

	asm volatile("" :: "r"(&arena));	/* arena accesses need the program's arena */
	op->old = *p;
	if (op->write)
		*p = op->val;
	op->now = *p;
	return 0;
}

char _license[] SEC("license") = "GPL";
