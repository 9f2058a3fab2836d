#!/bin/bash
# The VM runner (tests/vm/run.sh) is part of the product: its options, two
# runners at once on one cache, signals, output as it comes, and a crash's
# evidence.
#  - options: --help; a missing value, a bad --timeout, an unwritable
#    --json-out or bad arguments after -- are usage errors (exit 2) within
#    seconds, before any boot; relative paths are the caller's; an exact
#    package name with '+' is itself (a glob, not a regex);
#  - a crash report read from a console: the crash's own block (message,
#    RIP, trace), not the "Bad page state" lines before it, the scenario and
#    seed; Bad page state alone is no crash;
#  - two runners at once on a fresh cache both work;
#  - Ctrl-C or SIGTERM during a download leaves no directory and no process;
#  - the guest's progress lines arrive while it runs; SIGINT reaches the
#    guest's arena-stress, which reports; SIGTERM leaves no qemu (by PID) and
#    no temporary directory (by path);
#  - a hang (--timeout): exit 11, its console kept;
#  - an injected crash (--inject-crash, sysrq c) twice (--repeat 2): its
#    report in the output, the console in the results directory, the JSON.
# Readiness is the runner's own output, polled; no sleep is a synchronisation.
. "$(dirname "$0")/lib.sh"
needs_vm
R=$PWD/tests/vm/run.sh
prog='^\[fault-free +[0-9.]+s\]'

# usage_err WHAT REGEX ARGS...: exit 2 within 3 s ($limit ms), the message
# matching REGEX
usage_err() {
	local what=$1 re=$2 t0 rc took max=${limit:-3000}
	shift 2
	t0=$(date +%s%N)
	bash "$R" "$@" >"$TMP/u.out" 2>&1 </dev/null; rc=$?
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "$what: exit 2 (got $rc) in ${took} ms" [ $rc -eq 2 -a $took -lt $max ]
	check "$what: says '$re'" grep -qE -- "$re" "$TMP/u.out"
	check "$what: no shell error" eval '! grep -qE "unbound variable|command not found|syntax error" "$TMP/u.out"'
}

# ---- options ----
bash "$R" --help >"$TMP/h.out" 2>&1; rc=$?
check "--help: exit 0 (got $rc)" [ $rc -eq 0 ]
check "--help: the usage, every option" grep -q -- '--repeat N' "$TMP/h.out"
bash "$R" -h >"$TMP/h2.out" 2>&1
check "-h: the same" cmp -s "$TMP/h.out" "$TMP/h2.out"
for o in --kernel --kernel-pkg --timeout --json-out --console-out --plain --kconfig --repeat --inject-crash --results; do
	usage_err "$o without a value" "$o needs a value" "$o"
done
usage_err "--timeout abc" "positive whole number, not 'abc'" --timeout abc -- --list
usage_err "--timeout 0" "positive whole number, not '0'" --timeout 0 -- --list
usage_err "--timeout=-5" "positive whole number, not '-5'" --timeout=-5 -- --list
usage_err "an unknown option" "unknown argument '--bogus'" --bogus
usage_err "--json-out in a missing directory" "no such directory" --json-out "$TMP/none/r.json" -- --list
usage_err "--json-out a directory" "is a directory" --json-out "$TMP" -- --list
usage_err "--console-out in a missing directory" "no such directory" --console-out "$TMP/none/c" -- --list
usage_err "a bad value after --" "refuses the arguments after --: invalid value 'abc' for --duration" -- -d abc
usage_err "an unknown option after --" "refuses the arguments after --: unknown option '--nope'" -- --nope
usage_err "an unknown scenario after --" "unknown scenario 'nosuch'" -- -s nosuch
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && bash "$R" --kernel rel/bzImage -- --list) >"$TMP/u.out" 2>&1
check "a relative --kernel is the caller's" grep -qF "$TMP/cwd/rel/bzImage: no such image" "$TMP/u.out"
(cd "$TMP/cwd" && bash "$R" --json-out sub/r.json -- --list) >"$TMP/u.out" 2>&1
check "a relative --json-out is the caller's" grep -qF "$TMP/cwd/sub/r.json: no such directory" "$TMP/u.out"

# the package glob is a glob: '+' and '.' are themselves
newest=$(bash scripts/debian-fetch.sh list "$pkg")
check "the newest package for '$pkg' ($newest) has a '+'" grep -q '+' <<<"$newest"
check "its exact name matches itself" [ "$(bash scripts/debian-fetch.sh list "$newest")" = "$newest" ]
bash scripts/debian-fetch.sh list "${newest%?}." >/dev/null; rc=$?
check "'.' is not a wildcard (exit 1, got $rc)" [ $rc -eq 1 ]
# (this one reads the package lists, and may wait for another runner's fetch)
limit=60000 usage_err "a package glob that matches nothing" "no package matches 'linux-image-nosuch\*'" --kernel-pkg 'linux-image-nosuch*' -- --list

