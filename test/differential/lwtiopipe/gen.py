#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area lwtiopipe:
# Lwt_io.pipe (LwtIO.Pipe) and the high-level I/O over a real pipe: read_char(_opt),
# read_line(_opt), read_lines/read_chars (streams), read (with or without a count),
# read_into(_exactly), write, write_line, write_char, write_from(_string)(_exactly),
# write_lines/write_chars from streams, flush, close and abort of either end (what the other
# end sees: end of input, EPIPE), position/length/set_position on pipes (ESPIPE), atomic,
# operations queued on one channel.
#
# A reading step is awaited only when the generator knows it cannot wait for ever: the bytes
# it needs were flushed (or the writing end is closed, or the reading end is closed); any
# other reading step is spawned, and so are all reading steps after it (they queue behind it).
# The end phase closes the writing end, which ends the pending reads, and drains the pipe.
"""Generate N random Lwt_io pipe programs as one OCaml file and one C# file.
usage: gen.py SEED N OUTDIR [MODE=pipe|socket|server|server6|serveropts|cancel|cancelsock|cancelx]
socket: the two ends are a TCP connection over 127.0.0.1 (Lwt_io.establish_server_with_client_address
and Lwt_io.open_connection): the client's output channel writes, the server's input channel reads.
server: request/response scripts against a line server (see ServerProg), accept_n, auto_pause.
server6: the server and accept_n scripts on [::1] only. serveropts: the server scripts on
127.0.0.1, [::1] or a Unix socket with the servers' options: ?fd/?server_fd (a fresh socket, one
already bound elsewhere or a closed one: the start fails), ?backlog, ?no_close (the handler's
channels stay open when it returns: its clients wait until the end closes them). cancel: Lwt.cancel
(ours Promise.Cancel) of operations waiting for the pipe, queued, in atomic blocks, with
close/abort of either end (see CancelProg). cancelsock: the cancel programs over a TCP connection
on 127.0.0.1 (Lwt_unix connect/accept, Lwt_io.of_fd on each socket), with Lwt_unix.shutdown of
either socket's send, receive or both directions as a step. cancelx: the cancel programs on a
pipe with number reads and writes (LE/BE read_int..read_float64, write_*) and get/nget/junk of
read_lines/read_chars streams among the operations canceled."""
import random, struct, sys, os

R = None
TEXT = b'abc\r\n'

def mls(bs):
    return '"' + ''.join('\\x%02x' % b for b in bs) + '"'

def css(bs):
    return '"' + ''.join('\\u%04x' % b for b in bs) + '"'

def hexs(bs):
    return ''.join('%02x' % b for b in bs)

def rtext(maxlen, minlen=0):
    return bytes(R.choice(TEXT) for _ in range(R.randint(minlen, maxlen)))


class Model:
    """What the generator knows of the pipe: every byte written, in order (while known), how
    many are surely readable (flushed), how many the reader consumed (while known)."""
    def __init__(self):
        self.data = b''          # bytes written into oc, in order
        self.flushed = 0         # data[:flushed] surely went into the pipe
        self.consumed = 0        # data[:consumed] read from ic
        self.known = True        # data/consumed are exact
        self.wclosed = False     # oc closed or aborted
        self.rclosed = False     # ic closed
        self.rblocked = False    # a spawned read may still wait: later reads queue behind it

    def avail(self):
        return self.flushed - self.consumed

    def never_waits(self):
        return self.rclosed or self.wclosed

    def can(self, need):
        """need: ('bytes', n) | ('lines', k) | ('eof',)"""
        if self.rclosed:
            return True
        if self.rblocked:
            return False
        if self.wclosed:
            return True
        if not self.known:
            return False
        if need[0] == 'bytes':
            return self.avail() >= need[1]
        if need[0] == 'lines':
            return self.data[self.consumed:self.flushed].count(b'\n') >= need[1]
        return False

    def consume(self, need, exact=True):
        if self.rclosed:
            return
        if not exact or not self.known:
            self.known = False
            return
        if need[0] == 'bytes':
            self.consumed = min(self.consumed + need[1], len(self.data)) if self.wclosed else self.consumed + need[1]
        elif need[0] == 'lines':
            rest = self.data[self.consumed:]
            k = need[1]
            pos = 0
            for _ in range(k):
                i = rest.find(b'\n', pos)
                if i < 0:
                    pos = len(rest)
                    break
                pos = i + 1
            self.consumed += pos


