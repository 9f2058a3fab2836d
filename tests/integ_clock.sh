#!/bin/bash
# One clock (README, "The JSON report"): set-up (load, verify, map, probes,
# spawn) is reported apart from the run, and every run time counts from the
# moment the workers start.  --inject dirty-alloc makes the first
# allocation a violation, so detection is certain and early.
. "$(dirname "$0")/lib.sh"
needs_arena vm

$AS -s fault-free -u 0 -d 1 --inject dirty-alloc --json "$TMP/c.json" >"$TMP/out" 2>&1; rc=$?
check "dirty-alloc found: exit 1 (got $rc)" [ $rc -eq 1 ]
[ -s "$TMP/c.json" ] || { fail "no JSON report"; done_test; }
s='d["scenarios"][0]'
setup=$(json "$TMP/c.json" "$s.get('setup_ms')")
first=$(json "$TMP/c.json" "$s['first_detection_ms']")
dur=$(json "$TMP/c.json" "$s['duration_s']")
echo "note: set-up ${setup} ms, first detection ${first} ms after the workers' start, run ${dur} s"
check "the JSON reports set-up time (setup_ms: $setup)" \
	[ "$(json "$TMP/c.json" "isinstance($s.get('setup_ms'), float) and $s['setup_ms'] > 0")" = True ]
check "first detection within the run, counted from the workers' start ($first ms <= $dur s)" \
	[ "$(json "$TMP/c.json" "$s['first_detection_ms'] is not None and 0 <= $s['first_detection_ms'] <= $s['duration_s'] * 1000")" = True ]
check "the first kept violation is the first detection (one clock)" \
	[ "$(json "$TMP/c.json" "min(v['t_ms'] for v in $s['violations']) == $s['first_detection_ms']")" = True ]
check "the table has a set-up column" grep -qE '^scenario +status +secs +setup\(ms\)' "$TMP/out"
row=$(grep -E '^fault-free +ran ' "$TMP/out")
check "the table's set-up is the JSON's ($row)" \
	[ "$(awk '{print $4}' <<<"$row")" = "$(python3 -c "print('%.0f' % $setup)")" ]
check "the table's first detection is the JSON's" \
	[ "$(awk '{print $11}' <<<"$row")" = "$(python3 -c "print('%.2f' % $first)")" ]
done_test
