#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area lwtio:
# Lwt_io channels: of_bytes and custom input/output channels with scripted backends (short
# reads/writes, async, seekable), read_*/write_* (chars, lines, ints/floats, into, block,
# direct_access), atomic, position/set_position/length, flush/close/abort, Lwt_bytes buffers.
"""Generate N random Lwt_io programs as one OCaml file and one C# file.
usage: gen.py SEED N OUTDIR [FAMILIES=base]  (comma list of base, numbers, faults, faults2)"""
import random, sys, struct, os

R = None

def mls(bs):  # OCaml string literal from bytes
    return '"' + ''.join('\\x%02x' % b for b in bs) + '"'

def css(bs):  # C# string literal (chars 0..255) from bytes
    return '"' + ''.join('\\u%04x' % b for b in bs) + '"'

def hexs(bs):
    return ''.join('%02x' % b for b in bs)

TEXT = b'abc\r\n'

def rtext(maxlen):
    n = R.randint(0, maxlen)
    return bytes(R.choice(TEXT) for _ in range(n))

def rbytes(maxlen):
    n = R.randint(0, maxlen)
    pool = [0x00, 0x7f, 0x80, 0xff, 0x01, 0xfe, 0x0a, 0x0d]
    return bytes(R.choice(pool) if R.random() < 0.5 else R.randint(0, 255) for _ in range(n))

# ---------------------------------------------------------------- ops
# An op is (name, ml(ch) -> expr of string Lwt.t, cs(ch) -> expr of Promise<string>)

def common_ops(kind, isbytes):
    ops = []
    ops.append((3, lambda: ('position', lambda c: f'Lwt.return (Int64.to_string (Lwt_io.position {c}))',
                            lambda c: f'Promise.Return({c}.Position().ToString())')))
    ops.append((2, lambda: ('buffered', lambda c: f'Lwt.return (string_of_int (Lwt_io.buffered {c}))',
                            lambda c: f'Promise.Return({c}.Buffered().ToString())')))
    ops.append((1, lambda: ('is_busy', lambda c: f'Lwt.return (string_of_bool (Lwt_io.is_busy {c}))',
                            lambda c: f'Promise.Return(Rt.B({c}.IsBusy))')))
    ops.append((1, lambda: ('is_closed', lambda c: f'Lwt.return (string_of_bool (Lwt_io.is_closed {c}))',
                            lambda c: f'Promise.Return(Rt.B({c}.IsClosed))')))

    def setpos():
        p = R.randint(0, 45)
        return (f'set_position {p}', lambda c: f'Lwt_io.set_position {c} {p}L >|= unit_',
                lambda c: f'{c}.SetPosition({p}).Map(() => "()")')
    ops.append((2, setpos))
    ops.append((1, lambda: ('length', lambda c: f'Lwt_io.length {c} >|= Int64.to_string',
                            lambda c: f'{c}.Length().Map(x => x.ToString())')))
    ops.append((1, lambda: ('close', lambda c: f'Lwt_io.close {c} >|= unit_',
                            lambda c: f'{c}.Close().Map(() => "()")')))
    ops.append((1, lambda: ('abort', lambda c: f'Lwt_io.abort {c} >|= unit_',
                            lambda c: f'{c}.Abort().Map(() => "()")')))
    ops.append((2, lambda: ('pause', lambda c: 'Lwt.pause () >|= unit_',
                            lambda c: 'Promise.Pause().Map(() => "()")')))
    return ops

def input_ops(text):
    ops = []
    ops.append((4, lambda: ('read_char', lambda c: f'Lwt_io.read_char {c} >|= hexc',
                            lambda c: f'{c}.ReadChar().Map(x => Rt.Hc(x))')))
    ops.append((3, lambda: ('read_char_opt', lambda c: f'Lwt_io.read_char_opt {c} >|= optc',
                            lambda c: f'{c}.ReadCharOpt().Map(x => Rt.OptC(x))')))
    if text:
        ops.append((5, lambda: ('read_line', lambda c: f'Lwt_io.read_line {c} >|= hex',
                                lambda c: f'{c}.ReadLine().Map(x => Rt.Hs(x))')))
        ops.append((4, lambda: ('read_line_opt', lambda c: f'Lwt_io.read_line_opt {c} >|= opts',
                                lambda c: f'{c}.ReadLineOpt().Map(x => Rt.OptS(x))')))
        def rlines():
            n = R.randint(1, 4)
            return (f'read_lines {n}', lambda c: f'Lwt_stream.nget {n} (Lwt_io.read_lines {c}) >|= fun l -> String.concat "," (List.map hex l)',
                    lambda c: f'{c}.ReadLines().NGet({n}).Map(l => string.Join(",", l.Select(Rt.Hs)))')
        ops.append((2, rlines))
    def rchars():
        n = R.randint(1, 6)
        return (f'read_chars {n}', lambda c: f'Lwt_stream.nget {n} (Lwt_io.read_chars {c}) >|= fun l -> String.concat "" (List.map hexc l)',
                lambda c: f'{c}.ReadChars().NGet({n}).Map(l => string.Concat(l.Select(Rt.Hc)))')
    ops.append((1, rchars))
    def read():
        if R.random() < 0.2:
            return ('read all', lambda c: f'Lwt_io.read {c} >|= hex', lambda c: f'{c}.Read().Map(x => Rt.Hb(x))')
        n = R.choice([0, 1, 2, 3, 5, 8, 16, 17, 30])
        return (f'read {n}', lambda c: f'Lwt_io.read ~count:{n} {c} >|= hex', lambda c: f'{c}.Read({n}).Map(x => Rt.Hb(x))')
    ops.append((4, read))
    def read_into(exact):
        blen = R.randint(0, 24)
        ofs = R.randint(0, blen)
        ln = R.randint(0, blen - ofs)
        if exact:
            return (f'read_into_exactly {blen} {ofs} {ln}',
                    lambda c: f'(let b = Bytes.make {blen} \'.\' in Lwt_io.read_into_exactly {c} b {ofs} {ln} >|= fun () -> hexb b)',
                    lambda c: f'Rt.RIE({c}, {blen}, {ofs}, {ln})')
        return (f'read_into {blen} {ofs} {ln}',
                lambda c: f'(let b = Bytes.make {blen} \'.\' in Lwt_io.read_into {c} b {ofs} {ln} >|= fun n -> string_of_int n ^ " " ^ hexb b)',
                lambda c: f'Rt.RI({c}, {blen}, {ofs}, {ln})')
    ops.append((4, lambda: read_into(False)))
    ops.append((3, lambda: read_into(True)))
    def block():
        n = R.randint(0, 16)
        return (f'block {n}', lambda c: f'Lwt_io.block {c} {n} (fun buf ofs -> Lwt.return (hexbig (Lwt_bytes.proxy buf ofs {n})))',
                lambda c: f'{c}.Block({n}, (m, o) => Promise.Return(Rt.Hm(m.Slice(o, {n}))))')
    ops.append((2, block))
    def da():
        k = R.randint(0, 10)
        perf = R.random() < 0.4
        return (f'direct_access {k} {perf}',
                lambda c: f'Lwt_io.direct_access {c} (fun da -> (if {str(perf).lower()} then da.Lwt_io.da_perform () >|= string_of_int else Lwt.return "-") >>= fun r -> let k = min {k} (da.Lwt_io.da_max - da.Lwt_io.da_ptr) in let s = hexbig (Lwt_bytes.proxy da.Lwt_io.da_buffer da.Lwt_io.da_ptr k) in da.Lwt_io.da_ptr <- da.Lwt_io.da_ptr + k; Lwt.return (r ^ " " ^ s))',
                lambda c: f'Rt.DAIn({c}, {k}, {str(perf).lower()})')
    ops.append((1, da))
    def num():
        e = R.choice(['LE', 'BE'])
        t = R.choice(['int', 'int16', 'int32', 'int64', 'float32', 'float64'])
        ml_conv = {'int': 'string_of_int', 'int16': 'string_of_int', 'int32': 'Int32.to_string', 'int64': 'Int64.to_string',
                   'float32': 'fbits', 'float64': 'fbits'}[t]
        cs_name = {'int': 'ReadInt', 'int16': 'ReadInt16', 'int32': 'ReadInt32', 'int64': 'ReadInt64', 'float32': 'ReadFloat32', 'float64': 'ReadFloat64'}[t]
        cs_conv = 'Rt.Fb((double)x)' if t.startswith('float') else 'x.ToString()'
        return (f'{e}.read_{t}', lambda c: f'Lwt_io.{e}.read_{t} {c} >|= {ml_conv}',
                lambda c: f'LwtIO.{e}.{cs_name}({c}).Map(x => {cs_conv})')
    ops.append((5, num))
    return ops

