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
if ! wedged "$TMP/p.json" >/dev/null; then	# kpath_checks says so
	n=$(json "$TMP/p.json" 'd["scenarios"][0]["counters"]["pins"]')
	check "arena pages pinned as fixed buffers ($n)" [ "$n" -gt 50 ]
fi
kpath_checks $rc "$TMP/p.json" 200

$AS -s pinned -d 2 --seed 12 --inject pin --json "$TMP/i.json" >"$TMP/iout" 2>&1; rc=$?
outcome $rc "$TMP/i.json" "pin-crossing|$FINDING_KINDS|unreachable-page" pin-crossing
check "the report marks it injected and quotes the old and new allocation" \
	grep -qE "VIOLATION pin-crossing: .*" "$TMP/iout"
check "its evidence says what crossed" [ "$(json "$TMP/i.json" "any('[injected]' in v['saw'] and
	'appears in the new allocation' in v['saw'] for v in d['scenarios'][0]['violations'])")" = True ]
done_test
