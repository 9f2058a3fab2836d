#!/bin/bash
# The kernel matrix: the default VM invocation (--unsafe -d SEC) and each
# finding's stand-alone reproducer (repro/: findings 1, 3, 4, 6) on the
# newest Debian cloud kernel of every minor, one VM boot for each of the two
# per kernel; a table finding x kernel (reproduced, with the first detection
# in guest ms; not; n/a) and each scenario's status per kernel.
#
# usage: tests/vm/matrix.sh [OPTIONS]   (also: make kernels ARGS="...")
#   -j N            N kernels at once (default 1; each VM takes 2 CPUs)
#   -d SEC          the default run's --duration, split over the scenarios
#                   (default 20)
#   -k "M M ..."    the kernels' minors (default: 6.12 6.16 6.17 6.18 6.19
#                   7.0 7.1 7.2 7.3; each 'linux-image-M.*-cloud-amd64')
#   -o FILE         the results file (default: tests/vm/results-matrix.txt)
#   --out DIR       each job's JSON (KERNEL.json), KTAP (KERNEL.ktap), logs
#                   and the reproducers' output (default: vm-results/matrix-<time>)
#   --no-repro      the default runs only
#   -h, --help      this text
# Each kernel is a job: its JSON (the default run's report with the runner's
# "vm" object, the reproducers' verdicts, the table's cells) and its KTAP
# (a test per scenario and per reproducer: "not ok" where the kernel showed a
# violation or a reproducer reproduced, "# SKIP" with the reason where it
# could not run) are written when it ends, so a fleet can run the same jobs.
# The finding columns come from the report's per-violation "cause" (the
# known-causes table, findings/causes.tsv) and the reproducers' exit codes.
# Images are fetched once and cached (tests/vm/run.sh, ~/.cache/arena-stress).
# Exit code: 0 when every job reached a verdict, 1 when a job did not (no
# boot, no result, a hang), 2 a usage error.
set -u
here=$PWD
die() { echo "matrix: $*" >&2; exit 2; }
J=1 D=20 KERNELS="6.12 6.16 6.17 6.18 6.19 7.0 7.1 7.2 7.3" RESULT= OUTDIR= REPRO=1
while [ $# -gt 0 ]; do
	case $1 in
	-j) J=$2; shift 2 ;;
	-d) D=$2; shift 2 ;;
	-k) KERNELS=$2; shift 2 ;;
	-o) RESULT=$2; shift 2 ;;
	--out) OUTDIR=$2; shift 2 ;;
	--no-repro) REPRO=; shift ;;
	-h|--help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ $J =~ ^[1-9][0-9]?$ ]] || die "-j takes a positive whole number, not '$J'"
[[ $D =~ ^[1-9][0-9]{0,3}$ ]] || die "-d takes a positive whole number of seconds, not '$D'"
for k in $KERNELS; do [[ $k =~ ^[0-9]+\.[0-9]+$ ]] || die "-k: '$k' is no minor (6.12, 7.3 ...)"; done
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$here/$1" ;; esac; }
RESULT=$(abspath "${RESULT:-$root/tests/vm/results-matrix.txt}")
OUTDIR=$(abspath "${OUTDIR:-$root/vm-results/matrix-$(date +%Y%m%d-%H%M%S)}")
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
[ -x arena-stress-static ] || die "build it first: make static"

# the reproducers, static, once for every kernel
if [ -n "$REPRO" ]; then
	for r in orphan dofork reserve scratch; do
		bash tests/vm/build-repro.sh "$OUTDIR/build/$r" $r >"$OUTDIR/build-$r.log" 2>&1 ||
			die "the $r reproducer does not build: $OUTDIR/build-$r.log"
		cp "$OUTDIR/build/$r/repro" "$OUTDIR/build/repro-$r"
	done
fi

# job MINOR: both boots, then the job's JSON and KTAP
job() {
	local m=$1 d=$OUTDIR/$1 rc rrc files=()
	mkdir -p "$d"
	bash tests/vm/run.sh --kernel-pkg "linux-image-$m.*-cloud-amd64" --timeout $((D * 4 + 240)) \
		--json-out "$d/default.json" --console-out "$d/default.console" --results "$OUTDIR/evidence" \
		-- --unsafe -d "$D" >"$d/default.log" 2>&1
	rc=$?
	rrc=none
	if [ -n "$REPRO" ]; then
		for r in orphan dofork reserve scratch; do files+=(--file "$OUTDIR/build/repro-$r"); done
		bash tests/vm/in-guest.sh --kernel-pkg "linux-image-$m.*-cloud-amd64" --timeout 600 \
			--console-out "$d/repro.console" "${files[@]}" "$d/repro" tests/vm/matrix-repro.sh >"$d/repro.log" 2>&1
		rrc=$?
	fi
	python3 tests/vm/matrix.py job "$m" "$d" "$rc" "$rrc" "$D" >"$OUTDIR/$m.json.tmp" &&
		mv "$OUTDIR/$m.json.tmp" "$OUTDIR/$m.json" &&
		python3 tests/vm/matrix.py ktap "$OUTDIR/$m.json" >"$OUTDIR/$m.ktap"
	echo "matrix: $m: $(sed -n 's/^vm: \(linux-image-[^:]*\.vmlinuz\): /\1: /p' "$d/default.log" | tail -1)" \
		"(reproducers: runner exit $rrc)"
}

echo "matrix: kernels $KERNELS; default run --unsafe -d $D$([ -n "$REPRO" ] && echo ' and the reproducers'); $J at once; in $OUTDIR"
for m in $KERNELS; do
	while [ "$(jobs -rp | wc -l)" -ge "$J" ]; do wait -n; done
	job "$m" &
done
wait
python3 tests/vm/matrix.py table "$D" "$OUTDIR" $KERNELS >"$RESULT.tmp" && mv "$RESULT.tmp" "$RESULT" ||
	die "cannot write $RESULT"
cat "$RESULT"
echo "matrix: results in $RESULT; each job's JSON and KTAP in $OUTDIR"
python3 - "$OUTDIR" $KERNELS <<'PY'
import json, sys
bad = [m for m in sys.argv[2:] if json.load(open('%s/%s.json' % (sys.argv[1], m)))['default']['runner_exit'] in (11, 12, 13)]
sys.exit(1 if bad else 0)
PY
