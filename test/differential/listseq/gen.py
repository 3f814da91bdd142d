#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area listseq:
# Lwt_list (*_s/*_p iterators), Lwt_seq and Lwt_result, with callbacks that return, throw,
# wait or pause (the 'behaviours'), resolved step by step. Extra args: FAMILIES (comma list of
# list,seq,result,itern) and OPTS (comma list of kick,raise,share,ofseq).
"""Differential fuzzer generator: Lwt_list / Lwt_seq / Lwt_result programs in OCaml and C#.
usage: gen.py SEED N FAMILIES OUTDIR   (FAMILIES: comma list of list,seq,result)"""
import random, sys, os

seed, N, fams, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(','), sys.argv[4]
OPTS = set(sys.argv[5].split(',')) if len(sys.argv) > 5 else set()
rng = random.Random(seed)

def cbool(b): return 'true' if b else 'false'

def gen_behs(n, allow_x=True):
    out = []
    for _ in range(n):
        r = rng.random()
        if 'kick' in OPTS and r < 0.25:
            out.append((rng.choice('KKJ'), rng.randrange(2)))
        elif r < 0.30: out.append(('W', 0))
        elif r < 0.45: out.append(('T', 0))
        elif r < 0.75: out.append(('R', rng.randrange(10)))
        elif r < 0.90 or not allow_x: out.append(('F', rng.randrange(1, 9)))
        else: out.append(('X', rng.randrange(1, 9)))
    return out

def behs_ml(b):
    return '[|' + '; '.join({'W': 'W', 'T': 'T'}.get(k, f'{k} {v}') for k, v in b) + '|]'
def behs_cs(b):
    return 'new (char, int)[] {' + ', '.join(f"('{k}', {v})" for k, v in b) + '}'

def gen_steps(ncalls, cancel_p=0.12):
    steps = []
    for _ in range(rng.randrange(2, 10)):
        r = rng.random()
        c = rng.randrange(max(ncalls, 1))
        later = rng.random() < 0.5
        if r < cancel_p: steps.append(('cancel',))
        elif r < cancel_p + 0.08: steps.append(('cslot', c))
        elif r < 0.40: steps.append(('res', c, rng.randrange(10), later))
        elif r < 0.50: steps.append(('rej', c, rng.randrange(1, 9), later))
        elif r < 0.85: steps.append(('resp', rng.choice([0, 0, 1, 1, 2, rng.randrange(4)]), rng.randrange(10), later))
        else: steps.append(('rejp', rng.choice([0, 1, 1, 2, rng.randrange(4)]), rng.randrange(1, 9), later))
    # flush: resolve everything twice in random order
    for _ in range(2):
        cs = list(range(ncalls)); rng.shuffle(cs)
        for c in cs:
            later = rng.random() < 0.5
            if rng.random() < 0.75: steps.append(('res', c, rng.randrange(10), later))
            else: steps.append(('rej', c, rng.randrange(1, 9), later))
    return steps

def steps_ml(steps, show):
    out = []
    for s in steps:
        if s[0] == 'cancel': out.append('pr "cancel result"; guard "cancel" (fun () -> Lwt.cancel result)')
        elif s[0] == 'cslot': out.append(f'step_cancel_slot {s[1]}')
        elif s[0] == 'res': out.append(f'step_res {s[1]} {s[2]} {cbool(s[3])}')
        elif s[0] == 'resp': out.append(f'step_resp {s[1]} {s[2]} {cbool(s[3])}')
        elif s[0] == 'rejp': out.append(f'step_rejp {s[1]} {s[2]} {cbool(s[3])}')
        else: out.append(f'step_rej {s[1]} {s[2]} {cbool(s[3])}')
        out.append(f'checkpoint {show} result')
    return ';\n    '.join(out)

def steps_cs(steps, show):
    out = []
    for s in steps:
        if s[0] == 'cancel': out.append('H.CancelP(result)')
        elif s[0] == 'cslot': out.append(f'H.StepCancelSlot({s[1]})')
        elif s[0] == 'res': out.append(f'H.StepRes({s[1]}, {s[2]}, {cbool(s[3])})')
        elif s[0] == 'resp': out.append(f'H.StepResP({s[1]}, {s[2]}, {cbool(s[3])})')
        elif s[0] == 'rejp': out.append(f'H.StepRejP({s[1]}, {s[2]}, {cbool(s[3])})')
        else: out.append(f'H.StepRej({s[1]}, {s[2]}, {cbool(s[3])})')
        out.append(f'H.Checkpoint(result, {show})')
    return ';\n        '.join(out) + ';'

