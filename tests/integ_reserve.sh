#!/bin/bash
# reserve: bpf_arena_reserve_pages() under churn.  The scenario does real
# work (reservations, the refusals checked, allocations around them), and a
# user fault on a reserved page follows the kernel's contract (the kfunc's
# submission, 8fc3d2d8b501): without BPF_F_SEGV_ON_FAULT the fault may
# allocate the page (it must read 0, the range stays in use), with the flag
# (--reserve-segv) it must fail with SIGSEGV.  So a run on a kernel that keeps
# that contract is clean both ways.  The one thing it can report about user
# faults is findings/04: a fault whose lazy allocation failed gives the
# reserved page back to the allocator (reported only when an allocation
# fails, which these runs do not force: repro/reserve.* does, with a memcg
# limit).  The other refusals (reserve over allocated pages, allocation over
# a reservation) are shown firing by the mutant m-reserve-allocated in the VM
# (make mutants) and by --inject resv here (the kernel releases a reservation
# behind the table's back before an allocation over it).
. "$(dirname "$0")/lib.sh"
# reservations are 6.17+: in the VM, Debian's 7.3
export AS_VM_SUITE_PKG=${AS_VM_SUITE_PKG:-'linux-image-7.3.*-cloud-amd64'}
needs_arena vm
needs_scenario reserve
s='d["scenarios"][0]'
# kinds FILE: the violation kinds of a run; a finding-4 report is the only
# one a kernel as shipped may add (with finding 2's Bad page state: exit 3)
only_f4() {
	[ "$(json "$1" "all('gave a reserved page back' in v['classification'] for v in $s['violations'])")" = True ]
}

$AS -s reserve -d 2 --json "$TMP/r.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/r.json" "contract|kernel-splat"	# finding 4 (contract), finding 2's Bad page state
n=$(json "$TMP/r.json" "$s['counters']['reserve']"); check "reservations made ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['reserve_checks']"); check "refusals checked ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['alloc']"); check "allocations ($n)" [ "$n" -gt 50 ]
n=$(json "$TMP/r.json" "$s['counters']['sweep']"); check "sweeps ($n)" [ "$n" -ge 3 ]
n=$(json "$TMP/r.json" "$s['counters']['reserve_faults']")
check "no flag: user faults on reserved pages mapped a page, as the contract allows ($n)" [ "$n" -gt 10 ]
check "no flag: nothing reported but finding 4 ($(json "$TMP/r.json" "$s['by_kind']"))" only_f4 "$TMP/r.json"

# one second of the host's rate; under emulation in the VM, four
d1=1; [ "$AS" = tests/vm/as-vm ] && d1=4
$AS -s reserve -d $d1 --reserve-segv --json "$TMP/g.json" >"$TMP/out" 2>&1; rc=$?
check "BPF_F_SEGV_ON_FAULT: clean (exit $rc, $(json "$TMP/g.json" "$s['by_kind']"))" [ $rc -eq 0 ]
n=$(json "$TMP/g.json" "$s['counters']['reserve_faults']")
check "BPF_F_SEGV_ON_FAULT: no user fault mapped a reserved page ($n)" [ "$n" -eq 0 ]
n=$(json "$TMP/g.json" "$s['counters']['user_segv']")
check "BPF_F_SEGV_ON_FAULT: user reads of reserved pages took SIGSEGV ($n)" [ "$n" -gt 5 ]

$AS -s reserve -d $d1 --reserve-no-fault --json "$TMP/c.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/c.json" ""	# without user faults on reserved pages: clean
n=$(json "$TMP/c.json" "$s['counters']['reserve_checks']"); check "... with refusals checked ($n)" [ "$n" -gt 20 ]

$AS -s reserve -d $d1 --reserve-no-fault --inject resv --json "$TMP/i.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/i.json" contract contract
check "injected: the allocation over a reservation is reported" \
	[ "$(json "$TMP/i.json" "any('although worker' in v['saw'] for v in $s['violations'])")" = True ]
# (an allocation elsewhere may take a reservation the injection released: also marked)
check "injected: only contract violations, each marked injected ($(json "$TMP/i.json" "$s['by_kind']"))" \
	[ "$(json "$TMP/i.json" "list($s['by_kind']) == ['contract'] and all('[injected]' in v['saw']
		for v in $s['violations'])")" = True ]
done_test
