namespace Lwt.Tests.Core;

/// <summary>
/// <c>await Promise.ReturnFrom(p)</c>: an async Promise method's tail call. Its promise becomes
/// p (the same promise before the method suspends, a proxy's target after), nothing after the
/// await runs, and a recursion through it runs in constant stack and memory.
/// </summary>
public class ReturnFromTests
{
    private static async Promise<int> Tail(Promise<int> p) => await Promise.ReturnFrom(p);

    private static async Promise<int> TailAfter(Promise first, Promise<int> p)
    {
        await first;
        return await Promise.ReturnFrom(p);
    }

    [Fact]
    public void Before_any_suspension_the_method_returns_the_promise_itself()
    {
        var (p, r) = Promise.Create<int>();
        Assert.Same(p, Tail(p));
        var done = Promise.Return(3);
        Assert.Same(done, Tail(done));
        r.Resolve(1);
    }

    [Fact]
    public void After_a_suspension_the_method_promise_follows_the_promise_as_a_bind_does()
    {
        var (first, rf) = Promise.Create();
        var (p, r) = Promise.Create<int>();
        var m = TailAfter(first, p);
        Assert.True(m.IsPending);
        rf.Resolve();
        Assert.True(m.IsPending); // p is still pending: m is one promise with it
        r.Resolve(42);
        Assert.Equal(42, m.Value);
    }

    [Fact]
    public void A_rejection_or_a_cancel_of_the_promise_comes_out_of_the_method_promise_as_is()
    {
        var e = new Boom();
        var (first, rf) = Promise.Create();
        var (p, r) = Promise.Create<int>();
        var m = TailAfter(first, p);
        rf.Resolve();
        r.Reject(e);
        Assert.Same(e, m.Rejection);

        Assert.Same(e, Tail(Promise.Fail<int>(e)).Rejection);

        var (c, _) = Promise.CreateCancelable<int>();
        var mc = Tail(c);
        c.Cancel();
        Assert.True(mc.IsCanceled);
    }

    [Fact]
    public void Canceling_the_method_promise_cancels_the_promise_it_became()
    {
        // Not suspended: the method's promise is the cancelable promise itself.
        var (c1, _) = Promise.CreateCancelable<int>();
        Tail(c1).Cancel();
        Assert.True(c1.IsCanceled);

        // Suspended: the box adopted c2, and a cancel of the box reaches c2 as a bind's would.
        var (first, rf) = Promise.Create();
        var (c2, _) = Promise.CreateCancelable<int>();
        var m = TailAfter(first, c2);
        rf.Resolve();
        m.Cancel();
        Assert.True(c2.IsCanceled);
        Assert.True(m.IsCanceled);
    }

    [Fact]
    public void Nothing_after_the_await_runs_not_even_a_finally_block()
    {
        var log = new List<string>();
        async Promise Ends(Promise first, Promise p)
        {
            try
            {
                await first;
                log.Add("before");
                await Promise.ReturnFrom(p);
                log.Add("after");
            }
            finally
            {
                log.Add("finally");
            }
        }

        var (first, rf) = Promise.Create();
        var (p, r) = Promise.Create();
        var m = Ends(first, p);
        rf.Resolve();
        r.Resolve();
        Assert.True(m.IsFulfilled);
        Assert.Equal(new[] { "before" }, log);

        log.Clear();
        Assert.True(Ends(Promise.ReturnUnit, Promise.ReturnUnit).IsFulfilled);
        Assert.Equal(new[] { "before" }, log);
    }

    [Fact]
    public void An_untyped_method_takes_a_promise_of_any_type_and_is_fulfilled_with_unit()
    {
        async Promise Untyped(Promise first, Promise p)
        {
            await first;
            await Promise.ReturnFrom(p);
        }

        var (first, rf) = Promise.Create();
        var (p, r) = Promise.Create<int>();
        var m = Untyped(first, p);
        rf.Resolve();
        Assert.True(m.IsPending);
        r.Resolve(5);
        Assert.True(m.IsFulfilled);

        var (q, rq) = Promise.Create<string>();
        var n = Untyped(Promise.ReturnUnit, q);
        Assert.True(n.IsPending);
        rq.Resolve("x");
        Assert.True(n.IsFulfilled);
    }

    [Fact]
    public void An_untyped_method_that_has_not_suspended_returns_a_promise_of_any_type_itself()
    {
        // Lwt: the last bind's callback returns the promise, which the bind returns as is (the
        // differential tests' asyncm seed 2305, program 131). The method's promise was a
        // Promise<Unit> following it by a callback, which a wakeup_later from a callback
        // delays: the promise was fulfilled and the method's still pending.
        async Promise Untyped(Promise p)
        {
            await Promise.ReturnFrom(p);
        }

        var (p, r) = Promise.Create<int>();
        Assert.Same(p, Untyped(p));
        var (q, rq) = Promise.Create<string>();
        var (start, rs) = Promise.Create();
        bool? fulfilledAtOnce = null;
        var done = start.Bind(() =>
        {
            var m = Untyped(q);
            rq.Resolve("x"); // from a callback: q's callbacks wait until this one returns
            fulfilledAtOnce = m.IsFulfilled;
            return m;
        });
        rs.Resolve();
        Assert.True(fulfilledAtOnce);
        Assert.True(done.IsFulfilled);
        r.Resolve(1);
    }

