#!/usr/bin/env python3
"""Compares the traces of area mainsys (see ../README.md): blocks headed "P<k>".

usage: cmp.py ml.out cs.out     (env SHOWKNOWN=1 also lists the known classes' programs)
Known classes are counted apart (see KNOWN below and the README's "Known differences").
"""
import os
import re
import sys
from collections import Counter


def split(fn):
    progs, cur = {}, None
    for line in open(fn, errors='replace'):
        line = line.rstrip('\n')
        if re.fullmatch(r'P\d+', line):
            cur = int(line[1:])
            progs[cur] = []
        elif cur is not None:
            progs[cur].append(line)
    return progs


DETACH = re.compile(r'  (detach|run_in_main)\b')


def first_detach_reset(x, y):
    """Lwt 5.6.1's set_bounds does not count as initialising Lwt_preemptive, so a process's
    first detach calls simple_init, which sets the bounds back to (0, 4); ours keeps them
    (LwtPreemptive.SetBounds's XML doc, deliberate). Only in the first program of a process
    that detaches (the caller checks that), after a set_bounds that succeeded before its first
    detach: the first differing line is Lwt's `bounds 0,4`, and only bounds and busy lines
    differ (mainsys seed 2412 prog 5)."""
    d = [i for i in range(len(x)) if x[i] != y[i]]
    if not d or x[d[0]] != '  bounds 0,4':
        return False
    first = next(i for i, l in enumerate(x) if DETACH.match(l))
    if first > d[0] or not any(re.match(r'  set_bounds \d+,\d+ ok', l) for l in x[:first]):
        return False
    return all(any(x[i].startswith(p) and y[i].startswith(p) for p in ('  bounds ', '  busy ')) for i in d)


def bounds_max0_refused(x, y):
    """`LwtPreemptive.SetBounds(0, 0)` throws (its XML doc: the maximum is at least 1, a pool
    that may start no worker would leave every Detach waiting), so the bounds stay; Lwt 5.6.1
    takes (0, 0). Only the set_bounds 0,0 line and the bounds and busy lines after it differ
    (seeds 2316 prog 100, 2418 progs 81 and 98)."""
    d = [i for i in range(len(x)) if x[i] != y[i]]
    if not d or x[d[0]] != '  set_bounds 0,0 ok' or not y[d[0]].startswith('  set_bounds 0,0 '):
        return False
    return all(any(x[i].startswith(p) and y[i].startswith(p) for p in ('  bounds ', '  busy ')) for i in d[1:])


def bounds_before_init(x, y):
    """`Lwt_preemptive.get_bounds` before anything initialised the pool (no set_bounds that
    succeeded, no detach, no init): Lwt 5.6.1 gives (0, 0), its refs' initial values, until
    simple_init sets (0, 4); ours gives (0, 4) from the start (LwtPreemptive.GetBounds's XML
    doc). Every differing line is Lwt's `bounds 0,0` against ours `bounds 0,4`, with no
    `set_bounds 0,0 ok` before it (that is ours-set-bounds-max0-refused) (mainsys seed 3057 P0:
    a first program whose set_bounds 3,1 failed)."""
    d = [i for i in range(len(x)) if x[i] != y[i]]
    return bool(d) and all(x[i] == '  bounds 0,0' and y[i] == '  bounds 0,4'
                           and '  set_bounds 0,0 ok' not in x[:i] for i in d)