def writer_op(m, c):
    """A writing step on channel expression c: (name, ml, cs, effect)"""
    r = R.random()
    if r < 0.16:
        s = rtext(20)
        return (f'write {hexs(s)}', f'Lwt_io.write {c} {mls(s)} >|= unit_', f'{c}.Write({css(s)}).Map(() => "()")', ('data', s))
    if r < 0.30:
        s = rtext(10)
        return (f'write_line {hexs(s)}', f'Lwt_io.write_line {c} {mls(s)} >|= unit_', f'{c}.WriteLine({css(s)}).Map(() => "()")', ('data', s + b'\n'))
    if r < 0.38:
        b = R.choice(TEXT + b'xyz')
        return (f'write_char {b:02x}', f'Lwt_io.write_char {c} \'\\x{b:02x}\' >|= unit_', f'{c}.WriteChar((char){b}).Map(() => "()")', ('data', bytes([b])))
    if r < 0.46:
        s = rtext(30)
        ofs = R.randint(0, len(s)); ln = R.randint(0, len(s) - ofs)
        if R.random() < 0.5:
            return (f'write_from_string_exactly {hexs(s)} {ofs} {ln}', f'Lwt_io.write_from_string_exactly {c} {mls(s)} {ofs} {ln} >|= unit_',
                    f'{c}.WriteFromStringExactly({css(s)}, {ofs}, {ln}).Map(() => "()")', ('data', s[ofs:ofs + ln]))
        return (f'write_from_exactly {hexs(s)} {ofs} {ln}', f'Lwt_io.write_from_exactly {c} (Bytes.of_string {mls(s)}) {ofs} {ln} >|= unit_',
                f'{c}.WriteFromExactly(Rt.Bytes("{hexs(s)}").AsMemory({ofs}, {ln})).Map(() => "()")', ('data', s[ofs:ofs + ln]))
    if r < 0.52:
        s = rtext(30)
        ofs = R.randint(0, len(s)); ln = R.randint(0, len(s) - ofs)
        if R.random() < 0.5:
            return (f'write_from_string {hexs(s)} {ofs} {ln}', f'Lwt_io.write_from_string {c} {mls(s)} {ofs} {ln} >|= string_of_int',
                    f'{c}.WriteFromString({css(s)}, {ofs}, {ln}).Map(x => x.ToString())', ('unknown',))
        return (f'write_from {hexs(s)} {ofs} {ln}', f'Lwt_io.write_from {c} (Bytes.of_string {mls(s)}) {ofs} {ln} >|= string_of_int',
                f'{c}.WriteFrom(Rt.Bytes("{hexs(s)}").AsMemory({ofs}, {ln})).Map(x => x.ToString())', ('unknown',))
    if r < 0.57:
        ls = [rtext(6) for _ in range(R.randint(0, 3))]
        mll = '[' + ';'.join(mls(x) for x in ls) + ']'
        csl = ('new[]{' + ','.join(css(x) for x in ls) + '}') if ls else 'new string[0]'
        return (f'write_lines {",".join(hexs(x) for x in ls)}', f'Lwt_io.write_lines {c} (Lwt_stream.of_list {mll}) >|= unit_',
                f'{c}.WriteLines(LwtStream.OfList({csl})).Map(() => "()")', ('data', b''.join(x + b'\n' for x in ls)))
    if r < 0.62:
        s = rtext(8)
        return (f'write_chars {hexs(s)}', f'Lwt_io.write_chars {c} (Lwt_stream.of_string {mls(s)}) >|= unit_',
                f'{c}.WriteChars(LwtStream.OfString({css(s)})).Map(() => "()")', ('data', s))
    if r < 0.80:
        return ('flush', f'Lwt_io.flush {c} >|= unit_', f'{c}.Flush().Map(() => "()")', ('flush',))
    if r < 0.84:
        return ('position oc', f'Lwt.return (Int64.to_string (Lwt_io.position {c}))', f'Promise.Return({c}.Position().ToString())', None)
    if r < 0.88:
        return ('buffered oc', f'Lwt.return (string_of_int (Lwt_io.buffered {c}))', f'Promise.Return({c}.Buffered().ToString())', None)
    if r < 0.91:
        return ('length oc', f'Lwt_io.length {c} >|= Int64.to_string', f'{c}.Length().Map(x => x.ToString())', None)
    if r < 0.94:
        p = R.randint(0, 20)
        # an output channel flushes before it seeks (then ESPIPE)
        return (f'set_position oc {p}', f'Lwt_io.set_position {c} {p}L >|= unit_', f'{c}.SetPosition({p}).Map(() => "()")', ('flush',))
    return ('is_busy oc', f'Lwt.return (string_of_bool (Lwt_io.is_busy {c}))', f'Promise.Return(Rt.B({c}.IsBusy))', None)


JOBS = ('length', 'set_position')

def is_job(name):
    return name.split(' ')[0] in JOBS

def writer_op_nojob(m, c):
    while True:
        op = writer_op(m, c)
        if not is_job(op[0]):
            return op


def reader_op(m, c):
    """A reading step: (name, ml, cs, need, exact)"""
    r = R.random()
    if r < 0.14:
        return ('read_char', f'Lwt_io.read_char {c} >|= hexc', f'{c}.ReadChar().Map(x => Rt.Hc(x))', ('bytes', 1), True)
    if r < 0.22:
        return ('read_char_opt', f'Lwt_io.read_char_opt {c} >|= optc', f'{c}.ReadCharOpt().Map(x => Rt.OptC(x))', ('bytes', 1), True)
    if r < 0.36:
        return ('read_line', f'Lwt_io.read_line {c} >|= hex', f'{c}.ReadLine().Map(x => Rt.Hs(x))', ('lines', 1), True)
    if r < 0.44:
        return ('read_line_opt', f'Lwt_io.read_line_opt {c} >|= opts', f'{c}.ReadLineOpt().Map(x => Rt.OptS(x))', ('lines', 1), True)
    if r < 0.50:
        k = R.randint(1, 3)
        return (f'read_lines {k}', f'Lwt_stream.nget {k} (Lwt_io.read_lines {c}) >|= fun l -> String.concat "," (List.map hex l)',
                f'{c}.ReadLines().NGet({k}).Map(l => string.Join(",", l.Select(Rt.Hs)))', ('lines', k), True)
    if r < 0.56:
        k = R.randint(1, 6)
        return (f'read_chars {k}', f'Lwt_stream.nget {k} (Lwt_io.read_chars {c}) >|= fun l -> String.concat "" (List.map hexc l)',
                f'{c}.ReadChars().NGet({k}).Map(l => string.Concat(l.Select(Rt.Hc)))', ('bytes', k), True)
    if r < 0.66:
        n = R.choice([0, 1, 2, 3, 5, 8, 17])
        return (f'read {n}', f'Lwt_io.read ~count:{n} {c} >|= hex', f'{c}.Read({n}).Map(x => Rt.Hb(x))', ('bytes', 1), False)
    if r < 0.69:
        return ('read all', f'Lwt_io.read {c} >|= hex', f'{c}.Read().Map(x => Rt.Hb(x))', ('eof',), False)
    if r < 0.76:
        blen = R.randint(0, 20); ofs = R.randint(0, blen); ln = R.randint(0, blen - ofs)
        return (f'read_into {blen} {ofs} {ln}', f'(let b = Bytes.make {blen} \'.\' in Lwt_io.read_into {c} b {ofs} {ln} >|= fun n -> string_of_int n ^ " " ^ hexb b)',
                f'Rt.RI({c}, {blen}, {ofs}, {ln})', ('bytes', 1 if ln else 0), False)
    if r < 0.83:
        blen = R.randint(0, 20); ofs = R.randint(0, blen); ln = R.randint(0, blen - ofs)
        return (f'read_into_exactly {blen} {ofs} {ln}', f'(let b = Bytes.make {blen} \'.\' in Lwt_io.read_into_exactly {c} b {ofs} {ln} >|= fun () -> hexb b)',
                f'Rt.RIE({c}, {blen}, {ofs}, {ln})', ('bytes', ln), True)
    if r < 0.87:
        return ('position ic', f'Lwt.return (Int64.to_string (Lwt_io.position {c}))', f'Promise.Return({c}.Position().ToString())', None, True)
    if r < 0.91:
        return ('buffered ic', f'Lwt.return (string_of_int (Lwt_io.buffered {c}))', f'Promise.Return({c}.Buffered().ToString())', None, True)
    if r < 0.94:
        return ('length ic', f'Lwt_io.length {c} >|= Int64.to_string', f'{c}.Length().Map(x => x.ToString())', None, True)
    if r < 0.97:
        p = R.randint(0, 6)
        # inside the buffer: moves without a system call; otherwise ESPIPE
        return (f'set_position ic {p}', f'Lwt_io.set_position {c} {p}L >|= unit_', f'{c}.SetPosition({p}).Map(() => "()")', ('setpos',), False)
    return ('is_busy ic', f'Lwt.return (string_of_bool (Lwt_io.is_busy {c}))', f'Promise.Return(Rt.B({c}.IsBusy))', None, True)