def output_ops():
    ops = []
    def write():
        s = rtext(20)
        return (f'write {hexs(s)}', lambda c: f'Lwt_io.write {c} {mls(s)} >|= unit_', lambda c: f'{c}.Write({css(s)}).Map(() => "()")')
    ops.append((4, write))
    def write_line():
        s = rtext(12)
        return (f'write_line {hexs(s)}', lambda c: f'Lwt_io.write_line {c} {mls(s)} >|= unit_', lambda c: f'{c}.WriteLine({css(s)}).Map(() => "()")')
    ops.append((3, write_line))
    def write_char():
        b = R.randint(0, 255)
        return (f'write_char {b:02x}', lambda c: f'Lwt_io.write_char {c} \'\\x{b:02x}\' >|= unit_', lambda c: f'{c}.WriteChar((char){b}).Map(() => "()")')
    ops.append((4, write_char))
    def write_from(exact, string):
        s = rtext(40) if string else rbytes(40)
        ofs = R.randint(0, len(s)); ln = R.randint(0, len(s) - ofs)
        nm = 'write_from' + ('_string' if string else '') + ('_exactly' if exact else '')
        if string:
            mlf = f'Lwt_io.{"write_from_string_exactly" if exact else "write_from_string"} {{c}} {mls(s)} {ofs} {ln}'
            csf = f'{{c}}.{"WriteFromStringExactly" if exact else "WriteFromString"}({css(s)}, {ofs}, {ln})'
        else:
            mlf = f'Lwt_io.{"write_from_exactly" if exact else "write_from"} {{c}} (Bytes.of_string {mls(s)}) {ofs} {ln}'
            csf = f'{{c}}.{"WriteFromExactlyBigstring" if exact else "WriteFromBigstring"}(Rt.Bytes("{hexs(s)}"), {ofs}, {ln})'
        if exact:
            return (f'{nm} {hexs(s)} {ofs} {ln}', lambda c: mlf.format(c=c) + ' >|= unit_', lambda c: csf.format(c=c) + '.Map(() => "()")')
        return (f'{nm} {hexs(s)} {ofs} {ln}', lambda c: mlf.format(c=c) + ' >|= string_of_int', lambda c: csf.format(c=c) + '.Map(x => x.ToString())')
    ops.append((3, lambda: write_from(False, False)))
    ops.append((3, lambda: write_from(True, False)))
    ops.append((2, lambda: write_from(False, True)))
    ops.append((2, lambda: write_from(True, True)))
    def write_lines():
        ls = [rtext(6) for _ in range(R.randint(0, 3))]
        mll = '[' + ';'.join(mls(x) for x in ls) + ']'
        csl = 'new[]{' + ','.join(css(x) for x in ls) + '}' if ls else 'new string[0]'
        return (f'write_lines {",".join(hexs(x) for x in ls)}', lambda c: f'Lwt_io.write_lines {c} (Lwt_stream.of_list {mll}) >|= unit_',
                lambda c: f'{c}.WriteLines(LwtStream.OfList({csl})).Map(() => "()")')
    ops.append((1, write_lines))
    def write_chars():
        s = rbytes(6)
        return (f'write_chars {hexs(s)}', lambda c: f'Lwt_io.write_chars {c} (Lwt_stream.of_string {mls(s)}) >|= unit_',
                lambda c: f'{c}.WriteChars(LwtStream.OfString({css(s)})).Map(() => "()")')
    ops.append((1, write_chars))
    ops.append((3, lambda: ('flush', lambda c: f'Lwt_io.flush {c} >|= unit_', lambda c: f'{c}.Flush().Map(() => "()")')))
    def block():
        n = R.randint(0, 16)
        s = rbytes(0) + bytes(R.randint(0, 255) for _ in range(n))
        return (f'block {n} {hexs(s)}', lambda c: f'Lwt_io.block {c} {n} (fun buf ofs -> Lwt_bytes.blit_from_string {mls(s)} 0 buf ofs {n}; Lwt.return "()")',
                lambda c: f'{c}.Block({n}, (m, o) => {{ Rt.Bytes("{hexs(s)}").CopyTo(m.Slice(o)); return Promise.Return("()"); }})')
    ops.append((2, block))
    def da():
        s = bytes(R.randint(0, 255) for _ in range(R.randint(0, 10)))
        perf = R.random() < 0.4
        return (f'direct_access {hexs(s)} {perf}',
                lambda c: f'Lwt_io.direct_access {c} (fun da -> (if {str(perf).lower()} then da.Lwt_io.da_perform () >|= string_of_int else Lwt.return "-") >>= fun r -> let k = min {len(s)} (da.Lwt_io.da_max - da.Lwt_io.da_ptr) in Lwt_bytes.blit_from_string {mls(s)} 0 da.Lwt_io.da_buffer da.Lwt_io.da_ptr k; da.Lwt_io.da_ptr <- da.Lwt_io.da_ptr + k; Lwt.return (r ^ " " ^ string_of_int k))',
                lambda c: f'Rt.DAOut({c}, Rt.Bytes("{hexs(s)}"), {str(perf).lower()})')
    ops.append((1, da))
    def num():
        e = R.choice(['LE', 'BE'])
        t = R.choice(['int', 'int16', 'int32', 'int64', 'float32', 'float64'])
        cs_name = {'int': 'WriteInt', 'int16': 'WriteInt16', 'int32': 'WriteInt32', 'int64': 'WriteInt64', 'float32': 'WriteFloat32', 'float64': 'WriteFloat64'}[t]
        if t in ('int', 'int32'):
            v = R.choice([0, 1, -1, 2**31 - 1, -2**31, 255, 256, -256, 0x12345678, R.randint(-2**31, 2**31 - 1)])
            mlv = f'({v})' if t == 'int' else f'({v}l)'
            csv = f'unchecked((int){v}L)'
        elif t == 'int16':
            v = R.choice([0, 1, -1, 32767, -32768, 255, 256, -256, R.randint(-32768, 32767)])
            mlv = f'({v})'; csv = f'(short)({v})'
        elif t == 'int64':
            v = R.choice([0, 1, -1, 2**63 - 1, -2**63, 2**31, -2**31 - 1, 0x0102030405060708, R.randint(-2**63, 2**63 - 1)])
            mlv = f'({v}L)' if v != -2**63 else 'Int64.min_int'
            csv = f'({v}L)' if v != -2**63 else 'long.MinValue'
        else:
            d = R.choice([0.0, -0.0, 1.5, float('nan'), float('inf'), float('-inf'), 1e-310, 3.4e38, 1e39, 1e-45, -2.5, R.uniform(-1e6, 1e6)])
            bits = struct.unpack('<q', struct.pack('<d', d))[0]
            mlv = f'(Int64.float_of_bits ({bits}L))' if bits != -2**63 else '(Int64.float_of_bits Int64.min_int)'
            csv = f'BitConverter.Int64BitsToDouble({bits}L)' if bits != -2**63 else 'BitConverter.Int64BitsToDouble(long.MinValue)'
            if t == 'float32':
                csv = f'(float){csv}'
            v = d
        return (f'{e}.write_{t} {v}', lambda c: f'Lwt_io.{e}.write_{t} {c} {mlv} >|= unit_',
                lambda c: f'LwtIO.{e}.{cs_name}({c}, {csv}).Map(() => "()")')
    ops.append((4, num))
    return ops

