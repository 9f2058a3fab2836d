#!/bin/bash
# Build the small VM kernels of the mutation harness from Debian's newest
# linux-source-7.x: tinyconfig + base.config (+ debug.config with --debug,
# scx.config with --scx).
#
# usage: tests/kernel/build.sh [--cached] [--debug] [--scx] VARIANT...
#   --cached      build nothing: print the variants already built, exit 3
#                 when one is not (tests use it: no kernel build in make check)
#   asis          the source as Debian ships it
#   fixed         + findings/fix/0*.patch (the project's fix): the clean base
#   NAME          + tests/kernel/mutants/NAME.mut over the fixed source
# AS_KSRC_PKG=linux-source-6.12 builds that source instead, asis or fixed
# with the stable backport (findings/fix/6.12/0*.patch); no mutants there.
# Prints one line per variant: VARIANT PATH-TO-BZIMAGE.
#
# One build tree per config; a variant only recompiles the files its edits
# touch (about a minute), and a bzImage is cached under a hash of the config,
# the patches and the edit, so an unchanged variant costs nothing.  Every
# touched file is restored from a pristine copy before the next variant, so
# the tree never carries one variant's edit into another.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
OUT=$CACHE/kernels
debug= scx= cached_only=
[ "${1:-}" = --cached ] && { cached_only=1; shift; }
[ "${1:-}" = --debug ] && { debug=1; shift; }
[ "${1:-}" = --scx ] && { scx=1; shift; }	# + scx.config: sched_ext and ORC (the scratch scenario)
[ $# -gt 0 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
missing=
for t in gcc make flex bison bc pahole cpio python3; do command -v $t >/dev/null || missing="$missing $t"; done
[ -f /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
[ -f /usr/include/libelf.h ] || missing="$missing libelf-dev"
[ -z "$missing" ] || { echo "kbuild: missing:$missing (apt-get install build-essential flex bison bc libssl-dev libelf-dev dwarves cpio)" >&2; exit 2; }

src=$(bash "$top/scripts/ksrc.sh" ${AS_KSRC_PKG:+"$AS_KSRC_PKG"})
ver=$(make -s -C "$src" kernelversion)
series=$top/findings/fix
case $ver in 7.*) ;; *) series=$top/findings/fix/${ver%.*} ;; esac	# 6.12.x: the backport
cfgname=small${debug:+-debug}${scx:+-scx}
b=$(dirname "$src")/build-$ver-$cfgname
pristine=$(dirname "$src")/pristine-$ver
mkdir -p "$OUT" "$pristine"
# the kernel patches of the series (its selftest patch builds nothing here)
mapfile -t patches < <(grep -l '^+++ b/\(kernel\|mm\)/' "$series"/0*.patch)
[ ${#patches[@]} -gt 0 ] || { echo "kbuild: no fix series for $ver ($series)" >&2; exit 2; }
# image VARIANT: sets edits (the patches and .mut of the variant) and img (its
# cached bzImage's path, keyed on the config and the edits themselves: a .mut's
# '#' header is prose, and so is a patch's message and its notes below '---')
image() {
	edits=()
	case $1 in
	asis) ;;
	fixed) edits=("${patches[@]}") ;;
	*)
		[ "$series" = "$top/findings/fix" ] || { echo "kbuild: mutants are for the 7.x source only" >&2; exit 2; }
		mut=$here/mutants/$1.mut
		[ -f "$mut" ] || { echo "kbuild: no variant '$1' (asis, fixed, or a name in tests/kernel/mutants/)" >&2; exit 2; }
		edits=("${patches[@]}" "$mut") ;;
	esac
	key=$( { cat "$b/.config"; for e in "${edits[@]}"; do
		case $e in *.mut) grep -v '^#' "$e" ;; *) sed -n '/^diff --git /,$p' "$e" ;; esac; done; } |
		sha256sum | cut -c1-12)
	img=$OUT/bzImage-$ver-$cfgname-$1-$key
}
config_stale() {
	[ ! -f "$b/.config" ] || [ "$here/base.config" -nt "$b/.config" ] ||
	{ [ -n "$debug" ] && [ "$here/debug.config" -nt "$b/.config" ]; } ||
	{ [ -n "$scx" ] && [ "$here/scx.config" -nt "$b/.config" ]; }
}
# every image cached already: no lock (another helper's build may hold it for minutes)
if ! config_stale; then
	cached=1 lines=()
	for variant in "$@"; do
		image "$variant"
		[ -s "$img" ] || { cached=0; break; }
		lines+=("$variant $img")
	done
	[ $cached = 1 ] && { printf '%s\n' "${lines[@]}"; exit 0; }
