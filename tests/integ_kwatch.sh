#!/bin/bash
# Kernel watch: a splat-looking line that appears in the kernel log during a
# run fails it with exit 3 and is quoted in the report.  The test writes the
# line itself into /dev/kmsg (clearly marked as a test line): here, or inside
# the VM where this host refuses arena maps (tests/guest/kwatch.sh).
. "$(dirname "$0")/lib.sh"
OUT=$TMP/g
mkdir -p "$OUT"
here_or_vm kwatch "the kernel watch is tested"
if [ -s "$OUT/k.json" ]; then
	check "JSON carries the kernel log" \
		[ "$(json "$OUT/k.json" "'injected $(cat "$OUT/id")' in d['scenarios'][0]['kernel_log']")" = True ]
else
	fail "no JSON report"
fi
done_test