def pick(ops):
    tot = sum(w for w, _ in ops)
    x = R.uniform(0, tot)
    for w, f in ops:
        x -= w
        if x <= 0:
            return f()
    return ops[-1][1]()
# The channel a program works on, as both languages make it (no draws from R here: the
# callers draw the parameters, so a seed's programs do not depend on these functions).
def emit_bytes_input(ml, cs, data):
    ml.append(f'  let ch = Lwt_io.of_bytes ~mode:Lwt_io.input (Lwt_bytes.of_string {mls(data)}) in')
    cs.append(f'  var ch = LwtIO.OfBytes(LwtIO.Input, Rt.Bytes("{hexs(data)}"));')

def emit_bytes_output(ml, cs, n):
    ml.append(f'  let arr = Lwt_bytes.create {n} in Lwt_bytes.fill arr 0 {n} \'\\000\';')
    ml.append('  let ch = Lwt_io.of_bytes ~mode:Lwt_io.output arr in')
    ml.append('  let fin () = hexbig arr in')
    cs.append(f'  var arr = new byte[{n}];')
    cs.append('  var ch = LwtIO.OfBytes(LwtIO.Output, arr);')
    cs.append('  Func<string> fin = () => Rt.Hb(arr);')

def emit_mk_in(ml, cs, bufsize, data, script, asy, seek):
    ml.append(f'  let ch = mk_in ~bufsize:{bufsize} ~data:{mls(data)} ~script:[|{";".join(map(str, script))}|] ~async:{str(asy).lower()} ~seek:{str(seek).lower()} in')
    cs.append(f'  var ch = Rt.MkIn({bufsize}, {css(data)}, new[]{{{",".join(map(str, script))}}}, {str(asy).lower()}, {str(seek).lower()});')

def emit_mk_out(ml, cs, bufsize, script, asy, seek):
    ml.append(f'  let (ch, fin) = mk_out ~bufsize:{bufsize} ~script:[|{";".join(map(str, script))}|] ~async:{str(asy).lower()} ~seek:{str(seek).lower()} in')
    cs.append(f'  var (ch, fin) = Rt.MkOut({bufsize}, new[]{{{",".join(map(str, script))}}}, {str(asy).lower()}, {str(seek).lower()});')


class Prog:
    def __init__(self, idx):
        self.idx = idx
        self.isinput = R.random() < 0.55
        self.kind = R.choice(['make'] * 4 + ['bytes'])
        self.text = R.random() < 0.6
        self.ml = []
        self.cs = []
        self.gen()

    def ops(self, noclose=False):
        base = common_ops(self.kind, self.kind == 'bytes')
        if noclose:
            base = [(w, f) for (w, f) in base if f()[0] not in ('close', 'abort')]
        return base + (input_ops(self.text) if self.isinput else output_ops())

    def step(self, label, ch_ml, ch_cs, depth):
        r = R.random()
        if r < 0.12 and depth == 0:
            # atomic
            n = R.randint(1, 4)
            subs_ml, subs_cs = [], []
            for j in range(n):
                sl = f'{label}.{j + 1}'
                rr = R.random()
                if rr < 0.15:
                    name, mlf, csf = pick(self.ops(True))
                    subs_ml.append(f'(spawn "{sl}:main:{name}" (fun () -> {mlf("ch")}); Lwt.return_unit)')
                    subs_cs.append(f'Rt.Spawn("{sl}:main:{name}", () => {csf("ch")});')
                elif rr < 0.25:
                    name, mlf, csf = pick(self.ops(True))
                    subs_ml.append(f'(spawn "{sl}:{name}" (fun () -> {mlf("w")}); Lwt.return_unit)')
                    subs_cs.append(f'Rt.Spawn("{sl}:{name}", () => {csf("w")});')
                else:
                    name, mlf, csf = pick(self.ops(True))
                    subs_ml.append(f'show "{sl}:{name}" (fun () -> {mlf("w")})')
                    subs_cs.append(f'await Rt.Show("{sl}:{name}", () => {csf("w")});')
            ty = 'InputChannel' if self.isinput else 'OutputChannel'
            mle = f'Lwt_io.atomic (fun w -> stale := Some w; ' + ' >>= fun () -> '.join(subs_ml) + ' >>= fun () -> Lwt.return "()") ' + ch_ml
            cse = f'LwtIO.Atomic<{ty}, string>({ch_cs}, async w => {{ stale = w; ' + ' '.join(subs_cs) + ' return "()"; })'
            return ('atomic', mle, cse)
        name, mlf, csf = pick(self.ops())
        if r < 0.17 and depth == 0:
            return ('stale:' + name, f'(match !stale with Some w -> {mlf("w")} | None -> Lwt.return "nostale")',
                    f'(stale != null ? {csf("stale")} : Promise.Return("nostale"))')
        return (name, mlf(ch_ml), csf(ch_cs))

    def gen(self):
        i = self.idx
        ml, cs = self.ml, self.cs
        ml.append(f'let prog_{i} () =')
        cs.append(f'static async Promise Prog_{i}() {{')
        ty = 'InputChannel' if self.isinput else 'OutputChannel'
        if self.isinput:
            data = rtext(40) if self.text else rbytes(40)
            if self.kind == 'bytes':
                emit_bytes_input(ml, cs, data)
            else:
                bufsize = R.choice([16, 16, 16, 17, 20, 32])
                script = [R.choice([0, 1, 1, 2, 3, 4, 5, 7, 8, 16, 100, 100]) for _ in range(R.randint(1, 4))]
                if all(x == 0 for x in script): script.append(100)
                asy = R.random() < 0.3
                seek = R.random() < 0.4
                emit_mk_in(ml, cs, bufsize, data, script, asy, seek)
            ml.append('  let fin () = "" in')
            cs.append('  Func<string> fin = () => "";')
        else:
            if self.kind == 'bytes':
                n = R.randint(0, 30)
                emit_bytes_output(ml, cs, n)
            else:
                bufsize = R.choice([16, 16, 16, 17, 20, 32])
                script = [R.choice([1, 1, 2, 3, 4, 5, 7, 8, 16, 100, 100]) for _ in range(R.randint(1, 4))]
                asy = R.random() < 0.3
                seek = R.random() < 0.4
                emit_mk_out(ml, cs, bufsize, script, asy, seek)
        ml.append('  let stale = ref None in')
        cs.append(f'  {ty} stale = null;')
        nsteps = R.randint(3, 12)
        for s in range(1, nsteps + 1):
            label = str(s)
            name, mle, cse = self.step(label, 'ch', 'ch', 0)
            if R.random() < 0.2 and name != 'atomic' and not name.endswith('close') and not name.endswith('abort'):
                ml.append(f'  (spawn "{label}:{name}" (fun () -> {mle}); Lwt.return_unit) >>= fun () ->')
                cs.append(f'  Rt.Spawn("{label}:{name}", () => {cse});')
            else:
                ml.append(f'  show "{label}:{name}" (fun () -> {mle}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:{name}", () => {cse});')
        ml.append('  finish () >>= fun () -> logb !cur (state ch); logb !cur ("FIN " ^ fin ()); ignore stale; Lwt.return_unit')
        cs.append('  await Rt.Finish(); Rt.LogB(Rt.Cur, Rt.State(ch)); Rt.LogB(Rt.Cur, "FIN " + fin());')
        cs.append('}')


