#!/usr/bin/env python3
"""Time to first detection, the peer beside arena-stress, from the output of
bench/ttd-guest.sh (one file per VM boot; bench/vm-ttd.sh).
usage: bench/ttd-stats.py OUT...
Per kernel and pair (arena-stress scenario : peer): found k/N, median, p90
and max in ms, each on its own clock (the peer from its first round,
arena-stress from its workers' start, first_detection_ms of the scenario's
own oracles: a kernel splat, a hang or a leak is not its detection; the
runs use --no-kernel-watch).  A miss counts as infinite in the median and
the p90 (as bench/run.sh does); max is over the runs that found.  Set-up
(arena-stress: setup_ms; the peer: load, first allocation) is shown apart."""
import json, re, sys

NOT_OWN = {"kernel-splat", "hang", "tool-stuck", "leak"}

def parse(path):
    kernel, pairs, runs, lines = "?", [], {}, open(path, errors="replace").read().splitlines()
    budget_ms = float("inf")
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.search(r" t=([0-9.]+) ", l)
        if l.startswith("=== ttd kernel") and m:
            budget_ms = float(m.group(1)) * 1000
        m = re.match(r"=== ttd kernel (\S+) .* pairs=(\S+)", l)
        if m:
            kernel, pairs = m.group(1), [tuple(p.split(":", 1)) for p in m.group(2).split(",") if p]
        m = re.match(r"=== peer (\S+) seed=(\d+) rc=(\S+)", l)
        if m:
            name, rc = m.group(1), m.group(3)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            f = re.search(r"found (\d) first_ms (\S+) rounds (\d+) setup_ms (\S+)", nxt)
            t = float(f.group(2)) if f and f.group(1) == "1" else None
            runs.setdefault(("peer", name), []).append(
                dict(t=t, setup=float(f.group(4)) if f else None, rc=rc, rounds=int(f.group(3)) if f else None))
        m = re.match(r"=== as (\S+) seed=(\d+) rc=(\S+)", l)
        if m:
            name, rc = m.group(1), m.group(3)
            j = i + 1
            while j < len(lines) and lines[j] != "=== json":
                j += 1
            k = j + 1
            while k < len(lines) and lines[k] != "=== end json":
                k += 1
            t = setup = None
            kinds = []
            try:
                s = json.loads("\n".join(lines[j + 1:k]))["scenarios"][0]
                own = sorted((v["t_ms"], v["kind"]) for v in s["violations"] if v["kind"] not in NOT_OWN)
                # within the budget: a detection by the final sweep after
                # the deadline counts as a miss (the peer stops at T)
                own = [x for x in own if x[0] <= budget_ms]
                if own:
                    t = own[0][0]
                    first = [v for v in s["violations"] if v["kind"] not in NOT_OWN and v["t_ms"] == t][0]
                    c = first.get("cause")
                    kinds = ["%s (%s)" % (first["kind"], c.get("id", "?") if isinstance(c, dict) else c or "new")]
                setup = s.get("setup_ms")
            except (ValueError, KeyError, IndexError):
                pass
            runs.setdefault(("as", name), []).append(dict(t=t, setup=setup, rc=rc, kinds=kinds))
            i = k
        i += 1
    return kernel, pairs, runs

def stats(rs):
    n = len(rs)
    hits = sorted(r["t"] for r in rs if r["t"] is not None)
    allv = hits + [float("inf")] * (n - len(hits))
    med = allv[n // 2] if n else float("inf")
    p90 = allv[min(n - 1, int(n * 0.9))] if n else float("inf")
    fmt = lambda x: "miss" if x == float("inf") else "%.1f" % x
    st = sorted(r["setup"] for r in rs if r["setup"] is not None)
    return "%d/%d" % (len(hits), n), fmt(med), fmt(p90), fmt(hits[-1]) if hits else "-", \
        ("%.0f" % st[len(st) // 2]) if st else "-"

def main():
    print("| kernel | arena-stress scenario : peer | who | found | median ms | p90 ms | max ms | set-up ms (median) | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in sys.argv[1:]:
        kernel, pairs, runs = parse(path)
        for sc, pn in pairs:
            for who, key in (("peer " + pn, ("peer", pn)), ("arena-stress -s " + sc, ("as", sc))):
                rs = runs.get(key, [])
                found, med, p90, mx, st = stats(rs)
                bad = [r["rc"] for r in rs if r["rc"] not in ("0", "1")]
                notes = []
                if bad:
                    notes.append("exit codes other than 0/1: " + " ".join(bad))
                if key[0] == "as":
                    ks = sorted(set(k for r in rs for k in r.get("kinds", [])))
                    if ks:
                        notes.append("first: " + ", ".join(ks))
                else:
                    rd = [r["rounds"] for r in rs if r["rounds"] is not None and r["t"] is None]
                    if rd:
                        notes.append("rounds in the misses: %d-%d" % (min(rd), max(rd)))
                print("| %s | %s : %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    kernel, sc, pn, who, found, med, p90, mx, st, "; ".join(notes)))

main()
