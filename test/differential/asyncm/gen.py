#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area asyncm:
# `async Promise` / `async Promise<T>` methods and `await` (PromiseMethodBuilder.cs, Awaiters.cs)
# against the same programs written with Lwt.bind / Lwt.catch / Lwt.finalize in OCaml.
"""Usage: gen.py SEED COUNT OUTDIR [MAXSTEPS=8]
Writes OUTDIR/prog.ml and OUTDIR/Progs.cs. Each program is a set of methods M0..Mk (some
returning int, some unit), called from a main method; the whole runs in Lwt_main.run /
LwtMain.Run. Three renderings of every program:
  - OCaml: each `await` is a bind, try/catch is Lwt.catch, try/finally is Lwt.finalize, a loop
    is a recursive function; every callback body is protected (a raise rejects: API.md's
    deliberate difference, ocsigen/lwt#329), and so is a method's body before its first bind;
  - C# `async` (argument `async`): the methods as async methods with await;
  - C# `bind` (argument `bind`): the OCaml program's shape, with Promise.Bind / Catch / Finally.
Each program prints '== N' then its trace; after the main method's last line (`end`) nothing is
traced. cmp.py compares the three.
Every method takes (x, s): x bounds its recursion, s is the slot where the main stores its
promise (-1 otherwise), so that `cancel self` cancels the method's own promise while it runs.
`setk` sets an AsyncLocal for the rest of the method (OCaml: Lwt.with_value around the rest of
the method's top-level statements); traces print it as k=. The main method awaits only what
resolves by itself (pause, return, fail), starts methods, resolves and cancels, and at the end
resolves what is still pending and pauses 16 times.
Tail calls (env TAIL=probability, default 0.35; 0 gives the programs of before): a method may
end with `tail`, C# `await Promise.ReturnFrom(e)` (`return await ...` in a Promise<int> method),
after which nothing of the method runs (no `M done`); in OCaml and in the Bind form the last
callback returns e itself (Lwt: the bind's promise becomes a proxy of e, make_into_proxy), and a
tail as the method's first statement returns e from the method. e is any awaitable of the
method's kind (a u method takes any: C#'s untyped method adopts a Promise<int>); with TAIL > 0
the methods may also call any method, a later one too (`mrec`: mutual recursion, x - 1, guarded
by x > 0; `call` then passes min(arg, x), so every cycle ends). The value of a unit-kind promise
is never observed (R0, v = 0 on both sides). TAILCALLS=1 biases awaits and tails towards calls."""
import random, sys, os

ML_PRELUDE = r'''
exception E of int
let live = ref true
let pr s = if !live then (print_string s; print_char '\n')
let en = function E n -> "E" ^ string_of_int n | Lwt.Canceled -> "Canceled"
  | Invalid_argument _ -> "Invalid" | e -> Printexc.to_string e
let st (p : int Lwt.t) = match Lwt.state p with
  | Lwt.Return v -> "R" ^ string_of_int v | Lwt.Fail e -> "F" ^ en e | Lwt.Sleep -> "S"
(* a unit-kind slot: its value is not observable in C# (a Promise), so it prints as R0 *)
let stu (p : int Lwt.t) = match Lwt.state p with
  | Lwt.Return _ -> "R0" | Lwt.Fail e -> "F" ^ en e | Lwt.Sleep -> "S"
let safe f = try f () with e -> Lwt.fail e
let bnd p k = Lwt.bind p (fun v -> safe (fun () -> k v))
let ctch f h = Lwt.catch f (fun e -> safe (fun () -> h e))
let fin f g = Lwt.finalize f (fun () -> safe g)
let wk f = try f () with e -> pr ("werr " ^ en e)
let nd (l : int Lwt.t list) =
  let f = List.length (List.filter (fun p -> match Lwt.state p with Lwt.Return _ -> true | _ -> false) l) in
  let r = List.length (List.filter (fun p -> match Lwt.state p with Lwt.Fail _ -> true | _ -> false) l) in
  if r >= 2 || (r = 0 && f >= 2) then pr "NONDET"
let u (p : int Lwt.t) : unit Lwt.t = Obj.magic p
let i (p : unit Lwt.t) : int Lwt.t = Obj.magic p
let p : int Lwt.t array = Array.make 64 (Lwt.return 0)
let r : int Lwt.u array = Array.make 64 (snd (Lwt.wait ()))
let () = Lwt.async_exception_hook := (fun e -> pr ("hook " ^ en e))
let key : int Lwt.key = Lwt.new_key ()
let kv () = match Lwt.get key with Some v -> v | None -> 0
'''

