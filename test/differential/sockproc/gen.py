#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area sockproc:
# Lwt_unix sockets (socketpair, socket/bind/listen/accept/connect on 127.0.0.1, read/write/recv/send/
# recvfrom/sendto/readv/writev/recv_msg/send_msg with fd passing, shutdown, close/abort/cancel of waiting
# operations, wait_read/wait_write/readable/writable, socket options, blocking/set_blocking,
# getsockname/getpeername) and Lwt_process (exec, pread*, pwrite*, pmap*, open_process_*, with_process_*,
# kill/terminate/state/status/close, redirections, timeouts) with /bin/sh -c scripts.
# A step still pending after 0.3 s (8 s for processes) prints BLOCKED and goes on running (slot 3).
# FAMILY v6: the socket programs on ::1 (TCP and UDP, IPV6_ONLY, accept_n; no socketpairs, no
# processes); accerr: accept and accept_n around one TCP socket (slot 4) that listens or not, is
# closed or aborted while they wait, canceled waits, several clients pending (v4 or v6).
"""usage: gen.py SEED N OUTDIR [PROC_FRACTION=0.3 [MAXSTEPS=10 [FAMILY=v4|v6|accerr]]]   (env KNOWN=1: also the known differences)"""
import os, random, sys

R = None
KNOWN = os.environ.get('KNOWN') == '1'

def mls(s):
    return '"' + ''.join(c if c.isalnum() or c in ' ./_-' else '\\x%02x' % ord(c) for c in s) + '"'

def css(s):
    return '"' + ''.join(c if c.isalnum() or c in ' ./_-' else '\\u%04x' % ord(c) for c in s) + '"'

def mll(l): return '[' + '; '.join(mls(x) for x in l) + ']'
def csl(l): return 'new string[] {' + ', '.join(css(x) for x in l) + '}'
def mli(l): return '[' + '; '.join(str(x) for x in l) + ']'
def csi(l): return 'new int[] {' + ', '.join(str(x) for x in l) + '}'

# ---------------- sockets
TEXTS = ['abc', 'abc', 'hello', 'x', '', 'line\n', '0123456789']
BLOCKING = False  # a blocking socket's send of BIG would block Lwt's whole loop (the call is made on it)
TCP = False  # TCP moves data to the peer in the background: how much a read gets after a BIG write is timing
def text():
    return 'BIG' if R.random() < 0.04 and not BLOCKING and not TCP else R.choice(TEXTS)
LIVE = {0, 1}  # slots that the program has filled (mostly); a few ops go to others on purpose
def slot():
    if R.random() < 0.05: return R.choice([0, 1, 2, 3])
    return R.choice(sorted(LIVE))
def peer(i):
    return {0: 1, 1: 0, 2: 3, 3: 2}.get(i, 0)
def n():
    return R.choice([1, 2, 3, 5, 16, 16])

SHUT = {'RECEIVE': ('Unix.SHUTDOWN_RECEIVE', 'SocketShutdown.Receive'), 'SEND': ('Unix.SHUTDOWN_SEND', 'SocketShutdown.Send'),
        'ALL': ('Unix.SHUTDOWN_ALL', 'SocketShutdown.Both')}
BOPT = {'SO_REUSEADDR': 'ReuseAddr', 'SO_KEEPALIVE': 'KeepAlive', 'SO_BROADCAST': 'Broadcast', 'TCP_NODELAY': 'TcpNoDelay',
        'SO_OOBINLINE': 'OobInline', 'SO_ACCEPTCONN': 'AcceptConn', 'SO_REUSEPORT': 'ReusePort'}
IOPT = {'SO_TYPE': 'Type', 'SO_RCVLOWAT': 'RcvLowAt', 'SO_SNDBUF': 'SndBuf', 'SO_RCVBUF': 'RcvBuf', 'SO_ERROR': 'Error'}
FOPT = {'SO_RCVTIMEO': 'RcvTimeo', 'SO_SNDTIMEO': 'SndTimeo'}

# Lwt makes a blocking socket's recv/send... calls on the loop thread once the engine said ready,
# and on an event it calls every waiting one: a second receiver then blocks the whole loop (the
# loop of Lwt 5.6.1 hangs for ever). Programs with blocking sockets use read/write/readv/writev
# (waits, then jobs) and no socket calls.
SOCKET_CALLS = {'send', 'recv', 'recv_msg', 'send_msg', 'recvfrom', 'sendto', 'accept', 'connect'}

def sock_op(waiting_ok=True):
    """(label, ml expr : unit -> string Lwt.t, cs expr : Func<Promise<string>>)"""
    while True:
        op = sock_op1()
        if not (BLOCKING and op[0].split()[0] in SOCKET_CALLS):
            return op

