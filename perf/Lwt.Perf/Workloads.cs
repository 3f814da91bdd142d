using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/// <summary>
/// The workloads of shared/anchors/WORKLOADS.md, written with our API the way
/// shared/anchors/ocaml-lwt/bench.ml writes them with Lwt.
/// </summary>
internal static partial class Workloads
{
    /// <summary>Implemented, in the order `workloads` runs them by default.</summary>
    internal static readonly string[] Implemented =
        ["bind-resolved", "bind-chain", "ping-pong", "pause", "join-wide", "pick-cancel", "loop-memory", "timers", "cross-thread-post", "tcp-echo", "tcp-echo/lwt_io", .. LibraryWorkloads.Names];

    /// <summary>Nothing is left unimplemented.</summary>
    internal static readonly string[] Stubs = [];

    internal static int RunOne(string name, int? n)
    {
        int N(int dflt) => n ?? dflt;
        switch (name)
        {
            case "bind-resolved": Measure(name, N(10_000_000), BindResolved); return 0;
            case "bind-chain": Measure(name, N(1_000_000), BindChain); return 0;
            case "ping-pong": Measure(name, N(1_000_000), PingPong); return 0;
            case "pause": Measure(name, N(1_000_000), PauseLoop); return 0;
            case "join-wide": Measure(name, N(1_000_000), JoinWide); return 0;
            case "pick-cancel": Measure(name, N(1_000_000), PickCancel); return 0;
            case "loop-memory": Measure(name, N(10_000_000), LoopMemory, warmupDiv: 100); return 0;
            // variants (not in the default list): the same work without the per-op closure
            case "pause/async": Measure(name, N(1_000_000), PauseAsync); return 0;
            case "loop-memory/async": Measure(name, N(10_000_000), LoopMemoryAsync, warmupDiv: 100); return 0;
            case "loop-memory/async-returnfrom": Measure(name, N(10_000_000), LoopMemoryAsyncReturnFrom, warmupDiv: 100); return 0;
            case "bind-resolved/fresh": Measure(name, N(10_000_000), BindResolvedFresh); return 0;
            case "bind-resolved/floor": Measure(name, N(10_000_000), BindResolvedFloor); return 0;
            case "bind-resolved/async": Measure(name, N(10_000_000), BindResolvedAsync); return 0;
            case "bind-resolved/async-rec": Measure(name, N(10_000_000), BindResolvedAsyncRec); return 0;
            case "bind-resolved/async-returnfrom": Measure(name, N(10_000_000), BindResolvedAsyncReturnFrom); return 0;
            case "ping-pong/async": Measure(name, N(1_000_000), PingPongAsync); return 0;
            case "interop-astask" or "interop-astask-token" or "interop-asvaluetask" or "interop-topromise" or "interop-tcs" or "interop-promise" or "interop-hops": return RunInterop(name, n);
            case "timers": Measure(name, N(100_000), Timers); return 0;
            case "cross-thread-post": Measure(name, N(1_000_000), CrossThreadPost); return 0;
            case "tcp-echo":
            case "tcp-echo/lwt_io": return TcpEcho.Drive(name);
            case "io-roundtrip/lwt_io": Measure(name, N(100_000), IORoundTripChannels); return 0;
            case "io-roundtrip/unix": Measure(name, N(100_000), IORoundTripUnix); return 0;
            default:
                // the /state variants: Workloads.State.cs
                int rc = RunStateVariant(name, n);
                if (rc >= 0) return rc;
                // mvar, stream, stream/bounded1024 (+ /async variants): LibraryWorkloads.cs
                rc = LibraryWorkloads.RunOne(name, n);
                if (rc >= 0) return rc;
                Console.Error.WriteLine($"unknown workload {name}");
                return 2;
        }
    }

    private static int NotImplementedYet(string name, string needs)
    {
        Console.Error.WriteLine($"workload {name}: not implemented yet (needs {needs})");
        return 3;
    }

    // ------------------------------------------------------------------ bind-resolved

    // let rec loop n = if n = 0 then return () else bind (return ()) (fun () -> loop (n-1))
    // Literally recursive: the core trampolines Bind on a fulfilled promise past a fixed depth.
    // `return ()` is written Promise.Return(), its documented translation, which returns the
    // one shared fulfilled unit promise (the same object as Promise.ReturnUnit). OCaml's
    // `return ()` and the .NET anchor's Task.FromResult(i) allocate a fresh resolved promise
    // per op, so this form skips one allocation the anchors pay: bind-resolved/fresh below
    // is the like-for-like one.
    private static Promise BindResolvedLoop(int n) =>
        n == 0 ? Promise.Return() : Promise.Return().Bind(() => BindResolvedLoop(n - 1));

    private static Func<Promise> BindResolved(int n) => () =>
    {
        var p = BindResolvedLoop(n);
        Check(p.IsFulfilled, "bind-resolved: loop fulfilled");
        return p;
    };

