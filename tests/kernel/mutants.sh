#!/bin/bash
# The mutation harness: how much of what the tool claims to find does it find?
#
# usage: tests/kernel/mutants.sh [NAME...]     (default: every tests/kernel/mutants/*.mut)
#   AS_MUT_SECS   guest seconds of the default VM invocation (default 10)
#   AS_MUT_SERIAL=1  the scenarios one after another (--unsafe -d SECS) instead of
#                 the default VM invocation --unsafe -P -d SECS (every scenario at
#                 once, SECS each: a kill's time is its scenario's own); both
#                 leave out iter-vma (an upstream deadlock; see below)
#   AS_MUT_RUNS   runs of the fixed base and of each negative control (default 3)
#   AS_MUT_OUT    results file (default tests/kernel/results-<version>[-scx].txt)
#   AS_MUT_SCX=1  the scx kernels (build.sh --scx: sched_ext and ORC), where the
#                 scratch scenario runs (the base has finding 6's fix, 0005, so
#                 allocations over scratched pages are in the default invocation)
#   AS_MUT_DEBUG=1 (make mutants DEBUG=1) the debug kernels (build.sh --debug:
#                 lockdep, KASAN, KFENCE, DEBUG_VM, PAGE_TABLE_CHECK); the
#                 column "debug" says when a kill came only from what those
#                 checks report (no oracle of the tool's fired)
#
# Builds what is missing (tests/kernel/build.sh: the fixed 7.x base and each
# named edit over it), then boots each in the VM runner with arena-stress's
# default VM invocation (--unsafe -P -d SECS: every scenario, at once) and prints the kill
# matrix: for a mutant, killed or not, by which oracle or kernel report, and
# the guest time to the first kill.  A kill counts only when a kind its
# '# expect:' line names fired, or a kernel report (a splat, a crash); a run
# where only another kind fired says "killed by other (X, expected Y)" and is
# not counted, nor are tool-stuck or a VM hang.  The base and every negative control must
# be clean in every run.  Exit 0 when they are, 1 when not, 2 on a build or
# usage error.  A surviving mutant is a gap in the tool, reported, not an exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 2
SECS=${AS_MUT_SECS:-10}
RUNS=${AS_MUT_RUNS:-3}
[ -x arena-stress-static ] || { echo "mutants: build it first: make static" >&2; exit 2; }
work=$(mktemp -d /tmp/as-mutants.XXXXXX)
trap 'rm -rf "$work"' EXIT
# this binary for every run, whatever a rebuild does to the tree's meanwhile
cp arena-stress-static "$work/arena-stress-static"
export AS_VM_BIN=$work/arena-stress-static
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for m in "$here"/mutants/*.mut; do names+=("$(basename "$m" .mut)"); done
fi
scx=${AS_MUT_SCX:+--scx}
dbg=${AS_MUT_DEBUG:+--debug}
bash "$here/build.sh" $dbg $scx fixed "${names[@]}" >"$work/images" || exit 2
ver=$(bash "$top/scripts/ksrc.sh" >/dev/null && make -s -C "$(bash "$top/scripts/ksrc.sh")" kernelversion)
OUTF=${AS_MUT_OUT:-$here/results-$ver${dbg:+-debug}${scx:+-scx}.txt}
# every scenario but iter-vma: its recursive mmap_lock (an upstream deadlock the
# series does not touch, findings/observations/) hangs the fixed base too, and under
# -P it wedges the other scenarios' trampoline updates
# (the rows after the table's header; not those that run only when named, as nomem)
sc=$("$work/arena-stress-static" --list 2>/dev/null | awk 'h && NF && !/\[only with -s\]/ && $1 != "iter-vma" {print $1}
	$1 == "scenario" {h = 1}' | paste -sd, -)
[ -n "$sc" ] || { echo "mutants: arena-stress --list gave no scenario" >&2; exit 2; }
if [ -n "${AS_MUT_SERIAL:-}" ]; then defargs=(--unsafe -d "$SECS" -s "$sc"); else defargs=(--unsafe -P -d "$SECS" -s "$sc"); fi

# one VM run: prints "VERDICT<TAB>BY<TAB>FIRST_S<TAB>SCENARIO<TAB>WORK", judged
# against the mutant's expect line (mutate.py verdict: a kill is an expected
# kind or a kernel report; tool-stuck, a VM hang or another kind is not)
# (arena-stress arguments after the expect line: default, --unsafe -d SECS)
run_one() {
	local img=$1 tag=$2 expect=$3 rc
	shift 3
	[ $# -gt 0 ] || set -- "${defargs[@]}"
	bash tests/vm/run.sh --kernel "$img" --timeout $((SECS * 6 + 120)) --json-out "$work/$tag.json" \
		--console-out "$work/$tag.console" -- "$@" >"$work/$tag.out" 2>&1
	rc=$?
	python3 "$here/mutate.py" verdict "$work/$tag.json" "$rc" "$expect" \
		"$(printf '%s\n' "$@" | grep -qxE -- '-P|--parallel' && echo parallel || echo serial)"
}

# debug_only TAG: "debug" when the run's only reports are kernel splats of the
# debug checks (lockdep, KASAN, KFENCE, DEBUG_VM, page table check), else "-"
debug_only() {
	python3 - "$work/$1.json" <<'PY' 2>/dev/null || echo -
import json, re, sys
d = json.load(open(sys.argv[1]))
dbg = re.compile(r'KASAN|KFENCE|possible (circular|recursive) locking|inconsistent lock state|'
                 r'sleeping function called from invalid context|scheduling while atomic|VM_BUG_ON|'
                 r'page_table_check|kernel BUG at mm/|bad unlock balance|suspicious RCU usage')
v = [v for s in d.get('scenarios', []) for v in s['violations']]
print('debug' if v and all(x['kind'] == 'kernel-splat' and dbg.search(x['saw']) for x in v) else '-')
PY
}

ok=1
{
	echo "# Mutation matrix, $(date -u +%F), Debian linux-source $ver (tests/kernel/base.config${dbg:+ + debug.config}${scx:+ + scx.config}),"
	echo "# VM runner under TCG (${AS_VM_SMP:-2} vCPUs), arena-stress ${defargs[*]} (all scenarios); base and controls $RUNS runs each"
	printf '%-26s %-8s %-9s %-8s %-22s %-6s %s\n' name kind verdict first_s scenario debug "killed by / work"
} | tee "$work/matrix"
killed=0 total=0
while read -r variant img; do
	why= own= expect=clean
	if [ "$variant" = fixed ]; then kind=base; else
		kind=$(python3 "$here/mutate.py" meta "$here/mutants/$variant.mut" | cut -f1)
		expect=$(python3 "$here/mutate.py" meta "$here/mutants/$variant.mut" | cut -f3)
		why=$(python3 "$here/mutate.py" meta "$here/mutants/$variant.mut" | cut -f4)
		own=$(python3 "$here/mutate.py" meta "$here/mutants/$variant.mut" | cut -f5); fi
	n=1; [ "$kind" != mutant ] && n=$RUNS
	for i in $(seq 1 "$n"); do
		IFS=$'\t' read -r verdict by first sc workdone < <(run_one "$img" "$variant.$i" "$expect")
		# a mutant with a run of its own (# run:) that the default invocation missed
		if [ "$kind" = mutant ] && [ "$verdict" != killed ] && [ -n "${own:-}" ]; then
			# shellcheck disable=SC2086
			IFS=$'\t' read -r verdict by first sc workdone < <(run_one "$img" "$variant.$i.own" "$expect" $own)
			by="$by [own run: $own]"
		fi
		# a control with a run of its own: clean only if that is clean too
		if [ "$kind" = control ] && [ "$verdict" = clean ] && [ -n "${own:-}" ]; then
			# shellcheck disable=SC2086
			IFS=$'\t' read -r verdict by first sc workdone < <(run_one "$img" "$variant.$i.own" "$expect" $own)
			by="$by [own run: $own]"
		fi
		if [ "$kind" = mutant ]; then
			total=$((total + 1))
			[ "$verdict" = killed ] && killed=$((killed + 1))
			# another kind than expected is printed ("killed by other"), not counted
			[ "$verdict" = killed ] || [ "$verdict" = other ] || verdict=SURVIVED
		elif [ "$verdict" != clean ]; then
			ok=0; verdict="NOT-CLEAN"
			cp "$work/$variant.$i.console" "/tmp/as-mutant-$variant.$i.console" 2>/dev/null
		fi
		printf '%-26s %-8s %-9s %-8s %-22s %-6s %s\n' "$variant${n:+$([ "$n" -gt 1 ] && echo " #$i")}" "$kind" \
			"$verdict" "$first" "$sc" "$(debug_only "$variant.$i")" "${by/#-/}${workdone:+ ${workdone}}" | tee -a "$work/matrix"
		[ "$verdict" = SURVIVED ] && echo "    why: ${why:-NO REASON GIVEN: a gap to close}" | tee -a "$work/matrix"
	done
done <"$work/images"
{
	echo "# killed $killed of $total mutants; base and controls clean in every run: $([ $ok = 1 ] && echo yes || echo NO)"
	if [ -n "${AS_MUT_SERIAL:-}" ]; then
		echo "# first_s: guest seconds from the start of the run to the first violation (scenarios run in turn)"
	else
		echo "# first_s: guest seconds from the killing scenario's workers' start to its first violation (-P: all at once; set-up not counted, setup_ms in the JSON)"
	fi
} | tee -a "$work/matrix"
cp "$work/matrix" "$OUTF"
echo "mutants: matrix written to $OUTF"
[ $ok = 1 ]