def sock_op1():
    global BLOCKING
    k = R.choices(
        ['write', 'send', 'read', 'recv', 'readv', 'writev', 'recv_msg', 'send_msg', 'recvfrom', 'sendto', 'shutdown',
         'close', 'abort', 'wait_read', 'wait_write', 'readable', 'writable', 'blocking', 'set_blocking',
         'getsockname', 'getpeername', 'getb', 'setb', 'geti', 'seti', 'getl', 'setl', 'getf', 'setf', 'sockerr',
         'read_bad', 'pair', 'listener', 'connect', 'accept', 'refused'],
        [10, 4, 10, 5, 3, 3, 3, 3, 3, 3, 4,
         3, 2, 2, 2, 2, 2, 1, 2,
         1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
         1, 1, 1, 1, 1, 1])[0]
    i = slot()
    if k in ('write', 'send'):
        s = text()
        return (f'{k} {i} {s!r}', f'{k} {i} {mls(s)}', f'{k.capitalize()}({i}, {css(s)})')
    if k == 'read':
        m = n(); return (f'read {i} {m}', f'read {i} {m}', f'Read({i}, {m})')
    if k == 'read_bad':
        o, m = R.choice([(-1, 1), (0, 5), (3, 2), (4, 0), (0, -1)])
        return (f'read_bad {i} {o} {m}', f'read_bad {i} ({o}) ({m})', f'ReadBad({i}, {o}, {m})')
    if k == 'recv':
        m, pk = n(), R.random() < 0.3
        return (f'recv {i} {m} peek={pk}', f'recv {i} {m} {str(pk).lower()}', f'Recv({i}, {m}, {str(pk).lower()})')
    if k in ('readv', 'recv_msg'):
        ns = [R.choice([0, 1, 2, 3, 4]) for _ in range(R.randint(0, 3))]
        if k == 'readv' and not ns: ns = [2]
        c = 'ReadV' if k == 'readv' else 'RecvMsg'
        return (f'{k} {i} {ns}', f'{k} {i} {mli(ns)}', f'{c}({i}, {csi(ns)})')
    if k == 'writev':
        ss = [R.choice(['ab', 'c', '', 'defg']) for _ in range(R.randint(1, 3))]
        return (f'writev {i} {ss}', f'writev {i} {mll(ss)}', f'WriteV({i}, {csl(ss)})')
    if k == 'send_msg':
        ss = [R.choice(['ab', 'c', '', 'defg']) for _ in range(R.randint(0, 3))]
        nf = R.choice([0, 1, 1, 2])
        return (f'send_msg {i} {ss} fds={nf}', f'send_msg {i} {mll(ss)} {nf}', f'SendMsg({i}, {csl(ss)}, {nf})')
    if k == 'recvfrom':
        m = n(); return (f'recvfrom {i} {m}', f'recvfrom {i} {m}', f'RecvFrom({i}, {m})')
    if k == 'sendto':
        j, s = slot(), text()
        if s == 'BIG': s = 'abc'
        return (f'sendto {i} {j} {s!r}', f'sendto {i} {j} {mls(s)}', f'SendTo({i}, {j}, {css(s)})')
    if k == 'shutdown':
        c = R.choice(list(SHUT))
        return (f'shutdown {i} {c}', f'shutdown {i} {SHUT[c][0]}', f'Shutdown({i}, {SHUT[c][1]})')
    if k in ('close', 'abort', 'wait_read', 'wait_write', 'readable', 'writable', 'blocking', 'getsockname', 'getpeername', 'sockerr', 'getl'):
        c = {'close': 'Close', 'abort': 'Abort', 'wait_read': 'WaitRead', 'wait_write': 'WaitWrite', 'readable': 'Readable',
             'writable': 'Writable', 'blocking': 'Blocking', 'getsockname': 'GetSockName', 'getpeername': 'GetPeerName',
             'sockerr': 'SockErr', 'getl': 'GetL'}[k]
        return (f'{k} {i}', f'{k} {i}', f'{c}({i})')
    if k == 'set_blocking':
        b = R.random() < 0.4 and not BLOCKING
        BLOCKING = BLOCKING or b
        return (f'set_blocking {i} {b}', f'set_blocking {i} {str(b).lower()}', f'SetBlocking({i}, {str(b).lower()})')
    if k in ('getb', 'setb'):
        o = R.choice(list(BOPT)); v = R.random() < 0.6
        if k == 'getb': return (f'getb {i} {o}', f'getb {i} Unix.{o}', f'GetB({i}, SocketBoolOption.{BOPT[o]})')
        return (f'setb {i} {o} {v}', f'setb {i} Unix.{o} {str(v).lower()}', f'SetB({i}, SocketBoolOption.{BOPT[o]}, {str(v).lower()})')
    if k in ('geti', 'seti'):
        o = R.choice(list(IOPT)) if k == 'geti' else R.choice(['SO_RCVLOWAT', 'SO_SNDBUF', 'SO_RCVBUF'])
        if k == 'geti': return (f'geti {i} {o}', f'geti {i} Unix.{o}', f'GetI({i}, SocketIntOption.{IOPT[o]})')
        v = R.choice([1, 2, 4096, 10000])
        return (f'seti {i} {o} {v}', f'seti {i} Unix.{o} {v}', f'SetI({i}, SocketIntOption.{IOPT[o]}, {v})')
    if k == 'setl':
        v = R.choice([None, 0, 1, 5])
        return (f'setl {i} {v}', f'setl {i} ' + ('None' if v is None else f'(Some {v})'),
                f'SetL({i}, ' + ('Option<int>.None' if v is None else f'Option<int>.Some({v})') + ')')
    if k in ('getf', 'setf'):
        o = R.choice(list(FOPT))
        if k == 'getf': return (f'getf {i} {o}', f'getf {i} Unix.{o}', f'GetF({i}, SocketFloatOption.{FOPT[o]})')
        v = R.choice([0.0, 0.5, 2.25])
        return (f'setf {i} {o} {v}', f'setf {i} Unix.{o} {v}', f'SetF({i}, SocketFloatOption.{FOPT[o]}, {v})')
    if k == 'pair':
        d = R.random() < 0.3
        LIVE.update((2, 3))
        return (f'pair 2 3 dgram={d}', f'pair 2 3 {str(d).lower()}', f'Pair(2, 3, {str(d).lower()})')
    if k == 'listener':
        return ('listener 4', 'listener 4', 'Listener(4)')
    if k in ('connect', 'refused'): LIVE.add(2)
    if k == 'accept': LIVE.add(3)
    if k == 'listener': LIVE.add(4)
    if k == 'connect':
        return ('connect 2 4', 'connect 2 4', 'Connect(2, 4)')
    if k == 'accept':
        return ('accept 3 4', 'accept 3 4', 'Accept(3, 4)')
    if k == 'refused':
        return ('refused 2', 'refused 2', 'Refused(2)')
    raise Exception(k)

