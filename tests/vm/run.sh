#!/bin/bash
# Run arena-stress inside a throwaway VM, so a kernel crash never takes the
# host down and other kernels can be tested.
#
# usage: tests/vm/run.sh [OPTIONS] [-- ARENA-STRESS-ARGS...]
#        tests/vm/run.sh --plain PROGRAM [OPTIONS] [-- ARGS...]
#   --kernel BZIMAGE        boot this kernel image
#   --kernel-pkg GLOB       or the newest Debian package matching GLOB, a shell
#                           pattern (* ?; an exact name with '+' matches itself);
#                           default 'linux-image-6.12.*-cloud-amd64'
#   --timeout SEC           hard limit per boot, a positive integer (default 300)
#   --json-out FILE         the run's JSON report (arena-stress's, with a "vm"
#                           object; a crash's own report under "crash")
#   --out-file FILE         the program's own output, whole and in order (a copy the
#                           guest keeps apart from the console, where kernel messages
#                           can land inside its lines)
#   --console-out FILE      the whole serial console
#   --results DIR           where runs that are not clean keep their evidence
#                           (default $AS_VM_RESULTS, else ./vm-results)
#   --repeat N              the same invocation N times: a verdict per run and
#                           "crashed k of N"; the exit code is the worst run's
#   --inject-crash SEC      tests: crash the guest kernel (sysrq c) SEC seconds
#                           after the program started
#   --qemu-pidfile FILE     write qemu's PID to FILE (tests)
#   --read-console FILE     no boot: the verdict (and --json-out) of a kept
#                           console, e.g. DIR/.../console
#   --kconfig FILE          the kernel's .config, as /boot/config-$(uname -r) in
#                           the guest (libbpf reads it for __kconfig externs)
#   --plain PROGRAM         run another static PROGRAM instead, as
#                           /its-own-name ARGS, without --json (test_progs, say)
#   -h, --help              this text
# Relative paths are the caller's.  Options take '--opt VALUE' or '--opt=VALUE'.
#
# Builds an initramfs (busybox-static, ./arena-stress-static, an /init that
# mounts proc, sys, devtmpfs, debugfs, bpffs and cgroup2 with the memory
# controller on, runs arena-stress with the given arguments, its output
# straight onto the console, then prints its JSON report and kernel log, and
# powers off) and boots it with qemu, 2 vCPUs (AS_VM_SMP=N for another count).
# The guest's output is shown as it comes.  Arguments after -- are checked by
# the host's arena-stress-static first: a usage error costs no boot.
#
# Emulator: TCG (AS_VM_ACCEL=tcg, the default; =kvm where KVM runs stock
# kernels; =auto: KVM when /dev/kvm is usable and not PVM, TCG again if that
# boot does not reach /init).  Multi-threaded TCG on qemu older than 8 (Debian
# bookworm's 7.2) crashed sched_ext's kernel text patching ("Oops: int3",
# issue 30); qemu 10 from bookworm-backports did not (make vm-deps installs
# it).  So TCG runs one thread on qemu < 8, multi-threaded otherwise;
# AS_VM_TCG_THREAD=single|multi overrides.  The first line says which.
#
# Signals: an interrupt (Ctrl-C) is passed to the program in the guest (a
# second serial line that /init listens on), which stops and reports what it
# has; a second interrupt stops the VM.  SIGTERM and SIGHUP stop the VM.
# Nothing is left behind: qemu runs in its own session (a terminal's Ctrl-C
# must not kill it before the guest reports) and dies with the runner
# (parent-death signal), downloads and temporary directories are removed.
#
# Evidence: a run that is not clean (exit code other than 0) keeps its whole
# console, its JSON and the runner's verdict in a results directory it names,
# DIR/<time>-<kernel>[-<run>]/.  A crash verdict shows the crash's own report
# (the first Oops / panic / BUG / general protection / KASAN block that is
# not a "Bad page state" report: its message, RIP and call trace), the
# scenario that was running, the seed, and what may have caused it.
#
# Exit code: arena-stress's own (0 1 2 3 4), or
#   10 the kernel crashed before the program finished (its report is shown)
#   11 no result before the timeout (hang)
#   12 the kernel did not boot to /init
#   13 the VM stopped before a result with no kernel report (qemu's exit)
#   2  a usage error, before any boot; 130 a second interrupt stopped the VM;
#   129 / 143 SIGHUP / SIGTERM.
# With --repeat the worst, in this order: 10, 11, 13, 12, 3, 1, 2, 4, 0.
# Kernel packages (Debian 6.12 from bookworm, 7.x from trixie-backports/sid)
# are fetched by scripts/debian-fetch.sh and cached in $AS_VM_CACHE (default
# ~/.cache/arena-stress); runners at once take turns on the cache (a lock).
set -u
here=$PWD
die() { echo "vm: $*" >&2; exit 2; }
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$here/$1" ;; esac; }
usage() { sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; }
posint() { [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || die "$1 takes a positive whole number, not '$2'"; }

KERNEL= PKG= TIMEOUT=300 JSON_OUT= OUT_FILE= CONSOLE_OUT= PLAIN= KCONFIG= REPEAT=1 INJECT= QPIDFILE= READ=
RESULTS=${AS_VM_RESULTS:-vm-results}
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; break ;;
	-h|--help) usage; exit 0 ;;
	--*=*) o=${1%%=*} v=${1#*=}; shift; set -- "$o" "$v" "$@"; continue ;;
	--kernel|--kernel-pkg|--timeout|--json-out|--out-file|--console-out|--plain|--kconfig|--repeat|--inject-crash|--qemu-pidfile|--results|--read-console)
		[ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)" ;;&
	--kernel) KERNEL=$(abspath "$2") ;;
	--kernel-pkg) PKG=$2 ;;
	--timeout) posint "$1" "$2"; TIMEOUT=$2 ;;
	--json-out) JSON_OUT=$(abspath "$2") ;;
	--out-file) OUT_FILE=$(abspath "$2") ;;
	--console-out) CONSOLE_OUT=$(abspath "$2") ;;
	--plain) PLAIN=$(abspath "$2") ;;
	--kconfig) KCONFIG=$(abspath "$2") ;;
	--repeat) posint "$1" "$2"; REPEAT=$2 ;;
	--inject-crash) posint "$1" "$2"; INJECT=$2 ;;
	--qemu-pidfile) QPIDFILE=$(abspath "$2") ;;
	--results) RESULTS=$2 ;;
	--read-console) READ=$(abspath "$2") ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift 2
