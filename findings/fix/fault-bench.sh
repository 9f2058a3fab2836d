#!/bin/bash
# The fix's cost on the arena fault path: fault-bench (one page, MADV_DONTNEED
# + read per fault, on CPU 0) in the VM on the small 7.x kernel as shipped and
# with the series, alternating kernels ROUNDS times in one run of this script;
# prints each rate and the median ratio fixed/as-shipped.  With "free", a
# thread on CPU 1 allocates, maps and frees other pages of the arena all the
# while (each free takes the series' rwsem for writing, flushes and zaps), and
# the frees' rate is given too.
# usage: findings/fix/fault-bench.sh [ROUNDS [free]] > findings/fix/fault-bench.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROUNDS=${1:-5}
MODE=${2:-}
cd "$top" || exit 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
CLANG=${CLANG:-$(command -v clang-19 || command -v clang)}
"$CLANG" -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -I/usr/include/"$(uname -m)"-linux-gnu \
	-c "$here/fault-bench.bpf.c" -o "$t/fault-bench.bpf.o" || exit 2
# (libbpf 1.4's skeleton struct has no struct_ops link: the line is dropped, as in repro/Makefile)
bpftool gen skeleton "$t/fault-bench.bpf.o" name fault_bench | sed '/^\tmap->link = /d' >"$t/fault-bench.skel.h" || exit 2
cc -O2 -Wall -static -I"$t" -o "$t/fault-bench" "$here/fault-bench.c" -lbpf -lelf -lz -lzstd -lpthread || exit 2
bash tests/kernel/build.sh asis fixed >"$t/images" || exit 2
echo "# $(date -u +%F) findings/fix/fault-bench.sh $ROUNDS $MODE: small 7.3.4 VM kernel (tests/kernel/base.config), TCG, 2 vCPUs"
[ "$MODE" = free ] && echo "# faults on CPU 0 while CPU 1 allocates, maps and frees other pages of the same arena"
for i in $(seq 1 "$ROUNDS"); do
	while read -r kind img; do
		AS_VM_BIN=$t/fault-bench bash tests/vm/run.sh --kernel "$img" --timeout 120 -- 2 3 $MODE >"$t/out" 2>&1
		# the runner passes --json; fault-bench takes SECS ROUNDS [free] only: the rest is ignored
		# the median of its 3 rounds, by fault rate
		line=$(grep '^faults/s ' "$t/out" | sort -k2,2n | sed -n 2p)
		r=$(awk '{print $2}' <<<"$line") f=$(awk '{print $4}' <<<"$line")
		echo "$kind round $i: $r faults/s${f:+, $f frees/s}"
		echo "$kind $r ${f:-0}" >>"$t/rates"
	done <"$t/images"
done
python3 - "$t/rates" <<'PY'
import statistics, sys
r, fr = {}, {}
for line in open(sys.argv[1]):
    k, v, f = line.split()
    r.setdefault(k, []).append(float(v))
    fr.setdefault(k, []).append(float(f))
pairs = [f / a for a, f in zip(r["asis"], r["fixed"])]
print("median: as shipped %.0f faults/s, fixed %.0f faults/s; fixed/as-shipped %.3f (per-round ratios %s)" % (
    statistics.median(r["asis"]), statistics.median(r["fixed"]), statistics.median(pairs),
    " ".join("%.3f" % x for x in pairs)))
if any(fr["asis"]):
    fp = [f / a for a, f in zip(fr["asis"], fr["fixed"]) if a]
    print("frees meanwhile: as shipped %.0f frees/s, fixed %.0f frees/s; fixed/as-shipped %.3f (per-round ratios %s)" % (
        statistics.median(fr["asis"]), statistics.median(fr["fixed"]), statistics.median(fp),
        " ".join("%.3f" % x for x in fp)))
PY
