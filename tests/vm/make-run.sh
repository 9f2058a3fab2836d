#!/bin/bash
# make run: ./arena-stress ARGS on this host, or, where the host can run no
# scenario (its kernel refuses BPF arena maps), the same run in a VM on
# Debian's newest cloud kernel (tests/vm/run.sh), saying so on the first line.
# usage: tests/vm/make-run.sh [--no-vm] [-- ARGS...]
#   --no-vm   refuse the VM: the host's run and its error (make run VM=no)
# A --json FILE in ARGS is the run's JSON here either way (in the VM:
# tests/vm/run.sh --json-out, whose "vm" object names the image).  The last
# line says where it ran and on which kernel.  Exit code: arena-stress's own
# (0 1 2 3 4), or the VM runner's (10 crash, 11 hang, 12 no boot, 13 no
# result; tests/vm/run.sh --help).
# AS_RUN_KERNEL_PKG: another kernel for the VM (a tests/vm/run.sh --kernel-pkg
# glob); default the newest Debian package 'linux-image-?.*-cloud-amd64'.
set -u
cd "$(dirname "$0")/../.." || exit 2
vm=yes
[ "${1:-}" = --no-vm ] && { vm=no; shift; }
[ "${1:-}" = -- ] && shift
list=$(./arena-stress --list 2>&1)
if grep -qE '^[a-z-]+ +runs ' <<<"$list" || [ $vm = no ]; then
	rc=0; ./arena-stress "$@" || rc=$?
	if [ $rc -eq 2 ] && ! grep -qE '^[a-z-]+ +runs ' <<<"$list"; then
		echo "make run: without VM=no, make run runs it in a VM on Debian's newest cloud kernel" >&2
	elif [ $rc -ne 2 ] && ! grep -qE -- ' (-h|--help|-V|--version|-l|--list) ' <<<" $* "; then
		echo "ran on the host: kernel $(uname -r)"
	fi
	exit $rc
fi
why=$(sed -n 's/^reason: //p' <<<"$list" | head -1)
why=${why%% (*}
pkg=${AS_RUN_KERNEL_PKG:-'linux-image-?.*-cloud-amd64'}
name=$(bash scripts/debian-fetch.sh list "$pkg") || {
	echo "make run: this host refuses BPF arena maps ($why), and no Debian kernel package matches '$pkg' to run it in a VM" >&2
	exit 2
}
echo "host refuses BPF arena maps ($why): running in a VM on $name (make run VM=no to refuse)"
# the VM runner's needs: the static build, qemu and busybox-static
"${MAKE:-make}" -s static >/dev/null || exit 2
command -v qemu-system-x86_64 >/dev/null && [ -f /usr/share/doc/busybox-static/copyright ] ||
	bash scripts/vm-deps.sh || exit 2
args=() json=
while [ $# -gt 0 ]; do
	case $1 in
	-j|--json) json=${2:-}; shift 2 || shift ;;
	--json=*) json=${1#--json=}; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
t=$(mktemp -d /tmp/as-make-run.XXXXXX) || exit 2
trap 'rm -rf "$t"' EXIT
out=$t/r.json
[ -n "$json" ] && [ "$json" != - ] && out=$json
rc=0
bash tests/vm/run.sh --kernel-pkg "$name" --json-out "$out" -- "${args[@]}" || rc=$?
[ "$json" = - ] && [ -s "$out" ] && cat "$out"
python3 - "$out" "$name" <<'PY' || echo "ran in a VM on $name"
import json, sys
d = json.load(open(sys.argv[1])); v = d.get('vm', {})
print('ran in a VM: kernel %s (Debian package %s), qemu %s %s' % (d.get('kernel'), sys.argv[2], v.get('qemu'),
      v.get('accel') + (' thread=%s' % v['tcg_thread'] if v.get('tcg_thread') else '')))
PY
exit $rc
