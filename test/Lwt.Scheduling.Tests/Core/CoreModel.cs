namespace Lwt.Tests.Core;

/*
 * A naive reference model of Lwt's promise semantics, for the differential tests in
 * CoreModelTests.cs. It is written from the specification (the seeds' "Precise behavior"
 * paragraphs, API.md, lwt.mli), not from the library: no trampolines, no deferral, no
 * allocation tricks; plain recursion, lists of closures, and a promise that becomes "the
 * same promise" as another through an alias pointer (the spec's "p_3 is effectively made
 * into a reference to p_2": same state, same state changes, any operation on one is an
 * operation on the other).
 *
 * Where the spec leaves a choice open ("chosen arbitrarily": the rejection of join/both/all
 * when several inputs fail, the winner of pick/choose when several inputs are already
 * resolved), the model makes the documented choice of this port: the first rejection in
 * time (already-resolved inputs in list order first) for Join, Both and All (as lwt.ml,
 * whose both and all are a join of binds), a rejected input before a fulfilled one and otherwise the
 * first in list order for Pick/Choose (Pick, as lwt.ml, cancels each pending input before it
 * looks at the next, so an input such a cancel resolved may be that first). Callbacks of one promise run in the order they were
 * attached (the port's choice; lwt.ml runs them most-recent first, lwt.mli promises no
 * order), cancel callbacks first (lwt.mli: "guaranteed to run before any other callbacks
 * that are triggered by rejection").
 */

/// <summary>A rejection in the model: a known exception object, or a cancellation whose object the library makes.</summary>
internal sealed class MExn
{
    public Exception? E;
    public readonly bool IsCancel;

    public MExn(Exception e) => E = e;
    private MExn() => IsCancel = true;

    public static MExn NewCancel() => new();

    /// <summary>Lwt's "rejected with Canceled": the .NET port counts any OperationCanceledException.</summary>
    public bool IsCanceledKind => IsCancel || E is OperationCanceledException;

    public override string ToString() => IsCancel ? $"Canceled({E?.GetHashCode()})" : $"{E!.GetType().Name}({E.Message})";
}

internal enum MState { Pending, Fulfilled, Rejected }

internal enum MHow { NotCancelable, CancelThis, ToOne, ToSeveral }

/// <summary>A model promise.</summary>
internal sealed class MP
{
    private static int s_ids;
    public readonly int Id = Interlocked.Increment(ref s_ids);
    public MP? Alias;                 // "made into a reference to" this one
    public MState State;
    public object? Value;
    public MExn? Exn;
    public MHow How;
    public MP[]? Targets;             // what cancellation searches next (ToOne: one element)
    public List<Action<MP>> Callbacks = new();
    public List<Action> CancelCallbacks = new();
    public bool BindLike;             // Bind/Catch/TryBind result: its callback returns the next promise
    public bool CancelOnceWaiting;    // a cancel reached it while its callback was due (see Collect)

    public override string ToString() => State switch
    {
        MState.Pending => $"pending({How})",
        MState.Fulfilled => $"fulfilled {ModelValueText.Render(Value)}",
        _ => $"rejected {Exn}",
    };
}

/// <summary>Values of non-int model promises.</summary>
internal static class ModelValueText
{
    public sealed record Split(List<object?> Fulfilled, List<int> PendingHandles);

    public static string Render(object? v) => v switch
    {
        null => "()",
        int i => i.ToString(),
        ValueTuple<object?, object?> t => $"({Render(t.Item1)},{Render(t.Item2)})",
        List<object?> l => "[" + string.Join(",", l.Select(Render)) + "]",
        Split s => $"({Render(s.Fulfilled)},[{string.Join(",", s.PendingHandles.Select(h => "#" + h))}])",
        _ => v.ToString() ?? "?",
    };
}

/// <summary>The model's operations. Every callback runs at once, nested (plain recursion).</summary>
internal sealed class CoreModel
{
    public static MP Find(MP p)
    {
        while (p.Alias is not null) p = p.Alias;
        return p;
    }

