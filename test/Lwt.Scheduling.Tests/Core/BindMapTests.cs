namespace Lwt.Tests.Core;

/// <summary>
/// The nine ways to bind (four Bind overloads, their four state-passing forms, and LINQ), over
/// the same inputs. The state-passing forms pass the test's callback as their state, with a
/// static lambda: the callback runs only if the state arrived.
/// </summary>
public enum BindWay { Typed, TypedToUntyped, UntypedToTyped, UntypedToUntyped, Linq, TypedState, TypedToUntypedState, UntypedToTypedState, UntypedToUntypedState }

public class BindTests
{
    public static TheoryData<BindWay, Kind> WaysAndKinds()
    {
        var d = new TheoryData<BindWay, Kind>();
        foreach (var w in Enum.GetValues<BindWay>())
            foreach (var k in Enum.GetValues<Kind>()) d.Add(w, k);
        return d;
    }

    public static TheoryData<BindWay, bool> WaysAndTiming()
    {
        var d = new TheoryData<BindWay, bool>();
        foreach (var w in Enum.GetValues<BindWay>()) { d.Add(w, false); d.Add(w, true); }
        return d;
    }

    public static TheoryData<BindWay> Ways()
    {
        var d = new TheoryData<BindWay>();
        foreach (var w in Enum.GetValues<BindWay>()) d.Add(w);
        return d;
    }

    /// <summary>Binds <paramref name="f"/> to <paramref name="p"/> the chosen way; <paramref name="seen"/> records the value f got.</summary>
    private static Promise Apply(BindWay way, Promise<int> p, Func<int, Promise<int>> f) => way switch
    {
        BindWay.Typed => p.Bind(f),
        BindWay.TypedToUntyped => p.Bind((int x) => (Promise)f(x)),
        BindWay.UntypedToTyped => ((Promise)p).Bind(() => f(p.Value)),
        BindWay.UntypedToUntyped => ((Promise)p).Bind(() => (Promise)f(p.Value)),
        BindWay.Linq => from x in p from y in f(x) select y,
        BindWay.TypedState => p.Bind(static (x, g) => g(x), f),
        BindWay.TypedToUntypedState => p.Bind(static (int x, Func<int, Promise<int>> g) => (Promise)g(x), f),
        // a value-type state (a tuple) for the untyped forms
        BindWay.UntypedToTypedState => ((Promise)p).Bind(static s => s.f(s.p.Value), (f, p)),
        BindWay.UntypedToUntypedState => ((Promise)p).Bind(static s => (Promise)s.f(s.p.Value), (f, p)),
        _ => throw new ArgumentOutOfRangeException(nameof(way)),
    };

    private static bool IsTyped(BindWay w) =>
        w is BindWay.Typed or BindWay.UntypedToTyped or BindWay.Linq or BindWay.TypedState or BindWay.UntypedToTypedState;