# ---- a crash report, read from a console ----
# a real oops of this project's VM runs (findings/observations), after a
# scenario start and finding 2's Bad page state report
{
	cat <<'EOF'
AS-VM-START 7.3.4+deb13-cloud-amd64 2 cpus
arena-stress: kernel 7.3.4+deb13-cloud-amd64, seed 4242, 64 pages, 1 BPF + 3 user threads, 60.0s
== fault-free: BPF frees and re-allocates pages while user threads fault them
[fault-free    1.0s] alloc      68/s  free      73/s  faults     302/s  reads      794/s  segv   1441/s  sweeps    7  violations 0
[    3.100000] BUG: Bad page state in process arena-stress  pfn:10a3f
[    3.100100] page: refcount:0 mapcount:1 mapping:0000000000000000 index:0x0 pfn:0x10a3f
[    3.100300] page dumped because: nonzero mapcount
[    3.100400] CPU: 1 UID: 0 PID: 95 Comm: arena-stress Not tainted 7.3.4+deb13-cloud-amd64 #1
[    3.100500] Call Trace:
[    3.100600]  <TASK>
[    3.100700]  dump_stack_lvl+0x5d/0x80
[    3.100800]  bad_page.cold+0x7a/0x91
[    3.101000]  </TASK>
== scratch: 7.x: the kernel installs the arena's scratch page
EOF
} >"$TMP/bad-page.console"
cp "$TMP/bad-page.console" "$TMP/int3.console"
sed -n '/^## the first oops/,/^## reading/p' findings/observations/sched-ext-int3-2vcpu-7.3.4-2026-12-05.txt |
	sed '1d;$d' >>"$TMP/int3.console"
echo '[    4.600000] Kernel panic - not syncing: Fatal exception in interrupt' >>"$TMP/int3.console"
bash "$R" --read-console "$TMP/int3.console" --json-out "$TMP/int3.json" >"$TMP/r.out" 2>&1; rc=$?
check "int3 console: a crash (exit 10, got $rc)" [ $rc -eq 10 ]
check "int3 console: the crash's own message" grep -q '^vm: crash: Oops: int3: 0000 \[#1\]' "$TMP/r.out"
check "int3 console: its RIP" grep -q '^vm:   RIP: update_rq_clock+0x3a/0x160$' "$TMP/r.out"
check "int3 console: its call trace" grep -q '^vm:     sched_tick+0x76/0x250$' "$TMP/r.out"
check "int3 console: the interrupted context's RIP in the trace" grep -q '^vm:     RIP: 0010:pv_native_safe_halt' "$TMP/r.out"
check "int3 console: the scenario running, and the seed" grep -q '^vm:   while running: scenario scratch, seed 4242$' "$TMP/r.out"
check "int3 console: the Bad page state is not called the crash" eval '! grep -q "crash: .*Bad page" "$TMP/r.out"'
check "int3 console: a cause is named" grep -q '^vm:   cause: an int3 trap left by kernel text patching' "$TMP/r.out"
c='d["crash"]'
check "int3 console: the JSON records it" [ "$(json "$TMP/int3.json" "[$c['kind'], $c['rip'], $c['scenario'], $c['seed'], $c['kernel'], d['exit_code'], 'sched_tick+0x76/0x250' in $c['trace']]")" = "['oops', 'update_rq_clock+0x3a/0x160', 'scratch', 4242, '7.3.4+deb13-cloud-amd64', 10, True]" ]
bash "$R" --read-console "$TMP/bad-page.console" >"$TMP/r.out" 2>&1; rc=$?
check "Bad page state alone: no crash verdict (exit $rc)" [ $rc -ne 10 ]
check "Bad page state alone: no crash printed" eval '! grep -q "crash" "$TMP/r.out"'

# ---- two runners at once, on a fresh cache ----
# the package lists come from the usual cache (apt only revalidates them:
# the sources differ, so both runners update), the kernel is fetched
c2=$TMP/cache
if [ -d "${AS_VM_CACHE:-$HOME/.cache/arena-stress}/apt/lists" ]; then
	mkdir -p "$c2/apt" && cp -r "${AS_VM_CACHE:-$HOME/.cache/arena-stress}/apt/lists" "$c2/apt/"
fi
mkdir -p "$TMP/a" "$TMP/b"
for x in a b; do
	(cd "$TMP/$x" && AS_VM_CACHE=$c2 exec bash "$R" --kernel-pkg "$newest" --timeout 120 --json-out r.json \
		--console-out console -- --list) >"$TMP/$x.out" 2>&1 &
	eval "p$x=\$!"
