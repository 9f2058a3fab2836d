#!/bin/bash
# Signals, as a user and a reliability engineer send them (README, "Signals"):
#  - SIGINT to the PID, and to the whole process group as a terminal's Ctrl-C
#    does (the parent and the scenario child both get it): one interrupt,
#    the report kept, the scenarios never started shown as "not run";
#  - SIGTERM: the same;
#  - two interrupts: quit at once, the running child killed, nothing left;
#  - SIGKILL of the parent: the child dies with it, and its memory cgroup is
#    gone once the next run has started.
# Readiness is the tool's own progress line, not a sleep.  The acts (and the
# checks that need the live system) are tests/guest/signals.sh: here, or
# inside the VM where this host refuses arena maps (the guest signals itself).
. "$(dirname "$0")/lib.sh"
OUT=$TMP/g
mkdir -p "$OUT"
command -v setsid >/dev/null || skip "no setsid"
here_or_vm signals "the signals are sent"
for how in pid group term; do
	[ -s "$OUT/$how.json" ] || { fail "$how: no JSON report"; continue; }
	check "$how: JSON marked interrupted" [ "$(json "$OUT/$how.json" 'd["scenarios"][0]["interrupted"]')" = True ]
	n=$(json "$OUT/$how.json" 'd["scenarios"][0]["counters"]["alloc"]')
	check "$how: counters cover the time run ($n allocs)" [ "$n" -gt 10 ]
done
done_test
