# Helpers for the integration tests (sourced).  Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.." || exit 1
AS=./arena-stress
TMP=$(mktemp -d /tmp/as-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
check() { # check "description" command...
	local what=$1; shift
	if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
done_test() { [ "$FAILS" -eq 0 ] && { echo PASS; exit 0; }; echo "FAIL ($FAILS)"; exit 1; }

# needs_arena: skip unless root on a kernel with BPF arena support.
# needs_arena vm: where this host refuses arena maps, run arena-stress in a
# VM instead (tests/vm/as-vm: Debian's 6.12 cloud kernel, whose arena is the
# mutex-based one of the 6.9-6.18 hosts these tests were written on); for
# tests that only read the tool's output, exit code and JSON.  A VM that
# cannot say what it runs (its --list printed no table: the runner failed)
# fails the test: it is not a kernel without arenas, and a skip would hide it.
needs_arena() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	local why list
	why=$($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)
	$AS --list | grep -q '^fault-free *runs' && return
	if [ "${1:-}" = vm ] && [ -x arena-stress-static ] && command -v qemu-system-x86_64 >/dev/null &&
	   [ -z "${AS_NO_VM_SUITE:-}" ]; then
		AS=tests/vm/as-vm
		echo "note: no BPF arena on this host ($why): arena-stress runs in the VM (${AS_VM_SUITE_PKG:-Debian 6.12 cloud})"
		list=$($AS --list 2>&1)
		if ! grep -q '^scenario ' <<<"$list"; then
			echo "FAIL: the VM's --list printed no scenario table (the VM runner failed?): $(tail -3 <<<"$list")" >&2
			exit 1
		fi
		grep -q '^fault-free *runs' <<<"$list" && return
		skip "no BPF arena in the VM either: $(sed -n 's/^ *reason: //p' <<<"$list" | head -1)"
	fi
	skip "no BPF arena here: $why"
}

# jq-like access with python3: json FILE 'expression using d'
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# needs_scenario NAME: skip unless NAME runs here (e.g. io_uring disabled).
needs_scenario() {
	local line
	line=$($AS --list | sed -n "/^$1 /{p;n;p}")
	grep -q "^$1 *runs" <<<"$line" || skip "$1 unavailable here: $(sed -n 's/^ *reason: //p' <<<"$line")"
}

# wedged FILE: the kernel wedged the run's scenario process before it could
# report (finding 2's page lock on 6.18: a thread in D state for good,
# mmap_lock waiters behind it): a hang whose thread is in uninterruptible
# sleep in the kernel, reported with the counters of its last progress line,
# if any, so work floors cannot hold.  Says so in a note.  Nothing else
# counts: a process stuck in user space is the tool's failure (status failed,
# exit 2), and one stuck after its report has its final counters.
wedged() {
	local w
	w=$(json "$1" "[v['saw'] for v in d['scenarios'][0]['violations'] if v['kind'] == 'hang' and
		'never finished' in v['saw'] and 'uninterruptible sleep' in v['saw']][:1]")
	[ "$w" = "[]" ] && return 1
	echo "note: the kernel wedged the scenario process (a hang in D state): $w"
}

# bad_page_only FILE: every kernel splat the run reported is finding 2's
# "Bad page state" (a kernel with page checks, Debian's 6.12 in the VM: the
# page freed while its fault holds the lock), and there was one; says so.
bad_page_only() {
	[ "$(json "$1" "(lambda k: len(k) > 0 and all('Bad page state' in v['saw'] for v in k))(
		[v for s in d['scenarios'] for v in s['violations'] if v['kind'] == 'kernel-splat'])")" = True ] || return 1
	echo "note: the kernel logged Bad page state (findings/02 on a kernel with page checks): exit 3"
}

# the divergence kinds a kernel with findings 1 and 2 gives (kernel-splat:
# only finding 2's Bad page state, see outcome)
# splats_ok KINDS FILE: if the run reported kernel splats (KINDS: its kinds),
# they are all finding 2's Bad page state (checked)
splats_ok() {
	grep -qw kernel-splat <<<"$1" || return 0
	check "its only kernel splats are finding 2's Bad page state" bad_page_only "$2"
}

FINDING_KINDS="coherence|stale-free-mapping|hang|kernel-splat"

# FINDING1_KERNELS: the kernel releases on which finding 1 (findings/01,
# README "Findings") shows in every fault-free run: Debian's 6.12 cloud
# kernel (the VM suite's), 6.18, Debian's 7.3.  There, detecting it is
# required, not allowed.
FINDING1_KERNELS='^(6\.12\.|6\.18\.|7\.3\.)'
has_finding1() { grep -qE "$FINDING1_KERNELS" <<<"$(json "$1" 'd["kernel"]')"; }

# outcome RC FILE ALLOWED [REQUIRED...]: a run's outcome checked as a whole,
# status, kinds and exit code together, one check line each:
#  - the JSON report exists and carries the process's exit code RC;
#  - every scenario's status is "ran" (one whose process died after its
#    first violation is "failed", and exits 1 all the same);
#  - every kind reported is one of ALLOWED ('|'-separated; "" for none; "*"
#    for any, in the VM tests that report what a kernel shows);
#  - each REQUIRED kind was reported ("a/b": a or b);
#  - RC is what those kinds call for: 0 none, 1 divergences, 3 with a kernel
#    splat, and a splat is only ever finding 2's Bad page state.
outcome() {
	local rc=$1 f=$2 allowed=$3 res what lines; shift 3
	if [ ! -s "$f" ]; then
		fail "a JSON report (exit $rc): none written"
		return 1
	fi
	lines=$(python3 - "$f" "$rc" "$allowed" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); rc = int(sys.argv[2])
allowed = set(k for k in sys.argv[3].split('|') if k); req = sys.argv[4:]
sc = d['scenarios']
kinds = sorted(set(k for s in sc for k in s['by_kind']))
def out(ok, what): print(('ok' if ok else 'fail') + '|' + what.replace('\n', ' '))
out(d['exit_code'] == rc, 'exit %d is the one the report gives (%s)' % (rc, d['exit_code']))
for s in sc:
    out(s['status'] == 'ran', '%s: status ran (%s%s)' % (s['name'], s['status'],
        ': ' + s.get('reason', '') if s['status'] != 'ran' else ''))
out('*' in allowed or set(kinds) <= allowed, 'only the kinds allowed here (%s; allowed: %s)' % (' '.join(kinds) or 'none',
    ' '.join(sorted(allowed)) or 'none'))
for r in req:
    out(any(k in kinds for k in r.split('/')), 'required: %s reported (%s)' % (r, ' '.join(kinds) or 'none'))
splat = [v for s in sc for v in s['violations'] if v['kind'] == 'kernel-splat']
want = 3 if 'kernel-splat' in kinds else 1 if kinds else 0
out(rc == want, 'exit %d for what was found (%s): %d' % (rc, ' '.join(kinds) or 'nothing', want))
if splat:
    out(all('Bad page state' in v['saw'] for v in splat), 'its kernel splats are all finding 2\'s Bad page state')
EOF
	) || fail "the JSON report could not be read as a run's outcome: $(head -c 300 "$f")"
	while IFS='|' read -r res what; do
		[ -n "$res" ] || continue
		if [ "$res" = ok ]; then echo "ok: $what"; else fail "$what"; fi
	done <<<"$lines"
	grep -qw kernel-splat <<<"$(json "$f" "' '.join(k for s in d['scenarios'] for k in s['by_kind'])")" &&
		bad_page_only "$f"
	return 0
}