# ---------------------------------------------------------------- Lwt_list
# name: (ocaml fn, C# fn, f-shape, conv, result show ml, result show cs, elem show)
LIST = {
 'iter_s': ('IterS', 'x', 'unit', 's_unit', 'H.SUnit'),
 'iter_p': ('IterP', 'x', 'unit', 's_unit', 'H.SUnit'),
 'iteri_s': ('IteriS', 'ix', 'unit', 's_unit', 'H.SUnit'),
 'iteri_p': ('IteriP', 'ix', 'unit', 's_unit', 'H.SUnit'),
 'map_s': ('MapS', 'x', 'int', 's_list', 'H.SList'),
 'map_p': ('MapP', 'x', 'int', 's_list', 'H.SList'),
 'mapi_s': ('MapiS', 'ix', 'int', 's_list', 'H.SList'),
 'mapi_p': ('MapiP', 'ix', 'int', 's_list', 'H.SList'),
 'rev_map_s': ('RevMapS', 'x', 'int', 's_list', 'H.SList'),
 'rev_map_p': ('RevMapP', 'x', 'int', 's_list', 'H.SList'),
 'fold_left_s': ('FoldLeftS', 'fl', 'int', 's_int', 'H.SInt'),
 'fold_right_s': ('FoldRightS', 'fr', 'int', 's_int', 'H.SInt'),
 'for_all_s': ('ForAllS', 'x', 'bool', 's_bool', 'H.SBool'),
 'for_all_p': ('ForAllP', 'x', 'bool', 's_bool', 'H.SBool'),
 'exists_s': ('ExistsS', 'x', 'bool', 's_bool', 'H.SBool'),
 'exists_p': ('ExistsP', 'x', 'bool', 's_bool', 'H.SBool'),
 'find_s': ('FindS', 'x', 'bool', 's_int', 'H.SInt'),
 'filter_s': ('FilterS', 'x', 'bool', 's_list', 'H.SList'),
 'filter_p': ('FilterP', 'x', 'bool', 's_list', 'H.SList'),
 'filter_map_s': ('FilterMapS', 'x', 'opt', 's_list', 'H.SList'),
 'filter_map_p': ('FilterMapP', 'x', 'opt', 's_list', 'H.SList'),
 'partition_s': ('PartitionS', 'x', 'bool', 's_pair', 'H.SPair'),
 'partition_p': ('PartitionP', 'x', 'bool', 's_pair', 'H.SPair'),
}
CONV = {'unit': ('conv_unit', 's_unit', 'H.CUnit', 'H.SUnit'), 'int': ('conv_int', 's_int', 'H.CInt', 'H.SInt'),
        'bool': ('conv_bool', 's_bool', 'H.CBool', 'H.SBool'), 'opt': ('conv_opt', 's_opt', 'H.COpt', 'H.SOpt'),
        'res': ('conv_res', 's_res', 'H.CRes', 'H.SRes')}

def call_ml(label_fmt, args, conv):
    c = CONV[conv]
    a = ' '.join(args)
    lab = f'(Printf.sprintf "{label_fmt}" {a})' if args else f'"{label_fmt}"'
    return f'call {lab} {c[0]} {c[1]}'

def call_cs(label_fmt, args, conv, convfn=None, showfn=None):
    c = CONV[conv] if conv else (None, None, convfn, showfn)
    lab = label_fmt
    for a in args: lab = lab.replace('%d', '{' + a + '}', 1)
    return f'H.Call($"{lab}", {convfn or c[2]}, {showfn or c[3]})'

