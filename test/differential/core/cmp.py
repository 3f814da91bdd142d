"""cmp.py ml.out cs.out [ml1.out]: compares the OCaml and C# traces program by program.
A program whose result depends on an unspecified choice prints NONDET: only the lines before
it are compared. With ml1.out (the same programs built against Lwt with the callbacks of one
promise run in the order they were attached: order1/, run.sh), a program that differs from
Lwt and agrees with ml1.out is `order1` (README known difference 1), counted apart; the others
make the run fail (exit 1)."""
import sys, re, os
# split: the `== N` blocks of a trace (../traces.py, shared with the other areas' cmp.py)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from traces import split  # noqa: E402


def same(x, y):
    """x and y agree, each compared up to its NONDET line (at the same place in both)."""
    i = x.index('NONDET') if 'NONDET' in x else len(x)
    j = y.index('NONDET') if 'NONDET' in y else len(y)
    return i == j and x[:i] == y[:j]


a, b = split(sys.argv[1]), split(sys.argv[2])
o1 = split(sys.argv[3]) if len(sys.argv) > 3 else None
nd = 0; diff = []; order1 = []
for n in sorted(set(a) | set(b)):
    x, y = a.get(n), b.get(n)
    if x is None or y is None:
        diff.append(n); continue
    if 'NONDET' in x or 'NONDET' in y:
        nd += 1
        if same(x, y): continue
    elif x == y: continue
    if o1 is not None and o1.get(n) is not None and same(o1[n], y):
        order1.append(n)
    else:
        diff.append(n)
if o1 is not None:
    print(f"order1 (known difference 1: Lwt with attach-order callbacks agrees): {len(order1)} {order1[:60]}")
print(f"programs ml={len(a)} cs={len(b)} nondet={nd} differ={len(diff)}" + (f" order1={len(order1)}" if o1 is not None else ""))
print("differ:", diff[:60])
sys.exit(1 if diff else 0)  # run.sh: non-zero when a program differs
