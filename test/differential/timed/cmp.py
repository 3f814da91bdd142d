#!/usr/bin/env python3
# Compares the traces of the timed area (see gen.py and ../README.md): usage cmp.py ml.out cs.out [meta.txt]
# Classes: `slot-jitter` (the same lines in the same order, some at another slot: a timer late
# or early by half a time unit, usually machine load; rerun before reading more into it),
# `same-slot-order` (the same lines, reordered only among lines of one slot: simultaneous events,
# whose order Lwt leaves unspecified), and real differences (listed; exit 1).
import sys, re, os
from collections import Counter, defaultdict

# split: the `== N` blocks of a trace (../traces.py, shared with the other areas' cmp.py)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from traces import split  # noqa: E402

SLOT = re.compile(r'^\[(-?\d+)\] (.*)$')
def parse(lines):
    out = []
    for l in lines:
        m = SLOT.match(l)
        out.append((int(m.group(1)), m.group(2)) if m else (None, l))
    return out

def groups(ev):
    g = defaultdict(list)
    for s, t in ev:
        g[s].append(t)
    return {s: sorted(v) for s, v in g.items()}

a, b = split(sys.argv[1]), split(sys.argv[2])
meta = {}
if len(sys.argv) > 3:
    for line in open(sys.argv[3]):
        parts = line.split()
        if parts:
            meta[int(parts[0])] = parts[1:]
c = Counter(); lists = defaultdict(list)
for k in sorted(set(a) | set(b)):
    la, lb = a.get(k), b.get(k)
    fam = (meta.get(k) or ['?'])[0]
    if la == lb:
        c['same'] += 1; continue
    if la is None or lb is None:
        cls = 'missing'
    else:
        ea, eb = parse(la), parse(lb)
        if [t for _, t in ea] == [t for _, t in eb]:
            cls = 'slot-jitter'
        elif groups(ea) == groups(eb):
            cls = 'same-slot-order'
        else:
            cls = 'diff'
    flags = set((meta.get(k) or ['?'])[1:])
    if cls == 'diff' and 'zero' in flags:
        cls = 'zero'   # Lwt's sleep 0 is a timer, ours a pause (README, Known differences)
    elif cls == 'diff' and 'tie' in flags:
        cls = 'tie'    # equal deadlines set in one turn: libev's heap decides (README, Known differences)
    elif cls == 'diff' and 'cancel' in flags:
        cls = 'thr-cancel'  # a canceled Lwt_throttle waiter still takes its place in Lwt (README)
    elif cls == 'diff' and 'sametick' in flags:
        cls = 'tmo-sametick'  # actions of one wheel tick that act on each other: Lwt runs the newest first (README)
    c[cls] += 1
    lists[cls].append(f"{k}({fam}{':' + ','.join(meta[k][1:]) if k in meta and len(meta[k]) > 1 else ''})")
print(f"programs: ml={len(a)} cs={len(b)}")
for cls in ('missing', 'diff', 'slot-jitter', 'same-slot-order', 'zero', 'tie', 'thr-cancel', 'tmo-sametick'):
    if lists[cls]:
        print(f"{cls}: {' '.join(lists[cls][:100])}")
print(dict(c))
sys.exit(1 if c['diff'] or c['missing'] else 0)