CS_PRELUDE = r'''
using System;
using System.Linq;
using Lwt;
#pragma warning disable CS0162, CS8321, CS0219, CS1998
sealed class E : Exception { public readonly int N; public E(int n) : base("E" + n) { N = n; } }
static partial class P {
  static bool Live = true;
  static System.Text.StringBuilder Out = new();
  static void Pr(string s) { if (Live) Out.Append(s).Append('\n'); }
  static string En(Exception e) => e switch {
    E x => "E" + x.N, OperationCanceledException => "Canceled",
    InvalidOperationException => "Invalid", ArgumentException => "Invalid", _ => e.GetType().Name };
  static string St(Promise q) => q.State switch {
    PromiseState.Fulfilled => "R" + (q is Promise<int> pi ? pi.Value : 0),
    PromiseState.Rejected => "F" + En(q.Exception!), _ => "S" };
  static string StU(Promise q) => q.State == PromiseState.Fulfilled ? "R0" : St(q);
  static Promise<int> I(Promise q) => (Promise<int>)q;
  static void Wk(Action f) { try { f(); } catch (Exception e) { Pr("werr " + En(e)); } }
  static void Nd(params Promise<int>[] l) {
    int f = l.Count(q => q.IsFulfilled), r = l.Count(q => q.IsRejected);
    if (r >= 2 || (r == 0 && f >= 2)) Pr("NONDET");
  }
  static Promise[] p = new Promise[64];
  static Resolver<int>[] r = new Resolver<int>[64];
  // The bind rendering (the OCaml program's shape).
  static Promise Safe(Func<Promise> f) { try { return f(); } catch (Exception e) { return Promise.Fail(e); } }
  static Promise<int> SafeI(Func<Promise<int>> f) { try { return f(); } catch (Exception e) { return Promise.Fail<int>(e); } }
  static Promise Bnd(Promise q, Func<int, Promise> k) => q is Promise<int> qi ? qi.Bind(k) : q.Bind(() => k(0));
  static Promise<int> BndI(Promise q, Func<int, Promise<int>> k) => q is Promise<int> qi ? qi.Bind(k) : q.Bind<int>(() => k(0));
  // an await of a unit-kind expression: its value is 0 whatever the promise holds (a method of
  // kind u may have become a Promise<int> by a tail call; OCaml ignores the value the same way)
  static Promise BndU(Promise q, Func<int, Promise> k) => q.Bind(() => k(0));
  static Promise<int> BndUI(Promise q, Func<int, Promise<int>> k) => q.Bind<int>(() => k(0));
  static Promise<int> WithKI(int v, Func<Promise<int>> f) { int old = K.Value; K.Value = v; try { return f(); } finally { K.Value = old; } }
  static Promise Ctch(Func<Promise> f, Func<Exception, Promise> h) => Promise.Catch(f, h);
  static Promise Fin(Func<Promise> f, Func<Promise> g) => Promise.Finally(f, g);
  static readonly System.Threading.AsyncLocal<int> K = new();
  static Promise WithK(int v, Func<Promise> f) { int old = K.Value; K.Value = v; try { return f(); } finally { K.Value = old; } }
  // OFFLOOP=1 (run.sh): no event loop; the paused promises are woken by hand, as Lwt_main.run
  // would (no I/O here), and every promise belongs to no loop (the builder's off-loop path).
  static bool OffLoop;
  static void RunMain(Func<Promise> main) {
    if (!OffLoop) { LwtMain.Run(main); return; }
    var m = main();
    for (int i = 0; m.IsPending && i < 1000; i++) Promise.WakeupPaused();
    if (m.IsRejected) throw m.Exception!;
  }
  static bool IsE(Exception e, out int n) { if (e is E x) { n = x.N; return true; } n = 0; return false; }
'''