done
RESULTS=$(abspath "$RESULTS")
[ -n "$KERNEL" ] && [ -n "$PKG" ] && die "--kernel and --kernel-pkg: one or the other"
[ -n "$KERNEL" ] || [ -n "$PKG" ] || PKG='linux-image-6.12.*-cloud-amd64'
[ -z "$KERNEL" ] || [ -s "$KERNEL" ] || die "--kernel $KERNEL: no such image"
[ -z "$KCONFIG" ] || [ -f "$KCONFIG" ] || die "--kconfig $KCONFIG: no such file"
SMP=${AS_VM_SMP:-2}
posint AS_VM_SMP "$SMP"
case ${AS_VM_ACCEL:-tcg} in tcg|kvm|auto) ;; *) die "AS_VM_ACCEL is tcg, kvm or auto, not '$AS_VM_ACCEL'" ;; esac
case ${AS_VM_TCG_THREAD:-} in ''|single|multi) ;; *) die "AS_VM_TCG_THREAD is single or multi, not '$AS_VM_TCG_THREAD'" ;; esac

# an output must be writable now, not after the whole run; it is replaced
# only by a complete file (written beside it, then renamed over it)
writable() {
	local f=$2 d
	[ -d "$f" ] && die "$1 $f: is a directory"
	if [ -e "$f" ]; then
		[ -w "$f" ] || die "$1 $f: not writable"
	else
		d=$(dirname "$f")
		[ -d "$d" ] || die "$1 $f: no such directory $d"
		[ -w "$d" ] || die "$1 $f: directory $d not writable"
	fi
}
[ -n "$JSON_OUT" ] && writable --json-out "$JSON_OUT"
[ -n "$CONSOLE_OUT" ] && writable --console-out "$CONSOLE_OUT"
[ -n "$OUT_FILE" ] && writable --out-file "$OUT_FILE"
[ -n "$QPIDFILE" ] && writable --qemu-pidfile "$QPIDFILE"
if [ -e "$RESULTS" ]; then
	[ -d "$RESULTS" ] && [ -w "$RESULTS" ] || die "results directory $RESULTS: not a writable directory"
else
	writable --results "$RESULTS"
fi
# put SRC DST: DST becomes SRC whole, or stays as it was; a device or FIFO is
# written, never replaced
put() {
	local dst=$2 t
	[ -L "$dst" ] && dst=$(readlink -f -- "$dst")
	if [ -c "$dst" ] || [ -p "$dst" ]; then cat "$1" >"$dst"; return; fi
	t=$(mktemp "$dst.XXXXXX") || return 1
	if cat "$1" >"$t" && chmod "$(printf '%o' $((0666 & ~$(umask))))" "$t" && mv -f "$t" "$dst"; then
		return 0
	fi
	rm -f "$t"
	return 1
}

