#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area timed:
#   sleep    Lwt_unix.sleep/timeout/with_timeout, Lwt.pause/Lwt_unix.yield, pick/choose of timers,
#            cancel of timers, Lwt_main.run ending with timers pending (each program in its own
#            Lwt_main.run; time unit 60 ms);
#   tmo      Lwt_timeout create/start/stop/change/set_exn_handler (all programs at once in one
#            Lwt_main.run; time unit 0.5 s, see below);
#   thr      Lwt_throttle create/wait and cancel of a waiting call (likewise).
# Extra args: FAMILIES (comma list, default sleep,tmo,thr) and MAXSTEPS (10).
#
# Timers make traces depend on the clock, so every program is generated with a model of its
# nominal times (in units): distinct events are never less than one unit apart, and each trace
# line carries its slot (its time in units, rounded). cmp.py compares the lines in order; lines
# of the same slot that differ only in order are counted apart (`same-slot-order`), as the order
# of simultaneous events is where Lwt's documentation is silent.
#
# tmo: Lwt's Lwt_timeout keeps a wheel of one-second buckets turned by a `sleep 1.` loop, so an
# action runs at the first tick at least `delay` seconds after start (ticks at whole seconds
# while the wheel turns); ours runs exactly `delay` seconds after start. A keeper timeout
# (delay 1000) started at time 0 keeps Lwt's wheel turning with ticks at whole seconds, and the
# programs act at half seconds, where Lwt's action of delay d started at s runs at s + d + 0.5:
# the C# programs use delay d + 0.5 for a start at a half second (and d for a start from an
# action, which runs on a tick). So the two agree on order; only Lwt's granularity is modelled.
# thr: each program's throttle gets keeper calls (key 0) at time 0, which keep its one-second
# window timer running with turns at whole seconds; the program acts at half seconds.
import random, sys, os

KNOWN = os.environ.get('KNOWN', '') == '1'
HERE = os.path.dirname(os.path.abspath(__file__))


class P:
    def __init__(self, rng, k):
        self.r = rng
        self.k = k
        self.ml = []
        self.cs = []
        self.nslot = 0
        self.now = 0
        self.turn = 0
        self.busy = {}      # nominal time -> list of (turn, duration)
        self.flags = set()
        self.lastpause = False
        self.turnkind = 'start'   # how main's current turn began: start, adv (a timer) or pause

    def emit(self, ml, cs):
        self.ml.append(ml)
        self.cs.append(cs)

    def slot(self):
        k = self.nslot
        self.nslot += 1
        return k

    def free(self, t, d, tie_ok=False):
        """A timer started now with duration d fires at t: is that far enough from the others?"""
        if t not in self.busy:
            return True
        if tie_ok and all(e == (self.turn, d) for e in self.busy[t]):
            return True
        return False

    def take(self, t, d):
        self.busy.setdefault(t, []).append((self.turn, d))
        if len(self.busy[t]) > 1:
            self.flags.add('tie')

    def dur(self, lo=1, hi=6, base=None, tie=0.04):
        base = self.now if base is None else base
        for _ in range(30):
            d = self.r.randint(lo, hi)
            if self.free(base + d, d, tie_ok=self.r.random() < tie):
                return d
        return None


# ---------------------------------------------------------------- sleep family
def ml_u(d):
    return f"({d}. *. !unit_s)"

def cs_u(d):
    return f"({d} * Rt.UnitS)"


