#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area syncstream:
# Lwt_mutex, Lwt_condition, Lwt_mvar, Lwt_pool, Lwt_switch and Lwt_stream (creation, push/close,
# get/peek/nget/junk/..., map/filter/fold/iter family, clone/choose/combine/append/concat). Extra args:
# MODS (comma list of mutex,mvar,switch,pool,pool_safe,stream) and MAXSTEPS.
"""Differential fuzzer generator: Lwt_mutex/condition/mvar/pool/switch/stream vs our C# port.
Usage: gen.py SEED N OUTDIR [modules]
Writes OUTDIR/prog.ml and OUTDIR/Program.cs (N programs each)."""
import random, sys, os

HERE = os.path.dirname(os.path.abspath(__file__))


class Prog:
    def __init__(self, rng):
        self.rng = rng
        self.ml_decl = []   # OCaml let-bindings (each ends with ' in')
        self.cs_decl = []
        self.steps = []     # (desc, ml, cs)
        self.dump_ml = 'log "  -"'
        self.dump_cs = 'Log("  -");'
        self.nslot = 0

    def slot(self):
        k = self.nslot
        self.nslot += 1
        return k

    def add(self, desc, ml, cs):
        self.steps.append((desc, ml, cs))


def kind(rng, allow_raise=False, allow_pause=True):
    ks = [0, 0, 0, 0, 1, 2, 2, 2]
    if allow_pause:
        ks += [3]
    if allow_raise:
        ks += [4]
    return rng.choice(ks)


def common_steps(P, weights):
    rng = P.rng
    opts = []
    opts.append((weights.get('cancel', 3), 'cancel'))
    opts.append((weights.get('resolve', 4), 'resolve'))
    opts.append((weights.get('reject', 1), 'reject'))
    opts.append((weights.get('pause', 1), 'pause'))
    opts.append((weights.get('wakeup_paused', 2), 'wakeup_paused'))
    return opts


def do_common(P, what):
    rng = P.rng
    if what == 'cancel':
        if P.nslot == 0:
            return False
        k = rng.randrange(P.nslot)
        P.add(f"cancel p{k}", f"cancel {k}", f"Cancel({k});")
    elif what == 'resolve':
        j = rng.randrange(5)
        v = rng.randrange(-2, 20)
        now = rng.random() < 0.3
        P.add(f"resolve r{j} {v}", f"resolve {j} ({v}) {'true' if now else 'false'}",
              f"Resolve({j}, {v}, {'true' if now else 'false'});")
    elif what == 'reject':
        j = rng.randrange(5)
        n = rng.randrange(1, 9)
        P.add(f"reject r{j} E{n}", f"reject {j} {n}", f"Reject({j}, {n});")
    elif what == 'pause':
        k = P.slot()
        P.add(f"p{k}=pause", f"reg {k} show_unit (Lwt.pause ())", f"RegU({k}, Promise.Pause());")
    elif what == 'wakeup_paused':
        P.add("wakeup_paused", "Lwt.wakeup_paused ()", "Promise.WakeupPaused();")
    return True


def pick(rng, opts):
    tot = sum(w for w, _ in opts)
    r = rng.uniform(0, tot)
    for w, o in opts:
        r -= w
        if r <= 0:
            return o
    return opts[-1][1]