def gen_list(pid):
    name = rng.choice(list(LIST))
    csn, shape, conv, sml, scs = LIST[name]
    n = rng.choice([0, 1, 2, 2, 3, 3, 3, 4, 4, 5])
    elems = [10 + i for i in range(n)]
    behs = gen_behs(n)
    lml = '[' + '; '.join(map(str, elems)) + ']'
    lcs = 'new int[] {' + ', '.join(map(str, elems)) + '}'
    if shape == 'x':
        ml = f'Lwt_list.{name} (fun x -> {call_ml("x=%d", ["x"], conv)}) {lml}'
        cs = f'LwtList.{csn}({lcs}, x => {call_cs("x=%d", ["x"], conv)})'
    elif shape == 'ix':
        ml = f'Lwt_list.{name} (fun i x -> {call_ml("i=%d x=%d", ["i", "x"], conv)}) {lml}'
        cs = f'LwtList.{csn}({lcs}, (i, x) => {call_cs("i=%d x=%d", ["i", "x"], conv)})'
    elif shape == 'fl':
        ml = f'Lwt_list.{name} (fun acc x -> {call_ml("acc=%d x=%d", ["acc", "x"], conv)}) 100 {lml}'
        cs = f'LwtList.{csn}<int, int>((acc, x) => {call_cs("acc=%d x=%d", ["acc", "x"], conv)}, 100, {lcs})'
    else:
        ml = f'Lwt_list.{name} (fun x acc -> {call_ml("x=%d acc=%d", ["x", "acc"], conv)}) {lml} 100'
        cs = f'LwtList.{csn}<int, int>((x, acc) => {call_cs("x=%d acc=%d", ["x", "acc"], conv)}, {lcs}, 100)'
    return dict(id=pid, desc=name, behs=behs, ml_build=[], ml_expr=ml, cs_build=[], cs_expr=cs,
                sml=sml, scs=scs, steps=gen_steps(n))

# ---------------------------------------------------------------- Lwt_seq
class Ctx:
    def __init__(self):
        self.ml = []; self.cs = []; self.nv = 0; self.ncalls = 0; self.fid = 0
    def var(self, prefix, ml, cs):
        v = f'{prefix}{self.nv}'; self.nv += 1
        self.ml.append(f'let {v} = {ml} in'); self.cs.append(f'var {v} = {cs};')
        return v
    def fresh(self):
        self.fid += 1; return self.fid

def raise_at():
    return rng.choice([None, None, None] + list(range(0, 40)))

def ints(k): return [rng.randrange(0, 30) for _ in range(k)]

def seq_leaf(ctx):
    k = rng.choice(['empty', 'of_list', 'of_list', 'return', 'return_lwt', 'unfold', 'unfold_lwt', 'unfold_lwt']
                   + (['of_seq', 'of_seq_lwt'] if 'ofseq' in OPTS else []))
    i = ctx.fresh()
    if k == 'empty': return ctx.var('s', 'Lwt_seq.empty', 'LwtSeq.Empty<int>()')
    if k == 'of_list':
        xs = ints(rng.randrange(0, 4))
        return ctx.var('s', f'Lwt_seq.of_list [{"; ".join(map(str, xs))}]', f'LwtSeq.OfList(new int[] {{{", ".join(map(str, xs))}}})')
    if k == 'return':
        x = rng.randrange(30); return ctx.var('s', f'Lwt_seq.return {x}', f'LwtSeq.Return({x})')
    if k == 'return_lwt':
        ctx.ncalls += 1
        p = ctx.var('p', call_ml(f'rl{i}', [], 'int'), call_cs(f'rl{i}', [], 'int'))
        return ctx.var('s', f'Lwt_seq.return_lwt {p}', f'LwtSeq.ReturnLwt({p})')
    if k == 'unfold':
        n = rng.randrange(0, 4); r = rng.choice([None, None, rng.randrange(0, 4)])
        rml = f'if s = {r} then raise (E 50) else ' if r is not None else ''
        rcs = f'if (s == {r}) throw new E(50); ' if r is not None else ''
        return ctx.var('s', f'Lwt_seq.unfold (fun s -> pr (Printf.sprintf "unfold{i} s=%d" s); {rml}if s >= {n} then None else Some (s * 10 + {i}, s + 1)) 0',
                       f'LwtSeq.Unfold<int, int>(s => {{ H.Pr($"unfold{i} s={{s}}"); {rcs}return s >= {n} ? Option<(int, int)>.None : Option.Some((s * 10 + {i}, s + 1)); }}, 0)')
    if k == 'unfold_lwt':
        n = rng.randrange(0, 4); ctx.ncalls += n + 1
        return ctx.var('s', f'Lwt_seq.unfold_lwt (fun s -> call (Printf.sprintf "ulwt{i} s=%d" s) (fun v -> if s >= {n} then None else Some (v, s + 1)) s_uo) 0',
                       f'LwtSeq.UnfoldLwt<int, int>(s => H.Call($"ulwt{i} s={{s}}", v => s >= {n} ? Option<(int, int)>.None : Option.Some((v, s + 1)), H.SUo), 0)')
    if k == 'of_seq':
        xs = ints(rng.randrange(0, 4))
        return ctx.var('s', f'Lwt_seq.of_seq (Seq.map (fun x -> pr (Printf.sprintf "gen{i} x=%d" x); x) (List.to_seq [{"; ".join(map(str, xs))}]))',
                       f'LwtSeq.OfSeq(new int[] {{{", ".join(map(str, xs))}}}.Select(x => {{ H.Pr($"gen{i} x={{x}}"); return x; }}))')
    if k == 'of_seq_lwt':
        xs = ints(rng.randrange(0, 4)); ctx.ncalls += len(xs)
        return ctx.var('s', f'Lwt_seq.of_seq_lwt (Seq.map (fun x -> {call_ml(f"osl{i} x=%d", ["x"], "int")}) (List.to_seq [{"; ".join(map(str, xs))}]))',
                       f'LwtSeq.OfSeqLwt(new int[] {{{", ".join(map(str, xs))}}}.Select(x => {call_cs(f"osl{i} x=%d", ["x"], "int")}))')

