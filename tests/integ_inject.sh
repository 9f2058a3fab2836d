#!/bin/bash
# Every oracle fires on an injected divergence, through the real kernel path:
# BPF dirties a fresh page before the zero check; BPF misreports the user's
# nonce in the sweep.  (--user-threads 0 keeps the real race out.)
. "$(dirname "$0")/lib.sh"
needs_arena

$AS -s fault-free -u 0 -d 1 --inject dirty-alloc --json "$TMP/d.json" >"$TMP/out" 2>&1; rc=$?
check "zero-on-alloc oracle: exit 1 (got $rc)" [ $rc -eq 1 ]
check "zero-on-alloc oracle: dirty-alloc reported" \
	[ "$(json "$TMP/d.json" 'd["scenarios"][0]["by_kind"].get("dirty-alloc", 0) > 0')" = True ]
check "zero-on-alloc oracle: offset and value quoted" \
	grep -q "first at offset 2040 = 0xbad \[injected\]" "$TMP/out"

$AS -s fault-free -u 0 -d 1 --inject sweep-lie --json "$TMP/s.json" >"$TMP/out" 2>&1; rc=$?
check "coherence oracle: exit 1 (got $rc)" [ $rc -eq 1 ]
check "coherence oracle: coherence reported" \
	[ "$(json "$TMP/s.json" 'd["scenarios"][0]["by_kind"].get("coherence", 0) > 0')" = True ]
check "coherence oracle: both views quoted" grep -q "user wrote 0x.*BPF read 0x" "$TMP/out"
check "coherence oracle: the re-check did not call an injected lie an orphaned PTE" \
	[ "$(json "$TMP/s.json" 'any(v["confirmed"] for v in d["scenarios"][0]["violations"])')" = False ]
# Hang watchdog: a worker that never reaches a quiesce point again (here a
# user worker parked in pause(); on 6.18 faults stuck in __folio_lock) is
# reported within seconds, and the tool still reports and exits.
start=$(date +%s)
$AS -s fault-free -d 2 --inject hang --json "$TMP/h.json" >"$TMP/out" 2>&1; rc=$?
took=$(( $(date +%s) - start ))
check "hang watchdog: exit 1 (got $rc)" [ $rc -eq 1 ]
check "hang watchdog: hang reported" \
	[ "$(json "$TMP/h.json" 'd["scenarios"][0]["by_kind"].get("hang", 0) > 0')" = True ]
check "hang watchdog: the tool did not hang with its workers (${took}s)" [ "$took" -lt 20 ]
done_test
