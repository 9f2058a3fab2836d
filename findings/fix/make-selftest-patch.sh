#!/bin/bash
# Regenerate the series' selftest patches from the pairs in tests/selftests/
# (the source of truth) and their messages, each as a git format-patch that
# adds the two files to tools/testing/selftests/bpf:
#   0004 arena_fault_free     (patch 0003's test)  selftest-message.txt
#   0006 arena_reserve_fault  (patch 0001's test)  selftest-message-arena_reserve_fault.txt
#   0007 arena_free_reuse     (patch 0002's test)  selftest-message-arena_free_reuse.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
st=tools/testing/selftests/bpf
while read -r num name msg; do
	r=$t/$name
	mkdir -p "$r/$st/progs" "$r/$st/prog_tests"
	git -C "$r" init -q
	git -C "$r" -c user.name=base -c user.email=base@invalid commit -q --allow-empty -m base
	cp "$top/tests/selftests/progs/$name.c" "$r/$st/progs/"
	cp "$top/tests/selftests/prog_tests/$name.c" "$r/$st/prog_tests/"
	git -C "$r" add -A
	git -C "$r" -c user.name=arena-stress -c user.email=arena-stress@invalid commit -q -F "$here/$msg"
	git -C "$r" format-patch -q --start-number "$num" -o "$r/out" HEAD~1
	# keep the date stable where nothing changed
	new=$(ls "$r"/out/*.patch)
	old="$here/$(basename "$new")"
	if [ -f "$old" ] && diff -q <(sed '1d;/^Date:/d' "$old") <(sed '1d;/^Date:/d' "$new") >/dev/null; then
		echo "selftest patch: unchanged $(basename "$new")"
	else
		cp "$new" "$old"; echo "selftest patch: written $(basename "$new")"
	fi
done <<'LIST'
4 arena_fault_free selftest-message.txt
6 arena_reserve_fault selftest-message-arena_reserve_fault.txt
7 arena_free_reuse selftest-message-arena_free_reuse.txt
LIST