# ---------------------------------------------------------------- mutex + condition
def gen_mutex(P, nsteps):
    rng = P.rng
    P.ml_decl.append("let m0 = Lwt_mutex.create () in let m1 = Lwt_mutex.create () in let c0 = Lwt_condition.create () in")
    P.cs_decl.append("var m0 = LwtMutex.Create(); var m1 = LwtMutex.Create(); var c0 = LwtCondition<int>.Create();")
    P.dump_ml = 'log (Printf.sprintf "  st m0=%b,%b m1=%b,%b" (Lwt_mutex.is_locked m0) (Lwt_mutex.is_empty m0) (Lwt_mutex.is_locked m1) (Lwt_mutex.is_empty m1))'
    P.dump_cs = 'Log($"  st m0={B(m0.IsLocked)},{B(m0.IsEmpty)} m1={B(m1.IsLocked)},{B(m1.IsEmpty)}");'
    opts = [(5, 'lock'), (4, 'unlock'), (4, 'with_lock'), (3, 'thread'), (3, 'wait'), (3, 'wait_m'),
            (3, 'signal'), (2, 'broadcast'), (1, 'broadcast_exn'), (1, 'rewait')] + common_steps(P, {})
    i = 0
    while i < nsteps:
        o = pick(rng, opts)
        m = rng.choice(['m0', 'm1'])
        if o == 'lock':
            k = P.slot()
            P.add(f"p{k}=lock {m}", f"reg {k} show_unit (Lwt_mutex.lock {m})", f"RegU({k}, {m}.Lock());")
        elif o == 'unlock':
            P.add(f"unlock {m}", f'if Lwt_mutex.is_locked {m} then Lwt_mutex.unlock {m} else log "  not locked"',
                  f'if ({m}.IsLocked) {m}.Unlock(); else Log("  not locked");')
        elif o == 'with_lock':
            k = P.slot(); kd = kind(rng, allow_raise=True); a = rng.randrange(20)
            P.add(f"p{k}=with_lock {m} {kd},{a}", f'reg {k} show_int (Lwt_mutex.with_lock {m} (fun () -> act "wl{k}" {kd} {a}))',
                  f'Reg({k}, {m}.WithLock(() => Act("wl{k}", {kd}, {a})));')
        elif o == 'thread':
            k = P.slot(); kd = kind(rng); a = rng.randrange(20)
            P.add(f"p{k}=thread {m} {kd},{a}",
                  f'reg {k} show_int (Lwt_mutex.lock {m} >>= fun () -> act "t{k}" {kd} {a} >>= fun v -> (if Lwt_mutex.is_locked {m} then Lwt_mutex.unlock {m}); Lwt.return v)',
                  f'Reg({k}, {m}.Lock().Bind(() => Act("t{k}", {kd}, {a}).Bind(v => {{ if ({m}.IsLocked) {m}.Unlock(); return Promise.Return(v); }})));')
        elif o == 'wait':
            k = P.slot()
            P.add(f"p{k}=wait", f"reg {k} show_int (Lwt_condition.wait c0)", f"Reg({k}, c0.Wait());")
        elif o == 'wait_m':
            k = P.slot()
            P.add(f"p{k}=wait ~mutex:{m}", f'if Lwt_mutex.is_locked {m} then reg {k} show_int (Lwt_condition.wait ~mutex:{m} c0) else log "  skip"',
                  f'if ({m}.IsLocked) Reg({k}, c0.Wait({m})); else Log("  skip");')
        elif o == 'rewait':
            k = P.slot()
            P.add(f"p{k}=rewait", f'reg {k} show_int (Lwt_condition.wait c0 >>= fun v -> log ("  woke{k} " ^ string_of_int v); Lwt_condition.wait c0)',
                  f'Reg({k}, c0.Wait().Bind(v => {{ Log("  woke{k} " + v); return c0.Wait(); }}));')
        elif o == 'signal':
            v = rng.randrange(50)
            P.add(f"signal {v}", f"Lwt_condition.signal c0 {v}", f"c0.Signal({v});")
        elif o == 'broadcast':
            v = rng.randrange(50)
            P.add(f"broadcast {v}", f"Lwt_condition.broadcast c0 {v}", f"c0.Broadcast({v});")
        elif o == 'broadcast_exn':
            n = rng.randrange(1, 9)
            P.add(f"broadcast_exn E{n}", f"Lwt_condition.broadcast_exn c0 (E {n})", f"c0.BroadcastExn(new E({n}));")
        else:
            if not do_common(P, o):
                continue
        i += 1


# ---------------------------------------------------------------- mvar
def gen_mvar(P, nsteps):
    rng = P.rng
    if rng.random() < 0.5:
        v = rng.randrange(50)
        P.ml_decl.append(f"let v0 = Lwt_mvar.create {v} in")
        P.cs_decl.append(f"var v0 = LwtMVar<int>.Create({v});")
    else:
        P.ml_decl.append("let v0 = Lwt_mvar.create_empty () in")
        P.cs_decl.append("var v0 = LwtMVar<int>.CreateEmpty();")
    P.dump_ml = 'log (Printf.sprintf "  st empty=%b" (Lwt_mvar.is_empty v0))'
    P.dump_cs = 'Log($"  st empty={B(v0.IsEmpty)}");'
    opts = [(5, 'put'), (5, 'take'), (3, 'take_available'), (2, 'take_put'), (2, 'put_take')] + common_steps(P, {})
    i = 0
    while i < nsteps:
        o = pick(rng, opts)
        if o == 'put':
            k = P.slot(); v = rng.randrange(50)
            P.add(f"p{k}=put {v}", f"reg {k} show_unit (Lwt_mvar.put v0 {v})", f"RegU({k}, v0.Put({v}));")
        elif o == 'take':
            k = P.slot()
            P.add(f"p{k}=take", f"reg {k} show_int (Lwt_mvar.take v0)", f"Reg({k}, v0.Take());")
        elif o == 'take_available':
            P.add("take_available", 'log ("  ta " ^ show_opt show_int (Lwt_mvar.take_available v0))',
                  'Log("  ta " + Show(v0.TakeAvailable()));')
        elif o == 'take_put':
            k = P.slot()
            P.add(f"p{k}=take>>=put", f'reg {k} show_unit (Lwt_mvar.take v0 >>= fun v -> log ("  got{k} " ^ string_of_int v); Lwt_mvar.put v0 (v + 100))',
                  f'RegU({k}, v0.Take().Bind(v => {{ Log("  got{k} " + v); return v0.Put(v + 100); }}));')
        elif o == 'put_take':
            k = P.slot(); v = rng.randrange(50)
            P.add(f"p{k}=put>>=take", f'reg {k} show_int (Lwt_mvar.put v0 {v} >>= fun () -> log "  put{k} done"; Lwt_mvar.take v0)',
                  f'Reg({k}, v0.Put({v}).Bind(() => {{ Log("  put{k} done"); return v0.Take(); }}));')
        else:
            if not do_common(P, o):
                continue
        i += 1