def port_of(seed, idx):
    """A program's TCP port: 20000..31999, below Linux's ephemeral range (32768..60999 by
    default), so that a client port of an earlier program, left in TIME-WAIT without
    SO_REUSEADDR, cannot make a later program's bind fail with EADDRINUSE on one side only
    (server6 seed 2403 prog 73: the C# client of prog 52 got port 46302, prog 73's)."""
    return 20000 + (seed * 997 + idx * 7) % 12000

class Prog:
    def __init__(self, idx, mode='pipe', seed=0):
        self.idx = idx
        self.mode = mode
        self.port = port_of(seed, idx)
        self.ml = []
        self.cs = []
        self.m = Model()
        self.gen()

    def apply_write(self, eff, awaited):
        m = self.m
        if eff is None or m.wclosed:
            return
        if eff[0] == 'data':
            m.data += eff[1]
        elif eff[0] == 'unknown':
            m.known = False
        elif eff[0] == 'flush' and awaited:
            m.flushed = len(m.data)

    def reader_step(self, label, c, allow_spawn=True):
        """Returns (name, ml, cs, awaited) or None if it must not be awaited and may not be spawned."""
        m = self.m
        name, ml, cs, need, exact = reader_op(m, c)
        if is_job(name) and (m.rblocked or not allow_spawn) and not m.rclosed:
            # length and set_position seek (Lwt_unix.lseek, a job in Lwt: see the settle
            # around them below); queued behind a read that may wait, or inside an atomic
            # block, that job's timing would show: ask the position instead.
            return ('position ic', f'Lwt.return (Int64.to_string (Lwt_io.position {c}))', f'Promise.Return({c}.Position().ToString())', True)
        if need is None:
            return (name, ml, cs, True)
        if need[0] == 'setpos':
            m.known = False if not m.rclosed else m.known
            return (name, ml, cs, True)
        if m.can(need) and not (need == ('eof',) and not m.never_waits()):
            m.consume(need, exact)
            return (name, ml, cs, True)
        if not allow_spawn:
            return None
        m.rblocked = True
        m.known = False
        return (name, ml, cs, False)

    def gen(self):
        i = self.idx
        ml, cs, m = self.ml, self.cs, self.m
        bs = R.choice([16, 16, 17, 20, 32, 64])
        ml.append(f'let prog_{i} () =')
        cs.append(f'static async Promise Prog_{i}() {{')
        if self.mode == 'socket':
            ml.append(f'  sock {bs} {self.port} >>= fun (server, finished_u, ic, soc, cic, oc) ->')
            cs.append(f'  var (server, finished, ic, soc, cic, oc) = await Rt.Sock({bs}, {self.port});')
        else:
            ml.append(f'  let (ic, oc) = pipe {bs} in')
            cs.append(f'  var (ic, oc) = LwtIO.Pipe({bs});')
        nsteps = R.randint(3, 12)
        for s in range(1, nsteps + 1):
            label = str(s)
            r = R.random()
            if r < 0.10:
                # atomic over the writing end: writing steps awaited inside, maybe one queued behind
                n = R.randint(1, 3)
                subs_ml, subs_cs = [], []
                for j in range(n):
                    sl = f'{label}.{j + 1}'
                    if R.random() < 0.2:
                        name, mlf, csf, eff = writer_op_nojob(m, 'oc')
                        subs_ml.append(f'(spawn "{sl}:main:{name}" (fun () -> {mlf}); Lwt.return_unit)')
                        subs_cs.append(f'Rt.Spawn("{sl}:main:{name}", () => {csf});')
                        if eff and eff[0] == 'data': m.known = False   # goes after the block: order unknown here
                        elif eff and eff[0] == 'unknown': m.known = False
                    else:
                        name, mlf, csf, eff = writer_op_nojob(m, 'w')
                        subs_ml.append(f'show "{sl}:{name}" (fun () -> {mlf})')
                        subs_cs.append(f'await Rt.Show("{sl}:{name}", () => {csf});')
                        self.apply_write(eff, True)
                mle = 'Lwt_io.atomic (fun w -> ' + ' >>= fun () -> '.join(subs_ml) + ' >>= fun () -> Lwt.return "()") oc'
                cse = 'LwtIO.Atomic<OutputChannel, string>(oc, async w => { ' + ' '.join(subs_cs) + ' return "()"; })'
                ml.append(f'  show "{label}:atomic oc" (fun () -> {mle}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:atomic oc", () => {cse});')
                continue
            if r < 0.14 and not m.rblocked:
                # atomic over the reading end: reading steps that cannot wait
                subs = []
                for j in range(R.randint(1, 2)):
                    st = self.reader_step(f'{label}.{j + 1}', 'w', allow_spawn=False)
                    if st is None:
                        break
                    subs.append((f'{label}.{j + 1}', st))
                if not subs:
                    continue
                mle = 'Lwt_io.atomic (fun w -> ' + ' >>= fun () -> '.join(f'show "{sl}:{st[0]}" (fun () -> {st[1]})' for sl, st in subs) + ' >>= fun () -> Lwt.return "()") ic'
                cse = 'LwtIO.Atomic<InputChannel, string>(ic, async w => { ' + ' '.join(f'await Rt.Show("{sl}:{st[0]}", () => {st[2]});' for sl, st in subs) + ' return "()"; })'
                ml.append(f'  show "{label}:atomic ic" (fun () -> {mle}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:atomic ic", () => {cse});')
                continue
            if r < 0.17:
                # close or abort one end
                # (socket mode: closing the server's input closes its socket, and what the
                # client's writes meet then depends on when the peer's reset arrives)
                end = R.choice(['oc', 'oc', 'ic']) if self.mode == 'pipe' else 'oc'
                op = 'abort' if R.random() < 0.3 else 'close'
                mlc = f'Lwt_io.{op} {end} >|= unit_'
                csc = f'{end}.{"Abort" if op == "abort" else "Close"}().Map(() => "()")'
                # Lwt_unix.close is a job (its promise resolves a loop iteration later, and
                # the auto-flush runs meanwhile); ours closes at once. Let both settle first.
                ml.append(f'  settle "{label}" >>= fun () ->')
                cs.append(f'  await Rt.Settle("{label}");')
                ml.append(f'  show "{label}:{op} {end}" (fun () -> {mlc}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:{op} {end}", () => {csc});')
                ml.append(f'  settle "{label}" >>= fun () ->')
                cs.append(f'  await Rt.Settle("{label}");')
                if end == 'oc':
                    if op == 'close' and not m.wclosed:
                        m.flushed = len(m.data)
                    elif op == 'abort':
                        m.known = False
                    m.wclosed = True
                else:
                    m.rclosed = True
                continue
            if r < 0.20:
                ml.append(f'  show "{label}:pause" (fun () -> Lwt.pause () >|= unit_) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:pause", () => Promise.Pause().Map(() => "()"));')
                continue
            if r < 0.58:
                name, mle, cse, eff = writer_op(m, 'oc')
                spawn = R.random() < 0.2
                self.apply_write(eff, not spawn)
                if spawn and eff and eff[0] == 'data':
                    pass  # a spawned write still goes in order (it queues): data stays known
                awaited = not spawn
                st = (f'{label}:{name}', mle, cse, awaited)
            else:
                name, mle, cse, awaited = self.reader_step(label, 'ic')
                if awaited and R.random() < 0.15:
                    awaited = False   # spawned although it cannot wait: it runs at once anyway
                st = (f'{label}:{name}', mle, cse, awaited)
            lab, mle, cse, awaited = st
            if is_job(lab.split(':', 1)[1]):
                # Lwt_unix.lseek is a job in Lwt (its promise resolves a loop iteration later,
                # and the auto-flush runs meanwhile); ours seeks at once. Settle around it.
                ml.append(f'  settle "{label}" >>= fun () ->')
                cs.append(f'  await Rt.Settle("{label}");')
                ml.append(f'  show "{lab}" (fun () -> {mle}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{lab}", () => {cse});')
                ml.append(f'  settle "{label}" >>= fun () ->')
                cs.append(f'  await Rt.Settle("{label}");')
                continue
            if awaited:
                ml.append(f'  show "{lab}" (fun () -> {mle}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{lab}", () => {cse});')
            else:
                ml.append(f'  (spawn "{lab}" (fun () -> {mle}); Lwt.return_unit) >>= fun () ->')
                cs.append(f'  Rt.Spawn("{lab}", () => {cse});')
        if self.mode == 'socket':
            ml.append('  endphase ic oc >>= fun () -> sock_end server finished_u soc cic')
            cs.append('  await Rt.EndPhase(ic, oc);')
            cs.append('  await Rt.SockEnd(server, finished, soc, cic);')
        else:
            ml.append('  endphase ic oc')
            cs.append('  await Rt.EndPhase(ic, oc);')
        cs.append('}')


