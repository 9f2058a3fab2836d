#!/bin/bash
# Time to first detection, arena-stress beside the peers (bench/peer/: the
# logic of upstream arena selftests, written again), in ONE VM boot per
# kernel: N seeds of each pair, each run T s, the peer and arena-stress in
# turn (bench/ttd-guest.sh), then the table (bench/ttd-stats.py).
#
# usage: bench/vm-ttd.sh [-n N] [-t SECONDS] [-r ROUNDS] [-k KERNEL-PKG-GLOB]...
#                        [-p SCENARIO:PEER[,...]] [-o DIR] [-- ARENA-STRESS-ARGS...]
#   -n  seeds per pair (default 20)
#   -t  each run's budget in seconds (default 2)
#   -r  the peer's round bound (default 0: none, T alone bounds it; the
#       upstream test stops at 1000 rounds, a weaker peer)
#   -k  a Debian kernel package (tests/vm/run.sh --kernel-pkg), repeatable;
#       default Debian's 6.12 and 7.3 cloud kernels, as shipped
#   -p  pairs (default fault-free:fault_free_realloc,reuse:free_before_flush:
#       finding 1's class and finding 5's)
#   -o  keep each boot's guest output (and console) in DIR
# Needs a built tree: make arena-stress static peers.  Prints the host's
# load (uptime) before and after each boot, then the table.
set -u
cd "$(dirname "$0")/.." || exit 1
N=20 T=2 R=0 PAIRS=fault-free:fault_free_realloc,reuse:free_before_flush KEEP= kernels=()
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-t) T=$2; shift 2 ;;
	-r) R=$2; shift 2 ;;
	-k) kernels+=("$2"); shift 2 ;;
	-p) PAIRS=$2; shift 2 ;;
	-o) KEEP=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "vm-ttd: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=('linux-image-6.12.*-cloud-amd64' 'linux-image-7.3.*-cloud-amd64')
OUT=${OUT:-build}
files=(arena-stress-static)
for p in ${PAIRS//,/ }; do
	f=$OUT/bench/peer/${p#*:}
	[ -x "$f" ] || { echo "vm-ttd: no peer $f (make peers)" >&2; exit 2; }
	files+=("$f")
done
[ -x arena-stress-static ] || { echo "vm-ttd: make static first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$KEEP" ] && mkdir -p "$KEEP"
bash bench/vm-bundle.sh "$tmp/guest" bench/ttd-guest.sh "${files[@]}" || exit 2
npairs=$(tr , '\n' <<<"$PAIRS" | wc -l)
timeout=$((300 + N * npairs * (2 * ${T%.*} + 60)))
echo "# bench/vm-ttd.sh -n $N -t $T -r $R -p $PAIRS${*:+ -- $*}  (arena-stress $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo +changes), $(date -u '+%Y-%m-%d %H:%M UTC'))"
outs=()
i=0
for k in "${kernels[@]}"; do
	i=$((i + 1))
	o=${KEEP:-$tmp}/boot$i
	echo "# boot $i: $k; host before: $(uptime)"
	bash tests/vm/run.sh --plain "$tmp/guest" --kernel-pkg "$k" --timeout "$timeout" --out-file "$o.out" \
		--console-out "$o.console" -- "$N" "$T" "$R" "$PAIRS" "$@" >"$o.log" 2>&1
	echo "# boot $i: exit $?; host after: $(uptime)"
	[ -s "$o.out" ] || cp "$o.console" "$o.out"
	outs+=("$o.out")
done
echo
python3 bench/ttd-stats.py "${outs[@]}"
