#!/bin/bash
# Run arena-stress on the kernels build-kernel.sh made: 7.x as shipped and
# with the fix, same config (KASAN, DEBUG_VM, PAGE_TABLE_CHECK, lockdep), in
# the VM runner.  For each: fault-free alone (findings 1 and 2), then every
# other scenario, unsafe ones included.  Prints a summary line per kernel
# and run; the full output and JSON stay in OUTDIR.
#
# usage: findings/fix/test-fix.sh [SECONDS] [OUTDIR]
#   (default 30 s per run, ~/.cache/arena-stress/fix-results)
# Exit 0 when the fixed kernel is clean in every run and the shipped one is
# not, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SECS=${1:-30}
OUT=${2:-${AS_VM_CACHE:-$HOME/.cache/arena-stress}/fix-results}
K=${AS_VM_CACHE:-$HOME/.cache/arena-stress}/kernels
mkdir -p "$OUT"
cd "$top"
[ -x arena-stress-static ] || make -s static || exit 2
fixed_clean=1 asis_found=0
for kind in asis fixed; do
	bz=$(ls "$K"/bzImage-*-$kind 2>/dev/null | sort -V | tail -1)
	[ -n "$bz" ] || { echo "test-fix: no $K/bzImage-*-$kind: run findings/fix/build-kernel.sh" >&2; exit 2; }
	for run in fault-free rest; do
		if [ $run = fault-free ]; then args=(-s fault-free); else
			args=(--unsafe -s madvise,contract,munmap-remap,multi-process,pinned,io-wq,gup,dofork); fi
		bash tests/vm/run.sh --kernel "$bz" --timeout $((SECS * 4 + 240)) \
			--json-out "$OUT/$kind-$run.json" --console-out "$OUT/$kind-$run.console" \
			-- "${args[@]}" -d "$SECS" >"$OUT/$kind-$run.out" 2>&1
		rc=$?
		summary=$(python3 - "$OUT/$kind-$run.json" <<'PY' 2>/dev/null || echo "no report (exit $rc)"
import json, sys
d = json.load(open(sys.argv[1]))
print("; ".join("%s %s %s" % (s["name"], s["counters"].get("alloc", 0),
      ",".join("%s=%d" % kv for kv in s["by_kind"].items()) or "clean") for s in d["scenarios"]))
PY
)
		splats=$(grep -c "BUG: \|WARNING: \|KASAN" "$OUT/$kind-$run.console" 2>/dev/null)
		echo "$(basename "$bz") $run: exit $rc; kernel splat lines $splats; $summary"
		if [ $kind = fixed ]; then
			[ $rc -eq 0 ] || fixed_clean=0
		else
			[ $rc -ne 0 ] && asis_found=1
		fi
	done
done
[ $fixed_clean = 1 ] && [ $asis_found = 1 ] && { echo "test-fix: the fixed kernel is clean; the shipped one is not"; exit 0; }
echo "test-fix: fixed kernel clean: $fixed_clean; shipped kernel showed the bugs: $asis_found"
exit 1
