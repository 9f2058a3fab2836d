#!/bin/bash
# tc (arena ops from a tc ingress program on the loopback of the scenario's
# own network namespace, in the NET_RX softirq) on Debian's 7.3.4 cloud kernel
# in the VM, and its skip on 6.12:
#   - real work from the program, every op serving a softirq (the program
#     reads preempt_count), counted in the JSON's non-sleepable allocations and
#     deferred frees; only divergence kinds of the known findings but the
#     injected ones;
#   - --inject dirty-alloc and --tc-inject-stale: the zero-on-alloc check made
#     in the program and the after-free check each report their injection,
#     marked;
#   - 6.12: skipped with the verifier's refusal (sleepable-only kfuncs).
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
q="d['scenarios'][0]"
vm() {	# vm KERNEL-PKG ARGS...
	local k=$1; shift
	bash tests/vm/run.sh --kernel-pkg "$k" --timeout 300 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s tc "$@" >"$TMP/out" 2>&1
	rc=$?
}
# the program's allocations, deferred frees, ops, and ops serving a softirq
note() {
	json "$TMP/vm.json" "$q.get('note', '')" |
		sed -n 's/.*tc ingress program: \([0-9]*\) allocations ([0-9]* NULL) and \([0-9]*\) deferred frees; of \([0-9]*\) ops \([0-9]*\) ran serving a softirq.*/\1 \2 \3 \4/p'
}

vm "$pkg" -d 8 --inject dirty-alloc --tc-inject-stale
vm_result $rc "tc on 7.3.4"
check "tc ran on 7.3.4 ($(json "$TMP/vm.json" "$q.get('reason', '')"))" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
read -r allocs frees all soft <<<"$(note)"
check "allocations from the program (${allocs:-?})" [ "${allocs:-0}" -ge 5 ]
check "deferred frees from the program (${frees:-?})" [ "${frees:-0}" -ge 5 ]
n=$(json "$TMP/vm.json" "$q['counters']['alloc_nosleep']")
check "counted in the JSON's non-sleepable allocations ($n >= ${allocs:-?})" [ "$n" -ge "${allocs:-1}" ]
n=$(json "$TMP/vm.json" "$q['counters']['free_deferred']")
check "and in its deferred frees ($n >= ${frees:-?})" [ "$n" -ge "${frees:-1}" ]
check "no deferred free left undone" [ "$(json "$TMP/vm.json" "$q['counters']['deferred_late']")" = 0 ]
check "every op ran serving a softirq (${soft:-?} of ${all:-?})" [ "${all:-0}" -gt 10 ] && [ "$soft" = "$all" ]
check "--inject dirty-alloc: the program's zero-on-alloc check fired, marked" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from a tc ingress program' in v['saw'] and '[injected]' in v['saw'] for v in $q['violations'])")" = True ]
n=$(json "$TMP/vm.json" "sum(1 for v in $q['violations'] if v['kind'] == 'stale-free-mapping' and '[injected]' in v['saw'])")
check "--tc-inject-stale: the after-free check fired for the first free's pages, marked ($n)" [ "$n" -ge 1 -a "$n" -le 4 ]
kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
check "otherwise only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS|dirty-alloc| )*" <<<"$kinds"
splats_ok "$kinds" "$TMP/vm.json"

vm 'linux-image-6.12.*-cloud-amd64' -d 2
check "6.12: nothing ran (exit 4, got $rc)" [ "$rc" -eq 4 ]
why=$(json "$TMP/vm.json" "$q['reason']")
check "6.12: tc skipped with the verifier's words ($why)" grep -q "verifier refused arena kfunc calls from a tc ingress program" <<<"$why"
done_test
