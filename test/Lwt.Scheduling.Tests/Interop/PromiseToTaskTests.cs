using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>Promise -> Task: every row of API.md's mapping, resolved and pending, and the threads.</summary>
public class PromiseToTaskTests
{
    // ------------------------------------------------------------------ resolved promises

    [Fact]
    public void Fulfilled_RanToCompletion()
    {
        var t = Promise.Return(5).AsTask();
        Assert.Equal(TaskStatus.RanToCompletion, t.Status);
        Assert.Equal(5, t.Result);
        Assert.Equal(TaskStatus.RanToCompletion, Promise.ReturnUnit.AsTask().Status);
        Assert.Equal(TaskStatus.RanToCompletion, ((Promise)Promise.Return(1)).AsTask().Status);
    }

    [Fact]
    public async Task RejectedWithCanceled_Canceled_SameObject()
    {
        var e = new CanceledException();
        var t = Promise.Fail<int>(e).AsTask();
        Assert.True(t.IsCanceled);
        Assert.Same(e, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t));
        var u = Promise.Fail(e).AsTask();
        Assert.True(u.IsCanceled);
        Assert.Same(e, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => u));
    }

    [Fact]
    public async Task RejectedWithOperationCanceled_Canceled()
    {
        var e = new OperationCanceledException("plain");
        var t = Promise.Fail<int>(e).AsTask();
        Assert.True(t.IsCanceled);
        Assert.Same(e, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t));
    }

    [Fact]
    public async Task RejectedOther_Faulted_SameObject()
    {
        var e = new TestException("x");
        var t = Promise.Fail<int>(e).AsTask();
        Assert.True(t.IsFaulted);
        Assert.Same(e, t.Exception!.InnerException);
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => t));
        var u = Promise.Fail(e).AsTask();
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => u));
    }

    [Fact]
    public async Task RejectedWithAggregate_Faulted_SameObject()
    {
        var e = new AggregateException(new TestException("a"), new TestException("b"));
        var t = Promise.Fail<int>(e).AsTask();
        Assert.Same(e, t.Exception!.InnerException);
        Assert.Same(e, await Assert.ThrowsAsync<AggregateException>(() => t));
    }

    // ------------------------------------------------------------------ pending promises

    [Fact]
    public async Task Pending_OffLoop_AllRows()
    {
        var (p1, r1) = Promise.Create<int>();
        var t1 = p1.AsTask();
        Assert.False(t1.IsCompleted);
        r1.Resolve(7);
        Assert.Equal(7, await t1);

        var (p2, r2) = Promise.Create<int>();
        var t2 = p2.AsTask();
        var oce = new CanceledException();
        r2.Reject(oce);
        Assert.Same(oce, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t2));
        Assert.True(t2.IsCanceled);

        var (p3, r3) = Promise.Create();
        var t3 = ((Promise)p3).AsTask();
        var e = new TestException("3");
        r3.Reject(e);
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => t3));
        Assert.True(t3.IsFaulted);

        var (p4, r4) = Promise.Create();
        var t4 = ((Promise)p4).AsTask();
        r4.Resolve();
        await t4;
        Assert.Equal(TaskStatus.RanToCompletion, t4.Status);
    }

    [Fact]
    public async Task Pending_OnLoop_AsTaskFromAnotherThread()
    {
        using var loop = new LoopThread();
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var t = p.AsTask();
        var u = ((Promise)p).AsTask();
        Assert.False(t.IsCompleted);
        loop.Run(() => r.Resolve(42));
        Assert.Equal(42, await t);
        await u;

        var (q, s) = loop.Run(() => Promise.CreateCancelable<int>());
        var tq = q.AsTask();
        q.Cancel();
        await Assert.ThrowsAsync<CanceledException>(() => tq);
        Assert.True(tq.IsCanceled);
        Assert.False(s.TryResolve(1) && false);
    }

    [Fact]
    public async Task AsValueTask_AllRows()
    {
        Assert.Equal(3, await Promise.Return(3).AsValueTask());
        await Promise.ReturnUnit.AsValueTask();
        var e = new TestException("v");
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => Promise.Fail<int>(e).AsValueTask().AsTask()));
        var c = new CanceledException();
        Assert.Same(c, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Promise.Fail(c).AsValueTask().AsTask()));
        var (p, r) = Promise.Create<int>();
        var vt = p.AsValueTask();
        Assert.False(vt.IsCompleted);
        r.Resolve(9);
        Assert.Equal(9, await vt);
        var (q, s) = Promise.Create();
        var vu = ((Promise)q).AsValueTask();
        s.Resolve();
        await vu;
    }

    // ------------------------------------------------------------------ where awaiting code resumes

    [Fact]
    public async Task AwaitPromiseFromPool_ResumesOnPool_NotOnLoop()
    {
        using var loop = new LoopThread();
        var (resumedOn, isPool) = await Task.Run(async () =>
        {
            var p = loop.Run(() => LwtUnix.Sleep(0.01));
            await p;
            return (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
        });
        Assert.NotEqual(loop.ThreadId, resumedOn);
        Assert.True(isPool);
    }

    [Fact]
    public async Task AwaitAsTaskFromPool_ResumesOnPool_NotOnLoop()
    {
        using var loop = new LoopThread();
        var (resumedOn, isPool) = await Task.Run(async () =>
        {
            var p = loop.Run(() => LwtUnix.Sleep(0.01));
            await p.AsTask().ConfigureAwait(false);
            return (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
        });
        Assert.NotEqual(loop.ThreadId, resumedOn);
        Assert.True(isPool);
    }

    [Fact]
    public async Task ConfigureAwaitFalse_ResumesWhereThePromiseResolves()
    {
        using var loop = new LoopThread();
        var (p, pr) = loop.Run(() => Promise.Create<int>());
        var awaiting = Task.Run(async () =>
        {
            await p.ConfigureAwait(false);
            return Environment.CurrentManagedThreadId;
        });
        // Resolve on the loop once the continuation is attached there (a promise already
        // resolved when the continuation arrives resumes on the pool instead).
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => CallbackCount(p)) == 1, TimeSpan.FromSeconds(10)));
        loop.Run(() => pr.Resolve(1));
        int resumedOn = await awaiting;
        Assert.Equal(loop.ThreadId, resumedOn);
        var (q, r) = Promise.Create<int>();
        var thread = new Thread(() => r.Resolve(1));
        int resolver = 0;
        var waiting = Task.Run(async () =>
        {
            await q.ConfigureAwait(false);
            return Environment.CurrentManagedThreadId;
        });
        while (q.IsPending && !waiting.IsCompleted && CallbackCount(q) == 0) Thread.Yield();
        resolver = thread.ManagedThreadId;
        thread.Start();
        Assert.Equal(resolver, await waiting);
    }

    private static int CallbackCount(Promise p) => CallbackStore.Count(p.Underlying()._callbacks);

    // ------------------------------------------------------------------ AsTask(token)

    [Fact]
    public async Task Token_CancelsCancelablePromise_TaskCanceledAtOnce()
    {
        using var loop = new LoopThread();
        using var cts = new CancellationTokenSource();
        var p = loop.Run(() => Promise.CreateCancelable<int>().Promise);
        var t = p.AsTask(cts.Token);
        cts.Cancel();
        Assert.True(t.IsCanceled);
        Assert.True(loop.Run(() => p.IsCanceled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t);
    }

    [Fact]
    public void Token_BackwardsSearch_ThroughBind()
    {
        using var loop = new LoopThread();
        using var cts = new CancellationTokenSource();
        var (inner, outer) = loop.Run(() =>
        {
            var leaf = Promise.CreateCancelable<int>().Promise;
            return (leaf, leaf.Bind(x => Promise.Return(x + 1)));
        });
        var t = ((Promise)outer).AsTask(cts.Token);
        cts.Cancel();
        Assert.True(t.IsCanceled);
        Assert.True(loop.Run(() => inner.IsCanceled && outer.IsCanceled));
    }

    [Fact]
    public void Token_NotCancelablePromise_TaskCanceled_PromiseStays_NodeDetached()
    {
        using var loop = new LoopThread();
        using var cts = new CancellationTokenSource();
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var t = p.AsTask(cts.Token);
        Assert.Equal(1, loop.Run(() => CallbackCount(p)));
        cts.Cancel();
        Assert.True(t.IsCanceled);
        Assert.True(loop.Run(() => p.IsPending));
        Assert.Equal(0, loop.Run(() => CallbackCount(p)));
        loop.Run(() => r.Resolve(1));
        Assert.True(loop.Run(() => p.IsFulfilled));
        Assert.True(t.IsCanceled);
    }

    [Fact]
    public async Task Token_AfterResolve_ChangesNothing()
    {
        using var loop = new LoopThread();
        using var cts = new CancellationTokenSource();
        var (p, r) = loop.Run(() => Promise.CreateCancelable<int>());
        var t = p.AsTask(cts.Token);
        loop.Run(() => r.Resolve(5));
        Assert.Equal(5, await t);
        cts.Cancel();
        Assert.Equal(TaskStatus.RanToCompletion, t.Status);
        Assert.True(loop.Run(() => p.IsFulfilled));
        var u = ((Promise)p).AsTask(cts.Token);
        Assert.Equal(TaskStatus.RanToCompletion, u.Status);
    }

    [Fact]
    public void Token_AlreadyCanceled_CancelsPromise()
    {
        using var loop = new LoopThread();
        var p = loop.Run(() => Promise.CreateCancelable<int>().Promise);
        var t = p.AsTask(new CancellationToken(true));
        Assert.True(t.IsCanceled);
        Assert.True(loop.Run(() => p.IsCanceled));
        var q = loop.Run(() => Promise.CreateCancelable().Promise);
        Assert.True(((Promise)q).AsTask(new CancellationToken(true)).IsCanceled);
    }

    [Fact]
    public async Task Token_RejectionStillMaps_WhenTokenNeverFires()
    {
        using var cts = new CancellationTokenSource();
        var (p, r) = Promise.Create<int>();
        var t = p.AsTask(cts.Token);
        var e = new TestException("t");
        r.Reject(e);
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => t));
        var (q, s) = Promise.Create();
        var u = ((Promise)q).AsTask(cts.Token);
        var c = new CanceledException();
        s.Reject(c);
        Assert.Same(c, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => u));
        cts.Cancel();
    }

    // AsTask's docs: the Task ends only when the promise does. A loop that stops leaves its
    // pending promise (and the Task) waiting; a resolver used afterwards, from any thread,
    // resolves the promise there, and the Task completes.
    [Fact]
    public async Task Pending_WhenItsLoopStops_TaskWaits_ThenCompletesOnResolveFromAnotherThread()
    {
        Resolver<int> r = null!;
        Task<int> t = null!;
        Task untyped = null!;
        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            var (p, resolver) = Promise.Create<int>();
            r = resolver;
            t = p.AsTask();
            untyped = ((Promise)p).AsTask();
            return Promise.ReturnUnit; // the loop stops with p pending
        }));
        loopThread.Start();
        loopThread.Join();
        await Task.Yield();
        Assert.False(t.IsCompleted);
        Assert.False(untyped.IsCompleted);
        await Task.Run(() => r.Resolve(7));
        Assert.Equal(7, await t.WaitAsync(TimeSpan.FromSeconds(10)));
        await untyped.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
