#!/bin/bash
# The selftests, before and after the series, in the VM: the project's own
# arena_fault_free (+ the arena_stress drop-in) and the tree's own arena tests
# (prog_tests/arena_*.c, the verifier_arena* tests), built from Debian's
# newest linux-source-7.x (tests/selftests/run.sh --kernel-tests) against the
# small VM kernel's BTF and .config, run by test_progs on that kernel as
# shipped (asis) and with findings/fix/0*.patch (fixed).
# Prints one line per kernel and test; exit 0 when arena_fault_free fails
# as shipped and every test passes (or skips) with the series.
# usage: findings/fix/test-selftests.sh [OUTDIR] > findings/fix/selftests-7.3.4.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OUT=${1:-${AS_VM_CACHE:-$HOME/.cache/arena-stress}/selftest-results}
mkdir -p "$OUT"
cd "$top" || exit 2
tree=$(bash scripts/ksrc.sh) || exit 2
bash tests/kernel/build.sh asis fixed >"$OUT/images" || exit 2
b=$(dirname "$tree")/build-$(make -s -C "$tree" kernelversion)-small
cp "$b/vmlinux" "$OUT/vmlinux" && cp "$b/.config" "$OUT/config" || exit 2
echo "# $(date -u +%F) findings/fix/test-selftests.sh: test_progs (tests/selftests/run.sh --kernel-tests) from"
echo "# $(basename "$tree"), on the small $(make -s -C "$tree" kernelversion) VM kernel (tests/kernel/base.config), TCG"
ok=1
while read -r kind img; do
	bash tests/selftests/run.sh --tree "$tree" --kernel-tests --btf "$OUT/vmlinux" --kconfig "$OUT/config" \
		--vm "$img" >"$OUT/$kind.log" 2>&1
	rc=$?
	echo "$kind: test_progs exit $rc; $(grep -m1 '^Summary' "$OUT/$kind.log")"
	grep -E '^#[0-9]+ +[a-z_0-9]+:' "$OUT/$kind.log" | sed "s/^/  $kind /"
	grep -q "FAIL:racing child exited" "$OUT/$kind.log" &&
		echo "  $kind arena_fault_free: its racing child is stuck in the kernel (finding 2)"
	grep -E "^serial_test_arena_fault_free: page [0-9]+: user space reads token" "$OUT/$kind.log" |
		sed "s/^serial_test_/  $kind evidence: /" | head -1
	case $kind in
	asis) grep -qE '^#[0-9]+ +arena_fault_free:FAIL' "$OUT/$kind.log" || ok=0 ;;
	*) [ $rc -eq 0 ] && ! grep -qE '^#[0-9]+ +[a-z_0-9]+:FAIL' "$OUT/$kind.log" || ok=0 ;;
	esac
done <"$OUT/images"
[ $ok = 1 ] && echo "result: arena_fault_free fails as shipped; with the series every test passes" && exit 0
echo "result: not as expected (logs in $OUT)"
exit 1
