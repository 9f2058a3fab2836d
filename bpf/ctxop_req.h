/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by bpf/ctxop.bpf.c and stress/ctxop.c: arena ops run by BPF in
 * another calling context than a syscall program's (a bpf_timer callback in
 * softirq, a bpf_spin_lock region with interrupts off, a sleepable task_vma
 * iterator, tc ingress in the NET_RX softirq, a perf_event overflow), and
 * what the BPF side saw there.
 *
 * A user worker fills a request slot (.bss, mmaped), starts the context
 * (arms the slot's timer, runs the locked program, reads the iterator, sends
 * a datagram, or lets the next perf overflow take it) and polls .done until
 * it equals .seq; the request then holds the result.
 */
#ifndef AS_CTXOP_REQ_H
#define AS_CTXOP_REQ_H

#include "arena_stress.h"

#define AS_CTX_SLOTS	16	/* one per worker that runs ops (worker id mod slots) */
#define AS_CTX_MAX_CNT	4	/* pages of one op */

/* preempt_count bits (include/linux/preempt.h).  Kernels with the
 * refcounted interrupt disable (include/linux/interrupt_rc.h: its per-CPU
 * local_interrupt_disable_state is in BTF; 7.3.4 has it) put a hardirq-disable
 * count at bits 16-23 and move the hardirq count and NMI bit above it, as
 * bpf_experimental.h's bpf_in_hardirq() of those kernels reads them. */
#define AS_PC_SOFTIRQ_OFFSET	0x100u		/* serving a softirq */
#define AS_PC_HARDIRQ_MASK	0x000f0000u
#define AS_PC_NMI_MASK		0x00f00000u
#define AS_PC_RC_HARDIRQ_MASK	0x0f000000u	/* with the hardirq-disable count */
#define AS_PC_RC_NMI_MASK	0x10000000u	/* (x86: bit 31 is PREEMPT_NEED_RESCHED) */

struct as_ctx_req {
	__u32 op;		/* AS_OP_ALLOC, AS_OP_FREE, AS_OP_PEEK */
	__u32 pgoff;		/* in: page (AS_ANY_PGOFF: any); out: allocated page */
	__u32 cnt;		/* pages, 1..AS_CTX_MAX_CNT */
	__u32 seq;		/* request number: .done takes it when the op is over */
	__u64 gen;		/* in: generation for the tokens */
	__s64 ret;		/* out: 0, or -errno (-12: the allocation returned NULL) */
	__u32 inject;		/* AS_INJ_DIRTY_ALLOC */
	__u32 skip_free;	/* test: the free is not made (a stale mapping, emulated) */
	/* out, zero-on-alloc: the first non-zero word of the fresh pages */
	__u32 dirty_words, dirty_pgoff, dirty_off, pad;
	__u64 dirty_val;
	__u64 claim;		/* the seq a context that may run twice at once took (tc, perf) */
	/* out, AS_OP_PEEK: token and user nonce of each page as BPF reads them */
	__u64 tok[AS_CTX_MAX_CNT];
	__u64 unonce[AS_CTX_MAX_CNT];
	/* out: where the op ran */
	__u32 pc;		/* preempt_count (0 where the kernel has no __preempt_count) */
	__u32 cpu;
	__u32 pc_known;		/* the kernel's __preempt_count was read */
	__u32 done;		/* = seq once the op is over (written last) */
};

/* the UDP datagram of a tc request (from the UDP header on) */
#define AS_CTX_NET_MAGIC	0x41534e54u	/* "ASNT" */
#define AS_ETH_HLEN		14
#define AS_TC_ACT_OK		0
#define AS_TC_ACT_SHOT		2
struct as_ctx_net_msg {
	__u16 sport, dport, len, csum;	/* the UDP header (network order) */
	__u32 magic;			/* AS_CTX_NET_MAGIC */
	__u32 slot;			/* the request slot */
};

/* fentry/fexit of arena_free_worker(): a deferred free is done once a run
 * that started after its span left the kernel mapping has finished */
struct as_ctx_worker {
	__u64 started, finished;
};

#endif
