#!/bin/bash
# The fix, tested as issue 16 asks: every scenario (unsafe ones included)
# SECS guest seconds each, RUNS runs, on the small 7.x VM kernel
#   asis              as Debian ships the source (one run: it shows the bugs)
#   fixed             with findings/fix/0*.patch
#   ctl-delay-window  fixed + 200 us held open between the fault's lookup and
#                     its PTE install (tests/kernel/mutants/ctl-delay-window.mut)
#   ctl-count-barrier fixed + counters on the fix's ordering: faults, faults a
#                     free's barrier waited for, barriers (printed by the
#                     kernel at each arena's destruction; the last line counts)
#   ctl-delay-count   both: the window held open, and counted
# (AS_FIX_KINDS picks them; default: asis fixed ctl-delay-window; AS_FIX_SC
# the scenarios, default all) in the VM runner.  Prints one line per kernel
# and run (allocs, frees, kinds, coverage of the window, kernel splats by
# type, the counters); keeps consoles and JSON in OUTDIR.  Exit 0 when every
# patched kernel is clean in every run and asis (if run) is not.
# AS_KSRC_PKG=linux-source-6.12: that source, with its backport (findings/fix/6.12/).
# usage: findings/fix/test-fix.sh [SECS] [RUNS] [OUTDIR] > findings/fix/results-7.3.4-small.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SECS=${1:-60}
RUNS=${2:-3}
OUT=${3:-${AS_VM_CACHE:-$HOME/.cache/arena-stress}/fix-results}
KINDS=${AS_FIX_KINDS:-asis fixed ctl-delay-window}
mkdir -p "$OUT"
cd "$top" || exit 2
[ -x arena-stress-static ] || make -s static || exit 2
# every scenario of the table (the rows after its header) that runs unnamed, but
# iter-vma, whose recursive mmap_lock is upstream's and hangs a fixed kernel too
SC=${AS_FIX_SC:-$(./arena-stress-static --list 2>/dev/null | awk 'h && NF && !/\[only with -s\]/ && $1 != "iter-vma" {print $1}
	$1 == "scenario" {h = 1}' | paste -sd, -)}
nsc=$(tr ',' '\n' <<<"$SC" | wc -l)
# shellcheck disable=SC2086
bash tests/kernel/build.sh $KINDS >"$OUT/images" || exit 2
echo "# $(date -u +%F) findings/fix/test-fix.sh $SECS $RUNS: every scenario ${SECS} s (arena-stress --unsafe"
ver=$(make -s -C "$(bash scripts/ksrc.sh ${AS_KSRC_PKG:+"$AS_KSRC_PKG"})" kernelversion)
echo "# -s $SC -d $((SECS * nsc))), small $ver VM kernel (tests/kernel/base.config), TCG"
good=1 asis_found=0
while read -r kind img; do
	n=$RUNS; [ "$kind" = asis ] && n=1
	for run in $(seq 1 "$n"); do
		tag=$kind.$run
		bash tests/vm/run.sh --kernel "$img" --timeout $((SECS * nsc * 3 + 300)) --json-out "$OUT/$tag.json" \
			--console-out "$OUT/$tag.console" -- --unsafe -s "$SC" -d $((SECS * nsc)) >"$OUT/$tag.out" 2>&1
		rc=$?
		line=$(python3 - "$OUT/$tag.json" "$OUT/$tag.console" <<'PY' 2>/dev/null || echo "no report"
import json, re, sys
d = json.load(open(sys.argv[1]))
con = open(sys.argv[2], errors="replace").read()
out = []
for s in d["scenarios"]:
    c, cov = s["counters"], s.get("coverage", {})
    kinds = ",".join("%s=%d" % kv for kv in sorted(s["by_kind"].items())) or "clean"
    extra = ""
    if "free_during_fault" in cov:
        extra = " window:%d/%d" % (cov["free_during_fault"], cov["frees"])
    out.append("%s %s %dalloc/%dfree %s%s" % (s["name"], s["status"], c.get("alloc", 0), c.get("free", 0),
                                            kinds, extra))
# kernel reports by type, arena-related ones apart from anything else
types = {}
for m in re.finditer(r"(BUG: [A-Za-z ]+?(?= in | at |\s*$|:)|WARNING: [^\n]{0,60}|KASAN: [a-z-]+)", con, re.M):
    types[m.group(1).strip()] = types.get(m.group(1).strip(), 0) + 1
cnt = re.findall(r"arena-stress-count: (faults \d+ awaited \d+ barriers \d+)", con)
print("; ".join(out) + " | kernel: " + (", ".join("%s x%d" % kv for kv in sorted(types.items())) or "nothing")
      + (" | counted: " + cnt[-1] if cnt else ""))
PY
)
		echo "$kind run $run: exit $rc; $line"
		if [ "$kind" = asis ]; then [ $rc -ne 0 ] && asis_found=1; else [ $rc -eq 0 ] || good=0; fi
	done
done <"$OUT/images"
grep -q '^asis ' "$OUT/images" || asis_found=-
[ $good = 1 ] && [ $asis_found != 0 ] && {
	echo "result: $(grep -v '^asis ' "$OUT/images" | cut -d' ' -f1 | paste -sd' ') clean in every run; as shipped the bugs show: $asis_found"; exit 0; }
echo "result: patched kernels clean in every run: $good; as shipped showed the bugs: $asis_found"
exit 1
