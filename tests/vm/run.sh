#!/bin/bash
# Run arena-stress inside a throwaway VM, so a kernel crash never takes the
# host down and other kernels can be tested.
#
# usage: tests/vm/run.sh [--kernel BZIMAGE | --kernel-pkg 'linux-image-6.12.*-cloud-amd64']
#                        [--timeout SEC] [--json-out FILE] [--console-out FILE] -- ARENA-STRESS-ARGS...
#        tests/vm/run.sh --plain PROGRAM [--kernel ...] [--timeout SEC] -- ARGS...
#   --kconfig FILE   the kernel's .config, as /boot/config-$(uname -r) in the
#                    guest (libbpf reads it for __kconfig externs)
#
# Builds an initramfs (busybox-static, ./arena-stress-static, an /init that
# mounts proc, sys, devtmpfs, debugfs and bpffs, runs arena-stress with the
# given arguments, prints its output, JSON report and kernel log, and powers
# off), boots it with qemu (-accel tcg; AS_VM_ACCEL=kvm where KVM works; 2 vCPUs,
# AS_VM_SMP=N for another count) under a hard timeout.  --plain runs another static PROGRAM instead, as /its-own-name
# ARGS (no --json: test_progs, say, which takes a '-' in its name for a
# flavour directory).  Exit code: arena-stress's own (0 1 2 3 4), or
#   10 the kernel panicked / oopsed before arena-stress finished
#   11 no result before the timeout (hang)
#   12 the kernel did not boot to /init
# Kernel packages (Debian 6.12 from bookworm, 7.x from trixie-backports/sid)
# are fetched by scripts/debian-fetch.sh and cached in $AS_VM_CACHE (default
# ~/.cache/arena-stress).
set -u
cd "$(dirname "$0")/../.." || exit 2
KERNEL= PKG= TIMEOUT=300 JSON_OUT= CONSOLE_OUT= PLAIN= KCONFIG=
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--kernel-pkg) PKG=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--json-out) JSON_OUT=$2; shift 2 ;;
	--console-out) CONSOLE_OUT=$2; shift 2 ;;
	--plain) PLAIN=$2; shift 2 ;;
	--kconfig) KCONFIG=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "vm: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
	esac
done
[ -n "$KERNEL" ] || [ -n "$PKG" ] || PKG='linux-image-6.12.*-cloud-amd64'
BIN=${PLAIN:-${AS_VM_BIN:-arena-stress-static}}
[ -x "$BIN" ] || { echo "vm: build it first: make static" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "vm: no qemu: make vm-deps" >&2; exit 2; }
[ -f /usr/share/doc/busybox-static/copyright ] || { echo "vm: no busybox-static: make vm-deps" >&2; exit 2; }

# ---- the kernel ----
if [ -z "$KERNEL" ]; then
	mkdir -p "$CACHE"
	# newest package whose name matches the glob, from any suite the project
	# uses (bookworm, -security, -backports, trixie-backports, sid), through a
	# private apt configuration (scripts/debian-fetch.sh)
	name=$(bash scripts/debian-fetch.sh list "$PKG")
	[ -n "$name" ] || { echo "vm: no package matches '$PKG'" >&2; exit 2; }
	KERNEL=$CACHE/$name.vmlinuz
	if [ ! -s "$KERNEL" ]; then
		echo "vm: fetching $name" >&2
		d=$(mktemp -d)
		vmlinuz=
		# 7.x: linux-image-* is a meta package; the image is in linux-binary-*
		for pkg in "$name" "${name/linux-image-/linux-binary-}"; do
			bash scripts/debian-fetch.sh get "$pkg" "$d" >/dev/null 2>&1 || continue
			dpkg-deb -x "$d"/"${pkg}"_*.deb "$d/x"
			vmlinuz=$(find "$d/x" \( -path '*/boot/vmlinuz-*' -o -path '*/lib/modules/*/vmlinuz' \) | head -1)
			[ -n "$vmlinuz" ] && break
		done
		[ -n "$vmlinuz" ] || { echo "vm: no vmlinuz in $name" >&2; rm -rf "$d"; exit 2; }
		cp "$vmlinuz" "$KERNEL"
		rm -rf "$d"
	fi
fi
[ -s "$KERNEL" ] || { echo "vm: kernel '$KERNEL' not found" >&2; exit 2; }

