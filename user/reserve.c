// SPDX-License-Identifier: GPL-2.0
/*
 * Reservations (bpf_arena_reserve_pages): a reserved range is used without
 * pages.  The contract the calls here check, each against the page table:
 *   - reserving free pages succeeds, and no allocation may land there, at a
 *     fixed address (as_alloc_over) or a kernel-chosen one (pages.c: alloc);
 *   - reserving over an allocated page fails with -EBUSY (as_reserve_over);
 *   - a user fault on a reserved address (as_ureserved_read) follows the
 *     arena's flag, as the kfunc's submission (8fc3d2d8b501, 6.17) put it:
 *     reserved regions "can also be allocated from userspace through minor
 *     faults.  It is up to the user to prevent erroneous frees and/or use the
 *     BPF_F_SEGV_ON_FAULT flag to catch stray userspace accesses".  With the
 *     flag it fails with SIGSEGV; without it the lazy fault allocates a zeroed
 *     page there, and when that allocation fails the reservation must stay
 *     whole (findings/04: 6.17+ gives the page back to the allocator);
 *   - a free releases the reservation (as_free_span; the next as_reserve or
 *     allocation there must succeed again).
 * Reserved pages carry PS_RESV in the table: sweeps judge them as free
 * pages, the accounting oracle counts them as no page.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <bpf/btf.h>
#include "engine.h"

int as_probe_reserve(const struct as_opts *o, char *why, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool have = btf && btf__find_by_name_kind(btf, "bpf_arena_reserve_pages", BTF_KIND_FUNC) >= 0;

	btf__free(btf);
	if (!have)
		snprintf(why, len, "this kernel has no arena reservations: no bpf_arena_reserve_pages kfunc in "
			 "its BTF");
	return have ? 0 : -1;
}

static int reserve_op(struct as_run *r, uint32_t pgoff, uint32_t cnt)
{
	struct as_op op = {.op = AS_OP_RESERVE, .pgoff = pgoff, .cnt = cnt};

	if (r->reserve_fd < 0)
		return -EOPNOTSUPP;
	return as_bpf_op_fd(r->reserve_fd, &op);
}

/* Give back what claim() took and the kernel refused.  Only pages still
 * claimed: an allocation at a kernel-chosen address may have taken one
 * meanwhile (the kernel's refusal may be just that), and its owner wrote its
 * state over the claim (pages.c: alloc). */
static void unclaim(struct as_run *r, uint32_t pgoff, uint32_t cnt, uint32_t me)
{
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t exp = me | PS_BUSY;

		atomic_compare_exchange_strong(&r->pages[pgoff + i].state, &exp, PS_FREE);
	}
}

/* Claim free pages [pgoff, pgoff + cnt) for worker me (busy): true when all were free. */
static bool claim(struct as_run *r, uint32_t pgoff, uint32_t cnt, uint32_t me)
{
	uint32_t i;

	for (i = 0; i < cnt; i++) {
		uint32_t exp = PS_FREE;

		if (!atomic_compare_exchange_strong(&r->pages[pgoff + i].state, &exp, me | PS_BUSY))
			break;
	}
	if (i == cnt)
		return true;
	unclaim(r, pgoff, i, me);
	return false;
}

static void set_state(struct as_run *r, uint32_t pgoff, uint32_t cnt, uint32_t st)
{
	for (uint32_t i = 0; i < cnt; i++) {
		__atomic_store_n(&r->pages[pgoff + i].token, 0, __ATOMIC_RELEASE);
		atomic_store_explicit(&r->pages[pgoff + i].state, st, memory_order_release);
		if (st & PS_RESV)	/* the sweep judges reserved pages as free ones */
			as_watch_page(r, pgoff + i);
	}
}

