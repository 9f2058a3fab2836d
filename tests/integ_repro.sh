#!/bin/bash
# --repro: the first violation becomes a self-contained reproducer (BPF
# program, C file, Makefile, README) that builds in an empty directory with
# nothing of arena-stress, and on this kernel reproduces the divergence
# (exit 1).  The dofork template builds too.  A violation without a template
# is refused with the command line that reproduces it.  Where this host
# refuses arena maps, the tool (tests/guest/repro.sh) and the reproducer run
# inside the VM; the reproducer is built here either way.
. "$(dirname "$0")/lib.sh"
OUT=$TMP/g
mkdir -p "$OUT"
here_or_vm repro "the tool and the reproducer run"
rc=$(cat "$OUT/rc" 2>/dev/null)
# --repro stops at the first violation: finding 1's on a kernel that has it
outcome "${rc:-99}" "$OUT/r.json" "$FINDING_KINDS"
finding1 "$OUT/r.json"
r=$OUT/r
if [ "$rc" = 1 ]; then
	check "reproducer files written" [ -s "$r/repro.bpf.c" -a -s "$r/repro.c" -a -s "$r/Makefile" -a -s "$r/README.md" ]
	check "the tool says where" grep -q "^repro: .* written to $(cat "$OUT/where")/r/" "$OUT/out"
	check "README carries scenario, seed, address and both views" \
		grep -qE "scenario .fault-free., seed 21" "$r/README.md"
	check "README has the address" grep -qE "at page [0-9]+, address 0x[0-9a-f]+" "$r/README.md"
	check "README has what each side saw" grep -qE "^  saw: .*(user (reads|wrote|read)|readable from user).*BPF read" "$r/README.md"
	check "the reproducer does not use arena-stress' own code" \
		bash -c "! grep -qE 'arena_stress|engine.h|as_[a-z]+\\(' '$r/repro.c' '$r/repro.bpf.c'"
	mkdir -p "$TMP/rs" && cp "$r"/* "$TMP/rs/"	# (its static build, for the VM)
	make -C "$r" >"$TMP/build" 2>&1; brc=$?
	check "the reproducer builds on its own" [ $brc -eq 0 ]
	[ $brc -eq 0 ] || tail -20 "$TMP/build"
	if [ $where = host ]; then
		timeout 60 "$r/repro" 20 >"$TMP/run" 2>&1; prc=$?
	elif check "the reproducer builds statically (for the VM)" bash tests/vm/build-repro.sh "$TMP/rs"; then
		bash tests/vm/run.sh --plain "$TMP/rs/repro" --kernel-pkg "$pkg" --timeout 180 \
			--results "${AS_VM_RESULTS:-vm-results}" -- 20 >"$TMP/run" 2>&1; prc=$?
	fi
	cat "$TMP/run"
	check "the reproducer reproduces on this kernel (exit 1, got ${prc:-none})" [ "${prc:-}" = 1 ]
	check "and prints its evidence" grep -q "^REPRODUCED" "$TMP/run"
else
	echo "note: no violation on this kernel (exit $rc): nothing to reproduce"
	check "no reproducer written for a clean run" grep -q "no reproducer written" "$OUT/out"
fi

# the dofork template builds as it is emitted
mkdir -p "$TMP/d"
cp repro/repro.bpf.c repro/Makefile "$TMP/d/" && cp repro/dofork.c "$TMP/d/repro.c"
make -C "$TMP/d" >"$TMP/dbuild" 2>&1; check "the dofork reproducer builds" [ $? -eq 0 ]
done_test
