# Compares the sockproc traces program by program (see ../README.md); prints each differing
# program up to its first differing line, then a summary. Exit 1 when an unexplained difference remains.
import collections, os, re, sys
def progs(fn):
    d = collections.OrderedDict(); cur = None
    for line in open(fn, errors='replace'):
        line = line.rstrip('\n')
        if re.match(r'^P\d+$', line): cur = line; d[cur] = []
        elif cur: d[cur].append(line)
    return d
a, b = progs(sys.argv[1]), progs(sys.argv[2])
STRICT = os.environ.get('STRICT') == '1'
def norm(x, ours):
    # (a) Lwt raises EBADF from check_descriptor (or set_nonblock...); ours names the operation
    if ours: return re.sub(r'ERR\(Bad file descriptor,[^,]*,\)', 'EBADF', x)
    return re.sub(r'ERR\(Bad file descriptor,(check_descriptor|clear_nonblock|set_nonblock),\)', 'EBADF', x)
def same(x, y):
    return x == y or (not STRICT and norm(x, False) == norm(y, True))
def eq(la, lb):
    return lb is not None and len(la) == len(lb) and all(same(x, y) for x, y in zip(la, lb))
BRACKETS = re.compile(r'\[[^\]]*\]')
KNOWN = [
    # Lwt 5.6.1's C stub of sendto reports its errors as "send" (lwt_unix_sendto: uerror("send", ...))
    ('lwt-sendto-named-send', lambda x, y: ',send,)' in x and 'sendto' in x and y == x.replace(',send,)', ',sendto,)')),
    # ours rejects what a process timeout cut short with TimeoutException (LwtProcess.cs header); Lwt's reads see the closed channel
    ('ours-process-timeout-exception', lambda x, y: 'timeout=' in x and 'EXN TimeoutException' in y),
    # LwtUnix.SetBlocking refuses to change the mode while operations wait (XML doc); Lwt changes it under them
    ('ours-set-blocking-refused-while-waiting', lambda x, y: x.strip().startswith('set_blocking') and 'InvalidOperationException' in y and 'waiting for readiness' in y),
    # (KNOWN=1 only) a program that cannot be started (no such program, no such cwd): ours raises ENOENT
    # (posix_spawnp, chdir) at the call (LwtProcess.cs header); Lwt 5.6.1 forks, the exec or chdir fails
    # in the child, which exits with 127
    ('ours-spawn-failure-raises', lambda x, y: ("'NOSUCH'" in x and 'posix_spawnp' in y) or ('cwd=/nonexistent-dir' in x and ',chdir,' in y)),
    # Lwt 5.6.1 unix_readv_job.c result_readv copies every temporary buffer whole into the bytes
    # buffers, whatever the count read: a blocking socket's readv fills the unread part with garbage
    ('lwt-blocking-readv-copies-whole-buffers', lambda x, y: BRACKETS.sub('[]', norm(x, False)) == BRACKETS.sub('[]', norm(y, True)) and '\\x' in x and '\\x' not in y),
    # TCP: a close with unread data sends a RST; which of the peer's next calls gets ECONNRESET (and
    # which EPIPE or end of file) depends on when each loop sees it (Lwt's close is a job)
    ('tcp-rst-race', lambda x, y: ('Connection reset by peer' in x) != ('Connection reset by peer' in y)),
    # a pmap canceled at once: ours cancels the writer and the reader (LwtProcess.cs header); in Lwt
    # 5.6.1 the cancel reaches only the writer's close (not cancelable) and the result comes as usual
    ('ours-pmap-cancel-cancels-both', lambda x, y: x.strip().startswith('proc_cancel 1 ->') and y.endswith('-> Canceled')),
    # accept_n on a socket closed before any Lwt call used it: Lwt 5.6.1 sets the descriptor
    # non-blocking lazily, outside accept_n's catch, so EBADF (set_nonblock) rejects; lwt_unix.mli
    # (and ours) return it beside no connections
    ('lwt-accept-n-lazy-nonblock-rejects', lambda x, y: ',set_nonblock,)' in x and 'n=0 [] err=ERR(Bad file descriptor,accept,)' in y),
    # ours puts the address in the argument of connect's Unix_error (Lwt: ""); the port is random
    ('ours-connect-error-has-address', lambda x, y: re.sub(r',connect,[^)]*\)', ',connect,)', y) == x),
]
# A read started in the background (`bg K read ...`) that Lwt resolved at the call and ours one
# loop iteration later: after a short read from a byte stream ours waits for readiness before
# the next read's call (LwtFd.ReadDrained, deliberate; README, sockproc), Lwt calls at once.
# Only when the rest of the program agrees (but for lines of the classes above), and a later line shows slot K done in both.
BGREAD = re.compile(r'  bg (\d) (read|recv|readv|recvfrom|recv_msg) .* -> done ')
def read_drained_waits(la, lb, i):
    m = BGREAD.match(la[i])
    if not m or lb[i] != la[i][:la[i].rindex(' -> done ')] + ' -> pending' or len(la) != len(lb):
        return False
    rest = range(i + 1, len(la))
    agree = lambda x, y: same(x, y) or any(f(x, y) for _, f in KNOWN)  # (a later line of a known class too)
    return all(agree(la[j], lb[j]) for j in rest) and any(f' {m.group(1)}:done ' in la[j] for j in rest)
known = collections.Counter()
def is_known(la, lb):
    for i in range(min(len(la), len(lb))):
        if not same(la[i], lb[i]):
            for name, f in KNOWN:
                if f(la[i], lb[i]): return name
            if read_drained_waits(la, lb, i): return 'ours-read-drained-waits'
            return None
    return None
nd = 0; kinds = collections.Counter()
for k in a:
    la, lb = a[k], b.get(k)
    if not eq(la, lb):
        kn = is_known(la, lb or [])
        if kn and os.environ.get('SHOWKNOWN') != '1':
            known[kn] += 1; continue
        nd += 1
        print(f'=== {k}')
        lb = lb or ['<missing>']
        for i in range(max(len(la), len(lb))):
            x = la[i] if i < len(la) else '<none>'; y = lb[i] if i < len(lb) else '<none>'
            if not same(x, y):
                print(f'  ML: {x}\n  CS: {y}')
                kinds[re.sub(r'\s.*', '', x.strip().replace('bg ', 'bg_', 1))] += 1
                break
            else:
                print(f'     {x}')
print(f'{nd} of {len(a)} programs differ (cs has {len(b)}); first-diff ops: {dict(kinds)}; known: {dict(known)}')
sys.exit(1 if nd else 0)  # run.sh: non-zero when an unexplained difference remains