def seq_expr(ctx, depth):
    if depth <= 0 or rng.random() < 0.25: return seq_leaf(ctx)
    k = rng.choice(['cons', 'cons_lwt', 'append', 'map', 'map_s', 'filter', 'filter_s', 'filter_map', 'filter_map_s', 'flat_map'])
    i = ctx.fresh()
    if k == 'append':
        a = seq_expr(ctx, depth - 1); b = seq_expr(ctx, depth - 1) if rng.random() < 0.8 or 'share' not in OPTS else a
        return ctx.var('s', f'Lwt_seq.append {a} {b}', f'LwtSeq.Append({a}, {b})')
    s = seq_expr(ctx, depth - 1)
    r = raise_at() if 'raise' in OPTS else None
    rml = f'if x = {r} then raise (E {50 + i}); ' if r is not None else ''
    rcs = f'if (x == {r}) throw new E({50 + i}); ' if r is not None else ''
    if k == 'cons':
        x = rng.randrange(30); return ctx.var('s', f'Lwt_seq.cons {x} {s}', f'LwtSeq.Cons({x}, {s})')
    if k == 'cons_lwt':
        ctx.ncalls += 1
        p = ctx.var('p', call_ml(f'cl{i}', [], 'int'), call_cs(f'cl{i}', [], 'int'))
        return ctx.var('s', f'Lwt_seq.cons_lwt {p} {s}', f'LwtSeq.ConsLwt({p}, {s})')
    if k == 'map':
        return ctx.var('s', f'Lwt_seq.map (fun x -> pr (Printf.sprintf "map{i} x=%d" x); {rml}x + 1) {s}',
                       f'LwtSeq.Map<int, int>(x => {{ H.Pr($"map{i} x={{x}}"); {rcs}return x + 1; }}, {s})')
    if k == 'filter':
        return ctx.var('s', f'Lwt_seq.filter (fun x -> pr (Printf.sprintf "filter{i} x=%d" x); {rml}x mod 2 = 0) {s}',
                       f'LwtSeq.Filter<int>(x => {{ H.Pr($"filter{i} x={{x}}"); {rcs}return x % 2 == 0; }}, {s})')
    if k == 'filter_map':
        return ctx.var('s', f'Lwt_seq.filter_map (fun x -> pr (Printf.sprintf "fmap{i} x=%d" x); {rml}if x mod 3 = 0 then None else Some (x + 2)) {s}',
                       f'LwtSeq.FilterMap<int, int>(x => {{ H.Pr($"fmap{i} x={{x}}"); {rcs}return x % 3 == 0 ? Option<int>.None : Option.Some(x + 2); }}, {s})')
    if k == 'flat_map':
        return ctx.var('s', f'Lwt_seq.flat_map (fun x -> pr (Printf.sprintf "flat{i} x=%d" x); {rml}if x mod 4 = 1 then Lwt_seq.empty else Lwt_seq.of_list [x; x + 100]) {s}',
                       f'LwtSeq.FlatMap<int, int>({s}, x => {{ H.Pr($"flat{i} x={{x}}"); {rcs}return x % 4 == 1 ? LwtSeq.Empty<int>() : LwtSeq.OfList(new int[] {{x, x + 100}}); }})')
    ctx.ncalls += 3
    conv = {'map_s': 'int', 'filter_s': 'bool', 'filter_map_s': 'opt'}[k]
    csn = {'map_s': 'MapS<int, int>', 'filter_s': 'FilterS<int>', 'filter_map_s': 'FilterMapS<int, int>'}[k]
    return ctx.var('s', f'Lwt_seq.{k} (fun x -> {call_ml(f"{k}{i} x=%d", ["x"], conv)}) {s}',
                   f'LwtSeq.{csn}(x => {call_cs(f"{k}{i} x=%d", ["x"], conv)}, {s})')

