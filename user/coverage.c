// SPDX-License-Identifier: GPL-2.0
/* Loads the optional race-window tracing programs: a missing symbol or an
 * attach failure makes that program unavailable, never the run fail. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "coverage.h"
#include "coverage.skel.h"

static void note(struct as_covrun *c, const char *what, const char *why)
{
	size_t n = strlen(c->unavailable);

	if (strstr(c->unavailable, what))	/* fentry and fexit of one function: once */
		return;

	snprintf(c->unavailable + n, sizeof(c->unavailable) - n, "%s%s (%s)", n ? ", " : "", what, why);
}

void as_cov_start(struct as_covrun *c)
{
	struct bpf_program *prog;
	struct btf *btf;
	int err;

	memset(c, 0, sizeof(*c));
	btf = btf__load_vmlinux_btf();
	c->skel = coverage_bpf__open();
	if (!btf || !c->skel) {
		note(c, "all", "no kernel BTF or BPF object");
		goto fail;
	}
	bpf_object__for_each_program(prog, c->skel->obj) {
		const char *sec = bpf_program__section_name(prog), *fn = strchr(sec, '/');

		if (!fn || btf__find_by_name_kind(btf, fn + 1, BTF_KIND_FUNC) < 0) {
			/* the arena zaps through one of the two, by kernel version */
			const char *twin = !fn ? NULL : !strcmp(fn + 1, "zap_vma_range") ? "zap_page_range_single"
					 : !strcmp(fn + 1, "zap_page_range_single") ? "zap_vma_range" : NULL;

			if (!twin || btf__find_by_name_kind(btf, twin, BTF_KIND_FUNC) < 0)
				note(c, fn ? fn + 1 : sec, "not in this kernel's BTF");
			bpf_program__set_autoload(prog, false);
		}
	}
	err = coverage_bpf__load(c->skel);
	if (err) {
		note(c, "all", err == -EPERM ? "tracing programs refused: kernel lockdown (see dmesg)?"
					     : strerror(-err));
		goto fail;
	}
	bpf_object__for_each_program(prog, c->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (!bpf_program__attach(prog))
			note(c, strchr(bpf_program__section_name(prog), '/') + 1, strerror(errno));
	}
	c->base = c->skel->bss->cov;
	c->on = !strstr(c->unavailable, "arena_vm_fault") && !strstr(c->unavailable, "finish_fault") &&
		!strstr(c->unavailable, "bpf_arena_free_pages") && !strstr(c->unavailable, "all");
	btf__free(btf);
	return;
fail:
	btf__free(btf);
	coverage_bpf__destroy(c->skel);
	c->skel = NULL;
}

void as_cov_read(const struct as_covrun *c, struct as_cov *d)
{
	memset(d, 0, sizeof(*d));
	if (!c->skel)
		return;
	d->arena_faults = c->skel->bss->cov.arena_faults - c->base.arena_faults;
	d->frees = c->skel->bss->cov.frees - c->base.frees;
	d->free_during_fault = c->skel->bss->cov.free_during_fault - c->base.free_during_fault;
	d->arena_zaps = c->skel->bss->cov.arena_zaps - c->base.arena_zaps;
	d->zap_during_teardown = c->skel->bss->cov.zap_during_teardown - c->base.zap_during_teardown;
	d->pinned_frees = c->skel->bss->cov.pinned_frees - c->base.pinned_frees;
	d->iowq_faults = c->skel->bss->cov.iowq_faults - c->base.iowq_faults;
	d->remote_faults = c->skel->bss->cov.remote_faults - c->base.remote_faults;
	d->deferred_runs = c->skel->bss->cov.deferred_runs - c->base.deferred_runs;
	d->deferred_during_fault = c->skel->bss->cov.deferred_during_fault - c->base.deferred_during_fault;
}

bool as_cov_free_worker(const struct as_covrun *c, uint32_t arena_id, uint64_t *started, uint64_t *done)
{
	struct as_worker_runs w = {0};

	if (!c->skel || strstr(c->unavailable, "arena_free_worker"))
		return false;
	/* no entry: this arena's worker has not run yet */
	bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.worker_runs), &arena_id, &w);
	*started = w.started;
	*done = w.done;
	return true;
}

void as_cov_rebase(struct as_covrun *c)
{
	if (c->skel)
		c->base = c->skel->bss->cov;
}

void as_cov_stop(struct as_covrun *c)
{
	coverage_bpf__destroy(c->skel);
	c->skel = NULL;
}
