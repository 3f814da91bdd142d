namespace Lwt.Tests.Core;

/// <summary>
/// Orders that real Lwt 5.6.1 shows and the seeds leave open, found by differential testing
/// against it: each expected log is what the equivalent OCaml program prints.
/// </summary>
public class LwtOrderTests
{
    [Fact]
    public void Both_is_rejected_with_the_first_rejection()
    {
        var (c, rc) = Promise.Create<int>();
        var e5 = new Boom("5");
        var both = Promise.Both(c, Promise.Fail<int>(e5));
        rc.RejectNow(new Boom("1"));
        Assert.Same(e5, both.Exception);

        var (c2, rc2) = Promise.Create<int>();
        var (d2, rd2) = Promise.Create<int>();
        var both2 = Promise.Both(c2, d2);
        var e2 = new Boom("2");
        rd2.RejectNow(e2);
        rc2.RejectNow(new Boom("1"));
        Assert.Same(e2, both2.Exception);
    }

    [Fact]
    public void All_is_rejected_with_the_first_rejection()
    {
        var (c, rc) = Promise.Create<int>();
        var (d, rd) = Promise.Create<int>();
        var all = Promise.All(c, Promise.Return(0), d);
        var e2 = new Boom("2");
        rd.RejectNow(e2);
        rc.RejectNow(new Boom("1"));
        Assert.Same(e2, all.Exception);

        var (c2, rc2) = Promise.Create<int>();
        var e7 = new Boom("7");
        var all2 = Promise.All(c2, Promise.Fail<int>(e7), Promise.Fail<int>(new Boom("8")));
        rc2.RejectNow(new Boom("1"));
        Assert.Same(e7, all2.Exception);
    }

    [Fact]
    public void Cancel_runs_the_last_found_leaf_callbacks_first()
    {
        var log = new List<string>();
        var (t1, _) = Promise.CreateCancelable<int>();
        var (t2, _) = Promise.CreateCancelable<int>();
        t1.OnCancel(() => log.Add("t1"));
        t2.OnCancel(() => log.Add("t2"));
        Promise.Join(t1, t2).Cancel();
        Assert.Equal(new[] { "t2", "t1" }, log);
    }

    [Fact]
    public void Resolve_inside_callbacks_resolves_at_once_and_runs_the_callbacks_after_them()
    {
        // wakeup_later passes ~maximum_callback_nesting_depth:1: from inside a callback, the
        // promise is resolved at once but its callbacks run after the running ones.
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<int>();
        b.OnSuccess(_ => log.Add("b"));
        a.OnSuccess(_ =>
        {
            log.Add("a");
            rb.Resolve(1);
            log.Add(b.IsFulfilled ? "b-fulfilled" : "b-pending");
            log.Add("a-end");
        });
        ra.Resolve(0);
        log.Add("after");
        Assert.Equal(new[] { "a", "b-fulfilled", "a-end", "b", "after" }, log);
    }

    [Fact]
    public void Reject_inside_callbacks_waits_for_them_and_later_ones_queue_behind()
    {
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<int>();
        var (c, rc) = Promise.Create<int>();
        c.OnFailure(_ => log.Add("c"));
        b.OnSuccess(_ => { log.Add("b"); rc.Reject(new Boom()); log.Add("b-end"); });
        a.OnSuccess(_ => { log.Add("a"); rb.Resolve(0); log.Add("a-end"); });
        ra.ResolveNow(0);
        log.Add("after");
        Assert.Equal(new[] { "a", "a-end", "b", "b-end", "c", "after" }, log);
    }

    [Fact]
    public void Resolve_in_a_callback_called_at_once_is_not_deferred()
    {
        // Lwt calls a callback attached to a resolved promise at its caller's depth.
        var log = new List<string>();
        var (b, rb) = Promise.Create<int>();
        b.OnSuccess(_ => log.Add("b-callback"));
        Promise.Return(1).OnSuccess(_ => { rb.Resolve(1); log.Add("after-resolve"); });
        Assert.Equal(new[] { "b-callback", "after-resolve" }, log);
    }

