#!/bin/bash
# make vm-check: every scenario, the unsafe ones included, briefly inside a
# VM running Debian's newest 6.12 cloud kernel (tests/vm/run.sh).  Asserts the
# VM booted, the kernel did not crash, and every scenario did real work; says
# what was found on that kernel.
. "$(dirname "$0")/lib.sh"
needs_vm
bash tests/vm/run.sh --kernel-pkg "$pkg" --timeout 300 --json-out "$TMP/vm.json" \
	--console-out "$TMP/console" -- --unsafe -d 40 \
	-s fault-free,madvise,contract,munmap-remap,multi-process,pinned,io-wq,gup >"$TMP/out" 2>&1; rc=$?
grep -E "^vm:|^scenario|ran |skipped |failed " "$TMP/out"
vm_result $rc "the scenarios"
outcome $rc "$TMP/vm.json" "*"	# every scenario ran; the exit code is what they found
kernel=$(json "$TMP/vm.json" 'd["kernel"]')
echo "note: VM kernel $kernel"
for sc in fault-free madvise contract munmap-remap multi-process pinned io-wq gup; do
	q="[s for s in d['scenarios'] if s['name'] == '$sc']"
	check "$sc ran in the VM" [ "$(json "$TMP/vm.json" "$q[0]['status']")" = ran ]
	n=$(json "$TMP/vm.json" "$q[0]['counters']['alloc']")
	check "$sc did real work ($n allocs)" [ "$n" -gt 20 ]
	echo "note: $kernel $sc: $(json "$TMP/vm.json" "$q[0]['violations_total']") violations $(json "$TMP/vm.json" "$q[0]['by_kind']")"
done
# race-window coverage (fentry/fexit) works on this kernel: the windows the
# scenarios aim at did open
ff="[s for s in d['scenarios'] if s['name'] == 'fault-free'][0]['coverage']"
if [ "$(json "$TMP/vm.json" "'arena_faults' in $ff")" = True ]; then
	n=$(json "$TMP/vm.json" "$ff['free_during_fault']")
	check "coverage: fault-free frees overlapped a fault in flight ($n)" [ "$n" -gt 0 ]
	mp="[s for s in d['scenarios'] if s['name'] == 'multi-process'][0]['coverage']"
	n=$(json "$TMP/vm.json" "$mp['arena_zaps']")
	check "coverage: multi-process arena zaps seen ($n)" [ "$n" -gt 0 ]
	echo "note: multi-process: $(json "$TMP/vm.json" "$mp['zap_during_teardown']") arena zaps during page-table teardown"
	cv() { json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == '$1'][0]['coverage']['$2']"; }
	n=$(cv pinned pinned_frees)
	check "coverage: pinned freed pages still pinned by io_uring ($n)" [ "$n" -gt 0 ]
	n=$(cv io-wq iowq_faults)
	check "coverage: io-wq workers took arena faults ($n)" [ "$n" -gt 0 ]
	n=$(cv gup remote_faults)
	check "coverage: a second process faulted arena pages through GUP ($n)" [ "$n" -gt 0 ]
else
	echo "note: coverage unavailable in the VM: $(json "$TMP/vm.json" "$ff['unavailable']")"
fi
n=$(json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == 'munmap-remap'][0]['counters']['remap']")
check "munmap-remap cycled the mapping ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == 'io-wq'][0]['counters']['remap']")
check "io-wq munmapped the arena under --unsafe ($n)" [ "$n" -gt 5 ]
n=$(json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == 'pinned'][0]['counters']['pins']")
check "pinned registered fixed buffers ($n)" [ "$n" -gt 20 ]
n=$(json "$TMP/vm.json" "[s for s in d['scenarios'] if s['name'] == 'multi-process'][0]['counters']['child']")
check "multi-process forked children ($n)" [ "$n" -gt 5 ]
done_test
