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
# `ofseq-memo` (OPTS ofseq): ours remembers each node of `LwtSeq.OfSeq`/`OfSeqLwt` (an enumerator
# cannot be rewound; repository README "Orders", LwtSeq.OfSeqLwt's XML doc), where Lwt's
# of_seq/of_seq_lwt recompute a node from the OCaml Seq each time a tail is forced again, running
# the Seq's effects (`genI x=..` prints, `oslI x=..` calls) again. Counted when the first differing
# line is such an effect in Lwt's trace and Lwt ran that source's effects more times than ours.
EFFECT = re.compile(r'^(?:call\d+ )?((?:gen|osl)\d+) x=')
def ofseq_memo(la, lb):
    for x, y in zip(la, lb):
        if x != y:
            m = EFFECT.match(x)
            if not m: return False
            n = lambda ls: sum(1 for l in ls if (e := EFFECT.match(l)) and e.group(1) == m.group(1))
            return n(la) > n(lb)
    return False
memo = [k for k in diffs if k not in sync and a.get(k) and b.get(k) and ofseq_memo(a[k], b[k])]
# `order1`: with ml1.out (the programs built against Lwt with the callbacks of one promise run in
# the order they were attached, ../order1/, run.sh), a program that agrees with it: README known
# difference 1, e.g. Lwt_result.both of two results derived from one pending result
o1 = split(sys.argv[3]) if len(sys.argv) > 3 else {}
order1 = [k for k in diffs if k not in sync and k not in memo and k in o1 and o1[k] == b.get(k)]
real = [k for k in diffs if k not in sync and k not in memo and k not in order1]
print(f'programs {len(a)}/{len(b)}  diffs {len(diffs)} (ocaml-SYNC {len(syncdiff)}, ofseq-memo {len(memo)}, '
      + (f'order1 {len(order1)}, ' if len(sys.argv) > 3 else '') + f'other {len(real)})')
from collections import Counter
print('by kind:', Counter(a[k][0] if a.get(k) else '?' for k in real).most_common())
print('first:', real[:15])
sys.exit(1 if real else 0)  # run.sh: non-zero when a non-SYNC difference remains
