#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area core:
# Lwt core (module Lwt): wait/wakeup/wakeup_later, return/fail, bind/map/catch/try_bind/finalize,
# on_success/on_failure/on_termination/on_any/on_cancel, cancel, both/join/all/choose/pick/npick/nchoose/nchoose_split,
# async/dont_wait, pause/wakeup_paused, state. Trace: callback order, values, states, async_exception_hook.
"""Differential fuzz generator: Lwt core (OCaml Lwt 5.6.1) vs Lwt for .NET Promise core.
Usage: gen.py SEED COUNT OUTDIR [maxsteps]
Writes OUTDIR/prog.ml and OUTDIR/cs/Program.cs; each program prints '== N' then its trace."""
import random, sys, os

ML_PRELUDE = r'''
exception E of int
let pr s = print_string s; print_char '\n'
let en = function E n -> "E" ^ string_of_int n | Lwt.Canceled -> "Canceled"
  | Invalid_argument _ -> "Invalid" | e -> Printexc.to_string e
let st (p : int Lwt.t) = match Lwt.state p with
  | Lwt.Return v -> "R" ^ string_of_int v | Lwt.Fail e -> "F" ^ en e | Lwt.Sleep -> "S"
let safe f = try f () with e -> Lwt.fail e
let dummy_u : int Lwt.u = snd (Lwt.wait ())
let wk f = try f () with e -> pr ("werr " ^ en e)
let nd (l : int Lwt.t list) =
  let f = List.length (List.filter (fun p -> match Lwt.state p with Lwt.Return _ -> true | _ -> false) l) in
  let r = List.length (List.filter (fun p -> match Lwt.state p with Lwt.Fail _ -> true | _ -> false) l) in
  if r >= 2 || (r = 0 && f >= 2) then pr "NONDET"
let sl l = String.concat "," (List.map string_of_int l)
let sum l = List.fold_left (+) 0 l
let u (p : int Lwt.t) : unit Lwt.t = Obj.magic p
let i (p : unit Lwt.t) : int Lwt.t = Obj.magic p
let () = Lwt.async_exception_hook := (fun e -> pr ("hook " ^ en e))
'''

CS_PRELUDE = r'''
using System;
using System.Collections.Generic;
using System.Linq;
using Lwt;
#pragma warning disable CS0162, CS8321, CS0219
sealed class E : Exception { public readonly int N; public E(int n) : base("E" + n) { N = n; } }
static partial class P {
  static System.Text.StringBuilder Out = new();
  static void Pr(string s) { Out.Append(s).Append('\n'); }
  static string En(Exception e) => e switch {
    E x => "E" + x.N, OperationCanceledException => "Canceled",
    InvalidOperationException => "Invalid", ArgumentException => "Invalid", _ => e.GetType().Name };
  static string St(Promise p) => p.State switch {
    PromiseState.Fulfilled => "R" + (p is Promise<int> pi ? pi.Value : 0),
    PromiseState.Rejected => "F" + En(p.Exception!), _ => "S" };
  static Promise<int> I(Promise p) => (Promise<int>)p;
  static void Wk(Action f) { try { f(); } catch (Exception e) { Pr("werr " + En(e)); } }
  static void Nd(params Promise<int>[] l) {
    int f = l.Count(p => p.IsFulfilled), r = l.Count(p => p.IsRejected);
    if (r >= 2 || (r == 0 && f >= 2)) Pr("NONDET");
  }
  static string Sl(IEnumerable<int> l) => string.Join(",", l);
  static int Sum(IEnumerable<int> l) => l.Sum();
'''