int as_reserve(struct as_worker *w, uint32_t pgoff, uint32_t cnt)
{
	struct as_run *r = w->run;
	uint32_t me = w->id + 1;
	int err;

	if (r->reserve_fd < 0)
		return -EOPNOTSUPP;
	if (!cnt || pgoff == 0 || pgoff + cnt > r->a.npages)
		return -EINVAL;	/* uaddr 0 is "no address" to the kfuncs */
	if (!claim(r, pgoff, cnt, me))
		return -EBUSY;
	err = reserve_op(r, pgoff, cnt);
	if (err) {
		/* the table says free, the kernel says busy: an allocation at a
		 * kernel-chosen address in flight may have taken a page, or the
		 * arena's lock failed (rqspinlock): both legal */
		unclaim(r, pgoff, cnt, me);
		return err;
	}
	set_state(r, pgoff, cnt, me | PS_RESV);
	as_span_push(w, pgoff, cnt, true);
	w->ctr[C_RESERVE]++;
	return 0;
}

int as_reserve_over(struct as_worker *w, uint32_t idx)
{
	struct as_run *r = w->run;
	struct as_span s = w->spans[idx];
	uint32_t me = w->id + 1, extra = 0, cnt;
	int err;

	if (s.reserved || r->reserve_fd < 0)
		return -EINVAL;
	/* and the free page after it, if there is one: a partly allocated
	 * range must be refused as a whole */
	if (s.pgoff + s.cnt < r->a.npages && claim(r, s.pgoff + s.cnt, 1, me))
		extra = 1;
	cnt = s.cnt + extra;
	err = reserve_op(r, s.pgoff, cnt);
	w->ctr[C_RESV_CHECK]++;
	if (err) {
		if (extra)
			unclaim(r, s.pgoff + s.cnt, 1, me);
		return 0;
	}
	as_report_v(r, V_CONTRACT, s.pgoff, "bpf_arena_reserve_pages() must refuse a range with allocated pages "
		    "(-EBUSY)", "bpf_arena_reserve_pages() of %u page(s) at page %u succeeded although %u of them "
		    "are allocated (token %#" PRIx64 ")", cnt, s.pgoff, s.cnt,
		    __atomic_load_n(&r->pages[s.pgoff].token, __ATOMIC_ACQUIRE));
	/* the free page it took is reserved now, and ours to release */
	if (extra) {
		set_state(r, s.pgoff + s.cnt, 1, me | PS_RESV);
		as_span_push(w, s.pgoff + s.cnt, 1, true);
	}
	return 1;
}

int as_alloc_over(struct as_worker *w, uint32_t idx)
{
	struct as_run *r = w->run;
	struct as_span *s = &w->spans[idx];
	uint32_t me = w->id + 1;
	struct as_op op = {.op = AS_OP_ALLOC, .pgoff = s->pgoff, .cnt = s->cnt};

	if (!s->reserved || s->cnt > AS_MAX_ALLOC_CNT)
		return -EINVAL;
	op.gen = ((uint64_t)w->id << 32) | ++w->seq;
	w->ctr[C_RESV_CHECK]++;
	if (r->o->inject & AS_INJ_RESV) {	/* test: the kernel releases it, the table does not know */
		struct as_op f = {.op = AS_OP_FREE, .pgoff = s->pgoff, .cnt = s->cnt};

		as_bpf_op(r, &f);
	}
	if (as_bpf_op(r, &op)) {
		if (r->o->inject & AS_INJ_RESV) {	/* released above: the table follows */
			for (uint32_t i = 0; i < s->cnt; i++) {
				uint32_t exp = me | PS_RESV;

				atomic_compare_exchange_strong(&r->pages[s->pgoff + i].state, &exp, PS_FREE);
			}
			*s = w->spans[--w->nspans];
		}
		return 0;	/* refused, as it must be */
	}
	as_report_v(r, V_CONTRACT, s->pgoff, "bpf_arena_alloc_pages() must refuse a reserved range",
		    "bpf_arena_alloc_pages() of %u page(s) at page %u succeeded (at page %u) although worker %u "
		    "holds them reserved%s", s->cnt, s->pgoff, op.pgoff, w->id,
		    r->o->inject & AS_INJ_RESV ? " [injected]" : "");
	if (op.pgoff != s->pgoff)
		return 1;	/* landed elsewhere: pages.c's check has its own word; leak them */
	/* the pages are allocated now: ours, with the token BPF wrote */
	for (uint32_t i = 0; i < s->cnt; i++) {
		__atomic_store_n(&r->pages[s->pgoff + i].token, AS_TOKEN(op.gen, s->pgoff + i), __ATOMIC_RELEASE);
		atomic_store_explicit(&r->pages[s->pgoff + i].state, me, memory_order_release);
	}
	s->reserved = false;
	return 1;
}

