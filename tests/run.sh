#!/bin/bash
# Test runner: unit tests ($OUT/tests/unit_*, OUT=build by default), then integration tests
# (tests/integ_*.sh).  Exit codes: 0 pass, 77 skip, anything else fail.
# Closes with "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
pass=0 failn=0 skipn=0
OUT=${OUT:-build}
for t in "$OUT"/tests/unit_* tests/integ_*.sh; do
	[ -x "$t" ] || [ "${t%.sh}" != "$t" ] || continue
	name=$(basename "$t")
	log=$(mktemp)
	start=$(date +%s.%N)
	if [ "${t%.sh}" != "$t" ]; then timeout 600 bash "$t" >"$log" 2>&1; else timeout 120 "$t" >"$log" 2>&1; fi
	rc=$?
	secs=$(printf "%.1f" "$(echo "$(date +%s.%N) - $start" | bc)")
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)"; grep -E "^note:" "$log" | sed 's/^/     /' ;;
	77) skipn=$((skipn + 1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')" ;;
	*) failn=$((failn + 1)); echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/     | /' "$log" | tail -40 ;;
	esac
	rm -f "$log"
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
