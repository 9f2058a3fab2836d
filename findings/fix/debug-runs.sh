#!/bin/bash
# The series under the kernel's own checks: the small 7.x kernel with
# tests/kernel/debug.config (PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT,
# KASAN, DEBUG_VM, PAGE_TABLE_CHECK, KFENCE) and scx.config (sched_ext, ORC),
# the fix series applied (build.sh --debug --scx fixed), every scenario in the
# default VM invocation, RUNS times; then each run's kernel log is read for
# what lockdep, KASAN, KFENCE, DEBUG_VM and the atomic-sleep checks say.
#
# usage: findings/fix/debug-runs.sh [SECS [RUNS [VARIANT]]]   (default 60 3 fixed)
#   SECS is arena-stress's -d (the whole run, shared by the scenarios).
# Prints one line per run and a summary; exit 0 when no debug check reported
# anything, 1 when one did (the report is in the run's console), 2 on error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 2
SECS=${1:-60} RUNS=${2:-3} VARIANT=${3:-fixed}
OUT=${AS_DEBUG_OUT:-$top/vm-results/debug-runs-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"
[ -x arena-stress-static ] || make -s static || exit 2
img=$(bash tests/kernel/build.sh --debug --scx "$VARIANT" | awk -v v="$VARIANT" '$1 == v {print $2}')
[ -s "$img" ] || { echo "debug-runs: no image for $VARIANT" >&2; exit 2; }
echo "# $(date -u +%F) findings/fix/debug-runs.sh $SECS $RUNS $VARIANT: $(basename "$img")"
echo "# arena-stress --unsafe -d $SECS (every scenario), TCG, ${AS_VM_SMP:-2} vCPUs; results in $OUT"
bad=0
for run in $(seq 1 "$RUNS"); do
	tag=run$run
	bash tests/vm/run.sh --kernel "$img" --timeout $((SECS * 10 + 600)) --results "$OUT/$tag.results" \
		--json-out "$OUT/$tag.json" --console-out "$OUT/$tag.console" -- --unsafe -d "$SECS" >"$OUT/$tag.out" 2>&1
	rc=$?
	# what the debug checks say, from the guest's kernel log (the console's
	# KLOG block and anything printed at a crash)
	reports=$(grep -aoE 'WARNING: (possible (circular|recursive) locking[^\r]*|inconsistent lock state|suspicious RCU usage|bad unlock balance[^\r]*|held lock freed)|BUG: (KASAN: [a-z-]+|KFENCE: [a-z-]+|sleeping function called from invalid context|scheduling while atomic|Bad page (state|map)|workqueue lockup|soft lockup)|kernel BUG at [^ ]+|page_table_check[^\r]{0,40}|VM_BUG_ON[^\r]{0,40}|INFO: task [^ ]+ blocked|Oops: [^\r]{0,40}|WARNING: CPU: [0-9]+ PID: [0-9]+ at [^ ]+' \
		"$OUT/$tag.console" | sed 's/PID: [0-9]*/PID: N/; s/CPU: [0-9]*/CPU: N/' | sort | uniq -c | sort -rn)
	res=$(python3 - "$OUT/$tag.json" <<'PY' 2>/dev/null || echo "no report"
import json, sys
d = json.load(open(sys.argv[1]))
sc = d.get("scenarios", [])
ran = sum(1 for s in sc if s["status"] == "ran")
kinds = {}
for s in sc:
    for k, n in s["by_kind"].items():
        kinds[k] = kinds.get(k, 0) + n
print("%d/%d scenarios ran, %s" % (ran, len(sc), ", ".join("%s=%d" % kv for kv in sorted(kinds.items())) or "no violations"))
PY
)
	echo "run $run: exit $rc; $res"
	if [ -n "$reports" ]; then
		bad=1
		sed 's/^/    /' <<<"$reports"
	else
		echo "    no lockdep, KASAN, KFENCE, DEBUG_VM or atomic-sleep report"
	fi
	[ $rc -le 1 ] || bad=1
done
[ $bad -eq 0 ] && echo "# all $RUNS runs: exit 0 or 1, no debug-check report" || echo "# some run had a debug-check report or an exit above 1: read its console"
exit $bad