BG_KINDS = ['read', 'read', 'recv', 'readv', 'recv_msg', 'recvfrom', 'wait_read', 'wait_write', 'accept', 'write', 'connect', 'send_msg']

def bg_op():
    while True:
        lab, m, c = sock_op()
        if lab.split()[0] in BG_KINDS:
            return lab, m, c

def scenario(used):
    """a few steps whose outcome hangs together: waiters and what wakes (or ends) them"""
    global BLOCKING
    k = R.choice([0, 1, 2])
    used.add(k)
    i = slot()
    j = peer(i)
    rd = R.choice([('read', f'read {i} 3', f'read {i} 3', f'Read({i}, 3)'), ('recv', f'recv {i} 2 peek=False', f'recv {i} 2 false', f'Recv({i}, 2, false)'),
                   ('readv', f'readv {i} [1, 2]', f'readv {i} [1; 2]', f'ReadV({i}, new int[] {{1, 2}})'),
                   ('recv_msg', f'recv_msg {i} [3]', f'recv_msg {i} [3]', f'RecvMsg({i}, new int[] {{3}})'),
                   ('wait_read', f'wait_read {i}', f'wait_read {i}', f'WaitRead({i})'),
                   ('recvfrom', f'recvfrom {i} 4', f'recvfrom {i} 4', f'RecvFrom({i}, 4)')])
    while BLOCKING and rd[0] in SOCKET_CALLS:
        rd = (f'read', f'read {i} 3', f'read {i} 3', f'Read({i}, 3)')
    out = [('bg', k, rd[1], rd[2], rd[3])]
    if R.random() < 0.3:
        k2 = (k + 1) % 3; used.add(k2)
        out.append(('bg', k2, rd[1], rd[2], rd[3]))
    if R.random() < 0.25 and not BLOCKING and not TCP:
        return fill_scenario(k, i, j)
    w = R.choice(['write', 'send', 'writev', 'send_msg', 'close', 'abort', 'cancel', 'shutdown_peer', 'shutdown_own', 'close_peer', 'set_blocking'])
    if w == 'write': out.append(('step', f'write {j} \'abcde\'', f'write {j} "abcde"', f'Write({j}, "abcde")'))
    elif w == 'send': out.append(('step', f'send {j} \'xy\'', f'send {j} "xy"', f'Send({j}, "xy")'))
    elif w == 'writev': out.append(('step', f"writev {j} ['ab', 'cd']", f'writev {j} ["ab"; "cd"]', f'WriteV({j}, new string[] {{"ab", "cd"}})'))
    elif w == 'send_msg': out.append(('step', f"send_msg {j} ['msg'] fds=1", f'send_msg {j} ["msg"] 1', f'SendMsg({j}, new string[] {{"msg"}}, 1)'))
    elif w == 'close': out.append(('step', f'close {i}', f'close {i}', f'Close({i})'))
    elif w == 'abort': out.append(('step', f'abort {i}', f'abort {i}', f'Abort({i})'))
    elif w == 'cancel': out.append(('step', f'cancel {k}', f'cancel {k}', f'CancelOp({k})'))
    elif w == 'shutdown_peer': out.append(('step', f'shutdown {j} SEND', f'shutdown {j} Unix.SHUTDOWN_SEND', f'Shutdown({j}, SocketShutdown.Send)'))
    elif w == 'shutdown_own': out.append(('step', f'shutdown {i} RECEIVE', f'shutdown {i} Unix.SHUTDOWN_RECEIVE', f'Shutdown({i}, SocketShutdown.Receive)'))
    elif w == 'close_peer': out.append(('step', f'close {j}', f'close {j}', f'Close({j})'))
    else:
        if not BLOCKING: out.append(('step', f'set_blocking {i} True', f'set_blocking {i} true', f'SetBlocking({i}, true)'))
        BLOCKING = True
        out.append(('step', f'write {j} \'abcde\'', f'write {j} "abcde"', f'Write({j}, "abcde")'))
    out.append(('step', 'settle', 'settle', 'Settle()'))
    if R.random() < 0.5:
        out.append(('step', f'await {k}', f'await {k}', f'Await({k})'))
    return out

