#!/bin/bash
# The run's outputs on a run that fails early (the host refuses the arena
# map, or the run is not root's): still a run.  Its JSON report is written
# (--json FILE replaced whole by rename, --json - on stdout), the last line
# is "result: ... (exit 2)"; and no path is removed or truncated unless a
# complete report replaces it: a device node or FIFO is written, never
# replaced; a report that cannot be written leaves the old file as it was;
# --repro refuses a file, a device, the --json path, before the run, and
# creates no directory when there is no reproducer to write.
. "$(dirname "$0")/lib.sh"

W=$TMP/w
mkdir "$W"
if [ "$(id -u)" -ne 0 ]; then
	RUN=("$AS")	# not root: every run fails early ("needs root")
elif ! $AS --list | grep -q '^fault-free *runs'; then
	RUN=("$AS")	# the host refuses arenas: every run fails early (this machine)
	echo "note: the host refuses BPF arenas: the early failure is the real one"
elif command -v setpriv >/dev/null; then
	# arenas run here: an early failure is an unprivileged run
	cp "$AS" "$TMP/as" && chmod 755 "$TMP" "$TMP/as" && chown 65534:65534 "$W"
	RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/as")
	echo "note: arenas run here: the early failure is an unprivileged run (needs root)"
else
	skip "arenas run here and there is no setpriv to make a run fail early"
fi
# a file of the test, writable by the runs
mine() { [ "${RUN[0]}" = setpriv ] && chown 65534:65534 "$@"; return 0; }
run() { "${RUN[@]}" "$@"; }
nothing_left() { [ -z "$(find "$W" -name '.arena-stress-*')" ]; }

# --- an existing --json file: replaced atomically by a complete report
printf '{"old": true}\n' >"$W/r.json"
chmod 640 "$W/r.json"
mine "$W/r.json"
ino=$(stat -c %i "$W/r.json")
run -s fault-free,madvise -d 1 -j "$W/r.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
reason=$(sed -n 's/^arena-stress: //p' "$TMP/err" | head -1)
check "an early failure exits 2 (got $rc)" [ $rc -eq 2 ]
check "says why on stderr, in one line ($reason)" [ -n "$reason" -a "$(wc -l <"$TMP/err")" -eq 1 ]
check "its last line is the result" bash -c "tail -1 '$TMP/out' | grep -qx 'result: error (exit 2)'"
check "the JSON report is written and parses" [ "$(json "$W/r.json" "d['tool']")" = arena-stress ]
check "its exit_code is the process's" [ "$(json "$W/r.json" "d['exit_code']")" = 2 ]
check "it says where it ran: the host" [ "$(json "$W/r.json" "d['where']")" = host ]
check "each scenario failed, with the reason" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert [(s['name'], s['status']) for s in d['scenarios']] == [('fault-free', 'failed'), ('madvise', 'failed')], d['scenarios']
assert all(s['reason'] == sys.argv[2] for s in d['scenarios']), (d['scenarios'][0]['reason'], sys.argv[2])" "$W/r.json" "$reason"
check "replaced by rename: a new inode ($ino -> $(stat -c %i "$W/r.json"))" [ "$(stat -c %i "$W/r.json")" != "$ino" ]
check "with the old file's mode" [ "$(stat -c %a "$W/r.json")" = 640 ]
check "no temporary file left beside it" nothing_left

# --- a symlink: the link stays, the file it names gets the report
ln -s r.json "$W/link.json"
run -s fault-free -d 1 -j "$W/link.json" >/dev/null 2>&1
check "a --json symlink stays a symlink" [ -L "$W/link.json" ]
check "and the file it names has the report" [ "$(json "$W/r.json" "[s['name'] for s in d['scenarios']]")" = "['fault-free']" ]

# --- --json -: the JSON on stdout, the human report on stderr
run -s fault-free -d 1 -j - >"$TMP/j" 2>"$TMP/human"; rc=$?
check "--json -: exit 2 (got $rc)" [ $rc -eq 2 ]
check "--json - prints the report on stdout, only it" [ "$(json "$TMP/j" "d['scenarios'][0]['status']")" = failed ]
check "and the result line on stderr" bash -c "tail -1 '$TMP/human' | grep -qx 'result: error (exit 2)'"

# --- a device node: written, never replaced or removed
if [ "$(id -u)" -eq 0 ]; then
	mknod "$W/null" c 1 3 && chmod 666 "$W/null"
	run -d 1 -j "$W/null" >/dev/null 2>&1; rc=$?
	check "-j a device node: exit 2 (got $rc)" [ $rc -eq 2 ]
	check "the node is still there, a character device" [ -c "$W/null" ]
	check "the same device (1:3)" [ "$(stat -c '%t:%T' "$W/null")" = 1:3 ]
	mknod "$W/full" c 1 7 && chmod 666 "$W/full"
	err=$(run -d 1 -j "$W/full" 2>&1 >"$TMP/out"); rc=$?
	check "-j a full device: a usage error before the run, exit 2 (got $rc)" [ $rc -eq 2 ]
	check "says so in one line ($err)" [ "$(wc -l <<<"$err")" -eq 1 ]
	grep -q "cannot write --json $W/full: No space left on device" <<<"$err" || fail "names the device and why: $err"
	check "nothing ran: no result line" [ ! -s "$TMP/out" ]
	check "the full device node is still there" [ -c "$W/full" ]
