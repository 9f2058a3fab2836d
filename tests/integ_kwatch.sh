#!/bin/bash
# Kernel watch: a splat-looking line that appears in the kernel log during a
# run fails it with exit 3 and is quoted in the report.  The test writes the
# line itself into /dev/kmsg (clearly marked as a test line).
. "$(dirname "$0")/lib.sh"
needs_arena
[ -w /dev/kmsg ] || skip "/dev/kmsg not writable"

$AS -s fault-free -u 0 -d 3 --json "$TMP/k.json" >"$TMP/out" 2>&1 &
pid=$!
# the progress line comes once the run (and its kernel watch) is under way
wait_for "$TMP/out" '^\[fault-free +[0-9.]+s\]' || fail "no progress line"
echo "arena-stress selftest line (not a real kernel problem): WARNING: injected $$" >/dev/kmsg
wait $pid; rc=$?
check "exit 3 on a kernel log splat (got $rc)" [ $rc -eq 3 ]
check "report quotes the line" grep -q "WARNING: injected $$" "$TMP/out"
check "JSON carries the kernel log" \
	[ "$(json "$TMP/k.json" "'injected $$' in d['scenarios'][0]['kernel_log']")" = True ]

$AS -s fault-free -u 0 -d 1 >"$TMP/out2" 2>&1; rc=$?
check "the next run starts from the log's end: clean (got $rc)" [ $rc -eq 0 ]
done_test
