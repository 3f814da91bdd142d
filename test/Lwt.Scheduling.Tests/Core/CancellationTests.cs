namespace Lwt.Tests.Core;

public class CancellationTests
{
    [Fact]
    public void Cancel_create_does_nothing_and_create_cancelable_rejects_with_canceled()
    {
        var (p, r) = Promise.Create<int>();
        p.Cancel();
        Assert.True(p.IsPending);
        r.Resolve(1);
        Assert.Equal(1, p.Value);

        var (t, _) = Promise.CreateCancelable<int>();
        t.Cancel();
        Assert.True(t.IsCanceled);
        Assert.IsType<CanceledException>(t.Exception);
        Assert.IsAssignableFrom<OperationCanceledException>(t.Exception);
        Assert.Throws<InvalidOperationException>(() => t.Value);
    }

    [Fact]
    public void Canceled_promise_can_be_awaited_and_rethrows_canceled()
    {
        var (t, _) = Promise.CreateCancelable();
        t.Cancel();
        Assert.Throws<CanceledException>(() => t.GetAwaiter().GetResult());
    }

    // ------------------------------------------------------------ protected

    [Fact]
    public void Protected_has_same_state_as_input()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.Protected();
        Assert.True(q.IsPending);
        r.Resolve(3);
        Assert.Equal(3, q.Value);

        var (p2, r2) = Promise.Create<int>();
        var q2 = p2.Protected();
        var e = new Boom();
        r2.Reject(e);
        Assert.Same(e, q2.Exception);

