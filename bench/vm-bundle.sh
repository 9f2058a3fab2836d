#!/bin/bash
# bench/vm-bundle.sh OUT SCRIPT [FILE...]: one static "program" for
# tests/vm/run.sh --plain, which copies a single file into the guest: a
# busybox shell script that unpacks SCRIPT and the FILEs (static binaries:
# arena-stress-static, bench/ttd-peer ...) into /bundle, then runs
# /bundle/SCRIPT with its arguments there ($BUNDLE_DIR instead of /bundle).  SCRIPT is a busybox sh script.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUT SCRIPT [FILE...]" >&2; exit 2; }
out=$1 script=$2
shift 2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$script" "$d/$(basename "$script")"
for f in "$@"; do cp "$f" "$d/"; done
tar -C "$d" -czf "$d.tgz" .
# the archive starts right after the header's last line: its byte offset
# is in the header itself, padded so that it does not change its length
hdr='#!/bin/busybox sh
b=${BUNDLE_DIR:-/bundle}
mkdir -p "$b" && tail -c +OFFSET__ "$0" | tar -xzf - -C "$b" || { echo "bundle: cannot unpack" >&2; exit 2; }
cd "$b" && exec /bin/busybox sh ./SCRIPT__ "$@"
exit 2
'
hdr=${hdr//SCRIPT__/$(basename "$script")}
len=$(( ${#hdr} - 8 + 10 ))	# OFFSET__ (8 bytes) replaced by 10 digits
off=$(printf '%010d' $((len + 1)))
printf '%s' "${hdr//OFFSET__/$off}" >"$out"
cat "$d.tgz" >>"$out"
rm -f "$d.tgz"
chmod +x "$out"