# ---- the initramfs ----
work=$(mktemp -d /tmp/as-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
if [ -n "$PLAIN" ]; then
	prog=$(basename "$PLAIN")
	# onto the console as it goes too: a program the kernel wedges still
	# shows what it did before (the hang report below prints it)
	run="{ /$prog$(printf ' %q' "$@"); echo \$? >/tmp/rc; } 2>&1 | tee /dev/console"
else
	prog=arena-stress
	run="/arena-stress$(printf ' %q' "$@") --json /tmp/r.json"
fi
cp "$BIN" "$root/$prog"
[ -n "$KCONFIG" ] && cp "$KCONFIG" "$root/kconfig"
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
[ -f /kconfig ] && mkdir -p /boot && cp /kconfig /boot/config-\$(uname -r)
echo "AS-VM-START \$(uname -r) \$(nproc) cpus"
cd /tmp
$run >/tmp/out 2>&1
rc=\$?
[ -f /tmp/rc ] && rc=\$(cat /tmp/rc) || cat /tmp/out
echo AS-VM-JSON-BEGIN
cat /tmp/r.json 2>/dev/null
echo AS-VM-JSON-END
echo "AS-VM-EXIT=\$rc"
echo AS-VM-KLOG-BEGIN
# every splat with its context (page dump, stack): from the first one on
dmesg | sed -n '/BUG\|WARNING\|Oops\|Bad page\|rss-counter\|bad pmd\|corruption\|blocked for more\|Kernel panic\|KASAN\|UBSAN/,\$p' | head -400
echo AS-VM-KLOG-END
sync
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd"

# ---- boot ----
# TCG by default: the KVM of the machines here cannot run stock kernels.
# Where KVM works: AS_VM_ACCEL=kvm.
accel=${AS_VM_ACCEL:-tcg}
console=$work/console
start=$(date +%s)
# no_timer_check: a starved TCG guest otherwise can fail its IO-APIC timer
# check and panic at boot.  A kernel that dies before /init says nothing
# about the arena: try once more.
for attempt in 1 2; do
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$accel" -cpu max -smp "${AS_VM_SMP:-2}" -m 2G -nographic -no-reboot \
		-kernel "$KERNEL" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init loglevel=4 no_timer_check" >"$console" 2>&1 </dev/null
	qrc=$?
	grep -q 'AS-VM-START' "$console" && break
	[ $attempt = 1 ] && echo "vm: kernel did not reach /init (qemu exit $qrc); booting again" >&2
done
took=$(( $(date +%s) - start ))
[ -n "$CONSOLE_OUT" ] && cp "$console" "$CONSOLE_OUT"
tr -d '\r' <"$console" >"$console.txt"

kernel_name=$(basename "$KERNEL")
if grep -q '^AS-VM-EXIT=' "$console.txt"; then
	rc=$(sed -n 's/^AS-VM-EXIT=//p' "$console.txt" | tail -1)
	sed -n '/AS-VM-START/,/^AS-VM-JSON-BEGIN/p' "$console.txt" | grep -v '^AS-VM-JSON-BEGIN' | sed 's/.*AS-VM-START/AS-VM-START/'
	[ -n "$JSON_OUT" ] && sed -n '/^AS-VM-JSON-BEGIN/,/^AS-VM-JSON-END/p' "$console.txt" | sed '1d;$d' >"$JSON_OUT"
	klog=$(sed -n '/^AS-VM-KLOG-BEGIN/,/^AS-VM-KLOG-END/p' "$console.txt" | sed '1d;$d')
	[ -n "$klog" ] && printf 'vm: kernel log:\n%s\n' "$klog"
	echo "vm: $kernel_name: $prog exit $rc (${took}s)"
	exit "$rc"
fi
splat=$(grep -m 20 -E 'Kernel panic|Oops|BUG:|general protection|KASAN' "$console.txt")
if [ -n "$splat" ]; then
	printf 'vm: %s: kernel crashed (%ss):\n%s\n' "$kernel_name" "$took" "$splat"
	exit 10
fi
if ! grep -q 'AS-VM-START' "$console.txt"; then
	printf 'vm: %s: did not boot to /init (qemu exit %s, %ss); console tail:\n' "$kernel_name" "$qrc" "$took"
	tail -15 "$console.txt"
	exit 12
fi
if [ -n "$PLAIN" ]; then	# what the program printed before it hung
	printf 'vm: %s: no result within %ss (hang); console:\n' "$kernel_name" "$TIMEOUT"
	sed -n '/AS-VM-START/,$p' "$console.txt"
else
	printf 'vm: %s: no result within %ss (hang); console tail:\n' "$kernel_name" "$TIMEOUT"
	tail -15 "$console.txt"
fi
exit 11