fi
if [ -n "$cached_only" ]; then
	echo "kbuild: not built: $* (${cfgname}; tests/kernel/build.sh ${debug:+--debug }${scx:+--scx }$*)" >&2
	exit 3
fi
# one build at a time per source: every variant edits the shared source tree in
# place (and restores it), so two at once would compile each other's edits
exec 9>"$(dirname "$src")/.build-lock"
flock 9
mk() { make -s -C "$src" O="$b" -j"$(nproc)" "$@"; }

# files any variant may touch: kept pristine, restored before each variant
touched() {
	grep -h '^+++ ' "${patches[@]}" | awk '{print $2}' | sed 's|^[ab]/||'
	python3 "$here/mutate.py" files "$here"/mutants/*.mut
}
for f in $(touched | sort -u); do
	[ -f "$pristine/$f" ] || { mkdir -p "$(dirname "$pristine/$f")"; cp -p "$src/$f" "$pristine/$f"; }
done
restore() {
	for f in $(touched | sort -u); do
		cmp -s "$pristine/$f" "$src/$f" || cp "$pristine/$f" "$src/$f"
	done
}

if config_stale; then
	mkdir -p "$b"
	mk tinyconfig >/dev/null
	frags=("$here/base.config")
	[ -n "$debug" ] && frags+=("$here/debug.config")
	[ -n "$scx" ] && frags+=("$here/scx.config")
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" "${frags[@]}" >/dev/null)
	mk olddefconfig >/dev/null
	# every line of the fragments must have survived (a dependency missing
	# would silently drop an option the tool needs)
	# (a later fragment's line overrides an earlier one's)
	bad=$(grep -h '^CONFIG_' "${frags[@]}" | awk -F= '{v[$1] = $2} END {for (k in v) print k "=" v[k]}' |
	      while IFS== read -r k v; do
		if [ "$v" = n ]; then if grep -q "^$k=" "$b/.config"; then echo "$k"; fi
		elif ! grep -qx "$k=$v" "$b/.config"; then echo "$k=$v"; fi; done)
	[ -z "$bad" ] || { echo "kbuild: olddefconfig dropped:" $bad >&2; rm -f "$b/.config"; exit 2; }
fi

for variant in "$@"; do
	restore
	image "$variant"
	if [ ! -s "$img" ]; then
		for e in "${edits[@]}"; do
			case $e in
			*.patch) patch -d "$src" -p1 -s --no-backup-if-mismatch <"$e" ||
				{ echo "kbuild: $(basename "$e") does not apply to $ver" >&2; restore; exit 2; } ;;
			*.mut) python3 "$here/mutate.py" apply "$e" "$src" || { restore; exit 2; } ;;
			esac
		done
		echo "kbuild: $ver $cfgname $variant" >&2
		start=$(date +%s)
		mk bzImage || { restore; echo "kbuild: build of $variant failed" >&2; exit 2; }
		cp "$b/arch/x86/boot/bzImage" "$img.tmp" && mv "$img.tmp" "$img"
		echo "kbuild: $variant built in $(( $(date +%s) - start )) s" >&2
	fi
	echo "$variant $img"
done
restore
