# The acts of tests/integ_signals.sh, and the checks that need the live
# system (timing, processes, cgroups): sourced by it on a host that runs
# arenas, run inside the VM (tests/vm/in-guest.sh, busybox sh) on one that
# refuses them.  Needs AS (the tool), OUT (the JSON reports are left there
# for the host's checks) and tests/lib.sh's check, fail, wait_for, gone,
# memcg_dir.
prog='^\[fault-free +[0-9.]+s\]'

# start ARGS...: in a new session (its own process group), output in
# $OUT/out; returns once a line matches $ready (default: the progress line)
start() {
	: >"$OUT/out"
	setsid "$AS" "$@" >"$OUT/out" 2>&1 &
	pid=$!
	wait_for "$OUT/out" "${ready:-$prog}" || fail "no '${ready:-$prog}' within 20 s"
}
result_agrees() { # the last line states the exit code
	tail -1 "$OUT/out" | grep -q "^result: .*(exit $1)$"
}
emptied() { # CGROUP-DIR: until no task is left in it (20 s at most): a
	# zombie leader's live threads count (cgroup.procs omits them)
	local end=$(( $(date +%s) + 20 ))
	while if [ -f "$1/cgroup.events" ]; then grep -q '^populated 1' "$1/cgroup.events"; else [ -s "$1/tasks" ]; fi; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
kids_of() { # the children of PID (busybox has no pgrep)
	for s in /proc/[0-9]*/stat; do
		read -r p _ _ pp _ <"$s" 2>/dev/null && [ "$pp" = "$1" ] && echo "$p"
	done
}

for how in pid group term; do
	start -s fault-free,madvise -u 0 -d 60 --json "$OUT/$how.json"
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
	check "$how: the table has the interrupted scenario" grep -q "^fault-free .*ran.*(interrupted)" "$OUT/out"
	check "$how: the scenario never started is shown as not run" grep -q "^madvise  *not run .*interrupted before it started" "$OUT/out"
	check "$how: says it was interrupted once" grep -q "^interrupted: report covers" "$OUT/out"
	check "$how: the last line agrees with the exit code" result_agrees $rc
done

# two interrupts to the group: quit now.  --inject hang parks a worker for
# good: once that is reported, the orderly stop waits 5 s for it to join, and
# the second interrupt must not wait for that
ready="^VIOLATION tool-stuck" start -s fault-free,madvise -d 60 --inject hang -v
kids=$(kids_of "$pid")
kill -INT -- "-$pid"
# the second only once the first was taken (two pending SIGINTs are one)
wait_for "$OUT/out" "^arena-stress: interrupted: stopping" 10 || fail "the first interrupt was not announced"
kill -INT -- "-$pid"
t0=$(date +%s)
wait "$pid"; rc=$?
took=$(( $(date +%s) - t0 ))
check "twice: quits at once, not after the 5 s watchdog (${took}s)" [ "$took" -lt 3 ]
check "twice: the running scenario is marked killed" grep -qE "^(fault-free|madvise) +killed .*second interrupt" "$OUT/out"
check "twice: says so" grep -q "^interrupted twice" "$OUT/out"
check "twice: the last line agrees with the exit code ($rc)" result_agrees $rc
for k in $kids; do check "twice: scenario child $k is gone" gone "$k" 5; done
if cg=$(memcg_dir); then
	for k in $kids; do check "twice: its memory cgroup is gone" [ ! -d "$cg/arena-stress-$k" ]; done
fi

# SIGKILL of the parent
start -s fault-free -d 60
kids=$(kids_of "$pid")
check "kill: the scenario runs in a child" [ -n "$kids" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
for k in $kids; do check "kill: scenario child $k dies with the parent" gone "$k" 5; done
if cg=$(memcg_dir); then
	left() { for k in $kids; do [ -d "$cg/arena-stress-$k" ] && echo "$k"; done; }
	check "kill: the killed run left its cgroup behind (nobody was there to remove it)" [ -n "$(left)" ]
	# its leader is a zombie at once, its threads leave the cgroup later
	# (seconds under TCG): the next run is started once they all have
	for k in $(left); do
		check "kill: the killed run's tasks have all left its cgroup" emptied "$cg/arena-stress-$k"
	done
	$AS -s fault-free -u 0 -d 0.3 >/dev/null 2>&1
	check "kill: the dead run's memory cgroup is removed by the next run ($(left))" [ -z "$(left)" ]
else
	echo "note: no cgroup v2 memory controller here: cgroup check skipped"
fi
