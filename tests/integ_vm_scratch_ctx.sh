#!/bin/bash
# Both branches of finding 6's candidate fix (findings/fix/0005), driven by
# the scratch scenario: pages scratched through a do-nothing sched_ext
# scheduler, then allocated over.
#   - the small 7.3.4 kernel with the series (tests/kernel/build.sh --debug
#     --scx fixed; lockdep, KASAN, DEBUG_VM on), non-sleepable caller
#     (--scratch-ctx irqoff: a bpf_spin_lock region): each allocation over a
#     scratched page is refused, then, once the free worker has cleared the
#     scratch PTE, succeeds from the same context (scratch_retry_alloc), and
#     its zero-on-alloc, token and coherence checks hold; with
#     --scratch-inject-rescratch the page is scratched again before one
#     retry, whose refusal is reported (accounting, [injected]), and nothing
#     else is;
#   - same kernel, sleepable caller (the default, syscall programs): the
#     allocations over scratched pages succeed at once and are clean (the
#     flush branch);
#   - Debian's 7.3.4 as shipped (one vCPU: its sched_ext oopses on two in
#     TCG, findings/06), non-sleepable caller (--scratch-ctx timer): the
#     allocation over a scratched page succeeds at once and the callback's
#     zero-on-alloc check reads the scratch page's marker (finding 6 through
#     that path).
. "$(dirname "$0")/lib.sh"
needs_vm
q="d['scenarios'][0]"
# AS_SCX_FIXED_IMAGE: that image instead of the one build.sh has cached
# (--cached: make check builds no kernel; without it the test skips)
img=${AS_SCX_FIXED_IMAGE:-$(bash tests/kernel/build.sh --cached --debug --scx fixed 2>"$TMP/kbuild" | awk '$1 == "fixed" {print $2}')}
[ -s "$img" ] || { cat "$TMP/kbuild"; skip "no small 7.3.4 debug+scx kernel with the series built (tests/kernel/build.sh --debug --scx fixed; make check builds no kernel)"; }
vm() {	# vm WHAT KERNEL-OPTION... -- ARGS...
	local what=$1; shift
	local kopt=()
	while [ "$1" != -- ]; do kopt+=("$1"); shift; done; shift
	bash tests/vm/run.sh "${kopt[@]}" --timeout 500 --json-out "$TMP/vm.json" --console-out "$TMP/console" \
		-- -s scratch --unsafe --pages 1024 "$@" >"$TMP/out" 2>&1
	rc=$?
	vm_result $rc "$what"
	c() { json "$TMP/vm.json" "$q['counters']['$1']"; }
	kinds=$(json "$TMP/vm.json" "$q['by_kind']")
}

vm "fixed, irqoff" --kernel "$img" -- -d 15 --scratch-ctx irqoff --scratch-inject-rescratch
# leak: the debug kernel's memory cgroup stayed ~3 MiB up 2 s after some
# runs of the context scenarios (3 of 11, never on Debian's kernels; not
# explained: findings/results-06-ctx.txt); allowed here, and said
outcome $rc "$TMP/vm.json" "accounting|leak" accounting
grep -q "'leak'" <<<"$kinds" && echo "note: fixed, irqoff: the leak oracle fired (debug kernel; findings/results-06-ctx.txt)"
ref=$(c scratch_refused) retry=$(c scratch_retry_alloc)
check "fixed, non-sleepable: allocations over scratched pages refused ($ref)" [ "$ref" -ge 3 ]
check "fixed, non-sleepable: each refusal but the injected one followed by an allocation there ($retry of $ref)" \
	[ "$retry" -eq $((ref - 1)) ]
check "fixed, non-sleepable: no allocation over a scratch PTE went through ($(c scratch_alloc))" [ "$(c scratch_alloc)" = 0 ]
check "--scratch-inject-rescratch: the retry's refusal reported once, marked, and no other accounting report ($kinds)" \
	[ "$(json "$TMP/vm.json" "sum(1 for v in $q['violations'] if v['kind'] == 'accounting' and 'refused again' in v['saw'] and '[injected' in v['saw'])")/$(json "$TMP/vm.json" "$q['by_kind'].get('accounting', 0)")" = 1/1 ]
echo "note: fixed kernel, irqoff: $ref refused, $retry allocated after the free worker"

vm "fixed, sleepable" --kernel "$img" -- -d 12
outcome $rc "$TMP/vm.json" ""
n=$(c scratch_alloc)
check "fixed, sleepable: allocations over scratched pages went through ($n), clean" [ "$n" -ge 2 ]
check "fixed, sleepable: none refused" [ "$(c scratch_refused)" = 0 ]

export AS_VM_SMP=1
vm "7.3.4 as shipped, timer" --kernel-pkg "${AS_VM73_KERNEL_PKG:-linux-image-7.3.*-cloud-amd64}" -- -d 10 --scratch-ctx timer
outcome $rc "$TMP/vm.json" "*" dirty-alloc
check "as shipped, non-sleepable: allocations over scratched pages went through ($(c scratch_alloc)), none refused" \
	[ "$(c scratch_alloc)" -ge 2 -a "$(c scratch_refused)" = 0 ]
check "as shipped: the callback's zero-on-alloc check read the scratch page (finding 6)" \
	[ "$(json "$TMP/vm.json" "any(v['kind'] == 'dirty-alloc' and 'from a bpf_timer callback' in v['saw'] and ('offset 1024 = 0x5c7a7c' in v['saw'] or 'offset 0 = 0xa5' in v['saw']) for v in $q['violations'])")" = True ]
echo "note: 7.3.4 as shipped, timer: $kinds"
done_test
