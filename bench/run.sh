#!/bin/bash
# Benchmarks behind the numbers in README.md.  Needs root and a built tree
# (make bench).  Prints markdown tables.
#   1. time to first detection of the fault-free divergence over SEEDS seeds
#      with a BUDGET-second budget each, for the default configuration and
#      the variants that show what made detection fast;
#   2. engine overhead per primitive against a raw loop (bench/overhead).
# usage: bench/run.sh [SEEDS=20] [BUDGET=2]
set -u
cd "$(dirname "$0")/.." || exit 1
SEEDS=${1:-20}
BUDGET=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# share of CPU time stolen by the hypervisor since the last call (steal
# makes every number here slower and noisier: it is printed with each)
steal() {
	local cpu u n s i w q sq st rest tot
	read -r cpu u n s i w q sq st rest </proc/stat
	tot=$((u + n + s + i + w + q + sq + st))
	if [ -n "${STEAL0:-}" ]; then
		awk -v a="$st" -v b="${STEAL0% *}" -v c="$tot" -v d="${STEAL0#* }" \
			'BEGIN { printf "%.0f%%", (c - d) ? 100 * (a - b) / (c - d) : 0 }'
	fi
	STEAL0="$st $tot"
}

detect() { # detect "label" args...
	local label=$1; shift
	steal >/dev/null
	for s in $(seq 1 "$SEEDS"); do
		./arena-stress -s fault-free -x -d "$BUDGET" --seed "$s" --no-kernel-watch "$@" \
			--json "$tmp/$s.json" >/dev/null 2>&1
		python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["scenarios"][0]["first_detection_ms"]; print("miss" if v is None else v)' "$tmp/$s.json"
	done >"$tmp/times"
	python3 - "$label" "$tmp/times" "$SEEDS" "$BUDGET" "$*" "$(steal)" <<'PY'
import sys
label, path, n, budget, args, stolen = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
v = [l.strip() for l in open(path)]
hits = sorted(float(x) for x in v if x != "miss")
allv = sorted([float(x) for x in v if x != "miss"] + [float("inf")] * (len(v) - len(hits)))
med = allv[len(allv) // 2]
p90 = allv[min(len(allv) - 1, int(len(allv) * 0.9))]
fmt = lambda x: "miss" if x == float("inf") else "%.1f" % x
print("| %s | `%s` | %d/%d | %s | %s | %s | %s |" % (label, args or "(defaults)", len(hits), n, fmt(med), fmt(p90),
      fmt(hits[-1]) if hits else "-", stolen))
PY
}

echo "### Time to first detection: fault-free, $SEEDS seeds, ${BUDGET} s budget each"
echo
echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo
echo "| configuration | arguments | found | median ms | p90 ms | max ms | CPU steal |"
echo "|---|---|---|---|---|---|---|"
detect "default: victim announced, spread over CPUs, 20 us nap before free"
detect "no nap before free" --nap-us 0
detect "no nap, scheduler places threads" --nap-us 0 --affinity none
detect "no nap, one user worker, scheduler places" --nap-us 0 -u 1 --affinity none
detect "nap, scheduler places threads" --affinity none
detect "more workers" -b 2 -u 4
echo
echo "### Engine overhead per primitive (single thread, paired raw/engine rounds of 1 s)"
echo
steal >/dev/null
echo '```'
"${OUT:-build}"/bench/overhead 1 15 2>/dev/null
echo '```'
echo "CPU steal during the overhead rounds: $(steal)"