def gen_seq(pid):
    ctx = Ctx()
    s = seq_expr(ctx, rng.randrange(0, 4))
    k = rng.choice(['fold_left', 'fold_left_s', 'iter', 'iter_s', 'iter_p', 'iter_n', 'to_list', 'retail', 'to_list2'])
    r = raise_at() if 'raise' in OPTS else None
    rml = f'if x = {r} then raise (E 49); ' if r is not None else ''
    rcs = f'if (x == {r}) throw new E(49); ' if r is not None else ''
    if k == 'fold_left':
        ml = f'Lwt_seq.fold_left (fun acc x -> pr (Printf.sprintf "fold acc=%d x=%d" acc x); {rml}(acc * 3 + x) mod 100000) 0 {s}'
        cs = f'LwtSeq.FoldLeft<int, int>((acc, x) => {{ H.Pr($"fold acc={{acc}} x={{x}}"); {rcs}return (acc * 3 + x) % 100000; }}, 0, {s})'
        sml, scs = 's_int', 'H.SInt'
    elif k == 'fold_left_s':
        ctx.ncalls += 3
        ml = f'Lwt_seq.fold_left_s (fun acc x -> {call_ml("folds acc=%d x=%d", ["acc", "x"], "int")}) 0 {s}'
        cs = f'LwtSeq.FoldLeftS<int, int>((acc, x) => {call_cs("folds acc=%d x=%d", ["acc", "x"], "int")}, 0, {s})'
        sml, scs = 's_int', 'H.SInt'
    elif k == 'iter':
        ml = f'Lwt_seq.iter (fun x -> pr (Printf.sprintf "iter x=%d" x); {rml}()) {s}'
        cs = f'LwtSeq.Iter<int>(x => {{ H.Pr($"iter x={{x}}"); {rcs}}}, {s})'
        sml, scs = 's_unit', 'H.SUnit'
    elif k in ('iter_s', 'iter_p', 'iter_n'):
        ctx.ncalls += 3
        mc = rng.choice([1, 1, 2, 2, 3])
        opt = f' ~max_concurrency:{mc}' if k == 'iter_n' else ''
        ml = f'Lwt_seq.{k}{opt} (fun x -> {call_ml(f"{k} x=%d", ["x"], "unit")}) {s}'
        csn = {'iter_s': 'IterS', 'iter_p': 'IterP', 'iter_n': 'IterN'}[k]
        extra = f', {mc}' if k == 'iter_n' else ''
        cs = f'LwtSeq.{csn}<int>(x => {call_cs(f"{k} x=%d", ["x"], "unit")}, {s}{extra})'
        sml, scs = 's_unit', 'H.SUnit'
    elif k == 'to_list':
        ml = f'Lwt_seq.to_list {s}'; cs = f'LwtSeq.ToList({s})'; sml, scs = 's_list', 'H.SList'
    elif k == 'to_list2':
        ml = f'Lwt_seq.to_list {s} >>= fun l1 -> Lwt_seq.to_list {s} >|= fun l2 -> l1 @ (-1 :: l2)'
        cs = f'LwtSeq.ToList({s}).Bind(l1 => LwtSeq.ToList({s}).Map(l2 => (IReadOnlyList<int>)l1.Concat(new[] {{-1}}).Concat(l2).ToList()))'
        sml, scs = 's_list', 'H.SList'
    else:
        ml = (f'Lwt.apply {s} () >>= (function Lwt_seq.Nil -> Lwt.return [] | Lwt_seq.Cons (x, t) -> '
              f'Lwt_seq.to_list t >>= fun l1 -> Lwt_seq.to_list t >|= fun l2 -> x :: l1 @ (-1 :: l2))')
        cs = (f'{s}.Force().Bind(n => !n.HasValue ? Promise.Return<IReadOnlyList<int>>(new int[0]) : '
              f'LwtSeq.ToList(n.Value.Tail).Bind(l1 => LwtSeq.ToList(n.Value.Tail).Map(l2 => (IReadOnlyList<int>)new[] {{n.Value.Head}}.Concat(l1).Concat(new[] {{-1}}).Concat(l2).ToList())))')
        sml, scs = 's_list', 'H.SList'
    ncalls = min(ctx.ncalls + 2, 12)
    behs = gen_behs(ncalls + 2, allow_x='raise' in OPTS)
    return dict(id=pid, desc='seq:' + k, behs=behs, ml_build=ctx.ml, ml_expr=ml, cs_build=ctx.cs, cs_expr=cs,
                sml=sml, scs=scs, steps=gen_steps(ncalls))