def fill_scenario(k, i, j):
    """a writer (or wait_write) that waits for room: i's buffer filled, then the peer j reads"""
    out = [('step', f"write {i} 'BIG'", f'write {i} "BIG"', f'Write({i}, "BIG")')]
    w = R.choice([('write', f"write {i} 'BIG'", f'write {i} "BIG"', f'Write({i}, "BIG")'),
                  ('send', f"send {i} 'hello'", f'send {i} "hello"', f'Send({i}, "hello")'),
                  ('wait_write', f'wait_write {i}', f'wait_write {i}', f'WaitWrite({i})'),
                  ('writev', f"writev {i} ['ab', 'cd']", f'writev {i} ["ab"; "cd"]', f'WriteV({i}, new string[] {{"ab", "cd"}})'),
                  ('send_msg', f"send_msg {i} ['m'] fds=1", f'send_msg {i} ["m"] 1', f'SendMsg({i}, new string[] {{"m"}}, 1)')])
    out.append(('bg', k, w[1], w[2], w[3]))
    out.append(('step', f'writable {i}', f'writable {i}', f'Writable({i})'))
    e = R.choice(['drain', 'drain', 'close', 'abort', 'cancel', 'close_peer', 'shutdown'])
    if e == 'drain':
        for _ in range(R.randint(1, 4)):
            out.append(('step', f'read {j} 100000', f'read {j} 100000', f'Read({j}, 100000)'))
    elif e == 'close': out.append(('step', f'close {i}', f'close {i}', f'Close({i})'))
    elif e == 'abort': out.append(('step', f'abort {i}', f'abort {i}', f'Abort({i})'))
    elif e == 'cancel': out.append(('step', f'cancel {k}', f'cancel {k}', f'CancelOp({k})'))
    elif e == 'close_peer': out.append(('step', f'close {j}', f'close {j}', f'Close({j})'))
    else: out.append(('step', f'shutdown {i} SEND', f'shutdown {i} Unix.SHUTDOWN_SEND', f'Shutdown({i}, SocketShutdown.Send)'))
    out.append(('step', 'settle', 'settle', 'Settle()'))
    return out

