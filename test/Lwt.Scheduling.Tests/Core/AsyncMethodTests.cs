namespace Lwt.Tests.Core;

public class AsyncMethodTests
{
    private static async Promise<int> AddOne(Promise<int> p) => await p + 1;

    private static async Promise AwaitUntyped(Promise p, List<string> log)
    {
        log.Add("start");
        await p;
        log.Add("end");
    }

    [Fact]
    public void Await_fulfilled_completes_synchronously()
    {
        var r = AddOne(Promise.Return(1));
        Assert.Equal(2, r.Value);
        var log = new List<string>();
        Assert.True(AwaitUntyped(Promise.ReturnUnit, log).IsFulfilled);
        Assert.Equal(new[] { "start", "end" }, log);
    }

    [Fact]
    public void Await_pending_resumes_when_resolved()
    {
        var (p, r) = Promise.Create<int>();
        var q = AddOne(p);
        Assert.True(q.IsPending);
        r.Resolve(41);
        Assert.Equal(42, q.Value);

        var (u, ru) = Promise.Create();
        var log = new List<string>();
        var m = AwaitUntyped(u, log);
        Assert.Equal(new[] { "start" }, log);
        ru.Resolve();
        Assert.Equal(new[] { "start", "end" }, log);
        Assert.True(m.IsFulfilled);
    }

    [Fact]
    public void Await_rejected_rethrows_the_same_exception_object()
    {
        var e = new Boom();
        Exception? caught = null;
        async Promise Catcher(Promise p)
        {
            try { await p; }
            catch (Exception x) { caught = x; }
        }
        Assert.True(Catcher(Promise.Fail(e)).IsFulfilled);
        Assert.Same(e, caught);

        caught = null;
        var (q, rq) = Promise.Create<int>();
        var m = Catcher(q);
        rq.Reject(e);
        Assert.Same(e, caught);
        Assert.True(m.IsFulfilled);
    }

    [Fact]
    public void Exception_escaping_the_method_rejects_its_promise_with_that_object()
    {
        var e = new Boom();
        var r = AddOne(Promise.Fail<int>(e));
        Assert.Same(e, r.Exception);
        var (p, rp) = Promise.Create<int>();
        var r2 = AddOne(p);
        rp.Reject(e);
        Assert.Same(e, r2.Exception);

        async Promise<int> ThrowsBeforeAwait() { await Promise.ReturnUnit; throw e; }
        Assert.Same(e, ThrowsBeforeAwait().Exception);
    }