    [Theory, MemberData(nameof(WaysAndKinds))]
    public void Input_of_each_kind(BindWay way, Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 20, e);
        int calls = 0, seen = 0;
        var r = Apply(way, p, x => { calls++; seen = x; return Promise.Return(x + 1); });
        if (In.Later(kind))
        {
            Assert.True(r.IsPending);
            Assert.Equal(0, calls);
            settle();
        }
        if (In.Fulfils(kind))
        {
            Assert.True(r.IsFulfilled);
            Assert.Equal(1, calls);
            Assert.Equal(20, seen);
            if (IsTyped(way)) Assert.Equal(21, ((Promise<int>)r).Value);
        }
        else
        {
            Assert.True(r.IsRejected);
            Assert.Same(e, r.Exception);
            Assert.Equal(0, calls);
        }
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Callback_that_throws_rejects_result_with_that_exception(BindWay way, bool later)
    {
        var e = new Boom();
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom("other"));
        Promise? r = null;
        var ex = Record.Exception(() => r = Apply(way, p, _ => throw e));
        Assert.Null(ex);
        settle();
        Assert.True(r!.IsRejected);
        Assert.Same(e, r.Exception);
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Callback_returning_pending_promise_result_follows_it(BindWay way, bool later)
    {
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom());
        var (p2, r2) = Promise.Create<int>();
        var r = Apply(way, p, _ => p2);
        settle();
        Assert.True(r.IsPending);
        r2.Resolve(5);
        Assert.True(r.IsFulfilled);
        if (IsTyped(way)) Assert.Equal(5, ((Promise<int>)r).Value);
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Callback_returning_pending_promise_that_is_rejected(BindWay way, bool later)
    {
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom());
        var (p2, r2) = Promise.Create<int>();
        var r = Apply(way, p, _ => p2);
        settle();
        var e = new Boom();
        r2.Reject(e);
        Assert.Same(e, r.Exception);
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Callback_returning_rejected_promise(BindWay way, bool later)
    {
        var e = new Boom();
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom("other"));
        var r = Apply(way, p, _ => Promise.Fail<int>(e));
        settle();
        Assert.Same(e, r.Exception);
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Callback_returning_null_rejects_without_throwing(BindWay way, bool later)
    {
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom());
        var r = Apply(way, p, _ => null!);
        settle();
        Assert.True(r.IsRejected);
    }

    // ------------------------------------------------------------ cancellation

    [Theory, MemberData(nameof(Ways))]
    public void Cancel_while_waiting_for_cancelable_input_cancels_it(BindWay way)
    {
        var (p, _) = Promise.CreateCancelable<int>();
        int calls = 0;
        var r = Apply(way, p, x => { calls++; return Promise.Return(x); });
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(p.Exception);
        Assert.True(r.IsCanceled);
        Assert.Same(p.Exception, r.Exception);
        Assert.Equal(0, calls);
    }

    [Theory, MemberData(nameof(Ways))]
    public void Cancel_stops_at_non_cancelable_input(BindWay way)
    {
        var (p, res) = Promise.Create<int>();
        var r = Apply(way, p, x => Promise.Return(x));
        r.Cancel();
        Assert.True(p.IsPending);
        Assert.True(r.IsPending);
        res.Resolve(3);
        Assert.True(r.IsFulfilled);
    }

    [Theory, MemberData(nameof(Ways))]
    public void Cancel_after_callback_returned_cancelable_promise_cancels_that_promise(BindWay way)
    {
        var (p, res) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable<int>();
        var r = Apply(way, p, _ => p2);
        res.Resolve(1);
        Assert.True(r.IsPending);
        r.Cancel();
        Assert.True(p2.IsCanceled);
        Assert.True(r.IsCanceled);
        Assert.True(p.IsFulfilled);
    }

    [Theory, MemberData(nameof(Ways))]
    public void Cancel_after_callback_returned_non_cancelable_promise_does_nothing(BindWay way)
    {
        var (p, res) = Promise.Create<int>();
        var (p2, res2) = Promise.Create<int>();
        var r = Apply(way, p, _ => p2);
        res.Resolve(1);
        r.Cancel();
        Assert.True(p2.IsPending);
        Assert.True(r.IsPending);
        res2.Resolve(2);
        Assert.True(r.IsFulfilled);
    }

    [Fact]
    public void Cancel_reaches_through_a_chain_of_binds()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var r = p.Bind(x => Promise.Return(x + 1)).Map(x => x * 2).Bind(x => Promise.Return(x));
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_on_resolved_promise_does_nothing()
    {
        var p = Promise.Return(1);
        p.Cancel();
        Assert.Equal(1, p.Value);
        var f = Promise.Fail<int>(new Boom());
        f.Cancel();
        Assert.IsType<Boom>(f.Exception);
    }

    [Fact]
    public void Proxy_result_and_returned_promise_share_state()
    {
        var (p, res) = Promise.Create<int>();
        var (p2, res2) = Promise.Create<int>();
        var r = p.Bind(_ => p2);
        res.Resolve(0);
        // "p_3 is effectively made into a reference to p_2": same state, operations on one act on the other.
        var log = new List<string>();
        p2.OnSuccess(v => log.Add("p2:" + v));
        r.OnSuccess(v => log.Add("r:" + v));
        Assert.True(p2.IsPending && r.IsPending);
        res2.Resolve(9);
        Assert.Equal(9, p2.Value);
        Assert.Equal(9, r.Value);
        Assert.Equal(new[] { "p2:9", "r:9" }, log);
    }

    [Fact]
    public void Bind_result_is_exactly_the_returned_promise_when_input_already_fulfilled()
    {
        // Not required by the spec, but the fast path must not lose the returned promise's identity of state.
        var (p2, r2) = Promise.Create<int>();
        var r = Promise.Return(1).Bind(_ => p2);
        r2.Resolve(4);
        Assert.Equal(4, r.Value);
    }
}