# ---------------------------------------------------------------- switch
def gen_switch(P, nsteps):
    rng = P.rng
    P.ml_decl.append("let sw = Lwt_switch.create () in")
    P.cs_decl.append("var sw = LwtSwitch.Create();")
    P.dump_ml = 'log (Printf.sprintf "  st on=%b" (Lwt_switch.is_on sw))'
    P.dump_cs = 'Log($"  st on={B(sw.IsOn)}");'
    opts = [(5, 'add_hook'), (3, 'add_hook_or_exec'), (3, 'turn_off'), (2, 'check'), (2, 'with_switch'), (1, 'none')] + common_steps(P, {})
    i = 0
    h = 0
    while i < nsteps:
        o = pick(rng, opts)
        if o == 'add_hook':
            kd = kind(rng, allow_raise=True); a = rng.randrange(20); h += 1
            P.add(f"add_hook h{h} {kd},{a}", f'Lwt_switch.add_hook (Some sw) (fun () -> act_u "h{h}" {kd} {a})',
                  f'LwtSwitch.AddHook(sw, () => ActU("h{h}", {kd}, {a}));')
        elif o == 'add_hook_or_exec':
            k = P.slot(); kd = kind(rng); a = rng.randrange(20); h += 1
            P.add(f"p{k}=add_hook_or_exec h{h} {kd},{a}", f'reg {k} show_unit (Lwt_switch.add_hook_or_exec (Some sw) (fun () -> act_u "h{h}" {kd} {a}))',
                  f'RegU({k}, LwtSwitch.AddHookOrExec(sw, () => ActU("h{h}", {kd}, {a})));')
        elif o == 'turn_off':
            k = P.slot()
            P.add(f"p{k}=turn_off", f"reg {k} show_unit (Lwt_switch.turn_off sw)", f"RegU({k}, sw.TurnOff());")
        elif o == 'check':
            P.add("check", 'Lwt_switch.check (Some sw); log "  ok"', 'LwtSwitch.Check(sw); Log("  ok");')
        elif o == 'none':
            P.add("none", 'Lwt_switch.check None; Lwt_switch.add_hook None (fun () -> log "  nh"; Lwt.return_unit); log "  ok"',
                  'LwtSwitch.Check(null); LwtSwitch.AddHook(null, () => { Log("  nh"); return Promise.ReturnUnit; }); Log("  ok");')
        elif o == 'with_switch':
            k = P.slot(); kd = kind(rng, allow_raise=True); a = rng.randrange(20); kd2 = kind(rng, allow_raise=True); h += 1
            P.add(f"p{k}=with_switch {kd},{a} hook {kd2}",
                  f'reg {k} show_int (Lwt_switch.with_switch (fun s2 -> Lwt_switch.add_hook (Some s2) (fun () -> act_u "wh{h}" {kd2} 0); act "ws{k}" {kd} {a}))',
                  f'Reg({k}, LwtSwitch.WithSwitch<int>(s2 => {{ LwtSwitch.AddHook(s2, () => ActU("wh{h}", {kd2}, 0)); return Act("ws{k}", {kd}, {a}); }}));')
        else:
            if not do_common(P, o):
                continue
        i += 1


# ---------------------------------------------------------------- pool
def arr_ml(xs):
    return "[|" + ";".join(str(x) for x in xs) + "|]"


def arr_cs(xs):
    return "new int[]{" + ",".join(str(x) for x in xs) + "}"


def gen_pool_safe(P, nsteps):
    gen_pool(P, nsteps, safe=True)


