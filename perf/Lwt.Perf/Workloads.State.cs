using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/*
 * Variants (not in the default list): the literal workloads written with the state-passing
 * Bind (src/Lwt.Scheduling/Core/StatePassing.cs), a static lambda and the loop's variables
 * as state, instead of a fresh closure and delegate per op. Same recursion, same promises,
 * same checks; what changes is only the per-op closure the C# compiler makes for
 * `() => loop (n-1)`, which OCaml gets almost for free.
 */
internal static partial class Workloads
{
    internal static int RunStateVariant(string name, int? n)
    {
        int N(int dflt) => n ?? dflt;
        switch (name)
        {
            case "bind-resolved/state": Measure(name, N(10_000_000), BindResolvedState); return 0;
            case "bind-resolved/state-fresh": Measure(name, N(10_000_000), BindResolvedStateFresh); return 0;
            case "ping-pong/state": Measure(name, N(1_000_000), PingPongState_); return 0;
            case "pause/state": Measure(name, N(1_000_000), PauseState); return 0;
            case "pick-cancel/state": Measure(name, N(1_000_000), PickCancelState); return 0;
            case "loop-memory/state": Measure(name, N(10_000_000), PauseState, warmupDiv: 100); return 0;
            default: return -1;
        }
    }

    // ------------------------------------------------------------------ bind-resolved/state

    // Promise.Return() is the documented translation of `return ()` and returns the one shared
    // fulfilled unit promise (the same object as Promise.ReturnUnit), where OCaml's `return ()`
    // and the .NET anchor's Task.FromResult(i) allocate a fresh resolved promise per op: this
    // form skips that allocation. bind-resolved/state-fresh is the like-for-like one.
    private static Promise BindResolvedStateLoop(int n) =>
        n == 0 ? Promise.Return() : Promise.Return().Bind(static k => BindResolvedStateLoop(k), n - 1);

    private static Func<Promise> BindResolvedState(int n) => () =>
    {
        var p = BindResolvedStateLoop(n);
        Check(p.IsFulfilled, "bind-resolved/state: loop fulfilled");
        return p;
    };

    // A fresh fulfilled promise per op, Promise.Return(Unit.Value), as the anchors allocate one.
    private static Promise BindResolvedStateFreshLoop(int n) =>
        n == 0 ? Promise.Return(Unit.Value) : Promise.Return(Unit.Value).Bind(static k => BindResolvedStateFreshLoop(k), n - 1);

    private static Func<Promise> BindResolvedStateFresh(int n) => () =>
    {
        var p = BindResolvedStateFreshLoop(n);
        Check(p.IsFulfilled, "bind-resolved/state-fresh: loop fulfilled");
        return p;
    };

    // ------------------------------------------------------------------ ping-pong/state

    private static Promise PingPongStateB(PingPongState s)
    {
        var (p, r) = Promise.Create();
        s.BR = r;
        return p.Bind(static (_, s) =>
        {
            if (s.Done) return Promise.ReturnUnit;
            var next = PingPongStateB(s);   // registers B's fresh promise before waking A
            s.AR.Resolve(Unit.Value);
            return next;
        }, s);
    }

    private static Promise PingPongStateA(PingPongState s, int i)
    {
        if (i == s.N)
        {
            s.Done = true;
            s.BR.Resolve(Unit.Value);
            return Promise.ReturnUnit;
        }
        var (p, r) = Promise.Create();
        s.AR = r;
        var next = p.Bind(static (_, st) => PingPongStateA(st.s, st.i + 1), (s, i));
        s.BR.Resolve(Unit.Value);
        return next;
    }

    private static Func<Promise> PingPongState_(int n) => () =>
    {
        var s = new PingPongState(n);
        var b = PingPongStateB(s);
        var a = PingPongStateA(s, 0);
        return Promise.Join(a, b);
    };

    // ------------------------------------------------------------------ pause/state, loop-memory/state

    private static Promise PauseStateRec(int n) =>
        n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(static k => PauseStateRec(k), n - 1);

    private static Func<Promise> PauseState(int n) => () => PauseStateRec(n);

    // ------------------------------------------------------------------ pick-cancel/state

    private static Promise PickStateLoop(int i, long acc, long expected)
    {
        if (i == 0)
        {
            Check(acc == expected, "pick-cancel/state: sum");
            return Promise.ReturnUnit;
        }
        var t = Promise.CreateCancelable<int>().Promise;
        return Promise.Pick(t, Promise.Return(i)).Bind(static (v, st) =>
        {
            Check(st.t.IsCanceled, "pick-cancel/state: loser canceled");
            Check(v == st.i, "pick-cancel/state: result == i");
            return PickStateLoop(st.i - 1, st.acc + v, st.expected);
        }, (t, i, acc, expected));
    }

    private static Func<Promise> PickCancelState(int n) => () => PickStateLoop(n, 0, (long)n * (n + 1) / 2);
}
