#!/usr/bin/env python3
"""Time to first detection per scenario from arena-stress JSON reports, one
run after another (the default) beside --parallel (bench/results-parallel.md).
usage: bench/ttd-table.py SEQ.json PAR.json
Per scenario: first_detection_ms on its own clock (from its workers' start)
and from the tool's start, the sum of set-up and run of the scenarios before
it (sequential; their teardowns left out, so a lower bound) or its own
set-up alone (parallel, all forked at once).  A kernel splat is system-wide:
its time is marked (k), not the scenario's own detection."""
import json, sys

def rows(path, parallel):
    d = json.load(open(path))
    out, t = {}, 0.0
    for s in d["scenarios"]:
        setup = s.get("setup_ms", 0) / 1000.0
        first = s["first_detection_ms"]
        own = [v["t_ms"] for v in s["violations"] if v["kind"] not in ("kernel-splat", "hang", "tool-stuck")]
        k = first is not None and (not own or min(own) > first)
        ownf = min(own) if own else None
        base = setup if parallel else t + setup
        out[s["name"]] = (s["status"], setup, s["duration_s"], first, k, ownf,
                          None if ownf is None else base + ownf / 1000.0, sorted(s["by_kind"]))
        t += setup + s["duration_s"]
    return out

seq, par = rows(sys.argv[1], False), rows(sys.argv[2], True)
f = lambda x, fmt: "-" if x is None else fmt % x
print("| scenario | seq: set-up s | seq: run s | seq: first own ms | seq: from tool start s | par: set-up s | par: run s | par: first own ms | par: from tool start s | par: first any (k: kernel splat) ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in seq:
    a, b = seq[n], par.get(n)
    print("| %s | %.1f | %.2f | %s | %s | %s | %s | %s | %s | %s |" % (
        n, a[1], a[2], f(a[5], "%.1f"), f(a[6], "%.1f"),
        f(b and b[1], "%.1f"), f(b and b[2], "%.2f"), f(b and b[5], "%.1f"), f(b and b[6], "%.1f"),
        "-" if not b or b[3] is None else "%.1f%s" % (b[3], " (k)" if b[4] else "")))
