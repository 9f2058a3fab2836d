#!/bin/bash
# The fix's cost on the arena fault path: fault-bench (one page, MADV_DONTNEED
# + read per fault) in the VM on the small 7.x kernel as shipped and with the
# fix, alternating kernels ROUNDS times in one run of this script; prints each
# rate and the median ratio fixed/as-shipped.
# usage: findings/fix/fault-bench.sh [ROUNDS] > findings/fix/fault-bench.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ROUNDS=${1:-5}
cd "$top" || exit 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cc -O2 -static -o "$t/fault-bench" "$here/fault-bench.c" -lbpf -lelf -lz -lzstd || exit 2
bash tests/kernel/build.sh asis fixed >"$t/images" || exit 2
echo "# $(date -u +%F) findings/fix/fault-bench.sh $ROUNDS: small 7.3.4 VM kernel (tests/kernel/base.config), TCG, 2 vCPUs"
for i in $(seq 1 "$ROUNDS"); do
	while read -r kind img; do
		AS_VM_BIN=$t/fault-bench bash tests/vm/run.sh --kernel "$img" --timeout 120 -- 2 3 >"$t/out" 2>&1
		# the runner passes --json; fault-bench takes SECS ROUNDS only: the rest is ignored
		r=$(sed -n 's/^faults\/s //p' "$t/out" | sort -n | sed -n 2p)	# median of 3
		echo "$kind round $i: $r faults/s"
		echo "$kind $r" >>"$t/rates"
	done <"$t/images"
done
python3 - "$t/rates" <<'PY'
import statistics, sys
r = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    r.setdefault(k, []).append(float(v))
pairs = [f / a for a, f in zip(r["asis"], r["fixed"])]
print("median: as shipped %.0f faults/s, fixed %.0f faults/s; fixed/as-shipped %.3f (per-round ratios %s)" % (
    statistics.median(r["asis"]), statistics.median(r["fixed"]), statistics.median(pairs),
    " ".join("%.3f" % x for x in pairs)))
PY
