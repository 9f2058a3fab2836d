#!/bin/bash
# Run a test's shell script inside the VM: for the tests that must act inside
# the system they test (send signals, write /dev/kmsg, run a reproducer) on a
# host that refuses arena maps.
#
# usage: tests/vm/in-guest.sh [OPTIONS] OUTDIR SCRIPT [ARGS...]
#   --kernel-pkg GLOB   the kernel (tests/vm/run.sh; default Debian's 6.12 cloud)
#   --timeout SEC       hard limit for the boot (default 300)
#   --file FILE         also put FILE in the guest's directory (repeatable)
#   --console-out FILE  the whole serial console (tests/vm/run.sh)
#
# The guest sources SCRIPT with busybox sh (as ./main.sh, $@ = ARGS) in a
# directory holding ./arena-stress (./arena-stress-static), ./lib.sh (the
# helpers of tests/lib.sh that busybox sh runs: fail, check, wait_for, gone,
# memcg_dir; FAILS counts failed checks) and each --file, in a memory cgroup
# of its own, with AS=./arena-stress and OUT an empty directory: what SCRIPT
# leaves in OUT comes back to OUTDIR on the host (a tar through the console,
# its checksum verified).  SCRIPT's output is shown as it comes.
# Exit code: 1 if a check failed, else SCRIPT's own; tests/vm/run.sh's 10-13
# when the VM gave none (10: the kernel crashed, its report in the output);
# 2 a usage error, or OUT did not come back whole.
set -u
here=$PWD
die() { echo "in-guest: $*" >&2; exit 2; }
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$here/$1" ;; esac; }
PKG='linux-image-6.12.*-cloud-amd64' TIMEOUT=300 files=() console=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-pkg) PKG=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--file) files+=("$(abspath "$2")"); shift 2 ;;
	--console-out) console=(--console-out "$(abspath "$2")"); shift 2 ;;
	-h|--help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || die "usage: $0 [OPTIONS] OUTDIR SCRIPT [ARGS...]"
outdir=$(abspath "$1") script=$(abspath "$2"); shift 2
[ -f "$script" ] || die "no such script $script"
mkdir -p "$outdir" || die "cannot create $outdir"
cd "$(dirname "$0")/../.." || exit 2
[ -x arena-stress-static ] || die "build it first: make static"

t=$(mktemp -d /tmp/as-in-guest.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$t"' EXIT
mkdir "$t/b"
cp arena-stress-static "$t/b/arena-stress" && cp "$script" "$t/b/main.sh" || die "cannot stage the guest's files"
# tests/lib.sh is bash (here-strings): the guest gets the helpers it can run,
# as they are written there
{
	echo 'FAILS=0'
	awk '/^(fail|check|wait_for|gone|memcg_dir)\(\) / { on = 1 }
	     on { print; if ($0 ~ /^}/ || $0 ~ /}$/ && $0 ~ /\(\) \{/) on = 0 }' tests/lib.sh
} >"$t/b/lib.sh"
[ "$(grep -c '^[a-z_]*() ' "$t/b/lib.sh")" = 5 ] || die "tests/lib.sh: cannot find the helpers the guest needs"
for f in "${files[@]}"; do cp -r "$f" "$t/b/" || die "cannot stage $f"; done
tar -czf "$t/payload" -C "$t/b" . || die "tar failed"
# the guest program: this header, then the payload (its offset fixed-width)
header() {
	cat <<EOF
#!/bin/busybox sh
# arena-stress test bundle (tests/vm/in-guest.sh)
mkdir -p /tmp/g /tmp/g-out && cd /tmp/g || exit 2
tail -c +$1 "\$0" | tar -xzf - || { echo "in-guest: cannot unpack the bundle"; exit 2; }
# in a memory cgroup of its own, as on a host (never the root cgroup, which
# has no memory.current): the tool's per-run cgroups go inside it
mkdir -p /sys/fs/cgroup/test 2>/dev/null && echo \$\$ >/sys/fs/cgroup/test/cgroup.procs 2>/dev/null
OUT=/tmp/g-out AS=./arena-stress busybox sh -c '. ./lib.sh && . ./main.sh; rc=\$?; [ \$FAILS -eq 0 ] || rc=1; exit \$rc' main "\$@"
rc=\$?
cd /tmp/g-out && tar -czf /tmp/g.tgz . && sum=\$(sha256sum /tmp/g.tgz | cut -c1-64)
echo AS-GUEST-OUT-BEGIN
base64 /tmp/g.tgz
echo "AS-GUEST-OUT-END \$sum"
exit \$rc
EOF
}
n=$(header 0000000000 | wc -c)
{ header "$(printf '%010d' $((n + 1)))"; cat "$t/payload"; } >"$t/guest"
chmod +x "$t/guest"

# the guest's lines as they come, without the tar's
bash tests/vm/run.sh --plain "$t/guest" --kernel-pkg "$PKG" --timeout "$TIMEOUT" "${console[@]}" \
	--out-file "$t/clean" --results "${AS_VM_RESULTS:-$here/vm-results}" -- "$@" 2>&1 | tee "$t/log" |
	sed -u '/^AS-GUEST-OUT-BEGIN/,/^AS-GUEST-OUT-END/d'
rc=${PIPESTATUS[0]}
# the tar from the guest's own copy of its output (on the live console a
# kernel message can land inside a line), else from what the console showed
[ -s "$t/clean" ] && grep -q '^AS-GUEST-OUT-END' "$t/clean" && cp "$t/clean" "$t/log"
if grep -q '^AS-GUEST-OUT-END' "$t/log"; then
	sed -n '/^AS-GUEST-OUT-BEGIN/,/^AS-GUEST-OUT-END/p' "$t/log" | sed '1d;$d' | base64 -d >"$t/out.tgz" 2>/dev/null
	want=$(sed -n 's/^AS-GUEST-OUT-END //p' "$t/log")
	got=$(sha256sum "$t/out.tgz" | cut -c1-64)
	[ "$want" = "$got" ] || { echo "in-guest: the guest's OUT came back damaged (checksum)" >&2; exit 2; }
	tar -xzf "$t/out.tgz" -C "$outdir" || { echo "in-guest: cannot unpack the guest's OUT" >&2; exit 2; }
fi
exit "$rc"
