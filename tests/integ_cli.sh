#!/bin/bash
# Command line: help, list, one-line errors with exit 2, unprivileged runs.
. "$(dirname "$0")/lib.sh"

out=$($AS --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help documents the exit codes" grep -q "exit codes: 0 clean, 1 violations" <<<"$out"

out=$($AS --version); rc=$?
check "--version exits 0" [ $rc -eq 0 ]
check "--version prints the version ($out)" grep -qxE "arena-stress [0-9]+\.[0-9]+[^ ]*" <<<"$out"

out=$($AS --list); rc=$?
check "--list exits 0" [ $rc -eq 0 ]
check "--list shows fault-free" grep -q "^fault-free" <<<"$out"
n=$(grep -c "reason:" <<<"$out")
if ! grep -q '^fault-free *runs' <<<"$out"; then
	# the host's reason (not root, no BTF, no arena) is said once, above the table
	check "--list gives the host's reason once ($n)" [ "$n" -eq 1 ]
	check "and it comes before the table" bash -c "sed -n '/^scenario /q;p' <<<\"\$1\" | grep -q '^reason: '" _ "$out"
	check "every scenario unavailable" [ "$(grep -cE '^[a-z-]+ +unavailable ' <<<"$out")" -eq \
		"$(sed -n '/^scenario /,$p' <<<"$out" | grep -cE '^[a-z-]+ +(runs|unavailable) ')" ]
	if [ "$(id -u)" -eq 0 ] && grep -q "Operation not permitted" <<<"$out"; then
		check "root refused: no guess of unprivileged BPF" bash -c "! grep -qi 'unprivileged BPF' <<<\"\$1\"" _ "$out"
		check "root refused: says how to run it in the VM" grep -qF "run it in a VM instead: tests/vm/run.sh -- ARGS (see README)" <<<"$out"
	fi
fi

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
# long options named as the user wrote them; one-line errors whatever the value
bad "--verbose=3" "option --verbose takes no value (got '--verbose=3')"
bad "--help=x" "option --help takes no value (got '--help=x')"
bad "--s" "ambiguous option '--s' (could be --scenario, --seed, --sweep-ms, --stop-on-violation"
bad "-s fault-free,,madvise" "empty scenario name in 'fault-free,,madvise' for --scenario"
bad "-s ," "empty scenario name in ',' for --scenario"
err=$($AS -s $'fault-free\nmadvise' 2>&1 >/dev/null); rc=$?
check "a scenario name with a newline: exit 2, one line ($err)" [ $rc -eq 2 -a "$(wc -l <<<"$err")" -eq 1 ]
bad "--json /proc/version" "cannot write --json /proc/version"
bad "--json $TMP" "cannot write --json $TMP: is a directory"
# device nodes of the test's own: a tool that removes its output path (as
# it did) must not take the system's with it
if [ "$(id -u)" -eq 0 ] && mknod "$TMP/full" c 1 7 && mknod "$TMP/null" c 1 3; then
	bad "--json $TMP/full" "cannot write --json $TMP/full: No space left on device"
	bad "--repro $TMP/null" "--repro $TMP/null: not a directory"
	check "the device nodes are still there" [ -c "$TMP/full" -a -c "$TMP/null" ]
else
	echo "note: the device-node cases need root (mknod)"
fi

# outputs are checked before anything runs
start=$(date +%s.%N)
$AS -s fault-free -d 30 --json /nonexistent-dir/r.json >"$TMP/o" 2>&1; rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
check "an unwritable --json fails at once (${took}s), exit 2 (got $rc)" \
	[ $rc -eq 2 -a "$(echo "$took < 3" | bc)" = 1 ]
check "and nothing ran" bash -c "! grep -qE '^(scenario |== )' '$TMP/o'"

# what needs a run of a scenario: skipped with a note where none can run
why=$($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)
if [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^fault-free *runs'; then
	# every scenario's start is said, without -v, in this form (the VM
	# runner names the scenario a guest crashed in from it)
	$AS -s fault-free -d 0.5 >"$TMP/o" 2>&1
	check "a scenario's start is said: '== fault-free: ...'" grep -qE "^== fault-free: .+" "$TMP/o"
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
else
	echo "note: no scenario runs here ($why): not checked: the '== NAME' start line, exit 4 for a run with no work, progress lines, slow sweeps"
fi

if [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^contract *runs'; then
	$AS -s contract -d 0.3 --json - >"$TMP/j" 2>"$TMP/human"
	check "--json - puts only JSON on stdout" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/j"
	check "--json - puts the human report on stderr" grep -q "^contract .*ran" "$TMP/human"
else
	# an early failure is a run too: its JSON on stdout, its verdict on stderr
	$AS -s contract -d 0.3 --json - >"$TMP/j" 2>"$TMP/human"; rc=$?
	check "--json - on an early failure: exit 2 (got $rc)" [ $rc -eq 2 ]
	check "--json - puts only JSON on stdout" [ "$(json "$TMP/j" "d['scenarios'][0]['status']")" = failed ]
	check "--json - puts the result line on stderr" bash -c "tail -1 '$TMP/human' | grep -q '^result: error (exit 2)$'"
	echo "note: contract does not run here: --json - checked on the early failure"
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
