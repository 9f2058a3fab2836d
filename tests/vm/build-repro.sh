#!/bin/bash
# Build a --repro reproducer statically, for the VM (tests/vm/run.sh --plain):
#   tests/vm/build-repro.sh DIR             the one in DIR (repro.bpf.c,
#                                           repro.c, Makefile), as --repro wrote it
#   tests/vm/build-repro.sh DIR TEMPLATE    first DIR gets repro/TEMPLATE's files
#                                           as --repro would write them: orphan,
#                                           dofork (repro.bpf.c), reserve, scratch
# Leaves DIR/repro; on failure prints the build's output, exit 1.
set -u
[ $# -ge 1 ] || { echo "usage: $0 DIR [TEMPLATE]" >&2; exit 2; }
d=$1 src=$(cd "$(dirname "$0")/../.." && pwd)/repro
mkdir -p "$d" || exit 2
if [ -n "${2:-}" ]; then
	case $2 in
	orphan|dofork) bpf=repro ;;
	reserve|scratch) bpf=$2 ;;
	*) echo "$0: no template '$2'" >&2; exit 2 ;;
	esac
	cp "$src/Makefile" "$d/" && cp "$src/$bpf.bpf.c" "$d/repro.bpf.c" && cp "$src/$2.c" "$d/repro.c" || exit 2
fi
# the skeleton by the reproducer's own Makefile, the program linked statically
make -s -C "$d" repro.skel.h >"$d/build.log" 2>&1 &&
	${CC:-cc} -O2 -static -I"$d" -o "$d/repro" "$d/repro.c" -lbpf -lelf -lz -lzstd -lpthread >>"$d/build.log" 2>&1 ||
	{ cat "$d/build.log"; exit 1; }