# finding1 FILE: on a kernel with finding 1, the run found it, confirmed,
# with the user PTE's PFN and classified as an orphaned user PTE (required);
# elsewhere a note.  For fault-free runs (finding 1 shows in every one).
finding1() {
	local f=$1 d="[v for s in d['scenarios'] for v in s['violations'] if v['kind'] in ('coherence', 'stale-free-mapping')]"
	if ! has_finding1 "$f"; then
		echo "note: $(json "$f" 'd["kernel"]') is not a kernel known to have finding 1: not required"
		return 0
	fi
	check "finding 1 detected on $(json "$f" 'd["kernel"]') (coherence or stale-free-mapping)" \
		[ "$(json "$f" "len($d) > 0")" = True ]
	check "finding 1: a detection confirmed, with the user PTE's PFN, as an orphaned user PTE" \
		[ "$(json "$f" "any(v['confirmed'] and int(v['pfn_user'], 16) > 0 and
			'orphaned user PTE' in v['classification'] for v in $d)")" = True ]
}

# kpath_checks RC FILE MIN_KOPS: shared assertions of the kernel-path
# scenarios (pinned, io-wq, gup) on a run's JSON: its outcome (status ran,
# only the divergence kinds a kernel with the orphaned-PTE bug shows, never a
# pin-crossing without --inject, the exit code those call for), real
# kernel-path work, every kept divergence re-checked, and the memory back
# after teardown.
kpath_checks() {
	local rc=$1 f=$2 min=$3 s='d["scenarios"][0]' n kinds
	# unreachable-page: an open observation (findings/README.md), seen
	# rarely from O_DIRECT on 6.18; reported, not failed on
	outcome "$rc" "$f" "$FINDING_KINDS|unreachable-page"
	kinds=$(json "$f" "' '.join(sorted($s['by_kind']))")
	grep -q unreachable-page <<<"$kinds" && echo "note: unreachable-page seen: $(json "$f" \
		"[v['saw'] for v in $s['violations'] if v['kind'] == 'unreachable-page'][:1]")"
	if wedged "$f"; then	# its note says so: no final counters, sweep or leak oracle
		return
	fi
	n=$(json "$f" "$s['counters']['kernel_ops']")
	check "kernel-path ops judged ($n)" [ "$n" -gt "$min" ]
	n=$(json "$f" "$s['counters']['alloc']")
	check "BPF allocations ($n)" [ "$n" -gt 20 ]
	n=$(json "$f" "$s['counters']['sweep']")
	check "sweeps ($n)" [ "$n" -ge 3 ]
	check "every kept divergence is confirmed, or says why it could not be" \
		[ "$(json "$f" "all(v['confirmed'] or 'inconclusive' in v['classification'] or
			'second process' in v['classification'] for v in $s['violations'] if v['kind'] not in ('hang', 'kernel-splat'))")" = True ]
	n=$(json "$f" "sum(1 for v in $s['violations'] if v['confirmed'])")
	[ "$(json "$f" "$s['violations_total']")" = 0 ] || echo "note: $(json "$f" "$s['violations_total']") divergences ($kinds), $n of the kept ones confirmed"
	memcg_back "$f"
}