class ServerProg:
    """server mode: request/response scripts against a line server (rt.ml's serve), an
    accept_n script over a raw listening socket, or an auto_pause/auto_yield script."""
    def __init__(self, idx, seed=0):
        self.idx = idx
        self.port = port_of(seed, idx)
        self.ml, self.cs = [], []
        self.closed = []
        r = R.random()
        if MODE == 'serveropts': self.gen_srv()
        elif MODE == 'server6' and r >= 0.85: self.gen_srv()  # no auto_pause scripts (no addresses)
        elif r < 0.6: self.gen_srv()
        elif r < 0.85: self.gen_acc()
        else: self.gen_auto()

    def emit(self, ml, cs):
        self.ml.append(f'  {ml} >>= fun () ->')
        self.cs.append(f'  await {cs};')

    def head(self):
        i = self.idx
        self.ml.append(f'let prog_{i} () =')
        self.cs.append(f'static async Promise Prog_{i}() {{')
        ak = R.choice(['tcp6'] if MODE == 'server6' else ['tcp', 'unix', 'tcp6'] if MODE == 'serveropts' else ['tcp', 'unix'])
        key = self.port if ak != 'unix' else i
        self.ml.append(f'  let addr = srv_addr "{ak}" {key} "m" in set_hook ();')
        self.cs.append(f'  var addr = Rt.SrvAddr("{ak}", {key}, "c"); Rt.SetHook();')
        self.ml.append(f'  cur := !cur; logb !cur "addr {ak}";')
        self.cs.append(f'  Rt.LogB(Rt.Cur, "addr {ak}");')

    def gen_srv(self):
        self.head()
        sk = R.choice(['addr', 'sock'])
        opts = MODE == 'serveropts'
        noclose = False
        if opts:
            fdk = R.choice(['none', 'fresh', 'fresh', 'bound', 'closed'])
            backlog = R.choice([-1, -1, 0, 1, 5])
            noclose = R.random() < 0.5
            ak = self.ml[-2].split('"')[1]
            self.ml.append(f'  start_server_o "{sk}" "{ak}" addr "{fdk}" ({backlog}) {str(noclose).lower()} >>= fun server ->')
            self.cs.append(f'  var server = await Rt.StartServerO("{sk}", "{ak}", addr, "{fdk}", {backlog}, {str(noclose).lower()});')
            if fdk in ('bound', 'closed'):  # the start fails: a client is refused, and that is all
                self.emit('sopen 1 addr', 'Rt.SOpen(1, addr)')
                self.ml.append('  srv_end_o server')
                self.cs.append('  await Rt.SrvEndO(server);')
                self.cs.append('}')
                return
        else:
            self.ml.append(f'  start_server "{sk}" addr >>= fun server ->')
            self.cs.append(f'  var server = await Rt.StartServer("{sk}", addr);')
        live, dead = [], []
        nc = 0
        down = False
        for s in range(R.randint(3, 9)):
            r = R.random()
            if r < 0.2 and len(live) < 3:
                nc += 1
                self.emit(f'sopen {nc} addr', f'Rt.SOpen({nc}, addr)')
                # let the server accept it: a shutdown right after a TCP connect races the
                # accept (see cmp.py's accept-vs-shutdown)
                self.emit('settle "o"', 'Rt.Settle("o")')
                if not down: live.append(nc)   # after shutdown: refused, not in the table
            elif r < 0.55 and live:
                c = R.choice(live)
                last = ['q', 'x', 'n'] + ([] if sk == 'sock' else ['c'])
                req = R.choice(['a', 'b', 'a', 'bb'] * 3 + last)
                if noclose and req in ('q', 'x', 'n'):
                    # the handler ends but its channels stay open: the client's read waits
                    # (spawned) until srv_end_o closes them
                    self.emit(f'sreq_bg {c} "{req}"', f'Rt.SReqBg({c}, "{req}")')
                    self.emit('settle "h"', 'Rt.Settle("h")')
                else:
                    self.emit(f'sreq {c} "{req}"', f'Rt.SReq({c}, "{req}")')
                if req in last:
                    live.remove(c); dead.append(c)
            elif r < 0.75 and not down:
                nc += 1
                reqs = [R.choice(['a', 'b']) for _ in range(R.randint(0, 2))]
                if R.random() < 0.3 and not noclose: reqs.append('q')
                elif R.random() < 0.4: reqs.append('t')   # written, not flushed: the close flushes it
                fail = R.random() < 0.3
                fn, cfn = R.choice([('swith', 'SWith'), ('swithclose', 'SWithClose')])
                mll = '[' + '; '.join(f'"{x}"' for x in reqs) + ']'
                csl = 'new string[] {' + ', '.join(f'"{x}"' for x in reqs) + '}'
                self.emit(f'{fn} {nc} addr {mll} {str(fail).lower()}', f'Rt.{cfn}({nc}, addr, {csl}, {str(fail).lower()})')
                # the client closed: the handler sees the end of input
                self.emit('settle "w"', 'Rt.Settle("w")')
            elif r < 0.85 and not down:
                down = True
                if opts: self.emit('(match server with Some s -> sshutdown s | None -> Lwt.return_unit)', 'Rt.SShutdown(server)')
                else: self.emit('sshutdown server', 'Rt.SShutdown(server)')
            elif r < 0.95 and (live + [d for d in dead if d not in self.closed]):
                c = R.choice(live + [d for d in dead if d not in self.closed])
                if c in live: live.remove(c); dead.append(c)
                self.closed.append(c)
                self.emit(f'settle "x" >>= fun () -> sclose {c}', f'Rt.Settle("x"); await Rt.SClose({c})')
                self.emit('settle "y"', 'Rt.Settle("y")')
            else:
                self.emit('settle "p"', 'Rt.Settle("p")')
        if opts:
            self.ml.append('  srv_end_o server')
            self.cs.append('  await Rt.SrvEndO(server);')
        else:
            self.ml.append('  srv_end server')
            self.cs.append('  await Rt.SrvEnd(server);')
        self.cs.append('}')

    closed = None
    def closed_set(self):
        if self.closed is None: self.closed = []
        return self.closed

    def gen_acc(self):
        self.closed = []
        self.head()
        self.ml.append('  raw_listen addr >>= fun s ->')
        self.cs.append('  var s = await Rt.RawListen(addr);')
        pending = 0
        for st in range(R.randint(2, 6)):
            r = R.random()
            if (r < 0.45 or pending == 0 and r < 0.7) and pending < 10:
                # (a Unix socket's backlog of 16 must not fill: connect would wait)
                k = R.randint(1, 4)
                self.emit(f'raw_connect addr {k}', f'Rt.RawConnect(addr, {k})')
                pending += k
            elif pending > 0 or pending >= 10:
                n = R.choice([1, 2, 3, 5, 8])
                self.emit(f'show "accept_n {n}" (acc_n s {n})', f'Rt.Show("accept_n {n}", Rt.AccN(s, {n}))')
                pending -= min(n, pending)
            else:
                # nothing pending: the accept waits for the next connection
                n = R.choice([1, 3])
                self.ml.append(f'  (spawn "accept_n {n} (waiting)" (acc_n s {n}); Lwt.return_unit) >>= fun () ->')
                self.cs.append(f'  Rt.Spawn("accept_n {n} (waiting)", Rt.AccN(s, {n}));')
                self.emit('settle "a"', 'Rt.Settle("a")')
                # one connection: a second connect would race the waiting accept (whether
                # it finds one or two depends on which ready descriptor runs first)
                k = 1
                self.emit(f'raw_connect addr {k}', f'Rt.RawConnect(addr, {k})')
                self.emit('settle "b"', 'Rt.Settle("b")')
                pending += k - min(n, k)
        self.ml.append('  raw_end s')
        self.cs.append('  await Rt.RawEnd(s);')
        self.cs.append('}')

    def gen_auto(self):
        i = self.idx
        self.ml.append(f'let prog_{i} () =')
        self.cs.append(f'static async Promise Prog_{i}() {{')
        t = R.choice(['0.', '(-1.)', 'infinity'])
        ct = {'0.': '0.0', '(-1.)': '-1.0', 'infinity': 'double.PositiveInfinity'}[t]
        fn, cfn = R.choice([('auto_pause', 'AutoPause'), ('auto_yield', 'AutoYield')])
        nb, nf = R.randint(0, 4), R.randint(1, 5)
        self.ml.append(f'  let f = (Lwt_unix.{fn} [@ocaml.warning "-3"]) {t} in')
        self.cs.append(f'#pragma warning disable CS0618\n  var f = LwtUnix.{cfn}({ct});\n#pragma warning restore CS0618')
        self.ml.append(f'  let bg = bgloop 0 {nb} in')
        self.cs.append(f'  var bg = Rt.BgLoop({nb});')
        self.ml.append(f'  fgloop f 0 {nf} >>= fun () -> logb !cur "fg done"; bg >>= fun () -> logb !cur "bg done"; Lwt.return_unit')
        self.cs.append(f'  await Rt.FgLoop(f, {nf}); Rt.LogB(Rt.Cur, "fg done"); await bg; Rt.LogB(Rt.Cur, "bg done");')
        self.cs.append('}')


