#!/bin/bash
# --repro: the first violation becomes a self-contained reproducer (BPF
# program, C file, Makefile, README) that builds in an empty directory with
# nothing of arena-stress, and on this kernel reproduces the divergence
# (exit 1).  The dofork template builds too.  A violation without a template
# is refused with the command line that reproduces it.
. "$(dirname "$0")/lib.sh"
needs_arena

$AS -s fault-free --seed 21 -d 5 --repro "$TMP/r" --json "$TMP/r.json" >"$TMP/out" 2>&1; rc=$?
# --repro stops at the first violation: finding 1's on a kernel that has it
outcome $rc "$TMP/r.json" "$FINDING_KINDS"
finding1 "$TMP/r.json"
if [ $rc -eq 1 ]; then
	check "reproducer files written" [ -s "$TMP/r/repro.bpf.c" -a -s "$TMP/r/repro.c" -a -s "$TMP/r/Makefile" -a -s "$TMP/r/README.md" ]
	check "the tool says where" grep -q "^repro: .* written to $TMP/r/" "$TMP/out"
	check "README carries scenario, seed, address and both views" \
		grep -qE "scenario .fault-free., seed 21" "$TMP/r/README.md"
	check "README has the address" grep -qE "at page [0-9]+, address 0x[0-9a-f]+" "$TMP/r/README.md"
	check "README has what each side saw" grep -qE "^  saw: .*(user (reads|wrote|read)|readable from user).*BPF read" "$TMP/r/README.md"
	check "the reproducer does not use arena-stress' own code" \
		bash -c "! grep -qE 'arena_stress|engine.h|as_[a-z]+\\(' '$TMP/r/repro.c' '$TMP/r/repro.bpf.c'"
	make -C "$TMP/r" >"$TMP/build" 2>&1; brc=$?
	check "the reproducer builds on its own" [ $brc -eq 0 ]
	[ $brc -eq 0 ] || tail -20 "$TMP/build"
	timeout 60 "$TMP/r/repro" 20 >"$TMP/run" 2>&1; prc=$?
	cat "$TMP/run"
	check "the reproducer reproduces on this kernel (exit 1, got $prc)" [ $prc -eq 1 ]
	check "and prints its evidence" grep -q "^REPRODUCED" "$TMP/run"
else
	echo "note: no violation on this kernel (exit $rc): nothing to reproduce"
	check "no reproducer written for a clean run" grep -q "no reproducer written" "$TMP/out"
fi

# the dofork template builds as it is emitted
mkdir -p "$TMP/d"
cp repro/repro.bpf.c repro/Makefile "$TMP/d/" && cp repro/dofork.c "$TMP/d/repro.c"
make -C "$TMP/d" >"$TMP/dbuild" 2>&1; check "the dofork reproducer builds" [ $? -eq 0 ]

# a violation kind without a template: refused, with the command that reproduces it
$AS -s fault-free -u 0 --seed 22 -d 2 --inject dirty-alloc --repro "$TMP/x" >"$TMP/xout" 2>&1; rc=$?
check "no template for dirty-alloc: exit 2 (got $rc)" [ $rc -eq 2 ]
check "and it says how to reproduce it instead" grep -q "no minimal reproducer for a dirty-alloc violation.*--seed 22" "$TMP/xout"
done_test
