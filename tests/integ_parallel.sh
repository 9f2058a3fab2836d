#!/bin/bash
# --parallel (README, "Usage"): two scenarios at once, each in its own
# process and arena, each for the whole --duration: both run and report,
# the run takes about one duration, not the sum (the guest's own clock),
# every first detection is on its own scenario's clock, and a Ctrl-C to
# the process group stops both and still reports.  In one VM boot
# (tests/parallel-guest.sh, bundled by bench/vm-bundle.sh; the VM's /init
# mounts cgroup2 with the memory controller for the root's children); readiness for
# the interrupt is both scenarios' progress lines, polled in the guest.
. "$(dirname "$0")/lib.sh"
needs_vm
D=10
bash bench/vm-bundle.sh "$TMP/guest" tests/parallel-guest.sh arena-stress-static || { fail "bundle"; done_test; }
bash tests/vm/run.sh --plain "$TMP/guest" --kernel-pkg "$pkg" --timeout 600 -- "$D" fault-free,madvise \
	>"$TMP/vm.out" 2>&1; rc=$?
[ $rc -eq 10 ] && { echo "note: the kernel crashed in the VM:"; grep -m5 -E 'Oops|BUG:|panic' "$TMP/vm.out"; done_test; }
sect() { sed -n "/^=== $1 json\$/,/^=== end json\$/p" "$TMP/vm.out" | sed '1d;$d' >"$TMP/$1.json"; }
sect run; sect int
stat=$(sed -n 's/^=== run rc=//p' "$TMP/vm.out")
check "the guest ran both parts ($stat)" [ -n "$stat" ]
rrc=${stat%% *} wall=${stat##*wall=}
check "the run finished: exit 0, 1 or 3 (got $rrc)" [ "$rrc" = 0 -o "$rrc" = 1 -o "$rrc" = 3 ]
[ -s "$TMP/run.json" ] || { fail "no JSON report of the run"; cat "$TMP/vm.out"; done_test; }
check "both scenarios ran" [ "$(json "$TMP/run.json" "[s['status'] for s in d['scenarios']]")" = "['ran', 'ran']" ]
check "each ran the whole --duration ($(json "$TMP/run.json" "[s['duration_s'] for s in d['scenarios']]"))" \
	[ "$(json "$TMP/run.json" "all($D <= s['duration_s'] < $D + 6 for s in d['scenarios'])")" = True ]
# the tracing is attached once, before the scenarios' set-ups: in none of them
cov=$(sed -n 's/^arena-stress: race-window tracing attached once for all scenarios in \([0-9]*\) ms$/\1/p' "$TMP/vm.out" | head -1)
check "the tracing was attached once, its time said (${cov:-?} ms)" [ -n "$cov" ]
setup=$(json "$TMP/run.json" "max(s['setup_ms'] for s in d['scenarios']) / 1000 + ${cov:-0} / 1000")
echo "note: wall time ${wall} s for 2 x $D s, set-up up to ${setup} s (the tracing's attach included)"
# one after the other: at least 2 D plus every set-up; at once: one D, the
# slowest set-up, then the final sweeps and the leak oracle's settling
# (allowed D / 2)
check "the run took about one duration, not the sum ($D s <= ${wall} s < $D s + ${setup} s + $((D / 2)) s)" \
	python3 -c "import sys; w, s = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not ($D <= w < $D + s + $D / 2))" "$wall" "$setup"
check "both have the table row" bash -c "grep -qE '^fault-free +ran ' '$TMP/vm.out' && grep -qE '^madvise +ran ' '$TMP/vm.out'"
check "each printed progress lines with its name" \
	bash -c "grep -qE '^\[fault-free +[0-9.]+s\]' '$TMP/vm.out' && grep -qE '^\[madvise +[0-9.]+s\]' '$TMP/vm.out'"
check "first detection, if any, on its own scenario's clock (within its run)" \
	[ "$(json "$TMP/run.json" "all(s['first_detection_ms'] is None or s['first_detection_ms'] <= s['duration_s'] * 1000 for s in d['scenarios'])")" = True ]
check "the leak oracle ran in each scenario's own memory cgroup ($(json "$TMP/run.json" "[s['memcg_delta_kb'] for s in d['scenarios']]") KiB)" \
	[ "$(json "$TMP/run.json" "all(s['memcg_delta_kb'] is not None for s in d['scenarios'])")" = True ]
check "no leak reported while they ran together" \
	[ "$(json "$TMP/run.json" "sum(s['by_kind'].get('leak', 0) for s in d['scenarios'])")" = 0 ]

istat=$(sed -n 's/^=== int \(ready=.*\)/\1/p' "$TMP/vm.out")
check "interrupt: both scenarios printed progress before it ($istat)" grep -q "ready=1" <<<"$istat"
irc=$(sed 's/.*rc=\([0-9]*\).*/\1/' <<<"$istat") stop=${istat##*stop=}
check "interrupt: exits with the run's verdict, 0, 1 or 3 (got $irc)" [ "$irc" = 0 -o "$irc" = 1 -o "$irc" = 3 ]
check "interrupt: stops promptly (${stop} s)" python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 20)" "$stop"
[ -s "$TMP/int.json" ] || { fail "no JSON report after the interrupt"; done_test; }
check "interrupt: both scenarios ran and are marked interrupted" \
	[ "$(json "$TMP/int.json" "[(s['status'], s['interrupted']) for s in d['scenarios']]")" = "[('ran', True), ('ran', True)]" ]
check "interrupt: said once" [ "$(grep -c '^arena-stress: interrupted: stopping' "$TMP/vm.out")" = 1 ]
check "interrupt: the last line agrees with the exit code" \
	grep -qE "^result: .*\(exit $irc\)$" <(sed -n '/^=== int$/,/^=== int ready/p' "$TMP/vm.out")
done_test
