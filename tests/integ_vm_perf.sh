#!/bin/bash
# perf (arena ops from a perf_event program at sampling overflows: a PMU's
# NMI, or the software cpu-clock's hrtimer interrupt where there is no PMU, as
# under TCG) on Debian's 7.3.4 cloud kernel in the VM, and its skip on 6.12:
#   - real work from the program, every op in hardirq or NMI (the program
#     reads preempt_count; 7.3.4's layout has the hardirq count at bits
#     24-27), the event named; counted in the JSON's non-sleepable
#     allocations and deferred frees; only divergence kinds of the known
#     findings but the injected ones;
#   - --inject dirty-alloc and --perf-inject-stale: the zero-on-alloc check
#     made in the program and the after-free check each report their
#     injection, marked;
#   - 6.12: skipped with the verifier's refusal (sleepable-only kfuncs).
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
q="d['scenarios'][0]"
vm() {	# vm KERNEL-PKG ARGS...
	local k=$1; shift
	bash tests/vm/run.sh --kernel-pkg "$k" --timeout 300 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s perf "$@" >"$TMP/out" 2>&1
	rc=$?
}
# the program's allocations, deferred frees, ops, in hardirq, in NMI
note() {
	json "$TMP/vm.json" "$q.get('note', '')" |
		sed -n 's/.*perf_event program: \([0-9]*\) allocations ([0-9]* NULL) and \([0-9]*\) deferred frees; of \([0-9]*\) ops [0-9]* ran serving a softirq, [0-9]* in task context, \([0-9]*\) in hardirq, \([0-9]*\) in NMI.*/\1 \2 \3 \4 \5/p'
}

vm "$pkg" -d 8 --inject dirty-alloc --perf-inject-stale
vm_result $rc "perf on 7.3.4"
check "perf ran on 7.3.4 ($(json "$TMP/vm.json" "$q.get('reason', '')"))" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
read -r allocs frees all hard nmi <<<"$(note)"
check "allocations from the program (${allocs:-?})" [ "${allocs:-0}" -ge 5 ]
check "deferred frees from the program (${frees:-?})" [ "${frees:-0}" -ge 5 ]
n=$(json "$TMP/vm.json" "$q['counters']['alloc_nosleep']")
check "counted in the JSON's non-sleepable allocations ($n >= ${allocs:-?})" [ "$n" -ge "${allocs:-1}" ]
n=$(json "$TMP/vm.json" "$q['counters']['free_deferred']")
check "and in its deferred frees ($n >= ${frees:-?})" [ "$n" -ge "${frees:-1}" ]
check "no deferred free left undone" [ "$(json "$TMP/vm.json" "$q['counters']['deferred_late']")" = 0 ]
check "every op ran in hardirq or NMI (${hard:-?} + ${nmi:-?} of ${all:-?})" \
	[ "${all:-0}" -gt 10 ] && [ $(( ${hard:-0} + ${nmi:-0} )) = "$all" ]
ev=$(json "$TMP/vm.json" "$q.get('note', '')" | sed -n 's/.*; event: //p')
check "the event is named ($ev)" grep -qE "^(PMU cycles|cpu-clock)" <<<"$ev"
echo "note: perf on 7.3.4 in the VM: $ev; $hard in hardirq, $nmi in NMI"
check "--inject dirty-alloc: the program's zero-on-alloc check fired, marked" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from a perf_event program' in v['saw'] and '[injected]' in v['saw'] for v in $q['violations'])")" = True ]
n=$(json "$TMP/vm.json" "sum(1 for v in $q['violations'] if v['kind'] == 'stale-free-mapping' and '[injected]' in v['saw'])")
check "--perf-inject-stale: the after-free check fired for the first free's pages, marked ($n)" [ "$n" -ge 1 -a "$n" -le 4 ]
kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
check "otherwise only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS|dirty-alloc| )*" <<<"$kinds"
splats_ok "$kinds" "$TMP/vm.json"

vm 'linux-image-6.12.*-cloud-amd64' -d 2
check "6.12: nothing ran (exit 4, got $rc)" [ "$rc" -eq 4 ]
why=$(json "$TMP/vm.json" "$q['reason']")
check "6.12: perf skipped with the verifier's words ($why)" grep -q "verifier refused arena kfunc calls from a perf_event program" <<<"$why"
done_test