# ---------------------------------------------------------------- family "numbers"
# Programs of number reads and writes only (FAMILIES=numbers): every read_*/write_* number
# function in the three byte orders (the system's, LE, BE), values at the edges, input data
# made of encoded edge values (then misaligned or cut in the middle of a number), small
# buffers (16..20) and backend chunks of 1..3 bytes so numbers straddle refills and flushes,
# a backend chunk of 0 (end of input) in the middle of the script, reads after end of input,
# writes after close/abort, writes interleaved with write/write_char/flush/pause.
# Floats are printed as the bits of the value (reads: the float as a double, float32 ones
# widened in both languages) or as the bytes on the wire (writes: FIN).
NTYPES = ['int', 'int16', 'int32', 'int64', 'float32', 'float64']
NSIZE = {'int': 4, 'int16': 2, 'int32': 4, 'int64': 8, 'float32': 4, 'float64': 8}
NORDERS = ['sys', 'LE', 'BE']
NCS = {'int': 'Int', 'int16': 'Int16', 'int32': 'Int32', 'int64': 'Int64', 'float32': 'Float32', 'float64': 'Float64'}
I32_EDGE = [0, 1, -1, 2**31 - 1, -2**31, 255, 256, -256, 0x12345678, -0x12345678]
I16_EDGE = [0, 1, -1, 32767, -32768, 255, 256, -256, 0x1234]
I64_EDGE = [0, 1, -1, 2**63 - 1, -2**63, 2**31, -2**31 - 1, 2**32, 0x0102030405060708, -0x0102030405060708]
F64_BITS = [0x0, 0x8000000000000000, 0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001,
            0x7ff8000000000123, 0x7ff0000000000000, 0xfff0000000000000, 0x1, 0x000fffffffffffff,
            0x8000000000000001, 0x0010000000000000, 0x7fefffffffffffff, 0x3ff0000000000000, 0xc004000000000000,
            0x3fb999999999999a]
F32_BITS = [0x0, 0x80000000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fc00123, 0x7f800000, 0xff800000,
            0x1, 0x007fffff, 0x80000001, 0x00800000, 0x7f7fffff, 0x3f800000, 0xc0200000, 0x3dcccccd]
# doubles given to write_float32 (Lwt: Int32.bits_of_float, a C cast to float; ours: (float))
F64_FOR_F32 = F64_BITS + [struct.unpack('<Q', struct.pack('<d', x))[0] for x in
            (1e-45, 1.4e-45, 7e-46, 3.4028235e38, 3.5e38, -3.5e38, 1e-310, -1e-310, 1.1754942e-38,
             16777217.0, 0.1, 1e39)]

def _s64(u):
    return u - 2**64 if u >= 2**63 else u

def nenc(t, o, v):  # bytes of value v (float: its bits) of type t in order o (sys = little here)
    e = '>' if o == 'BE' else '<'
    f = {'int': 'i', 'int16': 'h', 'int32': 'i', 'int64': 'q', 'float32': 'I', 'float64': 'Q'}[t]
    return struct.pack(e + f, v)

def nval(t):  # an edge value (floats: bits) for data to read
    if t in ('int', 'int32'): return R.choice(I32_EDGE) if R.random() < 0.8 else R.randint(-2**31, 2**31 - 1)
    if t == 'int16': return R.choice(I16_EDGE) if R.random() < 0.8 else R.randint(-32768, 32767)
    if t == 'int64': return R.choice(I64_EDGE) if R.random() < 0.8 else R.randint(-2**63, 2**63 - 1)
    if t == 'float32': return R.choice(F32_BITS) if R.random() < 0.85 else R.randint(0, 2**32 - 1)
    return R.choice(F64_BITS) if R.random() < 0.85 else R.randint(0, 2**64 - 1)

def nread(t, o):
    mln = f'Lwt_io.read_{t}' if o == 'sys' else f'Lwt_io.{o}.read_{t}'
    ml_conv = {'int': 'string_of_int', 'int16': 'string_of_int', 'int32': 'Int32.to_string', 'int64': 'Int64.to_string',
               'float32': 'fbits', 'float64': 'fbits'}[t]
    cs_conv = 'Rt.Fb((double)x)' if t.startswith('float') else 'x.ToString()'
    csc = (lambda c: f'{c}.Read{NCS[t]}()') if o == 'sys' else (lambda c: f'LwtIO.{o}.Read{NCS[t]}({c})')
    return (f'{o}.read_{t}', lambda c: f'{mln} {c} >|= {ml_conv}', lambda c: csc(c) + '.Map(x => ' + cs_conv + ')')

