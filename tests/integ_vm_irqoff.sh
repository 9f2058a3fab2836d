#!/bin/bash
# irqoff (arena ops inside a bpf_spin_lock region: interrupts off) on
# Debian's 7.3.4 cloud kernel in the VM, and its skip on 6.12:
#   - real work from the locked program, only divergence kinds of the known
#     findings but the injected ones; --inject dirty-alloc: the zero check
#     made after the locked allocation fires, marked;
#   - 6.12: skipped with the verifier's refusal.
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
q="d['scenarios'][0]"
vm() {	# vm KERNEL-PKG ARGS...
	local k=$1; shift
	bash tests/vm/run.sh --kernel-pkg "$k" --timeout 300 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s irqoff "$@" >"$TMP/out" 2>&1
	rc=$?
}

vm "$pkg" -d 8 --inject dirty-alloc
vm_result $rc "irqoff on 7.3.4"
check "irqoff ran on 7.3.4" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
read -r allocs frees <<<"$(json "$TMP/vm.json" "$q.get('note', '')" |
	sed -n 's/.*region: \([0-9]*\) allocations ([0-9]* NULL) and \([0-9]*\) deferred frees.*/\1 \2/p')"
check "allocations inside the lock (${allocs:-?})" [ "${allocs:-0}" -ge 5 ]
check "deferred frees inside the lock (${frees:-?})" [ "${frees:-0}" -ge 5 ]
check "no deferred free left undone" [ "$(json "$TMP/vm.json" "$q['counters']['deferred_late']")" = 0 ]
check "--inject dirty-alloc: the zero check of a locked allocation fired, marked" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from a bpf_spin_lock region' in v['saw'] and '[injected]' in v['saw'] for v in $q['violations'])")" = True ]
kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
check "otherwise only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS|dirty-alloc| )*" <<<"$kinds"
splats_ok "$kinds" "$TMP/vm.json"

vm 'linux-image-6.12.*-cloud-amd64' -d 2
check "6.12: nothing ran (exit 4, got $rc)" [ "$rc" -eq 4 ]
why=$(json "$TMP/vm.json" "$q['reason']")
check "6.12: irqoff skipped with the verifier's words ($why)" grep -q "verifier refused arena kfunc calls from a bpf_spin_lock region" <<<"$why"
done_test
