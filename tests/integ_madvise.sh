#!/bin/bash
# madvise: MADV_DONTNEED/COLD/PAGEOUT and mprotect race BPF frees.  Real work
# is counted; mprotect(PROT_READ) is honoured (no contract violation); any
# "contents did not persist" is confirmed by a fresh fault (a stale PTE, the
# fault-vs-free bug), and memory comes back after teardown.
. "$(dirname "$0")/lib.sh"
needs_arena vm

$AS -s madvise -d 2 --seed 5 --json "$TMP/m.json" >"$TMP/out" 2>&1; rc=$?
check "exit 0 or 1, or 3 for finding 2 alone (got $rc)" run_ok $rc "$TMP/m.json"
s='d["scenarios"][0]'
n=$(json "$TMP/m.json" "$s[\"counters\"][\"madvise\"]"); check "madvise/mprotect calls ($n)" [ "$n" -gt 200 ]
n=$(json "$TMP/m.json" "$s[\"counters\"][\"alloc\"]"); check "BPF allocations ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/m.json" "$s[\"counters\"][\"sweep\"]"); check "sweeps ($n)" [ "$n" -ge 3 ]
kinds=$(json "$TMP/m.json" "' '.join(sorted($s['by_kind']))")
check "only divergence kinds ($kinds)" grep -qxE "($FINDING_KINDS| )*" <<<"$kinds"
splats_ok "$kinds" "$TMP/m.json"
check "every kept coherence violation is confirmed by a fresh fault" \
	[ "$(json "$TMP/m.json" "all(v['confirmed'] for v in $s['violations'] if v['kind'] == 'coherence')")" = True ]
kb=$(json "$TMP/m.json" "$s['memcg_delta_kb']")
if [ "$kb" != None ]; then
	check "memory came back after teardown (${kb} KiB)" [ "$kb" -le 2048 ]
else
	echo "note: no memory cgroup here: leak oracle unavailable"
fi
done_test
