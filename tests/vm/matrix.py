#!/usr/bin/env python3
"""tests/vm/matrix.sh's reading of each job, its KTAP, and the table.
  matrix.py job MINOR DIR RUNNER_EXIT REPRO_EXIT DURATION   -> the job's JSON (stdout)
  matrix.py ktap JOB.json                                   -> its KTAP (stdout)
  matrix.py table DURATION OUTDIR MINOR...                  -> the results file (stdout)"""
import glob, json, os, re, sys, time

FINDINGS = {  # number: (title, the scenarios that can show it (None: any), its reproducer)
    1: ('orphaned user PTE: fault vs free', None, 'orphan'),
    2: ('page freed while a fault holds its lock (Bad page state)', None, 'orphan'),
    3: ('MADV_DOFORK: a child inherits the arena', ['dofork'], 'dofork'),
    4: ('a user fault inside a reservation maps a page', ['reserve'], 'reserve'),
    5: ('a freed range re-allocated before the free\'s flush', ['reuse'], None),
    6: ('x86: the scratch page kept in the TLB', ['scratch'], 'scratch'),
    7: ('x86 without ORC: sched_ext kfunc oops', ['scratch'], None),
}
# which finding a reproducer's REPRODUCED line is (orphan's may be finding 2's)
def repro_finding(name, line):
    if name == 'orphan':
        return 2 if 'bad state' in line else 1
    return {'dofork': 3, 'reserve': 4, 'scratch': 6}[name]


def job(minor, d, rc, rrc, dur):
    rc = int(rc)
    try:
        rep = json.load(open(os.path.join(d, 'default.json')))
    except (OSError, ValueError):
        rep = {'scenarios': [], 'note': 'no JSON from the runner'}
    vm = rep.get('vm', {})
    image = vm.get('image') or ''
    out = {'minor': minor, 'kernel_package': image[:-len('.vmlinuz')] if image.endswith('.vmlinuz') else None,
           'kernel': rep.get('kernel'), 'duration_s': int(dur), 'vm': vm}
    crash = rep.get('crash')
    scen = []
    for s in rep.get('scenarios', []):
        first = {}
        for v in s.get('violations', []):
            c = v.get('cause')
            cid = c.get('id') if isinstance(c, dict) else c
            if cid and (cid not in first or v['t_ms'] < first[cid]):
                first[cid] = v['t_ms']
        scen.append({'name': s['name'], 'status': s['status'], 'reason': s.get('reason'),
                     'violations_total': s.get('violations_total', 0), 'by_kind': s.get('by_kind', {}),
                     'by_cause': s.get('by_cause', {}), 'first_ms_by_cause': first})
    out['default'] = {'runner_exit': rc, 'exit_code': rep.get('exit_code'), 'all_known': rep.get('all_known'),
                      'crash': {k: crash.get(k) for k in ('message', 'rip', 'scenario', 'suspect')} if crash else None,
                      'scenarios': scen}
    repro = {'runner_exit': None if rrc == 'none' else int(rrc)}
    for name in ('orphan', 'reserve', 'scratch', 'dofork'):
        if rrc == 'none':
            continue
        try:
            code = open(os.path.join(d, 'repro', name + '.rc')).read().strip()
        except OSError:
            code = None
        try:
            text = open(os.path.join(d, 'repro', name + '.out'), errors='replace').read()
        except OSError:
            text = ''
        line = next((l for l in text.splitlines() if l.startswith('REPRODUCED')), None) or \
            next((l for l in text.splitlines() if l.strip()), '')
        verdict = {'1': 'reproduced', '0': 'not reproduced', '2': 'could not run'}.get(code,
                   'the VM stopped during it' if code == 'running' else 'not run')
        r = {'exit_code': int(code) if code and code.isdigit() else None, 'verdict': verdict, 'line': line[:300]}
        if code == '1':
            r['finding'] = repro_finding(name, line)
        repro[name] = r
    out['repro'] = repro
    # the cells: per finding, from the run's causes and the reproducers
    ran = {s['name'] for s in scen if s['status'] == 'ran'}
    cells = {}
    for n, (title, where, rp) in FINDINGS.items():
        cid = 'finding %d' % n
        firsts = [s['first_ms_by_cause'][cid] for s in scen if cid in s['first_ms_by_cause']]
        seen = [s['name'] for s in scen if s['by_cause'].get(cid)]
        applicable = bool(ran) if where is None else bool(ran & set(where))
        # violations of the finding's own scenario that the causes table
        # does not name (it has no row for the finding yet): said, not
        # counted as the finding's
        # (not finding 7's: an oops on kernels without ORC, no violation)
        new = sum(s['by_cause'].get('new', 0) for s in scen if where and s['name'] in where and n != 7)
        run = {'seen': bool(seen), 'scenarios': seen, 'first_ms': min(firsts) if firsts else None,
               'applicable': applicable, 'new_in_its_scenario': new}
        rr = repro.get(rp) if rp else None
        rep_cell = None
        if rr:
            rep_cell = ('R' if rr.get('finding') == n else
                        '-' if rr['verdict'] in ('not reproduced', 'reproduced') else
                        'n/a' if rr['verdict'] == 'could not run' else 'crash' if 'stopped' in rr['verdict'] else '?')
        cells[cid] = {'run': run, 'repro': rep_cell}
    others = {}
    for s in scen:
        for cid, k in s['by_cause'].items():
            if not cid.startswith('finding '):
                o = others.setdefault(cid, {'count': 0, 'scenarios': [], 'first_ms': None})
                o['count'] += k
                o['scenarios'].append(s['name'])
                f = s['first_ms_by_cause'].get(cid)
                if f is not None and (o['first_ms'] is None or f < o['first_ms']):
                    o['first_ms'] = f
    out['findings'] = cells
    out['other_causes'] = others
    json.dump(out, sys.stdout, indent=1)
    print()