    [Fact]
    public void Cancel_async_promise_cancels_what_it_awaits_and_method_sees_canceled()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        Exception? seen = null;
        async Promise<int> M()
        {
            try { return await p; }
            catch (Exception x) { seen = x; throw; }
        }
        var r = M();
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(seen);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Async_method_can_catch_cancellation_and_return_normally()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        async Promise<int> M()
        {
            try { return await p; }
            catch (CanceledException) { return -1; }
        }
        var r = M();
        r.Cancel();
        Assert.Equal(-1, r.Value);
    }

    [Fact]
    public void Cancel_reaches_the_promise_awaited_at_that_moment()
    {
        var (first, r1) = Promise.CreateCancelable<int>();
        var (second, _) = Promise.CreateCancelable<int>();
        async Promise<int> M()
        {
            var a = await first;
            var b = await second;
            return a + b;
        }
        var r = M();
        r1.Resolve(1);
        r.Cancel();
        Assert.Equal(1, first.Value);
        Assert.True(second.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_through_nested_async_methods_and_binds()
    {
        var (leaf, _) = Promise.CreateCancelable<int>();
        async Promise<int> Inner() => await leaf.Map(x => x + 1);
        async Promise Outer() { await Inner(); }
        var r = Outer();
        r.Cancel();
        Assert.True(leaf.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Cancel_async_awaiting_non_cancelable_does_nothing()
    {
        var (p, rp) = Promise.Create<int>();
        var r = AddOne(p);
        r.Cancel();
        Assert.True(r.IsPending);
        rp.Resolve(1);
        Assert.Equal(2, r.Value);
    }

    [Fact]
    public void Cancel_async_awaiting_pause()
    {
        Promise.AbandonPaused();
        bool canceled = false;
        async Promise M()
        {
            try { await Promise.Pause(); }
            catch (CanceledException) { canceled = true; }
        }
        var r = M();
        r.Cancel();
        Assert.True(canceled);
        Assert.True(r.IsFulfilled);
    }

    [Fact]
    public void Completed_async_method_is_not_affected_by_cancel()
    {
        var (p, rp) = Promise.CreateCancelable<int>();
        var r = AddOne(p);
        rp.Resolve(1);
        r.Cancel();
        Assert.Equal(2, r.Value);
    }

    [Fact]
    public void Bind_on_async_promise_and_await_of_bind()
    {
        var (p, rp) = Promise.Create<int>();
        async Promise<int> M() => await p.Bind(x => Promise.Return(x * 3));
        var r = M().Map(x => x + 1);
        rp.Resolve(2);
        Assert.Equal(7, r.Value);
    }
}

public class AsyncLocalTests
{
    private static readonly AsyncLocal<string?> s_local = new();

    [Fact]
    public void Callbacks_see_values_as_they_were_when_attached()
    {
        var seen = new List<string?>();
        var (p, r) = Promise.Create<int>();
        s_local.Value = "attach";
        p.Bind(x => { seen.Add("bind:" + s_local.Value); return Promise.Return(x); });
        p.Map(x => { seen.Add("map:" + s_local.Value); return x; });
        ((Promise)p).Bind(() => { seen.Add("bind0:" + s_local.Value); return Promise.ReturnUnit; });
        ((Promise)p).Map(() => { seen.Add("map0:" + s_local.Value); return 0; });
        p.Bind((int _) => { seen.Add("bindU:" + s_local.Value); return (Promise)Promise.ReturnUnit; });
        p.OnSuccess(_ => seen.Add("success:" + s_local.Value));
        p.OnTermination(() => seen.Add("termination:" + s_local.Value));
        p.OnAny(_ => seen.Add("any:" + s_local.Value), _ => { });
        Promise.TryBind(() => p, _ => { seen.Add("trybind:" + s_local.Value); return Promise.Return(0); }, _ => Promise.Return(0));
        Promise.Finally(() => p, () => { seen.Add("finally:" + s_local.Value); return Promise.ReturnUnit; });
        s_local.Value = "resolve";
        r.Resolve(1);
        Assert.Equal("resolve", s_local.Value);
        Assert.Equal(new[]
        {
            "bind:attach", "map:attach", "bind0:attach", "map0:attach", "bindU:attach", "success:attach",
            "termination:attach", "any:attach", "trybind:attach", "finally:attach",
        }, seen);
        s_local.Value = null;
    }

    [Fact]
    public void State_passing_callbacks_see_values_as_they_were_when_attached()
    {
        var seen = new List<string?>();
        var (p, r) = Promise.Create<int>();
        s_local.Value = "attach";
        p.Bind(static (x, log) => { log.Add("bind:" + s_local.Value); return Promise.Return(x); }, seen);
        p.Bind(static (int _, List<string?> log) => { log.Add("bindU:" + s_local.Value); return (Promise)Promise.ReturnUnit; }, seen);
        p.Map(static (x, log) => { log.Add("map:" + s_local.Value); return x; }, seen);
        ((Promise)p).Bind(static log => { log.Add("bind0:" + s_local.Value); return Promise.ReturnUnit; }, seen);
        ((Promise)p).Bind(static log => { log.Add("bind0T:" + s_local.Value); return Promise.Return(0); }, seen);
        ((Promise)p).Map(static log => { log.Add("map0:" + s_local.Value); return 0; }, seen);
        s_local.Value = "resolve";
        r.Resolve(1);
        Assert.Equal("resolve", s_local.Value);
        Assert.Equal(new[] { "bind:attach", "bindU:attach", "map:attach", "bind0:attach", "bind0T:attach", "map0:attach" }, seen);
        s_local.Value = null;
    }

    [Fact]
    public void Rejection_callbacks_see_values_as_they_were_when_attached()
    {
        var seen = new List<string?>();
        var (p, r) = Promise.Create<int>();
        s_local.Value = "attach";
        Promise.Catch(() => p, _ => { seen.Add("catch:" + s_local.Value); return Promise.Return(0); });
        p.OnFailure(_ => seen.Add("failure:" + s_local.Value));
        p.OnCancel(() => seen.Add("cancel:" + s_local.Value));
        s_local.Value = "resolve";
        r.Reject(new CanceledException());
        Assert.Equal(new[] { "cancel:attach", "catch:attach", "failure:attach" }, seen);
        s_local.Value = null;
    }

    [Fact]
    public void Callback_attached_with_no_value_sees_no_value()
    {
        s_local.Value = null;
        string? seen = "unset";
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(_ => seen = s_local.Value);
        s_local.Value = "resolver";
        r.Resolve(1);
        Assert.Null(seen);
        s_local.Value = null;
    }

    [Fact]
    public void Callback_changes_do_not_leak_to_the_resolver()
    {
        var (p, r) = Promise.Create<int>();
        s_local.Value = "attach";
        p.Bind(x => { s_local.Value = "bind-changed"; return Promise.Return(x); });
        p.Map(x => { s_local.Value = "map-changed"; return x; });
        p.OnSuccess(_ => s_local.Value = "success-changed");
        p.Map<int>(_ => { s_local.Value = "map-throw-changed"; throw new Boom(); });
        s_local.Value = "resolve";
        r.Resolve(1);
        Assert.Equal("resolve", s_local.Value);
        s_local.Value = null;
    }

    [Fact]
    public void Callback_changes_do_not_leak_into_sibling_callbacks()
    {
        var (p, r) = Promise.Create<int>();
        s_local.Value = "attach";
        string? second = null;
        p.OnSuccess(_ => s_local.Value = "changed");
        p.OnSuccess(_ => second = s_local.Value);
        s_local.Value = "resolve";
        r.Resolve(1);
        Assert.Equal("attach", second);
        s_local.Value = null;
    }

    [Fact]
    public void Await_continuation_sees_the_method_values()
    {
        var (p, r) = Promise.Create<int>();
        string? after = null;
        async Promise M()
        {
            s_local.Value = "method";
            await p;
            after = s_local.Value;
            s_local.Value = "method-changed";
        }
        s_local.Value = "caller";
        var m = M();
        Assert.Equal("caller", s_local.Value); // the method's change does not leak to its caller
        s_local.Value = "resolver";
        r.Resolve(1);
        Assert.True(m.IsFulfilled);
        Assert.Equal("method", after);
        Assert.Equal("resolver", s_local.Value);
        s_local.Value = null;
    }

    [Fact]
    public void Resumed_method_changes_do_not_leak_to_a_resolver_in_the_same_context()
    {
        // The resolver runs in the very context the method captured at its await, so the
        // method resumes without a switch; what it changes must still be undone afterwards,
        // AsyncLocal values and the SynchronizationContext alike.
        var (p, r) = Promise.Create<int>();
        var installed = new SynchronizationContext();
        async Promise M()
        {
            await p;
            s_local.Value = "method-changed";
            SynchronizationContext.SetSynchronizationContext(installed);
        }
        s_local.Value = "shared";
        var before = SynchronizationContext.Current;
        var m = M();
        r.Resolve(1);
        Assert.True(m.IsFulfilled);
        Assert.Equal("shared", s_local.Value);
        Assert.Same(before, SynchronizationContext.Current);
        s_local.Value = null;
    }
}
