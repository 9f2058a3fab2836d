#!/bin/bash
# Test runner: unit tests ($OUT/tests/unit_*, OUT=build by default), then integration tests
# (tests/integ_*.sh).  Exit codes: 0 pass, 77 skip, anything else fail.  A test named in
# tests/must-run.txt (or $AS_MUST_RUN) may not skip: its skip is a failure, with the reason;
# a name listed there that is not found fails too.  Closes with "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
pass=0 failn=0 skipn=0
OUT=${OUT:-build}
must=${AS_MUST_RUN:-tests/must-run.txt}
[ -r "$must" ] || { echo "FAIL: the list of tests that must run ($must) is not readable"; exit 1; }
[ "$must" = tests/must-run.txt ] || echo "note: tests that must run: $must, not tests/must-run.txt"
mustrun=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$must")
seen=
for t in "$OUT"/tests/unit_* tests/integ_*.sh; do
	[ -x "$t" ] || [ "${t%.sh}" != "$t" ] || continue
	name=$(basename "$t")
	seen="$seen $name "
	log=$(mktemp)
	start=$(date +%s.%N)
	if [ "${t%.sh}" != "$t" ]; then timeout 600 bash "$t" >"$log" 2>&1; else timeout 120 "$t" >"$log" 2>&1; fi
	rc=$?
	secs=$(printf "%.1f" "$(echo "$(date +%s.%N) - $start" | bc)")
	if [ $rc -eq 77 ] && grep -qxF "$name" <<<"$mustrun"; then
		failn=$((failn + 1))
		echo "FAIL $name: skipped, but it must run ($must): $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')"
		rm -f "$log"
		continue
	fi
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)"; grep -E "^note:" "$log" | sed 's/^/     /' ;;
	77) skipn=$((skipn + 1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')" ;;
	*) failn=$((failn + 1)); echo "FAIL $name (exit $rc, ${secs}s)"; sed 's/^/     | /' "$log" | tail -40 ;;
	esac
	rm -f "$log"
done
for name in $mustrun; do
	case $seen in
	*" $name "*) ;;
	*) failn=$((failn + 1)); echo "FAIL $name: listed in $must as a test that must run, but not found" ;;
	esac
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
