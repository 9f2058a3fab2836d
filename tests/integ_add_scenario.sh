#!/bin/bash
# docs/layout.md's "Adding a scenario" holds: its example, dropped into a copy of the
# tree as one file plus one table row, builds, is listed, and runs on the
# real kernel through the engine (the sweeps ran; the user thread read).
. "$(dirname "$0")/lib.sh"
command -v clang-19 >/dev/null || skip "no toolchain (make deps)"
t=$TMP/tree
mkdir -p "$t"
git ls-files -z | xargs -0 cp --parents -t "$t"
python3 - "$t" <<'PY'
import re, sys
t = sys.argv[1]
readme = open('docs/layout.md').read()
sec = readme[readme.index('## Adding a scenario'):]
code = re.search(r'```c\n// stress/peek.c\n(.*?)```', sec, re.S).group(1)
open(t + '/stress/peek.c', 'w').write(code)
row = re.search(r'the row `(X\(\w+\))`', sec).group(1)
p = t + '/stress/scenarios.c'
s = open(p).read()
# after the table's last row (the one without a continuation backslash)
s = re.sub(r'\t(X\(\w+\))\n', lambda m: '\t' + m.group(1) + ' \\\n\t' + row + '\n', s, count=1)
open(p, 'w').write(s)
PY
build() { make -s -C "$t" arena-stress OUT=build >"$TMP/build" 2>&1 || { cat "$TMP/build"; return 1; }; }
check "the example scenario builds with one file and one row" build
[ -x "$t/arena-stress" ] || done_test
check "--list shows it" grep -q "^peek " <("$t/arena-stress" --list)
check "it is the only change to the table" [ "$(diff "$t/stress/scenarios.c" stress/scenarios.c | grep -c '^<')" -le 2 ]
if [ "$(id -u)" -eq 0 ] && $AS --list | grep -q '^fault-free *runs'; then
	"$t/arena-stress" -s peek -d 1 --json "$TMP/p.json" >"$TMP/out" 2>&1
	rc=$?
	check "it runs (exit 0 or 1, got $rc)" [ $rc -le 1 ]
	n=$(json "$TMP/p.json" 'd["scenarios"][0]["counters"]["user_read"] + d["scenarios"][0]["counters"]["user_segv"]')
	check "its worker read arena pages ($n)" [ "$n" -gt 100 ]
	n=$(json "$TMP/p.json" 'd["scenarios"][0]["counters"]["sweep"]')
	check "the engine swept while it ran ($n)" [ "$n" -ge 3 ]
else
	echo "note: not run (needs root and a BPF arena)"
fi
done_test
