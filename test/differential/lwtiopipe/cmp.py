import sys, re, os, difflib
from collections import Counter
# Compares the traces of lwtiopipe (see README.md). Each program is a block "=== N".
# Known classes, counted but not listed (SHOWKNOWN=1 lists them):
# - order-only: the same lines in another order. The pipe's data reaches a waiting reader
#   through the engine, and the two loops interleave that wake-up with pauses differently.
# - readline-pending, read-timing: see classify.
def parse(f):
    d = {}; cur = None
    for line in open(f, errors='replace'):
        line = line.rstrip('\n')
        m = re.match(r'=== (\d+)$', line)
        if m: cur = int(m.group(1)); d[cur] = []; continue
        if cur is not None: d[cur].append(line)
    return d
a = parse(sys.argv[1]); b = parse(sys.argv[2])
SHOWKNOWN = os.environ.get('SHOWKNOWN', '0') == '1'
def icsum(ls):
    # "ic pos=P buffered=B" -> "ic pos+buffered=P+B": what the reader took from the pipe;
    # the reader's position and buffered asked by a step are dropped.
    ls = [re.sub(r'^ic pos=(\d+) buffered=(\d+)', lambda m: f'ic pos+buffered={int(m.group(1)) + int(m.group(2))}', l) for l in ls]
    return [re.sub(r'^([\d.]+:(?:main:)?(?:position|buffered) ic) = \d+$', r'\1 = ?', l) for l in ls]
def classify(la, lb):
    if sorted(la) == sorted(lb): return 'order-only'
    # server mode: a client connects over TCP and the server is shut down at once. The
    # connect's completion and the listening socket's readiness come in the same loop
    # iteration; Lwt ran the client first (its shutdown then cancels the accept, the
    # connection is never served), ours the accept first (the handler starts, then sees the
    # end of input). The order of two descriptors' readiness in one iteration is unspecified.
    extra = {m.group(1) for l in lb for m in [re.match(r'(h\d+) start', l)] if m} - {m.group(1) for l in la for m in [re.match(r'(h\d+) start', l)] if m}
    if extra and any(l == 'shutdown = ()' for l in la):
        keep = [l for l in lb if not any(l in (h + ' start', h + ' start(fd)', h + ' eof') for h in extra)]
        if sorted(keep) == sorted(la): return 'accept-vs-shutdown'
    # A read_line waiting for the rest of its line: Lwt has moved the partial line out of the
    # channel's buffer (position counts it, buffered does not); ours keeps it buffered
    # (cancel-safe), so position and buffered differ, their sum does not.
    if any(':read_line' in l for l in la) and sorted(icsum(la)) == sorted(icsum(lb)): return 'readline-pending'
    # Everything the program read and wrote agrees; only how much the reader had taken from
    # the pipe at the middle check differs: the two loops notice the pipe's data at
    # different turns (a refill made before or after the next chunk arrived).
    drop = lambda ls: sorted(re.sub(r' = \d+$', ' = ?', l) for l in icsum(ls) if not l.startswith('ic pos+buffered='))
    if drop(la) == drop(lb): return 'read-timing'
    return None
known = Counter(); bad = []
for k in sorted(set(a) | set(b)):
    la, lb = a.get(k), b.get(k)
    if la == lb: continue
    cls = classify(la, lb) if la is not None and lb is not None else None
    if cls and not SHOWKNOWN: known[cls] += 1; continue
    bad.append(k)
    print(f'##### prog {k}' + (f' (known: {cls})' if cls else ''))
    for l in difflib.unified_diff(la or [], lb or [], 'ml', 'cs', lineterm='', n=50): print(l)
if known: print(f'known (not listed): {dict(known)}')
print(f'total {len(set(a) | set(b))} differing {len(bad)}: {bad[:50]}')
sys.exit(1 if bad else 0)  # run.sh: non-zero when a program differs (known classes excepted)
