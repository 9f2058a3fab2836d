#!/bin/bash
# teardown: arenas destroyed with their pages allocated give their memory
# back (the leak check against one baseline after a warm-up batch), and the
# check fires when arenas are kept alive (--inject leak keeps their fds open).
# The VM shows it firing through the kernel: the m-teardown-leak mutant.
. "$(dirname "$0")/lib.sh"
needs_arena vm

$AS -s teardown -d 3 --json "$TMP/t.json" >"$TMP/out" 2>&1; rc=$?
s='d["scenarios"][0]'
n=$(json "$TMP/t.json" "$s['counters']['child']"); check "arenas created, filled and destroyed ($n)" [ "$n" -ge 24 ]
check "clean (exit $rc, $(json "$TMP/t.json" "$s['by_kind']"))" [ $rc -eq 0 ]

$AS -s teardown -d 3 --inject leak --json "$TMP/i.json" >"$TMP/out" 2>&1; rc=$?
check "injected: exit 1 (got $rc)" [ $rc -eq 1 ]
check "injected: the kept arenas' memory is reported, marked injected" \
	[ "$(json "$TMP/i.json" "any('[injected: kept open]' in v['saw'] and v['kind'] == 'leak' for v in $s['violations'])")" = True ]
done_test
