#!/bin/bash
# Known causes, end to end: multi-process and contract on Debian's 6.16
# cloud kernel ($AS_VM_CAUSES_PKG), which lacks 4fddde2a732d ("bpf: Fix
# use-after-free in arena_vm_close on fork": VM_DONTCOPY and .may_split on
# the arena VMA).  Its children inherit the arena VMA and it splits the VMA;
# the JSON names that fix as the cause of each such violation, counts every
# violation under a cause, and the result line says what is known.
. "$(dirname "$0")/lib.sh"
needs_vm
pkg=${AS_VM_CAUSES_PKG:-'linux-image-6.16.*-cloud-amd64'}
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- --unsafe -s multi-process,contract -d 8 >"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^result:|^  [a-z-]+ +[0-9]+  " "$TMP/out"
vm_result $rc "multi-process,contract"
up='upstream 4fddde2a732d'
for i in 0 1; do
	s="d['scenarios'][$i]"
	name=$(json "$TMP/vm.json" "$s['name']")
	# the messages say what the kernel did; each such one is the fix's
	n=$(json "$TMP/vm.json" "len([v for v in $s['violations'] if 'inherited the arena VMA across fork' in v['saw']
		or 'the kernel split the arena VMA' in v['saw']])")
	check "$name: the kernel's inherited or split VMA reported ($n kept)" [ "$n" -gt 0 ]
	check "$name: each of those has the fix as its cause" [ "$(json "$TMP/vm.json" "all(
		isinstance(v['cause'], dict) and v['cause']['id'] == '$up' and v['cause']['fixed_in'] == '7.1'
		and '6.18.30' in v['cause']['stable'] for v in $s['violations']
		if 'inherited the arena VMA across fork' in v['saw'] or 'the kernel split the arena VMA' in v['saw'])")" = True ]
	check "$name: every kept violation has a cause (or \"new\")" [ "$(json "$TMP/vm.json" "all(
		v['cause'] == 'new' or isinstance(v['cause'], dict) and v['cause']['id'] for v in $s['violations']
		if v['kind'] != 'tool-stuck')")" = True ]
	check "$name: every violation counted under one cause" [ "$(json "$TMP/vm.json" \
		"sum($s['by_cause'].values()) == $s['violations_total'] - $s['by_kind'].get('tool-stuck', 0)")" = True ]
done
line=$(grep '^result:' "$TMP/out" | tail -1)
check "the result line names the fix as known: $line" grep -q "known: .*$up.*(exit $rc)\$" <<<"$line"
if [ "$(json "$TMP/vm.json" "d['all_known']")" = True ]; then
	check "all known: said so" grep -q "(all known: " <<<"$line"
else
	check "some new: counted" grep -qE "\([0-9]+ new; known: " <<<"$line"
fi
check "the table's causes lines" grep -q "^causes (findings/causes.tsv):" "$TMP/out"
done_test
