#!/bin/bash
# nomem (the arena's error paths, its memory cgroup at its limit) on Debian's
# 7.3.4 cloud kernel in the VM, one phase a run:
#   a  multi-page allocations that fail after their first batch of 1024 pages
#      was mapped (memory.peak says so: nomem_partial): the rollback leaves no
#      page, no range and no count behind: clean, with the checks made;
#   b  deferred frees whose span allocation (kmalloc_nolock) fails under the
#      limit: the pages they keep are counted (nomem_leaked), not reported,
#      and come back when the arena is destroyed (arena_memcg_after_kb); the
#      only report 7.3.4 adds is findings/08 (a free whose range_tree_set()
#      fails: the page freed, its range left in use);
#   c  a user fault on a reserved page whose allocation fails: findings/04
#      (the reservation released), the only report.
# A kernel or tool change that stops the limit from failing the calls (no
# nomem_partial, no nomem_leaked, no failed fault) fails the test, as does any
# other report.  The mutants m-nomem-rollback-* show phase a's oracles firing
# (docs/mutation.md).
. "$(dirname "$0")/lib.sh"
export AS_VM_SUITE_PKG=${AS_VM_SUITE_PKG:-'linux-image-7.3.*-cloud-amd64'}
needs_arena vm
needs_scenario nomem
s='d["scenarios"][0]'
ctr() { json "$1" "$s['counters'].get('$2', 0)"; }
# every violation's classification holds TEXT
only() {
	[ "$(json "$1" "all('$2' in v['classification'] for v in $s['violations'])")" = True ]
}
back() {	# the arena's memcg after teardown, against the arena new, in KiB
	json "$1" "$s.get('arena_memcg_after_kb', 'none')"
}

$AS -s nomem -p 4096 -d 2 --nomem-phases a --json "$TMP/a.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/a.json" ""
n=$(ctr "$TMP/a.json" nomem_partial)
check "a: allocations failed after mapping a batch, rolled back ($n)" [ "$n" -ge 2 ]
n=$(ctr "$TMP/a.json" nomem_checks); check "a: checks after the failures ($n)" [ "$n" -ge 10 ]
n=$(back "$TMP/a.json"); check "a: the arena's memcg came back after teardown ($n KiB)" [ "$n" != none ] && [ "$n" -le 256 ]

$AS -s nomem -p 4096 -d 2 --nomem-phases b --json "$TMP/b.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/b.json" "contract"
n=$(ctr "$TMP/b.json" nomem_deferred); check "b: deferred frees under the limit ($n)" [ "$n" -ge 512 ]
n=$(ctr "$TMP/b.json" nomem_leaked); check "b: pages kept by failed span allocations, counted ($n)" [ "$n" -gt 0 ]
check "b: nothing reported but findings/08 ($(json "$TMP/b.json" "$s['by_kind']"))" \
	only "$TMP/b.json" "range_tree_set() failed"
n=$(back "$TMP/b.json")
check "b: the kept pages came back with the arena ($n KiB)" [ "$n" != none ] && [ "$n" -le 256 ]

$AS -s nomem -p 4096 -d 1 --nomem-phases c --json "$TMP/c.json" >"$TMP/out" 2>&1; rc=$?
outcome $rc "$TMP/c.json" "contract"
n=$(ctr "$TMP/c.json" nomem_fail); check "c: user faults on reserved pages failed ($n)" [ "$n" -ge 3 ]
check "c: nothing reported but findings/04 ($(json "$TMP/c.json" "$s['by_kind']"))" \
	only "$TMP/c.json" "must refuse a reserved range"
done_test
