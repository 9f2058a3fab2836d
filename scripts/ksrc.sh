#!/bin/bash
# Print the path of an unpacked Debian kernel source tree, fetching and
# unpacking it on first use (scripts/debian-fetch.sh; no system apt change).
#
# usage: scripts/ksrc.sh [PACKAGE-GLOB]   (default: Debian's newest linux-source-7.*)
# The tree lives in $AS_KBUILD (default ~/.cache/arena-stress/kbuild).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
WORK=${AS_KBUILD:-$HOME/.cache/arena-stress/kbuild}
mkdir -p "$WORK"
pkg=$(bash "$top/scripts/debian-fetch.sh" list "${1:-linux-source-7.*}")
[ -n "$pkg" ] || { echo "ksrc: no package matches '${1:-linux-source-7.*}'" >&2; exit 2; }
src=$WORK/$pkg
if [ ! -f "$src/Makefile" ]; then
	deb=$(ls "$WORK"/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		bash "$top/scripts/debian-fetch.sh" get "$pkg" "$WORK" >&2
		deb=$(ls "$WORK"/"${pkg}"_*.deb | head -1)
	fi
	rm -rf "$WORK/x" && mkdir -p "$WORK/x"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/x"
	tar -xJf "$WORK"/x/usr/src/"$pkg".tar.xz -C "$WORK"
	rm -rf "$WORK/x"
fi
echo "$src"