done
wait "$pa"; ra=$?
wait "$pb"; rb=$?
check "two runners at once on a fresh cache: both exit 0 (got $ra and $rb)" [ $ra -eq 0 -a $rb -eq 0 ]
for x in a b; do
	check "runner $x: listed the scenarios in the VM" grep -q '^fault-free *runs' "$TMP/$x.out"
	check "runner $x: relative --json-out and --console-out are the caller's" \
		eval '[ -s "$TMP/$x/r.json" ] && grep -q AS-VM-START "$TMP/$x/console"'
done
grep -h "Could not get lock\|no package matches" "$TMP/a.out" "$TMP/b.out" && fail "a runner met apt's lock"
check "the kernel was fetched once, into the cache" [ -s "$c2/$newest.vmlinuz" ]
check "no fetch directory left" [ -z "$(ls -A "$c2" | grep '^\.fetch')" ]

# ---- Ctrl-C or SIGTERM during a download ----
mkdir -p "$TMP/tmpd"
for sig in INT TERM; do
	rm -f "$c2/$newest.vmlinuz"
	set -m	# (a script's background command ignores SIGINT)
	AS_VM_CACHE=$c2 TMPDIR=$TMP/tmpd bash "$R" --kernel-pkg "$newest" -- --list >"$TMP/dl.out" 2>&1 &
	rp=$!
	set +m
	# the download under way: the runner's child that runs it (by parent PID)
	end=$(( $(date +%s) + 60 ))
	until kids=$(pgrep -P "$rp" -f 'debian-fetch.sh get'); do
		[ "$(date +%s)" -lt "$end" ] || { fail "SIG$sig: no download within 60 s"; break; }
		sleep 0.05
	done
	kill -$sig "$rp"
	wait "$rp"; rc=$?
	want=$([ $sig = INT ] && echo 130 || echo 143)
	check "SIG$sig during a download: exit $want (got $rc)" [ $rc -eq $want ]
	for k in $kids; do
		check "SIG$sig during a download: its child $k is gone" gone "$k" 10
		check "SIG$sig during a download: so is its process group (apt-get)" eval '! pgrep -g "$k" >/dev/null'
	done
	check "SIG$sig during a download: no fetch directory left" [ -z "$(ls -A "$c2" | grep '^\.fetch')" ]
	check "SIG$sig during a download: no temporary directory left" [ -z "$(ls -A "$TMP/tmpd")" ]
done

# ---- the guest's output as it comes; SIGINT reaches the guest's run ----
# start OUT ARGS...: the runner in its own process group (set -m: a
# script's background command ignores SIGINT), until the progress line
start() {
	local out=$1
	shift
	set -m
	TMPDIR=$TMP/tmpd bash "$R" --timeout 200 --qemu-pidfile "$TMP/qemu.pid" "$@" >"$out" 2>&1 &
	rp=$!
	set +m
	wait_for "$out" "$prog" 120 || fail "no progress line within 120 s"
	qp=$(cat "$TMP/qemu.pid")
}
start "$TMP/int.out" --results "$TMP/res" --json-out "$TMP/int.json" --out-file "$TMP/int.tool" -- -s fault-free -d 40
check "the progress line came while the run went on (no result yet)" \
	eval '! grep -q "^result:" "$TMP/int.out" && [ -d /proc/$rp ]'
t0=$(date +%s)
kill -INT "$rp"
wait "$rp"; rc=$?
took=$(( $(date +%s) - t0 ))
check "SIGINT: the guest's arena-stress was interrupted" grep -q '^arena-stress: interrupted: stopping and reporting' "$TMP/int.out"
check "SIGINT: it reported what ran" grep -q '^fault-free .*ran.*(interrupted)' "$TMP/int.out"
tool=$(sed -n 's/^result: .*(exit \([0-9]*\))$/\1/p' "$TMP/int.out")
check "SIGINT: a result line (exit $tool), and the runner exits with it (got $rc)" [ -n "$tool" -a "$tool" = "$rc" ]
check "SIGINT: stopped well before the 40 s run's end (${took}s)" [ "$took" -lt 25 ]
check "--out-file: the program's own output, whole: its first line to its result line" \
	eval '[ "$(head -1 "$TMP/int.tool" | cut -c1-21)" = "arena-stress: kernel " ] && tail -1 "$TMP/int.tool" | grep -q "^result: "'
check "--out-file: no kernel line in it" eval '! grep -qE "^\[ *[0-9]+\.[0-9]+\]" "$TMP/int.tool"'
check "SIGINT: the JSON says interrupted" [ "$(json "$TMP/int.json" 'd["scenarios"][0]["interrupted"]')" = True ]
check "SIGINT: qemu $qp is gone" gone "$qp" 10
check "SIGINT: no temporary directory left" [ -z "$(ls -A "$TMP/tmpd")" ]