class Prog:
    def __init__(self, rng, n, maxsteps):
        self.rng = rng
        self.n = n
        self.maxsteps = maxsteps
        self.lab = 0
        self.slots = []     # kind per slot: 'i' or 'u'
        self.res = []       # slots with a resolver (wait/task)
        self.canc = {}      # resolver slot -> initially cancelable
        self.methods = []   # (kind, body)
        self.pauses = 0
        self.mslots = set()  # slots holding a method's promise
        self.tailp = float(os.environ.get('TAIL', '0.35'))
        self.tailcalls = os.environ.get('TAILCALLS') == '1'
        self.kinds = None    # with tails: every method's kind, decided first (mrec calls later ones)

    def fresh(self, c='w'):
        self.fr = getattr(self, 'fr', 0) + 1
        return f'{c}{self.fr}'

    def L(self):
        self.lab += 1
        return self.lab

    def slot(self, kind):
        self.slots.append(kind)
        return len(self.slots) - 1

    # ------------------------------------------------------------ generation
    def argx(self, arg, j, ml):
        """A method's argument x from inside method j: with mrec, never more than j's own x."""
        if self.kinds is None or j is None:
            return str(arg)
        return f'(min {arg} x)' if ml else f'Math.Min({arg}, x)'

    def isint(self, a, selfj):
        t = a[0]
        if t in ('slot', 'protected', 'nocancel'):
            return self.slots[a[1]] == 'i'
        if t == 'call':
            return self.methods[a[1]][0] == 'i'
        if t == 'rec':
            return self.methods[selfj][0] == 'i'
        if t == 'mrec':
            return self.kinds[a[1]] == 'i'
        return t not in ('pause', 'join')

    def tail(self, m):
        """The method's tail call: an awaitable of the method's kind (a u method takes any)."""
        for _ in range(50):
            a = self.awaitable(m, False, tail=True)
            if self.methods[m][0] == 'u' or self.isint(a, m):
                return a
        return ('ret', self.rng.randrange(1, 9))

    def awaitable(self, m, inmain, tail=False):
        """An expression to await: (tag, ...). m: the current method index (None: main)."""
        r = self.rng
        if inmain:
            # main awaits only what resolves by itself: a pending await there would hang the run
            c = r.choice(['ret', 'fail', 'pause', 'pause'])
            if c == 'ret':
                return ('ret', r.randrange(1, 9))
            if c == 'fail':
                return ('fail', self.L())
            self.pauses += 1
            return ('pause',)
        ch = ['slot'] * 4 + ['newp'] * 3 + ['ret', 'fail'] + ['pause'] * 2
        if m is not None or len(self.methods) > 0:
            ch += ['call'] * 4
        if m is not None:
            ch += ['rec'] * 2
        ch += ['pick', 'join', 'protected', 'nocancel', 'choose', 'pickn', 'pickn']
        if self.kinds is not None and m is not None:
            ch += ['mrec'] * 2
            if tail:
                ch += ['call', 'rec', 'mrec', 'newp', 'ret', 'fail']
            if self.tailcalls:
                ch += ['call', 'rec', 'mrec'] * 4
        c = r.choice(ch)
        if c == 'mrec':
            return ('mrec', r.randrange(len(self.kinds)))
        if c == 'call' and (m == 0 or (m is None and not self.methods)):
            c = 'slot'
        if c == 'slot':
            return ('slot', r.randrange(len(self.slots)))
        if c == 'newp':
            return ('newp', r.choice(self.res), r.random() < 0.6)
        if c == 'ret':
            return ('ret', r.randrange(1, 9))
        if c == 'fail':
            return ('fail', self.L())
        if c == 'pause':
            if self.pauses >= 6:
                return ('ret', r.randrange(1, 9))
            self.pauses += 1
            return ('pause',)
        if c == 'call':
            top = len(self.methods) if m is None else m
            return ('call', r.randrange(top), r.randrange(0, 3))
        if c == 'rec':
            return ('rec', m)
        if c == 'pickn':
            # a pick of fresh tasks (and a wait), which canceling the method cancels
            ks = r.sample(self.res, min(len(self.res), r.randint(2, 3)))
            return ('pickn', [(k, r.random() < 0.8) for k in ks])
        if c in ('pick', 'choose'):
            ks = [k for k, t in enumerate(self.slots) if t == 'i']
            return (c, [r.choice(ks) for _ in range(r.randint(1, 3))])
        if c == 'join':
            return ('join', [r.randrange(len(self.slots)) for _ in range(r.randint(1, 3))])
        k = r.randrange(len(self.slots))
        return (c, k)

    def action(self):
        r = self.rng
        c = r.choice(['resolve'] * 8 + ['cancel'] * 4 + ['wakeup_paused'])
        if c == 'wakeup_paused':
            return ('wakeup_paused',)
        if c == 'resolve':
            return ('resolve', r.choice(self.res), r.choice(['ResolveNow', 'Resolve', 'RejectNow', 'Reject']),
                    r.randrange(1, 9), r.random() < 0.1)
        ms = [k for k in range(len(self.slots)) if k in self.mslots]
        if ms and r.random() < 0.5:
            return ('cancel', r.choice(ms))
        return ('cancel', r.randrange(len(self.slots)))

    def callback(self):
        r = self.rng
        k = r.randrange(len(self.slots))
        kinds = ['onfailure', 'oncancel', 'onterm', 'map']
        if self.slots[k] == 'i':
            kinds += ['onsuccess'] * 2
        c = r.choice(kinds)
        side = [self.action()] if r.random() < 0.3 else []
        if c == 'map':
            return ('map', k, self.slot('i'), self.L(), side)
        return ('cb', c, k, self.L(), side)

    def stmts(self, m, budget, depth, inmain=False, incatch=False):
        r = self.rng
        out = []
        n = r.randint(1, max(1, budget))
        callable_ = bool(self.methods) if m is None else m > 0
        w = {'await': 30, 'tr': 8, 'act': 10, 'start': 6, 'cb': 6, 'try': 9, 'finally': 6, 'loop': 5,
             'throw': 4, 'async': 3, 'cp': 0, 'cself': 3, 'setk': 3, 'cancelm': 2}
        if inmain:
            w = {'await': 12, 'tr': 4, 'act': 25, 'start': 28, 'cb': 10, 'try': 6, 'finally': 4, 'loop': 0,
                 'throw': 0, 'async': 5, 'cp': 6, 'cself': 0, 'setk': 4, 'cancelm': 10}
        if not callable_:
            w['start'] = w['async'] = 0
        if not self.mslots:
            w['cancelm'] = 0
        if depth > 0 or incatch:
            w['setk'] = 0  # AsyncLocal: the method's rest; Lwt.with_value: the rest of this block
        if depth >= 2:
            w['try'] = w['finally'] = w['loop'] = 0
        keys = list(w)
        for _ in range(n):
            c = r.choices(keys, [w[k] for k in keys])[0]
            if c == 'await':
                a = self.awaitable(m, inmain)
                if inmain:
                    # main survives a rejection: a catch-all around each of its awaits
                    out.append(('try', [('await', a, self.L())], [('all', None, self.L(), [])]))
                else:
                    out.append(('await', a, self.L()))
            elif c == 'tr':
                out.append(('tr', self.L()))
            elif c == 'cself':
                out.append(('cself',))
            elif c == 'cancelm':
                # cancel a method's promise, most often while it awaits something
                out.append(('act', ('cancel', r.choice(sorted(self.mslots)))))
            elif c == 'setk':
                out.append(('setk', r.randrange(1, 99)))
            elif c == 'act':
                out.append(('act', self.action()))
            elif c == 'start':
                top = len(self.methods) if m is None else m
                mm = r.randrange(top)
                k = self.slot(self.methods[mm][0])
                self.mslots.add(k)
                out.append(('start', k, mm, r.randrange(0, 3)))
            elif c == 'cb':
                out.append(self.callback())
            elif c == 'try':
                body = self.stmts(m, budget // 2 + 1, depth + 1, inmain)
                hs = []
                order = ['Eeven', 'E', 'Canceled', 'all']  # C#: no clause after one that covers it
                kinds = sorted(set(r.choice(order + ['Canceled']) for _ in range(r.randint(1, 2))), key=order.index)
                for kind in kinds:
                    hb = self.stmts(m, 2, depth + 1, inmain, True) if r.random() < 0.5 else []
                    if r.random() < 0.2:
                        hb.append(('rethrow',))
                    hs.append((kind, None, self.L(), hb))
                if inmain and hs[-1][0] != 'all':
                    hs.append(('all', None, self.L(), []))
                out.append(('try', body, hs))
            elif c == 'finally':
                body = self.stmts(m, budget // 2 + 1, depth + 1, inmain)
                fb = [('tr', self.L())] + (self.stmts(m, 2, depth + 1, inmain) if r.random() < 0.5 else [])
                st = ('finally', body, fb, self.L())
                if inmain:
                    st = ('try', [st], [('all', None, self.L(), [])])
                out.append(st)
            elif c == 'loop':
                out.append(('loop', r.randint(1, 3), self.stmts(m, 3, depth + 1, False), self.L()))
            elif c == 'throw':
                out.append(('throw', self.L()))
            elif c == 'async':
                top = len(self.methods) if m is None else m
                out.append((r.choice(['async', 'dontwait']), r.randrange(top), r.randrange(0, 3), self.L()))
            elif c == 'cp':
                out.append(('cp',))
        return out

    def gen(self):
        r = self.rng
        for _ in range(r.randint(2, 4)):
            k = self.slot('i')
            self.res.append(k)
            self.canc[k] = r.random() < 0.5
        for _ in range(r.randint(1, 2)):  # plain slots
            k = self.slot('i')
        nm = r.randint(1, 4)
        if self.tailp > 0:
            self.kinds = ['i' if r.random() < 0.65 else 'u' for _ in range(nm)]
        for j in range(nm):
            kind = 'i' if r.random() < 0.65 else 'u'
            if self.kinds is not None:
                kind = self.kinds[j]
            self.methods.append((kind, None))
            body = [('tr', self.L())] + self.stmts(j, self.maxsteps // 2 + 1, 0)
            if self.tailp > 0 and r.random() < self.tailp:
                if r.random() < 0.15:
                    body = body[:1 + r.randrange(min(2, len(body)))]  # a tail early: often before any suspension
                body.append(('tail', self.tail(j), self.L()))
            self.methods[j] = (kind, body)
        main = self.stmts(None, self.maxsteps, 0, inmain=True)
        # the end: resolve what is still pending, let the paused methods run, print the states
        order = self.res[:]
        r.shuffle(order)
        main.append(('cp',))
        for k in order:
            if r.random() < 0.25:
                main.append(('act', ('cancel', k)))
            else:
                main.append(('drain', k, r.randrange(1, 9)))
        main.append(('end',))
        self.main = main

    # ------------------------------------------------------------ rendering helpers
    def checkpoint(self):
        n = len(self.slots)
        su = lambda k: 'st' if self.slots[k] == 'i' or self.kinds is None else 'stu'
        ml = 'pr ("cp " ^ String.concat " " [' + '; '.join(f'{su(k)} p.({k})' for k in range(n)) + '])'
        cs = 'Pr("cp " + string.Join(" ", new[] {' + ', '.join(f'{su(k).capitalize().replace("Stu", "StU")}(p[{k}])' for k in range(n)) + '}));'
        return ml, cs

    def mname(self, j):
        return f'p{self.n}_m{j}'

    def csname(self, j, variant):
        return f'P{self.n}M{j}' + ('B' if variant == 'bind' else '')

    def act_ml(self, a):
        if a[0] == 'wakeup_paused':
            return 'pr ("wp " ^ string_of_int (Lwt.paused_count ())); Lwt.wakeup_paused ()'
        if a[0] == 'resolve':
            _, k, how, v, canc = a
            e = 'Lwt.Canceled' if canc else f'(E {v})'
            f = {'ResolveNow': f'Lwt.wakeup r.({k}) {v}', 'Resolve': f'Lwt.wakeup_later r.({k}) {v}',
                 'RejectNow': f'Lwt.wakeup_exn r.({k}) {e}', 'Reject': f'Lwt.wakeup_later_exn r.({k}) {e}'}[how]
            return f'wk (fun () -> {f})'
        return f'wk (fun () -> Lwt.cancel p.({a[1]}))'

    def act_cs(self, a):
        if a[0] == 'wakeup_paused':
            return 'Pr("wp " + Promise.PausedCount); Promise.WakeupPaused();'
        if a[0] == 'resolve':
            _, k, how, v, canc = a
            e = 'new CanceledException()' if canc else f'new E({v})'
            arg = e if how.startswith('Reject') else str(v)
            return f'Wk(() => r[{k}].{how}({arg}));'
        return f'Wk(() => p[{a[1]}].Cancel());'

    def cb_ml(self, st):
        if st[0] == 'map':
            _, k, k2, lab, side = st
            s = ''.join(self.act_ml(a) + '; ' for a in side)
            if self.slots[k] == 'u' and self.kinds is not None:
                return f'p.({k2}) <- Lwt.map (fun _ -> let v = 0 in pr ("L{lab} map " ^ string_of_int v ^ " k=" ^ string_of_int (kv ())); {s}v + {lab}) p.({k})'
            return f'p.({k2}) <- Lwt.map (fun v -> pr ("L{lab} map " ^ string_of_int v ^ " k=" ^ string_of_int (kv ())); {s}v + {lab}) p.({k})'
        _, c, k, lab, side = st
        s = ''.join('; ' + self.act_ml(a) for a in side)
        if c == 'onsuccess':
            return f'Lwt.on_success p.({k}) (fun v -> pr ("L{lab} onsuccess " ^ string_of_int v ^ " k=" ^ string_of_int (kv ())){s})'
        if c == 'onfailure':
            return f'Lwt.on_failure p.({k}) (fun e -> pr ("L{lab} onfailure " ^ en e ^ " k=" ^ string_of_int (kv ())){s})'
        if c == 'oncancel':
            return f'Lwt.on_cancel p.({k}) (fun () -> pr ("L{lab} oncancel k=" ^ string_of_int (kv ())){s})'
        return f'Lwt.on_termination p.({k}) (fun () -> pr ("L{lab} onterm k=" ^ string_of_int (kv ())){s})'

    def cb_cs(self, st):
        if st[0] == 'map':
            _, k, k2, lab, side = st
            s = ' '.join(self.act_cs(a) for a in side)
            if self.slots[k] == 'i':
                return f'p[{k2}] = I(p[{k}]).Map(v{lab} => {{ Pr("L{lab} map " + v{lab} + " k=" + K.Value); {s} return v{lab} + {lab}; }});'
            return f'p[{k2}] = p[{k}].Map(() => {{ int v{lab} = 0; Pr("L{lab} map " + v{lab} + " k=" + K.Value); {s} return v{lab} + {lab}; }});'
        _, c, k, lab, side = st
        s = ' '.join(self.act_cs(a) for a in side)
        if c == 'onsuccess':
            return f'I(p[{k}]).OnSuccess(v{lab} => {{ Pr("L{lab} onsuccess " + v{lab} + " k=" + K.Value); {s} }});'
        if c == 'onfailure':
            return f'p[{k}].OnFailure(f{lab} => {{ Pr("L{lab} onfailure " + En(f{lab}) + " k=" + K.Value); {s} }});'
        if c == 'oncancel':
            return f'p[{k}].OnCancel(() => {{ Pr("L{lab} oncancel k=" + K.Value); {s} }});'
        return f'p[{k}].OnTermination(() => {{ Pr("L{lab} onterm k=" + K.Value); {s} }});'

    def create_ml(self, k, canc):
        return f'(let (a, b) = Lwt.{"task" if canc else "wait"} () in p.({k}) <- a; r.({k}) <- b)'

    def create_cs(self, k, canc):
        return f'{{ var (a, b) = Promise.{"CreateCancelable" if canc else "Create"}<int>(); p[{k}] = a; r[{k}] = b; }}'

    # An awaited expression: (pre-statements, expression) in each language. The expression is
    # an `int Lwt.t` in OCaml; in C# a Promise<int> or a Promise (value 0).
    def aw_ml(self, a, selfj):
        t = a[0]
        if t == 'slot':
            return '', f'p.({a[1]})'
        if t == 'newp':
            return self.create_ml(a[1], a[2]) + '; ', f'p.({a[1]})'
        if t == 'ret':
            return '', f'Lwt.return {a[1]}'
        if t == 'fail':
            return '', f'Lwt.fail (E {a[1]})'
        if t == 'pause':
            return '', 'i (Lwt.pause ())'
        if t == 'call':
            if self.kinds is not None and selfj is not None:
                return '', f'{self.mname(a[1])} (min {a[2]} x) (-1)'
            return '', f'{self.mname(a[1])} {a[2]} (-1)'
        if t == 'rec':
            return '', f'(if x > 0 then {self.mname(selfj)} (x - 1) (-1) else Lwt.return 0)'
        if t == 'mrec':
            return '', f'(if x > 0 then {self.mname(a[1])} (x - 1) (-1) else Lwt.return 0)'
        if t == 'pickn':
            return ''.join(self.create_ml(k, c) + '; ' for k, c in a[1]), 'Lwt.pick [' + '; '.join(f'p.({k})' for k, _ in a[1]) + ']'
        if t in ('pick', 'choose'):
            l = '[' + '; '.join(f'p.({k})' for k in a[1]) + ']'
            return f'nd {l}; ', f'Lwt.{t} {l}'
        if t == 'join':
            return '', 'i (Lwt.join [' + '; '.join(f'u p.({k})' for k in a[1]) + '])'
        if t == 'protected':
            return '', f'Lwt.protected p.({a[1]})'
        if t == 'nocancel':
            return '', f'Lwt.no_cancel p.({a[1]})'
        raise ValueError(t)

    def aw_cs(self, a, selfj, variant):
        """(pre, expr, isint)"""
        t = a[0]
        if t == 'slot':
            k = a[1]
            return '', (f'I(p[{k}])' if self.slots[k] == 'i' else f'p[{k}]'), self.slots[k] == 'i'
        if t == 'newp':
            return self.create_cs(a[1], a[2]) + ' ', f'I(p[{a[1]}])', True
        if t == 'ret':
            return '', f'Promise.Return({a[1]})', True
        if t == 'fail':
            return '', f'Promise.Fail<int>(new E({a[1]}))', True
        if t == 'pause':
            return '', 'Promise.Pause()', False
        if t == 'call':
            if self.kinds is not None and selfj is not None:
                return '', f'{self.csname(a[1], variant)}(Math.Min({a[2]}, x), -1)', self.methods[a[1]][0] == 'i'
            return '', f'{self.csname(a[1], variant)}({a[2]}, -1)', self.methods[a[1]][0] == 'i'
        if t == 'mrec':
            isint = self.kinds[a[1]] == 'i'
            alt = 'Promise.Return(0)' if isint else '(Promise)Promise.ReturnUnit'
            return '', f'(x > 0 ? {self.csname(a[1], variant)}(x - 1, -1) : {alt})', isint
        if t == 'rec':
            isint = self.methods[selfj][0] == 'i'
            alt = 'Promise.Return(0)' if isint else '(Promise)Promise.ReturnUnit'
            return '', f'(x > 0 ? {self.csname(selfj, variant)}(x - 1, -1) : {alt})', isint
        if t == 'pickn':
            return (''.join(self.create_cs(k, c) + ' ' for k, c in a[1]),
                    'Promise.Pick(new[] { ' + ', '.join(f'I(p[{k}])' for k, _ in a[1]) + ' })', True)
        if t in ('pick', 'choose'):
            l = ', '.join(f'I(p[{k}])' for k in a[1])
            return f'Nd({l}); ', f'Promise.{"Pick" if t == "pick" else "Choose"}(new[] {{ {l} }})', True
        if t == 'join':
            return '', 'Promise.Join(' + ', '.join(f'p[{k}]' for k in a[1]) + ')', False
        k = a[1]
        meth = 'Protected' if t == 'protected' else 'NoCancel'
        return '', (f'I(p[{k}]).{meth}()' if self.slots[k] == 'i' else f'p[{k}].{meth}()'), self.slots[k] == 'i'

    # ------------------------------------------------------------ OCaml / C#-bind (monadic) rendering
    def handler_cond_ml(self, kind):
        return {'E': 'E _', 'Eeven': 'E n when n mod 2 = 0', 'Canceled': 'Lwt.Canceled', 'all': '_'}[kind]

    def seq_ml(self, ss, j, ex=None):
        """OCaml expression of type unit Lwt.t for statements ss (j: method index or None)."""
        if not ss:
            return 'Lwt.return_unit'
        s, rest = ss[0], ss[1:]
        t = s[0]
        if t == 'tr':
            return f'pr ("L{s[1]} acc=" ^ string_of_int !acc ^ " k=" ^ string_of_int (kv ())); ' + self.seq_ml(rest, j, ex)
        if t == 'setk':
            return f'Lwt.with_value key (Some {s[1]}) (fun () -> ' + self.seq_ml(rest, j, ex) + ')'
        if t == 'cself':
            return 'pr ("cancel self " ^ string_of_int s); (if s >= 0 then wk (fun () -> Lwt.cancel p.(s))); ' + self.seq_ml(rest, j, ex)
        if t == 'cp':
            return self.checkpoint()[0] + '; ' + self.seq_ml(rest, j, ex)
        if t == 'act':
            return self.act_ml(s[1]) + '; ' + self.seq_ml(rest, j, ex)
        if t == 'drain':
            return f'(if Lwt.is_sleeping p.({s[1]}) then wk (fun () -> Lwt.wakeup r.({s[1]}) {s[2]})); ' + self.seq_ml(rest, j, ex)
        if t == 'end':
            pz = 'bnd (i (Lwt.pause ())) (fun _ -> ' * 16
            return pz + self.checkpoint()[0] + '; pr "end"; live := false; Lwt.return_unit' + ')' * 16
        if t == 'start':
            _, k, mm, arg = s
            return f'p.({k}) <- {self.mname(mm)} {self.argx(arg, j, True)} {k}; ' + self.seq_ml(rest, j, ex)
        if t in ('cb', 'map'):
            return self.cb_ml(s) + '; ' + self.seq_ml(rest, j, ex)
        if t in ('async', 'dontwait'):
            _, mm, arg, lab = s
            arg = self.argx(arg, j, True)
            if t == 'async':
                c = f'Lwt.async (fun () -> pr "L{lab} async"; u ({self.mname(mm)} {arg} (-1)))'
            else:
                c = f'Lwt.dont_wait (fun () -> pr "L{lab} dw"; u ({self.mname(mm)} {arg} (-1))) (fun e -> pr ("L{lab} dwh " ^ en e))'
            return c + '; ' + self.seq_ml(rest, j, ex)
        if t == 'throw':
            return f'raise (E {s[1]}); ' + self.seq_ml(rest, j, ex)
        if t == 'rethrow':
            return f'raise {ex}'
        if t == 'tail':
            pre, e = self.aw_ml(s[1], j)
            return f'pr "L{s[2]} tail"; {pre}{e}'
        if t == 'await':
            pre, e = self.aw_ml(s[1], j)
            if self.kinds is not None and not self.isint(s[1], j):
                return (f'{pre}bnd ({e}) (fun _ -> let v = 0 in acc := !acc + v; pr ("L{s[2]} got " ^ string_of_int v); '
                        + self.seq_ml(rest, j, ex) + ')')
            return (f'{pre}bnd ({e}) (fun v -> acc := !acc + v; pr ("L{s[2]} got " ^ string_of_int v); '
                    + self.seq_ml(rest, j, ex) + ')')
        if t == 'try':
            _, body, hs = s
            ev = f'e{hs[0][2]}'
            arms = []
            for kind, _, lab, hb in hs:
                arms.append(f'| {self.handler_cond_ml(kind)} -> (pr ("L{lab} caught " ^ en {ev}); ' + self.seq_ml(hb, j, ev) + ')')
            if hs[-1][0] != 'all':
                arms.append(f'| _ -> Lwt.fail {ev}')
            h = f'(fun {ev} -> match {ev} with ' + ' '.join(arms) + ')'
            return f'bnd (ctch (fun () -> {self.seq_ml(body, j, ex)}) {h}) (fun () -> ' + self.seq_ml(rest, j, ex) + ')'
        if t == 'finally':
            _, body, fb, lab = s
            return (f'bnd (fin (fun () -> {self.seq_ml(body, j, ex)}) (fun () -> {self.seq_ml(fb, j, ex)})) (fun () -> '
                    + self.seq_ml(rest, j, ex) + ')')
        if t == 'loop':
            _, cnt, body, lab = s
            return (f'bnd (let rec lp{lab} k = if k < {cnt} then bnd ({self.seq_ml(body, j, ex)}) (fun () -> lp{lab} (k + 1)) '
                    f'else Lwt.return_unit in lp{lab} 0) (fun () -> ' + self.seq_ml(rest, j, ex) + ')')
        raise ValueError(t)

    def handler_cond_cs(self, kind, ev):
        return {'E': f'{ev} is E', 'Eeven': f'IsE({ev}, out var n{ev}) && n{ev} % 2 == 0',
                'Canceled': f'{ev} is OperationCanceledException', 'all': 'true'}[kind]

    def seq_csb(self, ss, j, ex=None, ty='u'):
        """C# statements ending in `return <Promise>;` (the bind rendering). ty 'i': a method's
        top level that ends with a tail call of a Promise<int> method (returns Promise<int>)."""
        if not ss:
            return 'return Promise.ReturnUnit;'
        s, rest = ss[0], ss[1:]
        t = s[0]
        B = 'BndI' if ty == 'i' else 'Bnd'
        if t == 'tail':
            pre, e, _ = self.aw_cs(s[1], j, 'bind')
            return f'Pr("L{s[2]} tail"); {pre}return {e};'
        if t == 'tr':
            return f'Pr("L{s[1]} acc=" + acc + " k=" + K.Value); ' + self.seq_csb(rest, j, ex, ty)
        if t == 'setk':
            return f'return WithK{"I" if ty == "i" else ""}({s[1]}, () => {{ ' + self.seq_csb(rest, j, ex, ty) + ' });'
        if t == 'cself':
            return 'Pr("cancel self " + s); if (s >= 0) Wk(() => p[s].Cancel()); ' + self.seq_csb(rest, j, ex, ty)
        if t == 'cp':
            return self.checkpoint()[1] + ' ' + self.seq_csb(rest, j, ex, ty)
        if t == 'act':
            return self.act_cs(s[1]) + ' ' + self.seq_csb(rest, j, ex, ty)
        if t == 'drain':
            return f'if (p[{s[1]}].IsPending) Wk(() => r[{s[1]}].ResolveNow({s[2]})); ' + self.seq_csb(rest, j, ex, ty)
        if t == 'end':
            pz = ''.join(f'return Bnd(Promise.Pause(), {self.fresh()} => {{ ' for _ in range(16))
            return pz + self.checkpoint()[1] + ' Pr("end"); Live = false; return Promise.ReturnUnit;' + ' });' * 16
        if t == 'start':
            _, k, mm, arg = s
            return f'p[{k}] = {self.csname(mm, "bind")}({self.argx(arg, j, False)}, {k}); ' + self.seq_csb(rest, j, ex, ty)
        if t in ('cb', 'map'):
            return self.cb_cs(s) + ' ' + self.seq_csb(rest, j, ex, ty)
        if t in ('async', 'dontwait'):
            return self.async_cs(s, 'bind', j) + ' ' + self.seq_csb(rest, j, ex, ty)
        if t == 'throw':
            return f'throw new E({s[1]}); ' + self.seq_csb(rest, j, ex, ty)
        if t == 'rethrow':
            return f'throw {ex};'
        if t == 'await':
            pre, e, _ = self.aw_cs(s[1], j, 'bind')
            v = self.fresh('v')
            if self.kinds is not None and not self.isint(s[1], j):
                B = 'BndUI' if ty == 'i' else 'BndU'
            return (f'{pre}return {B}({e}, {v} => {{ acc += {v}; Pr("L{s[2]} got " + {v}); '
                    + self.seq_csb(rest, j, ex, ty) + ' });')
        if t == 'try':
            _, body, hs = s
            ev = f'e{hs[0][2]}'
            h = ''
            for kind, _, lab, hb in hs:
                h += f'if ({self.handler_cond_cs(kind, ev)}) {{ Pr("L{lab} caught " + En({ev})); {self.seq_csb(hb, j, ev)} }} '
            if hs[-1][0] != 'all':
                h += f'return Promise.Fail({ev});'
            return (f'return {B}(Ctch(() => {{ {self.seq_csb(body, j, ex)} }}, {ev} => {{ {h} }}), {self.fresh()} => {{ '
                    + self.seq_csb(rest, j, ex, ty) + ' });')
        if t == 'finally':
            _, body, fb, lab = s
            return (f'return {B}(Fin(() => {{ {self.seq_csb(body, j, ex)} }}, () => {{ {self.seq_csb(fb, j, ex)} }}), {self.fresh()} => {{ '
                    + self.seq_csb(rest, j, ex, ty) + ' });')
        if t == 'loop':
            _, cnt, body, lab = s
            return (f'Func<int, Promise> lp{lab} = null!; lp{lab} = k{lab} => {{ if (k{lab} < {cnt}) return Bnd(Safe(() => {{ {self.seq_csb(body, j, ex)} }}), {self.fresh()} => lp{lab}(k{lab} + 1)); '
                    f'return Promise.ReturnUnit; }}; return {B}(lp{lab}(0), {self.fresh()} => {{ ' + self.seq_csb(rest, j, ex, ty) + ' });')
        raise ValueError(t)

    def async_cs(self, s, variant, j):
        t, mm, arg, lab = s
        arg = self.argx(arg, j, False)
        if t == 'async':
            return f'Promise.Async(() => {{ Pr("L{lab} async"); return {self.csname(mm, variant)}({arg}, -1); }});'
        return (f'Promise.DontWait(() => {{ Pr("L{lab} dw"); return {self.csname(mm, variant)}({arg}, -1); }}, '
                f'f{lab} => Pr("L{lab} dwh " + En(f{lab})));')

    # ------------------------------------------------------------ C# async rendering
    def seq_csa(self, ss, j, ind, ex=None):
        pad = '  ' * ind
        out = []
        for s in ss:
            t = s[0]
            if t == 'tr':
                out.append(f'{pad}Pr("L{s[1]} acc=" + acc + " k=" + K.Value);')
            elif t == 'setk':
                out.append(f'{pad}K.Value = {s[1]};')
            elif t == 'cself':
                out.append(f'{pad}Pr("cancel self " + s); if (s >= 0) Wk(() => p[s].Cancel());')
            elif t == 'cp':
                out.append(pad + self.checkpoint()[1])
            elif t == 'act':
                out.append(pad + self.act_cs(s[1]))
            elif t == 'drain':
                out.append(f'{pad}if (p[{s[1]}].IsPending) Wk(() => r[{s[1]}].ResolveNow({s[2]}));')
            elif t == 'end':
                out.append(f'{pad}for (int z = 0; z < 16; z++) await Promise.Pause();')
                out.append(pad + self.checkpoint()[1] + ' Pr("end"); Live = false;')
            elif t == 'start':
                _, k, mm, arg = s
                out.append(f'{pad}p[{k}] = {self.csname(mm, "async")}({self.argx(arg, j, False)}, {k});')
            elif t in ('cb', 'map'):
                out.append(pad + self.cb_cs(s))
            elif t in ('async', 'dontwait'):
                out.append(pad + self.async_cs(s, 'async', j))
            elif t == 'throw':
                out.append(f'{pad}throw new E({s[1]});')
            elif t == 'rethrow':
                out.append(f'{pad}throw;')
            elif t == 'tail':
                pre, e, isint = self.aw_cs(s[1], j, 'async')
                if self.methods[j][0] == 'i':
                    out.append(f'{pad}{{ Pr("L{s[2]} tail"); {pre}return await Promise.ReturnFrom({e}); }}')
                else:
                    out.append(f'{pad}{{ Pr("L{s[2]} tail"); {pre}await Promise.ReturnFrom({e}); }}')
            elif t == 'await':
                pre, e, isint = self.aw_cs(s[1], j, 'async')
                if s[2] % 5 == 0:
                    e = f'({e}).ConfigureAwait(false)'
                if isint:
                    out.append(f'{pad}{{ {pre}int v = await {e}; acc += v; Pr("L{s[2]} got " + v); }}')
                else:
                    out.append(f'{pad}{{ {pre}await {e}; int v = 0; acc += v; Pr("L{s[2]} got " + v); }}')
            elif t == 'try':
                _, body, hs = s
                out.append(f'{pad}try {{')
                out += self.seq_csa(body, j, ind + 1, ex)
                for kind, _, lab, hb in hs:
                    ev = f'e{lab}'
                    c = {'E': f'catch (E {ev})', 'Eeven': f'catch (E {ev}) when ({ev}.N % 2 == 0)',
                         'Canceled': f'catch (OperationCanceledException {ev})', 'all': f'catch (Exception {ev})'}[kind]
                    out.append(f'{pad}}} {c} {{')
                    out.append(f'{pad}  Pr("L{lab} caught " + En({ev}));')
                    out += self.seq_csa(hb, j, ind + 1, ev)
                out.append(f'{pad}}}')
            elif t == 'finally':
                _, body, fb, lab = s
                out.append(f'{pad}try {{')
                out += self.seq_csa(body, j, ind + 1, ex)
                out.append(f'{pad}}} finally {{')
                out += self.seq_csa(fb, j, ind + 1, ex)
                out.append(f'{pad}}}')
            elif t == 'loop':
                _, cnt, body, lab = s
                out.append(f'{pad}for (int k{lab} = 0; k{lab} < {cnt}; k{lab}++) {{')
                out += self.seq_csa(body, j, ind + 1, ex)
                out.append(f'{pad}}}')
            else:
                raise ValueError(t)
        return out

    def render(self):
        n = self.n
        # OCaml
        ml = []
        for j, (kind, body) in enumerate(self.methods):
            ret = 'Lwt.return (!acc + 1000)' if kind == 'i' else 'Lwt.return 0'
            # with tails, one recursive group (mrec calls later methods too)
            lr = 'and' if self.kinds is not None and j > 0 else 'let rec'
            if body[-1][0] == 'tail':
                # the last callback returns the tail's promise (the bind's promise becomes it)
                ml.append(f'{lr} {self.mname(j)} x s = safe (fun () -> let acc = ref x in pr ("M{j} start x=" ^ string_of_int x); '
                          f'{self.seq_ml(body, j)})')
                continue
            ml.append(f'{lr} {self.mname(j)} x s = safe (fun () -> let acc = ref x in pr ("M{j} start x=" ^ string_of_int x); '
                      f'bnd ({self.seq_ml(body, j)}) (fun () -> pr ("M{j} done acc=" ^ string_of_int !acc); {ret}))')
        init = []
        for k, t in enumerate(self.slots):
            if k in self.res:
                init.append(self.create_ml(k, self.canc[k]) + ';')
            else:
                init.append(f'p.({k}) <- Lwt.return 0; r.({k}) <- snd (Lwt.wait ());')
        ml.append(f'let p{n}_main () = safe (fun () -> let acc = ref 0 in ' + self.seq_ml(self.main, None) + ')')
        ml.append(f'let prog_{n} () = live := true; pr "== {n}"; Lwt.abandon_paused (); ' + ' '.join(init) +
                  f' (try Lwt_main.run (p{n}_main ()) with e -> pr ("main " ^ en e)); live := false')
        # C#
        cs = []
        for variant in ('async', 'bind'):
            for j, (kind, body) in enumerate(self.methods):
                name = self.csname(j, variant)
                if variant == 'async':
                    ty = 'Promise<int>' if kind == 'i' else 'Promise'
                    cs.append(f'  static async {ty} {name}(int x, int s) {{')
                    cs.append(f'    int acc = x; Pr("M{j} start x=" + x);')
                    cs += self.seq_csa(body, j, 2)
                    cs.append(f'    Pr("M{j} done acc=" + acc);')
                    if kind == 'i':
                        cs.append('    return acc + 1000;')
                    cs.append('  }')
                else:
                    # Promise.Bind form: the start, then the body (a tail call's body ends in
                    # the promise it returns), or the body bound to the method's end.
                    typed = kind == 'i'
                    head = (f'  static {"Promise<int>" if typed else "Promise"} {name}(int x, int s) => '
                            f'{"SafeI" if typed else "Safe"}(() => {{ int acc = x; Pr("M{j} start x=" + x); ')
                    if body[-1][0] == 'tail':
                        rest = self.seq_csb(body, j, None, "i") if typed else self.seq_csb(body, j)
                    else:
                        bnd, ret = (('BndI', 'return Promise.Return(acc + 1000);') if typed
                                    else ('Bnd', 'return Promise.ReturnUnit;'))
                        rest = (f'return {bnd}(Safe(() => {{ {self.seq_csb(body, j)} }}), {self.fresh()} => '
                                f'{{ Pr("M{j} done acc=" + acc); {ret} }});')
                    cs.append(head + rest + ' });')
        cs.append(f'  static async Promise P{n}Main() {{')
        cs.append(f'    int acc = 0; P{n}Init();')
        cs += self.seq_csa(self.main, None, 2)
        cs.append('  }')
        cs.append(f'  static Promise P{n}MainB() => Safe(() => {{ int acc = 0; P{n}Init(); {self.seq_csb(self.main, None)} }});')
        init = []
        for k, t in enumerate(self.slots):
            if k in self.res:
                init.append(self.create_cs(k, self.canc[k]))
            else:
                init.append(f'p[{k}] = ' + ('Promise.Return(0)' if t == 'i' else 'Promise.ReturnUnit') + f'; r[{k}] = Promise.Create<int>().Resolver;')
        # made on the loop: a promise of no loop awaited on a loop resumes through the loop's
        # context (a hop, PromiseMethodBuilder.cs), unlike an Lwt callback
        cs.append(f'  static void P{n}Init() {{ ' + ' '.join(init) + ' }')
        cs.append(f'  static void Prog{n}(bool bind) {{')
        cs.append(f'    Live = true; Pr("== {n}"); Promise.AbandonPaused();')
        cs.append(f'    try {{ RunMain(bind ? (Func<Promise>)P{n}MainB : P{n}Main); }} catch (Exception e) {{ Pr("main " + En(e)); }}')
        cs.append('    Live = false;')
        cs.append('  }')
        return '\n'.join(ml), '\n'.join(cs)


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    maxsteps = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    os.makedirs(out, exist_ok=True)
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
    with open(os.path.join(out, 'Progs.cs'), 'w') as f:
        f.write(CS_PRELUDE)
        f.write('\n'.join(css))
        f.write('\n  static void Main(string[] args) {\n')
        f.write('    bool bind = args.Length > 0 && args[0] == "bind";\n')
        f.write('    OffLoop = args.Length > 1 && args[1] == "offloop";\n')
        f.write('    Promise.AsyncExceptionHook = e => Pr("hook " + En(e));\n')
        for n in range(count):
            f.write(f'    Prog{n}(bind); Console.Out.Write(Out.ToString()); Out.Clear();\n')
        f.write('  }\n}\n')


main()