def classify(x, y, first_to_detach=False, src=None):
    """The known class of a difference, or None."""
    if len(x) == len(y) and bounds_before_init(x, y):
        return 'lwt-bounds-before-init'
    if len(x) == len(y) and bounds_max0_refused(x, y):
        return 'ours-set-bounds-max0-refused'
    if first_to_detach and len(x) == len(y) and first_detach_reset(x, y):
        return 'lwt-first-detach-resets-bounds'
    if len(x) == len(y):
        # Lwt gives every on_signal_full handler of a signal the id of the first handler
        # installed for it (lwt_unix's notification closes over that first id)
        if all(a == b or (a.endswith(' other') and b.endswith(' own') and a[:-6] == b[:-4])
               for a, b in zip(x, y)):
            return 'lwt-signal-full-first-id'
        # glibc's getaddrinfo also answers SOCK_RAW without a socket type hint; ours does not
        # (LwtUnix.GetAddrInfo's XML doc)
        def noraw(l):
            return re.sub(r'[A-Z0-9]+/RAW/[^;\]]*;?', '', l).replace(';]', ']')
        if all(a == b or noraw(a) == b for a, b in zip(x, y)):
            return 'ours-getaddrinfo-no-raw'
    # Signals sent close together reach our handlers in any order: the runtime runs each
    # signal's managed handlers on a thread of its own (PosixSignalRegistration), so two
    # signals pending at once race to the loop. Same lines, another order, and more than
    # one signal sent.
    def own(l):
        return l[:-6] + ' own' if l.endswith(' other') else l
    kills = sum(int(m.group(1)) for l in x for m in [re.fullmatch(r'kill \S+ x(\d+)', l.strip())] if m)
    if kills >= 2 and sorted(map(own, x)) == sorted(map(own, y)):
        return 'runtime-signal-order'
    # The same race where it decided something: a handler that disables another ran, in one
    # trace, before a signal of that other handler was dispatched, so that trace lacks the
    # other handler's last runs (seed 2977 P10: USR2 twice, then USR1; Lwt's pipe gives
    # H2.1 H2.2 H0.1, ours H2.1 H0.1, whose first run disables h2; 5 of 6 reruns of ours alone
    # print Lwt's lines). Counted when more than one signal was sent, the lines other than the
    # handlers' agree in order, one trace's handler lines are the other's less some, and each
    # missing line `Hk.n` is of a handler k that the program's source (`src`, its `let pK`
    # block of progs.ml) disables in a handler j's run c (`if cnt.(j) = c then begin ...
    # disable_signal_handler ids.(k)`), `Hj.c` coming, in the shorter trace, before the lines
    # of k it kept past n-1.
    if kills >= 2 and src and len(x) != len(y):
        hl = re.compile(r'  H(\d+)\.(\d+) ')
        short, long_ = (x, y) if len(x) < len(y) else (y, x)
        if [own(l) for l in short if not hl.match(l)] == [own(l) for l in long_ if not hl.match(l)]:
            sc, lc = Counter(map(own, short)), Counter(map(own, long_))
            if not (sc - lc):
                disables = {}
                # (one piece per definition: `let rec h0 id s = ...`, `and h1 s = ...`)
                for piece in re.split(r'\n\s*(?:let rec|and) ', src):
                    m = re.match(r'h(\d+) (?:id )?s = [\s\S]*?if cnt\.\(\d+\) = (\d+) then begin ([^\n]*?) end', piece)
                    for k in re.findall(r'disable_signal_handler ids\.\((\d+)\)', m.group(3)) if m else []:
                        disables.setdefault(int(k), []).append((int(m.group(1)), int(m.group(2))))
                def explained(line):
                    mk = hl.match(line)
                    k = int(mk.group(1))
                    for j, c in disables.get(k, []):
                        pos = next((i for i, l in enumerate(short) if re.match(rf'  H{j}\.{c} ', l)), None)
                        if pos is not None and not any(hl.match(l) and hl.match(l).group(1) == str(k) for l in short[pos + 1:]):
                            return True
                    return False
                missing = list((lc - sc).elements())
                if missing and all(hl.match(l) and explained(l) for l in missing):
                    return 'runtime-signal-order'
    return None


def main():
    a, b = split(sys.argv[1]), split(sys.argv[2])
    show = os.environ.get('SHOWKNOWN') == '1'
    diff, known = [], {}
    out = []
    # the first program of each process that detaches (first_detach_reset): the in-process
    # programs share one process, in trace order; each exit program (its block ends with its
    # `rc` line) has its own
    first_to_detach, detached = set(), False
    # each program's OCaml source (progs.ml beside the traces), for the signal race classes
    srcs = {}
    pml = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), 'progs.ml')
    if os.path.exists(pml):
        for m in re.finditer(r'(?ms)^let p(\d+) \(\) =\n.*?(?=^let |\Z)', open(pml, errors='replace').read()):
            srcs[int(m.group(1))] = m.group(0)
    for n, x in a.items():
        if not any(DETACH.match(l) for l in x):
            continue
        own = bool(x) and x[-1].startswith('  rc')
        if own or not detached:
            first_to_detach.add(n)
        detached = detached or not own
    for n in sorted(set(a) | set(b)):
        x, y = a.get(n), b.get(n)
        if x == y:
            continue
        if x is None or y is None:
            diff.append(n)
            out.append(f'P{n}: only in {"cs" if x is None else "ml"}')
            continue
        c = classify(x, y, n in first_to_detach, srcs.get(n))
        if c:
            known.setdefault(c, []).append(n)
            if not show:
                continue
        else:
            diff.append(n)
        i = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
        out.append(f'P{n}{" [" + c + "]" if c else ""}: first difference at line {i}')
        for j in range(max(0, i - 3), max(len(x), len(y))):
            l = x[j] if j < len(x) else '<none>'
            r = y[j] if j < len(y) else '<none>'
            out.append(f'  {"  " if l == r else "! "}ML: {l:45s} CS: {r}')
    print('\n'.join(out))
    ks = ' '.join(f'{k}={len(v)}' for k, v in sorted(known.items()))
    print(f'known: {ks or "none"} ' + ' '.join(f'{k}:{v[:20]}' for k, v in sorted(known.items())))
    print(f'programs ml={len(a)} cs={len(b)} differ={len(diff)}')
    print('differ:', diff[:80])
    sys.exit(1 if diff else 0)


if __name__ == '__main__':
    main()