def acc_op():
    """the accept family's steps (slot 4 the socket, clients in slots 0-2, accepted in 3)"""
    k = R.choices(['connect', 'accept', 'accept_n', 'bg_accept', 'bg_accept_n', 'cancel', 'close4', 'abort4', 'await', 'settle',
                   'listen', 'close3', 'io', 'getsockname', 'getpeername', 'sockerr'],
                  [6, 3, 4, 3, 3, 2, 2, 1, 2, 2, 1, 1, 2, 1, 1, 1])[0]
    if k == 'connect':
        c = R.choice([0, 1, 2])
        return ('step', f'connect {c} 4', f'connect {c} 4', f'Connect({c}, 4)')
    if k == 'accept': return ('step', 'accept 3 4', 'accept 3 4', 'Accept(3, 4)')
    if k == 'accept_n':
        m = R.choice([1, 2, 3, 5])
        return ('step', f'accept_n 3 4 {m}', f'accept_n 3 4 {m}', f'AcceptN(3, 4, {m})')
    if k in ('bg_accept', 'bg_accept_n'):
        j = R.choice([0, 1, 2])
        if k == 'bg_accept': return ('bg', j, 'accept 3 4', 'accept 3 4', 'Accept(3, 4)')
        m = R.choice([1, 2, 3])
        return ('bg', j, f'accept_n 3 4 {m}', f'accept_n 3 4 {m}', f'AcceptN(3, 4, {m})')
    if k in ('cancel', 'await'):
        j = R.choice([0, 1, 2])
        return ('step', f'{k} {j}', f'{k} {j}', f'{"CancelOp" if k == "cancel" else "Await"}({j})')
    if k == 'close4': return ('step', 'close 4', 'close 4', 'Close(4)')
    if k == 'abort4': return ('step', 'abort 4', 'abort 4', 'Abort(4)')
    if k == 'close3': return ('step', 'close 3', 'close 3', 'Close(3)')
    if k == 'settle': return ('step', 'settle', 'settle', 'Settle()')
    if k == 'listen': return ('step', 'listen 4', 'listen 4', 'Listen(4)')
    if k == 'io':
        c = R.choice([0, 1, 2, 3])
        if R.random() < 0.5: return ('step', f'write {c} \'abc\'', f'write {c} "abc"', f'Write({c}, "abc")')
        return ('bg', R.choice([0, 1, 2]), f'read {c} 3', f'read {c} 3', f'Read({c}, 3)')
    c = R.choice([0, 3, 4])
    name = {'getsockname': 'GetSockName', 'getpeername': 'GetPeerName', 'sockerr': 'SockErr'}[k]
    return ('step', f'{k} {c}', f'{k} {c}', f'{name}({c})')

def accerr_program():
    steps = []
    if R.random() < 0.5: steps.append(('step', 'fam6', 'fam6', 'Fam6()'))
    if R.random() < 0.65: steps.append(('step', 'listener 4', 'listener 4', 'Listener(4)'))
    else: steps.append(('step', 'plain 4', 'plain 4', 'Plain(4)'))
    for _ in range(R.randint(3, MAXSTEPS)):
        st = acc_op()
        steps.append(st)
        # Lwt's connect on loopback resolves at the call (the poll says writable at once), ours
        # at the engine's next turn, where a waiting accept already takes the connection; a
        # settle lets both loops hand it to the accepts that wait before the next step
        if st[0] == 'step' and st[1].startswith('connect'): steps.append(('step', 'settle', 'settle', 'Settle()'))
    steps.append(('step', 'settle', 'settle', 'Settle()'))
    return steps

def sock_program():
    steps = []
    LIVE.clear(); LIVE.update((0, 1))
    if FAMILY == 'v6': return sock6_program()
    setup = R.choices(['stream', 'dgram', 'tcp', 'udp'], [5, 2, 2, 1])[0]
    return sock_program_rest(steps, setup)

def sock6_program():
    steps = [('step', 'fam6', 'fam6', 'Fam6()')]
    return sock_program_rest(steps, R.choice(['tcp', 'tcp', 'udp']))