def body(p, k):
    """The function given to with_timeout; returns (ml, cs, fire_time or None)."""
    r = p.r
    v = r.randint(1, 9)
    kind = r.choice(['sleep_ok', 'sleep_ok', 'sleep_fail', 'ret', 'fail', 'raise', 'pause', 'task', 'wait', 'tmo'])
    if kind in ('sleep_ok', 'sleep_fail', 'tmo'):
        d = p.dur()
        if d is None:
            kind = 'ret'
        else:
            p.take(p.now + d, d)
            if kind == 'sleep_ok':
                return (f"(fun () -> Lwt_unix.sleep {ml_u(d)} >>= fun () -> log c \"b{k}\"; Lwt.return {v})",
                        f"() => LwtUnix.Sleep({cs_u(d)}).Bind(() => {{ Rt.Log(c, \"b{k}\"); return Promise.Return({v}); }})")
            if kind == 'sleep_fail':
                return (f"(fun () -> Lwt_unix.sleep {ml_u(d)} >>= fun () -> log c \"b{k}\"; Lwt.fail (E {v}))",
                        f"() => LwtUnix.Sleep({cs_u(d)}).Bind(() => {{ Rt.Log(c, \"b{k}\"); return Promise.Fail<int>(new E({v})); }})")
            return (f"(fun () -> Lwt_unix.timeout {ml_u(d)} >>= fun () -> Lwt.return {v})",
                    f"() => LwtUnix.Timeout({cs_u(d)}).Bind(() => Promise.Return({v}))")
    if kind == 'ret':
        return f"(fun () -> Lwt.return {v})", f"() => Promise.Return({v})"
    if kind == 'fail':
        return f"(fun () -> Lwt.fail (E {v}))", f"() => Promise.Fail<int>(new E({v}))"
    if kind == 'raise':
        return f"(fun () -> raise (E {v}))", f"() => throw new E({v})"
    if kind == 'pause':
        p.flags.add('pause')
        p.lastpause = True
        return (f"(fun () -> Lwt.pause () >>= fun () -> log c \"b{k}\"; Lwt.return {v})",
                f"() => Promise.Pause().Bind(() => {{ Rt.Log(c, \"b{k}\"); return Promise.Return({v}); }})")
    if kind == 'task':
        return "(fun () -> fst (Lwt.task ()))", "() => Promise.CreateCancelable<int>().Promise"
    return "(fun () -> fst (Lwt.wait ()))", "() => Promise.Create<int>().Promise"


