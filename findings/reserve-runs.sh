#!/bin/bash
# Finding 4's reproducer (repro/reserve.*: a user fault on a reserved page
# whose lazy allocation fails, made to fail by a memory cgroup limit on the
# arena map's memcg) on Debian's cloud kernels in the VM, N runs each.
# usage: findings/reserve-runs.sh [N] [KERNEL-VERSION...] > findings/results-04.txt
#   (default: 3 runs on 6.16 6.17 6.18 7.3; a bzImage path works as a version)
set -u
cd "$(dirname "$0")/.." || exit 2
n=${1:-3}; shift
vers=${*:-6.16 6.17 6.18 7.3}
r=$(mktemp -d)
trap 'rm -rf "$r"' EXIT
cp repro/Makefile "$r/" && cp repro/reserve.bpf.c "$r/repro.bpf.c" && cp repro/reserve.c "$r/repro.c"
make -s -C "$r" repro.skel.h >&2 &&
	${CC:-cc} -O2 -static -I"$r" -o "$r/repro" "$r/repro.c" -lbpf -lelf -lz -lzstd -lpthread 2>/dev/null ||
	{ echo "reserve-runs: the reproducer does not build" >&2; exit 2; }
echo "# $(date -u +%F): repro/reserve.* (binary of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- repro || echo ', modified')), $n runs per kernel"
echo "# exit 1 reproduced, 0 the reservation held, 2 set-up error or inconclusive"
for v in $vers; do
	if [ -f "$v" ]; then k=(--kernel "$v"); else k=(--kernel-pkg "linux-image-$v.*-cloud-amd64"); fi
	for i in $(seq "$n"); do
		bash tests/vm/run.sh --plain "$r/repro" "${k[@]}" --timeout 150 -- >"$r/out" 2>&1; rc=$?
		echo "## $v run $i: exit $rc"
		grep -E "^(AS-VM-START|memory.max|user write|REPRODUCED|not reproduced|  |repro:)" "$r/out"
	done
done
