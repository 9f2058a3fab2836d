#!/usr/bin/env python3
"""Named one-place source edits of the kernel (tests/kernel/mutants/*.mut).

A .mut file: '#' header lines (name, kind: mutant|control, class, expect;
survives: why no observer can see it; run: arena-stress arguments of its own
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
"""
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
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
