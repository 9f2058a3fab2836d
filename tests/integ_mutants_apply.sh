#!/bin/bash
# The mutation harness's edits still fit the source they target: the fix
# series applies to Debian's newest linux-source-7.x, and every mutant and
# negative control applies over it exactly once (tests/kernel/mutate.py
# refuses an edit whose old text moved).  Seconds once the source is cached;
# the first run fetches and unpacks it.  A mutant with no header, or one that
# changes nothing, fails too.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "no python3"
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get download of the kernel source)"
src=$(bash scripts/ksrc.sh 2>"$TMP/err") || skip "no kernel source: $(tail -1 "$TMP/err")"
t=$TMP/tree
files=$( { grep -h '^+++ ' findings/fix/0*.patch | awk '{print $2}' | sed 's|^[ab]/||'
	  python3 tests/kernel/mutate.py files tests/kernel/mutants/*.mut; } | sort -u)
# files the series creates (its selftest) stay out, whatever the tree holds
# (tests/selftests/run.sh installs the selftest into it)
new=$(grep -h -A1 '^--- /dev/null' findings/fix/0*.patch | sed -n 's|^+++ b/||p')
for f in $files; do
	grep -qxF "$f" <<<"$new" && continue
	mkdir -p "$(dirname "$t/$f")"; cp "$src/$f" "$t/$f"
done
# build.sh keeps pristine copies: compare, so a tree left edited is noticed
ver=$(make -s -C "$src" kernelversion)
pr=$(dirname "$src")/pristine-$ver
for f in $files; do
	[ -f "$pr/$f" ] && { cmp -s "$pr/$f" "$src/$f" || echo "note: $f differs from build.sh's pristine copy"; }
done
for p in findings/fix/0*.patch; do
	check "$(basename "$p") applies to $(basename "$src") $ver" patch -d "$t" -p1 -s --dry-run -i "$PWD/$p"
	patch -d "$t" -p1 -s -i "$PWD/$p" >/dev/null 2>&1
done
n=0
for m in tests/kernel/mutants/*.mut; do
	check "$(basename "$m" .mut) applies over the fixed source" python3 tests/kernel/mutate.py check "$m" "$t"
	n=$((n + 1))
done
nm=$(grep -l '^# kind: mutant' tests/kernel/mutants/*.mut | wc -l)
nc=$(grep -l '^# kind: control' tests/kernel/mutants/*.mut | wc -l)
check "mutants and controls both present ($nm mutants, $nc controls)" [ "$nm" -gt 0 -a "$nc" -gt 0 ]
# the applier itself refuses a pattern that is not there
printf '# kind: mutant\nfile: kernel/bpf/arena.c\n@@ old\nno such line in arena.c\n@@ new\nx\n@@ end\n' >"$TMP/bad.mut"
check "an edit whose old text is gone is refused" bash -c "! python3 tests/kernel/mutate.py check '$TMP/bad.mut' '$t' 2>/dev/null"
echo "note: $n edits apply to $ver"
done_test
