#!/bin/bash
# Every oracle fires on an injected divergence, through the real kernel path:
# BPF dirties a fresh page before the zero check; BPF misreports the user's
# nonce in the sweep; a free leaves a user PTE on its page.  (--user-threads 0
# keeps the real race out.)
. "$(dirname "$0")/lib.sh"
needs_arena vm

$AS -s fault-free -u 0 -d 1 --inject dirty-alloc --json "$TMP/d.json" >"$TMP/out" 2>&1; rc=$?
check "zero-on-alloc oracle: exit 1 (got $rc)" [ $rc -eq 1 ]
check "zero-on-alloc oracle: dirty-alloc reported" \
	[ "$(json "$TMP/d.json" 'd["scenarios"][0]["by_kind"].get("dirty-alloc", 0) > 0')" = True ]
check "zero-on-alloc oracle: offset and value quoted" \
	grep -q "first at offset 2040 = 0xbad \[injected\]" "$TMP/out"

$AS -s fault-free -u 0 -d 1 --inject sweep-lie --json "$TMP/s.json" >"$TMP/out" 2>&1; rc=$?
check "coherence oracle: exit 1 (got $rc)" [ $rc -eq 1 ]
check "coherence oracle: coherence reported" \
	[ "$(json "$TMP/s.json" 'd["scenarios"][0]["by_kind"].get("coherence", 0) > 0')" = True ]
check "coherence oracle: both views quoted" grep -q "user wrote 0x.*BPF read 0x" "$TMP/out"
check "coherence oracle: the re-check did not call an injected lie an orphaned PTE" \
	[ "$(json "$TMP/s.json" 'any(v["confirmed"] for v in d["scenarios"][0]["violations"])')" = False ]
# stale-free oracle: one single-page free leaves this process's PTE on the
# page (--inject stale, user/pages.c: the engine skips that BPF free and
# frees it for real at the sweep that judges it): reported as
# stale-free-mapping, confirmed, with the PTE's PFN, and nothing else
$AS -s fault-free -u 0 -d 1 --inject stale --json "$TMP/f.json" >"$TMP/out" 2>&1; rc=$?
check "stale-free oracle: exit 1 (got $rc)" [ $rc -eq 1 ]
check "stale-free oracle: the scenario ran" [ "$(json "$TMP/f.json" 'd["scenarios"][0]["status"]')" = ran ]
check "stale-free oracle: stale-free-mapping reported, and only it" \
	[ "$(json "$TMP/f.json" 'list(d["scenarios"][0]["by_kind"])')" = "['stale-free-mapping']" ]
sf='[v for v in d["scenarios"][0]["violations"] if v["kind"] == "stale-free-mapping" and "[injected]" in v["saw"]]'
check "stale-free oracle: marked injected, confirmed, with the user PTE's PFN" \
	[ "$(json "$TMP/f.json" "len($sf) == 1 and $sf[0]['confirmed'] and int($sf[0]['pfn_user'], 16) > 0")" = True ]
check "stale-free oracle: classified as a PTE the free did not zap" \
	[ "$(json "$TMP/f.json" "'orphaned user PTE on a freed page' in $sf[0]['classification'] and
		'the free did not zap it' in $sf[0]['classification']")" = True ]
check "stale-free oracle: the text report quotes the PFN" grep -qE "pagemap: +user PTE pfn 0x[0-9a-f]+" "$TMP/out"

# Hang watchdog: a worker that never reaches a quiesce point again is
# reported within seconds, and the tool still reports and exits.  Here a
# user worker parked in pause(): not in the kernel, so it is the tool's own
# failure (tool-stuck, exit 2 unless the kernel also gave real violations),
# never a kernel "hang" (that needs a worker in D state, as the faults stuck
# in __folio_lock on 6.18 are).
start=$(date +%s)
$AS -s fault-free -d 2 --inject hang --json "$TMP/h.json" >"$TMP/out" 2>&1; rc=$?
took=$(( $(date +%s) - start ))
kinds=$(json "$TMP/h.json" '" ".join(sorted(d["scenarios"][0]["by_kind"]))')
check "hang watchdog: reported as tool-stuck ($kinds)" grep -qw tool-stuck <<<"$kinds"
check "hang watchdog: not as a kernel hang" bash -c "! grep -qw hang <<<'$kinds'"
if [ "$kinds" = tool-stuck ]; then
	check "hang watchdog: the tool's own failure is exit 2 (got $rc)" [ $rc -eq 2 ]
elif grep -qw kernel-splat <<<"$kinds"; then
	# the kernel logged something meanwhile (on 6.18: a hung-task report of
	# finding 2's stuck faults): that outranks the rest, as documented
	check "hang watchdog: a kernel splat too: exit 3 (got $rc)" [ $rc -eq 3 ]
else
	check "hang watchdog: real violations too: exit 1 (got $rc)" [ $rc -eq 1 ]
fi
# in the VM the wall time includes a boot under emulation: the scenario's own time counts
[ "$AS" = tests/vm/as-vm ] && took=$(json "$TMP/h.json" 'int(sum(s["duration_s"] for s in d["scenarios"]))')
check "hang watchdog: the tool did not hang with its workers (${took}s)" [ "$took" -lt 20 ]
# The scenario process itself stuck in user space after its report (no
# thread in D state): the parent's deadline (its run + 30 s) kills it and
# calls it the tool's failure, keeping what it reported; no process is left.
$AS -s madvise -d 1 --inject exit-hang --json "$TMP/x.json" >"$TMP/xout" 2>&1; rc=$?
st=$(json "$TMP/x.json" 'd["scenarios"][0]["status"]')
why=$(json "$TMP/x.json" 'd["scenarios"][0].get("reason", "")')
check "exit-hang: the scenario is failed ($st: $why)" [ "$st" = failed ]
check "exit-hang: said to be the tool's failure, killed" grep -q "the tool's failure (killed)" <<<"$why"
check "exit-hang: after its report (its counters kept)" grep -q "after its report" <<<"$why"
check "exit-hang: not a kernel hang" bash -c "! grep -qw hang <<<'$(json "$TMP/x.json" '" ".join(d["scenarios"][0]["by_kind"])')'"
check "exit-hang: exit 2 unless the kernel gave violations (got $rc)" [ $rc -eq 2 -o $rc -eq 1 -o $rc -eq 3 ]
if [ "$AS" != tests/vm/as-vm ]; then
	check "exit-hang: no process left" bash -c "! pgrep -f -- '--inject exit-hang' >/dev/null"
fi
done_test