# ---- what a console says ----
# report CONSOLE RC OUTJSON: the verdict's details and the JSON of the run
# (the guest's with a "vm" object; on a crash, the crash's own report)
report() {
	python3 - "$@" "$kernel_name" "$qver" "$SMP" "$took" "$thread" "$used" <<'PY'
import json, re, sys
console, rc, out, image, qver, smp, took, thread, used = sys.argv[1:]
rc = int(rc)
text = open(console, errors='replace').read().replace('\r', '')
raw = text.split('\n')
ts_re = re.compile(r'^\[\s*\d+\.\d+\]\s?')
lines = [ts_re.sub('', l) for l in raw]
# the kernel's lines carry a time stamp (printk.time): the program's lines,
# which may land inside a crash dump, do not
kern = [bool(ts_re.match(l)) for l in raw]
if not any(kern):
    kern = [True] * len(raw)
def between(a, b):
    try:
        i = next(k for k, l in enumerate(lines) if l.startswith(a))
        j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(b))
        return '\n'.join(lines[i + 1:j])
    except StopIteration:
        return None
start = next((l for l in lines if 'AS-VM-START' in l), None)
kernel = start.split('AS-VM-START', 1)[1].split()[0] if start and start.split('AS-VM-START', 1)[1].split() else image
seed = next((int(m.group(1)) for l in lines for m in [re.search(r'arena-stress: kernel .*, seed (\d+)', l)] if m), None)

# the crash: the first Oops/panic/BUG/general protection/KASAN block that is
# not finding 2's "Bad page state" (reported by the tool, not a crash)
crash_re = re.compile(r'(Kernel panic - not syncing|Oops|BUG:|kernel BUG at|general protection|KASAN:)')
reg_re = re.compile(r'^(Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR0|DR3|PKRU|ORIG_RAX):')
frame_re = re.compile(r'^\s+(</?[A-Z]+>|\? \S+|\S+\+0x[0-9a-f]+/0x[0-9a-f]+.*|0x[0-9a-f]+)$')
crash = None
for i, l in enumerate(lines):
    if not kern[i] or not crash_re.search(l) or 'Bad page state' in l or 'AS-VM-' in l:
        continue
    m = crash_re.search(l)
    msg = l[m.start():].strip()
    kind = ('kasan' if 'KASAN' in msg else 'general-protection' if 'general protection' in msg
            else 'oops' if msg.startswith('Oops') else 'panic' if msg.startswith('Kernel panic') else 'bug')
    rip, trace, ct = None, [], None
    for k in range(i + 1, min(i + 80, len(lines))):
        if not kern[k]:
            continue
        if lines[k].startswith('Call Trace:'):
            ct = k
            break
        r = re.match(r'RIP: [0-9a-f]{4}:(\S+)', lines[k])
        if r and rip is None:
            rip = r.group(1)
    if ct is not None:
        # frames, and the interrupted contexts' RIP (their registers skipped)
        for k in range(ct + 1, min(ct + 160, len(lines))):
            x = lines[k].strip()
            if not kern[k]:
                continue
            if frame_re.match(lines[k]) or x.startswith('RIP: '):
                trace.append(x)
            elif not reg_re.match(x):
                break
    # what was running: the last scenario start ("== NAME: ...") or
    # progress line ("[NAME  1.0s] ...") before the crash
    scen = None
    for l2 in lines[:i]:
        s = re.match(r'== ([\w.-]+): ', l2) or re.match(r'\[([\w.-]+)\s+[\d.]+s\] ', l2)
        if s:
            scen = s.group(1)
    injected = any('AS-VM-INJECT-CRASH' in l2 for l2 in lines[:i])
    head = [x.strip() for x in lines[i:i + 8] if re.match(r'(Oops|BUG|#PF|Kernel panic|general protection|KASAN)', x.strip())]
    if injected:
        suspect = 'injected by the runner (--inject-crash: sysrq c)'
    elif 'int3' in msg:
        old = qver.split('.')[0].isdigit() and int(qver.split('.')[0]) < 8
        kernel_s = 'the kernel\'s text patching, set off by the tool\'s tracing or its sched_ext attach (not an arena bug)'
        suspect = 'an int3 trap left by kernel text patching (sched_ext enabling, the tool\'s fentry/fexit attach): ' + (
            'under KVM: ' + kernel_s if used == 'kvm' else
            'likely the emulator\'s: multi-threaded TCG on qemu < 8 crashes there (issue 30)' if old and thread == 'multi' else
            'qemu %s, TCG thread=%s, not the known emulator crash: %s' % (qver, thread, kernel_s) if thread in ('single', 'multi') else
            'the emulator\'s if it ran multi-threaded TCG on qemu < 8 (issue 30), else ' + kernel_s)
    else:
        suspect = None
    crash = {'kind': kind, 'message': msg, 'header': head, 'rip': rip, 'trace': trace,
             'scenario': scen, 'seed': seed, 'kernel': kernel, 'injected': injected, 'suspect': suspect}
    break