    [Fact]
    public void Resolve_deferred_under_an_immediate_bind_runs_when_the_resolution_ends()
    {
        // Lwt runs the queue when the outermost resolution's callbacks are done, not when
        // the Bind callback that started it returns.
        var log = new List<string>();
        var (x, rx) = Promise.Create<int>();
        var (y, ry) = Promise.Create<int>();
        y.OnSuccess(_ => log.Add("y"));
        x.OnSuccess(_ => { ry.Resolve(0); log.Add("x"); });
        Promise.Return(0).Bind(_ => { rx.ResolveNow(0); log.Add("bind-after"); return Promise.ReturnUnit; });
        Assert.Equal(new[] { "x", "y", "bind-after" }, log);
    }

    [Fact]
    public void Resolve_of_a_promise_of_a_loop_inside_callbacks_waits_for_them()
    {
        var log = new List<string>();
        LwtMain.Run(() =>
        {
            var (a, ra) = Promise.Create<int>();
            var (b, rb) = Promise.Create<int>();
            b.OnSuccess(_ => log.Add("b"));
            a.OnSuccess(_ => { rb.Resolve(1); log.Add("a"); });
            ra.Resolve(0);
            return Promise.ReturnUnit;
        });
        Assert.Equal(new[] { "a", "b" }, log);
    }
    [Fact]
    public void A_long_chain_resolved_inside_a_callback_runs_before_the_callback_goes_on()
    {
        // lwt.ml resolves the promises of bind/map/catch/... with ~allow_deferring:false, and
        // wakeup too: only wakeup_later is ever deferred. So the 50 maps below all run inside
        // the wakeup, nested, before the callback that made it prints "end". Lwt 5.6.1 prints
        // start, link 45, end (the equivalent OCaml program); the chain used to be queued past
        // depth 42 and ran after "end".
        var log = new List<string>();
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<Unit>();
        Promise<int> c = a;
        for (int i = 1; i <= 50; i++)
        {
            int link = i;
            c = c.Map(v => { if (link == 45) log.Add("link 45"); return v + 1; });
        }
        b.Map(_ => { log.Add("start"); ra.ResolveNow(0); log.Add("end"); return 0; });
        rb.ResolveNow(Unit.Value);
        Assert.Equal(new[] { "start", "link 45", "end" }, log);
        Assert.Equal(50, c.Value);
    }

    // Lwt.pick with an input already fulfilled walks the inputs in order, canceling each pending
    // one before it looks at the next (lwt.ml's nth_resolved_and_cancel_pending, 5.6.1 and
    // later): the first input found resolved at its turn wins, so a cancel that resolves a
    // later input (the same promise twice in the list, or an on_cancel callback) decides the
    // race. Core differential seed 2688 prog 55.
    [Fact]
    public void Pick_of_a_pending_task_twice_and_a_fulfilled_promise_is_canceled()
    {
        var (t, _) = Promise.CreateCancelable<int>();
        var p = Promise.Pick(t, t, Promise.Return(1));
        Assert.True(t.IsCanceled);
        Assert.Same(t, p); // Lwt.pick [t; t; return 1]: Fail Canceled
    }

    [Fact]
    public void Pick_lets_an_input_that_a_cancel_resolved_before_its_turn_win()
    {
        var log = new List<string>();
        var (t, _) = Promise.CreateCancelable<int>();
        var (u, ru) = Promise.Create<int>();
        t.OnCancel(() => { log.Add("t canceled"); ru.ResolveNow(7); });
        var p = Promise.Pick(t, u, Promise.Return(1));
        Assert.Equal(7, p.Value); // Lwt: Return 7

        var (t2, _) = Promise.CreateCancelable<int>();
        var (u2, ru2) = Promise.Create<int>();
        var e = new Boom("u2");
        t2.OnCancel(() => ru2.RejectNow(e));
        Assert.Same(e, Promise.Pick(t2, u2, Promise.Return(1)).Exception); // Lwt: Fail e

        // An input woken after its turn came does not: its turn found it pending.
        var (t3, _) = Promise.CreateCancelable<int>();
        var (u3, ru3) = Promise.Create<int>();
        t3.OnCancel(() => ru3.ResolveNow(7));
        Assert.Equal(1, Promise.Pick(u3, t3, Promise.Return(1)).Value); // Lwt: Return 1
        Assert.Equal(7, u3.Value);

        // Choose cancels nothing: the fulfilled input wins.
        var (t4, _) = Promise.CreateCancelable<int>();
        Assert.Equal(1, Promise.Choose(t4, t4, Promise.Return(1)).Value);
        Assert.True(t4.IsPending);
        Assert.Equal(new[] { "t canceled" }, log);
    }
}