    // variant (not in the default list): bind-resolved with a fresh fulfilled promise per op,
    // Promise.Return(Unit.Value), as OCaml's `return ()` (a new record per call) and the .NET
    // anchor's Task.FromResult(i) make one: allocation like for like with the anchors.
    private static Promise BindResolvedFreshLoop(int n) =>
        n == 0 ? Promise.Return(Unit.Value) : Promise.Return(Unit.Value).Bind(() => BindResolvedFreshLoop(n - 1));

    private static Func<Promise> BindResolvedFresh(int n) => () =>
    {
        var p = BindResolvedFreshLoop(n);
        Check(p.IsFulfilled, "bind-resolved/fresh: loop fulfilled");
        return p;
    };

    // variant (not in the default list): the floor under bind-resolved. The same closure and
    // delegate per op (88 B), called directly in a loop instead of through Bind: what the
    // program's shape costs before the library does anything. The delegate is published to a
    // static so the JIT cannot stack-allocate it.
    private static Func<Promise>? s_floorSink;

    private static Func<Promise> BindResolvedFloor(int n) => () =>
    {
        Promise p = Promise.ReturnUnit;
        for (int i = n; i > 0; i--)
        {
            int k = i - 1;
            Func<Promise> f = () => k == 0 ? Promise.ReturnUnit : Promise.ReturnUnit;
            s_floorSink = f;
            p = f();
        }
        Check(p.IsFulfilled, "bind-resolved/floor: fulfilled");
        return p;
    };

    // variant (not in the default list): the .NET Task anchor's own shape, an iterative
    // `sum += await Task.FromResult(i)`, here `await Promise.Return(i)`: one fresh resolved
    // promise per op (a 48 B Promise<int>; the anchor's Task<int> is 72 B), awaited in an `async Promise` method.
    private static async Promise BindResolvedAsyncLoop(int n)
    {
        long sum = 0;
        for (int i = 0; i < n; i++) sum += await Promise.Return(i);
        Check(sum == (long)n * (n - 1) / 2, "bind-resolved/async: sum");
    }

    private static Func<Promise> BindResolvedAsync(int n) => () => BindResolvedAsyncLoop(n);

    // variant: bind-resolved's recursion written as an async Promise method
    private static async Promise BindResolvedAsyncRecLoop(int n)
    {
        if (n == 0) return;
        await Promise.ReturnUnit;
        await BindResolvedAsyncRecLoop(n - 1);
    }

    private static Func<Promise> BindResolvedAsyncRec(int n) => () => BindResolvedAsyncRecLoop(n);

    // variant: the same, ending each level with Promise.ReturnFrom (the async method's tail call)
    private static async Promise BindResolvedAsyncReturnFromLoop(int n)
    {
        if (n == 0) return;
        await Promise.ReturnUnit;
        await Promise.ReturnFrom(BindResolvedAsyncReturnFromLoop(n - 1));
    }

    private static Func<Promise> BindResolvedAsyncReturnFrom(int n) => () => BindResolvedAsyncReturnFromLoop(n);

    // ------------------------------------------------------------------ bind-chain

    // N maps, each on the previous result, from one pending root; then wakeup_later root 0.
    // Timed: build + fulfil + all callbacks.
    private static Func<Promise> BindChain(int n) => () =>
    {
        var (root, r) = Promise.Create<int>();
        Promise<int> p = root;
        for (int i = 0; i < n; i++) p = p.Map(x => x + 1);
        r.Resolve(0);
        return p.Map(v =>
        {
            Check(v == n, "bind-chain: final value == N");
            return Unit.Value;
        });
    };

    // ------------------------------------------------------------------ ping-pong

    private sealed class PingPongState(int n)
    {
        public readonly int N = n;
        public bool Done;
        public Resolver<Unit> AR = Promise.Create().Resolver;
        public Resolver<Unit> BR = Promise.Create().Resolver;
    }

    // let rec b_loop () = let p, r = wait () in b_r := r;
    //   p >>= fun () -> if !done_ then return () else (let next = b_loop () in wakeup_later !a_r (); next)
    private static Promise PingPongB(PingPongState s)
    {
        var (p, r) = Promise.Create();
        s.BR = r;
        return p.Bind(_ =>
        {
            if (s.Done) return Promise.ReturnUnit;
            var next = PingPongB(s);   // registers B's fresh promise before waking A
            s.AR.Resolve(Unit.Value);
            return next;
        });
    }

    // let rec a_loop i = if i = n then (done_ := true; wakeup_later !b_r (); return ())
    //   else (let p, r = wait () in a_r := r; let next = p >>= fun () -> a_loop (i+1) in
    //         wakeup_later !b_r (); next)
    private static Promise PingPongA(PingPongState s, int i)
    {
        if (i == s.N)
        {
            s.Done = true;
            s.BR.Resolve(Unit.Value);
            return Promise.ReturnUnit;
        }
        var (p, r) = Promise.Create();
        s.AR = r;
        var next = p.Bind(_ => PingPongA(s, i + 1));
        s.BR.Resolve(Unit.Value);
        return next;
    }

