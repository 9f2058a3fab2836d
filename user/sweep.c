// SPDX-License-Identifier: GPL-2.0
/*
 * The coherence sweep: with every worker parked, user space writes a nonce
 * into each allocated page and BPF reads it through the kernel mapping (and
 * the reverse), BPF re-reads its own token, and every free page must fault;
 * as_judge_page (oracle.c) rules on each page.  Each finding is re-checked
 * independently (MADV_DONTNEED + a fresh fault) and classified against what
 * the PTE samples around the page's last free saw.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "report.h"
#include "arena_stress.skel.h"

/* What the last free of page p saw, and what that says about how the stale
 * PTE (pfn stale_pfn) got there.  Only states what was observed. */
const char *as_free_history(struct as_run *r, uint32_t p, uint64_t stale_pfn, char *buf, size_t len)
{
	struct as_page *pg = &r->pages[p];
	const char *how;

	if (!pg->free_cnt) {
		snprintf(buf, len, "page never freed in this run");
		return buf;
	}
	if (!pg->sampled)
		how = "PTEs were not sampled around that free";
	else if (!pg->pte_before && pg->pte_after)
		how = "PTE installed while the free ran (fault in flight across the free)";
	else if (!pg->pte_before)
		how = "PTE installed after the free returned (a fault that took its page reference "
		      "before the free installed it afterwards)";
	else if (pg->pfn_before != stale_pfn)
		how = "another page was mapped when the free began; the stale PTE was installed later";
	else if (!pg->pte_after)
		how = "the free zapped this PTE, then a fault that had taken its page reference before "
		      "the free installed it again";
	else
		how = "the same PTE was present before and after the free: the free did not zap it, "
		      "or it was already stale from an earlier free of this address";
	snprintf(buf, len, "last free: page_cnt=%u at %.3fms; user PTE %s just before it (pfn %#" PRIx64
		 "), %s right after: %s", pg->free_cnt, pg->free_ns / 1e6,
		 !pg->sampled ? "?" : pg->pte_before ? "present" : "absent", pg->pfn_before,
		 !pg->sampled ? "?" : pg->pte_after ? "present" : "absent", how);
	return buf;
}

/* Independent re-check of one page: drop this process's PTE with
 * MADV_DONTNEED, re-fault, and see whether user and BPF agree again. */
static void confirm(struct as_run *r, struct as_violation *v, const struct as_view *view)
{
	uint32_t p = v->pgoff;
	volatile uint64_t *u = as_uword(r, p, 0);
	uint64_t val = 0, pfn_now, n2 = as_nonce(r->seed ^ 0xc0ffee, r->sweep_seq, p, 2);
	char hist[360];
	int sig, err;

	v->pfn_user = view->pfn;	/* sampled by the sweep */
	if ((err = as_drop_pte(r, p, &pfn_now))) {
		snprintf(v->classify, sizeof(v->classify), "MADV_DONTNEED failed: %s", strerror(-err));
		return;
	}
	as_free_history(r, p, view->pfn, hist, sizeof(hist));
	if (view->allocated) {
		struct as_op op = {.op = AS_OP_PEEK, .pgoff = p};

		sig = as_guarded_write(u + AS_OFF_UNONCE / 8, n2);
		if (!sig && !as_bpf_op(r, &op))
			sig = op.peek_unonce == n2 ? 0 : -1;
		v->pfn_after = as_pfn(r, p);
		v->confirmed = sig == 0 && v->pfn_after != v->pfn_user;
		snprintf(v->classify, sizeof(v->classify), "%s; %s%s",
			 v->kind == V_TOKEN ? "BPF lost its own token (user space was not involved)"
			 : sig == 0 ? "orphaned user PTE: MADV_DONTNEED + re-fault restored coherence"
				    : "not restored by MADV_DONTNEED", hist, as_reuse_note(r, p));
	} else {
		sig = as_guarded_read(u, &val);
		v->confirmed = view->segv_on_fault ? sig != 0 : true;
		snprintf(v->classify, sizeof(v->classify), "%s; %s",
			 v->confirmed ? "orphaned user PTE on a freed page: gone after MADV_DONTNEED"
				      : "still readable after MADV_DONTNEED", hist);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Take the pages to judge off the watch list (struct as_watch), sorted and
 * unique; *n of them.  NULL on ENOMEM. */
static uint32_t *watch_take(struct as_run *r, uint32_t *n)
{
	struct as_watch *wl = r->watch;
	uint32_t old, k = 0, *list;
	bool full;

	as_watch_lock(wl);
	old = atomic_load(&wl->cur);
	atomic_store(&wl->cur, !old);	/* appends from now on go to the other list */
	full = wl->overflow;
	*n = wl->n[old];
	if (full)	/* appends were lost: the table says what is watched */
		wl->n[0] = wl->n[1] = 0, wl->overflow = false;
	as_watch_unlock(wl);
	list = malloc(((full ? r->a.npages : *n) + 1) * sizeof(*list));
	if (!list)
		return NULL;
	if (full) {
		for (uint32_t p = 0; p < r->a.npages; p++)
			if (atomic_load_explicit(&r->pages[p].watched, memory_order_relaxed))
				list[k++] = p;
	} else {
		memcpy(list, &wl->idx[(size_t)old * wl->cap], *n * sizeof(*list));
		wl->n[old] = 0;	/* nobody appends to it until the next flip */
		qsort(list, *n, sizeof(*list), cmp_u32);
		for (uint32_t i = 0; i < *n; i++)
			if (!k || list[k - 1] != list[i])
				list[k++] = list[i];
	}
	*n = k;
	return list;
}

/* pagemap of pages list[0..n) (sorted): one read per run of neighbours */
static void pagemap_list(struct as_run *r, const uint32_t *list, uint32_t n, uint64_t *pm)
{
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && list[j] == list[j - 1] + 1; j++)
			;
		if (as_pagemap_read(r->pagemap_fd, (uintptr_t)as_uword(r, list[i], 0), j - i, pm + i))
			memset(pm + i, 0, (j - i) * sizeof(*pm));
	}
}

