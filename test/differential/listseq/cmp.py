import sys, re
def split(path):
    progs = {}; cur = None
    for line in open(path):
        if line.startswith('== '):
            cur = int(line[3:]); progs[cur] = []
        elif cur is not None: progs[cur].append(line.rstrip('\n'))
    return progs
a, b = split(sys.argv[1]), split(sys.argv[2])
diffs = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
sync = [k for k in a if any(l.startswith('SYNC') for l in a[k])]
syncdiff = [k for k in diffs if k in sync]
real = [k for k in diffs if k not in sync]
print(f'programs {len(a)}/{len(b)}  diffs {len(diffs)} (ocaml-SYNC {len(syncdiff)}, other {len(real)})')
from collections import Counter
print('by kind:', Counter(a[k][0] if a.get(k) else '?' for k in real).most_common())
print('first:', real[:15])
sys.exit(1 if real else 0)  # run.sh: non-zero when a non-SYNC difference remains