    private static Func<Promise> PingPong(int n) => () =>
    {
        var s = new PingPongState(n);
        var b = PingPongB(s);
        var a = PingPongA(s, 0);
        return Promise.Join(a, b);
    };

    // variant (not in the default list): the .NET Task anchor's shape, two async methods that
    // each await a fresh Create() promise and resolve the other's; no closure or bind node per op.
    private sealed class PingPongAsyncState
    {
        public Resolver<Unit> ToA = null!;
        public Resolver<Unit> ToB = null!;
        public bool Done;
    }

    private static async Promise PingPongAsyncB(PingPongAsyncState s)
    {
        var (my, r) = Promise.Create();
        s.ToB = r;
        while (true)
        {
            await my;
            if (s.Done) return;
            (my, r) = Promise.Create();
            s.ToB = r;          // register the fresh promise before waking A
            s.ToA.Resolve(Unit.Value);
        }
    }

    private static async Promise PingPongAsyncA(PingPongAsyncState s, int n)
    {
        for (int i = 0; i < n; i++)
        {
            var (mine, r) = Promise.Create();
            s.ToA = r;
            s.ToB.Resolve(Unit.Value);
            await mine;
        }
        s.Done = true;
        s.ToB.Resolve(Unit.Value);
    }

    private static Func<Promise> PingPongAsync(int n) => () =>
    {
        var s = new PingPongAsyncState();
        var b = PingPongAsyncB(s);
        var a = PingPongAsyncA(s, n);
        return Promise.Join(a, b);
    };

    // ------------------------------------------------------------------ pause / loop-memory

    // let rec loop n = if n = 0 then return () else bind (pause ()) (fun () -> loop (n-1))
    private static Promise PauseRec(int n) =>
        n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(() => PauseRec(n - 1));

    private static Func<Promise> PauseLoop(int n) => () => PauseRec(n);

    // variant: an async Promise method awaiting Pause() in a for loop (like .NET's
    // `for (...) await Task.Yield()`): no closure, delegate or bind node per op
    private static async Promise PauseAsyncLoop(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    private static Func<Promise> PauseAsync(int n) => () => PauseAsyncLoop(n);

    // the same code at N = 10M: peak RSS must stay flat
    private static Func<Promise> LoopMemory(int n) => () => PauseRec(n);

    // variant: loop-memory's recursion written as an async Promise method, as the core issue
    // asks of it (`if n = 0 then return () else bind (pause ()) (fun () -> loop (n-1))`):
    // each call awaits the next one's promise, so every level stays pending until the last
    private static async Promise PauseRecAsync(int n)
    {
        if (n == 0) return;
        await Promise.Pause();
        await PauseRecAsync(n - 1);
    }

    private static Func<Promise> LoopMemoryAsync(int n) => () => PauseRecAsync(n);

    // variant: the same, ending each level with Promise.ReturnFrom (the async method's tail
    // call): each level's promise becomes the next one's, as bind's does in loop-memory
    private static async Promise PauseRecAsyncReturnFrom(int n)
    {
        if (n == 0) return;
        await Promise.Pause();
        await Promise.ReturnFrom(PauseRecAsyncReturnFrom(n - 1));
    }

    private static Func<Promise> LoopMemoryAsyncReturnFrom(int n) => () => PauseRecAsyncReturnFrom(n);

    // ------------------------------------------------------------------ join-wide

    // N wait()s, join them, wakeup_later each in order
    private static Func<Promise> JoinWide(int n) => () =>
    {
        var promises = new Promise[n];
        var resolvers = new Resolver<Unit>[n];
        for (int i = 0; i < n; i++)
        {
            var (p, r) = Promise.Create();
            promises[i] = p;
            resolvers[i] = r;
        }
        var j = Promise.Join(promises);
        for (int i = 0; i < n; i++) resolvers[i].Resolve(Unit.Value);
        Check(j.IsFulfilled, "join-wide: join fulfilled");
        return j;
    };

    // ------------------------------------------------------------------ pick-cancel

    // pick [fst (task ()); return i] >>= fun v -> (loser is Fail Canceled); loop (i-1) (acc+v)
    private static Promise PickLoop(int i, long acc, long expected)
    {
        if (i == 0)
        {
            Check(acc == expected, "pick-cancel: sum");
            return Promise.ReturnUnit;
        }
        var t = Promise.CreateCancelable<int>().Promise;
        return Promise.Pick(t, Promise.Return(i)).Bind(v =>
        {
            Check(t.IsCanceled, "pick-cancel: loser canceled");
            Check(v == i, "pick-cancel: result == i");
            return PickLoop(i - 1, acc + v, expected);
        });
    }

    private static Func<Promise> PickCancel(int n) => () => PickLoop(n, 0, (long)n * (n + 1) / 2);
}
