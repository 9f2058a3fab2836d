#!/bin/bash
# Debian's 7.3.4 cloud kernel in the VM (next to integ_vm.sh's 6.12): the 7.x
# paths are probed on and do real work there.  Non-sleepable allocations and
# deferred frees run in the scenarios, the deferred free worker's runs are
# counted, the accounting oracle is on and fires through this kernel when the
# page table is made to lie (--inject acct).  Says what each scenario found
# on this kernel as shipped (findings 1 and 2 are still in it).  The
# reserve scenario runs there too: reservations do real work, and user
# faults inside them map pages, as the kernel's contract allows without
# BPF_F_SEGV_ON_FAULT (findings/04 is only seen when such a fault's
# allocation fails).
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- -d 16 -s fault-free,madvise,gup,reserve >"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^scenario|ran |skipped |failed |paths off|accounting oracle" "$TMP/out"
vm_result $rc "fault-free, madvise, gup, reserve"
outcome $rc "$TMP/vm.json" "$FINDING_KINDS|contract|unreachable-page"
kernel=$(json "$TMP/vm.json" 'd["kernel"]')
echo "note: VM kernel $kernel"
for sc in fault-free madvise gup; do
	q="[s for s in d['scenarios'] if s['name'] == '$sc'][0]"
	check "$sc ran" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
	check "$sc: the 7.x paths are on ($(json "$TMP/vm.json" "$q['nosleep_paths']"))" \
		[ "$(json "$TMP/vm.json" "$q['nosleep_paths']")" = on ]
	check "$sc: the accounting oracle is on" [ "$(json "$TMP/vm.json" "$q['accounting']")" = on ]
	for c in alloc_nosleep free_deferred; do
		n=$(json "$TMP/vm.json" "$q['counters']['$c']")
		check "$sc: $c did real work ($n)" [ "$n" -gt 5 ]
	done
	n=$(json "$TMP/vm.json" "$q['coverage'].get('deferred_runs', 0)")
	check "$sc: arena_free_worker ran ($n runs)" [ "$n" -gt 5 ]
	echo "note: $kernel $sc: $(json "$TMP/vm.json" "$q['violations_total']") violations $(json "$TMP/vm.json" "$q['by_kind']"), $(json "$TMP/vm.json" "$q['counters']['deferred_late']") deferred frees not known done"
done
q="[s for s in d['scenarios'] if s['name'] == 'reserve'][0]"
check "reserve ran" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
n=$(json "$TMP/vm.json" "$q['counters']['reserve']"); check "reserve: reservations made ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/vm.json" "$q['counters']['reserve_checks']"); check "reserve: refusals checked ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/vm.json" "$q['counters']['reserve_faults']")
check "reserve: user faults inside reservations mapped pages, as allowed ($n)" [ "$n" -gt 5 ]
check "reserve: nothing reported but finding 4 ($(json "$TMP/vm.json" "$q['by_kind']"))" \
	[ "$(json "$TMP/vm.json" "all('gave a reserved page back' in v['classification'] for v in $q['violations'])")" = True ]
echo "note: $kernel reserve: $(json "$TMP/vm.json" "$q['by_kind']")"
# the accounting oracle through this kernel: the table claims a page more
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 200 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- -d 2 -s fault-free -u 0 --inject acct >"$TMP/out" 2>&1; rc=$?
vm_result $rc "fault-free --inject acct"
outcome $rc "$TMP/vm.json" accounting accounting
n=$(json "$TMP/vm.json" "d['scenarios'][0]['by_kind'].get('accounting', 0)")
check "accounting oracle fires once on the injected lie ($n)" [ "$n" -eq 1 ]
check "and marks it injected" grep -q "accounting.*\[injected\]\|\[injected\]" "$TMP/out"
done_test