else
	echo "note: the device-node cases need root (mknod)"
fi

# --- a FIFO: written, never replaced (its reader gets the whole report)
mkfifo "$W/fifo" && mine "$W/fifo"
timeout 30 cat "$W/fifo" >"$TMP/fifo.out" &
reader=$!
run -d 1 -j "$W/fifo" >/dev/null 2>&1; rc=$?
wait $reader; rrc=$?
check "-j a FIFO: exit 2 (got $rc), its reader got it all (cat: $rrc)" [ $rc -eq 2 -a $rrc -eq 0 ]
check "the FIFO's reader got the JSON report" [ "$(json "$TMP/fifo.out" "d['exit_code']")" = 2 ]
check "the FIFO is still a FIFO" [ -p "$W/fifo" ]

# --- refused before the run: nothing written, nothing removed
printf 'keep me\n' >"$W/keep.json"
mine "$W/keep.json"
cp "$W/keep.json" "$TMP/keep.orig"
untouched() { cmp -s "$W/keep.json" "$TMP/keep.orig"; }
for args in "-d 1 -j $W/keep.json --repro /nonexistent-dir/x" "-d 1 -j $W/keep.json -s no-such" \
	    "-d 1 -j $W/keep.json --repro $W/keep.json" "-d 1 -j $W/keep.json --bogus"; do
	err=$(run $args 2>&1 >/dev/null); rc=$?
	check "'$args': exit 2 (got $rc), one line" [ $rc -eq 2 -a "$(wc -l <<<"$err")" -eq 1 ]
	check "and the --json file is untouched" untouched
done
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# the report cannot replace the file (its directory takes no new file):
	# the old file stays whole (it was truncated, then removed)
	mkdir "$W/ro" && cp "$TMP/keep.orig" "$W/ro/r.json" && chown 65534:65534 "$W/ro/r.json"
	chmod 555 "$W/ro"; chmod 755 "$TMP" "$W"
	cp "$AS" "$TMP/as-nobody" && chmod 755 "$TMP/as-nobody"
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/as-nobody" -d 1 -j "$W/ro/r.json" 2>&1); rc=$?
	check "a --json file whose directory takes no new file: exit 2 (got $rc)" [ $rc -eq 2 ]
	grep -q "cannot write --json $W/ro/r.json: cannot create a file in $W/ro" <<<"$err" ||
		fail "and it says why: $err"
	check "and the file is kept, byte for byte" cmp -s "$W/ro/r.json" "$TMP/keep.orig"
	chmod 755 "$W/ro"
else
	echo "note: the unwritable-directory case needs root and setpriv"
fi

# --- --repro: checked before the run
repro_bad() { # repro_bad "args" "expected text"
	local err rc
	err=$(run $1 2>&1 >"$TMP/out"); rc=$?
	check "'$1' is refused before the run, exit 2 (got $rc)" [ $rc -eq 2 ]
	grep -q -- "$2" <<<"$err" || fail "'$1' says '$2': $err"
	check "'$1': one line" [ "$(wc -l <<<"$err")" -eq 1 ]
	check "'$1': no run (no result line)" bash -c "! grep -q '^result:' '$TMP/out'"
}
repro_bad "-d 1 --repro $W/keep.json" "--repro $W/keep.json: not a directory (a regular file)"
repro_bad "-d 1 --repro /dev/null" "--repro /dev/null: not a directory (a device)"
repro_bad "-d 1 --repro $W/same -j $W/same" "--repro $W/same: the same path as --json"
repro_bad "-d 1 --repro /nonexistent-dir/r" "--repro /nonexistent-dir/r: no such directory /nonexistent-dir"
mkdir "$W/proj" && printf 'all:\n' >"$W/proj/Makefile" && mine "$W/proj" "$W/proj/Makefile"
repro_bad "-d 1 --repro $W/proj" "holds a Makefile that --repro did not write"
check "its Makefile untouched" [ "$(cat "$W/proj/Makefile")" = "all:" ]
check "keep.json is untouched by all of these" untouched
# an early failure with --repro: no directory made for it
run -d 1 --repro "$W/new-repro" >/dev/null 2>&1; rc=$?
check "an early failure with --repro: exit 2 (got $rc)" [ $rc -eq 2 ]
check "and no --repro directory created" [ ! -e "$W/new-repro" ]
check "no temporary file left anywhere" nothing_left
done_test