bad_pages = sum('Bad page state' in l for l in lines)

guest = between('AS-VM-JSON-BEGIN', 'AS-VM-JSON-END')
try:
    d = json.loads(guest) if guest and guest.strip() else None
except ValueError:
    d = None
if not isinstance(d, dict):
    d = {'tool': 'arena-stress', 'kernel': kernel, 'exit_code': rc, 'scenarios': [],
         'note': 'the guest gave no JSON report' if not (guest or '').strip() else 'the guest\'s JSON report was cut off'}
d['where'] = 'vm: ' + re.sub(r'\.vmlinuz$', '', image)
d['vm'] = {'package': re.sub(r'\.vmlinuz$', '', image), 'image': image, 'qemu': qver, 'accel': used, 'tcg_thread': None if used == 'kvm' else thread,
           'smp': int(smp), 'seconds': int(took) if took.isdigit() else None,
           'exit_code': rc, 'bad_page_state_lines': bad_pages}
if rc == 10:
    d['exit_code'] = 10
    d['crash'] = crash
json.dump(d, open(out, 'w'), indent=1)
# for the runner: the verdict's lines
if rc == 10 and crash:
    print('vm: crash: %s' % crash['message'])
    for h in crash['header'][1:]:
        print('vm:   %s' % h)
    print('vm:   RIP: %s' % (crash['rip'] or 'none printed (a panic: the trace says where)'))
    print('vm:   while running: scenario %s, seed %s' % (crash['scenario'] or 'unknown (before the first scenario)',
                                                         crash['seed'] if crash['seed'] is not None else 'unknown'))
    if crash['suspect']:
        print('vm:   cause: %s' % crash['suspect'])
    print('vm:   Call Trace:' + ('' if crash['trace'] else ' none printed'))
    for f in crash['trace'][:40]:
        print('vm:     %s' % f)
    if bad_pages:
        print('vm:   (before it, %d "Bad page state" report(s): finding 2, not this crash)' % bad_pages)
PY
}
# crashed CONSOLE: a crash of the kernel's own is in it (not Bad page state)
crashed() {
	tr -d '\r' <"$1" | grep -E 'Kernel panic - not syncing|Oops|BUG:|kernel BUG at|general protection|KASAN:' |
		grep -vq 'Bad page state'
}

# judge CONSOLE JSON: the run's exit code (rc), its verdict's lines (verdict)
# and its JSON, from its console and how it ended (stopped, timed_out, qrc,
# took)
judge() {
	tr -d '\r' <"$1" >"$work/console.txt"
	verdict=()
	if [ -n "$stopped" ]; then
		rc=$stopped
		verdict+=("vm: $kernel_name: stopped by a second interrupt (${took}s)")
	elif grep -q '^AS-VM-EXIT=' "$work/console.txt"; then
		rc=$(sed -n 's/^AS-VM-EXIT=//p' "$work/console.txt" | tail -1)
		klog=$(sed -n '/^AS-VM-KLOG-BEGIN/,/^AS-VM-KLOG-END/p' "$work/console.txt" | sed '1d;$d')
		[ -n "$klog" ] && printf 'vm: kernel log:\n%s\n' "$klog"
		verdict+=("vm: $kernel_name: $prog exit $rc (${took}s)")
	elif crashed "$work/console.txt" && { [ -z "$timed_out" ] || grep -q 'Kernel panic - not syncing' "$work/console.txt"; }; then
		rc=10
		verdict+=("vm: $kernel_name: kernel crashed (${took}s)")
	elif ! grep -q 'AS-VM-START' "$work/console.txt"; then
		rc=12
		verdict+=("vm: $kernel_name: did not boot to /init (qemu exit $qrc, ${took}s); console tail:")
		verdict+=("$(tail -15 "$work/console.txt")")
	elif [ -n "$timed_out" ]; then
		rc=11
		verdict+=("vm: $kernel_name: no result within ${TIMEOUT}s (hang); console tail:")
		verdict+=("$(tail -15 "$work/console.txt")")
	else
		rc=13
		verdict+=("vm: $kernel_name: the VM stopped before $prog finished, with no kernel report (qemu exit $qrc, ${took}s); console tail:")
		verdict+=("$(tail -15 "$work/console.txt")")
	fi
	report "$work/console.txt" "$rc" "$2" >"$work/crash.txt" ||
		echo "vm: could not read the console (python3)" >&2
	[ $rc = 10 ] && verdict+=("$(cat "$work/crash.txt")")
	# a hang with kernel reports: they did not stop the kernel
	[ $rc = 11 ] && crashed "$work/console.txt" &&
		verdict+=("vm: the kernel reported, and went on: $(tr -d '\r' <"$work/console.txt" | grep -E 'Oops|BUG:|kernel BUG at|general protection|KASAN:' | grep -v 'Bad page state' | head -1 | sed 's/^\[[ 0-9.]*\] //')")
	[ $rc = 11 ] && grep -q 'Bad page state' "$work/console.txt" &&
		verdict+=("vm: the console has \"Bad page state\" reports (finding 2): not a crash")
}
rank() { case $1 in 10) echo 9 ;; 11) echo 8 ;; 13) echo 7 ;; 12) echo 6 ;; 3) echo 5 ;; 1) echo 4 ;;
	2) echo 3 ;; 4) echo 2 ;; 0) echo 0 ;; *) echo 1 ;; esac; }