def sock_program_rest(steps, setup):
    if setup == 'stream': steps.append(('step', 'pair 0 1 dgram=False', 'pair 0 1 false', 'Pair(0, 1, false)'))
    elif setup == 'dgram': steps.append(('step', 'pair 0 1 dgram=True', 'pair 0 1 true', 'Pair(0, 1, true)'))
    elif setup == 'tcp': LIVE.add(4); steps.append(('step', 'tcp 0 1 4', 'tcp 0 1 4', 'Tcp(0, 1, 4)'))
    else: steps.append(('step', 'udp 0 1', 'udp 0 1', 'Udp(0, 1)'))
    global BLOCKING, TCP
    TCP = setup == 'tcp'
    BLOCKING = R.random() < 0.15
    if BLOCKING:
        for i in (0, 1):
            if R.random() < 0.7: steps.append(('step', f'set_blocking {i} True', f'set_blocking {i} true', f'SetBlocking({i}, true)'))
    used = set()
    for _ in range(R.randint(3, MAXSTEPS)):
        r = R.random()
        if r < 0.12:
            steps.extend(scenario(used))
        elif r < 0.12 + 0.15:
            k = R.choice([0, 0, 1, 2])
            lab, m, c = bg_op()
            steps.append(('bg', k, lab, m, c)); used.add(k)
        elif r < 0.35 and used:
            k = R.choice(sorted(used) + [3])
            steps.append(('step', f'await {k}', f'await {k}', f'Await({k})'))
        elif r < 0.39 and used:
            k = R.choice(sorted(used))
            steps.append(('step', f'cancel {k}', f'cancel {k}', f'CancelOp({k})'))
        elif r < 0.42:
            steps.append(('step', 'settle', 'settle', 'Settle()'))
        else:
            if FAMILY == 'v6' and R.random() < 0.2:
                st = acc_op()
                if st[0] == 'bg': used.add(st[1])
                steps.append(st)
                if st[0] == 'step' and st[1].startswith('connect'): steps.append(('step', 'settle', 'settle', 'Settle()'))
                continue
            lab, m, c = sock_op()
            steps.append(('step', lab, m, c))
            # as in accerr: Lwt's loopback connect resolves at the call, ours a turn later
            if FAMILY == 'v6' and lab.startswith('connect'): steps.append(('step', 'settle', 'settle', 'Settle()'))
    if used or R.random() < 0.5:
        steps.append(('step', 'settle', 'settle', 'Settle()'))
    if BLOCKING:  # from the first set_blocking true on (BLOCKING is set as it is generated)
        seen = False
        for n, st in enumerate(steps):
            seen = seen or (st[0] == 'step' and 'set_blocking' in st[1] and 'True' in st[1])
            if seen and st[0] == 'bg': steps[n] = ('bgq',) + st[1:]
            # a job cannot be taken back: whether it is over when cancel looks is timing
            if seen and st[0] == 'step' and st[1].startswith('cancel '):
                k = st[1].split()[1]
                steps[n] = ('step', f'cancelq {k}', f'cancelq {k}', f'CancelQ({k})')
    if BLOCKING:  # let a job started by bgq end before the next step (its outcome is then the same)
        out = []
        for st in steps:
            out.append(st)
            if st[0] == 'bgq': out.append(('step', 'settle', 'settle', 'Settle()'))
        steps = out
    return steps

# ---------------- processes
OUT_CMDS = ['echo hi', "printf 'a\\nb\\n'", "printf 'x'", "printf ''", "printf 'l1\\nl2'", 'echo out; echo err >&2; exit 5',
            'exit 3', 'exit 0', 'kill -TERM $$', 'kill -KILL $$', 'kill -USR1 $$', 'echo a; kill -TERM $$', 'nosuchcmd_xyz 2>/dev/null',
            'sleep 0.05; echo late', 'echo "$0" $#']
IN_CMDS = ['cat', 'tr a-z A-Z', 'cat; echo E >&2; exit 4', 'wc -l', 'cat >/dev/null; exit 6', 'sort', 'read x; echo "got:$x"',
           'read x; exit ${#x}', 'cat; kill -TERM $$']
PTEXTS = ['', 'hello', 'a\nb\n', 'one\ntwo', 'x y\n', 'b\na\n']
PLINES = [[], ['one'], ['b', 'a'], ['', 'x'], ['hello world', 'HI']]
SIGS = {'TERM': ('Sys.sigterm', 15), 'KILL': ('Sys.sigkill', 9), 'INT': ('Sys.sigint', 2), 'HUP': ('Sys.sighup', 1), 'USR1': ('Sys.sigusr1', 10)}

def cmd(pool):
    if KNOWN and R.random() < 0.05:
        return ('NOSUCH', 'nosuch', 'NoSuch')
    c = R.choice(pool)
    return (c, f'(sh {mls(c)})', f'Sh({css(c)})')

def stdin_redir():
    k = R.choice(['Dev_null', 'Dev_null', 'Close', 'fed'])
    if k == 'fed':
        s = R.choice(PTEXTS)
        return (f'stdin=fed{s!r}', f'~stdin:(fed {mls(s)})', f'stdin: Fed({css(s)})')
    return (f'stdin={k}', f'~stdin:`{k}', f'stdin: ProcessRedirection.{"DevNull" if k == "Dev_null" else "Close"}')

def out_redir(name, choices):
    k = R.choice(choices)
    cs = {'Keep': 'Keep', 'Dev_null': 'DevNull', 'Close': 'Close', 'to_stdout': 'FdCopy(1)'}[k]
    ml = '(`FD_copy Unix.stdout)' if k == 'to_stdout' else f'`{k}'
    return (f'{name}={k}', f'~{name}:{ml}', f'{name}: ProcessRedirection.{cs}')

def timeout(slow):
    if slow: return ('timeout=0.3', '~timeout:0.3', 'timeout: 0.3')
    if R.random() < 0.15: return ('timeout=5', '~timeout:5.0', 'timeout: 5.0')
    return ('', '', '')

def join(*parts):
    return [p for p in parts if p]

