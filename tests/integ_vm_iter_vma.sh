#!/bin/bash
# iter-vma on Debian's 7.3.4 cloud kernel in the VM: a sleepable task_vma
# iterator frees arena pages of its own process (zap_pages() takes
# mmap_read_lock() of the mm the iterator read-holds):
#   - with mmap/munmap writers in the process: the iterating thread and a
#     writer hang in D state, the iterator in zap_pages() (reported as a hang;
#     findings/observations/iter-vma-mmap-lock-recursion-7.3.4.txt);
#   - without writers (-u 0), the control: the second read lock is taken and
#     the ops go through, no hang.
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
q="d['scenarios'][0]"
vm() {
	bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s iter-vma --unsafe "$@" >"$TMP/out" 2>&1
	rc=$?
}

vm -d 10
vm_result $rc "iter-vma with writers"
check "iter-vma ran" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
# the deadlock: the iterating thread in zap_pages() and a writer of the mm
# queued behind it, all in D state.  Reported either by the workers' hang
# watchdog (threads named, the iterator at zap_pages) or, when the thread
# that runs it is itself one of the writers (brk from malloc, munmap) and the
# process never reaches a progress line, by the parent: the process wedged
# in uninterruptible sleep at an mmap_lock path.
check "the run deadlocks in the kernel: a hang in D state at zap_pages or an mmap_lock writer ($(json "$TMP/vm.json" "$q['by_kind']"))" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'hang' and (('in D state at zap_pages' in v['saw'] and v['saw'].count('in D state') >= 2) or
		('uninterruptible sleep in the kernel at' in v['saw'] and any(w in v['saw'] for w in
		('zap_pages', 'brk', 'munmap', 'mmap', 'rwsem', 'down_write', 'down_read')))) for v in $q['violations'])")" = True ]
n=$(json "$TMP/vm.json" "$q['counters'].get('remap', -1)")
if [ "$n" = -1 ]; then
	echo "note: the process wedged before its first progress line: no counters ($(json "$TMP/vm.json" "[v['saw'][:160] for v in $q['violations']]"))"
else
	check "the writers ran ($n mmap/munmap pairs)" [ "$n" -gt 10 ]
fi

vm -d 8 -u 0
vm_result $rc "iter-vma without writers"
allocs=$(json "$TMP/vm.json" "$q.get('note', '')" | sed -n 's/.*program: \([0-9]*\) allocations.*/\1/p')
check "without writers: allocations and frees through the iterator (${allocs:-?})" [ "${allocs:-0}" -ge 10 ]
kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
check "without writers: no hang ($kinds)" [ "$(json "$TMP/vm.json" "'hang' in $q['by_kind']")" = False ]
check "without writers: only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS| )*" <<<"$kinds"
grep -qw kernel-splat <<<"$kinds" && check "without writers: its kernel splats are finding 2's Bad page state" bad_page_only "$TMP/vm.json"
echo "note: without writers: $(json "$TMP/vm.json" "$q['note']")"
done_test
