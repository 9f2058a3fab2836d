#!/bin/bash
# Install everything arena-stress needs on a Debian 12 (bookworm) machine.
# Idempotent: does nothing when the tools are already there.
#
# bookworm's own libbpf (1.1) predates BPF arena support, so libbpf-dev and
# bpftool come from bookworm-backports; the apt source is added when missing.
set -euo pipefail

have_all() {
	command -v clang-19 >/dev/null && command -v llvm-strip-19 >/dev/null &&
	command -v bpftool >/dev/null && bpftool version >/dev/null 2>&1 &&
	[ -f /usr/include/liburing.h ] && [ -f /usr/include/libelf.h ] &&
	[ -f /usr/include/zlib.h ] && [ -f /usr/include/bpf/libbpf.h ] &&
	pkg-config --atleast-version=1.4 libbpf 2>/dev/null &&
	grep -q BPF_F_SEGV_ON_FAULT /usr/include/linux/bpf.h
}

if have_all; then
	echo "deps: all present (libbpf $(pkg-config --modversion libbpf), $(bpftool version | head -1))"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing build dependencies; run 'sudo make deps'" >&2
	exit 2
fi

export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	# Same URI and keyring as the machine's own bookworm source.
	uri=$(awk '/^URIs:/ && !/security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	key=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	: "${uri:=http://deb.debian.org/debian}"
	: "${key:=/usr/share/keyrings/debian-archive-keyring.gpg}"
	cat >"$src" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: $key
SRC
	echo "deps: added $src"
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	clang-19 llvm-19 make pkg-config liburing-dev libelf-dev zlib1g-dev >/dev/null
apt-get install -y -qq --no-install-recommends -t bookworm-backports \
	libbpf-dev bpftool linux-libc-dev >/dev/null

if ! have_all; then
	echo "deps: install finished but a dependency is still missing" >&2
	exit 2
fi
echo "deps: installed (libbpf $(pkg-config --modversion libbpf), $(bpftool version | head -1))"
