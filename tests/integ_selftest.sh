#!/bin/bash
# The drop-in selftest inside a real BPF selftests tree (Debian's
# linux-source-6.12): both halves build with the tree's flags, headers,
# libbpf and test_progs harness, ./test_progs -t arena_stress runs every
# subtest, the deterministic ones pass, the unsafe ones skip with a reason,
# and fault_free's verdict is backed by its own evidence: a failure names
# the page, the freed token user space still reads and BPF's 0.
. "$(dirname "$0")/lib.sh"
needs_arena

AS_SELFTEST_OUT=$TMP/out bash tests/selftests/run.sh >"$TMP/log" 2>&1; rc=$?
grep -E "^selftest:|^#|Summary" "$TMP/log"
check "test_progs was built from the tree" [ -x "$TMP/out/test_progs" ]
for t in zero_on_alloc contract madvise gup; do
	check "subtest $t passes" grep -q "arena_stress/$t:OK" "$TMP/log"
done
for t in munmap_remap multi_process dofork pinned_io_uring; do
	check "subtest $t skips" grep -q "arena_stress/$t:SKIP" "$TMP/log"
done
check "the skips say why" grep -q "^dofork: may crash the kernel" "$TMP/log"
if grep -q "arena_stress/fault_free:FAIL" "$TMP/log"; then
	check "fault_free's failure carries its evidence" \
		grep -qE "subtest_fault_free: page [0-9]+: user reads token 0xa5[0-9a-f]* of a freed allocation, BPF reads 0" "$TMP/log"
	check "and the script says why it failed" grep -q "this kernel has the fault-vs-free bug" "$TMP/log"
	check "test_progs' exit code says so (got $rc)" [ $rc -eq 1 ]
	echo "note: fault_free fails on $(uname -r), as it must on a kernel with the orphaned-PTE bug"
else
	check "fault_free passes" grep -q "arena_stress/fault_free:OK" "$TMP/log"
	check "test_progs exit 0 (got $rc)" [ $rc -eq 0 ]
fi
done_test