def nwrite(t, o):
    mln = f'Lwt_io.write_{t}' if o == 'sys' else f'Lwt_io.{o}.write_{t}'
    if t in ('int', 'int16'):
        lim = 2**31 if t == 'int' else 2**15
        if R.random() < 0.15:
            # out of the C# type's range: Lwt keeps the low bits (Int32.of_int, set_int16); the
            # C# side passes those low bits (unchecked cast), so only Lwt's truncation is checked
            v = R.choice([lim, 2 * lim - 1, 2 * lim + 7, -lim - 1, 3 * lim + 5] + ([2**62 - 1, -2**62] if t == 'int' else [100000, -100000]))
            lab = f'{v} (trunc)'
        else:
            v = R.choice(I32_EDGE if t == 'int' else I16_EDGE) if R.random() < 0.85 else R.randint(-lim, lim - 1)
            lab = str(v)
        mlv = f'({v})' if v != -2**62 else 'min_int'
        csv = f'unchecked((int){v}L)' if t == 'int' else f'unchecked((short){v}L)'
    elif t == 'int32':
        v = R.choice(I32_EDGE) if R.random() < 0.85 else R.randint(-2**31, 2**31 - 1)
        lab = str(v); mlv = f'({v}l)'; csv = f'unchecked((int){v}L)'
    elif t == 'int64':
        v = R.choice(I64_EDGE) if R.random() < 0.85 else R.randint(-2**63, 2**63 - 1)
        lab = str(v)
        mlv = f'({v}L)' if v != -2**63 else 'Int64.min_int'
        csv = f'({v}L)' if v != -2**63 else 'long.MinValue'
    else:
        u = R.choice(F64_FOR_F32 if t == 'float32' else F64_BITS) if R.random() < 0.85 else R.randint(0, 2**64 - 1)
        b = _s64(u)
        lab = f'{u:016x}'
        mlv = f'(Int64.float_of_bits ({b}L))' if b != -2**63 else '(Int64.float_of_bits Int64.min_int)'
        csv = f'BitConverter.Int64BitsToDouble({b}L)' if b != -2**63 else 'BitConverter.Int64BitsToDouble(long.MinValue)'
        if t == 'float32': csv = f'(float){csv}'
    if o == 'sys':
        csf = lambda c: f'{c}.Write{NCS[t]}({csv}).Map(() => "()")'
    else:
        csf = lambda c: f'LwtIO.{o}.Write{NCS[t]}({c}, {csv}).Map(() => "()")'
    return (f'{o}.write_{t} {lab}', lambda c: f'{mln} {c} {mlv} >|= unit_', csf)

class NumProg(Prog):
    def __init__(self, idx):
        self.idx = idx
        self.isinput = R.random() < 0.55
        self.kind = R.choice(['make'] * 5 + ['bytes'])
        self.ml = []
        self.cs = []
        self.gen()

    def nops(self):
        c = common_ops(self.kind, self.kind == 'bytes')
        keep = {'position': 1, 'buffered': 1, 'is_closed': 0.3, 'close': 0.5, 'abort': 0.3, 'pause': 1.5,
                'set_position': 0.6 if self.seek else 0}
        ops = []
        for w, f in c:
            nm = f()[0].split()[0]
            if keep.get(nm, 0) > 0: ops.append((keep[nm], f))
        if self.isinput:
            ops.append((2, lambda: ('read_char', lambda c: f'Lwt_io.read_char {c} >|= hexc', lambda c: f'{c}.ReadChar().Map(x => Rt.Hc(x))')))
            ops.append((2, lambda: ('read_char_opt', lambda c: f'Lwt_io.read_char_opt {c} >|= optc', lambda c: f'{c}.ReadCharOpt().Map(x => Rt.OptC(x))')))
            def read():
                n = R.choice([0, 1, 2, 3, 5])
                return (f'read {n}', lambda c: f'Lwt_io.read ~count:{n} {c} >|= hex', lambda c: f'{c}.Read({n}).Map(x => Rt.Hb(x))')
            ops.append((1, read))
            ops.append((12, self.next_read))
        else:
            def write():
                s = bytes(b & 0x7f for b in rbytes(6))  # ASCII: ours writes a string as UTF-8
                return (f'write {hexs(s)}', lambda c: f'Lwt_io.write {c} {mls(s)} >|= unit_', lambda c: f'{c}.Write({css(s)}).Map(() => "()")')
            ops.append((2, write))
            def write_char():
                b = R.randint(0, 255)
                return (f'write_char {b:02x}', lambda c: f'Lwt_io.write_char {c} \'\\x{b:02x}\' >|= unit_', lambda c: f'{c}.WriteChar((char){b}).Map(() => "()")')
            ops.append((1, write_char))
            ops.append((2, lambda: ('flush', lambda c: f'Lwt_io.flush {c} >|= unit_', lambda c: f'{c}.Flush().Map(() => "()")')))
            ops.append((12, lambda: nwrite(R.choice(NTYPES), R.choice(NORDERS))))
        return ops

    def next_read(self):
        # mostly the next planned number (the data's own type and order), else any
        if self.plan and R.random() < 0.75:
            t, o = self.plan.pop(0)
        else:
            t, o = R.choice(NTYPES), R.choice(NORDERS)
            if self.plan and R.random() < 0.5: self.plan.pop(0)
        return nread(t, o)

    def gen(self):
        i = self.idx
        ml, cs = self.ml, self.cs
        ml.append(f'let prog_{i} () =')
        cs.append(f'static async Promise Prog_{i}() {{')
        ty = 'InputChannel' if self.isinput else 'OutputChannel'
        self.seek = False
        self.plan = []
        if self.isinput:
            data = b''
            for _ in range(R.randint(1, 6)):
                t, o = R.choice(NTYPES), R.choice(NORDERS)
                self.plan.append((t, o))
                data += nenc(t, o, nval(t))
            r = R.random()
            if r < 0.2 and data:  # misaligned: a stray byte somewhere
                k = R.randint(0, len(data)); data = data[:k] + bytes([R.randint(0, 255)]) + data[k:]
            elif r < 0.55 and data:  # cut in the middle of the last number(s)
                data = data[:len(data) - R.randint(1, min(7, len(data)))]
            if self.kind == 'bytes':
                emit_bytes_input(ml, cs, data)
            else:
                bufsize = R.choice([16, 16, 16, 17, 20])
                script = [R.choice([1, 1, 2, 2, 3, 3, 5, 100]) for _ in range(R.randint(1, 5))]
                if R.random() < 0.25: script.insert(R.randint(0, len(script)), 0)
                asy = R.random() < 0.3
                self.seek = R.random() < 0.2
                emit_mk_in(ml, cs, bufsize, data, script, asy, self.seek)
            ml.append('  let fin () = "" in')
            cs.append('  Func<string> fin = () => "";')
        else:
            if self.kind == 'bytes':
                n = R.randint(0, 24)
                emit_bytes_output(ml, cs, n)
            else:
                bufsize = R.choice([16, 16, 16, 17, 20])
                script = [R.choice([1, 1, 2, 2, 3, 3, 5, 100]) for _ in range(R.randint(1, 5))]
                asy = R.random() < 0.3
                self.seek = R.random() < 0.2
                emit_mk_out(ml, cs, bufsize, script, asy, self.seek)
        ml.append('  let stale = ref None in')
        cs.append(f'  {ty} stale = null;')
        nsteps = R.randint(3, 12)
        steps = [pick(self.nops()) for _ in range(nsteps)]
        if self.isinput and R.random() < 0.7:  # what is left: is a partial number consumed?
            steps.append(('read all', lambda c: f'Lwt_io.read {c} >|= hex', lambda c: f'{c}.Read().Map(x => Rt.Hb(x))'))
        for s, (name, mlf, csf) in enumerate(steps, 1):
            label = str(s)
            if R.random() < 0.2 and not name.startswith(('close', 'abort')):
                ml.append(f'  (spawn "{label}:{name}" (fun () -> {mlf("ch")}); Lwt.return_unit) >>= fun () ->')
                cs.append(f'  Rt.Spawn("{label}:{name}", () => {csf("ch")});')
            else:
                ml.append(f'  show "{label}:{name}" (fun () -> {mlf("ch")}) >>= fun () ->')
                cs.append(f'  await Rt.Show("{label}:{name}", () => {csf("ch")});')
        ml.append('  finish () >>= fun () -> logb !cur (state ch); logb !cur ("FIN " ^ fin ()); ignore stale; Lwt.return_unit')
        cs.append('  await Rt.Finish(); Rt.LogB(Rt.Cur, Rt.State(ch)); Rt.LogB(Rt.Cur, "FIN " + fin());')
        cs.append('}')


