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
# The measure is the memory cgroup where there is one, else the system's
# MemTotal - MemFree - PageTables, which other activity in the guest moves
# too (of 7 runs in a VM without cgroups on 2026-12-05, the 5 on a quiet host
# were clean and the 2 on a loaded one were not).  Where a memory cgroup must
# exist (the VM once its /init mounts cgroup2) the run must have used it and
# be clean; only without one is a leak report on the clean run a note.
memcg=$(json "$TMP/t.json" "$s['memcg_delta_kb']")
if [ "$memcg" != None ] || { [ "$AS" = tests/vm/as-vm ] && vm_memcg; }; then
	check "a memory cgroup measured the run ($memcg KiB after teardown)" [ "$memcg" != None ]
	outcome $rc "$TMP/t.json" ""	# clean: no leak, no other kind
elif [ $rc -eq 1 ] && [ "$(json "$TMP/t.json" "list($s['by_kind'])")" = "['leak']" ]; then
	outcome $rc "$TMP/t.json" leak
	echo "note: no memory cgroup: the clean run reported a leak by the guest-wide measure: $(json "$TMP/t.json" "$s['violations'][0]['saw'][:300]")"
else
	echo "note: no memory cgroup: the teardown check used the guest-wide measure"
	outcome $rc "$TMP/t.json" ""
fi

$AS -s teardown -d 3 --inject leak --json "$TMP/i.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/i.json" leak leak
check "injected: the kept arenas' memory is reported, marked injected" \
	[ "$(json "$TMP/i.json" "any('[injected: kept open]' in v['saw'] and v['kind'] == 'leak' for v in $s['violations'])")" = True ]
done_test
