// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-path ops (GUP, io_uring, process_vm_readv/writev, O_DIRECT): the
 * snapshots around each op that the kernel-path oracle (as_judge_kop in
 * oracle.c) rules on, and the independent re-check of what it finds.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "report.h"

uint32_t as_kslot(const struct as_worker *w)
{
	return AS_KSLOT_OFF + 8 * (w->id % AS_KSLOTS);
}

void as_kop_begin(struct as_worker *w, struct as_kop *k, enum as_kop_kind kind, uint32_t p, uint32_t off,
		  const char *path)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[p];

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->path = path;
	k->p = p;
	k->off = off;
	k->mapgen0 = atomic_load(&r->mapgen);
	k->any_inflight0 = atomic_load(&r->any_inflight);
	k->any_seq0 = atomic_load(&r->any_seq);
	k->s0 = atomic_load_explicit(&pg->state, memory_order_acquire);
	k->tok0 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	/* unless as_kop_pinned() says otherwise, the kernel takes the page now */
	k->ref_known = !(k->s0 & PS_BUSY);
	k->ref_alloc = ps_allocated(k->s0);
	k->t_ref = k->tok0;
	if (kind == AS_KOP_WRITE)	/* top byte 0x3c: never a token (0xa5) or nonce (0x5a) */
		k->mark = (0x3cULL << 56) | ((uint64_t)(getpid() & 0xffff) << 40) |
			  ((uint64_t)(w->id & 0xff) << 32) | (++w->kseq & 0xffffffffULL);
	as_touch(r, p, 1);
	atomic_store_explicit(&w->cur, p, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);	/* snapshot before the kernel acts */
}

void as_kop_pinned(struct as_kop *k, const struct as_kop *reg)
{
	k->pinned = true;
	k->ref_known = reg->stable;
	k->ref_alloc = ps_allocated(reg->s0);
	k->t_ref = reg->tok0;
}

/* Independent re-check of a kernel-path finding, from the owning process:
 * drop this process's PTE, fault afresh, and see whether user space and BPF
 * agree again (then the kernel went through a stale user PTE). */
static void kop_confirm(struct as_run *r, struct as_violation *v, const struct as_kop *k, const struct as_kview *kv)
{
	volatile uint64_t *u = as_uword(r, k->p, 0);
	uint64_t val = 0;
	bool moved = false;
	int sig, perr;

	if (getpid() != r->a.pid) {
		snprintf(v->classify, sizeof(v->classify), "seen from a second process (%s): not re-checked "
			 "there; the coherence sweep of the arena's own process covers the page", k->path);
		return;
	}
	if (v->kind == V_PIN) {
		v->pfn_user = as_pfn(r, k->p);
		uint64_t again = kv->kind == AS_KOP_WRITE ? as_peek_word(r, k->p, k->off, &perr) : 0;

		v->confirmed = kv->kind == AS_KOP_WRITE && !perr && again == k->mark;
		snprintf(v->classify, sizeof(v->classify), "data crossed between a page the kernel took before the "
			 "address was freed and re-allocated and the arena's new page: a page went back to the arena "
			 "while the kernel still held it%s", v->confirmed ? " (BPF still reads the marker)" : "");
		return;
	}
	as_drop_pte(r, k->p, &v->pfn_user);
	if (kv->allocated) {
		if (kv->kind == AS_KOP_WRITE) {
			uint64_t m2 = k->mark ^ 0xffffffffULL;

			sig = as_guarded_write(as_uword(r, k->p, k->off), m2);
			v->confirmed = !sig && as_peek_word(r, k->p, k->off, &perr) == m2 && !perr;
		} else {
			sig = as_guarded_read(u, &val);
			v->confirmed = !sig && val == kv->t_now;
		}
		v->pfn_after = as_pfn(r, k->p);
	} else {
		sig = as_guarded_read(u, &val);
		v->confirmed = sig != 0;
	}
	/* changed meanwhile (or an allocation at a kernel-chosen address may
	 * have taken a free page): the re-check means nothing */
	moved = atomic_load(&r->pages[k->p].state) != k->s0 ||
		__atomic_load_n(&r->pages[k->p].token, __ATOMIC_SEQ_CST) != k->tok0 ||
		(k->s0 == PS_FREE && atomic_load(&r->any_inflight));
	v->confirmed &= !moved;
	snprintf(v->classify, sizeof(v->classify), "%s", moved
		 ? "re-check inconclusive: BPF freed or re-allocated the page while it ran"
		 : !v->confirmed
		 ? "not explained by a stale user PTE: MADV_DONTNEED + a fresh fault did not restore coherence"
		 : k->pinned ? "the pin was taken through a user PTE that did not map the arena's page (an orphaned "
			       "PTE from a fault racing a free); after MADV_DONTNEED a fresh fault maps the arena's page"
		 : "the kernel went through a stale user PTE (an orphaned PTE from a fault racing a free); "
		   "after MADV_DONTNEED a fresh fault maps the arena's page");
}