        Assert.Equal(4, Promise.Return(4).Protected().Value);
    }

    [Fact]
    public void Cancel_protected_cancels_it_but_not_its_input()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        var q = p.Protected();
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(p.IsPending);
        r.Resolve(1); // input still works, result stays canceled
        Assert.Equal(1, p.Value);
        Assert.True(q.IsCanceled);
    }

    [Fact]
    public void An_OnCancel_of_protected_that_resolves_its_input_at_once_leaves_the_result_canceled()
    {
        // Lwt 5.6.1 crashes here (SIGSEGV: test/differential/README.md, known difference 7):
        // the handler resolves the input while protected's callback on it is still attached,
        // and that callback then resolves the canceled result. Here resolving a canceled
        // promise does nothing: the result stays canceled, its callbacks run once, the input
        // is rejected and its other callbacks see it.
        var (p, r) = Promise.CreateCancelable<int>();
        var q = p.Protected();
        var log = new List<string>();
        q.OnCancel(() => { log.Add("q canceled"); r.RejectNow(new Boom("input")); });
        q.OnAny(v => log.Add($"q {v}"), e => log.Add($"q {e.GetType().Name}"));
        p.OnFailure(e => log.Add($"p {e.Message}"));
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(p.IsRejected);
        Assert.Equal(["q canceled", "p input", "q CanceledException"], log);
        Assert.True(q.Bind(v => Promise.Return(v + 1)).IsCanceled);
    }

    [Fact]
    public void Protected_of_non_cancelable_input_is_itself_cancelable()
    {
        var (p, _) = Promise.Create<int>();
        var q = ((Promise)p).Protected();
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(p.IsPending);
    }

    [Fact]
    public void Backwards_search_stops_at_protected()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var q = p.Protected();
        var b = q.Bind(x => Promise.Return(x));
        b.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(b.IsCanceled);
        Assert.True(p.IsPending);
    }

    [Fact]
    public void Protected_is_canceled_when_its_input_is()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var q = p.Protected();
        p.Cancel();
        Assert.True(q.IsCanceled);
    }

    // ------------------------------------------------------------ no_cancel

    [Fact]
    public void NoCancel_cannot_be_canceled_through_itself()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        var q = p.NoCancel();
        q.Cancel();
        Assert.True(q.IsPending);
        Assert.True(p.IsPending);
        q.Bind(x => Promise.Return(x)).Cancel();
        Assert.True(p.IsPending);
        r.Resolve(2);
        Assert.Equal(2, q.Value);
    }

    [Fact]
    public void NoCancel_is_canceled_when_its_input_is()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var q = p.NoCancel();
        p.Cancel();
        Assert.True(q.IsCanceled);
        var u = ((Promise)Promise.Return(1)).NoCancel();
        Assert.True(u.IsFulfilled);
    }

    // ------------------------------------------------------------ wrap_in_cancelable

    [Fact]
    public void WrapInCancelable_cancel_cancels_input()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var q = p.WrapInCancelable();
        Assert.True(q.IsPending);
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(p.IsCanceled);
    }

    [Fact]
    public void WrapInCancelable_of_non_cancelable_input_is_canceled_alone()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.WrapInCancelable();
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(p.IsPending);
        r.Resolve(1);
        Assert.True(q.IsCanceled);
    }

    [Fact]
    public void WrapInCancelable_cancel_searches_backwards_from_input()
    {
        var (leaf, _) = Promise.CreateCancelable<int>();
        var (gate, _) = Promise.Create<int>();
        var p = Promise.Join(leaf, gate);
        var q = p.WrapInCancelable();
        q.Cancel();
        Assert.True(q.IsCanceled);
        Assert.True(leaf.IsCanceled);
    }

    [Fact]
    public void WrapInCancelable_follows_input()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.WrapInCancelable();
        r.Resolve(5);
        Assert.Equal(5, q.Value);
        var (p2, r2) = Promise.Create<int>();
        var q2 = ((Promise)p2).WrapInCancelable();
        var e = new Boom();
        r2.Reject(e);
        Assert.Same(e, q2.Exception);
    }

    // ------------------------------------------------------------ on_cancel and ordering

    [Fact]
    public void OnCancel_runs_on_cancel_and_on_manual_rejection_with_canceled()
    {
        int n = 0;
        var (p, _) = Promise.CreateCancelable();
        p.OnCancel(() => n++);
        p.Cancel();
        Assert.Equal(1, n);

        var (q, rq) = Promise.Create();
        q.OnCancel(() => n++);
        rq.Reject(new CanceledException());
        Assert.Equal(2, n);

        var (x, rx) = Promise.Create();
        x.OnCancel(() => n++);
        rx.Reject(new Boom());
        rx = null!;
        Assert.Equal(2, n);

        var (y, ry) = Promise.Create();
        y.OnCancel(() => n++);
        ry.Resolve();
        Assert.Equal(2, n);

        Promise.Fail(new CanceledException()).OnCancel(() => n++); // already canceled: at once
        Assert.Equal(3, n);
        Promise.Fail(new Boom()).OnCancel(() => n++);
        Promise.ReturnUnit.OnCancel(() => n++);
        Assert.Equal(3, n);
    }

    [Fact]
    public void OnCancel_runs_before_rejection_callbacks_attached_earlier()
    {
        var log = new List<string>();
        var (p, _) = Promise.CreateCancelable<int>();
        p.OnFailure(_ => log.Add("failure"));
        var c = Promise.Catch(() => p, _ => { log.Add("catch"); return Promise.Return(0); });
        p.OnTermination(() => log.Add("termination"));
        p.OnCancel(() => log.Add("cancel1"));
        p.OnAny(_ => log.Add("any-ok"), _ => log.Add("any-err"));
        p.OnCancel(() => log.Add("cancel2"));
        p.Cancel();
        Assert.Equal(new[] { "cancel1", "cancel2", "failure", "catch", "termination", "any-err" }, log);
    }

    [Fact]
    public void OnCancel_first_also_when_canceled_by_resolver()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.Map(x => { log.Add("map"); return x; });
        p.OnFailure(_ => log.Add("failure"));
        p.OnCancel(() => log.Add("cancel"));
        r.Reject(new CanceledException());
        Assert.Equal(new[] { "cancel", "failure" }, log);
    }

    [Fact]
    public void OnCancel_on_dependent_promise_canceled_by_propagation()
    {
        var log = new List<string>();
        var (p, _) = Promise.CreateCancelable<int>();
        var b = p.Bind(x => Promise.Return(x));
        b.OnFailure(_ => log.Add("failure"));
        b.OnCancel(() => log.Add("cancel"));
        b.Cancel();
        Assert.Equal(new[] { "cancel", "failure" }, log);
    }

    [Fact]
    public void OnCancel_on_proxied_promise()
    {
        var log = new List<string>();
        var (p, rp) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable<int>();
        var b = p.Bind(_ => p2);
        b.OnFailure(_ => log.Add("b-failure"));
        p2.OnCancel(() => log.Add("p2-cancel")); // attached before p2 becomes a proxy
        rp.Resolve(0);
        b.OnCancel(() => log.Add("b-cancel"));
        b.Cancel();
        Assert.True(p2.IsCanceled);
        Assert.Equal(new[] { "p2-cancel", "b-cancel", "b-failure" }, log);
    }

    [Fact]
    public void Cancel_search_rejects_all_leaves_before_running_callbacks()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        bool bAlreadyCanceledWhenACallbackRan = false;
        a.OnCancel(() => bAlreadyCanceledWhenACallbackRan = b.IsCanceled);
        var j = Promise.Join(a, b);
        j.Cancel();
        Assert.True(bAlreadyCanceledWhenACallbackRan);
        Assert.True(j.IsCanceled);
    }

    // The backwards search cancels the leaves it finds; forward propagation then runs the
    // handlers. A promise a Catch/TryBind handler returns at that point is not canceled, even
    // when the search reached the Catch a second time (after canceling its input) through a
    // second path: a Join of the same promise twice, or a diamond.
    [Fact]
    public void Cancel_reaching_a_catch_by_two_paths_does_not_cancel_what_its_handler_returns()
    {
        var (t, _) = Promise.CreateCancelable<int>();
        var (h, _) = Promise.CreateCancelable<int>();
        var c = Promise.Catch(() => t, _ => h);
        Promise.Join(c, c).Cancel();
        Assert.True(t.IsCanceled);
        Assert.True(h.IsPending);
        Assert.True(c.IsPending);
    }

    [Fact]
    public void Cancel_through_a_diamond_treats_both_branches_alike()
    {
        var (t, _) = Promise.CreateCancelable<int>();
        var (h1, _) = Promise.CreateCancelable<int>();
        var (h2, _) = Promise.CreateCancelable<int>();
        var c1 = Promise.Catch(() => t, _ => h1);
        var c2 = Promise.TryBind(() => t, x => Promise.Return(x), _ => h2);
        var d = c1.Bind(_ => Promise.Return(0));
        Promise.Join(c1, c2, d).Cancel();
        Assert.True(t.IsCanceled);
        Assert.True(h1.IsPending);
        Assert.True(h2.IsPending);
        Assert.True(c1.IsPending);
        Assert.True(c2.IsPending);
    }

    [Fact]
    public void Cancel_reaches_pause()
    {
        Promise.AbandonPaused();
        var p = Promise.Pause();
        var b = p.Bind(() => Promise.ReturnUnit);
        b.Cancel();
        Assert.True(p.IsCanceled);
        Assert.True(b.IsCanceled);
        Promise.WakeupPaused(); // waking a canceled pause does nothing
        Assert.True(p.IsCanceled);
    }

    [Fact]
    public void Is_canceled_for_any_operation_canceled_exception()
    {
        var (p, r) = Promise.Create();
        r.Reject(new TaskCanceledException());
        Assert.True(p.IsCanceled);
    }
}
