#!/bin/bash
# Signals, as a user and a reliability engineer send them (README, "Signals"):
#  - SIGINT to the PID, and to the whole process group as a terminal's Ctrl-C
#    does (the parent and the scenario child both get it): one interrupt,
#    the report kept, the scenarios never started shown as "not run";
#  - SIGTERM: the same;
#  - two interrupts: quit at once, the running child killed, nothing left;
#  - SIGKILL of the parent: the child dies with it, and its memory cgroup is
#    gone once the next run has started.
# Readiness is the tool's own progress line, not a sleep.
. "$(dirname "$0")/lib.sh"
needs_arena
command -v setsid >/dev/null || skip "no setsid"
prog='^\[fault-free +[0-9.]+s\]'

# start ARGS...: in a new session (its own process group), output in
# $TMP/out; returns once a line matches $ready (default: the progress line)
start() {
	: >"$TMP/out"
	setsid "$AS" "$@" >"$TMP/out" 2>&1 &
	pid=$!
	wait_for "$TMP/out" "${ready:-$prog}" || fail "no '${ready:-$prog}' within 20 s"
}
result_agrees() { # the last line states the exit code
	tail -1 "$TMP/out" | grep -q "^result: .*(exit $1)$"
}

for how in pid group term; do
	start -s fault-free,madvise -u 0 -d 60 --json "$TMP/$how.json"
	t0=$(date +%s)
	case $how in
	pid) kill -INT "$pid" ;;
	group) kill -INT -- "-$pid" ;;	# setsid: the PID is the group
	term) kill -TERM "$pid" ;;
	esac
	wait "$pid"; rc=$?
	took=$(( $(date +%s) - t0 ))
	check "$how: exits with the run's verdict, 0 (got $rc)" [ $rc -eq 0 ]
	check "$how: stops promptly (${took}s)" [ "$took" -lt 10 ]
	check "$how: the table has the interrupted scenario" grep -q "^fault-free .*ran.*(interrupted)" "$TMP/out"
	check "$how: the scenario never started is shown as not run" grep -q "^madvise  *not run .*interrupted before it started" "$TMP/out"
	check "$how: says it was interrupted once" grep -q "^interrupted: report covers" "$TMP/out"
	check "$how: the last line agrees with the exit code" result_agrees $rc
	check "$how: JSON marked interrupted" [ "$(json "$TMP/$how.json" 'd["scenarios"][0]["interrupted"]')" = True ]
	n=$(json "$TMP/$how.json" 'd["scenarios"][0]["counters"]["alloc"]')
	check "$how: counters cover the time run ($n allocs)" [ "$n" -gt 10 ]
done

# two interrupts to the group: quit now.  --inject hang parks a worker for
# good: once that is reported, the orderly stop waits 5 s for it to join, and
# the second interrupt must not wait for that
ready="^VIOLATION tool-stuck" start -s fault-free,madvise -d 60 --inject hang -v
kids=$(pgrep -P "$pid")
kill -INT -- "-$pid"
# the second only once the first was taken (two pending SIGINTs are one)
wait_for "$TMP/out" "^arena-stress: interrupted: stopping" 10 || fail "the first interrupt was not announced"
kill -INT -- "-$pid"
t0=$(date +%s)
wait "$pid"; rc=$?
took=$(( $(date +%s) - t0 ))
check "twice: quits at once, not after the 5 s watchdog (${took}s)" [ "$took" -lt 3 ]
check "twice: the running scenario is marked killed" grep -qE "^(fault-free|madvise) +killed .*second interrupt" "$TMP/out"
check "twice: says so" grep -q "^interrupted twice" "$TMP/out"
check "twice: the last line agrees with the exit code ($rc)" result_agrees $rc
for k in $kids; do check "twice: scenario child $k is gone" gone "$k" 5; done
if cg=$(memcg_dir); then
	for k in $kids; do check "twice: its memory cgroup is gone" [ ! -d "$cg/arena-stress-$k" ]; done
fi

# SIGKILL of the parent
start -s fault-free -d 60
kids=$(pgrep -P "$pid")
check "kill: the scenario runs in a child" [ -n "$kids" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
for k in $kids; do check "kill: scenario child $k dies with the parent" gone "$k" 5; done
if cg=$(memcg_dir); then
	left() { for k in $kids; do [ -d "$cg/arena-stress-$k" ] && echo "$k"; done; }
	check "kill: the killed run left its cgroup behind (nobody was there to remove it)" [ -n "$(left)" ]
	$AS -s fault-free -u 0 -d 0.3 >/dev/null 2>&1
	check "kill: the dead run's memory cgroup is removed by the next run ($(left))" [ -z "$(left)" ]
else
	echo "note: no cgroup v2 memory controller here: cgroup check skipped"
fi
done_test
