#!/bin/bash
# The selftests, before and after the series, in the VM: the project's own
# (arena_fault_free, arena_reserve_fault, arena_free_reuse + the arena_stress
# drop-in) and the tree's own arena tests (prog_tests/arena_*.c, the
# verifier_arena* tests), built from Debian's newest linux-source-7.x
# (tests/selftests/run.sh --kernel-tests) against the small VM kernel's BTF
# and .config, run by test_progs on that kernel as shipped (asis), with
# findings/fix/0*.patch (fixed), and with the mutants that take one fix out
# again (the series with 7.3.4's own code back in one place):
#   m-reserve-fault          0001 undone: the failed fault sets the page free
#   m-release-before-flush   0002 undone: a sleepable free releases its range
#                            before its flush and zap
# Prints one line per kernel and test; exit 0 when every test fails where
# its fix is missing and every test passes (or skips) where it is in.
# usage: findings/fix/test-selftests.sh [OUTDIR] > findings/fix/selftests-7.3.4.txt
# env:   AS_SELFTEST_KBUILD   tests/kernel/build.sh flags (e.g. "--debug --scx")
#        AS_SELFTEST_VARIANTS kernels (default: asis fixed m-reserve-fault m-release-before-flush)
#        AS_SELFTEST_ROUNDS   boots of each kernel (default 1)
#        AS_SELFTEST_ARGS     test_progs arguments, then only the project's pairs are built
#                             (default: --kernel-tests, every test built; e.g.
#                             "-t arena_reserve_fault,arena_free_reuse")
#        AS_SELFTEST_TREE     a copy of the source tree to install the tests into
#                             (default: scripts/ksrc.sh's, shared with the kernel builds)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OUT=${1:-${AS_VM_CACHE:-$HOME/.cache/arena-stress}/selftest-results}
VARIANTS=${AS_SELFTEST_VARIANTS:-asis fixed m-reserve-fault m-release-before-flush}
ROUNDS=${AS_SELFTEST_ROUNDS:-1}
mkdir -p "$OUT"
cd "$top" || exit 2
tree=$(bash scripts/ksrc.sh) || exit 2
ver=$(make -s -C "$tree" kernelversion)
# shellcheck disable=SC2086
bash tests/kernel/build.sh ${AS_SELFTEST_KBUILD:-} $VARIANTS >"$OUT/images" || exit 2
cfg=small$(for f in ${AS_SELFTEST_KBUILD:-}; do printf -- '-%s' "${f#--}"; done)
b=$(dirname "$tree")/build-$ver-$cfg
cp "$b/vmlinux" "$OUT/vmlinux" && cp "$b/.config" "$OUT/config" || exit 2
# shellcheck disable=SC2206
args=(${AS_SELFTEST_ARGS:-})
echo "# $(date -u +%F) findings/fix/test-selftests.sh: test_progs (tests/selftests/run.sh $([ -n "${AS_SELFTEST_ARGS:-}" ] && echo "-- $AS_SELFTEST_ARGS" || echo --kernel-tests)) from"
echo "# $(basename "$tree"), on the $cfg $ver VM kernel (tests/kernel/build.sh ${AS_SELFTEST_KBUILD:-}), TCG, 2 vCPUs"
# which test must fail on which kernel (the others must pass)
must_fail() {
	case $1 in
	asis) echo "arena_fault_free arena_reserve_fault arena_free_reuse" ;;
	m-reserve-fault) echo "arena_reserve_fault" ;;
	m-release-before-flush) echo "arena_free_reuse" ;;
	esac
}
ok=1
for round in $(seq 1 "$ROUNDS"); do
while read -r kind img; do
	log=$OUT/$kind.$round.log
	# shellcheck disable=SC2046
	bash tests/selftests/run.sh --tree "${AS_SELFTEST_TREE:-$tree}" $([ ${#args[@]} = 0 ] && echo --kernel-tests) --btf "$OUT/vmlinux" \
		--kconfig "$OUT/config" --vm "$img" -- "${args[@]}" >"$log" 2>&1
	rc=$?
	echo "$kind (boot $round): test_progs exit $rc; $(grep -m1 '^Summary' "$log")"
	grep -E '^#[0-9]+ +[a-z_0-9]+:' "$log" | sed "s/^/  $kind /"
	grep -q "FAIL:racing child exited" "$log" &&
		echo "  $kind arena_fault_free: its racing child is stuck in the kernel (finding 2)"
	grep -E "^serial_test_arena_fault_free: page [0-9]+: user space reads token" "$log" |
		sed "s/^serial_test_/  $kind evidence: /" | head -1
	grep -E "^serial_test_arena_reserve_fault: reserved page" "$log" | sed "s/^serial_test_/  $kind evidence: /"
	grep -E "^serial_test_arena_free_reuse: " "$log" | sed "s/^serial_test_/  $kind /"
	fails=$(must_fail "$kind")
	for t in $(grep -oE '^#[0-9]+ +[a-z_0-9]+:(OK|FAIL)' "$log" | awk '{print $2}'); do
		name=${t%%:*} verdict=${t#*:}
		case " $fails " in
		*" $name "*) [ "$verdict" = FAIL ] || { echo "  $kind $name: passed, but this kernel lacks its fix"; ok=0; } ;;
		*) [ "$verdict" = OK ] || { echo "  $kind $name: failed where its fix is in"; ok=0; } ;;
		esac
	done
	for t in $fails; do
		[ -n "${AS_SELFTEST_ARGS:-}" ] && ! grep -q "$t" <<<"$AS_SELFTEST_ARGS" && continue
		grep -qE "^#[0-9]+ +$t:" "$log" || { echo "  $kind $t: did not run"; ok=0; }
	done
done <"$OUT/images"
done
[ $ok = 1 ] && echo "result: each test fails on the kernels without its fix and passes on the others" && exit 0
echo "result: not as expected (logs in $OUT)"
exit 1
