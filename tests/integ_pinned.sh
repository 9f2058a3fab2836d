#!/bin/bash
# pinned: io_uring fixed buffers over arena pages while BPF frees and
# re-allocates them.  Real pins and READ/WRITE_FIXED ops are judged, nothing
# but orphaned-PTE divergences appear, pinned pages come back after teardown,
# and the pin-crossing oracle fires when a write through an old pin is made
# to reach the re-allocated page (--inject pin).
. "$(dirname "$0")/lib.sh"
needs_arena vm
needs_scenario pinned

$AS -s pinned -d 2 --seed 11 --json "$TMP/p.json" >"$TMP/out" 2>&1; rc=$?
check "exit 0 or 1, or 3 for finding 2 alone (got $rc)" run_ok $rc "$TMP/p.json"
if ! wedged "$TMP/p.json" >/dev/null; then	# kpath_checks says so
	n=$(json "$TMP/p.json" 'd["scenarios"][0]["counters"]["pins"]')
	check "arena pages pinned as fixed buffers ($n)" [ "$n" -gt 50 ]
fi
kpath_checks "$TMP/p.json" 200

$AS -s pinned -d 2 --seed 12 --inject pin --json "$TMP/i.json" >"$TMP/iout" 2>&1; rc=$?
check "injected pin crossing: exit 1, or 3 with finding 2 (got $rc)" found_rc $rc "$TMP/i.json"
n=$(json "$TMP/i.json" 'd["scenarios"][0]["by_kind"].get("pin-crossing", 0)')
check "pin-crossing oracle fired on the injection ($n)" [ "$n" -gt 0 ]
check "the report marks it injected and quotes the old and new allocation" \
	grep -qE "VIOLATION pin-crossing: .*" "$TMP/iout"
check "its evidence says what crossed" [ "$(json "$TMP/i.json" "any('[injected]' in v['saw'] and
	'appears in the new allocation' in v['saw'] for v in d['scenarios'][0]['violations'])")" = True ]
done_test
