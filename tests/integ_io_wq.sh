#!/bin/bash
# io-wq: io_uring READ/WRITE on plain arena addresses (inline and from io-wq
# workers) and IORING_OP_MADVISE race BPF frees.  Real ops are judged and
# nothing but orphaned-PTE divergences appear; memory comes back.
. "$(dirname "$0")/lib.sh"
needs_arena vm
needs_scenario io-wq

$AS -s io-wq -d 2 --seed 13 --json "$TMP/w.json" >"$TMP/out" 2>&1; rc=$?
if ! wedged "$TMP/w.json" >/dev/null; then	# kpath_checks says so
	n=$(json "$TMP/w.json" 'd["scenarios"][0]["counters"]["madvise"]')
	check "IORING_OP_MADVISE ops ($n)" [ "$n" -gt 20 ]
	n=$(json "$TMP/w.json" 'd["scenarios"][0]["counters"]["remap"]')
	check "no munmap on the host without --unsafe ($n)" [ "$n" -eq 0 ]
fi
kpath_checks $rc "$TMP/w.json" 200
done_test
