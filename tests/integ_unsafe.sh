#!/bin/bash
# Unsafe scenarios (munmap-remap, multi-process): arena zaps run without the
# target mm's mmap_lock against munmap/exit page-table teardown and may crash
# a kernel.  On the host they are refused without --unsafe; tests/integ_vm.sh
# runs them inside a VM.  Where this host refuses arena maps, the refusal is
# checked in the VM (needs_arena vm).
. "$(dirname "$0")/lib.sh"
needs_arena vm

out=$($AS -s munmap-remap,multi-process -d 1 2>&1); rc=$?
check "without --unsafe: nothing runs, exit 4 (got $rc)" [ $rc -eq 4 ]
check "without --unsafe: says why" grep -q "may crash the kernel: run with --unsafe" <<<"$out"

echo "note: munmap-remap and multi-process run on the host only with --unsafe; the suite runs them in the VM (integ_vm.sh)"
done_test
