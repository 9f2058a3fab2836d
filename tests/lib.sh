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
# tests that only read the tool's output, exit code and JSON.
needs_arena() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	local why
	why=$($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)
	$AS --list | grep -q '^fault-free *runs' && return
	if [ "${1:-}" = vm ] && [ -x arena-stress-static ] && command -v qemu-system-x86_64 >/dev/null &&
	   [ -z "${AS_NO_VM_SUITE:-}" ]; then
		AS=tests/vm/as-vm
		echo "note: no BPF arena on this host ($why): arena-stress runs in the VM (${AS_VM_SUITE_PKG:-Debian 6.12 cloud})"
		$AS --list | grep -q '^fault-free *runs' && return
		skip "no BPF arena in the VM either: $($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)"
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

# wedged FILE: the kernel wedged the run's scenario process (finding 2's page
# lock on 6.18: a thread in D state for good, mmap_lock waiters behind it);
# reported as a hang with the counters of its last progress line, if any, so
# work floors cannot hold.  Says so in a note.
wedged() {
	local w
	w=$(json "$1" "[v['saw'] for v in d['scenarios'][0]['violations'] if v['kind'] == 'hang' and 'never finished' in v['saw']][:1]")
	[ "$w" = "[]" ] && return 1
	echo "note: the kernel wedged the scenario process (a hang): $w"
}

# bad_page_only FILE: every kernel splat the run reported is finding 2's
# "Bad page state" (a kernel with page checks, Debian's 6.12 in the VM: the
# page freed while its fault holds the lock), and there was one; says so.
bad_page_only() {
	[ "$(json "$1" "(lambda k: len(k) > 0 and all('Bad page state' in v['saw'] for v in k))(
		[v for s in d['scenarios'] for v in s['violations'] if v['kind'] == 'kernel-splat'])")" = True ] || return 1
	echo "note: the kernel logged Bad page state (findings/02 on a kernel with page checks): exit 3"
}

# splats_ok KINDS FILE: if the run reported kernel splats, they are all
# finding 2's Bad page state (checked)
splats_ok() {
	grep -qw kernel-splat <<<"$1" || return 0
	check "its only kernel splats are finding 2's Bad page state" bad_page_only "$2"
}

# found_rc RC FILE: a run made to find something (an injection) found it:
# exit 1, or 3 when finding 2's Bad page state came as well
found_rc() { [ "$1" -eq 1 ] || { [ "$1" -eq 3 ] && bad_page_only "$2"; }; }

# run_ok RC FILE: a run that did its job: 0 clean, 1 divergences found, or 3
# when its only kernel splats are finding 2's Bad page state
run_ok() { [ "$1" -eq 0 ] || [ "$1" -eq 1 ] || { [ "$1" -eq 3 ] && bad_page_only "$2"; }; }

# the divergence kinds a kernel with findings 1 and 2 gives (kernel-splat:
# only finding 2's Bad page state, see bad_page_only)
FINDING_KINDS="coherence|stale-free-mapping|hang|kernel-splat"

# kpath_checks FILE MIN_KOPS: shared assertions of the kernel-path scenarios
# (pinned, io-wq, gup) on a run's JSON: real kernel-path work, only the
# divergence kinds a kernel with the orphaned-PTE bug shows (never a
# pin-crossing without --inject), every kept divergence re-checked, and the
# memory back after teardown.
kpath_checks() {
	local f=$1 min=$2 s='d["scenarios"][0]' n kinds
	if wedged "$f"; then	# its note says so
		check "a wedged run is reported as a hang, its status ran" [ "$(json "$f" "$s['status']")" = ran ]
		return
	fi
	n=$(json "$f" "$s['counters']['kernel_ops']")
	check "kernel-path ops judged ($n)" [ "$n" -gt "$min" ]
	n=$(json "$f" "$s['counters']['alloc']")
	check "BPF allocations ($n)" [ "$n" -gt 20 ]
	n=$(json "$f" "$s['counters']['sweep']")
	check "sweeps ($n)" [ "$n" -ge 3 ]
	kinds=$(json "$f" "' '.join(sorted($s['by_kind']))")
	# unreachable-page: an open observation (findings/README.md), seen
	# rarely from O_DIRECT on 6.18; reported, not failed on
	check "only divergence kinds of the orphaned-PTE bug ($kinds)" \
		grep -qxE "($FINDING_KINDS|unreachable-page| )*" <<<"$kinds"
	splats_ok "$kinds" "$f"
	grep -q unreachable-page <<<"$kinds" && echo "note: unreachable-page seen: $(json "$f" \
		"[v['saw'] for v in $s['violations'] if v['kind'] == 'unreachable-page'][:1]")"
	check "every kept divergence is confirmed, or says why it could not be" \
		[ "$(json "$f" "all(v['confirmed'] or 'inconclusive' in v['classification'] or
			'second process' in v['classification'] for v in $s['violations'] if v['kind'] not in ('hang', 'kernel-splat'))")" = True ]
	n=$(json "$f" "sum(1 for v in $s['violations'] if v['confirmed'])")
	[ "$(json "$f" "$s['violations_total']")" = 0 ] || echo "note: $(json "$f" "$s['violations_total']") divergences ($kinds), $n of the kept ones confirmed"
	n=$(json "$f" "$s['memcg_delta_kb']")
	if [ "$n" != None ]; then
		check "memory came back after teardown (${n} KiB)" [ "$n" -le 2048 ]
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
