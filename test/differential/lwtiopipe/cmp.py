import sys, re, os, difflib
from collections import Counter
# Compares the traces of lwtiopipe (see README.md). Each program is a block "=== N".
# Known classes, counted but not listed (SHOWKNOWN=1 lists them):
# - order-only: the same lines in another order. The pipe's data reaches a waiting reader
#   through the engine, and the two loops interleave that wake-up with pauses differently.
# - readline-pending, read-timing, and for the cancel mode readline-cancel, lwt-close-in-atomic,
#   eof-a-turn-later, cancel-ours-only, read-cut, and for cancelsock lwt-close-job-late,
#   shutdown-read-turn, and read-chunks, and for cancelx lwt-nget-head: see classify.
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
    ls = [re.sub(r'^(\s*)ic pos=(\d+) buffered=(\d+)', lambda m: f'{m.group(1)}ic pos+buffered={int(m.group(2)) + int(m.group(3))}', l) for l in ls]
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
    # cancel mode: a read_line canceled while it waits for the end of its line: lwt_io.ml has
    # moved the part it scanned out of the buffer and loses it, ours keeps it buffered for the
    # next read (README's readline-buffer: deliberate), so later reads and the drain differ.
    canc = lambda ls: sorted(l.split(':', 1)[0] for l in ls if re.match(r'[\d.]+:.* ! CANCELED$', l))
    # (the bytes ours kept may end a read that waits for ever in Lwt, which a later step
    # cancels there: what ours cancels, Lwt cancels too; seed 2535 prog 147)
    if any(re.match(r'[\d.]+:read_line(_opt)? ! CANCELED$', l) for l in la) and any(re.match(r'[\d.]+:read_line(_opt)? ! CANCELED$', l) for l in lb) \
            and set(canc(lb)) <= set(canc(la)): return 'readline-cancel'
    # cancel mode: an abort or close of an end while an atomic block holds it: Lwt 5.6.1 closes
    # only the block's channel (the descriptor), its channel stays open and later operations
    # fail EBADF, close with Invalid_argument (README's lwt-close-in-atomic: a Lwt bug).
    for e in ('ic', 'oc'):
        if (any(re.match(r'[\d.]+:atomic ' + e, l) for l in la) and any(re.match(r'\d+:(abort|close) ' + e + r' = \(\)$', l) for l in la)
                and any('UNIX(Bad file descriptor)' in l or l == 'end:close ' + e + ' SYNC INVARG' for l in la)):
            return 'lwt-close-in-atomic'
    # cancel mode: a read that finds the end of input at once in Lwt ends a loop iteration
    # later here (README: LwtFd.ReadDrained waits for the engine's readiness after a short
    # read), so it is still busy at a cancel or probe, or canceled there where Lwt got EOF.
    eofs = {l[:-len(' ! EOF')] for l in la if l.endswith(' ! EOF')}
    nb = lambda ls: sorted(re.sub(r'busy=\w+', 'busy=?', l) for l in ls)
    lb2 = [l[:-len(' ! CANCELED')] + ' ! EOF' if l.endswith(' ! CANCELED') and l[:-len(' ! CANCELED')] in eofs else l for l in lb]
    if nb(la) == nb(lb2): return 'eof-a-turn-later'
    # cancel mode: an operation canceled here and not in Lwt, where it ended otherwise (not
    # PENDING). Two known causes, which the traces do not tell apart: (1) Lwt.cancel of an
    # operation whose turn has just come (the one before it was canceled or ended in a
    # callback, its wake-up deferred): Lwt's cancel finds nothing pending and is lost, ours
    # cancels it (lwtio's cancel-once-waiting, the core's CancelOnceWaiting, commit cc6b0f9);
    # (2) a read of data that is already in the pipe, after a short read: Lwt tries the call
    # first and the read ends at once, ours waits a loop iteration for readiness
    # (LwtFd.ReadDrained), so a cancel right after the call cancels it (seed 2539 prog 112).
    only = [k for k in set(canc(lb)) - set(canc(la))
            if any(x.startswith(k + ':') and ' = ' in x or x.startswith(k + ':') and x.endswith(' ! EOF') for x in la)]
    if only: return 'cancel-ours-only'
    # cancel mode: the bytes read are the same, cut otherwise by reads that take what is
    # buffered (read with a count, the drain): ours keeps a pending line in the buffer (and
    # grows it), so refills differ (README's readline-buffer); the channels' positions and what
    # is still pending at the middle check follow.
    def unrle(x):
        return re.sub(r'\[([0-9a-f]{2})\*(\d+)\]', lambda m: m.group(1) * int(m.group(2)), x)
    isdata = lambda l: re.match(r'([\d.]+:read \d+|end:drain) = ', l)
    isstate = lambda l: re.match(r'\s*(ic|oc) pos=', l) or re.match(r'mid .* PENDING$', l)
    rest = lambda ls: sorted(l for l in ls if not isdata(l) and not isstate(l))
    data = lambda ls: ''.join(unrle(l.split(' = ', 1)[1]) for l in ls if isdata(l))
    if any(':read_line' in l for l in la) and rest(la) == rest(lb) and data(la) == data(lb): return 'read-cut'
    # The same, also counting read_into's bytes, without a line read: after a short read ours
    # waits a loop iteration for readiness (LwtFd.ReadDrained) where Lwt reads at once, so
    # more data has come (a TCP segment, a later write) and a read that takes what is there
    # takes more (cancelsock seed 2606 prog 139, 2609 prog 114: the cancel's state line).
    def intodata(l):
        m = re.match(r'[\d.]+:read_into \d+ (\d+) \d+ = (\d+) ([0-9a-f]*)$', l)
        return m.group(3)[2 * int(m.group(1)):2 * (int(m.group(1)) + int(m.group(2)))] if m else None
    isdata2 = lambda l: isdata(l) or intodata(l) is not None
    rest2 = lambda ls: sorted(l for l in ls if not isdata2(l) and not isstate(l))
    data2 = lambda ls: ''.join(intodata(l) if intodata(l) is not None else unrle(l.split(' = ', 1)[1]) for l in ls if isdata2(l))
    if rest2(la) == rest2(lb) and data2(la) == data2(lb) and la[-2:] == lb[-2:]: return 'read-chunks'
    # cancelsock: Lwt_unix.close is a job in Lwt: on a loaded machine it may not have ended by
    # the settle after the close step ("K K:close oc PENDING" in Lwt only; a rerun of Lwt's
    # binary shows it done: seed 2607 prog 66), and the socket, still open meanwhile, lets a
    # flush through that fails EPIPE here (seed 2606 prog 82). Ours closes at once.
    late = [m.group(2) + ':' for l in la for m in [re.match(r'(\d+) (\d+):(?:close|abort) (?:ic|oc) PENDING$', l)] if m and m.group(1) == m.group(2)]
    if late and not any(re.match(r'(\d+) ' + k[:-1] + r':(?:close|abort) ', l) for k in late for l in lb): return 'lwt-close-job-late'
    # cancelsock: after a shutdown(2) of the reading socket's receive side (or the writer's
    # send side), a read that finds the socket's queue empty gets 0 (end of input) at once in
    # Lwt, which tries the call first; ours, after a short read (LwtFd.ReadDrained), waits a
    # loop iteration for readiness, by which time more data (written after the shutdown, which
    # Linux still queues) or a reset may have come: the same bytes and errors, met by other
    # reads (seed 2601 prog 7, 2606 prog 40, 2604 prog 15). Only reads' results, the
    # channels' states, pending lists and the drain differ.
    # (isread: a line of what a read got or how far the reader went: results of reads, the
    # drain, the channels' states, the pending lists)
    isread = lambda l: re.match(r'([\d.]+:(read|get|nget|junk|LE\.read|BE\.read)[^ ]*( \S+)*|end:drain) [=!] ', l) \
        or re.match(r'\s*(ic|oc) pos=', l) or re.match(r'\S+ [\d.]+:\S.* PENDING$', l) or re.match(r'[\d.]+:atomic ic [=!] ', l)
    if any(re.match(r'\d+:shutdown \w+ = \(\)$', l) for l in la):
        # (the final states, after the drain, agree: as many bytes taken in all; unless the
        # receive side was shut down: a read then gets 0 whenever the socket's queue is empty
        # for a moment, so even the drain ends early at a point of timing: seed 2609 prog 87)
        rd = any(re.match(r'\d+:shutdown (receive|all) = \(\)$', l) for l in la)
        if (rd or la[-2:] == lb[-2:]) and sorted(l for l in la if not isread(l)) == sorted(l for l in lb if not isread(l)): return 'shutdown-read-turn'
    # cancelx: Lwt 5.6.1's Lwt_stream.nget looks at the stream's head (s.node.data) instead of
    # the node it reached, so when another read of the same stream waiting beside it (get,
    # junk, nget) took that item first, Lwt's nget ends at once with what it had; ours walks
    # its own position, as Lwt's get_while/njunk/to_list do, and returns each item it passes
    # (README, syncstream's not-classified list: nget; cancelx seeds 2616 prog 18, 2619 prog 35,
    # 2704 prog 115, 2706 prog 140, 2707 prog 102). Counted when Lwt's nget result is a proper
    # prefix of ours (or ours is still pending at the end, Lwt's having ended), another read of
    # that stream is in the program, every line but reads, states and pending lists agrees,
    # and the final states (after the drain: as many bytes taken in all) agree.
    ng = [(m.group(1), m.group(2), m.group(3)) for l in la for m in [re.match(r'(\d+):nget \d+ (st\d+) = (.*)$', l)] if m]
    short = []
    for k, st, x in ng:
        y = [m.group(1) for l in lb for m in [re.match(k + r':nget \d+ ' + st + r' = (.*)$', l)] if m]
        if y and not (y[0].startswith(x) and len(y[0]) > len(x)): continue
        if any(m and m.group(1) != k for l in la for m in [re.match(r'(?:\S+ )?(\d+):(?:get|junk|nget(?: \d+)?) ' + st + r'(?: |$)', l)]):
            short.append(k)
    if short and la[-2:] == lb[-2:]:
        keep = lambda ls: sorted(l for l in ls if not isread(l) and not any(re.match(r'(?:\S+ )?' + k + r':nget ', l) for k in short))
        if keep(la) == keep(lb): return 'lwt-nget-head'
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