def gen_pool(P, nsteps, safe=False):
    rng = P.rng
    mx = rng.choice([1, 1, 2, 2, 3])
    cb = [kind(rng, allow_raise=True) for _ in range(8)]
    vb = [rng.choice([0, 0, 0, 5, 1, 2, 2, 3]) for _ in range(8)]  # 5 = false
    if safe:
        cb = [rng.choice([0, 0, 2, 3]) for _ in range(8)]
        vb = [rng.choice([0, 0, 2, 3]) for _ in range(8)]
    db = [rng.choice([0, 0, 0, 1, 2, 2]) for _ in range(8)]
    use_validate = rng.random() < 0.6
    use_dispose = rng.random() < 0.6
    check_mode = rng.choice([0, 0, 1, 2])
    ml = f"let pc = ref 0 in let vc = ref 0 in let dc = ref 0 in let cb = {arr_ml(cb)} in let vb = {arr_ml(vb)} in let db = {arr_ml(db)} in\n"
    ml += "let create () = let i = !pc in incr pc; act (\"create\" ^ string_of_int i) cb.(i mod 8) (10 * (i + 1)) in\n"
    ml += "let validate c = let i = !vc in incr vc; let kd = vb.(i mod 8) in if kd = 5 then (log (\"  cb validate\" ^ string_of_int c ^ \" false\"); Lwt.return_false) else act (\"validate\" ^ string_of_int c) kd 1 >|= fun v -> v mod 2 <> 0 in\n"
    ml += "let dispose c = let i = !dc in incr dc; act_u (\"dispose\" ^ string_of_int c) db.(i mod 8) 0 in\n"
    ml += "let check c f = log (\"  check \" ^ string_of_int c); " + ("f (c mod 20 <> 0)" if check_mode == 1 else "()") + " in\n"
    args = ""
    if use_validate:
        args += " ~validate"
    if use_dispose:
        args += " ~dispose"
    if check_mode != 0:
        args += " ~check"
    ml += f"let pool = Lwt_pool.create {mx}{args} create in"
    P.ml_decl.append(ml)
    cs = f"int pc = 0, vc = 0, dc = 0; var cb = {arr_cs(cb)}; var vb = {arr_cs(vb)}; var db = {arr_cs(db)};\n"
    cs += "Func<Promise<int>> create = () => { int i = pc++; return Act(\"create\" + i, cb[i % 8], 10 * (i + 1)); };\n"
    cs += "Func<int, Promise<bool>> validate = c => { int i = vc++; int kd = vb[i % 8]; if (kd == 5) { Log(\"  cb validate\" + c + \" false\"); return Promise.ReturnFalse; } return Act(\"validate\" + c, kd, 1).Map(v => v % 2 != 0); };\n"
    cs += "Func<int, Promise> dispose = c => { int i = dc++; return ActU(\"dispose\" + c, db[i % 8], 0); };\n"
    cs += "Action<int, Action<bool>> check = (c, f) => { Log(\"  check \" + c); " + ("f(c % 20 != 0);" if check_mode == 1 else "") + " };\n"
    cs += f"var pool = LwtPool<int>.Create({mx}, create, {'validate' if use_validate else 'null'}, {'check' if check_mode else 'null'}, {'dispose' if use_dispose else 'null'});"
    P.cs_decl.append(cs)
    P.dump_ml = 'log (Printf.sprintf "  st wql=%d" (Lwt_pool.wait_queue_length pool))'
    P.dump_cs = 'Log($"  st wql={pool.WaitQueueLength}");'
    opts = [(8, 'use'), (0 if safe else 2, 'clear')] + common_steps(P, {'resolve': 6, 'reject': 0 if safe else 1, 'cancel': 3})
    i = 0
    while i < nsteps:
        o = pick(rng, opts)
        if o == 'use':
            k = P.slot(); kd = kind(rng, allow_raise=True) if not safe else rng.choice([0, 0, 2, 3]); a = rng.randrange(5)
            P.add(f"p{k}=use {kd},{a}", f'reg {k} show_int (Lwt_pool.use pool (fun c -> act ("use{k} " ^ string_of_int c) {kd} (c + {a})))',
                  f'Reg({k}, pool.Use(c => Act("use{k} " + c, {kd}, c + {a})));')
        elif o == 'clear':
            k = P.slot()
            P.add(f"p{k}=clear", f"reg {k} show_unit (Lwt_pool.clear pool)", f"RegU({k}, pool.Clear());")
        else:
            if not do_common(P, o):
                continue
        i += 1