if [ -n "$READ" ]; then	# a kept console: how the boot ended is not known
	[ -f "$READ" ] && [ -r "$READ" ] || die "--read-console $READ: no such file"
	work=$(mktemp -d "${TMPDIR:-/tmp}/as-vm.XXXXXX") || die "mktemp failed"
	trap 'rm -rf "$work"' EXIT
	kernel_name=$(basename "$READ") qver=unknown thread=unknown used=unknown took=? timed_out= stopped= qrc=unknown
	prog=arena-stress
	judge "$READ" "$work/r.json"
	printf '%s\n' "${verdict[@]}"
	[ -n "$JSON_OUT" ] && { put "$work/r.json" "$JSON_OUT" || die "cannot write --json-out $JSON_OUT"; }
	exit "$rc"
fi
cd "$(dirname "$0")/../.." || exit 2
if [ -n "$PLAIN" ]; then
	BIN=$PLAIN
else
	BIN=${AS_VM_BIN:-arena-stress-static}
	[ -n "${AS_VM_BIN:-}" ] && BIN=$(cd "$here" && abspath "$AS_VM_BIN")
fi
[ -x "$BIN" ] || { [ -n "$PLAIN" ] && die "--plain $PLAIN: not an executable"; die "build it first: make static"; }
command -v qemu-system-x86_64 >/dev/null || die "no qemu: make vm-deps"
[ -f /usr/share/doc/busybox-static/copyright ] || die "no busybox-static: make vm-deps"
# the program's own options, checked by the same binary on the host: --list
# parses every option, then lists (no arena needed); a usage error is exit 2
if [ -z "$PLAIN" ] && [ -z "${AS_VM_BIN:-}" ] && [ $# -gt 0 ]; then
	err=$("./$BIN" --list "$@" 2>&1 >/dev/null)
	[ $? -eq 2 ] && die "arena-stress refuses the arguments after --: ${err#arena-stress: }"
fi

# ---- clean-up on every exit path ----
qpid= child= work= fetchdir= nint=0 stopped= ready= phase= pending_int= prog=arena-stress qrc= timed_out=
gone_pid() { ! kill -0 "$1" 2>/dev/null; }
stop_qemu() {
	[ -n "$qpid" ] || return 0
	kill -TERM "$qpid" 2>/dev/null
	# (sleep, not tick: this may run in a trap that interrupted tick's read)
	for _ in $(seq 50); do gone_pid "$qpid" && break; sleep 0.1; done
	kill -KILL "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null; qrc=$?
	qpid=
}
cleanup() {
	trap '' INT TERM HUP PIPE
	stop_qemu
	# a fetch runs in its own process group: apt-get and its methods too,
	# all gone before their directory is
	if [ -n "$child" ]; then
		kill -TERM -- "-$child" 2>/dev/null
		wait "$child" 2>/dev/null
		for _ in $(seq 50); do kill -0 -- "-$child" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$child" 2>/dev/null
	fi
	[ -n "$fetchdir" ] && rm -rf "$fetchdir"
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
on_int() {
	nint=$((nint + 1))
	if [ -n "$qpid" ] && [ $nint -eq 1 ] && [ "$phase" = tool ]; then
		if [ -n "$ready" ]; then
			printf 'INT\n' >&6
			echo "vm: interrupt: passed to $prog in the guest (interrupt again to stop the VM)" >&2
		else
			pending_int=1	# its listener is not up yet: sent once it is
			echo "vm: interrupt: passed to $prog in the guest once it listens (again to stop the VM)" >&2
		fi
	elif [ -n "$qpid" ]; then
		echo "vm: interrupt: stopping the VM" >&2
		stopped=130
		stop_qemu
	else
		echo "vm: interrupted" >&2
		exit 130
	fi
}
on_sig() { echo "vm: $1: stopping the VM" >&2; exit "$2"; }
trap on_int INT
trap 'on_sig SIGTERM 143' TERM
trap 'on_sig SIGHUP 129' HUP
trap 'exit 141' PIPE	# a reader gone (| head): still clean up

work=$(mktemp -d "${TMPDIR:-/tmp}/as-vm.XXXXXX") || die "mktemp failed"
# tick SECONDS: a wait that a signal's trap interrupts at once (a read of a
# FIFO nobody writes; no child process to leave behind)
mkfifo "$work/tick" && exec 8<>"$work/tick"
tick() { read -r -t "$1" -u 8 _; return 0; }
# bg CMD...: run CMD in its own process group, wait for it interruptibly
bg() {
	setsid "$@" &
	child=$!
	local rc
	while :; do
		wait "$child"; rc=$?
		[ $rc -gt 128 ] && ! gone_pid "$child" && continue
		break
	done
	child=
	return $rc
}

# ---- the kernel ----
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
if [ -z "$KERNEL" ]; then
	mkdir -p "$CACHE" || die "cannot create the cache $CACHE"
	# one runner at a time fetches: the lock is held by this shell's open file
	exec 9>>"$CACHE/.runner.lock"
	flock -n 9 || { echo "vm: waiting for another runner's fetch (lock $CACHE/.runner.lock)" >&2; bg flock 9; }
	# newest package whose name matches the glob, from any suite the project
	# uses (bookworm, -security, -backports, trixie-backports, sid), through a
	# private apt configuration (scripts/debian-fetch.sh)
	bg bash -c 'bash scripts/debian-fetch.sh list "$1" >"$2"' _ "$PKG" "$work/name"; rc=$?
	name=$(cat "$work/name")
	[ $rc -eq 2 ] && die "cannot list Debian packages (scripts/debian-fetch.sh failed, above)"
	[ -n "$name" ] || die "no package matches '$PKG'"
	KERNEL=$CACHE/$name.vmlinuz
	if [ ! -s "$KERNEL" ]; then
		echo "vm: fetching $name" >&2
		fetchdir=$(mktemp -d "$CACHE/.fetch.XXXXXX") || die "mktemp in $CACHE failed"
		vmlinuz=
		# 7.x: linux-image-* is a meta package; the image is in linux-binary-*
		for pkg in "$name" "${name/linux-image-/linux-binary-}"; do
			bg bash scripts/debian-fetch.sh get "$pkg" "$fetchdir" >"$fetchdir/log" 2>&1 || continue
			dpkg-deb -x "$fetchdir"/"${pkg}"_*.deb "$fetchdir/x" || continue
			vmlinuz=$(find "$fetchdir/x" \( -path '*/boot/vmlinuz-*' -o -path '*/lib/modules/*/vmlinuz' \) | head -1)
			[ -n "$vmlinuz" ] && break
		done
		[ -n "$vmlinuz" ] || { cat "$fetchdir/log" >&2; die "no vmlinuz in $name"; }
		cp "$vmlinuz" "$KERNEL.tmp.$$" && mv "$KERNEL.tmp.$$" "$KERNEL" || { rm -f "$KERNEL.tmp.$$"; die "cannot write $KERNEL"; }
		rm -rf "$fetchdir"; fetchdir=
	fi
	exec 9>&-
fi
kernel_name=$(basename "$KERNEL")

# ---- the emulator ----
qver=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9][0-9.]*\).*/\1/p')
accel=${AS_VM_ACCEL:-tcg}
if [ "$accel" = auto ]; then
	accel=tcg
	# PVM's /dev/kvm boots no stock kernel; a usable KVM has VMX or SVM
	[ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo && accel=kvm-then-tcg
fi
thread=${AS_VM_TCG_THREAD:-}
[ -n "$thread" ] || { [ "${qver%%.*}" -lt 8 ] 2>/dev/null && thread=single || thread=multi; }
accel_desc() {
	case $1 in
	kvm) echo "kvm" ;;
	*) echo "tcg thread=$thread$([ $thread = single ] && [ "${qver%%.*}" -lt 8 ] 2>/dev/null &&
		echo ' (qemu < 8: multi-threaded TCG crashed kernel text patching)')" ;;
	esac
}

