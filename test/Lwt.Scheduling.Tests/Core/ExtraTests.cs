namespace Lwt.Tests.Core;

public class NestingTests
{
    [Fact]
    public void ResolveNow_nests_even_when_deep()
    {
        const int n = 200;
        var log = new List<string>();
        var rs = new Resolver<int>[n];
        var ps = new Promise<int>[n];
        for (int i = 0; i < n; i++) (ps[i], rs[i]) = Promise.Create<int>();
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            ps[i].OnSuccess(_ => { log.Add("before" + k); rs[k + 1].ResolveNow(k + 1); log.Add("after" + k); });
        }
        rs[0].ResolveNow(0);
        var expected = new List<string>();
        for (int i = 0; i < n - 1; i++) expected.Add("before" + i);
        for (int i = n - 2; i >= 0; i--) expected.Add("after" + i);
        Assert.Equal(expected, log);
    }

    [Fact]
    public void Resolve_from_deep_callbacks_still_completes_before_the_outermost_returns()
    {
        const int n = 500;
        var rs = new Resolver<int>[n];
        var ps = new Promise<int>[n];
        for (int i = 0; i < n; i++) (ps[i], rs[i]) = Promise.Create<int>();
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            ps[i].OnSuccess(_ => rs[k + 1].Resolve(k + 1));
        }
        rs[0].Resolve(0);
        Assert.Equal(n - 1, ps[n - 1].Value);
    }
}

public class AsyncLocalFastPathTests
{
    private static readonly AsyncLocal<string?> s_local = new();

    // API.md: AsyncLocal values flow into every callback as they were when it was attached. A callback
    // attached to a pending promise runs later in its captured context, and what it changes is undone
    // (CallbackContext.cs). Bind, Map and the On* callbacks on an input that is already resolved call
    // the callback at once, as an ordinary synchronous call in the caller's own context (lwt.ml's bind
    // on a fulfilled promise is `f v`): the value flows in, and a change stays, as with any method call.

    [Fact]
    public void Catch_on_rejected_input_does_not_leak_handler_changes()
    {
        s_local.Value = "caller";
        Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => { s_local.Value = "handler"; return Promise.Return(0); });
        Assert.Equal("caller", s_local.Value);
        s_local.Value = null;
    }

    [Fact]
    public void Bind_on_fulfilled_input_is_a_direct_call_in_the_callers_context()
    {
        s_local.Value = "caller";
        string? seen = null;
        Promise.Return(1).Bind(x => { seen = s_local.Value; s_local.Value = "callback"; return Promise.Return(x); });
        Assert.Equal("caller", seen);
        Assert.Equal("callback", s_local.Value);
        s_local.Value = null;
    }

    [Fact]
    public void Map_on_fulfilled_input_is_a_direct_call_in_the_callers_context()
    {
        s_local.Value = "caller";
        string? seen = null;
        Promise.Return(1).Map(x => { seen = s_local.Value; s_local.Value = "callback"; return x; });
        Assert.Equal("caller", seen);
        Assert.Equal("callback", s_local.Value);
        s_local.Value = null;
    }

    [Fact]
    public void OnSuccess_on_fulfilled_input_is_a_direct_call_in_the_callers_context()
    {
        s_local.Value = "caller";
        string? seen = null;
        Promise.Return(1).OnSuccess(_ => { seen = s_local.Value; s_local.Value = "callback"; });
        Assert.Equal("caller", seen);
        Assert.Equal("callback", s_local.Value);
        s_local.Value = null;
    }
}

public class ProxyTests
{
    private static async Promise<int> Await(Promise<int> p) => await p + 1;

    [Fact]
    public void Bind_callback_returning_pending_async_method_promise()
    {
        var (p, rp) = Promise.Create<int>();
        var (inner, ri) = Promise.Create<int>();
        var b = p.Bind(_ => Await(inner));
        rp.Resolve(0);
        Assert.True(b.IsPending);
        ri.Resolve(1);
        Assert.Equal(2, b.Value);
    }

    [Fact]
    public void Cancel_bind_whose_callback_returned_a_pending_async_method_promise()
    {
        var (inner, _) = Promise.CreateCancelable<int>();
        var b = Promise.Return(0).Bind(_ => Await(inner));
        b.Cancel();
        Assert.True(inner.IsCanceled);
        Assert.True(b.IsCanceled);
    }

    [Fact]
    public void Same_pending_promise_returned_by_two_binds()
    {
        var (shared, rs) = Promise.Create<int>();
        var b1 = Promise.Return(0).Bind(_ => shared);
        var b2 = Promise.Return(0).Bind(_ => shared);
        var log = new List<int>();
        b1.OnSuccess(log.Add);
        b2.OnSuccess(log.Add);
        rs.Resolve(3);
        Assert.Equal(3, b1.Value);
        Assert.Equal(3, b2.Value);
        Assert.Equal(new[] { 3, 3 }, log);
    }

    [Fact]
    public void Callback_returning_its_own_result_stays_pending()
    {
        var (p, rp) = Promise.Create<int>();
        Promise<int>? self = null;
        self = p.Bind(_ => self!);
        rp.Resolve(1);
        Assert.True(self.IsPending);
    }

    [Fact]
    public void Resolver_of_a_promise_that_became_a_proxy_resolves_the_outer_promise()
    {
        var (p2, r2) = Promise.Create<int>();
        var b = Promise.Return(0).Bind(_ => p2).Map(x => x * 10);
        r2.Resolve(4);
        Assert.Equal(40, b.Value);
        Assert.Equal(4, p2.Value);
        Assert.Throws<InvalidOperationException>(() => r2.Resolve(5));
    }

    [Fact]
    public void Protected_view_of_a_promise_that_later_becomes_a_proxy()
    {
        var (p, rp) = Promise.Create<int>();
        var (p2, r2) = Promise.CreateCancelable<int>();
        var view = p2.Protected();
        var b = p.Bind(_ => p2);
        rp.Resolve(0);
        view.Cancel();
        Assert.True(view.IsCanceled);
        Assert.True(p2.IsPending);
        Assert.True(b.IsPending);
        r2.Resolve(1);
        Assert.Equal(1, b.Value);
    }
}

public class RaceWithAsyncMethodsTests
{
    [Fact]
    public void Pick_cancels_losing_async_methods_which_observe_canceled()
    {
        var log = new List<string>();
        var (slow, _) = Promise.CreateCancelable<int>();
        var (fast, rFast) = Promise.Create<int>();
        async Promise<int> Wait(string name, Promise<int> p)
        {
            try { return await p; }
            catch (CanceledException) { log.Add(name + " canceled"); throw; }
        }
        var loser = Wait("slow", slow);
        var r = Promise.Pick(loser, Wait("fast", fast));
        rFast.Resolve(1);
        Assert.Equal(1, r.Value);
        Assert.True(slow.IsCanceled);
        Assert.True(loser.IsCanceled);
        Assert.Equal(new[] { "slow canceled" }, log);
    }
}