def sleep_step(p):
    r = p.r
    ops = ['sleep'] * 4 + ['timeout'] * 2 + ['with_timeout'] * 4 + ['pick', 'choose', 'cancel', 'cancel',
           'state', 'fiber', 'fiber', 'pause', 'adv', 'adv', 'adv', 'adv', 'adv']
    op = r.choice(ops)
    if op in ('sleep', 'timeout'):
        k = p.slot()
        if r.random() < 0.08:
            d = 0
            p.flags.add('zero')
            p.lastpause = True
        else:
            d = p.dur()
            if d is None:
                return
            p.take(p.now + d, d)
        fn_ml = 'Lwt_unix.sleep' if op == 'sleep' else 'Lwt_unix.timeout'
        fn_cs = 'LwtUnix.Sleep' if op == 'sleep' else 'LwtUnix.Timeout'
        p.emit(f"log c \"{op} p{k} {d}\"; watch c {k} ({fn_ml} {ml_u(d)}) show_unit;",
               f"Rt.Log(c, \"{op} p{k} {d}\"); Rt.Watch(c, {k}, {fn_cs}({cs_u(d)}));")
    elif op == 'with_timeout':
        k = p.slot()
        d = p.dur()
        if d is None:
            return
        p.take(p.now + d, d)
        bml, bcs, = body(p, k)
        p.emit(f"log c \"with_timeout p{k} {d}\"; watch c {k} (Lwt_unix.with_timeout {ml_u(d)} {bml}) show_int;",
               f"Rt.Log(c, \"with_timeout p{k} {d}\"); Rt.Watch(c, {k}, LwtUnix.WithTimeout<int>({cs_u(d)}, {bcs}));")
    elif op in ('pick', 'choose'):
        k = p.slot()
        n = r.randint(2, 3)
        parts_ml, parts_cs = [], []
        for i in range(n):
            d = p.dur(tie=0.08)
            if d is None:
                continue
            p.take(p.now + d, d)
            parts_ml.append(f"(Lwt_unix.sleep {ml_u(d)} >|= fun () -> {i + 1})")
            parts_cs.append(f"LwtUnix.Sleep({cs_u(d)}).Map(() => {i + 1})")
        if not parts_ml:
            return
        fm = 'Lwt.pick' if op == 'pick' else 'Lwt.choose'
        fc = 'Promise.Pick' if op == 'pick' else 'Promise.Choose'
        keep_ml = '' if op == 'pick' else ' List.iter (keep c) l;'
        keep_cs = '' if op == 'pick' else ' foreach (var q in l) Rt.Keep(c, q);'
        # let-bound one by one: OCaml evaluates a list's elements right to left
        binds = ' '.join(f"let x{i} = {e} in" for i, e in enumerate(parts_ml))
        xs = '; '.join(f"x{i}" for i in range(len(parts_ml)))
        p.emit(f"log c \"{op} p{k}\"; ({binds} let l = [{xs}] in{keep_ml} watch c {k} ({fm} l) show_int);",
               f"Rt.Log(c, \"{op} p{k}\"); {{ var l = new Promise<int>[] {{ {', '.join(parts_cs)} }};{keep_cs} Rt.Watch(c, {k}, {fc}(l)); }}")
    elif op == 'cancel':
        if p.nslot == 0:
            return
        j = r.randrange(p.nslot)
        p.emit(f"cancel c {j};", f"Rt.Cancel(c, {j});")
    elif op == 'state':
        if p.nslot == 0:
            return
        j = r.randrange(p.nslot)
        p.emit(f"st c {j};", f"Rt.St(c, {j});")
    elif op == 'fiber':
        f = p.slot()  # the fiber's promise has a slot too (not watched: only its final state)
        d1 = p.dur()
        if d1 is None:
            return
        p.take(p.now + d1, d1)
        act_ml, act_cs = '', ''
        if p.nslot > 1 and r.random() < 0.6:
            j = r.randrange(p.nslot - 1)
            act_ml, act_cs = f" cancel c {j};", f" Rt.Cancel(c, {j});"
        save = p.now
        p.now += d1
        p.turn += 1
        d2 = p.dur()
        p.now = save
        p.turn += 1
        if d2 is None:
            second_ml, second_cs = "Lwt.return_unit", "Promise.ReturnUnit"
        else:
            p.take(p.now + d1 + d2, d2)
            second_ml = f"Lwt_unix.sleep {ml_u(d2)} >>= fun () -> log c \"f{f}.2\"; Lwt.return_unit"
            second_cs = f"LwtUnix.Sleep({cs_u(d2)}).Bind(() => {{ Rt.Log(c, \"f{f}.2\"); return Promise.ReturnUnit; }})"
        p.emit(f"log c \"fiber p{f}\"; (let q = Lwt_unix.sleep {ml_u(d1)} >>= fun () -> log c \"f{f}.1\";{act_ml} {second_ml} in "
               f"c.states.({f}) <- (fun () -> state q show_unit); c.cancels.({f}) <- (fun () -> Lwt.cancel q));",
               f"Rt.Log(c, \"fiber p{f}\"); {{ var q = LwtUnix.Sleep({cs_u(d1)}).Bind(() => {{ Rt.Log(c, \"f{f}.1\");{act_cs} return {second_cs}; }}); "
               f"c.States[{f}] = () => Rt.State(q); c.Cancels[{f}] = () => q.Cancel(); }}")
    elif op == 'pause':
        p.lastpause = False
        p.turnkind = 'pause'
        p.turn += 1
        if r.random() < 0.3:
            p.flags.add('yield')
            p.emit("Lwt_unix.yield () >>= fun () -> log c \"yielded\";",
                   "await LwtUnix.Yield(); Rt.Log(c, \"yielded\");")
        else:
            p.flags.add('pause')
            p.emit("Lwt.pause () >>= fun () -> log c \"paused\";",
                   "await Promise.Pause(); Rt.Log(c, \"paused\");")
    elif op == 'adv':
        for _ in range(30):
            d = r.randint(1, 4)
            if (p.now + d) not in p.busy:
                break
        else:
            return
        p.take(p.now + d, d)
        p.now += d
        p.turn += 1
        p.lastpause = False
        p.turnkind = 'adv'
        p.emit(f"Lwt_unix.sleep {ml_u(d)} >>= fun () -> log c \"adv\";",
               f"await LwtUnix.Sleep({cs_u(d)}); Rt.Log(c, \"adv\");")