# ---------------------------------------------------------------- family "faults"
# Programs over channels whose backend follows a script of actions, one per call (rt.ml's
# mk_fin/mk_fout): a count; raise at the call (R); a rejected promise (F), or one rejected
# after a pause (P); an out-of-range count, -1 (N) or one more than asked (O); a pending
# promise, not cancelable (W, Lwt.wait) or cancelable (T, Lwt.task), that a later step
# resolves with a count (bres) or rejects (brej), oldest first, printing its state if it is
# no longer pending (canceled by the channel or the program). Every operation is spawned
# into a slot (its result printed when it comes); steps cancel a slot (an operation waiting
# in the backend, one queued behind it, an atomic block, a close), pause, look at
# position/buffered/is_busy/is_closed, close or abort (the output's close function may
# fail: closefail). Atomic blocks run 1..3 operations on the block's channel one after
# another. An output backend never returns 0 (lwt_io.ml's flush_total would loop for ever).
FACTS_IN = ['1', '1', '2', '3', '5', '100', '100', '0', 'R', 'F', 'P', 'N', 'O', 'W', 'W', 'T', 'T']
FACTS_OUT = ['1', '1', '2', '3', '5', '100', '100', 'R', 'F', 'P', 'N', 'O', 'W', 'W', 'T', 'T']
FIN_OPS = {'read_char', 'read_char_opt', 'read_line', 'read_line_opt', 'read', 'read_into', 'read_into_exactly', 'read_chars'}
FOUT_OPS = {'write', 'write_line', 'write_char', 'write_from_string_exactly', 'write_from_exactly', 'flush'}

# The steps the faults and faults2 programs share. `slot` is the slot function's name in rt.ml
# ("slot" or "slot2"; Rt.cs: "Slot" or "Slot2"). Each makes the same draws from R as the inline
# code it replaced, so a seed's programs are unchanged.
def fault_script(acts):
    script = [R.choice(acts) for _ in range(R.randint(1, 5))]
    if R.random() < 0.3: script = [R.choice(['W', 'T'])] + script
    return script

def fault_atomic(prog, ml, cs, s, ty, slot):
    n = R.randint(1, 3)
    subs_ml, subs_cs = [], []
    for j in range(n):
        name, mlf, csf = pick(prog.fops())
        subs_ml.append(f'show "{s}.{j + 1}:{name}" (fun () -> {mlf("w")})')
        subs_cs.append(f'await Rt.Show("{s}.{j + 1}:{name}", () => {csf("w")});')
    mle = 'Lwt_io.atomic (fun w -> ' + ' >>= fun () -> '.join(subs_ml) + ' >>= fun () -> Lwt.return "()") ch'
    cse = f'LwtIO.Atomic<{ty}, string>(ch, async w => {{ ' + ' '.join(subs_cs) + ' return "()"; })'
    ml.append(f'  {slot} {s} "{s}:atomic" (fun () -> {mle});')
    cs.append(f'  Rt.{slot.capitalize()}({s}, "{s}:atomic", () => {cse});')

def fault_cancel(ml, cs, slots, s):
    k = R.choice(slots) if slots and R.random() < 0.9 else s
    ml.append(f'  cancel_slot {k};')
    cs.append(f'  Rt.CancelSlot({k});')

def fault_pause(ml, cs, s):
    ml.append(f'  show "{s}:pause" (fun () -> Lwt.pause () >|= unit_) >>= fun () ->')
    cs.append(f'  await Rt.Show("{s}:pause", () => Promise.Pause().Map(() => "()"));')

def fault_probe(ml, cs, s):
    name, mlf, csf = R.choice([c for c in common_ops('make', False) if c[1]()[0] in ('position', 'buffered', 'is_busy', 'is_closed')])[1]()
    ml.append(f'  show "{s}:{name}" (fun () -> {mlf("ch")}) >>= fun () ->')
    cs.append(f'  await Rt.Show("{s}:{name}", () => {csf("ch")});')

def fault_close(ml, cs, s, slot):
    nm = R.choice(['close', 'close', 'abort'])
    ml.append(f'  {slot} {s} "{s}:{nm}" (fun () -> Lwt_io.{nm} ch >|= unit_);')
    cs.append(f'  Rt.{slot.capitalize()}({s}, "{s}:{nm}", () => ch.{"Close" if nm == "close" else "Abort"}().Map(() => "()"));')

def fault_finish(ml, cs):
    ml.append('  finish () >>= fun () -> logb !cur (state ch); logb !cur ("FIN " ^ fin ()); Lwt.return_unit')
    cs.append('  await Rt.Finish(); Rt.LogB(Rt.Cur, Rt.State(ch)); Rt.LogB(Rt.Cur, "FIN " + fin());')
    cs.append('}')