def ktap(f):
    j = json.load(open(f))
    tests = []
    dflt = j['default']
    for s in dflt['scenarios']:
        if s['status'] == 'skipped':
            tests.append((True, s['name'], 'SKIP ' + (s['reason'] or '')))
        elif s['violations_total']:
            tests.append((False, s['name'], 'violations: ' + ', '.join('%s x%d' % kv for kv in s['by_cause'].items())))
        elif s['status'] != 'ran':
            tests.append((False, s['name'], s['status']))
        else:
            tests.append((True, s['name'], None))
    if dflt['crash']:
        tests.append((False, 'default-run', 'kernel crashed: %s (scenario %s)' % (dflt['crash']['message'], dflt['crash']['scenario'])))
    elif dflt['runner_exit'] in (11, 12, 13):
        tests.append((False, 'default-run', 'VM runner exit %d (no verdict)' % dflt['runner_exit']))
    for name in ('orphan', 'reserve', 'scratch', 'dofork'):
        r = j['repro'].get(name)
        if not r:
            continue
        if r['verdict'] == 'could not run':
            tests.append((True, 'repro-' + name, 'SKIP ' + r['line']))
        else:
            tests.append((r['verdict'] == 'not reproduced', 'repro-' + name, r['verdict'] + (': ' + r['line'] if r['line'] else '')))
    print('KTAP version 1')
    print('# arena-stress kernel matrix: %s (kernel %s), default run --unsafe -d %d' % (j['kernel_package'], j['kernel'], j['duration_s']))
    print('1..%d' % len(tests))
    for i, (ok, name, d) in enumerate(tests, 1):
        d = (d or '').replace('\n', ' ').replace('#', '')
        if d.startswith('SKIP'):
            print('ok %d %s # %s' % (i, name, d))
        else:
            print('%s %d %s%s' % ('ok' if ok else 'not ok', i, name, (' # ' + d) if d else ''))