# ---- SIGTERM leaves nothing ----
start "$TMP/term.out" -- -s fault-free -d 60
kids=$(pgrep -P "$rp")
check "SIGTERM: qemu $qp is the runner's child" grep -qw "$qp" <<<"$kids"
kill -TERM "$rp"
wait "$rp"; rc=$?
check "SIGTERM: exit 143 (got $rc)" [ $rc -eq 143 ]
check "SIGTERM: qemu $qp is gone" gone "$qp" 10
for k in $kids; do check "SIGTERM: the runner's child $k is gone" gone "$k" 10; done
check "SIGTERM: no temporary directory left" [ -z "$(ls -A "$TMP/tmpd")" ]

# ---- no result before the timeout: a hang, its console kept ----
TMPDIR=$TMP/tmpd bash "$R" --timeout 25 --qemu-pidfile "$TMP/qemu.pid" --results "$TMP/hres" \
	-- -s fault-free -d 120 >"$TMP/hang.out" 2>&1; rc=$?
check "timeout: exit 11 (got $rc)" [ $rc -eq 11 ]
check "timeout: said so" grep -q '^vm: .*: no result within 25s (hang)' "$TMP/hang.out"
check "timeout: qemu $(cat "$TMP/qemu.pid") is gone" gone "$(cat "$TMP/qemu.pid")" 10
d=$(sed -n 's/^vm: evidence kept in \(.*\)\/ (.*/\1/p' "$TMP/hang.out")
check "timeout: the whole console kept in the results directory" \
	eval '[ "${d#"$TMP/hres/"}" != "$d" ] && grep -q AS-VM-START "$d/console" && grep -qE "$prog" "$d/console"'
check "timeout: no temporary directory left" [ -z "$(ls -A "$TMP/tmpd")" ]

# ---- an injected crash, twice ----
seed=4711
bash "$R" --timeout 200 --repeat 2 --inject-crash 5 --results "$TMP/res" --json-out "$TMP/crash.json" \
	-- -s fault-free -d 60 -S $seed >"$TMP/crash.out" 2>&1; rc=$?
check "injected crash: exit 10 (got $rc)" [ $rc -eq 10 ]
check "injected crash: a verdict per run" [ "$(grep -c 'kernel crashed' "$TMP/crash.out")" -eq 2 ]
check "injected crash: crashed 2 of 2" grep -q '^vm: .*: crashed 2 of 2 ' "$TMP/crash.out"
check "injected crash: its message" grep -q '^vm: crash: Kernel panic - not syncing: sysrq triggered crash' "$TMP/crash.out"
check "injected crash: its call trace" grep -q '^vm:     sysrq_handle_crash+' "$TMP/crash.out"
check "injected crash: the scenario running" grep -q '^vm:   while running: scenario fault-free, seed [0-9]' "$TMP/crash.out"
check "injected crash: the seed the tool printed ($seed)" \
	eval 'grep -q "^arena-stress: kernel .*, seed $seed," "$TMP/crash.out" &&
	      [ "$(grep -c "^vm:   while running: scenario fault-free, seed $seed$" "$TMP/crash.out")" -eq 2 ]'
check "injected crash: said to be injected" grep -q '^vm:   cause: injected by the runner' "$TMP/crash.out"
dirs=$(sed -n 's/^vm: evidence kept in \(.*\)\/ (.*/\1/p' "$TMP/crash.out")
check "injected crash: two results directories named" [ "$(wc -l <<<"$dirs")" -eq 2 ]
for d in $dirs; do
	check "injected crash: $d is under --results" [ "${d#"$TMP/res/"}" != "$d" ]
	check "injected crash: the whole console kept in $d" \
		eval 'grep -q AS-VM-START "$d/console" && grep -q "sysrq triggered crash" "$d/console" && grep -q "Call Trace" "$d/console"'
	check "injected crash: its report kept in $d" [ "$(json "$d/report.json" 'd["crash"]["message"]')" = "Kernel panic - not syncing: sysrq triggered crash" ]
done
c='d["crash"]'
check "injected crash: the JSON records the crash" [ "$(json "$TMP/crash.json" "[d['exit_code'], $c['kind'], $c['scenario'], $c['seed'] == $seed, $c['injected'], any(f.startswith('sysrq_handle_crash+') for f in $c['trace'])]")" = "[10, 'panic', 'fault-free', True, True, True]" ]
check "injected crash: the JSON says which kernel and emulator" [ "$(json "$TMP/crash.json" "[bool($c['kernel']), bool(d['vm']['qemu']), d['vm']['accel'], d['repeat']['crashed'], d['repeat']['runs']]")" = "[True, True, 'tcg', 2, 2]" ]
check "injected crash: the first line says the qemu version and TCG mode" \
	grep -qE '^vm: .*, qemu [0-9]+\.[0-9.]+, tcg thread=(single|multi)' "$TMP/crash.out"
done_test