# ---------------------------------------------------------------- Lwt_result
def res_leaf(ctx):
    k = rng.choice(['return', 'fail', 'lift_ok', 'lift_err', 'ok', 'error', 'catch', 'call', 'call'])
    i = ctx.fresh(); v = rng.randrange(10)
    if k == 'return': return ctx.var('r', f'Lwt_result.return {v}', f'LwtResult.Return<int, int>({v})')
    if k == 'fail': return ctx.var('r', f'Lwt_result.fail {v}', f'LwtResult.Fail<int, int>({v})')
    if k == 'lift_ok': return ctx.var('r', f'Lwt_result.lift (Ok {v})', f'LwtResult.Lift(Result<int, int>.Ok({v}))')
    if k == 'lift_err': return ctx.var('r', f'Lwt_result.lift (Error {v})', f'LwtResult.Lift(Result<int, int>.Error({v}))')
    ctx.ncalls += 1
    if k == 'call': return ctx.var('r', call_ml(f'leaf{i}', [], 'res'), call_cs(f'leaf{i}', [], 'res'))
    p = ctx.var('p', call_ml(f'{k}{i}', [], 'int'), call_cs(f'{k}{i}', [], 'int'))
    if k == 'ok': return ctx.var('r', f'Lwt_result.ok {p}', f'LwtResult.Ok<int, int>({p})')
    if k == 'error': return ctx.var('r', f'Lwt_result.error {p}', f'LwtResult.Error<int, int>({p})')
    return ctx.var('r', f'Lwt_result.map_error exn_code (Lwt_result.catch {p})',
                   f'LwtResult.MapError<int, Exception, int>(e => H.ExnCode(e), LwtResult.Catch(() => {p}))')