    public MP Create(bool cancelable) => new() { How = cancelable ? MHow.CancelThis : MHow.NotCancelable };
    public MP Return(object? v) => new() { State = MState.Fulfilled, Value = v };
    public MP Fail(MExn e) => new() { State = MState.Rejected, Exn = e };
    public MP Fail(Exception e) => Fail(new MExn(e));
    private MP Like(MP resolved) => new() { State = resolved.State, Value = resolved.Value, Exn = resolved.Exn };

    /// <summary>Resolves pending <paramref name="p"/> (after Find) and runs its callbacks: cancel callbacks first when canceled.</summary>
    public void Resolve(MP p, MState st, object? v, MExn? e, bool later = false)
    {
        p = Find(p);
        if (p.State != MState.Pending) throw new InvalidOperationException("model: resolving a resolved promise");
        p.State = st;
        p.Value = v;
        p.Exn = e;
        RunCallbacks(p, later);
    }

    // Lwt's wakeup_later (Resolver.Resolve/Reject/TryResolve) made while callbacks of a
    // resolution run: the promise is resolved at once, its callbacks run after the outermost
    // running resolution's callbacks, in order (lwt.ml's ~maximum_callback_nesting_depth:1).
    private int _resolving;
    private readonly Queue<(MP P, List<Action<MP>> Cbs, List<Action> Ccbs)> _later = new();

    private void RunCallbacks(MP p, bool later = false)
    {
        var cbs = p.Callbacks;
        var ccbs = p.CancelCallbacks;
        p.Callbacks = new();
        p.CancelCallbacks = new();
        if (later && _resolving != 0)
        {
            _later.Enqueue((p, cbs, ccbs));
            return;
        }
        _resolving++;
        try
        {
            Run(p, cbs, ccbs);
        }
        finally
        {
            _resolving--;
        }
        if (_resolving != 0) return;
        while (_later.TryDequeue(out var q))
        {
            _resolving = 1;
            try
            {
                Run(q.P, q.Cbs, q.Ccbs);
            }
            finally
            {
                _resolving = 0;
            }
        }
    }

    private static void Run(MP p, List<Action<MP>> cbs, List<Action> ccbs)
    {
        if (p.State == MState.Rejected && p.Exn!.IsCanceledKind)
            foreach (var c in ccbs) c();
        foreach (var c in cbs) c(p);
    }

    public void ResolveLike(MP target, MP source) => Resolve(target, source.State, source.Value, source.Exn);

    /// <summary>What a resolver call does: null when it resolved or did nothing, else the exception type it throws.</summary>
    public Type? ResolverCall(MP p, MState st, object? v, MExn? e, bool isTry, out bool tryResult, bool later = false)
    {
        var u = Find(p);
        tryResult = false;
        if (u.State != MState.Pending)
        {
            if (isTry) return null;
            if (u.State == MState.Rejected && u.Exn!.IsCanceledKind) return null; // canceled: silent no-op
            return typeof(InvalidOperationException);
        }
        tryResult = true;
        Resolve(u, st, v, e, later);
        return null;
    }

    /// <summary>Lwt.cancel: the backwards search rejects every cancelable leaf first, then runs their callbacks.</summary>
    public void Cancel(MP p)
    {
        var exn = MExn.NewCancel();
        var leaves = new List<MP>();
        Collect(p, exn, leaves);
        for (int i = leaves.Count - 1; i >= 0; i--) RunCallbacks(leaves[i]); // last found first, as lwt.ml
    }

    private static void Collect(MP p, MExn exn, List<MP> leaves)
    {
        var u = Find(p);
        if (u.State != MState.Pending) return;
        switch (u.How)
        {
            case MHow.CancelThis:
                u.State = MState.Rejected;
                u.Exn = exn;
                leaves.Add(u);
                break;
            case MHow.ToOne:
                {
                    var t = Find(u.Targets![0]);
                    if (t.State == MState.Pending) Collect(t, exn, leaves);
                    // The port's documented choice (SpecAuditTests, "cancel between p_1 resolving
                    // and the callback returning p_2"): a cancel that finds p_1 resolved while the
                    // callback is yet to return p_2 applies to p_2 once it exists. Lwt would do
                    // nothing. Not when this same search canceled p_1: its callbacks propagate it.
                    else if (u.BindLike && !ReferenceEquals(t.Exn, exn)) u.CancelOnceWaiting = true;
                    break;
                }
            case MHow.ToSeveral:
                foreach (var t in u.Targets!) Collect(t, exn, leaves);
                break;
        }
    }