int as_sweep(struct as_run *r)
{
	struct as_sweep *sw = &r->skel->bss->sweep;
	bool segv = r->arena_flags & BPF_F_SEGV_ON_FAULT;
	struct as_view *views;
	uint64_t *pm0, *pm1;
	uint32_t *list = NULL, n = 0, p;
	struct as_op op = {0};
	bool workers = !atomic_load(&r->stop);
	uint64_t t_begin = as_now_ns();
	long long want = 0;
	int nviol = 0, limbo = 0;

	views = calloc(AS_SWEEP_BATCH, sizeof(*views));
	pm0 = calloc(AS_SWEEP_BATCH, 8);
	pm1 = calloc(AS_SWEEP_BATCH, 8);
	if (!views || !pm0 || !pm1) {
		free(views), free(pm0), free(pm1);
		return -ENOMEM;
	}
	if (workers && as_quiesce_begin(r)) {
		free(views), free(pm0), free(pm1);
		as_report_hang(r);
		atomic_store(&r->stop, true);
		return -ETIMEDOUT;
	}
	r->sweep_seq++;
	list = watch_take(r, &n);
	if (!list)
		n = 0;
	for (uint32_t b = 0; b < n; b += AS_SWEEP_BATCH) {
		uint32_t *bl = list + b, bn = n - b < AS_SWEEP_BATCH ? n - b : AS_SWEEP_BATCH, j;

		memset(views, 0, bn * sizeof(*views));
		memset(pm0, 0, bn * 8);
		memset(pm1, 0, bn * 8);
		if (r->pagemap_fd >= 0)
			pagemap_list(r, bl, bn, pm0);
		for (j = 0; j < bn; j++) {
			struct as_view *v = &views[j];
			uint32_t st = atomic_load(&r->pages[bl[j]].state);

			p = bl[j];
			sw->idx[j] = p;
			if (st & PS_BUSY) {
				/* with every worker parked only a deferred free not known
				 * to be done is busy: neither allocated nor free, not judged */
				sw->want[j] = 0;
				limbo++;
				continue;
			}
			v->allocated = ps_allocated(st);	/* a reserved page is judged as a free one */
			want += v->allocated;
			v->segv_on_fault = segv;
			v->exp_token = r->pages[p].token;
			v->pte_present = pm0[j] & PM_PRESENT;
			v->pfn = pm0[j] & PM_PFN_MASK;
			sw->want[j] = v->allocated;
			if (v->allocated) {
				v->unonce = as_nonce(r->seed, r->sweep_seq, p, 0);
				v->bnonce = as_nonce(r->seed, r->sweep_seq, p, 1);
				sw->bnonce[j] = v->bnonce;
				as_touch(r, p, 1);
				v->uwrite_sig = as_guarded_write(as_uword(r, p, AS_OFF_UNONCE), v->unonce);
			} else if (segv) {
				/* Without SEGV_ON_FAULT a read would allocate the page. */
				v->probed = true;
				v->probe_sig = as_guarded_read(as_uword(r, p, AS_OFF_TOKEN), &v->probe_val);
				if (!v->probe_sig)	/* only a stale PTE lets it succeed */
					as_touch(r, p, 1);
			}
		}
		op.op = AS_OP_SWEEP;
		op.cnt = bn;
		op.inject = r->o->inject & AS_INJ_SWEEP_LIE;
		if (as_bpf_op(r, &op))
			continue;	/* not judged: kept below */
		if (r->pagemap_fd >= 0)
			pagemap_list(r, bl, bn, pm1);
		for (j = 0; j < bn; j++) {
			struct as_view *v = &views[j];
			struct as_violation viol = {0};
			bool stale;

			p = bl[j];
			if (atomic_load(&r->pages[p].state) & PS_BUSY)
				continue;
			v->bpf_token = sw->token[j];
			v->bpf_unonce = sw->unonce[j];
			if (v->allocated) {
				if (!v->uwrite_sig)
					v->uread_sig = as_guarded_read(as_uword(r, p, AS_OFF_BNONCE), &v->user_bnonce);
				v->pfn = pm1[j] & PM_PFN_MASK;
			}
			viol.kind = as_judge_page(v, viol.saw, sizeof(viol.saw));
			/* --inject stale: the skipped free runs now, before the re-check */
			stale = p + 1 == atomic_load(&r->inj_stale);
			if (stale)
				as_stale_late_free(r, p, viol.kind != V_NONE);
			if (viol.kind == V_NONE) {
				/* free, clean, unmapped here: off the list until touched */
				if (!v->allocated && !(atomic_load(&r->pages[p].state) & PS_RESV) &&
				    !v->pte_present && !(pm1[j] & PM_PRESENT) && (!v->probed || v->probe_sig))
				{
					atomic_store(&r->pages[p].watched, 0);
					bl[j] = UINT32_MAX;
				}
				continue;
			}
			viol.pgoff = p;
			if (op.inject || stale)
				strncat(viol.saw, " [injected]", sizeof(viol.saw) - strlen(viol.saw) - 1);
			confirm(r, &viol, v);
			as_violation(r, &viol);
			nviol++;
		}
	}
	/* what stays watched goes back on the list; the rest leaves it */
	for (uint32_t i = 0; i < n; i++) {
		if (list[i] != UINT32_MAX)
			as_watch_keep(r, list[i]);
	}
	r->own_ctr[C_SWEEP_PAGES] += n;
	if (r->acct && !r->acct_reported && !limbo) {
		long long bytes = as_map_memlock(r->a.map_fd);

		/* every allocated page is on the list (alloc watches it) */
		if (r->o->inject & AS_INJ_ACCT)	/* test: the table claims a page more */
			want++;
		/* A sleepable free whose rqspinlock failed is deferred by the
		 * kernel (arena_free_pages(): "defer the free") and returns as if
		 * done: its pages stay counted until arena_free_worker() runs.
		 * Only a count that stays wrong while nothing runs is judged. */
		for (int i = 0; i < AS_ACCT_SETTLE_MS && bytes >= 0 && bytes != want * AS_PAGE_SIZE; i++) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
			bytes = as_map_memlock(r->a.map_fd);
			if (bytes == want * AS_PAGE_SIZE)
				r->own_ctr[C_ACCT_SETTLED]++;
		}
		if (bytes >= 0 && bytes != want * AS_PAGE_SIZE) {
			struct as_violation v = {.kind = V_ACCOUNTING};

			snprintf(v.saw, sizeof(v.saw), "the arena reports %lld bytes in use (fdinfo memlock: %lld "
				 "pages) while %lld of its pages are allocated, for %d ms with every worker parked%s",
				 bytes, bytes / AS_PAGE_SIZE, want, AS_ACCT_SETTLE_MS,
				 r->o->inject & AS_INJ_ACCT ? " [injected]" : "");
			snprintf(v.classify, sizeof(v.classify), "the arena's page count (nr_pages, its map memory "
				 "usage) no longer follows its allocations and frees; checked with every worker parked");
			as_violation(r, &v);
			r->acct_reported = true;
		}
	}
	r->own_ctr[C_SWEEP]++;
	r->sweep_ns += as_now_ns() - t_begin;
	if (workers)
		as_quiesce_end(r);
	free(views), free(pm0), free(pm1), free(list);
	return nviol;
}
