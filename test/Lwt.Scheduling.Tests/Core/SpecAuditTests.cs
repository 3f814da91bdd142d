namespace Lwt.Tests.Core;

/// <summary>
/// Statements of the seeds' "Precise behavior" paragraphs checked one by one, many of them
/// in the situations where callbacks are deferred: past Lwt's nesting limit (<see cref="Deep"/>),
/// during a cancel, or trampolined past <c>ResolutionLoop.MaxImmediateDepth</c>.
/// Serial: one test swaps the async exception hook.
/// </summary>
[Collection(SerialCollection.Name)]
public class SpecAuditTests
{
    /// <summary>Runs body nested `levels` callbacks deep (each level via ResolveNow), i.e. past Lwt's depth 42.</summary>
    private static void Deep(Action body, int levels = 60)
    {
        var rs = new Resolver<int>[levels];
        var ps = new Promise<int>[levels];
        for (int i = 0; i < levels; i++) (ps[i], rs[i]) = Promise.Create<int>();
        for (int i = 0; i < levels - 1; i++)
        {
            int k = i;
            ps[i].OnSuccess(_ => rs[k + 1].ResolveNow(k + 1));
        }
        ps[levels - 1].OnSuccess(_ => body());
        rs[0].ResolveNow(0);
    }

    // ---- races: null after an already-rejected input (API.md: null promise -> ArgumentNullException at the call)
    [Fact]
    public void Choose_with_rejected_then_null_throws_argument_null()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.Choose(Promise.Fail<int>(new Boom()), null!));
    }

    [Fact]
    public void Pick_with_rejected_then_null_throws_argument_null()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.Pick(Promise.Fail<int>(new Boom()), null!));
    }

    [Fact]
    public void Untyped_pick_with_rejected_then_null_throws_argument_null()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.Pick(new Promise[] { Promise.Fail(new Boom()), null! }));
    }

    // ---- races: several inputs resolved by the time the race hears of them
    [Fact]
    public void NPick_simultaneous_with_a_rejection_is_rejected()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, rb) = Promise.CreateCancelable<int>();
        var e = new Boom();
        var p = Promise.NPick(a, b);
        Deep(() =>
        {
            ra.Reject(e);
            rb.ResolveNow(2);
        });
        Assert.Same(e, p.Exception);
    }

    [Fact]
    public void NChooseSplit_simultaneous_fulfilments_give_all_values_and_the_pending_rest()
    {
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<int>();
        var (c, _) = Promise.Create<int>();
        var p = Promise.NChooseSplit(a, b, c);
        Deep(() =>
        {
            ra.Resolve(1);
            rb.Resolve(2);
        });
        Assert.Equal(new[] { 1, 2 }, p.Value.Fulfilled);
        Assert.Same(c, Assert.Single(p.Value.Pending));
    }

    // ---- cancel: which promise
    [Fact]
    public void Cancel_pick_result_rejects_it_with_canceled_and_cancels_all_inputs()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.Create<int>();
        var p = Promise.Pick(a, b);
        p.Cancel();
        Assert.True(a.IsCanceled);
        Assert.True(b.IsPending);
        Assert.True(p.IsCanceled);
    }

    [Fact]
    public void Pick_losers_are_canceled_and_on_cancel_runs()
    {
        var log = new List<string>();
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        b.OnCancel(() => log.Add("b-cancel"));
        var p = Promise.Pick(a, b);
        ra.Resolve(1);
        Assert.Equal(1, p.Value);
        Assert.True(b.IsCanceled);
        Assert.Equal(new[] { "b-cancel" }, log);
    }

    [Fact]
    public void Cancel_untyped_catch_waiting_on_handler_promise_of_other_type_cancels_it()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (h, _) = Promise.CreateCancelable<string>();
        var c = Promise.Catch(() => (Promise)a, _ => h);
        a.Cancel();
        Assert.True(c.IsPending);
        c.Cancel();
        Assert.True(h.IsCanceled);
        Assert.True(c.IsCanceled);
    }

    [Fact]
    public void Cancel_untyped_bind_waiting_on_callback_promise_of_other_type_cancels_it()
    {
        var (a, ra) = Promise.Create<int>();
        var (h, _) = Promise.CreateCancelable<string>();
        var c = ((Promise)a).Bind(() => (Promise)h);
        ra.Resolve(1);
        c.Cancel();
        Assert.True(h.IsCanceled);
        Assert.True(c.IsCanceled);
    }

    [Fact]
    public void Cancel_finally_waiting_on_pending_cleanup_then_cleanup_canceled()
    {
        var (a, ra) = Promise.Create<int>();
        var (cl, _) = Promise.CreateCancelable();
        var f = Promise.Finally(() => a, () => cl);
        ra.Resolve(1);
        Assert.True(f.IsPending);
        f.Cancel();
        Assert.True(cl.IsCanceled);
        Assert.True(f.IsCanceled);
    }

    [Fact]
    public void Finally_cleanup_exception_has_precedence_over_f_exception_later()
    {
        var (a, ra) = Promise.Create<int>();
        var (cl, rcl) = Promise.Create();
        var e1 = new Boom("f");
        var e2 = new Boom("cleanup");
        var f = Promise.Finally(() => a, () => cl);
        ra.Reject(e1);
        Assert.True(f.IsPending);
        rcl.Reject(e2);
        Assert.Same(e2, f.Exception);
    }

    // ---- protected / no_cancel / wrap_in_cancelable
    [Fact]
    public void Protected_p_prime_is_cancelable_even_through_a_bind()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var pr = a.Protected();
        var b = pr.Map(x => x + 1);
        b.Cancel();
        Assert.True(pr.IsCanceled);
        Assert.True(b.IsCanceled);
        Assert.True(a.IsPending);
    }

    [Fact]
    public void NoCancel_through_a_bind_does_nothing()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var nc = a.NoCancel();
        var b = nc.Map(x => x + 1);
        b.Cancel();
        Assert.True(a.IsPending);
        Assert.True(b.IsPending);
        ra.Resolve(1);
        Assert.Equal(2, b.Value);
    }

    [Fact]
    public void WrapInCancelable_through_a_bind_cancels_input()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var w = a.WrapInCancelable();
        var b = w.Map(x => x + 1);
        b.Cancel();
        Assert.True(w.IsCanceled);
        Assert.True(a.IsCanceled);
        Assert.True(b.IsCanceled);
    }

    // ---- on_cancel ordering
    [Fact]
    public void OnCancel_before_other_callbacks_when_cancel_is_deferred()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.OnFailure(_ => log.Add("failure"));
        p.OnCancel(() => log.Add("cancel"));
        Deep(() => r.Reject(new CanceledException()));
        Assert.Equal(new[] { "cancel", "failure" }, log);
    }

    [Fact]
    public void OnCancel_before_catch_on_a_protected_promise()
    {
        var log = new List<string>();
        var (a, _) = Promise.Create<int>();
        var pr = a.Protected();
        var c = Promise.Catch(() => pr, _ => { log.Add("catch"); return Promise.Return(0); });
        pr.OnCancel(() => log.Add("cancel"));
        pr.Cancel();
        Assert.Equal(new[] { "cancel", "catch" }, log);
    }

    [Fact]
    public void OnCancel_before_await_continuation()
    {
        var log = new List<string>();
        var (p, _) = Promise.CreateCancelable<int>();
        async Promise Waiter()
        {
            try { await p; } catch (CanceledException) { log.Add("await"); }
        }
        var w = Waiter();
        p.OnCancel(() => log.Add("cancel"));
        p.Cancel();
        Assert.Equal(new[] { "cancel", "await" }, log);
    }

    // ---- try_bind
    [Fact]
    public void TryBind_on_rejected_handler_throws_rejects_result()
    {
        var e = new Boom("h");
        var r = Promise.TryBind<int, int>(() => Promise.Fail<int>(new Boom()), x => Promise.Return(x), _ => throw e);
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void TryBind_cancel_while_waiting_on_non_cancelable_f_does_nothing()
    {
        var (a, ra) = Promise.Create<int>();
        var r = Promise.TryBind(() => a, x => Promise.Return(x + 1), _ => Promise.Return(-1));
        r.Cancel();
        Assert.True(r.IsPending);
        ra.Resolve(1);
        Assert.Equal(2, r.Value);
    }

    // ---- resolve after cancel
    [Fact]
    public void Resolving_a_promise_canceled_through_propagation_does_nothing()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var b = a.Map(x => x);
        b.Cancel();
        Assert.True(a.IsCanceled);
        Assert.Null(Record.Exception(() => ra.Resolve(1)));
        Assert.True(b.IsCanceled);
    }

    [Fact]
    public void Resolving_a_proxied_promise_after_outer_is_canceled_does_nothing()
    {
        var (x, rx) = Promise.Create<int>();
        var (inner, rInner) = Promise.CreateCancelable<int>();
        var outer = x.Bind(_ => inner);
        rx.Resolve(0);
        outer.Cancel();
        Assert.True(outer.IsCanceled);
        Assert.True(inner.IsCanceled);
        Assert.Null(Record.Exception(() => rInner.Resolve(5)));
    }

    [Fact]
    public void Resolving_a_rejected_promise_throws()
    {
        var (a, ra) = Promise.Create<int>();
        ra.Reject(new Boom());
        Assert.Throws<InvalidOperationException>(() => ra.Resolve(1));
        Assert.Throws<InvalidOperationException>(() => ra.Reject(new Boom()));
    }

    // ---- pause
    [Fact]
    public void Canceled_paused_promise_is_skipped_by_wakeup()
    {
        Threads.Run(() =>
        {
            var a = Promise.Pause();
            var b = Promise.Pause();
            a.Cancel();
            Assert.True(a.IsCanceled);
            Promise.WakeupPaused();
            Assert.True(a.IsCanceled);
            Assert.True(b.IsFulfilled);
        });
    }

    [Fact]
    public void Pause_callbacks_run_after_currently_ready_callbacks()
    {
        Threads.Run(() =>
        {
            var log = new List<string>();
            var (p, r) = Promise.Create();
            Promise.Pause().Bind(() => { log.Add("paused"); return Promise.ReturnUnit; });
            p.Bind(() => { log.Add("ready"); return Promise.ReturnUnit; });
            r.Resolve();
            Promise.WakeupPaused();
            Assert.Equal(new[] { "ready", "paused" }, log);
        });
    }

    // ---- join exceptions
    [Fact]
    public void Join_all_rejected_immediately_is_rejected_with_one_of_them()
    {
        var e1 = new Boom("1");
        var e2 = new Boom("2");
        var j = Promise.Join(Promise.Fail(e1), Promise.Fail(e2));
        Assert.Contains(j.Exception!, new Exception[] { e1, e2 });
        var all = Promise.All(Promise.Fail<int>(e1), Promise.Fail<int>(e2));
        Assert.Contains(all.Exception!, new Exception[] { e1, e2 });
        var both = Promise.Both(Promise.Fail<int>(e1), Promise.Fail<int>(e2));
        Assert.Contains(both.Exception!, new Exception[] { e1, e2 });
    }

    // ---- wakeup vs wakeup_later
    [Fact]
    public void ResolveNow_runs_callbacks_before_returning_even_deep()
    {
        var log = new List<string>();
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(_ => log.Add("cb"));
        Deep(() =>
        {
            r.ResolveNow(1);
            log.Add("after");
        });
        Assert.Equal(new[] { "cb", "after" }, log);
    }

    [Fact]
    public void Bind_result_state_follows_p2_including_cancel_via_p2()
    {
        var (x, rx) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable<int>();
        var p3 = x.Bind(_ => p2);
        rx.Resolve(0);
        p2.Cancel();
        Assert.True(p3.IsCanceled);
        Assert.True(p2.IsCanceled);
    }

    [Fact]
    public void Async_reports_cancellation_to_hook()
    {
        // covered by Lwt semantics: rejection of async promise goes to hook (Canceled included)
        var seen = new List<Exception>();
        var saved = Promise.AsyncExceptionHook;
        Promise.AsyncExceptionHook = seen.Add;
        try
        {
            var (a, _) = Promise.CreateCancelable<int>();
            Promise.Async(() => a);
            a.Cancel();
            Assert.IsType<CanceledException>(Assert.Single(seen));
        }
        finally { Promise.AsyncExceptionHook = saved; }
    }

    [Fact]
    public void Bind_on_fulfilled_input_very_deep_cancel_reaches_p2()
    {
        Promise<int>? r = null;
        Promise<int>? task = null;
        Deep(() =>
        {
            (task, _) = Promise.CreateCancelable<int>();
            r = Promise.Return(1).Bind(_ => task);
            r.Cancel(); // p_1 is fulfilled, so the only pending promise is p_2
        }, levels: 300);
        Assert.True(task!.IsCanceled);
        Assert.True(r!.IsCanceled);
    }

    [Fact]
    public void OnCancel_runs_before_a_failure_callback_attached_after_a_deep_cancel()
    {
        var log = new List<string>();
        var (p, _) = Promise.CreateCancelable<int>();
        p.OnCancel(() => log.Add("cancel"));
        Deep(() =>
        {
            p.Cancel();
            p.OnFailure(_ => log.Add("failure"));
        });
        Assert.Equal(new[] { "cancel", "failure" }, log);
    }

    // ---- cancel between p_1 resolving and the callback returning p_2
    // "If p_3 is pending, then either p_1 is pending, or p_2 is pending": not while the
    // callback is queued or running. A cancel in that window applies to p_2 once it exists.

    [Fact]
    public void Bind_queued_past_the_nesting_limit_cancel_reaches_p2()
    {
        var (p1, r1) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable<int>();
        int calls = 0;
        var p3 = p1.Bind(_ => { calls++; return p2; });
        Deep(() =>
        {
            r1.Resolve(1);          // wakeup_later, deep: p_1 fulfilled, the callback queued
            Assert.True(p1.IsFulfilled);
            Assert.Equal(0, calls);
            p3.Cancel();
        });
        Assert.Equal(1, calls);     // the callback still runs, as it would have before the cancel
        Assert.True(p2.IsCanceled);
        Assert.True(p3.IsCanceled);
    }

    [Fact]
    public void Cancel_from_inside_the_callback_reaches_the_promise_it_returns()
    {
        var (p1, r1) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable<int>();
        Promise<int>? p3 = null;
        p3 = p1.Bind(_ => { p3!.Cancel(); return p2; });
        r1.Resolve(1);
        Assert.True(p2.IsCanceled);
        Assert.True(p3.IsCanceled);
    }

    [Fact]
    public void Cancel_from_inside_the_cleanup_reaches_the_promise_it_returns()
    {
        var (p1, r1) = Promise.Create<int>();
        var (p2, _) = Promise.CreateCancelable();
        Promise<int>? f = null;
        f = Promise.Finally(() => p1, () => { f!.Cancel(); return p2; });
        r1.Resolve(1);
        Assert.True(p2.IsCanceled);
        Assert.True(f.IsCanceled);
    }

    [Fact]
    public void Catch_TryBind_and_Finally_trampolined_very_deep_cancel_reaches_p2()
    {
        Promise<int>? c = null, t = null, f = null;
        Promise<int>? h = null, k = null;
        Promise? cleanup = null;
        Deep(() =>
        {
            (h, _) = Promise.CreateCancelable<int>();
            c = Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => h);
            c.Cancel();
            (k, _) = Promise.CreateCancelable<int>();
            t = Promise.TryBind(() => Promise.Return(1), _ => k, _ => Promise.Return(0));
            t.Cancel();
            cleanup = Promise.CreateCancelable().Promise;
            f = Promise.Finally(() => Promise.Return(1), () => cleanup);
            f.Cancel();
        }, levels: 300);
        Assert.True(h!.IsCanceled);
        Assert.True(c!.IsCanceled);
        Assert.True(k!.IsCanceled);
        Assert.True(t!.IsCanceled);
        Assert.True(cleanup!.IsCanceled);
        Assert.True(f!.IsCanceled);
    }

    [Fact]
    public void A_cancel_request_does_nothing_when_the_callback_returns_a_resolved_promise()
    {
        Promise<int>? r = null;
        Deep(() =>
        {
            r = Promise.Return(1).Bind(x => Promise.Return(x + 1));
            r.Cancel();
        }, levels: 300);
        Assert.Equal(2, r!.Value);
    }

    [Fact]
    public void A_cancel_request_stops_at_a_non_cancelable_p2()
    {
        Promise<int>? r = null;
        Resolver<int>? r2 = null;
        Deep(() =>
        {
            Promise<int> p2;
            (p2, r2) = Promise.Create<int>();
            r = Promise.Return(1).Bind(_ => p2);
            r.Cancel();
        }, levels: 300);
        Assert.True(r!.IsPending);
        r2!.Resolve(5);
        Assert.Equal(5, r.Value);
    }

    [Fact]
    public void A_chain_of_on_cancel_callbacks_each_canceling_the_next_stays_within_the_stack()
    {
        // Cancel runs a leaf's callbacks at once; past the trampoline's depth it queues them,
        // so 200,000 links do not overflow a normal 1.5 MB stack.
        Threads.Run(() =>
        {
            const int n = 200_000;
            var ps = new Promise<int>[n];
            for (int i = 0; i < n; i++) ps[i] = Promise.CreateCancelable<int>().Promise;
            for (int i = 0; i < n - 1; i++)
            {
                var next = ps[i + 1];
                ps[i].OnCancel(() => next.Cancel());
            }
            ps[0].Cancel();
            Assert.All(ps, p => Assert.True(p.IsCanceled));
        });
    }
}
