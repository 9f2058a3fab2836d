#!/bin/bash
# Engine overhead per primitive (bench/overhead.c) in the VM, for the
# primitives only a 7.x kernel has (reservations, the non-sleepable
# allocation, the deferred free) and the ones this host cannot run when it
# refuses arena maps.  Debian's 7.3 cloud kernel by default, or
# AS_BENCH_KERNEL (a bzImage).  TCG: rates are the emulator's, only the
# raw/engine ratio of each pair means anything.
# usage: bench/vm-overhead.sh [SECS=1] [REPEATS=7] [ONLY: a substring of the
#        primitives' names]; AS_VM_SMP=1 for the scratch page install on
#        Debian's kernel (on 2 TCG vCPUs it oopsed at a sched_ext enable)
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build}
make -s "$OUT/bench/overhead-static" || exit 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp "$OUT/bench/overhead-static" "$t/overhead"
if [ -n "${AS_BENCH_KERNEL:-}" ]; then kern=(--kernel "$AS_BENCH_KERNEL"); what=$(basename "$AS_BENCH_KERNEL")
else kern=(--kernel-pkg 'linux-image-7.3.*-cloud-amd64'); what="Debian's 7.3 cloud kernel"; fi
echo "### Engine overhead per primitive in the VM ($what, TCG, ${AS_VM_SMP:-2} vCPUs, paired rounds of ${1:-1} s, ${2:-7} pairs${3:+, only '$3'})"
echo
echo '```'
bash tests/vm/run.sh --plain "$t/overhead" "${kern[@]}" --timeout 1500 -- "${1:-1}" "${2:-7}" ${3:+"$3"} |
	sed -n '/^primitive/,/^vm:/p' | grep -v '^vm:'
echo '```'
