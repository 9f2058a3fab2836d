#!/bin/bash
# Ctrl-C tears the run down and still prints the report so far.
. "$(dirname "$0")/lib.sh"
needs_arena

start=$(date +%s)
$AS -s fault-free -u 0 -d 60 --json "$TMP/i.json" >"$TMP/out" 2>&1 &
pid=$!
sleep 2.5
kill -INT $pid
wait $pid; rc=$?
took=$(( $(date +%s) - start ))
check "exits with the run's verdict, 0 (got $rc)" [ $rc -eq 0 ]
check "stops promptly (${took}s)" [ "$took" -lt 10 ]
check "prints the table" grep -q "^fault-free .*ran" "$TMP/out"
check "says it was interrupted" grep -q "interrupted" "$TMP/out"
check "JSON written and marked interrupted" \
	[ "$(json "$TMP/i.json" 'd["scenarios"][0]["interrupted"]')" = True ]
n=$(json "$TMP/i.json" 'd["scenarios"][0]["counters"]["alloc"]')
check "counters cover the time run ($n allocs)" [ "$n" -gt 100 ]
done_test
