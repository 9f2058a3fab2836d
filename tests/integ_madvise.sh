#!/bin/bash
# madvise: MADV_DONTNEED/COLD/PAGEOUT and mprotect race BPF frees.  Real work
# is counted; mprotect(PROT_READ) is honoured (no contract violation); any
# "contents did not persist" is confirmed by a fresh fault (a stale PTE, the
# fault-vs-free bug), and memory comes back after teardown.
. "$(dirname "$0")/lib.sh"
needs_arena vm

$AS -s madvise -d 2 --seed 5 --json "$TMP/m.json" >"$TMP/out" 2>&1; rc=$?
s='d["scenarios"][0]'
outcome $rc "$TMP/m.json" "$FINDING_KINDS"
n=$(json "$TMP/m.json" "$s[\"counters\"][\"madvise\"]"); check "madvise/mprotect calls ($n)" [ "$n" -gt 200 ]
n=$(json "$TMP/m.json" "$s[\"counters\"][\"alloc\"]"); check "BPF allocations ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/m.json" "$s[\"counters\"][\"sweep\"]"); check "sweeps ($n)" [ "$n" -ge 3 ]
check "every kept coherence violation is confirmed by a fresh fault" \
	[ "$(json "$TMP/m.json" "all(v['confirmed'] for v in $s['violations'] if v['kind'] == 'coherence')")" = True ]
memcg_back "$TMP/m.json"
done_test