# ---- the initramfs ----
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
if [ -n "$PLAIN" ]; then
	prog=$(basename "$PLAIN")
	run="/$prog$(printf ' %q' "$@")"
else
	prog=arena-stress
	run="/arena-stress$(printf ' %q' "$@") --json /tmp/r.json"
fi
cp "$BIN" "$root/$prog"
[ -n "$KCONFIG" ] && cp "$KCONFIG" "$root/kconfig"
inject=
# (the marker through the kernel's log, at KERN_CRIT: on the console, in order,
# before the panic; a tty write could come after it)
[ -n "$INJECT" ] && inject="( sleep $INJECT; echo '<2>AS-VM-INJECT-CRASH' >/dev/kmsg; echo c >/proc/sysrq-trigger ) &"
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
# memory cgroups for the leak oracle: cgroup2 with the memory controller on
# for the root's children (each scenario's cgroup is one)
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null &&
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
[ -f /kconfig ] && mkdir -p /boot && cp /kconfig /boot/config-\$(uname -r)
export AS_WHERE="vm: ${kernel_name%.vmlinuz}"
echo "AS-VM-START \$(uname -r) \$(nproc) cpus"
cd /tmp
# the program's output goes to the console, which the host shows live, and
# to /tmp/out, whole (kernel messages on the console can land inside its
# lines): printed again after the run for --out-file
{ $run; echo \$? >/tmp/rc; } </dev/null 2>&1 | tee /tmp/out &
pid=\$!
# the host's interrupts come on the second serial line
if [ -c /dev/ttyS1 ]; then
	( stty raw -echo 2>/dev/null; echo AS-VM-CTL-READY
	  while read -r c; do case \$c in INT*) killall -INT $prog ;; esac; done ) </dev/ttyS1 &
	ctl=\$!
