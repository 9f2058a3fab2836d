#!/bin/bash
# reserve: bpf_arena_reserve_pages() under churn.  The scenario does real
# work (reservations, the refusals checked, allocations around them), and
# what it reports is only what a kernel can get wrong about reservations:
# on a kernel whose lazy fault allocates inside a reservation (6.13+ as
# shipped, findings/04), "user read of a reserved page succeeded", with the
# pagemap showing the page the fault mapped there.  The other refusals
# (reserve over allocated pages, allocation over a reservation) are shown
# firing by the mutants m-reserve-allocated and m-alloc-over-reserved in
# the VM (make mutants).
. "$(dirname "$0")/lib.sh"
needs_arena
needs_scenario reserve

$AS -s reserve -d 2 --json "$TMP/r.json" >"$TMP/out" 2>&1; rc=$?
s='d["scenarios"][0]'
check "exit 0 or 1 (got $rc)" [ $rc -le 1 ]
n=$(json "$TMP/r.json" "$s['counters']['reserve']"); check "reservations made ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['reserve_checks']"); check "refusals checked ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['alloc']"); check "allocations ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['sweep']"); check "sweeps ($n)" [ "$n" -ge 3 ]
kinds=$(json "$TMP/r.json" "' '.join(sorted($s['by_kind']))")
check "only contract violations, if any ($kinds)" grep -qxE "(contract)?" <<<"$kinds"
if [ -n "$kinds" ]; then
	check "each is a user fault inside a reservation that mapped a page (pagemap PFN)" \
		[ "$(json "$TMP/r.json" "all('holds reserved, succeeded' in v['saw'] and 'PTE pfn 0)' not in v['saw']
			for v in $s['violations'])")" = True ]
	echo "note: this kernel maps a page on a user fault inside a reservation (findings/04)"
fi
done_test
