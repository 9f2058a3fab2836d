#!/bin/bash
# Negative control: BPF churn with no concurrent user faults (--user-threads 0;
# the sweeps still write and read every page from user space).  No fault can
# race a free, so any violation here would be a false positive of the tool.
. "$(dirname "$0")/lib.sh"
needs_arena vm

for cfg in "-b 1 -p 64" "-b 3 -p 16" "-b 2 -p 1024"; do
	$AS -s fault-free -u 0 -d 2 --sweep-ms 10 $cfg --json "$TMP/c.json" >"$TMP/out" 2>&1; rc=$?
	outcome $rc "$TMP/c.json" ""	# clean
	n=$(json "$TMP/c.json" 'd["scenarios"][0]["counters"]["alloc"]')
	check "control '$cfg' allocated ($n)" [ "$n" -gt 100 ]
	n=$(json "$TMP/c.json" 'd["scenarios"][0]["counters"]["sweep_pages"]')
	check "control '$cfg' swept pages ($n)" [ "$n" -gt 100 ]
	[ $rc -eq 0 ] || cat "$TMP/out"
done
done_test
