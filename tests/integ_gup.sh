#!/bin/bash
# gup: process_vm_readv/writev from a second process and O_DIRECT into and
# out of arena pages race BPF frees.  Children ran, real ops are judged,
# nothing but orphaned-PTE divergences appear, the O_DIRECT file is gone
# afterwards, memory comes back.
. "$(dirname "$0")/lib.sh"
needs_arena vm
needs_scenario gup

(cd "$TMP" && AS_DIO_DIR=$TMP "$OLDPWD/$AS" -s gup -d 2 --seed 14 --json "$TMP/g.json") >"$TMP/out" 2>&1; rc=$?
if ! wedged "$TMP/g.json" >/dev/null; then
	n=$(json "$TMP/g.json" 'd["scenarios"][0]["counters"]["child"]')
	check "second processes ran process_vm_readv/writev ($n)" [ "$n" -gt 2 ]
fi
note=$(json "$TMP/g.json" 'd["scenarios"][0].get("note", "")')
[ -n "$note" ] && echo "note: $note"
check "the O_DIRECT file was removed" [ -z "$(ls -A "$TMP" | grep -v '\.json$\|^out$')" ]
kpath_checks $rc "$TMP/g.json" 200
done_test