# ---------------------------------------------------------------- stream
def gen_stream(P, nsteps):
    rng = P.rng
    src = rng.choice(['push', 'push', 'bounded', 'bounded', 'list', 'from', 'from', 'direct', 'return_lwt', 'return', 'of_seq'])
    streams = ['s0']
    producers = []
    if src == 'push':
        P.ml_decl.append("let (s0, push0) = Lwt_stream.create () in")
        P.cs_decl.append("var (s0, push0) = LwtStream.Create<int>();")
        producers.append('push')
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    elif src == 'bounded':
        n = rng.choice([0, 1, 1, 2, 3])
        P.ml_decl.append(f"let (s0, b0) = Lwt_stream.create_bounded {n} in")
        P.cs_decl.append(f"var (s0, b0) = LwtStream.CreateBounded<int>({n});")
        producers.append('bounded')
        dump_ml = ['Printf.sprintf "s0:%b b0:%d,%d,%b,%b" (Lwt_stream.is_closed s0) b0#size b0#count b0#blocked b0#closed']
        dump_cs = ['$"s0:{B(s0.IsClosed)} b0:{b0.Size},{b0.Count},{B(b0.Blocked)},{B(b0.Closed)}"']
    elif src == 'list':
        xs = [rng.randrange(30) for _ in range(rng.randrange(0, 6))]
        P.ml_decl.append("let s0 = Lwt_stream.of_list [" + ";".join(map(str, xs)) + "] in")
        P.cs_decl.append("var s0 = LwtStream.OfList(new int[]{" + ",".join(map(str, xs)) + "});")
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    elif src == 'from':
        fb = [rng.choice([0, 0, 0, 2, 2, 2, 1, 3, 5]) for _ in range(rng.randrange(2, 8))]
        P.ml_decl.append(f"let fc = ref 0 in let fb = {arr_ml(fb)} in let s0 = Lwt_stream.from (fun () -> let i = !fc in incr fc; let kd = if i < Array.length fb then fb.(i) else 5 in if kd = 5 then (log \"  cb from end\"; Lwt.return_none) else act (\"from\" ^ string_of_int i) kd (100 + i) >|= fun v -> if v < 0 then None else Some v) in")
        P.cs_decl.append(f"int fc = 0; var fb = {arr_cs(fb)}; var s0 = LwtStream.From<int>(() => {{ int i = fc++; int kd = i < fb.Length ? fb[i] : 5; if (kd == 5) {{ Log(\"  cb from end\"); return Promise.Return(Option<int>.None); }} return Act(\"from\" + i, kd, 100 + i).Map(v => v < 0 ? Option<int>.None : Option<int>.Some(v)); }});")
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    elif src == 'return_lwt':
        kd = rng.choice([0, 1, 2, 2, 3])
        P.ml_decl.append(f'let s0 = Lwt_stream.return_lwt (act "rl" {kd} 7) in')
        P.cs_decl.append(f'var s0 = LwtStream.ReturnLwt(Act("rl", {kd}, 7));')
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    elif src == 'return':
        P.ml_decl.append('let s0 = Lwt_stream.return 7 in')
        P.cs_decl.append('var s0 = LwtStream.Return(7);')
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    elif src == 'of_seq':
        xs = [rng.randrange(30) for _ in range(rng.randrange(0, 5))]
        P.ml_decl.append("let s0 = Lwt_stream.of_seq (List.to_seq [" + ";".join(map(str, xs)) + "]) in")
        P.cs_decl.append("var s0 = LwtStream.OfSeq(new int[]{" + ",".join(map(str, xs)) + "});")
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    else:
        xs = [rng.randrange(30) for _ in range(rng.randrange(0, 6))]
        P.ml_decl.append(f"let dl = ref [{';'.join(map(str, xs))}] in let s0 = Lwt_stream.from_direct (fun () -> match !dl with [] -> log \"  cb direct end\"; None | x :: r -> log \"  cb direct\"; dl := r; Some x) in")
        P.cs_decl.append(f"var dl = new Queue<int>(new int[]{{{','.join(map(str, xs))}}}); var s0 = LwtStream.FromDirect<int>(() => {{ if (dl.Count == 0) {{ Log(\"  cb direct end\"); return Option<int>.None; }} Log(\"  cb direct\"); return Option<int>.Some(dl.Dequeue()); }});")
        dump_ml = ['Printf.sprintf "s0:%b" (Lwt_stream.is_closed s0)']
        dump_cs = ['$"s0:{B(s0.IsClosed)}"']
    # secondary push stream sometimes
    has_a = rng.random() < 0.35
    if has_a:
        P.ml_decl.append("let (sa, pusha) = Lwt_stream.create () in")
        P.cs_decl.append("var (sa, pusha) = LwtStream.Create<int>();")
        producers.append('pusha')
        dump_ml.append('Printf.sprintf "sa:%b" (Lwt_stream.is_closed sa)')
        dump_cs.append('$"sa:{B(sa.IsClosed)}"')
    # derived streams
    nder = rng.choice([0, 0, 1, 1, 2])
    for d in range(nder):
        name = f"d{d}"
        base = rng.choice(streams)
        kinds = ['clone', 'map', 'filter', 'filter_map', 'map_list', 'map_s', 'filter_s', 'filter_map_s', 'map_list_s', 'wrap_exn', 'flatten']
        if src == 'bounded':
            kinds.remove('clone')
        if has_a:
            kinds += ['append', 'combine', 'concat']
        dk = rng.choice(kinds)
        kd = kind(rng)
        a = rng.randrange(10)
        if dk == 'clone':
            ml = f"Lwt_stream.clone {base}"; cs = f"{base}.Clone()"
        elif dk == 'map':
            ml = f'Lwt_stream.map (fun x -> log ("  map " ^ string_of_int x); x * 10) {base}'
            cs = f'{base}.Map(x => {{ Log("  map " + x); return x * 10; }})'
        elif dk == 'filter':
            ml = f'Lwt_stream.filter (fun x -> log ("  filter " ^ string_of_int x); x mod 2 = 0) {base}'
            cs = f'{base}.Filter(x => {{ Log("  filter " + x); return x % 2 == 0; }})'
        elif dk == 'filter_map':
            ml = f'Lwt_stream.filter_map (fun x -> log ("  fmap " ^ string_of_int x); if x mod 3 = 0 then None else Some (x + 1000)) {base}'
            cs = f'{base}.FilterMap(x => {{ Log("  fmap " + x); return x % 3 == 0 ? Option<int>.None : Option<int>.Some(x + 1000); }})'
        elif dk == 'map_list':
            ml = f'Lwt_stream.map_list (fun x -> log ("  mapl " ^ string_of_int x); if x mod 3 = 0 then [] else [x; x + 500]) {base}'
            cs = f'{base}.MapList(x => {{ Log("  mapl " + x); return x % 3 == 0 ? new int[0] : new int[]{{x, x + 500}}; }})'
        elif dk == 'map_s':
            ml = f'Lwt_stream.map_s (fun x -> act ("maps " ^ string_of_int x) {kd} (x + {a})) {base}'
            cs = f'{base}.MapS(x => Act("maps " + x, {kd}, x + {a}))'
        elif dk == 'filter_s':
            ml = f'Lwt_stream.filter_s (fun x -> act_b ("filts " ^ string_of_int x) {kd} {a} x) {base}'
            cs = f'{base}.FilterS(x => ActB("filts " + x, {kd}, {a}, x))'
        elif dk == 'filter_map_s':
            ml = f'Lwt_stream.filter_map_s (fun x -> act ("fmaps " ^ string_of_int x) {kd} (x + {a}) >|= fun v -> if v mod 2 = 0 then Some v else None) {base}'
            cs = f'{base}.FilterMapS(x => Act("fmaps " + x, {kd}, x + {a}).Map(v => v % 2 == 0 ? Option<int>.Some(v) : Option<int>.None))'
        elif dk == 'map_list_s':
            ml = f'Lwt_stream.map_list_s (fun x -> act ("mapls " ^ string_of_int x) {kd} (x + {a}) >|= fun v -> if v mod 2 = 0 then [] else [v; v + 1]) {base}'
            cs = f'{base}.MapListS(x => Act("mapls " + x, {kd}, x + {a}).Map(v => v % 2 == 0 ? (IEnumerable<int>)new int[0] : new int[]{{v, v + 1}}))'
        elif dk == 'wrap_exn':
            ml = f'Lwt_stream.map (function Ok x -> x | Error e -> log ("  werr " ^ exn_name e); -1) (Lwt_stream.wrap_exn {base})'
            cs = f'{base}.WrapExn().Map(r => {{ if (r.IsOk) return r.Value; Log("  werr " + Exn(r.ErrorValue)); return -1; }})'
        elif dk == 'flatten':
            ml = f'Lwt_stream.flatten (Lwt_stream.map (fun x -> if x mod 2 = 0 then [] else [x; x]) {base})'
            cs = f'LwtStream.Flatten({base}.Map(x => x % 2 == 0 ? (IEnumerable<int>)new int[0] : new int[]{{x, x}}))'
        elif dk == 'append':
            ml = f"Lwt_stream.append {base} sa"; cs = f"LwtStream.Append({base}, sa)"
        elif dk == 'combine':
            ml = f"Lwt_stream.map (fun (x, y) -> x * 1000 + y) (Lwt_stream.combine {base} sa)"
            cs = f"LwtStream.Combine({base}, sa).Map(p => p.Item1 * 1000 + p.Item2)"
        elif dk == 'choose':
            ml = f"Lwt_stream.choose [{base}; sa]"; cs = f"LwtStream.Choose({base}, sa)"
        elif dk == 'concat':
            ml = f"Lwt_stream.concat (Lwt_stream.of_list [{base}; sa])"; cs = f"LwtStream.Concat(LwtStream.OfList(new[]{{{base}, sa}}))"
        P.ml_decl.append(f"let {name} = {ml} in")
        P.cs_decl.append(f"var {name} = {cs};")
        streams.append(name)
        dump_ml.append(f'Printf.sprintf "{name}:%b" (Lwt_stream.is_closed {name})')
        dump_cs.append(f'$"{name}:{{B({name}.IsClosed)}}"')
    P.dump_ml = 'log ("  st " ^ String.concat " " [' + "; ".join(dump_ml) + '])'
    P.dump_cs = 'Log("  st " + string.Join(" ", new string[]{' + ", ".join(dump_cs) + '}));'
    P.header = f"src={src} derived={nder} a={has_a}"

    consumers = ['get', 'get', 'get', 'nget', 'peek', 'npeek', 'next', 'next', 'last_new', 'junk', 'njunk', 'junk_while', 'junk_while_s',
                 'junk_old', 'get_while', 'get_while_s', 'get_available', 'get_available_up_to', 'is_empty', 'closed',
                 'to_list', 'fold', 'fold_s', 'parse', 'parse', 'clone_get', 'iter', 'iter_s', 'iter_p', 'iter_n', 'find', 'find_s', 'find_map', 'find_map_s']
    prod_w = 6 if producers else 0
    opts = [(10, 'consume'), (prod_w, 'produce')] + common_steps(P, {'resolve': 3 if src == 'from' else 2})
    i = 0
    pv = 0
    while i < nsteps:
        o = pick(rng, opts)
        if o == 'consume':
            s = rng.choice(streams)
            c = rng.choice(consumers)
            kd = kind(rng)
            a = rng.randrange(1, 12)
            n = rng.randrange(0, 4)
            k = None
            if c in ('get_available', 'get_available_up_to', 'junk_old_sync'):
                if c == 'get_available':
                    P.add(f"get_available {s}", f'log ("  ga " ^ show_list show_int (Lwt_stream.get_available {s}))',
                          f'Log("  ga " + Show({s}.GetAvailable()));')
                else:
                    P.add(f"get_available_up_to {n} {s}", f'log ("  ga " ^ show_list show_int (Lwt_stream.get_available_up_to {n} {s}))',
                          f'Log("  ga " + Show({s}.GetAvailableUpTo({n})));')
            else:
                k = P.slot()
                show, ml, cs, unit = {
                    'get': ('show_opt show_int', f'Lwt_stream.get {s}', f'{s}.Get()', False),
                    'nget': ('show_list show_int', f'Lwt_stream.nget {n} {s}', f'{s}.NGet({n})', False),
                    'peek': ('show_opt show_int', f'Lwt_stream.peek {s}', f'{s}.Peek()', False),
                    'npeek': ('show_list show_int', f'Lwt_stream.npeek {n} {s}', f'{s}.NPeek({n})', False),
                    'next': ('show_int', f'Lwt_stream.next {s}', f'{s}.Next()', False),
                    'last_new': ('show_int', f'Lwt_stream.last_new {s}', f'{s}.LastNew()', False),
                    'junk': ('show_unit', f'Lwt_stream.junk {s}', f'{s}.Junk()', True),
                    'njunk': ('show_unit', f'Lwt_stream.njunk {n} {s}', f'{s}.NJunk({n})', True),
                    'junk_while': ('show_unit', f'Lwt_stream.junk_while (fun x -> log ("  jw " ^ string_of_int x); x < {a}) {s}',
                                   f'{s}.JunkWhile(x => {{ Log("  jw " + x); return x < {a}; }})', True),
                    'junk_while_s': ('show_unit', f'Lwt_stream.junk_while_s (fun x -> act_b ("jws " ^ string_of_int x) {kd} {a} x) {s}',
                                     f'{s}.JunkWhileS(x => ActB("jws " + x, {kd}, {a}, x))', True),
                    'junk_old': ('show_unit', f'Lwt_stream.junk_old {s}', f'{s}.JunkOld()', True),
                    'get_while': ('show_list show_int', f'Lwt_stream.get_while (fun x -> log ("  gw " ^ string_of_int x); x < {a}) {s}',
                                  f'{s}.GetWhile(x => {{ Log("  gw " + x); return x < {a}; }})', False),
                    'get_while_s': ('show_list show_int', f'Lwt_stream.get_while_s (fun x -> act_b ("gws " ^ string_of_int x) {kd} {a} x) {s}',
                                    f'{s}.GetWhileS(x => ActB("gws " + x, {kd}, {a}, x))', False),
                    'is_empty': ('show_bool', f'Lwt_stream.is_empty {s}', f'{s}.IsEmpty()', False),
                    'closed': ('show_unit', f'Lwt_stream.closed {s}', f'{s}.Closed()', True),
                    'parse': ('show_int', f'Lwt_stream.parse {s} (fun s -> Lwt_stream.next s >>= fun x -> log ("  parsed " ^ string_of_int x); if x mod 2 = 0 then Lwt.return x else Lwt.fail (E x))',
                              f'{s}.Parse(s => s.Next().Bind(x => {{ Log("  parsed " + x); return x % 2 == 0 ? Promise.Return(x) : Promise.Fail<int>(new E(x)); }}))', False),
                    'clone_get': ('show_opt show_int', f'Lwt_stream.get (Lwt_stream.clone {s})', f'{s}.Clone().Get()', False),
                    'to_list': ('show_list show_int', f'Lwt_stream.to_list {s}', f'{s}.ToList()', False),
                    'fold': ('show_int', f'Lwt_stream.fold (fun x acc -> log ("  fold " ^ string_of_int x); x + acc) {s} 0',
                             f'{s}.Fold((x, acc) => {{ Log("  fold " + x); return x + acc; }}, 0)', False),
                    'fold_s': ('show_int', f'Lwt_stream.fold_s (fun x acc -> act ("folds " ^ string_of_int x) {kd} {a} >|= fun v -> v + x + acc) {s} 0',
                               f'{s}.FoldS((x, acc) => Act("folds " + x, {kd}, {a}).Map(v => v + x + acc), 0)', False),
                    'iter': ('show_unit', f'Lwt_stream.iter (fun x -> log ("  iter " ^ string_of_int x)) {s}',
                             f'{s}.Iter(x => Log("  iter " + x))', True),
                    'iter_s': ('show_unit', f'Lwt_stream.iter_s (fun x -> act_u ("iters " ^ string_of_int x) {kd} {a}) {s}',
                               f'{s}.IterS(x => ActU("iters " + x, {kd}, {a}))', True),
                    'iter_p': ('show_unit', f'Lwt_stream.iter_p (fun x -> act_u ("iterp " ^ string_of_int x) {kd} {a}) {s}',
                               f'{s}.IterP(x => ActU("iterp " + x, {kd}, {a}))', True),
                    'iter_n': ('show_unit', f'Lwt_stream.iter_n ~max_concurrency:{n + 1} (fun x -> act_u ("itern " ^ string_of_int x) {kd} {a}) {s}',
                               f'{s}.IterN(x => ActU("itern " + x, {kd}, {a}), {n + 1})', True),
                    'find': ('show_opt show_int', f'Lwt_stream.find (fun x -> log ("  find " ^ string_of_int x); x >= {a}) {s}',
                             f'{s}.Find(x => {{ Log("  find " + x); return x >= {a}; }})', False),
                    'find_s': ('show_opt show_int', f'Lwt_stream.find_s (fun x -> act_b ("finds " ^ string_of_int x) {kd} {a} x) {s}',
                               f'{s}.FindS(x => ActB("finds " + x, {kd}, {a}, x))', False),
                    'find_map': ('show_opt show_int', f'Lwt_stream.find_map (fun x -> log ("  findm " ^ string_of_int x); if x >= {a} then Some (x * 2) else None) {s}',
                                 f'{s}.FindMap(x => {{ Log("  findm " + x); return x >= {a} ? Option<int>.Some(x * 2) : Option<int>.None; }})', False),
                    'find_map_s': ('show_opt show_int', f'Lwt_stream.find_map_s (fun x -> act ("findms " ^ string_of_int x) {kd} (x + {a}) >|= fun v -> if v mod 2 = 0 then Some v else None) {s}',
                                   f'{s}.FindMapS(x => Act("findms " + x, {kd}, x + {a}).Map(v => v % 2 == 0 ? Option<int>.Some(v) : Option<int>.None))', False),
                }[c]
                desc = f"p{k}={c} {s} n={n} a={a} kd={kd}"
                P.add(desc, f"reg {k} ({show}) ({ml})", f"{'RegU' if unit else 'Reg'}({k}, {cs});")
        elif o == 'produce':
            p = rng.choice(producers)
            r = rng.random()
            if p == 'push' or p == 'pusha':
                fn = 'push0' if p == 'push' else 'pusha'
                if r < 0.8:
                    pv += 1
                    v = rng.randrange(1, 30)
                    P.add(f"{fn} {v}", f"{fn} (Some {v})", f"{fn}(Option<int>.Some({v}));")
                else:
                    P.add(f"{fn} None", f"{fn} None", f"{fn}(Option<int>.None);")
            else:
                if r < 0.7:
                    k = P.slot(); v = rng.randrange(1, 30)
                    P.add(f"p{k}=b0#push {v}", f"reg {k} show_unit (b0#push {v})", f"RegU({k}, b0.Push({v}));")
                elif r < 0.85:
                    P.add("b0#close", "b0#close", "b0.Close();")
                else:
                    n = rng.randrange(0, 4)
                    P.add(f"b0#resize {n}", f"b0#resize {n}", f"b0.Resize({n});")
        else:
            if not do_common(P, o):
                continue
        i += 1