class FaultProg(Prog):
    def __init__(self, idx):
        self.idx = idx
        self.isinput = R.random() < 0.5
        self.text = True
        self.ml = []
        self.cs = []
        self.gen()

    def fops(self):
        if self.isinput:
            ops = [(w, f) for (w, f) in input_ops(True) if f()[0].split()[0] in FIN_OPS]
            ops.append((4, lambda: nread(R.choice(NTYPES), R.choice(NORDERS))))
        else:
            ops = [(w, f) for (w, f) in output_ops() if f()[0].split()[0] in FOUT_OPS]
            ops.append((4, lambda: nwrite(R.choice(NTYPES), R.choice(NORDERS))))
        return ops

    def gen(self):
        i = self.idx
        ml, cs = self.ml, self.cs
        ml.append(f'let prog_{i} () =')
        cs.append(f'static async Promise Prog_{i}() {{')
        ml.append('  reset_faults ();')
        cs.append('  Rt.ResetFaults();')
        bufsize = R.choice([16, 16, 17, 20])
        acts = FACTS_IN if self.isinput else FACTS_OUT
        script = fault_script(acts)
        mlscript = '[|' + ';'.join(f'"{a}"' for a in script) + '|]'
        csscript = 'new[]{' + ','.join(f'"{a}"' for a in script) + '}'
        if self.isinput:
            data = rtext(30)
            if R.random() < 0.4: data += bytes(R.randint(0, 127) for _ in range(R.randint(1, 9)))  # ASCII: ours decodes lines as UTF-8
            ml.append(f'  let ch = mk_fin ~bufsize:{bufsize} ~data:{mls(data)} ~script:{mlscript} in')
            cs.append(f'  var ch = Rt.MkFIn({bufsize}, {css(data)}, {csscript});')
            ml.append('  let fin () = "" in')
            cs.append('  Func<string> fin = () => "";')
        else:
            cf = R.random() < 0.25
            ml.append(f'  let (ch, fin) = mk_fout ~bufsize:{bufsize} ~script:{mlscript} ~closefail:{str(cf).lower()} in')
            cs.append(f'  var (ch, fin) = Rt.MkFOut({bufsize}, {csscript}, {str(cf).lower()});')
        ty = 'InputChannel' if self.isinput else 'OutputChannel'
        nsteps = R.randint(3, 12)
        slots = []
        for s in range(1, nsteps + 1):
            r = R.random()
            if r < 0.36:
                name, mlf, csf = pick(self.fops())
                ml.append(f'  slot {s} "{s}:{name}" (fun () -> {mlf("ch")});')
                cs.append(f'  Rt.Slot({s}, "{s}:{name}", () => {csf("ch")});')
                slots.append(s)
            elif r < 0.45:
                fault_atomic(self, ml, cs, s, ty, 'slot')
                slots.append(s)
            elif r < 0.60:
                # 0 is end of input; an output backend's 0 is outside ours's contract (at
                # least one byte: MakeOutput's doc), where lwt_io.ml calls it again
                n = R.choice([0, 1, 2, 3, 5, 100] if self.isinput else [1, 1, 2, 3, 5, 100])
                ml.append(f'  bres {n};')
                cs.append(f'  Rt.BRes({n});')
            elif r < 0.66:
                ml.append('  brej ();')
                cs.append('  Rt.BRej();')
            elif r < 0.78:
                fault_cancel(ml, cs, slots, s)
            elif r < 0.86:
                fault_pause(ml, cs, s)
            elif r < 0.94:
                fault_probe(ml, cs, s)
            else:
                fault_close(ml, cs, s, 'slot')
                slots.append(s)
        fault_finish(ml, cs)



# ---------------------------------------------------------------- family "faults2"
# The faults programs' backends (rt.ml's mk_fin2/mk_fout2), and more: a pending backend or seek
# promise is resolved or rejected by Lwt.wakeup (bres/brej) or Lwt.wakeup_later (bresl/brejl:
# ours Resolve/Reject), also from inside the callbacks of an operation's end (on_slot, run by
# on_termination); channels made with a seek function that follows a script of its own (a
# correct answer; raise; a rejected promise, at once or after a pause; a pending promise; the
# offset -1; a wrong offset) and set_position/length/position on them; resize_buffer (below 16:
# Invalid_argument at the call; smaller than what is buffered); block (its function answering,
# raising, failing, failing after a pause; sizes past 16) and direct_access (its function
# raising, da_perform then failing); read_lines/read_chars streams and write_lines/write_chars
# of streams that end, fail or stay pending; of_bytes channels under the same cancels, closes,
# aborts. A seed's programs of the other families are unchanged.
FSEEK = ['ok', 'ok', 'ok', 'R', 'F', 'P', 'N', 'X', 'W', 'T']
FIN2_OPS = FIN_OPS | {'read_lines'}
FOUT2_OPS = FOUT_OPS | {'write_from', 'write_from_string', 'write_lines', 'write_chars'}

