#!/bin/bash
# The suite's own judges, on canned reports (no arena, no VM): tests/lib.sh's
# outcome (status, kinds and exit code together), finding1 (required on a
# kernel that has it), wedged (only a hang in D state cuts work floors) and
# the mutation harness's verdict (tests/kernel/mutate.py: a kill counts only
# when an expected kind or a kernel report fired).  Each judge must pass the
# good report and fail every bad one: a judge that accepts anything would
# turn the tests built on it green whatever the tool does.
. "$(dirname "$0")/lib.sh"

# rep FILE KERNEL EXIT STATUS KINDS [HANG_TEXT]: a report of one fault-free run
rep() {
	python3 - "$@" <<'PY'
import json, sys
f, kernel, rc, status, kinds = sys.argv[1:6]
hang = sys.argv[6] if len(sys.argv) > 6 else ''
kinds = kinds.split()
def v(k):
    saw = {'kernel-splat': 'BUG: Bad page state in process x', 'hang': hang}.get(k, 'free page still has a user PTE (pfn 0x1234)')
    return {'kind': k, 'saw': saw, 'confirmed': k in ('coherence', 'stale-free-mapping'),
            'pfn_user': '0x1234' if k in ('coherence', 'stale-free-mapping') else '0',
            'classification': 'orphaned user PTE on a freed page: gone after MADV_DONTNEED'}
s = {'name': 'fault-free', 'status': status, 'duration_s': 2.0, 'first_detection_ms': 5.0 if kinds else None,
     'violations_total': len(kinds), 'by_kind': {k: 1 for k in kinds}, 'violations': [v(k) for k in kinds],
     'counters': {'alloc': 100}, 'memcg_delta_kb': None}
if status != 'ran':
    s['reason'] = 'scenario process died (signal 11)'
json.dump({'kernel': kernel, 'exit_code': int(rc), 'scenarios': [s]}, open(f, 'w'))
PY
}
not() { ! "$@"; }
# fails CMD...: how many checks CMD failed (in a subshell: FAILS stays ours)
fails() { ( FAILS=0; "$@" >/dev/null 2>&1; echo "$FAILS" ); }
k612=6.12.118+deb12-cloud-amd64 k66=6.6.1-custom

rep "$TMP/a.json" $k612 1 ran "stale-free-mapping coherence"
check "outcome: finding 1 found, exit 1, status ran: passes" [ "$(fails outcome 1 "$TMP/a.json" "$FINDING_KINDS")" = 0 ]
check "outcome: exit code other than the report's fails" [ "$(fails outcome 0 "$TMP/a.json" "$FINDING_KINDS")" -gt 0 ]
check "outcome: a kind not allowed fails" [ "$(fails outcome 1 "$TMP/a.json" "coherence")" -gt 0 ]
check "outcome: a required kind reported: passes" \
	[ "$(fails outcome 1 "$TMP/a.json" "$FINDING_KINDS" coherence/stale-free-mapping)" = 0 ]
check "outcome: a required kind missing fails" [ "$(fails outcome 1 "$TMP/a.json" "$FINDING_KINDS" leak)" -gt 0 ]
rep "$TMP/b.json" $k612 1 failed "stale-free-mapping"
check "outcome: a scenario that died after its first violation fails (exit 1 all the same)" \
	[ "$(fails outcome 1 "$TMP/b.json" "$FINDING_KINDS")" -gt 0 ]
rep "$TMP/c.json" $k612 0 ran "coherence"
check "outcome: exit 0 with a divergence reported fails" [ "$(fails outcome 0 "$TMP/c.json" "$FINDING_KINDS")" -gt 0 ]
rep "$TMP/d.json" $k612 3 ran "coherence kernel-splat"
check "outcome: exit 3 for finding 2's Bad page state: passes" [ "$(fails outcome 3 "$TMP/d.json" "$FINDING_KINDS")" = 0 ]
rep "$TMP/e.json" $k612 1 ran "coherence kernel-splat"
check "outcome: exit 1 with a kernel splat reported fails" [ "$(fails outcome 1 "$TMP/e.json" "$FINDING_KINDS")" -gt 0 ]
rep "$TMP/f.json" $k612 0 ran ""
check "outcome: a clean run, nothing allowed: passes" [ "$(fails outcome 0 "$TMP/f.json" "")" = 0 ]
check "outcome: no report at all fails" [ "$(fails outcome 0 "$TMP/none.json" "")" -gt 0 ]
echo '{"kernel": "x"}' >"$TMP/g.json"
check "outcome: a report it cannot read fails" [ "$(fails outcome 0 "$TMP/g.json" "")" -gt 0 ]

check "finding1: found and confirmed with its PFN on 6.12: passes" [ "$(fails finding1 "$TMP/a.json")" = 0 ]
check "finding1: a clean run on 6.12 (a kernel that has it) fails" [ "$(fails finding1 "$TMP/f.json")" -gt 0 ]
rep "$TMP/h.json" $k66 0 ran ""
check "finding1: a clean run on a kernel not known to have it: passes" [ "$(fails finding1 "$TMP/h.json")" = 0 ]