GENS = {'pool_safe': gen_pool_safe, 'mutex': gen_mutex, 'mvar': gen_mvar, 'switch': gen_switch, 'pool': gen_pool, 'stream': gen_stream}


def main():
    seed = int(sys.argv[1]); n = int(sys.argv[2]); out = sys.argv[3]
    mods = sys.argv[4].split(',') if len(sys.argv) > 4 else list(GENS)
    maxsteps = int(sys.argv[5]) if len(sys.argv) > 5 else 12
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    ml = [open(os.path.join(HERE, 'prelude.ml')).read()]
    cs_progs = []
    for pi in range(n):
        mod = rng.choice(mods)
        P = Prog(rng)
        P.header = ''
        GENS[mod](P, rng.randrange(3, maxsteps + 1))
        # OCaml
        body = [f"let prog_{pi} () =", f"  begin_prog {pi};", f'  log "# {mod} {P.header}";']
        body += ["  " + d for d in P.ml_decl]
        body.append(f"  let dump () = {P.dump_ml} in")
        for si, (desc, m, c) in enumerate(P.steps):
            d = desc.replace('"', "'")
            body.append(f'  step {si} "{d}" (fun () -> {m}); dump ();')
        body.append("  end_prog ()")
        ml.append("\n".join(body) + "\n")
        cb = [f"static void Prog{pi}() {{", f"  BeginProg({pi});", f'  Log("# {mod} {P.header}");']
        cb += ["  " + d for d in P.cs_decl]
        cb.append(f"  Action dump = () => {{ {P.dump_cs} }};")
        for si, (desc, m, c) in enumerate(P.steps):
            d = desc.replace('"', "'")
            cb.append(f'  Step({si}, "{d}", () => {{ {c} }}); dump();')
        cb.append("  EndProg();")
        cb.append("}")
        cs_progs.append("\n".join(cb))
    ml.append("let () =\n" + "\n".join(f"  prog_{i} ();" for i in range(n)) + "\n  ()\n")
    with open(os.path.join(out, 'prog.ml'), 'w') as f:
        f.write("\n".join(ml))
    cs = ["using Lwt;", "using static H;", "public static partial class H {"]
    cs += cs_progs
    cs.append("public static void Main() {")
    cs.append("  Promise.AsyncExceptionHook = e => Log(\"  async_exn \" + Exn(e));")
    cs.append("  LwtMain.Run(() => {")
    for i in range(n):
        cs.append(f"    Prog{i}();")
    cs.append("    return Promise.ReturnUnit; });")
    cs.append("  Console.Out.Write(Out.ToString());")
    cs.append("}}")
    with open(os.path.join(out, 'Program.cs'), 'w') as f:
        f.write("\n".join(cs))


main()