fi
$inject
wait \$pid
rc=\$(cat /tmp/rc 2>/dev/null || echo 1)
[ -n "\${ctl:-}" ] && kill \$ctl 2>/dev/null
echo AS-VM-JSON-BEGIN
cat /tmp/r.json 2>/dev/null
echo AS-VM-JSON-END
echo "AS-VM-EXIT=\$rc"
echo AS-VM-OUT-BEGIN
cat /tmp/out
echo AS-VM-OUT-END
echo AS-VM-KLOG-BEGIN
# every splat with its context (page dump, stack): from the first one on
dmesg | sed -n '/BUG\|WARNING\|Oops\|Bad page\|rss-counter\|bad pmd\|corruption\|blocked for more\|Kernel panic\|KASAN\|UBSAN/,\$p' | head -400
echo AS-VM-KLOG-END
sync
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd"
mkfifo "$work/ctl.in" "$work/ctl.out"
exec 6<>"$work/ctl.in"	# never blocks, even once qemu is gone

# ---- one boot, its output shown as it comes ----
# show LINE: the program's lines, from /init's start marker to its JSON
show() {
	local l=${1//$'\r'/}
	case $phase in
	boot)
		[[ $l == *AS-VM-START* ]] || return 0
		phase=tool; l=AS-VM-START${l#*AS-VM-START}
		;;
	tool)
		case $l in
		AS-VM-CTL-READY*)
			ready=1
			[ -n "$pending_int" ] && { pending_int=; printf 'INT\n' >&6; }
			return 0 ;;
		AS-VM-JSON-BEGIN*) phase=after; return 0 ;;
		esac
		# the kernel's own lines: in the kernel log, crash report or
		# console tail at the end, and in the console kept
		[[ $l =~ ^\[\ *[0-9]+\.[0-9]+\]\  ]] && return 0 ;;
	*) return 0 ;;
	esac
	printf '%s\n' "$l"
}
# boot ACCEL: qemu until it exits or the timeout; sets qrc, timed_out
boot() {
	local a=$1 acc line pend= deadline
	acc=$a; [ "$a" = tcg ] && acc="tcg,thread=$thread"
	: >"$console"
	phase=boot ready= pending_int= timed_out=
	# its own session: a terminal's Ctrl-C is the runner's to pass on; the
	# parent-death signal: qemu dies with the runner, even by SIGKILL
	setsid setpriv --pdeathsig KILL qemu-system-x86_64 -accel "$acc" -cpu max -smp "$SMP" -m 2G \
		-display none -monitor none -no-reboot -serial stdio -serial "pipe:$work/ctl" \
		-kernel "$KERNEL" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init loglevel=4 no_timer_check" >"$console" 2>&1 </dev/null &
	qpid=$!
	[ -n "$QPIDFILE" ] && { echo "$qpid" >"$QPIDFILE.tmp" && mv "$QPIDFILE.tmp" "$QPIDFILE"; }
	deadline=$(( $(date +%s) + TIMEOUT ))
	exec 7<"$console"
	while :; do
		while IFS= read -r -u 7 line; do show "$pend$line"; pend=; done
		pend+=$line
		[ -n "$qpid" ] && ! gone_pid "$qpid" || break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			timed_out=1
			stop_qemu
			break
		fi
		tick 0.2
	done
	if [ -n "$qpid" ]; then
		while :; do
			wait "$qpid"; qrc=$?
			[ $qrc -gt 128 ] && ! gone_pid "$qpid" && continue
			break
		done
		qpid=
	fi
	while IFS= read -r -u 7 line; do show "$pend$line"; pend=; done
	[ -n "$pend$line" ] && show "$pend$line"
	exec 7<&-
}

