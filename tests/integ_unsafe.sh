#!/bin/bash
# Unsafe scenarios (munmap-remap, multi-process): arena zaps run without the
# target mm's mmap_lock against munmap/exit page-table teardown and may crash
# a kernel.  They are refused on the host without --unsafe, and run here only
# inside the VM runner (which sets AS_IN_VM=1).
. "$(dirname "$0")/lib.sh"
needs_arena

out=$($AS -s munmap-remap,multi-process -d 1 2>&1); rc=$?
check "without --unsafe: nothing runs, exit 4 (got $rc)" [ $rc -eq 4 ]
check "without --unsafe: says why" grep -q "may crash the kernel: run with --unsafe" <<<"$out"

if [ "${AS_IN_VM:-}" != 1 ]; then
	echo "SKIP: munmap-remap and multi-process may crash the kernel: they run only inside the VM runner"
	exit 77
fi
$AS -s munmap-remap,multi-process --unsafe -d 4 --json "$TMP/u.json" >"$TMP/out" 2>&1; rc=$?
cat "$TMP/out" | tail -5
check "exit 0, 1 or 3 (got $rc)" [ $rc -le 1 -o $rc -eq 3 ]
n=$(json "$TMP/u.json" 'd["scenarios"][0]["counters"]["remap"]'); check "munmap+mmap cycles ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/u.json" 'd["scenarios"][1]["counters"]["child"]'); check "child processes ($n)" [ "$n" -gt 20 ]
for i in 0 1; do
	n=$(json "$TMP/u.json" "d['scenarios'][$i]['counters']['free']"); check "scenario $i freed ($n)" [ "$n" -gt 100 ]
	n=$(json "$TMP/u.json" "d['scenarios'][$i]['counters']['sweep']"); check "scenario $i swept ($n)" [ "$n" -ge 2 ]
done
done_test