    [Fact]
    public void A_promise_of_another_type_than_the_method_result_rejects_the_method_promise()
    {
        async Promise<object> Mismatch(Promise<string> p) => await Promise.ReturnFrom(p);

        var m = Mismatch(Promise.Return("s"));
        var e = Assert.IsType<InvalidOperationException>(m.Rejection);
        Assert.Contains("async Promise<Object> method takes a Promise<Object>, not a Promise<String>", e.Message);
    }

    [Fact]
    public void Null_is_refused_at_the_call()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.ReturnFrom(null!));
        Assert.Throws<ArgumentNullException>(() => Promise.ReturnFrom<int>(null!));
    }

    [Fact]
    public async Task Awaited_in_an_async_Task_method_it_waits_and_then_throws()
    {
        var (p, r) = Promise.Create<int>();
        async Task<int> InTask() => await Promise.ReturnFrom(p);

        var t = InTask();
        Assert.False(t.IsCompleted);
        r.Resolve(1);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => t);
        Assert.Contains("async Promise method", e.Message);
    }

    private static async Promise ResolvedLoop(int n)
    {
        if (n == 0) return;
        await Promise.ReturnUnit;
        await Promise.ReturnFrom(ResolvedLoop(n - 1));
    }

    [Fact]
    public void Recursion_through_it_on_resolved_promises_ten_million_deep_does_not_overflow()
    {
        Threads.Run(() => Assert.True(ResolvedLoop(10_000_000).IsFulfilled));
    }

    private static async Promise PauseLoop(int n, DeepTests.Box<int> count)
    {
        if (n == 0) return;
        await Promise.Pause();
        count.Value++;
        await Promise.ReturnFrom(PauseLoop(n - 1, count));
    }

    [Fact]
    public void Recursion_through_it_on_paused_promises_one_million_deep_does_not_overflow()
    {
        Threads.Run(() =>
        {
            var count = new DeepTests.Box<int>();
            var p = PauseLoop(1_000_000, count);
            while (p.IsPending) Promise.WakeupPaused();
            Assert.True(p.IsFulfilled);
            Assert.Equal(1_000_000, count.Value);
        });
    }

    private static async Promise CancelableLoop(int n, List<Promise> leaves)
    {
        var (leaf, _) = Promise.CreateCancelable();
        leaves.Add(leaf);
        await leaf;
        await Promise.ReturnFrom(CancelableLoop(n - 1, leaves));
    }

    [Fact]
    public void A_cancel_of_the_outermost_promise_reaches_the_level_running_now()
    {
        var leaves = new List<Promise>();
        var root = CancelableLoop(10, leaves);
        Assert.Single(leaves);
        root.Cancel();
        Assert.True(leaves[0].IsCanceled);
        Assert.True(root.IsCanceled);
    }

    [Fact]
    public void A_cancel_after_levels_have_handed_over_reaches_the_level_running_now()
    {
        var gates = new List<Resolver<Unit>>();
        Promise? innermostLeaf = null;
        async Promise Level(int n)
        {
            var (gate, r) = Promise.Create(); // not cancelable: only the innermost leaf is
            gates.Add(r);
            await gate;
            if (n > 0)
            {
                await Promise.ReturnFrom(Level(n - 1));
                return;
            }
            var (leaf, _) = Promise.CreateCancelable();
            innermostLeaf = leaf;
            await leaf;
        }

        var root = Level(3);
        for (int i = 0; i < 4; i++) gates[i].Resolve(); // each level hands over to the next
        Assert.NotNull(innermostLeaf);
        Assert.True(root.IsPending);
        root.Cancel();
        Assert.True(innermostLeaf!.IsCanceled);
        Assert.True(root.IsCanceled);
    }

    [Fact]
    public void A_body_off_its_loop_hands_over_on_the_loop_and_its_caller_resumes_there()
    {
        async Promise<int> OffLoop(Promise<int> p)
        {
            await Task.Delay(1).ConfigureAwait(false); // the rest of the body runs on the pool
            return await Promise.ReturnFrom(p);
        }

        int loopThread = 0, resumedOn = -1;
        int value = LwtMain.Run(async () =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            var (p, r) = Promise.Create<int>();
            var m = OffLoop(p);
            await LwtUnix.Sleep(0.05);
            r.Resolve(7);
            int v = await m;
            resumedOn = Environment.CurrentManagedThreadId;
            return v;
        });
        Assert.Equal(7, value);
        Assert.Equal(loopThread, resumedOn);
    }
}