# ---- the runs ----
console=$work/console
worst= worst_n= crashes=0 codes=()
echo "vm: $kernel_name, qemu $qver, $(accel_desc "${accel%-then-tcg}"), $SMP vCPUs, timeout ${TIMEOUT}s$([ "$REPEAT" -gt 1 ] && echo ", $REPEAT runs")"
for n in $(seq "$REPEAT"); do
	[ "$REPEAT" -gt 1 ] && echo "vm: run $n of $REPEAT"
	start=$(date +%s)
	# A kernel that dies before /init says nothing about the arena: try once
	# more (TCG after a KVM that does not boot it)
	for attempt in 1 2; do
		used=${accel%-then-tcg}
		[ $attempt = 2 ] && [ "$accel" = kvm-then-tcg ] && used=tcg
		boot "$used"
		[ -n "$stopped" ] && break
		grep -q 'AS-VM-START' "$console" && break
		[ $attempt = 1 ] && echo "vm: kernel did not reach /init (qemu $(accel_desc "$used"), exit $qrc); booting again" >&2
	done
	took=$(( $(date +%s) - start ))
	judge "$console" "$work/run$n.json"
	# the program's own output, whole (its kernel-free copy, after the run)
	if [ -n "$OUT_FILE" ]; then
		tr -d '\r' <"$console" | sed -n '/^AS-VM-OUT-BEGIN/,/^AS-VM-OUT-END/p' | sed '1d;$d' |
			grep -vE '^\[ *[0-9]+\.[0-9]+\] ' >"$work/out" && put "$work/out" "$OUT_FILE" ||
			echo "vm: cannot write --out-file $OUT_FILE" >&2
	fi
	printf '%s\n' "${verdict[@]}"
	# the evidence of a run that is not clean stays, whole
	if [ "$rc" != 0 ]; then
		dir=$RESULTS/$(date +%Y%m%d-%H%M%S)-${kernel_name%.vmlinuz}$([ "$REPEAT" -gt 1 ] && echo "-$n")
		k=1; while [ -e "$dir$([ $k -gt 1 ] && echo ".$k")" ]; do k=$((k + 1)); done
		dir=$dir$([ $k -gt 1 ] && echo ".$k")
		if mkdir -p "$dir" && cp "$console" "$dir/console" && cp "$work/run$n.json" "$dir/report.json" &&
		   printf '%s\n' "${verdict[@]}" >"$dir/verdict.txt"; then
			echo "vm: evidence kept in $dir/ (console, report.json, verdict.txt)"
		else
			echo "vm: could not keep the evidence in $dir" >&2
		fi
	fi
	codes+=("$rc")
	[ "$rc" = 10 ] && crashes=$((crashes + 1))
	if [ -z "$worst" ] || [ "$(rank "$rc")" -gt "$(rank "$worst")" ]; then
		worst=$rc worst_n=$n
		cp "$console" "$work/worst.console"
	fi
	[ -n "$stopped" ] || [ $nint -gt 0 ] && break
done
if [ "$REPEAT" -gt 1 ]; then
	python3 - "$work/run$worst_n.json" "$REPEAT" "$crashes" "${codes[@]}" <<'PY'
import json, sys
f, n, k, codes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(c) for c in sys.argv[4:]]
d = json.load(open(f))
d['repeat'] = {'runs': n, 'done': len(codes), 'crashed': k, 'exit_codes': codes}
json.dump(d, open(f, 'w'), indent=1)
PY
	echo "vm: $kernel_name: crashed $crashes of ${#codes[@]} (exit codes ${codes[*]}; worst $worst)"
fi
[ -n "$CONSOLE_OUT" ] && { put "$work/worst.console" "$CONSOLE_OUT" || echo "vm: cannot write --console-out $CONSOLE_OUT" >&2; }
[ -n "$JSON_OUT" ] && [ -s "$work/run$worst_n.json" ] &&
	{ put "$work/run$worst_n.json" "$JSON_OUT" || { echo "vm: cannot write --json-out $JSON_OUT" >&2; worst=2; }; }
exit "$worst"
