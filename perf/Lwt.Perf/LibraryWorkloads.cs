using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/// <summary>
/// The library workloads of shared/anchors/WORKLOADS.md (mvar, stream, stream/bounded1024),
/// written with LwtMVar / LwtStream the way shared/anchors/ocaml-lwt/bench.ml writes them
/// with Lwt_mvar / Lwt_stream: recursive bind loops, joined, under the main run
/// (<see cref="Harness.Measure"/>, which runs each body under <see cref="LwtMain.Run(Func{Promise})"/>).
/// The "/async" variants (not in the default list) write the same loops as
/// <c>async Promise</c> methods, the shape .NET's Channel anchors use: no closure or bind
/// node per op, so they show the library's own cost.
/// </summary>
internal static class LibraryWorkloads
{
    /// <summary>The workloads implemented here, in the order `workloads` runs them.</summary>
    internal static readonly string[] Names = ["mvar", "stream", "stream/bounded1024"];

    /// <summary>Runs one workload of this file; -1 when <paramref name="name"/> is not one of them.</summary>
    internal static int RunOne(string name, int? n)
    {
        int N(int dflt) => n ?? dflt;
        switch (name)
        {
            case "mvar": Measure(name, N(1_000_000), MVar); return 0;
            case "stream": Measure(name, N(1_000_000), Stream); return 0;
            case "stream/bounded1024": Measure(name, N(1_000_000), StreamBounded); return 0;
            case "mvar/async": Measure(name, N(1_000_000), MVarAsync); return 0;
            case "stream/async": Measure(name, N(1_000_000), StreamAsync); return 0;
            case "stream/bounded1024/async": Measure(name, N(1_000_000), StreamBoundedAsync); return 0;
            case "mvar/state": Measure(name, N(1_000_000), MVarState); return 0;
            case "stream/state": Measure(name, N(1_000_000), StreamState); return 0;
            default: return -1;
        }
    }

    // ------------------------------------------------------------------ mvar

    // let rec prod i = if i = n then return () else Lwt_mvar.put mv i >>= fun () -> prod (i + 1)
    private static Promise MVarProd(LwtMVar<int> mv, int i, int n) =>
        i == n ? Promise.ReturnUnit : mv.Put(i).Bind(() => MVarProd(mv, i + 1, n));

    // let rec cons i acc = if i = n then (check; return ()) else Lwt_mvar.take mv >>= fun v -> cons (i + 1) (acc + v)
    private static Promise MVarCons(LwtMVar<int> mv, int i, long acc, int n)
    {
        if (i == n)
        {
            Check(acc == (long)n * (n - 1) / 2, "mvar: sum");
            return Promise.ReturnUnit;
        }
        return mv.Take().Bind(v => MVarCons(mv, i + 1, acc + v, n));
    }

    // Lwt.join [prod 0; cons 0 0]. OCaml evaluates the elements of a list literal right to
    // left (constructor arguments), so `cons 0 0` starts first and waits on the empty MVar;
    // every put then hands its value straight to the waiting taker. Same order here.
    private static Func<Promise> MVar(int n) => () =>
    {
        var mv = LwtMVar<int>.CreateEmpty();
        var cons = MVarCons(mv, 0, 0, n);
        var prod = MVarProd(mv, 0, n);
        return Promise.Join(prod, cons);
    };

    // variant: the same recursion with the state-passing Bind (no closure or delegate per op)
    private static Promise MVarProdState(LwtMVar<int> mv, int i, int n) =>
        i == n ? Promise.ReturnUnit : mv.Put(i).Bind(static st => MVarProdState(st.mv, st.i + 1, st.n), (mv, i, n));

    private static Promise MVarConsState(LwtMVar<int> mv, int i, long acc, int n)
    {
        if (i == n)
        {
            Check(acc == (long)n * (n - 1) / 2, "mvar/state: sum");
            return Promise.ReturnUnit;
        }
        return mv.Take().Bind(static (v, st) => MVarConsState(st.mv, st.i + 1, st.acc + v, st.n), (mv, i, acc, n));
    }

    private static Func<Promise> MVarState(int n) => () =>
    {
        var mv = LwtMVar<int>.CreateEmpty();
        var cons = MVarConsState(mv, 0, 0, n);
        var prod = MVarProdState(mv, 0, n);
        return Promise.Join(prod, cons);
    };

