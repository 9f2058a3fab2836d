#!/bin/bash
# The runs behind findings 6 and 7 (results-06-07.txt): the scratch scenario
# on Debian's 7.3.4 cloud kernel and on the small 7.3.4 kernels with sched_ext
# (tests/kernel/build.sh --scx: as shipped, and with the project's series,
# which since its rework holds finding 6's fix, 0005).  Debian's
# kernel on one vCPU (on two it oopsed at the first scheduler enable: finding
# 6, "Two vCPUs"), the small ones on two.  SECS guest seconds a run, RUNS runs
# of each, and finding 6's reproducer (repro/scratch.c) once after each run.
# Not part of make check (kernel builds).
#
# usage: findings/scratch-runs.sh [SECS [RUNS]]      (default 10 2)
set -u
cd "$(dirname "$0")/.." || exit 2
SECS=${1:-10} RUNS=${2:-2}
OUTF=findings/results-06-07.txt
[ -x arena-stress-static ] || { echo "scratch-runs: build it first: make static" >&2; exit 2; }
work=$(mktemp -d /tmp/as-scratch.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp arena-stress-static "$work/bin"
export AS_VM_BIN=$work/bin
bash tests/kernel/build.sh --scx asis fixed >"$work/images" || exit 2
# finding 6's stand-alone reproducer (repro/scratch.*), static for the VM
mkdir -p "$work/repro"
cp repro/Makefile "$work/repro/" && cp repro/scratch.bpf.c "$work/repro/repro.bpf.c" &&
	cp repro/scratch.c "$work/repro/repro.c" && make -s -C "$work/repro" repro.skel.h >/dev/null &&
	${CC:-cc} -O2 -static -I"$work/repro" -o "$work/repro/repro" "$work/repro/repro.c" \
		-lbpf -lelf -lz -lzstd -lpthread 2>/dev/null || { echo "scratch-runs: the reproducer does not build" >&2; exit 2; }

# one run: VCPUS KERNEL-ARG TAG ARGS... -> a few lines of the results file
run() {
	local smp=$1 karg=$2 tag=$3 rc; shift 3
	# shellcheck disable=SC2086
	AS_VM_SMP=$smp bash tests/vm/run.sh $karg --timeout $((SECS * 6 + 120)) --json-out "$work/$tag.json" \
		--console-out "$work/$tag.console" -- -s scratch --unsafe --pages 1024 -d "$SECS" "$@" \
		>"$work/$tag.out" 2>&1
	rc=$?
	python3 - "$work/$tag.json" "$rc" "$tag ($smp vCPU)" "$*" <<'PY'
import json, sys
path, rc, tag, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if rc == 10:
    print("%-34s %-28s kernel crash" % (tag, args)); sys.exit()
if rc not in (0, 1, 3):
    print("%-34s %-28s arena-stress exit %d" % (tag, args, rc)); sys.exit()
d = json.load(open(path))
s = d["scenarios"][0]
c = s["counters"]
first = {}
for v in s["violations"]:
    first.setdefault(v["kind"], v["saw"][:150])
print("%-34s %-28s %-6s scratch %4d  allocs-over-scratch %4d  user reads %4d  allocs %5d  violations %s"
      % (tag, args or "(with allocations)", s["status"], c.get("scratch", 0), c.get("scratch_alloc", 0),
         c.get("contract_checks", 0), c.get("alloc", 0), s["by_kind"] or "none"))
for k, saw in sorted(first.items()):
    print("    first %s: %s" % (k, saw))
PY
}

# the reproducer once on a kernel: VCPUS KERNEL-ARG TAG -> one line
repro() {
	local smp=$1 karg=$2 tag=$3
	# shellcheck disable=SC2086
	AS_VM_SMP=$smp bash tests/vm/run.sh --plain "$work/repro/repro" $karg --timeout 120 \
		--console-out "$work/$tag.repro.console" -- >"$work/$tag.repro.out" 2>&1
	printf '%-34s %-28s %s\n' "$tag ($smp vCPU)" "repro/scratch.c" \
		"$(grep -m1 -E '^(REPRODUCED|not reproduced|repro:)' "$work/$tag.repro.out" || echo 'no result')"
	grep -A3 '^REPRODUCED' "$work/$tag.repro.out" | tail -n +2 | sed 's/^/    /'
}

{
	echo "# findings/scratch-runs.sh $SECS $RUNS, $(date -u +%F): scenario scratch, --pages 1024, $SECS s, TCG"
	echo "# binary of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' (+ uncommitted changes)')"
	for i in $(seq 1 "$RUNS"); do
		run 1 "--kernel-pkg linux-image-7.3.*-cloud-amd64" "debian-7.3.4-cloud.$i"
		run 1 "--kernel-pkg linux-image-7.3.*-cloud-amd64" "debian-7.3.4-cloud.$i" --scratch-no-alloc
		repro 1 "--kernel-pkg linux-image-7.3.*-cloud-amd64" "debian-7.3.4-cloud.$i"
	done
	while read -r variant img; do
		for i in $(seq 1 "$RUNS"); do
			run 2 "--kernel $img" "small-scx-$variant.$i"
			repro 2 "--kernel $img" "small-scx-$variant.$i"
		done
	done <"$work/images"
} | tee "$OUTF"
echo "scratch-runs: written to $OUTF"