class Prog:
    def __init__(self, rng, n, maxsteps):
        self.rng = rng
        self.n = n
        self.kinds = []      # 'i' or 'u' per promise index
        self.res = []        # promise indices that have resolvers (wait/task)
        self.label = 0
        self.ml = []
        self.cs = []
        self.maxsteps = maxsteps

    def L(self):
        self.label += 1
        return self.label

    def emit(self, ml, cs, ind=1):
        self.ml.append('  ' * ind + ml)
        self.cs.append('    ' * ind + cs)

    def ints(self):
        return [k for k, t in enumerate(self.kinds) if t == 'i']

    def anyp(self):
        return self.rng.randrange(len(self.kinds))

    # ---- actions usable at top level and inside callbacks -------------------
    def action(self, inside):
        r = self.rng
        choices = []
        if self.res:
            choices += ['wake'] * 5
        choices += ['cancel'] * 3 + ['paused'] * 1
        if not inside:
            choices += ['cp'] * 1
        c = r.choice(choices)
        if c == 'wake':
            k = r.choice(self.res)
            how = r.choice(['wakeup', 'wakeup_later', 'wakeup_exn', 'wakeup_later_exn'])
            val = r.randrange(1, 9)
            if how.endswith('exn'):
                canc = r.random() < 0.1
                mle = 'Lwt.Canceled' if canc else f'(E {val})'
                cse = 'new CanceledException()' if canc else f'new E({val})'
                csm = {'wakeup_exn': 'RejectNow', 'wakeup_later_exn': 'Reject'}[how]
                return (f'wk (fun () -> Lwt.{how} r.({k}) {mle});',
                        f'Wk(() => r[{k}].{csm}({cse}));')
            csm = {'wakeup': 'ResolveNow', 'wakeup_later': 'Resolve'}[how]
            return (f'wk (fun () -> Lwt.{how} r.({k}) {val});', f'Wk(() => r[{k}].{csm}({val}));')
        if c == 'cancel':
            k = self.anyp()
            return (f'wk (fun () -> Lwt.cancel p.({k}));', f'Wk(() => p[{k}].Cancel());')
        if c == 'paused':
            return ('Lwt.wakeup_paused ();', 'Promise.WakeupPaused();')
        if c == 'cp':
            return self.checkpoint()

    def checkpoint(self):
        n = len(self.kinds)
        ml = 'pr ("cp " ^ String.concat " " [' + '; '.join(f'st p.({k})' for k in range(n)) + ']);'
        cs = 'Pr("cp " + string.Join(" ", new[] {' + ', '.join(f'St(p[{k}])' for k in range(n)) + '}));'
        return ml, cs

    def side(self, maxn=2):
        """0..maxn side actions inside a callback."""
        out = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 2][:maxn * 2 + 1])):
            out.append(self.action(True))
        return out

    def pbody(self, lab, vexpr_ml, vexpr_cs):
        """Body of a callback returning an int promise; returns (ml, cs) expression/block strings."""
        r = self.rng
        sides = self.side()
        c = r.choice(['ret'] * 3 + ['fail', 'raise'] + ['proxy'] * 3 + ['pause'])
        if c == 'pause':
            res = (f'Lwt.map (fun () -> pr "L{lab} paused"; {lab}) (Lwt.pause ())',
                   f'return Promise.Pause().Map<int>(() => {{ Pr("L{lab} paused"); return {lab}; }});')
        elif c == 'ret':
            res = (f'Lwt.return ({vexpr_ml} + {lab})', f'return Promise.Return({vexpr_cs} + {lab});')
        elif c == 'fail':
            res = (f'Lwt.fail (E {lab})', f'return Promise.Fail<int>(new E({lab}));')
        elif c == 'raise':
            res = (f'raise (E {lab})', f'throw new E({lab});')
        else:
            k = r.choice(self.ints())
            res = (f'p.({k})', f'return I(p[{k}]);')
        ml = ' '.join(s[0] for s in sides) + ' ' + res[0]
        cs = ' '.join(s[1] for s in sides) + ' ' + res[1]
        return ml, cs

    def ubody(self, lab):
        """Body of a callback returning a unit promise (finalize cleanup)."""
        r = self.rng
        sides = self.side()
        c = r.choice(['ret'] * 3 + ['fail', 'raise'] + ['proxy'] * 2)
        if c == 'ret':
            res = ('Lwt.return_unit', 'return Promise.ReturnUnit;')
        elif c == 'fail':
            res = (f'Lwt.fail (E {lab})', f'return Promise.Fail(new E({lab}));')
        elif c == 'raise':
            res = (f'raise (E {lab})', f'throw new E({lab});')
        else:
            k = self.anyp()
            res = (f'u p.({k})', f'return p[{k}];')
        return (' '.join(s[0] for s in sides) + ' ' + res[0],
                ' '.join(s[1] for s in sides) + ' ' + res[1])

    def vbody(self, lab):
        """Body of a callback returning unit (on_* callbacks)."""
        sides = self.side()
        ml = ' '.join(s[0] for s in sides)
        cs = ' '.join(s[1] for s in sides)
        if self.rng.random() < 0.1:
            ml += f' raise (E {lab})'
            cs += f' throw new E({lab});'
        else:
            ml += ' ()'
        return ml, cs

    def plist(self, intonly, lo=1, hi=3):
        pool = self.ints() if intonly else list(range(len(self.kinds)))
        n = self.rng.randint(lo, hi)
        return [self.rng.choice(pool) for _ in range(n)]

    # ---- creating a promise -------------------------------------------------
    def create(self):
        r = self.rng
        k = len(self.kinds)
        ints = self.ints()
        opts = ['bind'] * 4 + ['map'] * 2 + ['catch'] * 2 + ['finalize'] * 2 + ['try_bind'] * 2
        opts += ['join', 'both', 'all', 'pick', 'choose', 'npick', 'nchoose', 'nchoose_split']
        opts += ['protected'] * 2 + ['no_cancel'] * 2 + ['wrap_in_cancelable'] + ['pause']
        c = r.choice(opts)
        lab = self.L()
        if c in ('bind', 'map'):
            src = self.anyp()
            t = self.kinds[src]
            v_ml, v_cs = 'v', 'v'
            if c == 'bind':
                bml, bcs = self.pbody(lab, v_ml, v_cs)
                ml = f'p.({k}) <- safe (fun () -> Lwt.bind p.({src}) (fun v -> pr ("L{lab} v=" ^ string_of_int v); {bml}));'
                if t == 'i':
                    cs = f'p[{k}] = I(p[{src}]).Bind<int>(v => {{ Pr("L{lab} v=" + v); {bcs} }});'
                else:
                    cs = f'p[{k}] = p[{src}].Bind<int>(() => {{ int v = 0; Pr("L{lab} v=" + v); {bcs} }});'
            else:
                sides = self.side(1)
                sml = ' '.join(s[0] for s in sides)
                scs = ' '.join(s[1] for s in sides)
                if r.random() < 0.15:
                    rml, rcs = f'raise (E {lab})', f'throw new E({lab});'
                else:
                    rml, rcs = f'v + {lab}', f'return v + {lab};'
                ml = f'p.({k}) <- safe (fun () -> Lwt.map (fun v -> pr ("L{lab} v=" ^ string_of_int v); {sml} {rml}) p.({src}));'
                if t == 'i':
                    cs = f'p[{k}] = I(p[{src}]).Map<int>(v => {{ Pr("L{lab} v=" + v); {scs} {rcs} }});'
                else:
                    cs = f'p[{k}] = p[{src}].Map<int>(() => {{ int v = 0; Pr("L{lab} v=" + v); {scs} {rcs} }});'
            self.kinds.append('i')
        elif c == 'catch':
            src = r.choice(ints)
            bml, bcs = self.pbody(lab, str(lab * 10), str(lab * 10))
            ml = f'p.({k}) <- safe (fun () -> Lwt.catch (fun () -> p.({src})) (fun e -> pr ("L{lab} e=" ^ en e); {bml}));'
            cs = f'p[{k}] = Promise.Catch<int>(() => I(p[{src}]), e => {{ Pr("L{lab} e=" + En(e)); {bcs} }});'
            self.kinds.append('i')
        elif c == 'finalize':
            src = r.choice(ints)
            bml, bcs = self.ubody(lab)
            ml = f'p.({k}) <- safe (fun () -> Lwt.finalize (fun () -> p.({src})) (fun () -> pr "L{lab} fin"; {bml}));'
            cs = f'p[{k}] = Promise.Finally<int>(() => I(p[{src}]), () => {{ Pr("L{lab} fin"); {bcs} }});'
            self.kinds.append('i')
        elif c == 'try_bind':
            src = r.choice(ints)
            b1ml, b1cs = self.pbody(lab, 'v', 'v')
            b2ml, b2cs = self.pbody(lab, str(lab * 10), str(lab * 10))
            ml = (f'p.({k}) <- safe (fun () -> Lwt.try_bind (fun () -> p.({src})) (fun v -> pr ("L{lab} ok v=" ^ string_of_int v); {b1ml}) '
                  f'(fun e -> pr ("L{lab} err e=" ^ en e); {b2ml}));')
            cs = (f'p[{k}] = Promise.TryBind<int, int>(() => I(p[{src}]), v => {{ Pr("L{lab} ok v=" + v); {b1cs} }}, '
                  f'e => {{ Pr("L{lab} err e=" + En(e)); {b2cs} }});')
            self.kinds.append('i')
        elif c == 'join':
            l = self.plist(False)
            ml = f'p.({k}) <- i (Lwt.join [' + '; '.join(f'u p.({x})' for x in l) + ']);'
            cs = f'p[{k}] = Promise.Join(' + ', '.join(f'p[{x}]' for x in l) + ');'
            self.kinds.append('u')
        elif c == 'both':
            a, b = r.choice(ints), r.choice(ints)
            ml = f'p.({k}) <- Lwt.map (fun (a, b) -> pr (Printf.sprintf "L{lab} both %d %d" a b); a * 100 + b) (Lwt.both p.({a}) p.({b}));'
            cs = f'p[{k}] = Promise.Both(I(p[{a}]), I(p[{b}])).Map(t => {{ Pr($"L{lab} both {{t.Item1}} {{t.Item2}}"); return t.Item1 * 100 + t.Item2; }});'
            self.kinds.append('i')
        elif c in ('all', 'npick', 'nchoose'):
            l = self.plist(True)
            csn = {'all': 'All', 'npick': 'NPick', 'nchoose': 'NChoose'}[c]
            ml = f'p.({k}) <- Lwt.map (fun l -> pr ("L{lab} {c} " ^ sl l); sum l) (Lwt.{c} [' + '; '.join(f'p.({x})' for x in l) + ']);'
            cs = f'p[{k}] = Promise.{csn}(new[] {{' + ', '.join(f'I(p[{x}])' for x in l) + f'}}).Map(l => {{ Pr("L{lab} {c} " + Sl(l)); return Sum(l); }});'
            self.kinds.append('i')
        elif c == 'nchoose_split':
            l = self.plist(True)
            ml = (f'p.({k}) <- Lwt.map (fun (l, q) -> pr ("L{lab} split " ^ sl l ^ " / " ^ string_of_int (List.length q)); sum l) '
                  f'(Lwt.nchoose_split [' + '; '.join(f'p.({x})' for x in l) + ']);')
            cs = (f'p[{k}] = Promise.NChooseSplit(new[] {{' + ', '.join(f'I(p[{x}])' for x in l) +
                  f'}}).Map(t => {{ Pr("L{lab} split " + Sl(t.Fulfilled) + " / " + t.Pending.Count); return Sum(t.Fulfilled); }});')
            self.kinds.append('i')
        elif c in ('pick', 'choose'):
            l = self.plist(True)
            lml = '[' + '; '.join(f'p.({x})' for x in l) + ']'
            lcs = ', '.join(f'I(p[{x}])' for x in l)
            csn = {'pick': 'Pick', 'choose': 'Choose'}[c]
            ml = f'nd {lml}; p.({k}) <- Lwt.{c} {lml};'
            cs = f'Nd({lcs}); p[{k}] = Promise.{csn}(new[] {{{lcs}}});'
            self.kinds.append('i')
        elif c in ('protected', 'no_cancel', 'wrap_in_cancelable'):
            src = self.anyp()
            t = self.kinds[src]
            csn = {'protected': 'Protected', 'no_cancel': 'NoCancel', 'wrap_in_cancelable': 'WrapInCancelable'}[c]
            ml = f'p.({k}) <- Lwt.{c} p.({src});'
            cs = f'p[{k}] = p[{src}].{csn}();'
            self.kinds.append(t)
        elif c == 'pause':
            ml = f'p.({k}) <- i (Lwt.pause ());'
            cs = f'p[{k}] = Promise.Pause();'
            self.kinds.append('u')
        self.emit(ml, cs)

    def handler(self):
        r = self.rng
        lab = self.L()
        c = r.choice(['on_cancel', 'on_success', 'on_failure', 'on_termination', 'on_any', 'async', 'dont_wait'])
        if c in ('on_success', 'on_any') and not self.ints():
            c = 'on_cancel'
        if c == 'on_cancel':
            k = self.anyp()
            bml, bcs = self.vbody(lab)
            self.emit(f'Lwt.on_cancel p.({k}) (fun () -> pr "L{lab} oncancel"; {bml});',
                      f'p[{k}].OnCancel(() => {{ Pr("L{lab} oncancel"); {bcs} }});')
        elif c == 'on_success':
            k = r.choice(self.ints())
            bml, bcs = self.vbody(lab)
            self.emit(f'Lwt.on_success p.({k}) (fun v -> pr ("L{lab} onsuccess " ^ string_of_int v); {bml});',
                      f'I(p[{k}]).OnSuccess(v => {{ Pr("L{lab} onsuccess " + v); {bcs} }});')
        elif c == 'on_failure':
            k = self.anyp()
            bml, bcs = self.vbody(lab)
            self.emit(f'Lwt.on_failure p.({k}) (fun e -> pr ("L{lab} onfailure " ^ en e); {bml});',
                      f'p[{k}].OnFailure(e => {{ Pr("L{lab} onfailure " + En(e)); {bcs} }});')
        elif c == 'on_termination':
            k = self.anyp()
            bml, bcs = self.vbody(lab)
            self.emit(f'Lwt.on_termination p.({k}) (fun () -> pr "L{lab} onterm"; {bml});',
                      f'p[{k}].OnTermination(() => {{ Pr("L{lab} onterm"); {bcs} }});')
        elif c == 'on_any':
            k = r.choice(self.ints())
            b1ml, b1cs = self.vbody(lab)
            b2ml, b2cs = self.vbody(lab)
            self.emit(f'Lwt.on_any p.({k}) (fun v -> pr ("L{lab} anyok " ^ string_of_int v); {b1ml}) (fun e -> pr ("L{lab} anyerr " ^ en e); {b2ml});',
                      f'I(p[{k}]).OnAny(v => {{ Pr("L{lab} anyok " + v); {b1cs} }}, e => {{ Pr("L{lab} anyerr " + En(e)); {b2cs} }});')
        elif c == 'async':
            k = self.anyp()
            self.emit(f'Lwt.async (fun () -> pr "L{lab} async"; u p.({k}));',
                      f'Promise.Async(() => {{ Pr("L{lab} async"); return p[{k}]; }});')
        elif c == 'dont_wait':
            k = self.anyp()
            self.emit(f'Lwt.dont_wait (fun () -> pr "L{lab} dw"; u p.({k})) (fun e -> pr ("L{lab} dwh " ^ en e));',
                      f'Promise.DontWait(() => {{ Pr("L{lab} dw"); return p[{k}]; }}, e => Pr("L{lab} dwh " + En(e)));')

    def gen(self):
        r = self.rng
        ninputs = r.randint(2, 4)
        for _ in range(ninputs):
            k = len(self.kinds)
            c = r.choice(['wait', 'task', 'task', 'wait', 'return', 'fail'] if _ > 0 else ['wait', 'task'])
            if c in ('wait', 'task'):
                csn = 'Create' if c == 'wait' else 'CreateCancelable'
                self.emit(f'(let (a, b) = Lwt.{c} () in p.({k}) <- a; r.({k}) <- b);',
                          f'{{ var (a, b) = Promise.{csn}<int>(); p[{k}] = a; r[{k}] = b; }}')
                self.res.append(k)
            elif c == 'return':
                v = r.randrange(1, 9)
                self.emit(f'p.({k}) <- Lwt.return {v};', f'p[{k}] = Promise.Return({v});')
            else:
                v = r.randrange(1, 9)
                self.emit(f'p.({k}) <- Lwt.fail (E {v});', f'p[{k}] = Promise.Fail<int>(new E({v}));')
            self.kinds.append('i')
        nsteps = r.randint(3, self.maxsteps)
        for _ in range(nsteps):
            x = r.random()
            if x < 0.45:
                self.create()
            elif x < 0.65:
                self.handler()
            elif x < 0.95:
                a = self.action(False)
                self.emit(a[0], a[1])
            else:
                k = self.anyp()
                self.emit(f'pr ("sl {k} " ^ string_of_bool (Lwt.is_sleeping p.({k})) ^ " pc " ^ string_of_int (Lwt.paused_count ()));',
                          f'Pr("sl {k} " + (p[{k}].IsPending ? "true" : "false") + " pc " + Promise.PausedCount);')
        # finish: resolve everything still pending in random order, checkpoint between
        cp = self.checkpoint()
        self.emit(cp[0], cp[1])
        order = self.res[:]
        r.shuffle(order)
        for k in order:
            if r.random() < 0.3:
                a = (f'wk (fun () -> Lwt.cancel p.({k}));', f'Wk(() => p[{k}].Cancel());')
            else:
                v = r.randrange(1, 9)
                a = (f'(if Lwt.is_sleeping p.({k}) then wk (fun () -> Lwt.wakeup r.({k}) {v}));',
                     f'if (p[{k}].IsPending) Wk(() => r[{k}].ResolveNow({v}));')
            self.emit(a[0], a[1])
        self.emit('Lwt.wakeup_paused ();', 'Promise.WakeupPaused();')
        cp = self.checkpoint()
        self.emit(cp[0], cp[1])

    def render(self):
        ml = [f'let prog_{self.n} () =',
              f'  pr "== {self.n}"; Lwt.abandon_paused ();',
              '  let p : int Lwt.t array = Array.make 40 (Lwt.return 0) in',
              '  let r = Array.make 40 dummy_u in ignore r;',
              '  (try',
              ]
        ml += ['  ' + l for l in self.ml]
        ml += ['    ()', '  with e -> pr ("top " ^ en e))', '']
        cs = [f'  static void Prog{self.n}() {{',
              f'    Pr("== {self.n}"); Promise.AbandonPaused();',
              '    var p = new Promise[40]; var r = new Resolver<int>[40];',
              '    try {']
        cs += ['    ' + l for l in self.cs]
        cs += ['    } catch (Exception e) { Pr("top " + En(e)); }', '  }', '']
        return '\n'.join(ml), '\n'.join(cs)


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    maxsteps = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    os.makedirs(os.path.join(out, 'cs'), exist_ok=True)
    mls, css = [], []
    for n in range(count):
        rng = random.Random(seed * 1000003 + n)
        p = Prog(rng, n, maxsteps)
        p.gen()
        a, b = p.render()
        mls.append(a)
        css.append(b)
    with open(os.path.join(out, 'prog.ml'), 'w') as f:
        f.write(ML_PRELUDE)
        f.write('\n'.join(mls))
        f.write('\nlet () =\n')
        for n in range(count):
            f.write(f'  prog_{n} ();\n')
        f.write('  ()\n')
    with open(os.path.join(out, 'cs', 'Program.cs'), 'w') as f:
        f.write(CS_PRELUDE)
        f.write('\n'.join(css))
        f.write('  static void Main() {\n')
        f.write('    Promise.AsyncExceptionHook = e => Pr("hook " + En(e));\n')
        for n in range(count):
            f.write(f'    Prog{n}(); Console.Out.Write(Out.ToString()); Out.Clear();\n')
        f.write('  }\n}\n')


main()
