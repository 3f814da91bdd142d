#!/usr/bin/env python3
"""cmp.py ml.out cs.out csb.out [ml1.out]: compares, program by program, the OCaml trace with the C#
async-method trace (cs.out) and the C# Bind trace (csb.out, the OCaml program's shape written
with Promise.Bind/Catch/Finally). Classes:
  same        all three agree;
  builder     the async methods differ from the Bind program (PromiseMethodBuilder/Awaiters);
  bind-only   the async methods agree with OCaml, the Bind program does not (the core's Bind:
              README known difference 3, a cancel that arrives while the bind's callback runs);
  order+bind-only  as bind-only, and async differs from OCaml in the order of lines only;
  order1+bind-only as bind-only, async agreeing with ml1.out (Lwt with attach-order callbacks)
              instead of OCaml: known differences 1 and 3;
  order-core  async == Bind, and both differ from OCaml only in the order of lines (README
              "Known differences" 1: callbacks of one promise run oldest first here);
  core        async == Bind, both differ from OCaml in more than order (the core, not the builder);
  order1      as core, and both agree with ml1.out, the OCaml program built against Lwt with the
              callbacks of one promise run in the order they were attached (order1/, run.sh):
              known difference 1 and its consequences;
  nondet      a pick/choose among several resolved promises (compared up to NONDET).
Exit 1 when a program is in `builder` or `core`. SHOW=1 prints every differing program."""
import os, sys


# split: the `== N` blocks of a trace (../traces.py, shared with the other areas' cmp.py)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from traces import split  # noqa: E402


def cut(x):
    return x[:x.index('NONDET')] if 'NONDET' in x else x


ml, cs, csb = (split(f) for f in sys.argv[1:4])
o1 = split(sys.argv[4]) if len(sys.argv) > 4 else {}
cls = {k: [] for k in ('same', 'builder', 'bind-only', 'order+bind-only', 'order1+bind-only', 'order-core', 'core', 'order1', 'nondet', 'missing')}
for n in sorted(set(ml) | set(cs) | set(csb)):
    a, b, c = ml.get(n), cs.get(n), csb.get(n)
    if a is None or b is None or c is None:
        cls['missing'].append(n); continue
    nd = 'NONDET' in a or 'NONDET' in b or 'NONDET' in c
    if nd:
        a, b, c = cut(a), cut(b), cut(c)
    if b != c:
        # async agrees with OCaml, the Bind program does not: the core's Bind (e.g. README
        # known difference 3, a cancel between a bind's input resolving and its callback)
        # (order+bind-only: async differs from OCaml only in order, README known difference 1)
        # (order1+bind-only: async agrees with ml1.out, Lwt with attach-order callbacks: known
        # differences 1 and 3)
        cls['bind-only' if a == b else 'order+bind-only' if sorted(a) == sorted(b)
            else 'order1+bind-only' if n in o1 and ('NONDET' in o1[n]) == ('NONDET' in cs[n]) and cut(o1[n]) == cut(cs[n])
            else 'builder'].append(n)
    elif a == b:
        cls['nondet' if nd else 'same'].append(n)
    elif sorted(a) == sorted(b):
        cls['order-core'].append(n)
    elif n in o1 and ('NONDET' in o1[n]) == ('NONDET' in cs[n]) and cut(o1[n]) == cut(cs[n]):
        cls['order1'].append(n)
    else:
        cls['core'].append(n)
for k, v in cls.items():
    if k not in ('order1', 'order1+bind-only') or len(sys.argv) > 4:
        print(f'{k}: {len(v)} {v[:40]}')
bad = cls['builder'] + cls['core'] + cls['missing']
print(f"programs ml={len(ml)} cs={len(cs)} csb={len(csb)} builder={len(cls['builder'])} core={len(cls['core'])} "
      f"order-core={len(cls['order-core'])}" + (f" order1={len(cls['order1'])}" if len(sys.argv) > 4 else "") + f" missing={len(cls['missing'])}")
sys.exit(1 if bad else 0)
