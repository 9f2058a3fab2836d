# The acts of tests/integ_kwatch.sh and its checks of the runs' output:
# sourced by it on a host that runs arenas, run inside the VM
# (tests/vm/in-guest.sh, busybox sh) on one that refuses them.  Needs AS,
# OUT (the JSON report and the marker line's id are left there for the
# host's checks) and tests/lib.sh's check, fail, wait_for.
[ -w /dev/kmsg ] || { echo "SKIP: /dev/kmsg not writable"; exit 77; }
id=$$
echo "$id" >"$OUT/id"
$AS -s fault-free -u 0 -d 3 --json "$OUT/k.json" >"$OUT/out" 2>&1 &
pid=$!
# the progress line comes once the run (and its kernel watch) is under way
wait_for "$OUT/out" '^\[fault-free +[0-9.]+s\]' || fail "no progress line"
echo "arena-stress selftest line (not a real kernel problem): WARNING: injected $id" >/dev/kmsg
wait $pid; rc=$?
check "exit 3 on a kernel log splat (got $rc)" [ $rc -eq 3 ]
check "report quotes the line" grep -q "WARNING: injected $id" "$OUT/out"

$AS -s fault-free -u 0 -d 1 >"$OUT/out2" 2>&1; rc=$?
check "the next run starts from the log's end: clean (got $rc)" [ $rc -eq 0 ]