def table(dur, outdir, minors):
    js = {}
    for m in minors:
        try:
            js[m] = json.load(open(os.path.join(outdir, m + '.json')))
        except (OSError, ValueError):
            js[m] = None
    def short(m):
        j = js[m]
        return (j and j.get('kernel') or m).split('+')[0]
    cols = [short(m) for m in minors]
    vm = next((j['vm'] for j in js.values() if j and j.get('vm')), {})
    L = []
    L.append('# arena-stress kernel matrix: tests/vm/matrix.sh -d %s (make kernels), %s' % (dur, time.strftime('%Y-%m-%d', time.gmtime())))
    L.append('# Each kernel: the default VM invocation (--unsafe -d %s: all scenarios, ~%.1f s each) in one boot, and' % (dur, int(dur) / 13))
    L.append('# the stand-alone reproducers (repro/) one after the other in a second boot; qemu %s, %s%s, %s vCPUs.'
             % (vm.get('qemu'), vm.get('accel'), ' thread=%s' % vm['tcg_thread'] if vm.get('tcg_thread') else '', vm.get('smp')))
    L.append('# A cell: the default run / the reproducer.  Run: R and the first detection in guest ms (the')
    L.append('# violation\'s t_ms from its scenario\'s start, the report\'s cause of the violation); - ran, not seen;')
    L.append('# n/a: no scenario that can show it ran; new N: its scenario reported N violations that')
    L.append('# findings/causes.tsv names no cause for (no row for the finding yet).  Reproducer: R')
    L.append('# reproduced, - not, n/a it could not run (the kernel lacks what it needs); none for findings 5')
    L.append('# and 7; orphan stops at the first of findings 1 and 2 it sees.  One short run per kernel: a -')
    L.append('# bounds nothing for a race (findings 1, 2, 5); it does for the deterministic 3, 4, 6.')
    L.append('')
    L.append('| finding | ' + ' | '.join(cols) + ' |')
    L.append('|---|' + '---|' * len(cols))
    def runcell(c):
        r = c['run']
        if r['seen']:
            return 'R %s' % ('%.0f ms' % r['first_ms'] if r['first_ms'] is not None else '')
        if r.get('new_in_its_scenario'):
            return 'new %d' % r['new_in_its_scenario']
        return '-' if r['applicable'] else 'n/a'
    for n, (title, _, rp) in FINDINGS.items():
        row = []
        for m in minors:
            j = js[m]
            if not j:
                row.append('no result')
                continue
            c = j['findings']['finding %d' % n]
            row.append(runcell(c) + (' / ' + c['repro'] if c['repro'] else ''))
        L.append('| %d %s | ' % (n, title) + ' | '.join(row) + ' |')
    others = sorted({cid for j in js.values() if j for cid in j['other_causes']}, key=lambda c: (c == 'new', c))
    for cid in others:
        row = []
        for m in minors:
            o = js[m] and js[m]['other_causes'].get(cid)
            row.append('%d in %s' % (o['count'], ','.join(sorted(set(o['scenarios'])))) if o else '-')
        L.append('| %s | ' % cid + ' | '.join(row) + ' |')
    L.append('')
    L.append('Kernel packages: ' + ', '.join('%s' % (js[m] and js[m]['kernel_package'] or m + ' (none)') for m in minors) + '.')
    L.append('')
    L.append('## Each run')
    for m in minors:
        j = js[m]
        if not j:
            L.append('- %s: no result' % m)
            continue
        d = j['default']
        s = '- %s: runner exit %s, arena-stress exit %s, %ss' % (j['kernel_package'], d['runner_exit'], d['exit_code'], j['vm'].get('seconds'))
        if d['crash']:
            s += '; KERNEL CRASH: %s at %s during %s (%s)' % (d['crash']['message'], d['crash']['rip'], d['crash']['scenario'], d['crash']['suspect'] or 'cause not known')
        rr = j['repro']
        s += '; reproducers (runner exit %s): %s' % (rr.get('runner_exit'), ', '.join(
            '%s %s' % (k, v['verdict']) for k, v in rr.items() if isinstance(v, dict)))
        L.append(s)
    L.append('')
    L.append('## Scenarios: ran / skip / crash (the kernel died during it) / not run')
    names = []
    for m in minors:
        for s in (js[m] or {}).get('default', {}).get('scenarios', []):
            if s['name'] not in names:
                names.append(s['name'])
    L.append('')
    L.append('| scenario | ' + ' | '.join(cols) + ' |')
    L.append('|---|' + '---|' * len(cols))
    reasons = {}
    for nm in names:
        row = []
        for m in minors:
            j = js[m]
            s = next((x for x in (j or {}).get('default', {}).get('scenarios', []) if x['name'] == nm), None)
            if s is None:
                crash = j and j['default']['crash']
                row.append('crash' if crash and crash.get('scenario') == nm else 'not run')
            elif s['status'] == 'skipped':
                k = reasons.setdefault(s['reason'], len(reasons) + 1)
                row.append('skip [%d]' % k)
            else:
                row.append(s['status'] + (' (%d)' % s['violations_total'] if s['violations_total'] else ''))
        L.append('| %s | ' % nm + ' | '.join(row) + ' |')
    L.append('')
    L.append('(n): violations the scenario counted.  Skip reasons, as each kernel\'s run gave them:')
    for r, k in sorted(reasons.items(), key=lambda x: x[1]):
        L.append('- [%d] %s' % (k, r))
    print('\n'.join(L))


if __name__ == '__main__':
    a = sys.argv[1:]
    if a[0] == 'job':
        job(*a[1:6])
    elif a[0] == 'ktap':
        ktap(a[1])
    elif a[0] == 'table':
        table(a[1], a[2], a[3:])