class CancelProg:
    """cancel mode: Lwt.cancel (ours Promise.Cancel) of Lwt_io operations over a real pipe.
    Every operation is spawned and kept in a slot (the operation's own promise, before the
    printing's map): reads (char, line, counts, all, into, into_exactly) waiting for the pipe,
    small writes and flushes, big writes (30000..70000 bytes of one letter, past the pipe's 64 KiB
    capacity, so their flushes wait for the pipe), atomic blocks of 1..2 of them on either end
    (the block and its operations in slots), close/abort of either end; later steps cancel a
    slot (running in the fd, queued behind another, inside or as an atomic block, already ended)
    and print both channels' position/buffered/busy right after. Settles and pauses between.
    The end phase spawns a drain of the reading end before it closes the writing end (a big
    write may wait for the reader). Data read is printed with runs of 6 or more bytes as
    [xx*n], so lost or duplicated bytes show."""
    def __init__(self, idx, mode='cancel', seed=0):
        self.idx = idx
        # cancelsock: the ends are a TCP connection (sockpair); cancelx: number reads/writes and
        # read_lines/read_chars streams too. MODE=cancel draws exactly what it drew before.
        self.mode = mode
        self.port = port_of(seed, idx)
        self.ml, self.cs = [], []
        self.slots = []
        self.streams = []
        self.big = 0
        self.gen()

    def emit(self, ml, cs):
        self.ml.append(f'  {ml} >>= fun () ->')
        self.cs.append(f'  await {cs};')

    NUMT = ('int', 'int16', 'int32', 'int64', 'float32', 'float64')
    NUMCS = {'int': 'Int', 'int16': 'Int16', 'int32': 'Int32', 'int64': 'Int64', 'float32': 'Float32', 'float64': 'Float64'}

    def xreader(self, sl, c):
        """cancelx: a number read (either end), or on ic a get/nget/junk of a read_lines or
        read_chars stream (made by this step or an earlier one)."""
        if c != 'ic' or R.random() < 0.5:
            e = R.choice(['LE', 'BE']); t = R.choice(self.NUMT)
            conv = {'int': 'string_of_int', 'int16': 'string_of_int', 'int32': 'Int32.to_string', 'int64': 'Int64.to_string'}.get(t, 'fb')
            csconv = 'Rt.Fb((double)x)' if t.startswith('float') else 'x.ToString()'
            return (f'{e}.read_{t}', f'creg "{sl}" (Lwt_io.{e}.read_{t} {c}) >|= {conv}', f'Rt.Reg("{sl}", LwtIO.{e}.Read{self.NUMCS[t]}({c})).Map(x => {csconv})')
        if not self.streams or R.random() < 0.3:
            kind = R.choice(['lines', 'chars'])
            st = f'st{len(self.streams) + 1}'
            self.streams.append((st, kind))
            self.ml.append(f'  let {st} = Lwt_io.read_{kind} ic in')
            self.cs.append(f'  var {st} = ic.Read{kind.capitalize()}();')
        else:
            st, kind = R.choice(self.streams)
        r = R.random()
        one = ('(function None -> "None" | Some s -> "Some " ^ rle s)', 'x => x.HasValue ? "Some " + Rt.Rle(x.Value) : "None"') if kind == 'lines' \
            else ('optc', 'x => Rt.OptC(x)')
        if r < 0.5:
            return (f'get {st}', f'creg "{sl}" (Lwt_stream.get {st}) >|= {one[0]}', f'Rt.Reg("{sl}", {st}.Get()).Map({one[1]})')
        if r < 0.8:
            k = R.randint(0, 3)
            mlj = 'String.concat "," (List.map rle l)' if kind == 'lines' else 'String.concat "" (List.map hexc l)'
            csj = 'string.Join(",", l.Select(Rt.Rle))' if kind == 'lines' else 'string.Concat(l.Select(Rt.Hc))'
            return (f'nget {k} {st}', f'creg "{sl}" (Lwt_stream.nget {k} {st}) >|= fun l -> {mlj}', f'Rt.Reg("{sl}", {st}.NGet({k})).Map(l => {csj})')
        return (f'junk {st}', f'creg "{sl}" (Lwt_stream.junk {st}) >|= unit_', f'Rt.Reg("{sl}", {st}.Junk()).Map(() => "()")')

    def xwriter(self, sl, c):
        e = R.choice(['LE', 'BE']); t = R.choice(self.NUMT)
        # values whose bytes are text (a, b, c, \n) or 0/1: every byte ASCII, since ours
        # decodes lines as UTF-8 (README's ours-lines-utf8-decoded), so a line read meeting a
        # number's bytes prints the same on both sides
        w = {'int': 4, 'int16': 2, 'int32': 4, 'int64': 8, 'float32': 4, 'float64': 8}[t]
        raw = bytes(R.choice(b'abc\n') for _ in range(w)) if R.random() < 0.8 else bytes([R.choice([0, 1])]) + bytes(w - 1)
        if t == 'float64':
            bits = int.from_bytes(raw, 'little', signed=True)
            v = hexs(raw)
            mlv, csv = f'(Int64.float_of_bits ({bits}L))', f'BitConverter.Int64BitsToDouble({bits}L)'
        elif t == 'float32':
            # a float32 value (exact as a double): write_float32 gives back these 4 bytes
            bits = struct.unpack('<q', struct.pack('<d', struct.unpack('<f', raw)[0]))[0]
            v = hexs(raw)
            mlv, csv = f'(Int64.float_of_bits ({bits}L))', f'(float)BitConverter.Int64BitsToDouble({bits}L)'
        else:
            v = int.from_bytes(raw, 'little', signed=True)
            mlv = {'int': f'({v})', 'int16': f'({v})', 'int32': f'({v}l)', 'int64': f'({v}L)'}[t]
            csv = {'int': f'({v})', 'int16': f'(short)({v})', 'int32': f'({v})', 'int64': f'({v}L)'}[t]
        return (f'{e}.write_{t} {v}', f'creg "{sl}" (Lwt_io.{e}.write_{t} {c} {mlv}) >|= unit_', f'Rt.Reg("{sl}", LwtIO.{e}.Write{self.NUMCS[t]}({c}, {csv})).Map(() => "()")')

    def reader(self, sl, c):
        if self.mode == 'cancelx' and R.random() < 0.4:
            return self.xreader(sl, c)
        r = R.random()
        if r < 0.16:
            return ('read_char', f'creg "{sl}" (Lwt_io.read_char {c}) >|= hexc', f'Rt.Reg("{sl}", {c}.ReadChar()).Map(x => Rt.Hc(x))')
        if r < 0.24:
            return ('read_char_opt', f'creg "{sl}" (Lwt_io.read_char_opt {c}) >|= optc', f'Rt.Reg("{sl}", {c}.ReadCharOpt()).Map(x => Rt.OptC(x))')
        if r < 0.40:
            return ('read_line', f'creg "{sl}" (Lwt_io.read_line {c}) >|= rle', f'Rt.Reg("{sl}", {c}.ReadLine()).Map(x => Rt.Rle(x))')
        if r < 0.48:
            return ('read_line_opt', f'creg "{sl}" (Lwt_io.read_line_opt {c}) >|= (function None -> "None" | Some s -> "Some " ^ rle s)',
                    f'Rt.Reg("{sl}", {c}.ReadLineOpt()).Map(x => x.HasValue ? "Some " + Rt.Rle(x.Value) : "None")')
        if r < 0.66:
            n = R.choice([0, 1, 3, 5, 17, 100, 5000])
            return (f'read {n}', f'creg "{sl}" (Lwt_io.read ~count:{n} {c}) >|= rle', f'Rt.Reg("{sl}", {c}.Read({n})).Map(x => Rt.Rle(x))')
        if r < 0.70:
            return ('read all', f'creg "{sl}" (Lwt_io.read {c}) >|= rle', f'Rt.Reg("{sl}", {c}.Read()).Map(x => Rt.Rle(x))')
        blen = R.randint(0, 20); ofs = R.randint(0, blen); ln = R.randint(0, blen - ofs)
        if r < 0.85:
            return (f'read_into {blen} {ofs} {ln}', f'(let b = Bytes.make {blen} \'.\' in creg "{sl}" (Lwt_io.read_into {c} b {ofs} {ln}) >|= fun n -> string_of_int n ^ " " ^ hexb b)',
                    f'Rt.RIc("{sl}", {c}, {blen}, {ofs}, {ln})')
        return (f'read_into_exactly {blen} {ofs} {ln}', f'(let b = Bytes.make {blen} \'.\' in creg "{sl}" (Lwt_io.read_into_exactly {c} b {ofs} {ln}) >|= fun () -> hexb b)',
                f'Rt.RIEc("{sl}", {c}, {blen}, {ofs}, {ln})')

    def writer(self, sl, c, big_ok=True):
        if self.mode == 'cancelx' and R.random() < 0.3:
            return self.xwriter(sl, c)
        r = R.random()
        if r < 0.15 and big_ok:
            n = R.choice([30000, 65536, 70000])
            ch = chr(ord('A') + self.big % 26); self.big += 1
            return (f'write {ch}*{n}', f'creg "{sl}" (Lwt_io.write {c} (String.make {n} \'{ch}\')) >|= unit_', f'Rt.Reg("{sl}", {c}.Write(new string(\'{ch}\', {n}))).Map(() => "()")')
        if r < 0.35:
            s = rtext(20)
            return (f'write {hexs(s)}', f'creg "{sl}" (Lwt_io.write {c} {mls(s)}) >|= unit_', f'Rt.Reg("{sl}", {c}.Write({css(s)})).Map(() => "()")')
        if r < 0.50:
            s = rtext(10)
            return (f'write_line {hexs(s)}', f'creg "{sl}" (Lwt_io.write_line {c} {mls(s)}) >|= unit_', f'Rt.Reg("{sl}", {c}.WriteLine({css(s)})).Map(() => "()")')
        if r < 0.57:
            b = R.choice(TEXT + b'xyz')
            return (f'write_char {b:02x}', f'creg "{sl}" (Lwt_io.write_char {c} \'\\x{b:02x}\') >|= unit_', f'Rt.Reg("{sl}", {c}.WriteChar((char){b})).Map(() => "()")')
        if r < 0.67:
            s = rtext(30)
            ofs = R.randint(0, len(s)); ln = R.randint(0, len(s) - ofs)
            return (f'write_from_exactly {hexs(s)} {ofs} {ln}', f'creg "{sl}" (Lwt_io.write_from_exactly {c} (Bytes.of_string {mls(s)}) {ofs} {ln}) >|= unit_',
                    f'Rt.Reg("{sl}", {c}.WriteFromExactly(Rt.Bytes("{hexs(s)}").AsMemory({ofs}, {ln}))).Map(() => "()")')
        if r < 0.72:
            s = rtext(30)
            ofs = R.randint(0, len(s)); ln = R.randint(0, len(s) - ofs)
            return (f'write_from {hexs(s)} {ofs} {ln}', f'creg "{sl}" (Lwt_io.write_from {c} (Bytes.of_string {mls(s)}) {ofs} {ln}) >|= string_of_int',
                    f'Rt.Reg("{sl}", {c}.WriteFrom(Rt.Bytes("{hexs(s)}").AsMemory({ofs}, {ln}))).Map(x => x.ToString())')
        return ('flush', f'creg "{sl}" (Lwt_io.flush {c}) >|= unit_', f'Rt.Reg("{sl}", {c}.Flush()).Map(() => "()")')

    def spawn(self, lab, ml, cs):
        self.ml.append(f'  (spawn "{lab}" (fun () -> {ml}); Lwt.return_unit) >>= fun () ->')
        self.cs.append(f'  Rt.Spawn("{lab}", () => {cs});')

    def gen(self):
        i = self.idx
        bs = R.choice([16, 16, 17, 20, 32, 64])
        self.ml.append(f'let prog_{i} () =')
        self.cs.append(f'static async Promise Prog_{i}() {{')
        # settle longer: a big write's transfer takes ours more loop iterations than Lwt
        # (seed 2530 prog 121: a write still pending after a settle here, done in Lwt)
        if self.mode == 'cancelsock':
            # a TCP connection on 127.0.0.1: the client's socket writes (oc), the accepted one reads (ic)
            self.ml.append(f'  sockpair {bs} {self.port} >>= fun (ic, oc, sfd, cfd) -> Hashtbl.reset slots; settle_pauses := 300;')
            self.cs.append(f'  var (ic, oc, sfd, cfd) = await Rt.SockPair({bs}, {self.port}); Rt.Slots.Clear(); Rt.SettlePauses = 300;')
        else:
            self.ml.append(f'  let (ic, oc) = pipe {bs} in Hashtbl.reset slots; settle_pauses := 300;')
            self.cs.append(f'  var (ic, oc) = LwtIO.Pipe({bs}); Rt.Slots.Clear(); Rt.SettlePauses = 300;')
        closed = set()
        paused = False
        for s in range(1, R.randint(4, 12) + 1):
            lab = str(s)
            r = R.random()
            if r < 0.22:
                name, ml, cs = self.reader(lab, 'ic')
                self.spawn(f'{lab}:{name}', ml, cs); self.slots.append(lab)
            elif r < 0.48:
                name, ml, cs = self.writer(lab, 'oc')
                self.spawn(f'{lab}:{name}', ml, cs); self.slots.append(lab)
            elif r < 0.56:
                end = R.choice(['ic', 'oc'])
                subs_ml, subs_cs = [], []
                for j in range(R.randint(1, 2)):
                    sl = f'{lab}.{j + 1}'
                    name, ml, cs = self.reader(sl, 'w') if end == 'ic' else self.writer(sl, 'w')
                    subs_ml.append(f'show "{sl}:{name}" (fun () -> {ml})')
                    subs_cs.append(f'await Rt.Show("{sl}:{name}", () => {cs});')
                    self.slots.append(sl)
                typ = 'InputChannel' if end == 'ic' else 'OutputChannel'
                mle = f'creg "{lab}" (Lwt_io.atomic (fun w -> ' + ' >>= fun () -> '.join(subs_ml) + f' >>= fun () -> Lwt.return "()") {end})'
                cse = f'Rt.Reg("{lab}", LwtIO.Atomic<{typ}, string>({end}, async w => {{ ' + ' '.join(subs_cs) + ' return "()"; }))'
                self.spawn(f'{lab}:atomic {end}', mle, cse); self.slots.append(lab)
            elif r < 0.78 and self.slots:
                k = R.choice(self.slots[-3:] if R.random() < 0.7 else self.slots)
                if paused:
                    # after a pause, how far the pipe's wake-ups got depends on how the loop
                    # interleaves the engine with pauses (Lwt and ours differ: seed 2530 prog
                    # 121, a flush done here and not in Lwt): settle before the cancel
                    self.emit(f'settle "{lab}"', f'Rt.Settle("{lab}")')
                    paused = False
                self.emit(f'cancel_slot "{lab}" "{k}" ic oc', f'Rt.CancelSlot("{lab}", "{k}", ic, oc)')
            elif r < 0.82 and len(closed) < 2:
                end = R.choice(['ic', 'oc', 'oc'])
                op = 'abort' if R.random() < 0.3 else 'close'
                closed.add(end)
                # Lwt_unix.close is a job in Lwt (the descriptor closes an iteration later,
                # an auto-flush or a queued write meanwhile still reaches the pipe; ours closes
                # at once): settle before (what waits for the pipe still waits) and after
                self.emit(f'settle "{lab}"', f'Rt.Settle("{lab}")')
                self.spawn(f'{lab}:{op} {end}', f'creg "{lab}" (Lwt_io.{op} {end}) >|= unit_', f'Rt.Reg("{lab}", {end}.{"Abort" if op == "abort" else "Close"}()).Map(() => "()")')
                self.slots.append(lab)
                self.emit(f'settle "{lab}"', f'Rt.Settle("{lab}")')
                paused = False
            elif r < 0.92:
                if self.mode == 'cancelsock' and R.random() < 0.3:
                    # shutdown(2) of one direction (or both) of either socket, settled around
                    # as a close: what waiting reads and writes, later ones and the drain meet
                    fd = R.choice(['cfd', 'sfd'])
                    how = R.choice(['SHUTDOWN_SEND', 'SHUTDOWN_RECEIVE', 'SHUTDOWN_ALL'])
                    cshow = {'SHUTDOWN_SEND': 'Send', 'SHUTDOWN_RECEIVE': 'Receive', 'SHUTDOWN_ALL': 'Both'}[how]
                    self.emit(f'settle "{lab}"', f'Rt.Settle("{lab}")')
                    self.emit(f'sshut "{lab}" {fd} Unix.{how} ic oc', f'Rt.SShut("{lab}", {fd}, System.Net.Sockets.SocketShutdown.{cshow}, ic, oc)')
                self.emit(f'settle "{lab}"', f'Rt.Settle("{lab}")')
                paused = False
            else:
                paused = True
                self.emit(f'show "{lab}:pause" (fun () -> Lwt.pause () >|= unit_)', f'Rt.Show("{lab}:pause", () => Promise.Pause().Map(() => "()"))')
        self.ml.append('  endphase_c ic oc')
        self.cs.append('  await Rt.EndPhaseC(ic, oc);')
        self.cs.append('}')