/* After a user fault on reserved page p failed without BPF_F_SEGV_ON_FAULT
 * (its lazy allocation failed): p must still be reserved, so an allocation
 * there is refused.  1 when it is not (reported; p is then ours, allocated). */
static int resv_kept(struct as_worker *w, uint32_t p)
{
	struct as_run *r = w->run;
	struct as_op op = {.op = AS_OP_ALLOC, .pgoff = p, .cnt = 1};

	op.gen = ((uint64_t)w->id << 32) | ++w->seq;
	w->ctr[C_RESV_CHECK]++;
	if (as_bpf_op(r, &op))
		return 0;	/* still reserved */
	as_report_v(r, V_CONTRACT, p, "a user fault that fails must leave the reservation whole: its error "
		    "path gave a reserved page back to the allocator (findings/04)",
		    "user read of page %u, which worker %u holds reserved, took SIGSEGV (the lazy allocation "
		    "failed), and then bpf_arena_alloc_pages() of that page succeeded (at page %u)",
		    p, w->id, op.pgoff);
	if (op.pgoff == p) {	/* allocated now: ours, with the token BPF wrote */
		__atomic_store_n(&r->pages[p].token, AS_TOKEN(op.gen, p), __ATOMIC_RELEASE);
		atomic_store_explicit(&r->pages[p].state, (uint32_t)(w->id + 1), memory_order_release);
	}
	return 1;
}

int as_ureserved_read(struct as_worker *w, uint32_t idx, uint32_t p)
{
	struct as_run *r = w->run;
	struct as_span *s = &w->spans[idx];
	bool segv = r->arena_flags & BPF_F_SEGV_ON_FAULT;
	uint64_t v = 0, pfn;
	int sig;

	if (!s->reserved || p < s->pgoff || p >= s->pgoff + s->cnt ||
	    !(atomic_load(&r->pages[p].state) & PS_RESV))
		return -EINVAL;
	touch1(r, p);
	sig = as_guarded_read(as_uword(r, p, AS_OFF_TOKEN), &v);
	w->ctr[C_RESV_CHECK]++;
	w->ctr[sig ? C_USEGV : C_UREAD]++;
	if (!segv && sig == SIGSEGV) {
		w->ctr[C_RESV_FAULT_FAIL]++;
		return resv_kept(w, p);
	}
	if (!segv && !sig) {
		w->ctr[C_RESV_FAULT]++;
		/* allowed: the fault allocated the page, which is an ordinary
		 * allocated page now (ours, freed with the span), and fresh */
		atomic_store_explicit(&r->pages[p].state, (uint32_t)(w->id + 1), memory_order_release);
		if (!v)
			return 0;
		as_report_v(r, V_DIRTY_ALLOC, p, "a page the lazy fault allocates must be zeroed",
			    "user read of page %u, which worker %u held reserved, mapped a page that reads %#"
			    PRIx64 " (PTE pfn %#" PRIx64 ")", p, w->id, v, as_pfn(r, p));
		return 1;
	}
	if (sig == SIGSEGV)
		return 0;	/* BPF_F_SEGV_ON_FAULT: refused, as it must be */
	pfn = as_pfn(r, p);
	as_report_v(r, V_CONTRACT, p, sig ? "a user fault on a reserved address must map a page or fail with SIGSEGV"
		    : "with BPF_F_SEGV_ON_FAULT a user fault on a reserved address must fail (SIGSEGV): a page "
		      "was mapped there",
		    "user read of page %u, which worker %u holds reserved, %s%s (read %#" PRIx64 ", PTE pfn %#"
		    PRIx64 ")", p, w->id, sig ? "took signal " : "succeeded", sig ? strsignal(sig) : "", v, pfn);
	if (!sig)	/* the kernel has a page there now: the table says so */
		atomic_store_explicit(&r->pages[p].state, (uint32_t)(w->id + 1), memory_order_release);
	return 1;
}