rep "$TMP/w.json" $k612 1 ran hang "the scenario process never finished: a thread of it is in uninterruptible sleep in the kernel at folio_wait_bit_common, 30 s after its end; left behind as pid 7"
check "wedged: a never-finished process with a thread in D state" wedged "$TMP/w.json"
rep "$TMP/u.json" $k612 1 ran hang "the scenario process never finished: stuck in user space after its report, 30 s after its end; left behind as pid 7"
check "wedged: not a process that hangs in user space" not wedged "$TMP/u.json"
rep "$TMP/t.json" $k612 1 ran hang "the scenario process never finished: stuck in the kernel while tearing the arena down, 30 s after its end; left behind as pid 7"
check "wedged: not one stuck after its report (its counters are final)" not wedged "$TMP/t.json"

# the mutation harness's verdict: VERDICT BY FIRST_S SCENARIO WORK
mverdict() { python3 tests/kernel/mutate.py verdict "$@" | cut -f1,2; }
exp='stale-free-mapping/coherence (a freed page still mapped)'
check "mutants: the expected kind is a kill" grep -q "^killed" <<<"$(mverdict "$TMP/a.json" 1 "$exp")"
check "mutants: another kind is not: killed by other (X, expected Y)" \
	grep -qx $'other\tkilled by other (coherence,stale-free-mapping, expected leak)' <<<"$(mverdict "$TMP/a.json" 1 "leak (teardown)")"
check "mutants: a kernel report is a kill whatever was expected" grep -q "^killed" <<<"$(mverdict "$TMP/d.json" 3 "leak")"
check "mutants: a kernel crash in the VM is a kill" grep -q "^killed" <<<"$(mverdict "$TMP/none.json" 10 "$exp")"
check "mutants: a VM hang is not" grep -q "^error.*VM hang" <<<"$(mverdict "$TMP/none.json" 11 "$exp")"
rep "$TMP/s.json" $k612 2 ran tool-stuck
check "mutants: tool-stuck (exit 2) is not a kill" grep -q "^error" <<<"$(mverdict "$TMP/s.json" 2 "$exp")"
check "mutants: tool-stuck is not a kill, whatever the exit code" grep -q "^error.*tool-stuck" <<<"$(mverdict "$TMP/s.json" 1 "$exp")"
check "mutants: a clean run is clean" grep -q "^clean" <<<"$(mverdict "$TMP/f.json" 0 "$exp")"
check "mutants: a control (expect: clean) that fired is not clean" not grep -q '^clean' <<<"$(mverdict "$TMP/a.json" 1 clean)"
rep "$TMP/x.json" $k612 2 failed ""
check "mutants: a scenario that died is not clean" grep -q "^error.*fault-free failed" <<<"$(mverdict "$TMP/x.json" 0 "$exp")"
# the time to a kill: serial runs count from the run's start (the scenarios
# before it included); -P runs on the killing scenario's own clock, the
# earliest violation of a kind that kills
python3 - "$TMP/p.json" "$TMP/q.json" <<'PY'
import json, sys
def sc(name, kind, t):
    return {'name': name, 'status': 'ran', 'duration_s': 10.0, 'first_detection_ms': t,
            'violations_total': 1, 'by_kind': {kind: 1}, 'counters': {'alloc': 1},
            'violations': [{'kind': kind, 't_ms': t, 'saw': '-', 'confirmed': True}]}
json.dump({'exit_code': 1, 'scenarios': [sc('reuse', 'bpf-token', 300.0), sc('teardown', 'leak', 2500.0),
                                          sc('fault-free', 'coherence', 100.0)]}, open(sys.argv[1], 'w'))
clean = dict(sc('reuse', 'bpf-token', 0), violations_total=0, by_kind={}, violations=[], first_detection_ms=None)
json.dump({'exit_code': 1, 'scenarios': [clean, dict(clean, name='teardown'), sc('fault-free', 'coherence', 100.0)]},
          open(sys.argv[2], 'w'))
PY
mfirst() { python3 tests/kernel/mutate.py verdict "$@" | cut -f3,4; }
check "mutants: serial: first kill counted from the run's start" [ "$(mfirst "$TMP/q.json" 1 coherence serial)" = $'20.10\tfault-free' ]
check "mutants: -P: the same run on its scenario's own clock" [ "$(mfirst "$TMP/q.json" 1 coherence parallel)" = $'0.10\tfault-free' ]
check "mutants: -P: first kill on its scenario's own clock" [ "$(mfirst "$TMP/p.json" 1 leak parallel)" = $'2.50\tteardown' ]
check "mutants: -P: the earliest kill of the kinds expected" [ "$(mfirst "$TMP/p.json" 1 "bpf-token/leak" parallel)" = $'0.30\treuse' ]
check "mutants: -P: another kind only: the earliest violation" [ "$(mfirst "$TMP/p.json" 1 contract parallel)" = $'0.10\tfault-free' ]
check "mutants: ... and says so beside a kill" grep -q "fault-free failed" <<<"$(python3 tests/kernel/mutate.py verdict "$TMP/b.json" 1 "$exp")"
# every mutant's expect line names kinds the tool reports
kinds=$(sed -n '/as_vkind_name\[V__NR\]/,/^};/p' user/oracle.c | grep -o '"[a-z-]*"' | tr -d '"' | tr '\n' ' ')
for m in tests/kernel/mutants/m-*.mut; do
	e=$(python3 tests/kernel/mutate.py meta "$m" | cut -f3)
	for k in $(awk '{print $1}' <<<"$e" | tr / ' '); do
		check "$(basename "$m"): expects $k, a kind the tool reports" grep -qw -- "$k" <<<"$kinds"
	done
done
done_test
