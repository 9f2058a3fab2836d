#!/bin/bash
# Build Debian's newest linux-source-7.x twice with one config (x86_64
# defconfig + kernel.config: BPF arena, BTF, io_uring, tracing, KASAN,
# DEBUG_VM, PAGE_TABLE_CHECK, lockdep): once as shipped, once with the fix
# patches in this directory.  Only kernel/bpf/arena.c differs, so the second
# build is incremental.
#
# usage: findings/fix/build-kernel.sh [OUTDIR]     (default ~/.cache/arena-stress/kernels)
# Produces OUTDIR/bzImage-<version>-{asis,fixed}.  ~40 min on 2 CPUs.
# AS_KSRC_PKG=linux-source-6.12 builds that source instead (the default is
# Debian's newest linux-source-7.*); where the patches do not apply, only the
# as-shipped image is built (e.g. a KASAN 6.12 for the dofork use-after-free).
# Needs: build-essential flex bison bc libssl-dev libelf-dev dwarves cpio
#        (apt-get install them; the script says which are missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OUT=${1:-${AS_VM_CACHE:-$HOME/.cache/arena-stress}/kernels}
WORK=${AS_KBUILD:-$HOME/.cache/arena-stress/kbuild}
missing=
for t in gcc make flex bison bc pahole cpio; do command -v $t >/dev/null || missing="$missing $t"; done
[ -f /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
[ -f /usr/include/libelf.h ] || missing="$missing libelf-dev"
[ -z "$missing" ] || { echo "build-kernel: missing:$missing (apt-get install build-essential flex bison bc libssl-dev libelf-dev dwarves cpio)" >&2; exit 2; }
mkdir -p "$OUT" "$WORK"

src=$(bash "$top/scripts/ksrc.sh" "${AS_KSRC_PKG:-linux-source-7.*}")
pkg=$(basename "$src")
cd "$src"
ver=$(make -s kernelversion)
b=$WORK/build-$ver
mk() { make -s O="$b" -j"$(nproc)" "$@"; }

# start from the sources as shipped (a previous run may have left the fix in)
for p in "$here"/0*.patch; do patch -p1 -R -s --dry-run <"$p" >/dev/null 2>&1 && patch -p1 -R -s <"$p"; done
if [ ! -f "$b/.config" ]; then
	mk defconfig
	scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" "$here/kernel.config" >/dev/null
	mk olddefconfig
fi
echo "build-kernel: $pkg ($ver) as shipped -> $OUT/bzImage-$ver-asis"
mk bzImage
cp "$b/arch/x86/boot/bzImage" "$OUT/bzImage-$ver-asis"
for p in "$here"/0*.patch; do
	patch -p1 -s --dry-run <"$p" >/dev/null 2>&1 || { echo "build-kernel: $(basename "$p") does not apply to $pkg: as-shipped image only"; exit 0; }
done
for p in "$here"/0*.patch; do patch -p1 -s <"$p"; done
echo "build-kernel: $pkg ($ver) with $(ls "$here"/0*.patch | wc -l) fix patch(es) -> $OUT/bzImage-$ver-fixed"
mk bzImage
cp "$b/arch/x86/boot/bzImage" "$OUT/bzImage-$ver-fixed"
for p in "$here"/0*.patch; do patch -p1 -R -s <"$p"; done
ls -la "$OUT"/bzImage-"$ver"-*
