# The tool's part of tests/integ_repro.sh: a --repro run (its output, exit
# code and reproducer left in OUT), and a violation without a template (its
# refusal checked here).  Sourced by it on a host that runs arenas, run inside
# the VM (tests/vm/in-guest.sh, busybox sh) on one that refuses them.
echo "$OUT" >"$OUT/where"
$AS -s fault-free --seed 21 -d "${REPRO_D:-5}" --repro "$OUT/r" --json "$OUT/r.json" >"$OUT/out" 2>&1
echo $? >"$OUT/rc"
# a violation kind without a template: refused, with the command that reproduces it
$AS -s fault-free -u 0 --seed 22 -d 2 --inject dirty-alloc --repro "$OUT/x" >"$OUT/xout" 2>&1; rc=$?
check "no template for dirty-alloc: exit 2 (got $rc)" [ $rc -eq 2 ]
check "and it says how to reproduce it instead" grep -q "no minimal reproducer for a dirty-alloc violation.*--seed 22" "$OUT/xout"