def proc_op():
    k = R.choices(['exec', 'exec_pipe', 'pread', 'pread_line', 'pread_lines', 'pread_chars', 'pwrite', 'pwrite_lines',
                   'pmap', 'pmap_line', 'pmap_lines', 'proc_in', 'proc_out', 'proc_full', 'proc_inout', 'proc_kill',
                   'proc_terminate', 'proc_pid', 'with_in', 'with_out', 'with_full', 'with_fail', 'slow', 'cancel', 'envcwd'],
                  [4, 2, 3, 2, 2, 1, 2, 1, 3, 1, 2, 2, 2, 2, 1, 2, 1, 1, 2, 1, 1, 1, 2, 2, 2])[0]
    if k == 'cancel':
        c = R.randint(0, 4)
        return (f'proc_cancel {c}', f'proc_cancel {c}', f'ProcCancel({c})')
    if k == 'envcwd':
        c, env, cwd = R.choice(['pwd', 'echo "[$A]"', 'echo "[$HOME]"', 'ls -d x', 'cat f']), None, None
        if R.random() < 0.5: env = R.choice([[], ['A=1'], ['A=x y', 'B=2']])
        if R.random() < 0.6 or env is None: cwd = R.choice(['/', '/tmp', '/usr'] + (['/nonexistent-dir'] if KNOWN else []))
        mlo = (f' ~env:[|' + '; '.join(mls(e) for e in env) + '|]' if env is not None else '') + (f' ~cwd:{mls(cwd)}' if cwd else '')
        cso = (', env: ' + csl(env) if env is not None else '') + (f', cwd: {css(cwd)}' if cwd else '')
        return (f'pread env={env} cwd={cwd} {c!r}', f'pread_in{mlo} (sh {mls(c)})', f'PReadIn(Sh({css(c)}){cso})')
    slow = False
    if k == 'slow':
        slow = True
        k = R.choice(['exec', 'pread', 'pread_lines', 'proc_in', 'pmap', 'proc_full', 'with_in', 'exec_pipe'])
    t = timeout(slow)
    def scmd(pool):
        if slow:
            c = R.choice(['sleep 3', 'echo a; sleep 3; echo b', 'cat; sleep 3'] if pool is IN_CMDS else ['sleep 3', 'echo a; sleep 3; echo b'])
            return (c, f'(sh {mls(c)})', f'Sh({css(c)})')
        return cmd(pool)
    def mk(name, csname, c, labs, mlargs, csargs, tail_ml='', tail_cs=''):
        lab = ' '.join([name] + [x for x in labs if x] + [repr(c[0])] + ([tail_ml.strip()] if tail_ml else []))
        ml = f'{name} ' + ' '.join(x for x in mlargs if x) + f' {c[1]}{tail_ml}'
        cs = f'{csname}({c[2]}{tail_cs}' + ''.join(', ' + x for x in csargs if x) + ')'
        return (lab, ml, cs)
    if k in ('exec', 'exec_pipe'):
        c = scmd(OUT_CMDS if R.random() < 0.7 else IN_CMDS)
        si = stdin_redir()
        so = out_redir('stdout', ['Keep', 'Dev_null', 'Close']) if k == 'exec' else ('', '', '')
        se = out_redir('stderr', ['Dev_null', 'Dev_null', 'Keep', 'Close', 'to_stdout']) if k == 'exec' and so[0] == 'stdout=Keep' else out_redir('stderr', ['Dev_null', 'Keep', 'Close'])
        return mk(k, 'Exec' if k == 'exec' else 'ExecPipe', c, [t[0], si[0], so[0], se[0]], [t[1], si[1], so[1], se[1]], [t[2], si[2], so[2], se[2]])
    if k.startswith('pread'):
        c = scmd(OUT_CMDS if R.random() < 0.7 else IN_CMDS)
        si = stdin_redir()
        se = out_redir('stderr', ['Dev_null', 'Keep', 'Close'])
        csn = {'pread': 'PRead', 'pread_line': 'PReadLine', 'pread_lines': 'PReadLines', 'pread_chars': 'PReadChars'}[k]
        return mk(k, csn, c, [t[0], si[0], se[0]], [t[1], si[1], se[1]], [t[2], si[2], se[2]])
    if k in ('pwrite', 'pwrite_lines', 'pmap', 'pmap_line', 'pmap_lines', 'proc_out', 'proc_full', 'proc_inout', 'with_out', 'with_full'):
        c = scmd(IN_CMDS)
        lines = k.endswith('_lines')
        data = R.choice(PLINES) if lines else R.choice(PTEXTS)
        if k == 'pmap_line': data = R.choice(['', 'one', 'a b'])
        dml = mll(data) if lines else mls(data)
        dcs = csl(data) if lines else css(data)
        labs, mla, csa = [t[0]], [t[1]], [t[2]]
        if k in ('pwrite', 'pwrite_lines'):
            so = out_redir('stdout', ['Dev_null', 'Close']); se = out_redir('stderr', ['Dev_null'])
            labs += [so[0]]; mla += [so[1], se[1]]; csa += [so[2], se[2]]
        elif k in ('pmap', 'pmap_line', 'pmap_lines'):
            se = out_redir('stderr', ['Dev_null', 'Keep'])
            labs += [se[0]]; mla += [se[1]]; csa += [se[2]]
        csn = ''.join(w.capitalize() for w in k.split('_'))
        csn = {'Pwrite': 'PWrite', 'PwriteLines': 'PWriteLines', 'Pmap': 'PMap', 'PmapLine': 'PMapLine', 'PmapLines': 'PMapLines',
               'ProcInout': 'ProcInOut'}.get(csn, csn)
        return mk(k, csn, c, labs, mla, csa, f' {dml}', f', {dcs}')
    if k in ('proc_in', 'with_in'):
        c = scmd(OUT_CMDS if R.random() < 0.7 else IN_CMDS)
        si = stdin_redir()
        return mk(k, 'ProcIn' if k == 'proc_in' else 'WithIn', c, [t[0], si[0]], [t[1], si[1]], [t[2], si[2]])
    if k == 'proc_kill':
        s = R.choice(list(SIGS)); tw = R.random() < 0.3
        c = ('sleep 5', '(sh "sleep 5")', 'Sh("sleep 5")')
        return (f'proc_kill {s} twice={tw}', f'proc_kill {SIGS[s][0]} ~twice:{str(tw).lower()} {c[1]}', f'ProcKill({SIGS[s][1]}, {c[2]}, {str(tw).lower()})')
    if k == 'proc_terminate':
        return ('proc_terminate', 'proc_terminate (sh "sleep 5")', 'ProcTerminate(Sh("sleep 5"))')
    if k == 'proc_pid':
        c = cmd(OUT_CMDS)
        return (f'proc_pid {c[0]!r}', f'proc_pid {c[1]}', f'ProcPid({c[2]})')
    if k == 'with_fail':
        c = ('exit 2', '(sh "exit 2")', 'Sh("exit 2")')
        return ('with_fail', f'with_fail {c[1]}', f'WithFail({c[2]})')
    raise Exception(k)