def gen_sleep(p, maxsteps):
    nsteps = p.r.randint(3, maxsteps)
    for _ in range(nsteps):
        sleep_step(p)
    # sometimes wait until every timer has fired, otherwise end with timers pending
    if p.r.random() < 0.5 and p.busy:
        last = max(p.busy)
        if last >= p.now:
            d = last - p.now + 1
            p.now += d
            p.emit(f"Lwt_unix.sleep {ml_u(d)} >>= fun () -> log c \"adv\";",
                   f"await LwtUnix.Sleep({cs_u(d)}); Rt.Log(c, \"adv\");")
    if p.lastpause and not KNOWN and ('zero' in p.flags or p.turnkind != 'adv'):
        # The program would end with promises paused in its last turn: after a sleep 0 (Lwt's
        # is a timer, which Lwt_main.run may return before firing; ours is a pause), or in a
        # turn that did not begin with a timer (Lwt 5.6.1's Lwt_main.run wakes the paused
        # promises once more before it looks at its promise; later Lwt does not, nor does
        # ours: README, Known differences). The main promise sleeps once more.
        d = 1
        while p.now + d in p.busy:
            d += 1
        p.take(p.now + d, d)
        p.now += d
        p.emit(f"Lwt_unix.sleep {ml_u(d)} >>= fun () -> log c \"adv\";",
               f"await LwtUnix.Sleep({cs_u(d)}); Rt.Log(c, \"adv\");")
    ml = [f"let prog_{p.k} () =", f"  let c = mk {p.k} in", "  unit_s := 0.06;",
          f"  run_seq c {p.nslot} (fun () ->"]
    ml += ["    " + s for s in p.ml]
    ml += ["    Lwt.return_unit)", ""]
    cs = [f"    static void Prog{p.k}()", "    {", f"        var c = new Ctx({p.k});", "        Rt.UnitS = 0.06;",
          f"        Rt.RunSeq(c, {p.nslot}, async () =>", "        {"]
    cs += ["            " + s for s in p.cs]
    cs += ["        });", "    }", ""]
    return ml, cs, 'seq'


def main():
    seed, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    fams = (sys.argv[4] if len(sys.argv) > 4 else 'sleep,tmo,thr').split(',')
    maxsteps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    rng = random.Random(seed)
    ml = [open(os.path.join(HERE, 'prelude.ml')).read()]
    cs = ["using Lwt;", "", "public static class Progs", "{"]
    seq, conc, meta = [], [], []
    for k in range(n):
        fam = rng.choice(fams)
        p = P(random.Random(rng.random()), k)
        if fam == 'sleep':
            m, c, how = gen_sleep(p, maxsteps)
        elif fam == 'tmo':
            m, c, how = gen_tmo(p, maxsteps)
        else:
            m, c, how = gen_thr(p, maxsteps)
        ml += m
        cs += c
        (seq if how == 'seq' else conc).append(k)
        meta.append(f"{k} {fam} {' '.join(sorted(p.flags))}")
    # sequential programs first, then the concurrent ones in one run
    ml.append("let () =")
    ml.append("  warm_up ();")
    for k in seq:
        ml.append(f"  prog_{k} ();")
    if conc:
        ml.append("  unit_s := 0.5;")
        ml.append("  let keeper = Lwt_timeout.create 1000 ignore in Lwt_timeout.start keeper;")
        ml.append(f"  Lwt_main.run (Lwt.join [{'; '.join(f'prog_{k} ()' for k in conc)}]);")
        ml.append("  Lwt_timeout.stop keeper;")
    ml.append(f"  for k = 0 to {n - 1} do Printf.printf \"== %d\\n%s\" k (Buffer.contents bufs.(k)) done")
    cs += ["    public static void Main()", "    {", "        Rt.WarmUp();"]
    for k in seq:
        cs.append(f"        Prog{k}();")
    if conc:
        cs.append("        Rt.InitTimeoutHandler();")
        cs.append("        Rt.UnitS = 0.5;")
        cs.append("        LwtMain.Run(() => { var keeper = LwtTimeout.Create(1000, () => { }); keeper.Start(); "
                  f"return Promise.Join(new Promise[] {{ {', '.join(f'Prog{k}()' for k in conc)} }}).Map(() => {{ keeper.Stop(); return Unit.Value; }}); }});")
    cs.append(f"        var o = new System.Text.StringBuilder(); for (int k = 0; k < {n}; k++) o.Append(\"== \").Append(k).Append('\\n').Append(Rt.Bufs[k]);")
    cs.append("        Console.Out.Write(o.ToString());")
    cs += ["    }", "}"]
    open(os.path.join(out, 'progs.ml'), 'w').write("\n".join(ml) + "\n")
    open(os.path.join(out, 'Progs.cs'), 'w').write("\n".join(cs) + "\n")
    open(os.path.join(out, 'meta.txt'), 'w').write("\n".join(meta) + "\n")


