#!/bin/bash
# The whole arena, on Debian's 7.3.4 cloud kernel in the VM: a 4 GiB arena
# (1M pages) and one whose user base is not 4 GiB-aligned (its pages at
# kernel offsets 2..4 GiB, up to the guard region).  Real work in both,
# allocations at the arena's top, and sweeps that judge only the pages on
# their watch list (allocated or touched), not the 1M pages of the arena.
# The reservation path works through the moved base: user faults inside
# reservations map pages there, as the contract allows without
# BPF_F_SEGV_ON_FAULT.
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- -d 12 -s fault-free,reuse -p 1048576 >"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^scenario|ran |skipped |failed " "$TMP/out"
vm_result $rc "fault-free, reuse with a 4 GiB arena"
outcome $rc "$TMP/vm.json" "*"
for sc in fault-free reuse; do
	q="[s for s in d['scenarios'] if s['name'] == '$sc'][0]"
	check "$sc ran in a 4 GiB arena" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
	n=$(json "$TMP/vm.json" "$q['counters']['alloc']"); check "$sc: allocations ($n)" [ "$n" -gt 20 ]
	n=$(json "$TMP/vm.json" "$q['counters']['alloc_top']"); check "$sc: allocations at the arena's top ($n)" [ "$n" -gt 0 ]
	s=$(json "$TMP/vm.json" "$q['counters']['sweep']"); check "$sc: sweeps ($s)" [ "$s" -ge 5 ]
	n=$(json "$TMP/vm.json" "$q['counters']['sweep_pages']")
	check "$sc: a sweep judges the watched pages, not the arena ($n pages in $s sweeps)" [ "$n" -lt $((s * 10000)) ]
	echo "note: $sc, 1M pages: $((n / (s > 0 ? s : 1))) pages per sweep; $(json "$TMP/vm.json" "$q['by_kind']")"
done
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- -d 10 -s reserve,reuse -p 524288 --arena-base 0x100080000000 \
	>"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^scenario|ran |skipped |failed " "$TMP/out"
vm_result $rc "reserve, reuse at a base 2 GiB into its 4 GiB window"
outcome $rc "$TMP/vm.json" "*"
q="[s for s in d['scenarios'] if s['name'] == 'reserve'][0]"
check "reserve ran at the moved base" [ "$(json "$TMP/vm.json" "$q['status']")" = ran ]
n=$(json "$TMP/vm.json" "$q['counters']['reserve']"); check "reserve: reservations made ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/vm.json" "$q['counters']['reserve_faults']")
check "reserve: user faults inside reservations map pages there too, as allowed ($n)" [ "$n" -gt 5 ]
q="[s for s in d['scenarios'] if s['name'] == 'reuse'][0]"
n=$(json "$TMP/vm.json" "$q['counters']['alloc_top']"); check "reuse: allocations at the top, next to the guard region ($n)" [ "$n" -gt 0 ]
done_test
