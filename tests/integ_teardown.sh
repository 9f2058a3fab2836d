#!/bin/bash
# teardown: arenas destroyed with their pages allocated give their memory
# back (the leak check against one baseline after a warm-up batch), and the
# check fires when arenas are kept alive (--inject leak keeps their fds open).
# The VM shows it firing through the kernel: the m-teardown-leak mutant.
. "$(dirname "$0")/lib.sh"
# in the VM, Debian's 7.3: the memory measure there (MemTotal - MemFree -
# PageTables) was validated on 7.x, whose arena populates its kernel page
# tables at creation; 6.12 populates them as pages come and vmalloc keeps
# them, which that measure would count against the arenas
export AS_VM_SUITE_PKG=${AS_VM_SUITE_PKG:-'linux-image-7.3.*-cloud-amd64'}
needs_arena vm

$AS -s teardown -d 3 --json "$TMP/t.json" >"$TMP/out" 2>&1; rc=$?
s='d["scenarios"][0]'
n=$(json "$TMP/t.json" "$s['counters']['child']"); check "arenas created, filled and destroyed ($n)" [ "$n" -ge 24 ]
if [ "$AS" = tests/vm/as-vm ] && [ $rc -eq 1 ] && [ "$(json "$TMP/t.json" "list($s['by_kind'])")" = "['leak']" ]; then
	# no memory cgroup in the VM: the measure is MemTotal - MemFree - PageTables,
	# which other activity in the guest moves too: of 7 such runs on 2026-12-05,
	# the 5 on a quiet host were clean and the 2 on a loaded one were not:
	# reported, not failed on, there
	echo "note: in the VM the clean run reported a leak (the guest-wide measure): $(json "$TMP/t.json" "$s['violations'][0]['saw'][:300]")"
else
	check "clean (exit $rc, $(json "$TMP/t.json" "$s['by_kind']"))" [ $rc -eq 0 ]
fi

$AS -s teardown -d 3 --inject leak --json "$TMP/i.json" >"$TMP/out" 2>&1; rc=$?
check "injected: exit 1, or 3 with finding 2 (got $rc)" found_rc $rc "$TMP/i.json"
check "injected: the kept arenas' memory is reported, marked injected" \
	[ "$(json "$TMP/i.json" "any('[injected: kept open]' in v['saw'] and v['kind'] == 'leak' for v in $s['violations'])")" = True ]
done_test