# ---------------------------------------------------------------- tmo family
# Times in half seconds: the program acts at odd units, Lwt's wheel ticks at even ones.
def gen_tmo(p, maxsteps):
    r = p.r
    nt = r.randint(1, 4)
    delay, fire, eff = {}, {}, {}
    ml, cs = [], []
    ml_head, cs_head = [], []

    def advance(a):
        for e in range(p.now + 1, p.now + a + 1):
            if e % 2:
                continue
            firing = [i for i in fire if fire[i] == e]
            if len(firing) > 1 and any(eff[i][0] in ('start', 'stop', 'change') for i in firing):
                p.flags.add('sametick')
            for i in firing:
                fire[i] = None
            for i in firing:
                kind, j, d = eff[i]
                if kind == 'start' and j in delay:
                    fire[j] = e + 2 * delay[j]
                elif kind == 'stop' and j in delay:
                    fire[j] = None
                elif kind == 'change' and j in delay:
                    delay[j] = d
                    if fire.get(j) is not None:
                        fire[j] = e + 2 * d
        p.now += a

    def act(op, i, main, d=None):
        """(ml, cs) of start/stop/change t_i; main: from the program (half second) or an action (tick)."""
        off = '0.5' if main else '0'
        if op == 'start':
            return f"tmo_do c {i} \"start\" Lwt_timeout.start t.({i});", f"Rt.TStart(c, {i}, t[{i}], {off});"
        if op == 'stop':
            return f"tmo_do c {i} \"stop\" Lwt_timeout.stop t.({i});", f"Rt.TStop(c, {i}, t[{i}]);"
        return (f"tmo_do c {i} \"change\" (fun x -> Lwt_timeout.change x {d}) t.({i});",
                f"Rt.TChange(c, {i}, t[{i}], {d}, {off});")

    for i in range(nt):
        d = r.choice([1, 1, 2, 2, 3]) if r.random() > 0.05 else r.choice([0, -1])
        e = r.choice(['none', 'none', 'raise', 'start', 'start', 'stop', 'change'])
        j = r.randrange(nt)
        d2 = r.randint(1, 3)
        eff[i] = (e, j, d2)
        if d >= 1:
            delay[i] = d
            fire[i] = None
        if e == 'none':
            body_ml, body_cs = '', ''
        elif e == 'raise':
            body_ml, body_cs = f" raise (TE ({p.k}, {i}))", f" throw new TE({p.k}, {i});"
        else:
            body_ml, body_cs = act(e, j, False, d2)
            body_ml, body_cs = ' ' + body_ml.rstrip(';'), ' ' + body_cs
        ml_head.append(f"t.({i}) <- tmo_create c {i} ({d}) (fun () -> log c \"a{i}\";{body_ml});")
        cs_head.append(f"t[{i}] = Rt.TCreate(c, {i}, {d}, () => {{ Rt.Log(c, \"a{i}\");{body_cs} }});")
    p.now = 1
    for _ in range(r.randint(3, maxsteps)):
        op = r.choice(['start'] * 4 + ['stop', 'stop', 'change', 'adv', 'adv', 'adv'])
        i = r.randrange(nt)
        if op == 'adv':
            a = 2 * r.randint(1, 3)
            advance(a)
            ml.append(f"Lwt_unix.sleep {a / 2} >>= fun () -> log c \"adv\";")
            cs.append(f"await LwtUnix.Sleep({a / 2}); Rt.Log(c, \"adv\");")
            continue
        d = r.randint(1, 3) if r.random() > 0.05 else 0
        m, c_ = act(op, i, True, d)
        ml.append(f"log c \"{op} t{i}{' ' + str(d) if op == 'change' else ''}\"; {m}")
        cs.append(f"Rt.Log(c, \"{op} t{i}{' ' + str(d) if op == 'change' else ''}\"); {c_}")
        if i in delay:
            if op == 'start':
                fire[i] = p.now + 2 * delay[i] + 1
            elif op == 'stop':
                fire[i] = None
            elif d >= 1:
                delay[i] = d
                if fire[i] is not None:
                    fire[i] = p.now + 2 * d + 1
    # let the started timeouts run out (sometimes), then stop them all
    pend = [f for f in fire.values() if f is not None]
    if pend and r.random() < 0.6:
        a = max(pend) - p.now + 1
        advance(a)
        ml.append(f"Lwt_unix.sleep {a / 2} >>= fun () -> log c \"adv\";")
        cs.append(f"await LwtUnix.Sleep({a / 2}); Rt.Log(c, \"adv\");")
    mlp = [f"let prog_{p.k} () =", f"  let c = tctxs.({p.k}) in start c;", f"  let t = Array.make {nt} None in"]
    mlp += ["  " + x for x in ml_head]
    mlp += ["  Lwt_unix.sleep 0.5 >>= fun () ->"]
    mlp += ["  " + x for x in ml]
    mlp += ["  log c \"end\"; Array.iter (function Some x -> Lwt_timeout.stop x | None -> ()) t; Lwt.return_unit", ""]
    csp = [f"    static async Promise Prog{p.k}()", "    {", f"        var c = Rt.TCtxs[{p.k}]; c.Start();", f"        var t = new TT[{nt}];"]
    csp += ["        " + x for x in cs_head]
    csp += ["        await LwtUnix.Sleep(0.5);"]
    csp += ["        " + x for x in cs]
    csp += ["        Rt.Log(c, \"end\"); foreach (var x in t) x?.T?.Stop();", "    }", ""]
    return mlp, csp, 'conc'


