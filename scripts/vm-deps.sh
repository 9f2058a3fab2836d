#!/bin/bash
# What the VM runner needs on top of scripts/deps.sh: qemu, a static busybox
# for the initramfs, and the static libraries for 'make static'.  Idempotent.
# qemu: 8 or newer, from bookworm-backports on Debian 12 (qemu 10), where the
# system's is older: bookworm's qemu 7.2 with multi-threaded TCG crashed
# kernel text patching (sched_ext, fentry: "Oops: int3", issue 30).  Without
# a newer qemu the runner falls back to single-threaded TCG (slower).
set -euo pipefail
qemu_major() { qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\)\..*/\1/p'; }
need=() target=()
qv=$(qemu_major)
[ -n "$qv" ] && [ "$qv" -ge 8 ] || need+=(qemu-system-x86)
[ -f /usr/share/doc/busybox-static/copyright ] || need+=(busybox-static)
[ -f /usr/lib/x86_64-linux-gnu/libzstd.a ] || need+=(libzstd-dev)
command -v cpio >/dev/null || need+=(cpio)
command -v setpriv >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && { echo "vm-deps: all present (qemu $qv)"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "vm-deps: missing ${need[*]}; run as root" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# the newest qemu a configured suite offers, when the default one is older than 8
if [[ " ${need[*]} " == *" qemu-system-x86 "* ]]; then
	for suite in bookworm-backports; do
		v=$(apt-cache policy qemu-system-x86 | awk -v s="$suite" 'NF <= 3 && /^ +(\*\*\* )?[0-9]/ {ver=$1 == "***" ? $2 : $1}
			$0 ~ " "s"/" {print ver; exit}')
		[ -n "$v" ] && [ "$(sed 's/^[0-9]*://; s/[.].*//' <<<"$v")" -ge 8 ] && target=(-t "$suite") && break
	done
	if [ ${#target[@]} -eq 0 ] && [ -n "$qv" ]; then	# keep the installed one
		echo "vm-deps: no qemu >= 8 offered (enable bookworm-backports): the runner uses single-threaded TCG" >&2
		need=("${need[@]/qemu-system-x86/}")
	fi
fi
need=($(printf '%s\n' "${need[@]}" | grep .)) || true
[ ${#need[@]} -eq 0 ] && { echo "vm-deps: all present (qemu $qv)"; exit 0; }
apt-get install -y -qq --no-install-recommends "${target[@]}" "${need[@]}" >/dev/null
echo "vm-deps: installed ${need[*]}${target[*]:+ (${target[*]})}; qemu $(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')"
