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