def res_expr(ctx, depth, pool):
    if 'share' in OPTS and pool and rng.random() < 0.2: return rng.choice(pool)
    if depth <= 0 or rng.random() < 0.2:
        v = res_leaf(ctx); pool.append(v); return v
    k = rng.choice(['map', 'map_error', 'bind', 'bind_error', 'bind_lwt', 'bind_lwt_error', 'bind_result', 'both', 'both'])
    i = ctx.fresh()
    if k == 'both':
        a = res_expr(ctx, depth - 1, pool); b = res_expr(ctx, depth - 1, pool)
        v = ctx.var('r', f'Lwt_result.map (fun (a, b) -> (a * 1000 + b) mod 1000003) (Lwt_result.both {a} {b})',
                    f'LwtResult.Map<(int, int), int, int>(t => (t.Item1 * 1000 + t.Item2) % 1000003, LwtResult.Both({a}, {b}))')
        pool.append(v); return v
    r = res_expr(ctx, depth - 1, pool)
    ra = rng.choice([None, None, None, None] + list(range(10))) if 'raise' in OPTS else None
    rml = f'if x = {ra} then raise (E {60 + i}); ' if ra is not None else ''
    rcs = f'if (x == {ra}) throw new E({60 + i}); ' if ra is not None else ''
    if k == 'map':
        v = ctx.var('r', f'Lwt_result.map (fun x -> pr (Printf.sprintf "map{i} x=%d" x); {rml}x + 1) {r}',
                    f'LwtResult.Map<int, int, int>(x => {{ H.Pr($"map{i} x={{x}}"); {rcs}return x + 1; }}, {r})')
    elif k == 'map_error':
        v = ctx.var('r', f'Lwt_result.map_error (fun x -> pr (Printf.sprintf "maperr{i} x=%d" x); {rml}x + 100) {r}',
                    f'LwtResult.MapError<int, int, int>(x => {{ H.Pr($"maperr{i} x={{x}}"); {rcs}return x + 100; }}, {r})')
    elif k == 'bind_result':
        v = ctx.var('r', f'Lwt_result.bind_result {r} (fun x -> pr (Printf.sprintf "bres{i} x=%d" x); {rml}conv_res (x + 1))',
                    f'LwtResult.BindResult<int, int, int>({r}, x => {{ H.Pr($"bres{i} x={{x}}"); {rcs}return H.CRes(x + 1); }})')
    else:
        ctx.ncalls += 1
        conv = 'res' if k in ('bind', 'bind_error') else 'int'
        csn = {'bind': 'Bind<int, int, int>', 'bind_error': 'BindError<int, int, int>', 'bind_lwt': 'BindLwt<int, int, int>',
               'bind_lwt_error': 'BindLwtError<int, int, int>'}[k]
        v = ctx.var('r', f'Lwt_result.{k} {r} (fun x -> {call_ml(f"{k}{i} x=%d", ["x"], conv)})',
                    f'LwtResult.{csn}({r}, x => {call_cs(f"{k}{i} x=%d", ["x"], conv)})')
    pool.append(v); return v

def gen_result(pid):
    ctx = Ctx()
    r = res_expr(ctx, rng.randrange(1, 5), [])
    k = rng.choice(['plain', 'plain', 'plain', 'get_exn', 'iter', 'iter_error'])
    if k == 'plain': ml, cs, sml, scs = r, r, 's_res', 'H.SRes'
    elif k == 'get_exn':
        ml = f'Lwt_result.get_exn (Lwt_result.map_error (fun e -> E e) {r})'
        cs = f'LwtResult.GetExn<int>(LwtResult.MapError<int, int, Exception>(e => new E(e), {r}))'
        sml, scs = 's_int', 'H.SInt'
    else:
        ctx.ncalls += 1
        csn = 'Iter' if k == 'iter' else 'IterError'
        ml = f'Lwt_result.{k} (fun x -> {call_ml(f"{k} x=%d", ["x"], "unit")}) {r}'
        cs = f'LwtResult.{csn}<int, int>(x => {call_cs(f"{k} x=%d", ["x"], "unit")}, {r})'
        sml, scs = 's_unit', 'H.SUnit'
    ncalls = min(ctx.ncalls, 12)
    behs = gen_behs(ncalls + 1, allow_x='raise' in OPTS)
    return dict(id=pid, desc='result:' + k, behs=behs, ml_build=ctx.ml, ml_expr=ml, cs_build=ctx.cs, cs_expr=cs,
                sml=sml, scs=scs, steps=gen_steps(ncalls))