MODE = 'pipe'

def main():
    global R
    seed, n, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    global MODE
    mode = sys.argv[4] if len(sys.argv) > 4 else 'pipe'
    assert mode in ('pipe', 'socket', 'server', 'server6', 'serveropts', 'cancel', 'cancelsock', 'cancelx'), mode
    MODE = mode
    R = random.Random(seed)
    progs = [ServerProg(i, seed) if mode in ('server', 'server6', 'serveropts') else CancelProg(i, mode, seed) if mode in ('cancel', 'cancelsock', 'cancelx') else Prog(i, mode, seed) for i in range(n)]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(f'{outdir}/progs.ml', 'w') as f:
        f.write(open(os.path.join(here, 'rt.ml')).read())
        f.write('\nopen Lwt.Infix\n[@@@warning "-26-27-33"]\n')
        for p in progs:
            f.write('\n'.join(p.ml) + '\n\n')
        f.write('let () =\n')
        for p in progs:
            f.write(f'  run_prog {p.idx} prog_{p.idx};\n')
        f.write('  ()\n')
    with open(f'{outdir}/Progs.cs', 'w') as f:
        f.write('using Lwt;\nusing System.Linq;\npublic static class Progs {\n')
        for p in progs:
            f.write('\n'.join(p.cs) + '\n\n')
        f.write('public static void Main(string[] args) {\n')
        for p in progs:
            f.write(f'  Rt.RunProg({p.idx}, Prog_{p.idx});\n')
        f.write('}\n}\n')

main()
