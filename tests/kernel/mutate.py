#!/usr/bin/env python3
"""Named one-place source edits of the kernel (tests/kernel/mutants/*.mut).

A .mut file: '#' header lines (name, kind: mutant|control, class, expect:
the violation kinds that kill it, '/'-separated, then prose (a control's is
"clean"); survives: why no observer can see it; run: arena-stress arguments of its own
VM run, for a mutant the default invocation's share of time cannot reach),
then one or more edits:
    file: kernel/bpf/arena.c
    @@ old
    <exact text, as many whole lines as make it unique>
    @@ new
    <its replacement>
    @@ end
The old text must occur exactly once in the file: an edit whose pattern no
longer matches (or matches twice) is an error, never a silent build of the
unmodified kernel.

usage: mutate.py files MUT...          files the edits touch
       mutate.py apply MUT SRC         edit the tree at SRC
       mutate.py check MUT SRC         as apply, but only say whether it would
       mutate.py meta MUT              kind, class, expect, survives and run, tab-separated
       mutate.py verdict JSON RC EXPECT  one VM run's verdict against the mutant's expect line:
                                       VERDICT, BY, FIRST_S, SCENARIO, WORK, tab-separated
"""
import json
import sys


def parse(path):
    meta, edits, cur, mode = {}, [], None, None
    for n, line in enumerate(open(path).read().split('\n'), 1):
        if mode is None and line.startswith('#'):
            k, _, v = line[1:].partition(':')
            if v:
                meta[k.strip()] = v.strip()
            continue
        if line.startswith('file: '):
            cur = {'file': line[6:].strip(), 'old': [], 'new': []}
            edits.append(cur)
            mode = 'file'
        elif line in ('@@ old', '@@ new'):
            if cur is None:
                sys.exit('%s:%d: @@ before file:' % (path, n))
            mode = line[3:]
        elif line == '@@ end':
            mode = 'file'
        elif mode in ('old', 'new'):
            cur[mode].append(line)
        elif line.strip() and mode is not None:
            sys.exit('%s:%d: text outside @@ old/new' % (path, n))
    if not edits:
        sys.exit('%s: no edit' % path)
    for e in edits:
        if not e['old'] or e['old'] == e['new']:
            sys.exit('%s: edit of %s has no old text or changes nothing' % (path, e['file']))
    if meta.get('kind') not in ('mutant', 'control'):
        sys.exit('%s: header needs "# kind: mutant" or "# kind: control"' % path)
    return meta, edits


def apply(path, src, write):
    _, edits = parse(path)
    texts = {}
    for e in edits:
        f = '%s/%s' % (src, e['file'])
        t = texts.get(f)
        if t is None:
            t = open(f).read()
        old, new = '\n'.join(e['old']) + '\n', '\n'.join(e['new']) + '\n'
        c = t.count(old)
        if c != 1:
            print('mutate: %s: the old text occurs %d times in %s (must be once): the source moved; '
                  'update the mutant' % (path, c, e['file']), file=sys.stderr)
            return 1
        texts[f] = t.replace(old, new)
    if write:
        for f, t in texts.items():
            open(f, 'w').write(t)
    return 0


# what only the kernel reports: a kill whatever the mutant's expect line says
KERNEL_KINDS = {'kernel-splat'}


def expected_kinds(expect):
    """The kinds an expect line names: its first word, '/'-separated; none
    for "clean" (a control)."""
    first = (expect.split() or ['clean'])[0]
    return set() if first == 'clean' else set(first.split('/'))


def verdict(path, rc, expect, mode='serial'):
    """One VM run (its JSON report at path, the runner's exit code rc) against
    what the mutant should set off.  VERDICT is killed (an expected kind, or a
    kernel report: a splat, a crash), other (something else fired: printed,
    not a kill), clean, or error (the tool failed, the VM hung: not a kill)."""
    want = expected_kinds(expect)
    if rc == 10:
        return ('killed', 'kernel crash', '-', '-', '-')
    if rc == 11:
        return ('error', 'VM hang (no result): not a kill', '-', '-', '-')
    if rc not in (0, 1, 3):
        return ('error', 'arena-stress exit %d' % rc, '-', '-', '-')
    try:
        d = json.load(open(path))
    except (OSError, ValueError) as e:
        return ('error', 'no JSON report (%s)' % e, '-', '-', '-')
    t, first = 0.0, None
    allocs = sum(s['counters'].get('alloc', 0) for s in d['scenarios'])
    # serial: scenarios in turn, the time from the run's start; parallel
    # (-P, all at once): each scenario's own clock, the earliest kill
    for s in d['scenarios']:
        if s['status'] != 'ran':
            continue
        if s['violations_total']:
            v = s['violations'][0] if s['violations'] else {'kind': '?'}
            own = (s['first_detection_ms'] or 0) / 1000.0
            if mode == 'parallel':
                # the earliest violation of a kind that kills (JSON keeps the
                # first violations of each scenario, on its own clock)
                kills = lambda k: k in want or k in KERNEL_KINDS
                for x in s['violations']:
                    if kills(x['kind']) and (first is None or not kills(first[0]) or x['t_ms'] / 1000.0 < first[1]):
                        first = (x['kind'], x['t_ms'] / 1000.0, s['name'])
                if first is None or (not kills(first[0]) and own < first[1]):
                    first = (v['kind'], own, s['name'])
            elif first is None:
                first = (v['kind'], t + own, s['name'])
        t += s['duration_s']
    failed = ['%s %s' % (s['name'], s['status']) for s in d['scenarios']
              if s['status'] not in ('ran', 'skipped')]
    kinds = sorted({k for s in d['scenarios'] for k in s['by_kind']})
    # the tool's own failure (a worker stuck in user space) kills nothing
    real = [k for k in kinds if k != 'tool-stuck']
    work = '%d allocs' % allocs
    if failed:
        work += '; ' + ', '.join(failed)
    if not real:
        if kinds or failed:
            return ('error', 'the tool failed (%s): not a kill' % (', '.join(kinds + failed)), '-', '-', work)
        return ('clean', '-', '-', '-', work)
    fs = '%.2f' % first[1] if first else '-'
    sc = first[2] if first else '-'
    hit = [k for k in real if k in want or k in KERNEL_KINDS]
    if hit:
        return ('killed', '%s (first: %s)' % (','.join(real), first[0] if first else '?'), fs, sc, work)
    return ('other', 'killed by other (%s, expected %s)' % (','.join(real), '/'.join(sorted(want)) or 'clean'),
            fs, sc, work)


def main(a):
    if len(a) >= 2 and a[0] == 'files':
        for p in a[1:]:
            for e in parse(p)[1]:
                print(e['file'])
        return 0
    if len(a) == 3 and a[0] in ('apply', 'check'):
        return apply(a[1], a[2], a[0] == 'apply')
    if len(a) == 2 and a[0] == 'meta':
        m = parse(a[1])[0]
        print('\t'.join(m.get(k, '') for k in ('kind', 'class', 'expect', 'survives', 'run')))
        return 0
    if len(a) in (4, 5) and a[0] == 'verdict':
        print('\t'.join(verdict(a[1], int(a[2]), a[3], *a[4:])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
