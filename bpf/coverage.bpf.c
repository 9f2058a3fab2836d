// SPDX-License-Identifier: GPL-2.0
/*
 * Race-window coverage: how often did the windows the scenarios aim at open?
 *  - free vs fault in flight: between arena_vm_fault() looking the page up
 *    and its PTE being installed, a bpf_arena_free_pages() began or ended.
 *    The fault is in flight from its entry until the PTE is in: at
 *    finish_fault()'s return where the handler returns the page (0, the
 *    shipped kernels), at the handler's own return where it installs the PTE
 *    itself (VM_FAULT_NOPAGE, the project's fix) or fails.  So the count
 *    sees the window on both, including a fix that orders frees after it;
 *  - zap vs teardown: an arena free's zap (zap_page_range_single() up to
 *    7.0, zap_vma_range() from 7.1) ran while some task was in
 *    free_pgtables() (munmap or exit tearing page tables down).
 * Each program is optional: user space probes the symbol first and reports
 * what it could not attach.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "arena_stress.h"
#include "arena_worker.h"

#define PF_IO_WORKER 0x00000010	/* include/linux/sched.h */

struct as_cov cov;
__s64 inflight;		/* arena faults between page lookup and PTE installed */
__s64 teardown;		/* tasks inside free_pgtables() */
/* runs of the 7.x deferred free worker, per arena (by map id): started,
 * finished.  An arena's runs are serialized (a work item never runs
 * concurrently with itself), and one that starts after a span was queued
 * frees it: the engine's completion signal for deferred frees
 * (user/pages.c).  Per arena, because other arenas' workers (other
 * scenarios under --parallel) run beside ours on other kworkers. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct as_worker_runs);
} worker_runs SEC(".maps");

static struct as_worker_runs *worker_runs_of(struct work_struct *work)
{
	struct as_worker_runs zero = {}, *w;
	__u32 id = as_worker_arena_id(work);

	if (!id)
		return 0;
	w = bpf_map_lookup_elem(&worker_runs, &id);
	if (w)
		return w;
	bpf_map_update_elem(&worker_runs, &id, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&worker_runs, &id);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} fault_task SEC(".maps");	/* tasks with an arena fault in flight */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} free_task SEC(".maps");	/* tasks inside bpf_arena_free_pages() */

static void fault_done(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!bpf_map_delete_elem(&fault_task, &id))
		__sync_fetch_and_sub(&inflight, 1);
}

SEC("fentry/arena_vm_fault")
int BPF_PROG(cov_fault_in, struct vm_fault *vmf)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u8 one = 1;

	if (!bpf_map_update_elem(&fault_task, &id, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&inflight, 1);
	return 0;
}

SEC("fexit/arena_vm_fault")
int BPF_PROG(cov_fault, struct vm_fault *vmf, vm_fault_t ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	__sync_fetch_and_add(&cov.arena_faults, 1);
	if (task->flags & PF_IO_WORKER)
		__sync_fetch_and_add(&cov.iowq_faults, 1);
	if (vmf->vma->vm_mm != task->mm)
		__sync_fetch_and_add(&cov.remote_faults, 1);
	if (ret != 0)	/* PTE installed by the handler, or no PTE at all */
		fault_done();
	return 0;
}

SEC("fexit/finish_fault")
int BPF_PROG(cov_finish, struct vm_fault *vmf, vm_fault_t ret)
{
	fault_done();
	return 0;
}

SEC("fentry/bpf_arena_free_pages")
int BPF_PROG(cov_free_in, void *map, void *ptr, __u32 cnt)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u8 in_flight = inflight > 0;

	__sync_fetch_and_add(&cov.frees, 1);
	bpf_map_update_elem(&free_task, &id, &in_flight, BPF_ANY);
	return 0;
}

SEC("fexit/bpf_arena_free_pages")
int BPF_PROG(cov_free_out, void *map, void *ptr, __u32 cnt)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u8 *at_entry = bpf_map_lookup_elem(&free_task, &id);

	if ((at_entry && *at_entry) || inflight > 0)
		__sync_fetch_and_add(&cov.free_during_fault, 1);
	bpf_map_delete_elem(&free_task, &id);
	return 0;
}

static void zap(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!bpf_map_lookup_elem(&free_task, &id))
		return;	/* not an arena free's zap */
	__sync_fetch_and_add(&cov.arena_zaps, 1);
	if (teardown > 0)
		__sync_fetch_and_add(&cov.zap_during_teardown, 1);
}

SEC("fentry/zap_page_range_single")
int BPF_PROG(cov_zap)
{
	zap();
	return 0;
}

SEC("fentry/zap_vma_range")
int BPF_PROG(cov_zap_vma)
{
	zap();
	return 0;
}

/* A page an arena free gives back while something still pins it: FOLL_PIN
 * adds GUP_PIN_COUNTING_BIAS (1024) to a small page's refcount. */
SEC("fentry/__free_pages")
int BPF_PROG(cov_page_free, struct page *page, unsigned int order)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!bpf_map_lookup_elem(&free_task, &id))
		return 0;	/* not inside an arena free */
	if (page->_refcount.counter >= 1024 + 1)
		__sync_fetch_and_add(&cov.pinned_frees, 1);
	return 0;
}

SEC("fentry/arena_free_worker")
int BPF_PROG(cov_free_worker_in, struct work_struct *work)
{
	struct as_worker_runs *w = worker_runs_of(work);

	if (w)
		__sync_fetch_and_add(&w->started, 1);
	__sync_fetch_and_add(&cov.deferred_runs, 1);
	return 0;
}

SEC("fexit/arena_free_worker")
int BPF_PROG(cov_free_worker_out, struct work_struct *work)
{
	struct as_worker_runs *w = worker_runs_of(work);

	if (w)
		__sync_fetch_and_add(&w->done, 1);
	if (inflight > 0)
		__sync_fetch_and_add(&cov.deferred_during_fault, 1);
	return 0;
}

SEC("fentry/free_pgtables")
int BPF_PROG(cov_teardown_in)
{
	__sync_fetch_and_add(&teardown, 1);
	return 0;
}

SEC("fexit/free_pgtables")
int BPF_PROG(cov_teardown_out)
{
	__sync_fetch_and_sub(&teardown, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
