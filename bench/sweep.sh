#!/bin/bash
# What a coherence sweep costs as the arena grows: the same churn (fault-free,
# 1 BPF + 3 user threads) in arenas of 64 pages to 4 GiB (1M pages), in the
# VM on Debian's 7.3 cloud kernel (or AS_BENCH_KERNEL, a bzImage).  A sweep
# judges the pages on its watch list (allocated, or touched since a sweep
# last found them free and unmapped), so its pages and time should stay
# flat while the arena grows 16384-fold.  Prints a markdown table.
# usage: bench/sweep.sh [SECS=10]
set -u
cd "$(dirname "$0")/.." || exit 1
SECS=${1:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x arena-stress-static ] || make -s static || exit 2
if [ -n "${AS_BENCH_KERNEL:-}" ]; then kern=(--kernel "$AS_BENCH_KERNEL"); what=$(basename "$AS_BENCH_KERNEL")
else kern=(--kernel-pkg 'linux-image-7.3.*-cloud-amd64'); what="Debian's 7.3 cloud kernel"; fi
echo "### Sweep cost against arena size ($what, TCG, fault-free ${SECS} s, 1 BPF + 3 user threads)"
echo
echo "| arena pages | arena size | sweeps | pages judged per sweep | ms per sweep | allocs | verdict |"
echo "|---:|---:|---:|---:|---:|---:|---|"
for p in 64 8192 131072 1048576; do
	bash tests/vm/run.sh "${kern[@]}" --timeout $((SECS * 3 + 200)) --json-out "$tmp/r.json" -- \
		-s fault-free -p "$p" -d "$SECS" >"$tmp/out" 2>&1
	python3 - "$tmp/r.json" "$p" <<'PY' || echo "| $p | | | | | | no report (see the VM runner) |"
import json, sys
d = json.load(open(sys.argv[1])); s = d["scenarios"][0]; c = s["counters"]; p = int(sys.argv[2])
n = max(c.get("sweep", 0), 1)
kinds = ",".join("%s=%d" % kv for kv in sorted(s["by_kind"].items())) or "clean"
print("| %d | %s | %d | %.0f | %.2f | %d | %s |" % (p, "%d MiB" % (p * 4 // 1024) if p >= 256 else "%d KiB" % (p * 4),
      c.get("sweep", 0), c.get("sweep_pages", 0) / n, s.get("sweep_ms", 0), c.get("alloc", 0), kinds))
PY
done