    /// <summary>Lwt's make_into_proxy: <paramref name="outer"/> and what the callback returned become one promise.</summary>
    public void Adopt(MP outer, MP returned)
    {
        outer = Find(outer);
        var inner = Find(returned);
        if (ReferenceEquals(inner, outer)) return;
        if (outer.State != MState.Pending) throw new InvalidOperationException("model: adopting into a resolved promise");
        if (inner.State != MState.Pending)
        {
            ResolveLike(outer, inner);
            return;
        }
        outer.Callbacks.AddRange(inner.Callbacks);
        outer.CancelCallbacks.AddRange(inner.CancelCallbacks);
        outer.How = inner.How;
        outer.Targets = inner.Targets;
        outer.BindLike = inner.BindLike;
        bool cancel = outer.CancelOnceWaiting;
        outer.CancelOnceWaiting = inner.CancelOnceWaiting;
        inner.Callbacks = new();
        inner.CancelCallbacks = new();
        inner.Alias = outer;
        if (cancel) Cancel(outer);
    }

    private static MP Dependent(MP input, bool bindLike = true) => new() { How = MHow.ToOne, Targets = new[] { input }, BindLike = bindLike };

    /// <summary>Calls a user callback that returns a promise: a throw becomes a rejected promise.</summary>
    private MP Call(Func<MP> f)
    {
        try { return f(); }
        catch (ModelThrow t) { return Fail(t.Thrown); }
    }

    public MP Bind(MP p1, Func<object?, MP> f)
    {
        var u = Find(p1);
        if (u.State == MState.Fulfilled) return Call(() => f(u.Value));
        if (u.State == MState.Rejected) return Like(u);
        var r = Dependent(u);
        u.Callbacks.Add(src =>
        {
            if (src.State == MState.Fulfilled) Adopt(r, Call(() => f(src.Value)));
            else ResolveLike(r, src);
        });
        return r;
    }

    public MP Map(MP p1, Func<object?, object?> f)
    {
        MP Apply(object? v)
        {
            try { return Return(f(v)); }
            catch (ModelThrow t) { return Fail(t.Thrown); }
        }
        var u = Find(p1);
        if (u.State == MState.Fulfilled) return Apply(u.Value);
        if (u.State == MState.Rejected) return Like(u);
        var r = Dependent(u, bindLike: false);
        u.Callbacks.Add(src =>
        {
            if (src.State == MState.Fulfilled) ResolveLike(r, Apply(src.Value));
            else ResolveLike(r, src);
        });
        return r;
    }

    public MP Catch(Func<MP> f, Func<MExn, MP> h)
    {
        var p = Call(f);
        var u = Find(p);
        if (u.State == MState.Fulfilled) return p;
        if (u.State == MState.Rejected) return Call(() => h(u.Exn!));
        var r = Dependent(u);
        u.Callbacks.Add(src =>
        {
            if (src.State == MState.Fulfilled) ResolveLike(r, src);
            else Adopt(r, Call(() => h(src.Exn!)));
        });
        return r;
    }

    public MP TryBind(Func<MP> f, Func<object?, MP> g, Func<MExn, MP> h)
    {
        var p = Call(f);
        var u = Find(p);
        if (u.State == MState.Fulfilled) return Call(() => g(u.Value));
        if (u.State == MState.Rejected) return Call(() => h(u.Exn!));
        var r = Dependent(u);
        u.Callbacks.Add(src => Adopt(r, src.State == MState.Fulfilled ? Call(() => g(src.Value)) : Call(() => h(src.Exn!))));
        return r;
    }