# ---------------------------------------------------------------- thr family
def gen_thr(p, maxsteps):
    r = p.r
    rate = r.randint(1, 3)
    steps = r.randint(3, maxsteps)
    length = steps * 3 + 4                     # seconds, an upper bound of the program's length
    keep = rate * (length + 2)
    mx = keep - rate + r.randint(1, 4)
    ml, cs = [], []
    p.now = 1
    for _ in range(steps):
        op = r.choice(['wait'] * 5 + ['cancel', 'state', 'adv', 'adv', 'adv'])
        if op == 'wait':
            k = p.slot()
            key = r.randint(1, 3)
            n = r.randint(1, 3) if r.random() < 0.3 else 1
            for _ in range(n - 1):
                ml.append(f"log c \"wait p{k} {key}\"; watch c {k} (Thr.wait th {key}) show_bool;")
                cs.append(f"Rt.Log(c, \"wait p{k} {key}\"); Rt.Watch(c, {k}, th.Wait({key}));")
                k = p.slot()
            ml.append(f"log c \"wait p{k} {key}\"; watch c {k} (Thr.wait th {key}) show_bool;")
            cs.append(f"Rt.Log(c, \"wait p{k} {key}\"); Rt.Watch(c, {k}, th.Wait({key}));")
        elif op == 'cancel' and p.nslot:
            p.flags.add('cancel')
            j = r.randrange(p.nslot)
            ml.append(f"cancel c {j};")
            cs.append(f"Rt.Cancel(c, {j});")
        elif op == 'state' and p.nslot:
            j = r.randrange(p.nslot)
            ml.append(f"st c {j};")
            cs.append(f"Rt.St(c, {j});")
        elif op == 'adv':
            a = 2 * r.randint(1, 3)
            ml.append(f"Lwt_unix.sleep {a / 2} >>= fun () -> log c \"adv\";")
            cs.append(f"await LwtUnix.Sleep({a / 2}); Rt.Log(c, \"adv\");")
    n = p.nslot
    mlp = [f"let prog_{p.k} () =", f"  let c = tctxs.({p.k}) in start c;",
           f"  let th = Thr.create ~rate:{rate} ~max:{mx} ~n:4 in",
           f"  for _ = 1 to {keep} do keep c (Thr.wait th 0) done;",
           "  Lwt_unix.sleep 0.5 >>= fun () ->"]
    mlp += ["  " + x for x in ml]
    mlp += ["  log c \"end\";",
            f"  for k = 0 to {n - 1} do log c (Printf.sprintf \"final p%d %s\" k (c.states.(k) ())) done;",
            f"  for k = 0 to {n - 1} do c.cancels.(k) () done; List.iter (fun f -> f ()) c.extra; Lwt.return_unit", ""]
    csp = [f"    static async Promise Prog{p.k}()", "    {", f"        var c = Rt.TCtxs[{p.k}]; c.Start();",
           f"        var th = LwtThrottle.Create<int>({rate}, {mx}, 4);",
           f"        for (int i = 0; i < {keep}; i++) Rt.Keep(c, th.Wait(0));",
           "        await LwtUnix.Sleep(0.5);"]
    csp += ["        " + x for x in cs]
    csp += ["        Rt.Log(c, \"end\");",
            f"        for (int k = 0; k < {n}; k++) Rt.Log(c, $\"final p{{k}} {{c.States[k]()}}\");",
            f"        for (int k = 0; k < {n}; k++) c.Cancels[k](); foreach (var f in c.Extra) f();", "    }", ""]
    return mlp, csp, 'conc'

if __name__ == '__main__':
    main()
