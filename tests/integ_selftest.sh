#!/bin/bash
# The drop-in selftest (arena_stress) and the self-contained pairs in the
# kernel's style (arena_fault_free: a fault racing a free, run in a child so
# threads stuck in the kernel fail it instead of hanging it; arena_reserve_fault
# and arena_free_reuse, the tests of fix/0001 and fix/0002) inside real BPF selftests trees (Debian's
# linux-source-6.12, and the newest 7.x, whose test_progs.c needs the
# generated verification_cert.h): both halves build with the tree's flags, headers,
# libbpf and test_progs harness, ./test_progs -t arena_stress runs every
# subtest, the deterministic ones pass, the unsafe ones skip with a reason,
# and fault_free's verdict is backed by its own evidence: a failure names
# the page, the freed token user space still reads and BPF's 0.
# Where this host refuses arena maps, the pairs run in the VM instead, on
# Debian's 7.3 cloud kernel (the 6.12 tree is then only compiled).
. "$(dirname "$0")/lib.sh"
if ! { [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^fault-free *runs'; }; then
	needs_vm
	why=$($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)
	echo "note: no arena on this host ($why): the pairs run in the VM"
fi

judge() { # judge LOG RC TREE-NAME
local log=$1 rc=$2 tn=$3
grep -E "^selftest:|^#|Summary|^vm:" "$log"
if grep -q "^selftest: test_progs (pid [0-9]*) has threads stuck in the kernel\|^selftest: test_progs hung in the VM" "$log"; then
	# finding 2 on this kernel caught the in-process race: what ran is judged,
	# what it cut short is not
	echo "note: $tn: test_progs stuck in the kernel (finding 2) on $(uname -r); the subtests after it not judged"
	check "$tn: test_progs was built from the tree" grep -q "^selftest: built .*test_progs" "$log"
	check "$tn: the deterministic subtests before it passed" grep -q "arena_stress/zero_on_alloc:OK" "$log"
	return
fi
check "$tn: test_progs was built from the tree" grep -q "^selftest: built .*test_progs" "$log"
for t in zero_on_alloc contract madvise gup; do
	check "$tn: subtest $t passes" grep -q "arena_stress/$t:OK" "$log"
done
for t in munmap_remap multi_process dofork pinned_io_uring; do
	check "$tn: subtest $t skips" grep -q "arena_stress/$t:SKIP" "$log"
done
check "$tn: the skips say why" grep -q "^dofork: may crash the kernel" "$log"
if grep -q "arena_stress/fault_free:FAIL" "$log"; then
	check "fault_free's failure carries its evidence" \
		grep -qE "subtest_fault_free: page [0-9]+: user reads token 0xa5[0-9a-f]* of a freed allocation, BPF reads 0" "$log"
	check "$tn: and the script says why it failed" grep -q "this kernel has the fault-vs-free bug" "$log"
	check "$tn: test_progs' exit code says so (got $rc)" [ $rc -eq 1 ]
	echo "note: $tn: fault_free fails on ${kname:-$(uname -r)}, as it must on a kernel with the orphaned-PTE bug"
else
	check "$tn: fault_free passes" grep -q "arena_stress/fault_free:OK" "$log"
fi
# the self-contained pair in the kernel's style: fails with its evidence, or passes
if grep -q "^#[0-9]* *arena_fault_free:FAIL" "$log" && grep -q "FAIL:racing child exited" "$log"; then
	# finding 2 on this kernel: a fault waits for good on the lock of a page
	# freed while locked; the test fails on it (bounded) rather than hanging
	echo "note: $tn: arena_fault_free's racing child stuck in the kernel on $(uname -r) (finding 2)"
elif grep -q "^#[0-9]* *arena_fault_free:FAIL" "$log"; then
	check "$tn: arena_fault_free's failure carries its evidence" \
		grep -qE "page [0-9]+: user space reads token 0xa5a5[0-9a-f]* after its free, BPF 0$" "$log"
	echo "note: $tn: arena_fault_free fails on ${kname:-$(uname -r)} too"
else
	check "$tn: arena_fault_free passes" grep -q "^#[0-9]* *arena_fault_free:OK" "$log"
fi
# the series' other selftests (fix/0006, fix/0007): fail with their evidence
# on a kernel without fix/0001 and fix/0002 (Debian's 7.3 as shipped), or pass
if grep -q "^#[0-9]* *arena_reserve_fault:FAIL" "$log"; then
	check "$tn: arena_reserve_fault's failure carries its evidence" \
		grep -qE "reserved page [0-9]+ (was )?allocated (\(try [0-9]+\) )?after a user fault on it failed$" "$log"
	echo "note: $tn: arena_reserve_fault fails on ${kname:-$(uname -r)} (finding 4)"
elif grep -q "arena_reserve_fault" "$log"; then	# trees with bpf_arena_reserve_pages()
	check "$tn: arena_reserve_fault passes" grep -q "^#[0-9]* *arena_reserve_fault:OK" "$log"
fi
if grep -q "^#[0-9]* *arena_free_reuse:FAIL" "$log"; then
	check "$tn: arena_free_reuse's failure carries its evidence" \
		grep -qE "page [0-9]+: user space reads (0|0x[0-9a-f]+), BPF wrote 0xa5a5[0-9a-f]*$|fresh page read 0x[1-9a-f]" "$log"
	echo "note: $tn: arena_free_reuse fails on ${kname:-$(uname -r)} (finding 5)"
else
	check "$tn: arena_free_reuse passes" grep -q "^#[0-9]* *arena_free_reuse:OK" "$log"
fi
grep -q "arena_stress/fault_free:FAIL\|arena_fault_free:FAIL\|arena_reserve_fault:FAIL\|arena_free_reuse:FAIL" "$log" ||
	check "$tn: test_progs exit 0 (got $rc)" [ $rc -eq 0 ]
}

if [ -n "${pkg:-}" ]; then	# needs_vm: no arena here
	AS_SELFTEST_OUT=$TMP/out bash tests/selftests/run.sh --check >"$TMP/log" 2>&1; rc=$?
	check "linux-source-6.12: both pairs compile in the tree (exit $rc)" [ $rc -eq 0 ]
	tree=$(bash scripts/ksrc.sh 2>/dev/null) || { fail "no linux-source-7.x tree (scripts/ksrc.sh)"; done_test; }
	vmpkg=${AS_VM73_KERNEL_PKG:-'linux-image-7.3.*-cloud-amd64'}
	kname="the VM's $vmpkg"
	AS_SELFTEST_VM_TIMEOUT=300 AS_SELFTEST_OUT=$TMP/out7 bash tests/selftests/run.sh --tree "$tree" \
		--vm "pkg:$vmpkg" >"$TMP/log7" 2>&1; rc=$?
	check "$(basename "$tree"): test_progs ran in the VM (exit $rc)" [ $rc -le 1 -o $rc -eq 11 ]
	judge "$TMP/log7" $rc "$(basename "$tree") in the VM"
	check "$(basename "$tree"): verification_cert.h was generated" [ -s "$TMP/out7/verification_cert.h" ]
	done_test
fi
AS_SELFTEST_OUT=$TMP/out bash tests/selftests/run.sh >"$TMP/log" 2>&1; rc=$?
judge "$TMP/log" $rc linux-source-6.12
# the newest 7.x tree (the one the fix series and the mutation harness use)
tree=$(bash scripts/ksrc.sh 2>/dev/null) || { fail "no linux-source-7.x tree (scripts/ksrc.sh)"; done_test; }
AS_SELFTEST_OUT=$TMP/out7 bash tests/selftests/run.sh --tree "$tree" >"$TMP/log7" 2>&1; rc=$?
judge "$TMP/log7" $rc "$(basename "$tree")"
check "$(basename "$tree"): verification_cert.h was generated" [ -s "$TMP/out7/verification_cert.h" ]
done_test
