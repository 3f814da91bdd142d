namespace Lwt.Tests.Core;

/// <summary>Everything that reaches <see cref="Promise.AsyncExceptionHook"/>: serial, hook restored in a finally.</summary>
[Collection(SerialCollection.Name)]
public class AsyncHookTests
{
    [Fact]
    public void Side_effect_callbacks_that_throw_go_to_the_hook_after_resolution()
    {
        using var hook = new HookCapture();
        var e1 = new Boom("success");
        var e2 = new Boom("failure");
        var e3 = new Boom("termination");
        var e4 = new Boom("any");
        var e5 = new Boom("cancel");
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(_ => throw e1);
        p.OnTermination(() => throw e3);
        p.OnAny(_ => throw e4, _ => { });
        int after = 0;
        p.OnSuccess(_ => after++); // later callbacks still run
        Assert.Null(Record.Exception(() => r.Resolve(1)));
        Assert.Equal(new Exception[] { e1, e3, e4 }, hook.Seen);
        Assert.Equal(1, after);

        hook.Seen.Clear();
        var (q, rq) = Promise.CreateCancelable<int>();
        q.OnFailure(_ => throw e2);
        q.OnCancel(() => throw e5);
        q.OnAny(_ => { }, _ => throw e4);
        Assert.Null(Record.Exception(q.Cancel));
        Assert.Equal(new Exception[] { e5, e2, e4 }, hook.Seen);
    }

    [Fact]
    public void Side_effect_callbacks_that_throw_go_to_the_hook_on_resolved_promise()
    {
        using var hook = new HookCapture();
        var e = new Boom();
        Promise.Return(1).OnSuccess(_ => throw e);
        Promise.Return(1).OnAny(_ => throw e, _ => { });
        Promise.Fail<int>(new Boom("x")).OnAny(_ => { }, _ => throw e);
        Promise.Fail(new Boom("x")).OnFailure(_ => throw e);
        Promise.ReturnUnit.OnTermination(() => throw e);
        Promise.Fail(new CanceledException()).OnCancel(() => throw e);
        Assert.Equal(6, hook.Seen.Count);
        Assert.All(hook.Seen, x => Assert.Same(e, x));
    }

    // The untyped OnSuccess/OnAny (a promise of no value, as Lwt's on_success/on_any of a unit
    // promise): run when fulfilled, at once on a fulfilled promise, never on a rejected one
    // (OnAny's second then), in attach order with the others; a throw goes to the hook.
    [Fact]
    public void Untyped_OnSuccess_and_OnAny_run_on_fulfilment_and_report_what_they_throw()
    {
        using var hook = new HookCapture();
        var log = new List<string>();
        var (typed, r) = Promise.Create<int>();
        Promise p = typed;
        p.OnSuccess(() => log.Add("success"));
        typed.OnSuccess(v => log.Add($"typed {v}"));
        p.OnAny(() => log.Add("any"), e => log.Add("any failed"));
        var e1 = new Boom("untyped success");
        p.OnSuccess(() => throw e1);
        Assert.Empty(log);
        r.Resolve(5);
        Assert.Equal(["success", "typed 5", "any"], log);
        Assert.Same(e1, Assert.Single(hook.Seen));

        log.Clear();
        Promise.ReturnUnit.OnSuccess(() => log.Add("at once"));
        Promise.ReturnUnit.OnAny(() => log.Add("any at once"), _ => log.Add("no"));
        var failed = Promise.Fail(new Boom("x"));
        failed.OnSuccess(() => log.Add("no"));
        failed.OnAny(() => log.Add("no"), e => log.Add($"failed {e.Message}"));
        var (c, _) = Promise.CreateCancelable();
        c.OnSuccess(() => log.Add("no"));
        c.OnAny(() => log.Add("no"), e => log.Add(e is OperationCanceledException ? "canceled" : "?"));
        c.Cancel();
        Assert.Equal(["at once", "any at once", "failed x", "canceled"], log);

        Assert.Throws<ArgumentNullException>(() => Promise.ReturnUnit.OnSuccess((Action)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.ReturnUnit.OnAny(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => Promise.ReturnUnit.OnAny(() => { }, null!));
    }

    [Fact]
    public void Async_reports_synchronous_throw()
    {
        using var hook = new HookCapture();
        var e = new Boom();
        Assert.Null(Record.Exception(() => Promise.Async(() => throw e)));
        Assert.Same(e, Assert.Single(hook.Seen));
    }

    [Fact]
    public void Async_reports_rejection_now_and_later()
    {
        using var hook = new HookCapture();
        var e = new Boom();
        Promise.Async(() => Promise.Fail(e));
        Assert.Same(e, Assert.Single(hook.Seen));
        var (p, r) = Promise.Create();
        Promise.Async(() => p);
        Assert.Single(hook.Seen);
        var e2 = new Boom("later");
        r.Reject(e2);
        Assert.Equal(new Exception[] { e, e2 }, hook.Seen);
    }

    [Fact]
    public void Async_fulfilled_reports_nothing()
    {
        using var hook = new HookCapture();
        int n = 0;
        Promise.Async(() => { n++; return Promise.ReturnUnit; });
        var (p, r) = Promise.Create<int>();
        Promise.Async(() => p);
        r.Resolve(1);
        Assert.Equal(1, n);
        Assert.Empty(hook.Seen);
    }

    [Fact]
    public void Async_calls_f_at_once()
    {
        using var hook = new HookCapture();
        var log = new List<string>();
        Promise.Async(() => { log.Add("f"); return Promise.Create().Promise; });
        log.Add("after");
        Assert.Equal(new[] { "f", "after" }, log);
        Assert.Empty(hook.Seen);
    }

    [Fact]
    public void DontWait_sends_exceptions_to_the_handler_not_the_hook()
    {
        using var hook = new HookCapture();
        var got = new List<Exception>();
        var e1 = new Boom("sync");
        var e2 = new Boom("now");
        var e3 = new Boom("later");
        Promise.DontWait(() => throw e1, got.Add);
        Promise.DontWait(() => Promise.Fail(e2), got.Add);
        var (p, r) = Promise.Create();
        Promise.DontWait(() => p, got.Add);
        Promise.DontWait(() => Promise.ReturnUnit, got.Add);
        r.Reject(e3);
        Assert.Equal(new Exception[] { e1, e2, e3 }, got);
        Assert.Empty(hook.Seen);
    }

    [Fact]
    public void Hook_cannot_be_set_to_null()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.AsyncExceptionHook = null!);
        Assert.NotNull(Promise.AsyncExceptionHook);
    }
}

[Collection(SerialCollection.Name)]
public class DontWaitHandlerTests
{
    [Fact]
    public void Handler_that_throws_goes_to_the_hook_whether_f_threw_or_was_rejected()
    {
        // Lwt: dont_wait f h = (let p = try f () with exn -> fail exn in on_failure p h); an exception
        // from h goes to the async exception hook in both cases, never to dont_wait's caller.
        using var hook = new HookCapture();
        var h1 = new Boom("h1");
        var h2 = new Boom("h2");
        Assert.Null(Record.Exception(() => Promise.DontWait(() => Promise.Fail(new Boom("f")), _ => throw h1)));
        Assert.Null(Record.Exception(() => Promise.DontWait(() => throw new Boom("f"), _ => throw h2)));
        Assert.Equal(new Exception[] { h1, h2 }, hook.Seen);
    }
}
