namespace Lwt.Tests.Core;

public class OrderingTests
{
    [Fact]
    public void Callbacks_run_in_attachment_order()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(_ => log.Add("success1"));
        p.Bind(x => { log.Add("bind"); return Promise.Return(x); });
        p.Map(x => { log.Add("map"); return x; });
        ((Promise)p).Map(() => { log.Add("map0"); return 0; });
        p.OnTermination(() => log.Add("termination"));
        Promise.Catch(() => p.Map(x => { log.Add("catch-f"); return x; }), _ => Promise.Return(0));
        p.OnAny(_ => log.Add("any"), _ => { });
        p.OnSuccess(_ => log.Add("success2"));
        r.Resolve(1);
        Assert.Equal(new[] { "success1", "bind", "map", "map0", "termination", "catch-f", "any", "success2" }, log);
    }

    [Fact]
    public void Rejection_callbacks_run_in_attachment_order()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.OnFailure(_ => log.Add("f1"));
        Promise.Catch(() => p, _ => { log.Add("catch"); return Promise.Return(0); });
        Promise.TryBind(() => p, _ => Promise.Return(0), _ => { log.Add("trybind"); return Promise.Return(0); });
        Promise.Finally(() => p, () => { log.Add("finally"); return Promise.ReturnUnit; });
        p.OnFailure(_ => log.Add("f2"));
        r.Reject(new Boom());
        Assert.Equal(new[] { "f1", "catch", "trybind", "finally", "f2" }, log);
    }

    [Fact]
    public void Resolve_inside_callback_runs_its_callbacks_after_the_running_ones()
    {
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<int>();
        b.OnSuccess(_ => log.Add("b-callback"));
        a.OnSuccess(_ =>
        {
            log.Add("a-callback");
            rb.Resolve(1);
            log.Add("after-resolve-b");
        });
        a.OnSuccess(_ => log.Add("a-callback2"));
        ra.Resolve(0);
        log.Add("after-resolve-a");
        // Lwt's wakeup_later from inside a callback: the callbacks of b wait for a's (LwtOrderTests).
        Assert.Equal(new[] { "a-callback", "after-resolve-b", "a-callback2", "b-callback", "after-resolve-a" }, log);
    }

    [Fact]
    public void ResolveNow_runs_callbacks_before_returning()
    {
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        a.OnSuccess(_ => log.Add("cb"));
        ra.ResolveNow(1);
        log.Add("after");
        Assert.Equal(new[] { "cb", "after" }, log);
        var (b, rb) = Promise.Create();
        b.OnTermination(() => log.Add("cb2"));
        rb.RejectNow(new Boom());
        log.Add("after2");
        Assert.Equal(new[] { "cb", "after", "cb2", "after2" }, log);
    }

    [Fact]
    public void Resolve_runs_callbacks_before_returning_when_shallow()
    {
        var log = new List<string>();
        var (a, ra) = Promise.Create();
        a.OnTermination(() => log.Add("cb"));
        ra.Resolve();
        log.Add("after");
        Assert.Equal(new[] { "cb", "after" }, log);
    }

    [Fact]
    public void Callback_attached_to_resolved_promise_runs_at_once()
    {
        var log = new List<string>();
        Promise.Return(1).OnSuccess(_ => log.Add("success"));
        Promise.Return(1).OnAny(_ => log.Add("any"), _ => log.Add("bad"));
        Promise.Fail(new Boom()).OnFailure(_ => log.Add("failure"));
        Promise.Fail<int>(new Boom()).OnAny(_ => log.Add("bad"), _ => log.Add("any-err"));
        Promise.ReturnUnit.OnTermination(() => log.Add("termination"));
        Promise.Fail(new Boom()).OnTermination(() => log.Add("termination2"));
        Promise.Fail<int>(new Boom()).OnSuccess(_ => log.Add("bad"));
        Promise.ReturnUnit.OnFailure(_ => log.Add("bad"));
        Assert.Equal(new[] { "success", "any", "failure", "any-err", "termination", "termination2" }, log);
    }

    [Fact]
    public void Callbacks_attached_during_resolution_run()
    {
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        a.OnSuccess(_ => a.OnSuccess(_ => log.Add("late")));
        ra.Resolve(1);
        Assert.Equal(new[] { "late" }, log);
    }

    [Fact]
    public void Await_continuation_is_an_ordinary_callback_in_order()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(_ => log.Add("before"));
        async Promise Awaiter() { await p; log.Add("await"); }
        var done = Awaiter();
        p.OnSuccess(_ => log.Add("after"));
        r.Resolve(1);
        Assert.True(done.IsFulfilled);
        Assert.Equal(new[] { "before", "await", "after" }, log);
    }
}
