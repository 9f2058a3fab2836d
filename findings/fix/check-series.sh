#!/bin/bash
# The fix series as upstream would take it: `git am` applies it to Debian's
# newest linux-source-7.x (a throwaway repository of the files it touches,
# as shipped), and scripts/checkpatch.pl from that tree reports on it.
# Prints both; exit 0 when git am applies every patch and checkpatch --strict reports
# nothing but the Signed-off-by placeholder (and, with --no-tree, the
# Fixes: id it cannot look up without the kernel's git history).
# usage: findings/fix/check-series.sh > findings/fix/checkpatch.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
src=$(bash "$top/scripts/ksrc.sh") || exit 2
ver=$(make -s -C "$src" kernelversion)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pristine=$(dirname "$src")/pristine-$ver
ok=1
echo "# $(date -u +%F): the series against Debian $(basename "$src") $ver"
# files the series creates (--- /dev/null) stay out of the base, whatever a
# tree holds (tests/selftests/run.sh installs the selftest into it)
new=$(grep -h -A1 '^--- /dev/null' "$here"/0*.patch | sed -n 's|^+++ b/||p')
for f in $(grep -h '^+++ ' "$here"/0*.patch | awk '{print $2}' | sed 's|^[ab]/||' | sort -u); do
	grep -qxF "$f" <<<"$new" && continue
	mkdir -p "$t/$(dirname "$f")"
	if [ -f "$pristine/$f" ]; then cp "$pristine/$f" "$t/$f"; else cp "$src/$f" "$t/$f"; fi
done
git -C "$t" init -q && git -C "$t" add -A &&
	git -C "$t" -c user.name=base -c user.email=base@invalid commit -qm "linux-source $ver as shipped"
for p in "$here"/0*.patch; do
	if git -C "$t" -c user.name=x -c user.email=x@invalid am -q "$p" >/dev/null 2>&1; then
		echo "git am: $(basename "$p"): applies"
	else
		echo "git am: $(basename "$p"): DOES NOT APPLY"; ok=0
		git -C "$t" am --abort >/dev/null 2>&1
	fi
done
for p in "$here"/0*.patch; do
	echo "checkpatch: $(basename "$p"):"
	out=$(perl "$src/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1)
	sed -n '/^\(ERROR\|WARNING\|CHECK\)/,/^$/p; /^total:/p' <<<"$out" | sed 's/^/  /'
	# anything but the placeholder and the unverifiable id is a finding
	# and, for the selftest's new files, MAINTAINERS: its BPF entry has
	# F: tools/testing/selftests/bpf/ already
	rest=$(grep -E '^(ERROR|WARNING|CHECK)' <<<"$out" | grep -v "Missing Signed-off-by" |
	       grep -v "Unknown commit id" |
	       { if grep -q '^+++ b/tools/testing/selftests/bpf/' "$p" && grep -q '^F:[[:space:]]*tools/testing/selftests/bpf/$' "$src/MAINTAINERS"
		 then grep -v "does MAINTAINERS need updating"; else cat; fi; })
	[ -z "$rest" ] || ok=0
done
[ $ok = 1 ] && echo "result: applies with git am; checkpatch: only the Signed-off-by placeholder (and the Fixes: id, --no-tree; MAINTAINERS for the selftest's new files, which the BPF entry covers)"
[ $ok = 1 ]
