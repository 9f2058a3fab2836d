#!/bin/bash
# Regenerate 0004-selftests-bpf-add-arena_fault_free.patch from the pair in
# tests/selftests/ (the source of truth) and its message (selftest-message.txt),
# as a git format-patch that adds the two files to tools/testing/selftests/bpf.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
st=tools/testing/selftests/bpf
mkdir -p "$t/$st/progs" "$t/$st/prog_tests"
git -C "$t" init -q
git -C "$t" -c user.name=base -c user.email=base@invalid commit -q --allow-empty -m base
cp "$top/tests/selftests/progs/arena_fault_free.c" "$t/$st/progs/"
cp "$top/tests/selftests/prog_tests/arena_fault_free.c" "$t/$st/prog_tests/"
git -C "$t" add -A
git -C "$t" -c user.name=arena-stress -c user.email=arena-stress@invalid commit -q -F "$here/selftest-message.txt"
git -C "$t" format-patch -q --start-number 4 -o "$t/out" HEAD~1
# keep the date stable where nothing changed
new=$(ls "$t"/out/0004-*.patch)
old="$here/$(basename "$new")"
if [ -f "$old" ] && diff -q <(sed '1d;/^Date:/d' "$old") <(sed '1d;/^Date:/d' "$new") >/dev/null; then
	echo "selftest patch: unchanged"
else
	cp "$new" "$old"; echo "selftest patch: written $(basename "$new")"
fi