    private static async Promise MVarProdAsync(LwtMVar<int> mv, int n)
    {
        for (int i = 0; i < n; i++) await mv.Put(i);
    }

    private static async Promise MVarConsAsync(LwtMVar<int> mv, int n)
    {
        long acc = 0;
        for (int i = 0; i < n; i++) acc += await mv.Take();
        Check(acc == (long)n * (n - 1) / 2, "mvar/async: sum");
    }

    private static Func<Promise> MVarAsync(int n) => () =>
    {
        var mv = LwtMVar<int>.CreateEmpty();
        var cons = MVarConsAsync(mv, n);   // first, as in the bind form
        return Promise.Join(MVarProdAsync(mv, n), cons);
    };

    // ------------------------------------------------------------------ stream

    // let rec cons acc = Lwt_stream.get s >>= function None -> (check; return ()) | Some v -> cons (acc + v)
    private static Promise StreamCons(LwtStream<int> s, long acc, int n) =>
        s.Get().Bind(x =>
        {
            if (x.HasValue) return StreamCons(s, acc + x.Value, n);
            Check(acc == (long)n * (n - 1) / 2, "stream: sum");
            return Promise.ReturnUnit;
        });

    // variant: the consumer with the state-passing Bind
    private static Promise StreamConsState(LwtStream<int> s, long acc, int n) =>
        s.Get().Bind(static (x, st) =>
        {
            if (x.HasValue) return StreamConsState(st.s, st.acc + x.Value, st.n);
            Check(st.acc == (long)st.n * (st.n - 1) / 2, "stream/state: sum");
            return Promise.ReturnUnit;
        }, (s, acc, n));

    private static Func<Promise> StreamState(int n) => () =>
    {
        var (s, push) = LwtStream.Create<int>();
        var c = StreamConsState(s, 0, n);
        for (int i = 0; i < n; i++) push(Option.Some(i));
        push(Option<int>.None);
        return Promise.Join(Promise.ReturnUnit, c);
    };

    // let c = cons 0 in let rec prod i = if i = n then (push None; return ()) else (push (Some i); prod (i + 1))
    // in Lwt.join [prod 0; c]      (prod is a synchronous tail-recursive loop: a for loop here)
    private static Func<Promise> Stream(int n) => () =>
    {
        var (s, push) = LwtStream.Create<int>();
        var c = StreamCons(s, 0, n);
        for (int i = 0; i < n; i++) push(Option.Some(i));
        push(Option<int>.None);
        return Promise.Join(Promise.ReturnUnit, c);
    };

    // let rec prod i = if i = n then (bp#close; return ()) else bp#push i >>= fun () -> prod (i + 1)
    private static Promise BoundedProd(BoundedPush<int> bp, int i, int n)
    {
        if (i == n)
        {
            bp.Close();
            return Promise.ReturnUnit;
        }
        return bp.Push(i).Bind(() => BoundedProd(bp, i + 1, n));
    }

    // let s, bp = Lwt_stream.create_bounded 1024 in let c = cons 0 in Lwt.join [prod 0; c]
    private static Func<Promise> StreamBounded(int n) => () =>
    {
        var (s, bp) = LwtStream.CreateBounded<int>(1024);
        var c = StreamCons(s, 0, n);
        return Promise.Join(BoundedProd(bp, 0, n), c);
    };

    private static async Promise StreamConsAsync(LwtStream<int> s, int n)
    {
        long acc = 0;
        while (true)
        {
            var x = await s.Get();
            if (!x.HasValue) break;
            acc += x.Value;
        }
        Check(acc == (long)n * (n - 1) / 2, "stream/async: sum");
    }

    private static Func<Promise> StreamAsync(int n) => () =>
    {
        var (s, push) = LwtStream.Create<int>();
        var c = StreamConsAsync(s, n);
        for (int i = 0; i < n; i++) push(Option.Some(i));
        push(Option<int>.None);
        return c;
    };

    private static async Promise BoundedProdAsync(BoundedPush<int> bp, int n)
    {
        for (int i = 0; i < n; i++) await bp.Push(i);
        bp.Close();
    }

    private static Func<Promise> StreamBoundedAsync(int n) => () =>
    {
        var (s, bp) = LwtStream.CreateBounded<int>(1024);
        var c = StreamConsAsync(s, n);
        return Promise.Join(BoundedProdAsync(bp, n), c);
    };
}
