#!/bin/bash
# Command line: help, list, one-line errors with exit 2, unprivileged runs.
. "$(dirname "$0")/lib.sh"

out=$($AS --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help documents the exit codes" grep -q "exit codes: 0 clean, 1 violations" <<<"$out"

out=$($AS --list); rc=$?
check "--list exits 0" [ $rc -eq 0 ]
check "--list shows fault-free" grep -q "^fault-free" <<<"$out"

bad() { # bad "args" "expected text"
	local err rc
	err=$($AS $1 2>&1 >/dev/null); rc=$?
	check "'$1' exits 2" [ $rc -eq 2 ]
	check "'$1' says '$2'" grep -q -- "$2" <<<"$err"
	check "'$1' error is one line" [ "$(wc -l <<<"$err")" -eq 1 ]
}
bad "--pages 2" "invalid value '2' for --pages"
bad "--duration soon" "invalid value 'soon' for --duration"
bad "--bpf-threads 99" "for --bpf-threads"
bad "--scenario no-such-thing" "unknown scenario 'no-such-thing' for --scenario"
bad "--frobnicate" "unknown option '--frobnicate'"
bad "--seed" "option --seed needs a value"

bad "-Zx" "unknown option '-Z'"
bad "-d 1 -Zx" "unknown option '-Z'"
bad "-p 0x10" "invalid value '0x10' for --pages"
bad "-j -v" "option --json needs a value"
bad "--scenario fault-free,fault-free" "scenario 'fault-free' named twice"
bad "--json /nonexistent-dir/r.json" "cannot write --json /nonexistent-dir/r.json"

if [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^fault-free *runs'; then
	# outputs are checked before anything runs
	start=$(date +%s.%N)
	$AS -s fault-free -d 30 --json /nonexistent-dir/r.json >"$TMP/o" 2>&1; rc=$?
	took=$(echo "$(date +%s.%N) - $start" | bc)
	check "an unwritable --json fails at once (${took}s), exit 2 (got $rc)" \
		[ $rc -eq 2 -a "$(echo "$took < 3" | bc)" = 1 ]
	check "and nothing ran" bash -c "! grep -q '^scenario ' '$TMP/o'"
	# a run that did no work is no pass
	$AS -s fault-free -d 0.000001 >"$TMP/o" 2>&1; rc=$?
	check "a run with no work: exit 4 (got $rc)" [ $rc -eq 4 ]
	check "a run with no work says so" grep -q "^fault-free *no work" "$TMP/o"
	check "a run with no work is not called clean" bash -c "! grep -q 'result: clean' '$TMP/o'"
	check "its last line agrees with the exit code" bash -c "tail -1 '$TMP/o' | grep -q '(exit 4)$'"
	# a progress line every second, even when a scenario has under 2 s
	$AS -s fault-free,madvise -u 1 -d 3 >"$TMP/o" 2>&1
	for sc in fault-free madvise; do
		n=$(grep -cE "^\[$sc +[0-9.]+s\]" "$TMP/o")
		check "progress: $sc (1.5 s) printed a progress line ($n)" [ "$n" -ge 1 ]
	done
	# sweeps that cannot keep --sweep-ms are said
	$AS -s fault-free -u 0 -p 8192 --sweep-ms 1 -d 1.5 >"$TMP/o" 2>&1
	check "sweeps slower than --sweep-ms are said" grep -q "^fault-free: sweeps ran every .* not every 1 ms" "$TMP/o"
fi

if [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^contract *runs'; then
	$AS -s contract -d 0.3 --json - >"$TMP/j" 2>"$TMP/human"
	check "--json - puts only JSON on stdout" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/j"
	check "--json - puts the human report on stderr" grep -q "^contract .*ran" "$TMP/human"
fi

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp $AS "$TMP/as" && chmod 755 "$TMP" "$TMP/as"
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/as" -d 1 2>&1); rc=$?
	check "unprivileged run exits 2" [ $rc -eq 2 ]
	check "unprivileged run says why" grep -q "needs root" <<<"$err"
else
	echo "note: unprivileged check skipped (not root or no setpriv)"
fi
done_test
