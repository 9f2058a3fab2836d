#!/bin/bash
# dofork in a Debian 6.12 VM (it can crash a kernel): MADV_DOFORK lets a
# forked child inherit the arena VMA, and frees never zap the child's PTEs.
# On a kernel with the bug the tool reports the accepted MADV_DOFORK
# (contract) and the child's stale reads (stale-free-mapping); a kernel crash
# inside the VM is the use-after-free it sets up, reported as a finding; a
# kernel that refuses MADV_DOFORK says so in the note.
. "$(dirname "$0")/lib.sh"
needs_vm
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- --unsafe -s dofork -d 10 >"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^dofork|^note" "$TMP/out"
vm_result $rc dofork
outcome $rc "$TMP/vm.json" "*"
s='d["scenarios"][0]'
n=$(json "$TMP/vm.json" "$s['counters']['contract_checks']")
check "MADV_DOFORK was tried ($n)" [ "$n" -gt 0 ]
note=$(json "$TMP/vm.json" "$s.get('note', '')")
if grep -q "refuses MADV_DOFORK" <<<"$note"; then
	echo "note: $(json "$TMP/vm.json" 'd["kernel"]'): $note"
	check "a refusing kernel forks no child with the arena" \
		[ "$(json "$TMP/vm.json" "$s['counters']['child']")" = 0 ]
	check "and no kept violation is a child's stale read" [ "$(json "$TMP/vm.json" \
		"any('MADV_DOFORK' in v['classification'] for v in $s['violations'])")" = False ]
else
	check "the accepted MADV_DOFORK is reported as a contract violation" \
		[ "$(json "$TMP/vm.json" "$s['by_kind'].get('contract', 0)")" -ge 1 ]
	n=$(json "$TMP/vm.json" "$s['counters']['child']")
	check "children inherited the arena ($n)" [ "$n" -gt 2 ]
	n=$(json "$TMP/vm.json" "$s['by_kind'].get('stale-free-mapping', 0)")
	echo "note: $(json "$TMP/vm.json" 'd["kernel"]'): children read $n freed pages; kinds $(json "$TMP/vm.json" "$s['by_kind']")"
fi
done_test