def proc_program():
    return [('pstep',) + proc_op() for _ in range(R.randint(2, max(2, MAXSTEPS // 2)))]

MAXSTEPS = 10
FAMILY = 'v4'

def main():
    global R, MAXSTEPS
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    pfrac = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    MAXSTEPS = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    global FAMILY
    FAMILY = sys.argv[6] if len(sys.argv) > 6 else 'v4'
    if FAMILY not in ('v4', 'v6', 'accerr'): sys.exit('gen.py: FAMILY is v4, v6 or accerr')
    if FAMILY == 'v6':
        pfrac = 0.0
        BOPT['IPV6_ONLY'] = 'Ipv6Only'
    R = random.Random(seed)
    here = os.path.dirname(os.path.abspath(__file__))
    ml = [open(os.path.join(here, 'prelude.ml')).read()]
    cs = ['using System.Net.Sockets;\nusing Lwt;\nstatic partial class Rt {\n']
    for p in range(count):
        steps = accerr_program() if FAMILY == 'accerr' else proc_program() if R.random() < pfrac else sock_program()
        mb, cb = [f'let p{p} () = start {p} >>= fun () ->\n'], [f'static async Promise P{p}() {{\n  await Start({p});\n']
        for st in steps:
            if st[0] in ('bg', 'bgq'):
                q = st[0] == 'bgq'
                _, k, lab, m, c = st
                mb.append(f'  {st[0]} {k} {mls(lab)} ({m}) >>= fun () ->\n'); cb.append(f'  await {"BgQ" if q else "Bg"}({k}, {css(lab)}, {c});\n')
            else:
                kind, lab, m, c = st
                mb.append(f'  {kind} {mls(lab)} ({m}) >>= fun () ->\n')
                cb.append(f'  await {"PStep" if kind == "pstep" else "Step"}({css(lab)}, {c});\n')
        mb.append('  finish ()\n'); cb.append('  await Finish();\n}\n')
        ml.append(''.join(mb)); cs.append(''.join(cb))
    ml.append('let () = Lwt_main.run (' + ' >>= fun () -> '.join(f'p{p} ()' for p in range(count)) + ')\n')
    cs.append('public static void Main() => LwtMain.Run(async () => {\n' + ''.join(f'  await P{p}();\n' for p in range(count)) + '});\n}\n')
    open(os.path.join(out, 'progs.ml'), 'w').write(''.join(ml))
    open(os.path.join(out, 'Progs.cs'), 'w').write(''.join(cs))

main()