    /// <summary>lwt.ml's own definition: try_bind f (fun x -> bind (c ()) (fun () -> return x)) (fun e -> bind (c ()) (fun () -> fail e)).</summary>
    public MP Finally(Func<MP> f, Func<MP> cleanup) =>
        TryBind(f, x => Bind(Call(cleanup), _ => Return(x)), e => Bind(Call(cleanup), _ => Fail(e)));

    public MP Join(MP[] ps)
    {
        MExn? first = null;
        int pending = 0;
        foreach (var p in ps)
        {
            var u = Find(p);
            if (u.State == MState.Pending) pending++;
            else if (u.State == MState.Rejected) first ??= u.Exn;
        }
        if (pending == 0) return first is null ? Return(null) : Fail(first);
        var r = new MP { How = MHow.ToSeveral, Targets = ps };
        foreach (var p in ps)
        {
            var u = Find(p);
            if (u.State != MState.Pending) continue;
            u.Callbacks.Add(src =>
            {
                if (src.State == MState.Rejected) first ??= src.Exn;
                if (--pending != 0) return;
                if (first is null) Resolve(r, MState.Fulfilled, null, null);
                else Resolve(r, MState.Rejected, null, first);
            });
        }
        return r;
    }

    public MP Both(MP a, MP b)
    {
        MP Outcome()
        {
            var ua = Find(a);
            var ub = Find(b);
            return Return((ua.Value, ub.Value));
        }
        return AllOf(new[] { a, b }, Outcome);
    }

    public MP All(MP[] ps)
    {
        MP Outcome()
        {
            var values = new List<object?>();
            foreach (var p in ps)
            {
                values.Add(Find(p).Value);
            }
            return Return(values);
        }
        return AllOf(ps, Outcome);
    }

    // Both and All are rejected as Join is (lwt.ml builds them as a join of binds): with the
    // first rejection in time, inputs already rejected at the call first, in list order.
    // outcome() is called only when no input was rejected.
    private MP AllOf(MP[] ps, Func<MP> outcome)
    {
        MExn? first = null;
        foreach (var p in ps)
            if (Find(p) is { State: MState.Rejected } u) first ??= u.Exn;
        int pending = ps.Count(p => Find(p).State == MState.Pending);
        if (pending == 0) return first is null ? outcome() : Fail(first);
        var r = new MP { How = MHow.ToSeveral, Targets = ps };
        foreach (var p in ps)
        {
            var u = Find(p);
            if (u.State != MState.Pending) continue;
            u.Callbacks.Add(src =>
            {
                if (src.State == MState.Rejected) first ??= src.Exn;
                if (--pending != 0) return;
                if (first is null) ResolveLike(r, outcome());
                else Resolve(r, MState.Rejected, null, first);
            });
        }
        return r;
    }

    /// <summary>Pick (cancel = true) and Choose.</summary>
    public MP Race(MP[] ps, bool cancel)
    {
        if (ps.Length == 0) throw new ModelArgumentException();
        MP? winner = ps.FirstOrDefault(p => Find(p).State == MState.Rejected) ?? ps.FirstOrDefault(p => Find(p).State == MState.Fulfilled);
        if (winner is not null)
        {
            if (cancel && Find(winner).State == MState.Fulfilled)
            {
                // Lwt's pick: each pending input is canceled before the next is looked at, and
                // the first found resolved at its turn wins (maybe one such a cancel resolved).
                int i = 0;
                for (; i < ps.Length; i++)
                {
                    if (Find(ps[i]).State != MState.Pending) { winner = ps[i]; break; }
                    Cancel(ps[i]);
                }
                for (i++; i < ps.Length; i++) Cancel(ps[i]);
            }
            else if (cancel) foreach (var p in ps) Cancel(p);
            return winner;
        }
        var r = new MP { How = MHow.ToSeveral, Targets = ps };
        bool decided = false;
        foreach (var p in ps)
        {
            Find(p).Callbacks.Add(src =>
            {
                if (decided) return;
                decided = true;
                if (cancel) foreach (var q in ps) Cancel(q);
                if (Find(r).State == MState.Pending) ResolveLike(r, src);
            });
        }
        return r;
    }

