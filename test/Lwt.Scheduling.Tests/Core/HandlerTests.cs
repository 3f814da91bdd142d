namespace Lwt.Tests.Core;

public class CatchTests
{
    public static TheoryData<Kind> Kinds => In.Kinds;

    [Theory, MemberData(nameof(Kinds))]
    public void Typed_input_of_each_kind(Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 5, e);
        Exception? got = null;
        var r = Promise.Catch(() => p, x => { got = x; return Promise.Return(99); });
        if (In.Later(kind)) { Assert.True(r.IsPending); settle(); }
        if (In.Fulfils(kind)) { Assert.Equal(5, r.Value); Assert.Null(got); }
        else { Assert.Equal(99, r.Value); Assert.Same(e, got); }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Untyped_input_of_each_kind(Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 5, e);
        Exception? got = null;
        var r = Promise.Catch(() => (Promise)p, x => { got = x; return Promise.ReturnUnit; });
        if (In.Later(kind)) { Assert.True(r.IsPending); settle(); }
        Assert.True(r.IsFulfilled);
        Assert.Same(In.Fulfils(kind) ? null : e, got);
    }

    [Fact]
    public void F_that_throws_is_handled_like_a_rejection()
    {
        var e = new Boom();
        Exception? got = null;
        var r = Promise.Catch<int>(() => throw e, x => { got = x; return Promise.Return(1); });
        Assert.Same(e, got);
        Assert.Equal(1, r.Value);
        Exception? got2 = null;
        var r2 = Promise.Catch(() => throw e, x => { got2 = x; return Promise.ReturnUnit; });
        Assert.Same(e, got2);
        Assert.True(r2.IsFulfilled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Handler_that_throws_rejects_result_with_that_exception(bool later)
    {
        var (p, settle) = In.Make(later ? Kind.RejectedLater : Kind.Rejected, 0, new Boom("first"));
        var e2 = new Boom("second");
        Promise<int>? r = null;
        Assert.Null(Record.Exception(() => r = Promise.Catch(() => p, _ => throw e2)));
        settle();
        Assert.Same(e2, r!.Exception);
        Promise? u = null;
        var (q, settleQ) = In.Make(later ? Kind.RejectedLater : Kind.Rejected, 0, new Boom("first"));
        Assert.Null(Record.Exception(() => u = Promise.Catch(() => (Promise)q, _ => throw e2)));
        settleQ();
        Assert.Same(e2, u!.Exception);
    }

    [Fact]
    public void Handler_returning_pending_promise_result_follows_it()
    {
        var (p2, r2) = Promise.Create<int>();
        var r = Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => p2);
        Assert.True(r.IsPending);
        r2.Resolve(8);
        Assert.Equal(8, r.Value);
    }

    [Fact]
    public void Handler_can_rethrow_by_returning_failed_promise()
    {
        var e = new Boom();
        var r = Promise.Catch(() => Promise.Fail<int>(e), x => Promise.Fail<int>(x));
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void Cancel_while_waiting_for_f_cancels_it_and_handler_sees_canceled()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        Exception? got = null;
        var r = Promise.Catch(() => p, x => { got = x; return Promise.Fail<int>(x); });
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(got);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_handled_by_the_handler_fulfils_result()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var r = Promise.Catch(() => p, _ => Promise.Return(7));
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.Equal(7, r.Value);
    }

    [Fact]
    public void Cancel_while_waiting_for_handler_promise_cancels_it()
    {
        var (p2, _) = Promise.CreateCancelable<int>();
        var r = Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => p2);
        r.Cancel();
        Assert.True(p2.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_stops_at_non_cancelable_f_promise()
    {
        var (p, _) = Promise.Create<int>();
        var r = Promise.Catch(() => p, _ => Promise.Return(1));
        r.Cancel();
        Assert.True(p.IsPending);
        Assert.True(r.IsPending);
    }
}

public class FinallyTests
{
    public static TheoryData<Kind> Kinds => In.Kinds;

    [Theory, MemberData(nameof(Kinds))]
    public void Typed_result_resolves_like_f_after_cleanup(Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 5, e);
        int cleanups = 0;
        var r = Promise.Finally(() => p, () => { cleanups++; return Promise.ReturnUnit; });
        if (In.Later(kind))
        {
            Assert.Equal(0, cleanups);
            Assert.True(r.IsPending);
            settle();
        }
        Assert.Equal(1, cleanups);
        if (In.Fulfils(kind)) Assert.Equal(5, r.Value);
        else Assert.Same(e, r.Exception);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Untyped_result_resolves_like_f_after_cleanup(Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 5, e);
        int cleanups = 0;
        var r = Promise.Finally(() => (Promise)p, () => { cleanups++; return Promise.ReturnUnit; });
        settle();
        Assert.Equal(1, cleanups);
        if (In.Fulfils(kind)) Assert.True(r.IsFulfilled);
        else Assert.Same(e, r.Exception);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Cleanup_that_throws_rejects_result_with_cleanup_exception(Kind kind)
    {
        var (p, settle) = In.Make(kind, 5, new Boom("f"));
        var ce = new Boom("cleanup");
        Promise<int>? r = null;
        Assert.Null(Record.Exception(() => r = Promise.Finally(() => p, () => throw ce)));
        settle();
        Assert.Same(ce, r!.Exception);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Cleanup_rejected_promise_takes_precedence(Kind kind)
    {
        var (p, settle) = In.Make(kind, 5, new Boom("f"));
        var ce = new Boom("cleanup");
        var r = Promise.Finally(() => p, () => Promise.Fail(ce));
        settle();
        Assert.Same(ce, r.Exception);
    }

    [Fact]
    public void F_that_throws_still_runs_cleanup()
    {
        var e = new Boom();
        int cleanups = 0;
        var r = Promise.Finally<int>(() => throw e, () => { cleanups++; return Promise.ReturnUnit; });
        Assert.Equal(1, cleanups);
        Assert.Same(e, r.Exception);
        var u = Promise.Finally(() => throw e, () => { cleanups++; return Promise.ReturnUnit; });
        Assert.Equal(2, cleanups);
        Assert.Same(e, u.Exception);
    }

    [Fact]
    public void Result_waits_for_pending_cleanup()
    {
        var (c, rc) = Promise.Create();
        var r = Promise.Finally(() => Promise.Return(3), () => c);
        Assert.True(r.IsPending);
        rc.Resolve();
        Assert.Equal(3, r.Value);
    }

    [Fact]
    public void Pending_cleanup_later_rejected()
    {
        var (c, rc) = Promise.Create();
        var e = new Boom();
        var r = Promise.Finally(() => Promise.Fail<int>(new Boom("f")), () => c);
        rc.Reject(e);
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void Cancel_while_waiting_for_f_cancels_it_then_runs_cleanup()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        int cleanups = 0;
        var r = Promise.Finally(() => p, () => { cleanups++; return Promise.ReturnUnit; });
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.Equal(1, cleanups);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_while_waiting_for_cleanup_cancels_cleanup()
    {
        var (c, _) = Promise.CreateCancelable();
        var r = Promise.Finally(() => Promise.Return(1), () => c);
        r.Cancel();
        Assert.True(c.IsCanceled);
        Assert.True(r.IsCanceled);
    }
}

public class TryBindTests
{
    public static TheoryData<Kind> Kinds => In.Kinds;

    [Theory, MemberData(nameof(Kinds))]
    public void Input_of_each_kind(Kind kind)
    {
        var e = new Boom();
        var (p, settle) = In.Make(kind, 5, e);
        int? v = null;
        Exception? got = null;
        var r = Promise.TryBind(() => p, x => { v = x; return Promise.Return("ok"); }, x => { got = x; return Promise.Return("err"); });
        if (In.Later(kind)) { Assert.True(r.IsPending); Assert.Null(v); Assert.Null(got); settle(); }
        if (In.Fulfils(kind)) { Assert.Equal("ok", r.Value); Assert.Equal(5, v); Assert.Null(got); }
        else { Assert.Equal("err", r.Value); Assert.Same(e, got); Assert.Null(v); }
    }

    [Fact]
    public void F_that_throws_goes_to_on_rejected()
    {
        var e = new Boom();
        Exception? got = null;
        var r = Promise.TryBind<int, int>(() => throw e, _ => Promise.Return(1), x => { got = x; return Promise.Return(2); });
        Assert.Same(e, got);
        Assert.Equal(2, r.Value);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Handler_that_throws_rejects_result_with_that_exception(Kind kind)
    {
        var (p, settle) = In.Make(kind, 5, new Boom("in"));
        var e = new Boom("handler");
        Promise<int>? r = null;
        Assert.Null(Record.Exception(() => r = Promise.TryBind<int, int>(() => p, _ => throw e, _ => throw e)));
        settle();
        Assert.Same(e, r!.Exception);
    }

    [Fact]
    public void Handler_returning_pending_promise_result_follows_it()
    {
        var (p2, r2) = Promise.Create<int>();
        var r = Promise.TryBind(() => Promise.Return(1), _ => p2, _ => Promise.Return(0));
        Assert.True(r.IsPending);
        r2.Resolve(6);
        Assert.Equal(6, r.Value);
    }

    [Fact]
    public void Cancel_while_waiting_for_f_goes_to_on_rejected()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        Exception? got = null;
        var r = Promise.TryBind(() => p, _ => Promise.Return(1), x => { got = x; return Promise.Return(2); });
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(got);
        Assert.Equal(2, r.Value);
    }

    [Fact]
    public void Cancel_while_waiting_for_handler_promise_cancels_it()
    {
        var (p2, _) = Promise.CreateCancelable<int>();
        var r = Promise.TryBind(() => Promise.Return(1), _ => p2, _ => Promise.Return(0));
        r.Cancel();
        Assert.True(p2.IsCanceled);
        Assert.True(r.IsCanceled);
    }
}

public class WrapTests
{
    [Fact]
    public void Wrap_value()
    {
        Assert.Equal(4, Promise.Wrap(() => 4).Value);
        int n = 0;
        var u = Promise.Wrap(() => { n++; });
        Assert.Equal(1, n); // eager
        Assert.True(u.IsFulfilled);
    }

    [Fact]
    public void Wrap_throw_gives_rejected_promise_with_that_exception()
    {
        var e = new Boom();
        Assert.Same(e, Promise.Wrap<int>(() => throw e).Exception);
        Assert.Same(e, Promise.Wrap(() => throw e).Exception);
    }

    [Fact]
    public void Return_and_fail()
    {
        Assert.Same(Promise.ReturnUnit, Promise.ReturnUnit);
        Assert.True(Promise.Return().IsFulfilled);
        Assert.True(Promise.ReturnTrue.Value);
        Assert.False(Promise.ReturnFalse.Value);
        var e = new Boom();
        var f = Promise.Fail(e);
        Assert.Equal(PromiseState.Rejected, f.State);
        Assert.Same(e, f.Exception);
        Assert.False(f.IsCanceled);
        Assert.True(Promise.Fail(new CanceledException()).IsCanceled);
        Assert.True(Promise.Fail(new OperationCanceledException()).IsCanceled);
        Assert.Equal(PromiseState.Fulfilled, Promise.Return(1).State);
        Assert.Equal(PromiseState.Pending, Promise.Create().Promise.State);
        Assert.Null(Promise.Return(1).Exception);
    }
}