def gen_itern(pid):
    ctx = Ctx()
    n = rng.randrange(2, 7)
    i = ctx.fresh()
    s = ctx.var('s', f'Lwt_seq.unfold_lwt (fun s -> call (Printf.sprintf "ulwt{i} s=%d" s) (fun v -> if s >= {n} then None else Some (s, s + 1)) s_uo) 0',
                f'LwtSeq.UnfoldLwt<int, int>(s => H.Call($"ulwt{i} s={{s}}", v => s >= {n} ? Option<(int, int)>.None : Option.Some((s, s + 1)), H.SUo), 0)')
    k = rng.choice(['iter_n', 'iter_n', 'iter_p'])
    mc = rng.choice([1, 2, 2, 3, 3, 4])
    opt = f' ~max_concurrency:{mc}' if k == 'iter_n' else ''
    ml = f'Lwt_seq.{k}{opt} (fun x -> {call_ml(f"{k} x=%d", ["x"], "unit")}) {s}'
    csn = {'iter_p': 'IterP', 'iter_n': 'IterN'}[k]
    extra = f', {mc}' if k == 'iter_n' else ''
    cs = f'LwtSeq.{csn}<int>(x => {call_cs(f"{k} x=%d", ["x"], "unit")}, {s}{extra})'
    ncalls = 2 * n + 2
    behs = []
    for _ in range(ncalls):
        r = rng.random()
        behs.append(('W', 0) if r < 0.45 else ('T', 0) if r < 0.55 else ('R', rng.randrange(10)) if r < 0.95 else ('F', rng.randrange(1, 9)))
    steps = []
    for _ in range(rng.randrange(3, 20)):
        c = rng.randrange(ncalls); later = rng.random() < 0.5; r = rng.random()
        if r < 0.03: steps.append(('cancel',))
        elif r < 0.65: steps.append(('resp', rng.choice([0, 0, 1, 2, rng.randrange(4)]), rng.randrange(10), later))
        else: steps.append(('rejp', rng.choice([0, 1, 1, 2, rng.randrange(4)]), rng.randrange(1, 9), later))
    for _ in range(3):
        cs_ = list(range(ncalls)); rng.shuffle(cs_)
        for c in cs_:
            later = rng.random() < 0.5
            steps.append(('res', c, rng.randrange(10), later) if rng.random() < 0.5 else ('rej', c, rng.randrange(1, 9), later))
    return dict(id=pid, desc='itern:' + k, behs=behs, ml_build=ctx.ml, ml_expr=ml, cs_build=ctx.cs, cs_expr=cs,
                sml='s_unit', scs='H.SUnit', steps=steps)

# ---------------------------------------------------------------- emit
GEN = {'list': gen_list, 'seq': gen_seq, 'result': gen_result, 'itern': gen_itern}
progs = [GEN[rng.choice(fams)](pid) for pid in range(N)]
os.makedirs(outdir, exist_ok=True)
with open(os.path.join(outdir, 'prog.ml'), 'w') as f:
    f.write(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'prelude.ml')).read())
    f.write('open Lwt.Infix\n')
    for p in progs:
        build = '\n      '.join(p['ml_build'])
        f.write(f'''
(* {p['desc']} *)
let prog_{p['id']} () =
  reset {p['id']} {behs_ml(p['behs'])};
  pr "{p['desc']}";
  match (try Some (
      {build}
      {p['ml_expr']}) with e -> pr ("SYNC " ^ show_exn e); None) with
  | None -> ()
  | Some result ->
    watch {p['sml']} result;
    checkpoint {p['sml']} result;
    {steps_ml(p['steps'], p['sml'])}
''')
    f.write('let () =\n' + ''.join(f'  prog_{p["id"]} ();\n' for p in progs) + '  flush stdout\n')
with open(os.path.join(outdir, 'Progs.cs'), 'w') as f:
    f.write('using Lwt;\n#pragma warning disable CS0618\npublic static class Progs {\n')
    for p in progs:
        build = '\n            '.join(p['cs_build'])
        f.write(f'''
    // {p['desc']}
    public static void Prog{p['id']}()
    {{
        H.Reset({p['id']}, {behs_cs(p['behs'])});
        H.Pr("{p['desc']}");
        var result = H.Try(() => {{
            {build}
            return {p['cs_expr']};
        }});
        if (result == null) return;
        H.Watch(result, {p['scs']});
        H.Checkpoint(result, {p['scs']});
        {steps_cs(p['steps'], p['scs'])}
    }}
''')
    f.write('    public static void RunAll() {\n' + ''.join(f'        Prog{p["id"]}();\n' for p in progs) + '    }\n}\n')