public class MapTests
{
    /// <summary>Map, untyped Map, LINQ select, and the state-passing forms of the first two.</summary>
    public enum MapWay { Typed, Untyped, Select, TypedState, UntypedState }

    public static TheoryData<MapWay, Kind> WaysAndKinds()
    {
        var d = new TheoryData<MapWay, Kind>();
        foreach (var w in Enum.GetValues<MapWay>())
            foreach (var k in Enum.GetValues<Kind>()) d.Add(w, k);
        return d;
    }

    public static TheoryData<MapWay, bool> WaysAndTiming()
    {
        var d = new TheoryData<MapWay, bool>();
        foreach (var w in Enum.GetValues<MapWay>()) { d.Add(w, false); d.Add(w, true); }
        return d;
    }

    private static Promise<int> Apply(MapWay way, Promise<int> p, Func<int, int> f) => way switch
    {
        MapWay.Typed => p.Map(f),
        MapWay.Untyped => ((Promise)p).Map(() => f(p.Value)),
        MapWay.Select => from x in p select f(x),
        MapWay.TypedState => p.Map(static (x, g) => g(x), f),
        MapWay.UntypedState => ((Promise)p).Map(static s => s.f(s.p.Value), (f, p)),
        _ => throw new ArgumentOutOfRangeException(nameof(way)),
    };

    [Theory, MemberData(nameof(WaysAndKinds))]
    public void Input_of_each_kind(MapWay way, Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 20, e);
        int calls = 0;
        var r = Apply(way, p, x => { calls++; return x * 2; });
        if (In.Later(kind))
        {
            Assert.True(r.IsPending);
            settle();
        }
        if (In.Fulfils(kind)) Assert.Equal(40, r.Value);
        else Assert.Same(e, r.Exception);
        Assert.Equal(In.Fulfils(kind) ? 1 : 0, calls);
    }

    [Theory, MemberData(nameof(WaysAndTiming))]
    public void Function_that_throws_rejects_result_with_that_exception(MapWay way, bool later)
    {
        var e = new Boom();
        var (p, settle) = In.Make(later ? Kind.FulfilledLater : Kind.Fulfilled, 1, new Boom("x"));
        Promise<int>? r = null;
        Assert.Null(Record.Exception(() => r = Apply(way, p, _ => throw e)));
        settle();
        Assert.Same(e, r!.Exception);
    }

    [Theory]
    [InlineData(MapWay.Typed)]
    [InlineData(MapWay.Untyped)]
    [InlineData(MapWay.Select)]
    [InlineData(MapWay.TypedState)]
    [InlineData(MapWay.UntypedState)]
    public void Cancel_propagates_to_cancelable_input(MapWay way)
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var r = Apply(way, p, x => x);
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Linq_two_generators_with_projection()
    {
        var (p, rp) = Promise.Create<int>();
        var (q, rq) = Promise.Create<int>();
        var r = from x in p from y in q select x + y;
        Assert.True(r.IsPending);
        rp.Resolve(1);
        Assert.True(r.IsPending);
        rq.Resolve(2);
        Assert.Equal(3, r.Value);
    }

    [Fact]
    public void Linq_second_generator_rejected()
    {
        var e = new Boom();
        var r = from x in Promise.Return(1) from y in Promise.Fail<int>(e) select x + y;
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void Linq_projection_throws()
    {
        var e = new Boom();
        var (q, rq) = Promise.Create<int>();
        var r = from x in Promise.Return(1) from y in q select x + (y == 0 ? throw e : y);
        rq.Resolve(0);
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void Linq_cancel_reaches_second_generator()
    {
        var (q, _) = Promise.CreateCancelable<int>();
        var r = from x in Promise.Return(1) from y in q select x + y;
        r.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(r.IsCanceled);
    }
}
