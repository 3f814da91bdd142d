import sys, re, os
# split: the `== N` blocks of a trace (../traces.py, shared with the other areas' cmp.py)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from traces import split  # noqa: E402
a, b = split(sys.argv[1]), split(sys.argv[2])
nd = 0; diff = []
for n in sorted(set(a) | set(b)):
    x, y = a.get(n), b.get(n)
    if x is None or y is None:
        diff.append(n); continue
    if 'NONDET' in x or 'NONDET' in y:
        nd += 1
        i = x.index('NONDET') if 'NONDET' in x else len(x)
        j = y.index('NONDET') if 'NONDET' in y else len(y)
        if x[:i] != y[:j] or i != j: diff.append(n)
        continue
    if x != y: diff.append(n)
print(f"programs ml={len(a)} cs={len(b)} nondet={nd} differ={len(diff)}")
print("differ:", diff[:60])
sys.exit(1 if diff else 0)  # run.sh: non-zero when a program differs
