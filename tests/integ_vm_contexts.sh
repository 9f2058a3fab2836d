#!/bin/bash
# tc (arena ops from a tc ingress program on the loopback of the scenario's
# own network namespace, in the NET_RX softirq), perf (from a perf_event
# program at sampling overflows: a PMU's NMI, or the software cpu-clock's
# hrtimer interrupt where there is no PMU, as under TCG) and sched-switch
# (from a tp_btf/sched_switch program: runqueue lock held, interrupts off)
# on Debian's 7.3.4 cloud kernel in the VM, one boot for all, and their
# skips on 6.12:
#   - real work from each program, counted in the JSON's non-sleepable
#     allocations and deferred frees; every op where the context says
#     (preempt_count read in the program: tc serving a softirq, perf in
#     hardirq or NMI, 7.3.4's layout with the hardirq count at bits 24-27;
#     sched-switch in none of them: preemption and interrupts off only);
#     only divergence kinds of the known findings but the injected ones;
#   - --inject dirty-alloc and --{tc,perf,sched-switch}-inject-stale: the zero-on-alloc
#     check made in each program and the after-free check report their
#     injections, marked;
#   - 6.12: all skipped with the verifier's refusal (sleepable-only kfuncs).
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
vm() {	# vm KERNEL-PKG ARGS...
	local k=$1; shift
	bash tests/vm/run.sh --kernel-pkg "$k" --timeout 400 --json-out "$TMP/vm.json" \
		--console-out "$TMP/console" -- -s tc,perf,sched-switch --unsafe "$@" >"$TMP/out" 2>&1
	rc=$?
}
# ctx NAME WHERE: scenario NAME's checks; WHERE is how its note and reports
# name the program
ctx() {
	local name=$1 where=$2 q allocs frees all soft task hard nmi n kinds
	q="[s for s in d['scenarios'] if s['name'] == '$name'][0]"
	check "$name ran on 7.3.4 ($(json "$TMP/vm.json" "$q.get('reason', '')"))" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
	read -r allocs frees all soft task hard nmi <<<"$(json "$TMP/vm.json" "$q.get('note', '')" |
		sed -n "s/.*$where: \([0-9]*\) allocations ([0-9]* NULL) and \([0-9]*\) deferred frees; of \([0-9]*\) ops \([0-9]*\) ran serving a softirq, \([0-9]*\) in task context, \([0-9]*\) in hardirq, \([0-9]*\) in NMI.*/\1 \2 \3 \4 \5 \6 \7/p")"
	check "$name: allocations from the program (${allocs:-?})" [ "${allocs:-0}" -ge 5 ]
	check "$name: deferred frees from the program (${frees:-?})" [ "${frees:-0}" -ge 5 ]
	n=$(json "$TMP/vm.json" "$q['counters']['alloc_nosleep']")
	check "$name: counted in the JSON's non-sleepable allocations ($n >= ${allocs:-?})" [ "$n" -ge "${allocs:-1}" ]
	n=$(json "$TMP/vm.json" "$q['counters']['free_deferred']")
	check "$name: and in its deferred frees ($n >= ${frees:-?})" [ "$n" -ge "${frees:-1}" ]
	check "$name: no deferred free left undone" [ "$(json "$TMP/vm.json" "$q['counters']['deferred_late']")" = 0 ]
	if [ "$name" = tc ]; then
		check "tc: every op ran serving a softirq (${soft:-?} of ${all:-?})" [ "${all:-0}" -gt 10 -a "$soft" = "$all" ]
	elif [ "$name" = sched-switch ]; then
		check "sched-switch: every op ran outside interrupts (${task:-?} of ${all:-?})" [ "${all:-0}" -gt 10 -a "$task" = "$all" ]
	else
		check "perf: every op ran in hardirq or NMI (${hard:-?} + ${nmi:-?} of ${all:-?})" \
			[ "${all:-0}" -gt 10 -a $(( ${hard:-0} + ${nmi:-0} )) = "$all" ]
		n=$(json "$TMP/vm.json" "$q.get('note', '')" | sed -n 's/.*; event: //p')
		check "perf: the event is named ($n)" grep -qE "^(PMU cycles|cpu-clock)" <<<"$n"
		echo "note: perf on 7.3.4 in the VM: $n; $hard ops in hardirq, $nmi in NMI"
	fi
	check "$name: --inject dirty-alloc: the program's zero-on-alloc check fired, marked" \
		[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from $where' in v['saw'] and '[injected]' in v['saw'] for v in $q['violations'])")" = True ]
	n=$(json "$TMP/vm.json" "sum(1 for v in $q['violations'] if v['kind'] == 'stale-free-mapping' and '[injected]' in v['saw'])")
	check "$name: --$name-inject-stale: the after-free check fired for the first free's pages, marked ($n)" [ "$n" -ge 1 -a "$n" -le 4 ]
	kinds=$(json "$TMP/vm.json" "' '.join(sorted($q['by_kind']))")
	check "$name: otherwise only divergence kinds of the known findings ($kinds)" grep -qxE "($FINDING_KINDS|dirty-alloc| )*" <<<"$kinds"
	splats_ok "$kinds" "$TMP/vm.json"
}

vm "$pkg" -d 24 --inject dirty-alloc --tc-inject-stale --perf-inject-stale --sched-switch-inject-stale
vm_result $rc "tc, perf and sched-switch on 7.3.4"
ctx tc "a tc ingress program"
ctx perf "a perf_event program"
ctx sched-switch "a sched_switch tracing program"

vm 'linux-image-6.12.*-cloud-amd64' -d 2
check "6.12: nothing ran (exit 4, got $rc)" [ "$rc" -eq 4 ]
for s in "tc:a tc ingress program" "perf:a perf_event program" "sched-switch:a sched_switch tracing program"; do
	why=$(json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == '${s%%:*}'][0]['reason']")
	check "6.12: ${s%%:*} skipped with the verifier's words ($why)" grep -q "verifier refused arena kfunc calls from ${s#*:}" <<<"$why"
done
done_test
