#!/bin/bash
# Kernel watch: a splat-looking line that appears in the kernel log during a
# run fails it with exit 3 and is quoted in the report.  The test writes the
# line itself into /dev/kmsg (clearly marked as a test line): here, or inside
# the VM where this host refuses arena maps (tests/guest/kwatch.sh).
. "$(dirname "$0")/lib.sh"
OUT=$TMP/g
mkdir -p "$OUT"
if [ "$(id -u)" -eq 0 ] && $AS --list 2>/dev/null | grep -q '^fault-free *runs'; then
	. tests/guest/kwatch.sh
else
	needs_vm
	echo "note: no BPF arena on this host: the kernel watch is tested inside the VM ($pkg)"
	bash tests/vm/in-guest.sh --kernel-pkg "$pkg" --console-out "$TMP/console" "$OUT" tests/guest/kwatch.sh \
		>"$TMP/vm.out" 2>&1; rc=$?
	grep -E '^(ok|FAIL|SKIP|note|vm):' "$TMP/vm.out"
	[ $rc -eq 77 ] && skip "in the VM: $(sed -n 's/^SKIP: //p' "$TMP/vm.out" | head -1)"
	[ $rc -eq 10 ] && vm_result $rc kwatch
	check "the guest's checks passed (exit $rc)" [ $rc -eq 0 ]
fi
if [ -s "$OUT/k.json" ]; then
	check "JSON carries the kernel log" \
		[ "$(json "$OUT/k.json" "'injected $(cat "$OUT/id")' in d['scenarios'][0]['kernel_log']")" = True ]
else
	fail "no JSON report"
fi
done_test