enum as_vkind as_kop_end(struct as_worker *w, struct as_kop *k, int err, uint64_t val)
{
	struct as_run *r = w->run;
	struct as_page *pg = &r->pages[k->p];
	struct as_kview kv = {0};
	struct as_violation v = {0};
	bool injected = false;
	uint32_t s1, mg1;
	uint64_t t1;
	int perr = 0;

	if (k->kind == AS_KOP_WRITE && !err) {
		if ((r->o->inject & AS_INJ_PIN) && k->pinned && k->ref_known && ps_allocated(k->s0) &&
		    !(k->s0 & PS_BUSY) && k->tok0 != k->t_ref) {
			/* test: make the old pin's data reach the new page */
			as_guarded_write(as_uword(r, k->p, k->off), k->mark);
			injected = true;
		}
		val = as_peek_word(r, k->p, k->off, &perr);
	}
	atomic_thread_fence(memory_order_acquire);	/* the op and its check before the re-read */
	t1 = __atomic_load_n(&pg->token, __ATOMIC_ACQUIRE);
	s1 = atomic_load_explicit(&pg->state, memory_order_acquire);
	mg1 = atomic_load(&r->mapgen);
	k->stable = s1 == k->s0 && t1 == k->tok0 && !(k->s0 & PS_BUSY) && mg1 == k->mapgen0 && !(mg1 & 1) && !perr;
	/* "stayed free" also needs no allocation at a kernel-chosen address
	 * overlapping the op: the table learns of those only when they return */
	if (k->s0 == PS_FREE && (k->any_inflight0 || atomic_load(&r->any_inflight) ||
				 atomic_load(&r->any_seq) != k->any_seq0))
		k->stable = false;
	w->ctr[C_KOP]++;
	if (err)
		w->ctr[C_KOP_FAIL]++;
	kv.kind = k->kind;
	kv.segv_on_fault = r->arena_flags & BPF_F_SEGV_ON_FAULT;
	kv.stable = k->stable;
	kv.allocated = ps_allocated(k->s0);
	kv.t_now = k->tok0;
	kv.pinned = k->pinned;
	kv.ref_known = k->ref_known;
	kv.ref_alloc = k->ref_alloc;
	kv.t_ref = k->t_ref;
	kv.err = err;
	kv.val = val;
	kv.mark = k->mark;
	v.kind = as_judge_kop(&kv, k->path, v.saw, sizeof(v.saw));
	if (v.kind == V_NONE)
		return V_NONE;
	v.pgoff = k->p;
	if (injected)
		strncat(v.saw, " [injected]", sizeof(v.saw) - strlen(v.saw) - 1);
	kop_confirm(r, &v, k, &kv);
	as_violation(r, &v);
	if (v.kind == V_STALE_FREE || v.kind == V_COHERENCE)
		as_suspect(w);	/* let the sweep see the page too */
	return v.kind;
}
