#!/bin/bash
# What the VM runner needs on top of scripts/deps.sh: qemu, a static busybox
# for the initramfs, and the static libraries for 'make static'.  Idempotent.
set -euo pipefail
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -f /usr/share/doc/busybox-static/copyright ] || need+=(busybox-static)
[ -f /usr/lib/x86_64-linux-gnu/libzstd.a ] || need+=(libzstd-dev)
command -v cpio >/dev/null || need+=(cpio)
[ ${#need[@]} -eq 0 ] && { echo "vm-deps: all present"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "vm-deps: missing ${need[*]}; run as root" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "vm-deps: installed ${need[*]}"
