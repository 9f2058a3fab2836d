#!/bin/bash
# The runs behind findings/causes.tsv's upstream rows and its kernel ranges
# (results-causes.txt): multi-process and contract on each of Debian's cloud
# kernels in the VM runner, plus fault-free on 6.12.  For each run: the
# command, the kernel, the result line, each scenario's violations by cause,
# and the first violation of each (kind, cause) as reported.  Raw outputs
# (stdout, JSON) go to DIR.  Not part of make check (about 40 s a kernel).
#
# usage: findings/causes-runs.sh DIR [KERNEL-SERIES...]
#        (default series: 6.12 6.16 6.17 6.18 6.19 7.0 7.3)
set -u
cd "$(dirname "$0")/.." || exit 2
DIR=${1:?usage: $0 DIR [SERIES...]}; shift
[ $# -gt 0 ] || set -- 6.12 6.16 6.17 6.18 6.19 7.0 7.3
[ -x arena-stress-static ] || { echo "causes-runs: build it first: make static" >&2; exit 2; }
mkdir -p "$DIR"
for k in "$@"; do
	args=(--unsafe -s multi-process,contract -d 10 -S 1)
	[ "$k" = 6.12 ] && args=(--unsafe -s multi-process,contract,fault-free -d 15 -S 1)
	pkg="linux-image-$k.*-cloud-amd64"
	cmd="tests/vm/run.sh --kernel-pkg '$pkg' --json-out $DIR/$k.json -- ${args[*]}"
	bash tests/vm/run.sh --kernel-pkg "$pkg" --json-out "$DIR/$k.json" -- "${args[@]}" >"$DIR/$k.out" 2>&1
	rc=$?
	echo "## $k: $cmd"
	echo "vm exit $rc; $(grep -m1 '^result:' "$DIR/$k.out")"
	python3 - "$DIR/$k.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("no JSON report:", e)
    sys.exit(0)
print("kernel", d["kernel"], "| causes:", d.get("causes"), "| all_known:", d.get("all_known"))
for s in d["scenarios"]:
    print(f"  {s['name']:14} {s['status']:8} by_kind {s['by_kind']} by_cause {s.get('by_cause')}")
    seen = set()
    for v in s["violations"]:
        c = v.get("cause")
        cid = c["id"] if isinstance(c, dict) else c
        key = (v["kind"], cid, v["saw"][:40])
        if key in seen:
            continue
        seen.add(key)
        print(f"    {v['kind']} [{cid}] saw: {v['saw'][:220]}")
        if v["classification"]:
            print(f"      verdict: {v['classification'][:260]}")
PY
done
