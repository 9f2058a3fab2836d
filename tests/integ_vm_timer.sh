#!/bin/bash
# timer (arena ops from bpf_timer callbacks, in the hrtimer softirq) on
# Debian's 7.3.4 cloud kernel in the VM, and its skip on 6.12:
#   - real work from the callback, every op serving a softirq (the callback
#     reads preempt_count), only divergence kinds of the known findings;
#   - --inject dirty-alloc and --timer-inject-stale: the zero-on-alloc check
#     made in the callback and the after-free check each report their
#     injection, marked;
#   - 6.12: skipped, with the verifier's own refusal (the arena kfuncs are
#     sleepable-only there).
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
q="d['scenarios'][0]"
vm() {	# vm KERNEL-PKG WHAT ARGS...
	local k=$1 what=$2; shift 2
	bash tests/vm/run.sh --kernel-pkg "$k" --timeout 300 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s timer "$@" >"$TMP/out" 2>&1
	rc=$?
}
# note N: from the scenario's note, the callback's allocations, deferred
# frees, ops, and ops that ran serving a softirq
note() {
	json "$TMP/vm.json" "$q.get('note', '')" |
		sed -n 's/.*callback: \([0-9]*\) allocations ([0-9]* NULL) and \([0-9]*\) deferred frees; of \([0-9]*\) ops \([0-9]*\) ran serving a softirq.*/\1 \2 \3 \4/p'
}

vm "$pkg" "7.3.4" -d 8
vm_result $rc "timer on 7.3.4"
check "timer ran on 7.3.4" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
read -r allocs frees all soft <<<"$(note)"
check "allocations from the callback (${allocs:-?})" [ "${allocs:-0}" -ge 5 ]
check "deferred frees from the callback (${frees:-?})" [ "${frees:-0}" -ge 5 ]
n=$(json "$TMP/vm.json" "$q['counters']['alloc_nosleep']")
check "counted in the JSON's non-sleepable allocations ($n >= ${allocs:-?})" [ "$n" -ge "${allocs:-1}" ]
n=$(json "$TMP/vm.json" "$q['counters']['free_deferred']")
check "and in its deferred frees ($n >= ${frees:-?})" [ "$n" -ge "${frees:-1}" ]
check "no deferred free left undone ($(json "$TMP/vm.json" "$q['counters']['deferred_late']"))" \
	[ "$(json "$TMP/vm.json" "$q['counters']['deferred_late']")" = 0 ]
check "every callback op ran serving a softirq (${soft:-?} of ${all:-?})" [ "${all:-0}" -gt 10 -a "$soft" = "$all" ]
kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
check "only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS| )*" <<<"$kinds"
splats_ok "$kinds" "$TMP/vm.json"
[ -n "$kinds" ] && echo "note: timer on 7.3.4 as shipped: $(json "$TMP/vm.json" "$q['by_kind']"); first: $(json "$TMP/vm.json" "[v['saw'] for v in $q['violations'] if v['kind'] != 'kernel-splat'][:1]")"

vm "$pkg" "7.3.4, injected" -d 6 --inject dirty-alloc --timer-inject-stale
vm_result $rc "timer on 7.3.4, injected"
check "--inject dirty-alloc: the callback's zero-on-alloc check fired, marked" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from a bpf_timer callback' in v['saw'] and '[injected]' in v['saw'] for v in $q['violations'])")" = True ]
# one report per page of the first free (1 to 4 pages), each marked; the
# kernel as shipped adds real ones of its own (findings 1 and 5), unmarked
n=$(json "$TMP/vm.json" "sum(1 for v in $q['violations'] if v['kind'] == 'stale-free-mapping' and '[injected]' in v['saw'])")
check "--timer-inject-stale: the after-free check fired for the first free's pages, marked injected ($n)" \
	[ "$n" -ge 1 -a "$n" -le 4 ]
echo "note: stale-free-mapping reports in the injected run: $(json "$TMP/vm.json" "$q['by_kind'].get('stale-free-mapping', 0)") ($n injected)"

vm 'linux-image-6.12.*-cloud-amd64' "6.12" -d 2
check "6.12: nothing ran (exit 4, got $rc)" [ "$rc" -eq 4 ]
check "6.12: timer skipped" [ "$(json "$TMP/vm.json" "$q['status']")" = skipped ]
why=$(json "$TMP/vm.json" "$q['reason']")
check "6.12: the reason: sleepable-only kfuncs the verifier still takes in the callback ($why)" \
	grep -q "sleepable only .*yet its verifier accepted them in a bpf_timer callback" <<<"$why"
done_test