    public enum NKind { Pick, Choose, Split }

    /// <summary>NPick, NChoose, NChooseSplit; <paramref name="handles"/> are the inputs' handle numbers (for the split's pending list).</summary>
    public MP NRace(MP[] ps, int[] handles, NKind kind)
    {
        if (ps.Length == 0) throw new ModelArgumentException();
        MP Outcome()
        {
            var values = new List<object?>();
            var pending = new List<int>();
            for (int i = 0; i < ps.Length; i++)
            {
                var u = Find(ps[i]);
                if (u.State == MState.Rejected) return Like(u);
                if (u.State == MState.Fulfilled) values.Add(u.Value);
                else pending.Add(handles[i]);
            }
            return Return(kind == NKind.Split ? new ModelValueText.Split(values, pending) : values);
        }
        if (ps.Any(p => Find(p).State != MState.Pending))
        {
            var now = Outcome();
            if (kind == NKind.Pick) foreach (var p in ps) Cancel(p);
            return now;
        }
        var r = new MP { How = MHow.ToSeveral, Targets = ps };
        bool decided = false;
        foreach (var p in ps)
        {
            Find(p).Callbacks.Add(_ =>
            {
                if (decided) return;
                decided = true;
                var outcome = Outcome();
                if (kind == NKind.Pick) foreach (var q in ps) Cancel(q);
                ResolveLike(r, outcome);
            });
        }
        return r;
    }

    private MP Forwarder(MP p, MHow how, out Action<MP> forward)
    {
        var r = new MP { How = how };
        forward = src =>
        {
            if (Find(r).State == MState.Pending) ResolveLike(r, src);
        };
        return r;
    }

    public MP Protected(MP p)
    {
        var u = Find(p);
        if (u.State != MState.Pending) return p;
        var r = Forwarder(p, MHow.CancelThis, out var forward);
        bool detached = false;
        u.Callbacks.Add(src =>
        {
            if (!detached) forward(src);
        });
        r.CancelCallbacks.Add(() => detached = true);
        return r;
    }

    public MP NoCancel(MP p)
    {
        var u = Find(p);
        if (u.State != MState.Pending) return p;
        var r = Forwarder(p, MHow.NotCancelable, out var forward);
        u.Callbacks.Add(forward);
        return r;
    }

    public MP WrapInCancelable(MP p)
    {
        var u = Find(p);
        if (u.State != MState.Pending) return p;
        var r = Forwarder(p, MHow.CancelThis, out var forward);
        u.Callbacks.Add(forward);
        r.CancelCallbacks.Add(() => Cancel(u));
        return r;
    }

    // On* callbacks: run at once when the promise is already resolved (the right way).
    public void OnSuccess(MP p, Action<object?> f) => OnAny(p, f, _ => { });
    public void OnFailure(MP p, Action<MExn> f) => OnAny(p, _ => { }, f);
    public void OnTermination(MP p, Action f) => OnAny(p, _ => f(), _ => f());

    public void OnAny(MP p, Action<object?> f, Action<MExn> g)
    {
        var u = Find(p);
        if (u.State == MState.Fulfilled) f(u.Value);
        else if (u.State == MState.Rejected) g(u.Exn!);
        else u.Callbacks.Add(src =>
        {
            if (src.State == MState.Fulfilled) f(src.Value);
            else g(src.Exn!);
        });
    }

    public void OnCancel(MP p, Action f)
    {
        var u = Find(p);
        if (u.State == MState.Pending) u.CancelCallbacks.Add(f);
        else if (u.State == MState.Rejected && u.Exn!.IsCanceledKind) f();
    }
}

/// <summary>A model callback "throws" this: the exception that the library-side callback throws.</summary>
internal sealed class ModelThrow(Exception e) : Exception("model throw")
{
    public readonly Exception Thrown = e;
}

/// <summary>The model's "throws ArgumentException at the call" (empty race).</summary>
internal sealed class ModelArgumentException : Exception;