# vm_memcg: the VM's /init mounts cgroup2 (tests/vm/run.sh), so a run in the
# VM has a memory cgroup and its leak oracle must report
vm_memcg() { grep -q 'cgroup2' tests/vm/run.sh; }

# memcg_back FILE: the leak oracle's measure after teardown is back within
# 2 MiB; required where a memory cgroup must exist (the VM once its /init
# mounts cgroup2), else a note when there is none
memcg_back() {
	local n
	n=$(json "$1" "d['scenarios'][0]['memcg_delta_kb']")
	if [ "$n" != None ]; then
		check "memory came back after teardown (${n} KiB)" [ "$n" -le 2048 ]
	elif [ "$AS" = tests/vm/as-vm ] && vm_memcg; then
		fail "the VM mounts cgroup2, yet the leak oracle had no memory cgroup"
	else
		echo "note: no memory cgroup here: leak oracle unavailable"
	fi
}

# needs_vm: skip unless the VM runner can work here; sets pkg, the kernel
# package to boot ($AS_VM_KERNEL_PKG, default Debian's newest 6.12 cloud).
needs_vm() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get download, qemu)"
	[ -x arena-stress-static ] || skip "no static build (make static)"
	command -v qemu-system-x86_64 >/dev/null || skip "no qemu (make vm-deps)"
	pkg=${AS_VM_KERNEL_PKG:-'linux-image-6.12.*-cloud-amd64'}
}

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches (the tool's own
# progress line is the readiness signal: it comes once the workers run);
# 1 if it never does within SECONDS (default 20).
wait_for() {
	local end=$(( $(date +%s) + ${3:-20} ))
	until grep -qE "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# gone PID [SECONDS]: until the process is gone (a zombie counts as gone)
gone() {
	local end=$(( $(date +%s) + ${2:-10} )) st
	while [ -d "/proc/$1" ]; do
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
		[ "$st" = Z ] && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# memcg_dir: the directory of this shell's memory cgroup (v1 or v2), or nothing
memcg_dir() {
	local rel
	rel=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
	if [ -n "$rel" ] && [ -f "/sys/fs/cgroup/memory$rel/memory.usage_in_bytes" ]; then
		echo "/sys/fs/cgroup/memory${rel%/}"; return 0
	fi
	rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$rel" ] && [ -f "/sys/fs/cgroup$rel/memory.current" ] && echo "/sys/fs/cgroup${rel%/}"
}

# vm_result RC WHAT: what a VM test does with the runner's exit code.  A
# kernel crash in the VM (10) is the finding the VM is there for: say so,
# keep the console, end the test (passing).  Else the run must have finished
# (0, 1 or 3) with a JSON report in $TMP/vm.json.
vm_result() {
	local rc=$1 keep
	if [ "$rc" -eq 10 ]; then
		keep=/tmp/arena-stress-vm-crash.$(date +%s).console
		cp "$TMP/console" "$keep"
		echo "note: KERNEL CRASH in the VM ($pkg) under $2; console kept in $keep:"
		grep -m 12 -E 'Kernel panic|Oops|BUG:|general protection|RIP:|Call Trace|KASAN' "$TMP/console" | sed 's/^/note:   /'
		check "arena-stress was running when it crashed" grep -q "AS-VM-START" "$TMP/console"
		done_test
	fi
	check "VM booted and arena-stress finished: exit 0, 1 or 3 (got $rc)" [ "$rc" -le 1 -o "$rc" -eq 3 ]
	[ -s "$TMP/vm.json" ] || { fail "no JSON report from the VM"; done_test; }
}

# here_or_vm NAME WHAT: run tests/guest/NAME.sh here when this host grants
# arena maps (root), else inside the VM (tests/vm/in-guest.sh), its files in
# $OUT either way; sets where=host|vm.  In the VM the guest's ok/FAIL lines
# are echoed, its skip is this test's skip, a crash is kept (vm_result), and
# a failing guest fails the test.
here_or_vm() {
	# no locals: the sourced script's own variables stay global
	_hv=tests/guest/$1.sh
	if [ "$(id -u)" -eq 0 ] && $AS --list 2>/dev/null | grep -q '^fault-free *runs'; then
		where=host
		. "$_hv"
		return
	fi
	needs_vm
	where=vm
	echo "note: no BPF arena on this host: $2 inside the VM ($pkg)"
	bash tests/vm/in-guest.sh --kernel-pkg "$pkg" --console-out "$TMP/console" "$OUT" "$_hv" \
		>"$TMP/vm.out" 2>&1; _hv_rc=$?
	grep -E '^(ok|FAIL|SKIP|note|vm):' "$TMP/vm.out"
	[ $_hv_rc -eq 77 ] && skip "in the VM: $(sed -n 's/^SKIP: //p' "$TMP/vm.out" | head -1)"
	[ $_hv_rc -eq 10 ] && vm_result $_hv_rc "$1"
	check "the guest's checks passed (exit $_hv_rc)" [ $_hv_rc -eq 0 ]
}