class FaultProg2(Prog):
    def __init__(self, idx):
        self.idx = idx
        self.isinput = R.random() < 0.5
        self.kind = R.choice(['seek', 'seek', 'plain', 'bytes'])
        self.text = True
        self.ml = []
        self.cs = []
        self.gen()

    def fops(self):
        inp = self.isinput
        if inp:
            ops = [(w, f) for (w, f) in input_ops(True) if f()[0].split()[0] in FIN2_OPS]
            ops.append((2, lambda: nread(R.choice(NTYPES), R.choice(NORDERS))))
        else:
            ops = [(w, f) for (w, f) in output_ops() if f()[0].split()[0] in FOUT2_OPS]
            ops.append((2, lambda: nwrite(R.choice(NTYPES), R.choice(NORDERS))))
            def swrite(lines):
                n = R.randint(0, 3); tail = R.choice(['end', 'fail', 'fail', 'pend'])
                x = rtext(4) if lines else bytes([R.choice(TEXT)])
                if lines:
                    return (f'write_lines fstream {n} {hexs(x)} {tail}', lambda c: f'Lwt_io.write_lines {c} (fstream {n} {mls(x)} "{tail}") >|= unit_',
                            lambda c: f'{c}.WriteLines(Rt.FStream({n}, {css(x)}, "{tail}")).Map(() => "()")')
                return (f'write_chars fstream {n} {hexs(x)} {tail}', lambda c: f'Lwt_io.write_chars {c} (fstream {n} \'\\x{x[0]:02x}\' "{tail}") >|= unit_',
                        lambda c: f'{c}.WriteChars(Rt.FStream({n}, (char){x[0]}, "{tail}")).Map(() => "()")')
            ops.append((2, lambda: swrite(True)))
            ops.append((1, lambda: swrite(False)))
        def block():
            n = R.choice([0, 1, 2, 4, 8, 16, 16, 17])
            mode = R.choice([0, 0, 1, 2, 3])
            s = bytes(R.randint(0, 255) for _ in range(n))
            return (f'block {n} {mode}{"" if inp else " " + hexs(s)}', lambda c: f'block2 {c} {n} {mls(s)} {mode} {str(inp).lower()}',
                    lambda c: f'Rt.Block2({c}, {n}, Rt.Bytes("{hexs(s)}"), {mode}, {str(inp).lower()})')
        ops.append((3, block))
        def da():
            mode = R.choice([0, 1, 1, 2, 3])
            if inp:
                k = R.randint(0, 10)
                return (f'direct_access {k} {mode}', lambda c: f'da_in2 {c} {k} {mode}', lambda c: f'Rt.DAIn2({c}, {k}, {mode})')
            s = bytes(R.randint(0, 255) for _ in range(R.randint(0, 10)))
            return (f'direct_access {hexs(s)} {mode}', lambda c: f'da_out2 {c} {mls(s)} {mode}', lambda c: f'Rt.DAOut2({c}, Rt.Bytes("{hexs(s)}"), {mode})')
        ops.append((2, da))
        def resize():
            n = R.choice([8, 16, 16, 17, 20, 24, 40])
            return (f'resize_buffer {n}', lambda c: f'Lwt_io.resize_buffer {c} {n} >|= unit_', lambda c: f'{c}.ResizeBuffer({n}).Map(() => "()")')
        ops.append((3, resize))
        def setpos():
            p = R.randint(0, 40)
            return (f'set_position {p}', lambda c: f'Lwt_io.set_position {c} {p}L >|= unit_', lambda c: f'{c}.SetPosition({p}).Map(() => "()")')
        ops.append((4 if self.kind != 'plain' else 1, setpos))
        ops.append((2 if self.kind != 'plain' else 1, lambda: ('length', lambda c: f'Lwt_io.length {c} >|= Int64.to_string',
                                                             lambda c: f'{c}.Length().Map(x => x.ToString())')))
        return ops

    def gen(self):
        i = self.idx
        ml, cs = self.ml, self.cs
        ml.append(f'let prog_{i} () =')
        cs.append(f'static async Promise Prog_{i}() {{')
        ml.append('  reset_faults2 ();')
        cs.append('  Rt.ResetFaults2();')
        bufsize = R.choice([16, 16, 17, 20])
        acts = FACTS_IN if self.isinput else FACTS_OUT
        script = fault_script(acts)
        sscript = [R.choice(FSEEK) for _ in range(R.randint(1, 4))] if self.kind == 'seek' else []
        mlscript = '[|' + ';'.join(f'"{a}"' for a in script) + '|]'
        csscript = 'new[]{' + ','.join(f'"{a}"' for a in script) + '}'
        mlss = '[|' + ';'.join(f'"{a}"' for a in sscript) + '|]'
        csss = 'new string[]{' + ','.join(f'"{a}"' for a in sscript) + '}'
        if self.isinput:
            data = rtext(30)
            if R.random() < 0.4: data += bytes(R.randint(0, 127) for _ in range(R.randint(1, 9)))
            if self.kind == 'bytes':
                emit_bytes_input(ml, cs, data)
            else:
                ml.append(f'  let ch = mk_fin2 ~bufsize:{bufsize} ~data:{mls(data)} ~script:{mlscript} ~seekscript:{mlss} in')
                cs.append(f'  var ch = Rt.MkFIn2({bufsize}, {css(data)}, {csscript}, {csss});')
            ml.append('  let fin () = "" in')
            cs.append('  Func<string> fin = () => "";')
        else:
            if self.kind == 'bytes':
                n = R.randint(0, 24)
                emit_bytes_output(ml, cs, n)
            else:
                cf = R.random() < 0.2
                ml.append(f'  let (ch, fin) = mk_fout2 ~bufsize:{bufsize} ~script:{mlscript} ~seekscript:{mlss} ~closefail:{str(cf).lower()} in')
                cs.append(f'  var (ch, fin) = Rt.MkFOut2({bufsize}, {csscript}, {csss}, {str(cf).lower()});')
        ty = 'InputChannel' if self.isinput else 'OutputChannel'
        nsteps = R.randint(3, 12)
        slots = []
        onslots = set()
        for s in range(1, nsteps + 1):
            r = R.random()
            later = R.random() < 0.5
            lt = str(later).lower()
            if r < 0.34:
                name, mlf, csf = pick(self.fops())
                ml.append(f'  slot2 {s} "{s}:{name}" (fun () -> {mlf("ch")});')
                cs.append(f'  Rt.Slot2({s}, "{s}:{name}", () => {csf("ch")});')
                slots.append(s)
                # a block too large throws at the call in ours (block-size-sync): no on_slot,
                # whose callback would run in Lwt only
                if name.startswith('block 17'): onslots.add(s)
            elif r < 0.40:
                fault_atomic(self, ml, cs, s, ty, 'slot2')
                slots.append(s)
            elif r < 0.61:
                n = R.choice([0, 1, 2, 3, 5, 100] if self.isinput else [1, 1, 2, 3, 5, 100])
                rej = R.random() < 0.3
                mlc = f'brej2 {lt}' if rej else f'bres2 {n} {lt}'
                csc = f'Rt.BRej2({lt})' if rej else f'Rt.BRes2({n}, {lt})'
                # one on_slot per slot: two callbacks of one promise run in another order in
                # Lwt (README's known difference 1)
                free = [x for x in slots if x not in onslots]
                if r < 0.53 or not free:
                    ml.append(f'  {mlc};'); cs.append(f'  {csc};')
                else:
                    k = R.choice(free); onslots.add(k)
                    ml.append(f'  on_slot {k} (fun () -> {mlc});'); cs.append(f'  Rt.OnSlot({k}, () => {csc});')
            elif r < 0.72:
                fault_cancel(ml, cs, slots, s)
            elif r < 0.80:
                fault_pause(ml, cs, s)
            elif r < 0.93:
                fault_probe(ml, cs, s)
            else:
                fault_close(ml, cs, s, 'slot2')
                slots.append(s)
        fault_finish(ml, cs)


def main():
    global R
    seed, n, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    fams2 = (sys.argv[4] if len(sys.argv) > 4 else 'base').split(',')
    # faults2 is drawn around the others (its share, 1/(families), first); without it, fams
    # is the list of before and the draws are unchanged
    fams = [f for f in fams2 if f != 'faults2']
    R = random.Random(seed)
    # FAMILIES=base alone draws nothing more: the programs of before for the same seed
    mk = lambda i: NumProg(i) if 'numbers' in fams and ('base' not in fams or R.random() < 0.5) else Prog(i)
    if 'faults' in fams:
        # faults draws its share first; without faults, the draws above are unchanged
        others = [f for f in fams if f != 'faults']
        mk0 = mk
        mk = lambda i: FaultProg(i) if not others or R.random() < 1 / (len(others) + 1) else mk0(i)
    if 'faults2' in fams2:
        mk1 = mk
        mk = lambda i: FaultProg2(i) if not fams or R.random() < 1 / (len(fams) + 1) else mk1(i)
    progs = [mk(i) for i in range(n)]
    with open(f'{outdir}/progs.ml', 'w') as f:
        f.write(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rt.ml')).read())
        f.write('\nopen Lwt.Infix\n[@@@warning "-26-27-33"]\n')
        for p in progs:
            f.write('\n'.join(p.ml) + '\n\n')
        f.write('let () =\n')
        for p in progs:
            f.write(f'  run_prog {p.idx} prog_{p.idx};\n')
        if 'faults' in fams or 'faults2' in fams2:
            # Lwt_io's at_exit flush_all would wait for ever on a channel whose backend call
            # never resolves (a W or T no step resolved)
            f.write('  flush stdout; Unix._exit 0;\n')
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
