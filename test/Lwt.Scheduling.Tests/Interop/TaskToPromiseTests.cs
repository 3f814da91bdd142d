using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>Task -> promise: every row of API.md's mapping, completed and pending, and the threads.</summary>
public class TaskToPromiseTests
{
    // ------------------------------------------------------------------ completed Tasks: resolved at once, no hop

    [Fact]
    public void RanToCompletion_Fulfilled_AtOnce()
    {
        var p = Task.FromResult(3).ToPromise();
        Assert.True(p.IsFulfilled);
        Assert.Equal(3, p.Value);
        Assert.True(Task.CompletedTask.ToPromise().IsFulfilled);
        Assert.Same(Promise.ReturnUnit, Task.CompletedTask.ToPromise());
        Assert.True(new ValueTask<int>(4).ToPromise().IsFulfilled);
        Assert.True(default(ValueTask).ToPromise().IsFulfilled);
    }

    [Fact]
    public void Canceled_RejectedWithCanceledException()
    {
        var p = Task.FromCanceled<int>(new CancellationToken(true)).ToPromise();
        Assert.IsType<CanceledException>(p.Exception);
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(Task.FromCanceled(new CancellationToken(true)).ToPromise().Exception);
        Assert.IsType<CanceledException>(ValueTask.FromCanceled<int>(new CancellationToken(true)).ToPromise().Exception);
        Assert.IsType<CanceledException>(ValueTask.FromCanceled(new CancellationToken(true)).ToPromise().Exception);
    }

    [Fact]
    public void FaultedWithOne_RejectedWithThatException()
    {
        var e = new TestException("one");
        Assert.Same(e, Task.FromException<int>(e).ToPromise().Exception);
        Assert.Same(e, Task.FromException(e).ToPromise().Exception);
        Assert.Same(e, ValueTask.FromException<int>(e).ToPromise().Exception);
        Assert.Same(e, ValueTask.FromException(e).ToPromise().Exception);
    }

    [Fact]
    public void FaultedWithSeveral_RejectedWithTheAggregate()
    {
        var a = new TestException("a");
        var b = new TestException("b");
        var t = Task.WhenAll(Task.FromException(a), Task.FromException(b));
        var p = t.ToPromise();
        var agg = Assert.IsType<AggregateException>(p.Exception);
        Assert.Equal([a, b], agg.InnerExceptions);
    }

    // ------------------------------------------------------------------ pending Tasks: resolved on the loop that called ToPromise

    [Fact]
    public void Pending_CompletedOnAnotherThread_ResolvesOnTheLoop()
    {
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        int resolvedOn = 0;
        var p = loop.Run(() =>
        {
            var q = tcs.Task.ToPromise();
            q.OnSuccess(_ => resolvedOn = Environment.CurrentManagedThreadId);
            return q;
        });
        Assert.True(loop.Run(() => p.IsPending));
        var t = new Thread(() => tcs.SetResult(8));
        t.Start();
        t.Join();
        Assert.Equal(8, LoopValue(loop, p));
        Assert.Equal(loop.ThreadId, resolvedOn);
    }

    [Fact]
    public void Pending_AllRows_OnTheLoop()
    {
        using var loop = new LoopThread();
        var ok = new TaskCompletionSource<int>();
        var canceled = new TaskCompletionSource<int>();
        var faulted = new TaskCompletionSource();
        var several = new TaskCompletionSource<int>();
        var (p1, p2, p3, p4) = loop.Run(() => (ok.Task.ToPromise(), canceled.Task.ToPromise(), ((Task)faulted.Task).ToPromise(), several.Task.ToPromise()));
        var e = new TestException("f");
        var a = new TestException("a");
        var b = new TestException("b");
        Task.Run(() =>
        {
            ok.SetResult(1);
            canceled.SetCanceled();
            faulted.SetException(e);
            several.SetException([a, b]);
        }).Wait();
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => !p1.IsPending && !p2.IsPending && !p3.IsPending && !p4.IsPending), TimeSpan.FromSeconds(10)));
        loop.Run(() =>
        {
            Assert.Equal(1, p1.Value);
            Assert.IsType<CanceledException>(p2.Exception);
            Assert.Same(e, p3.Exception);
            Assert.Equal([a, b], Assert.IsType<AggregateException>(p4.Exception).InnerExceptions);
        });
    }

    [Fact]
    public void Pending_ValueTasks_OnTheLoop()
    {
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        var unit = new TaskCompletionSource();
        var (p, q) = loop.Run(() => (new ValueTask<int>(tcs.Task).ToPromise(), new ValueTask(unit.Task).ToPromise()));
        Task.Run(() => { tcs.SetResult(2); unit.SetResult(); }).Wait();
        Assert.Equal(2, LoopValue(loop, p));
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => q.IsFulfilled), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Pending_CompletedOnTheLoopThread_ResolvesInsideTheCompletion()
    {
        // No hop: the continuation runs where the Task completes, and that is the loop.
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        var (resolvedInside, value) = loop.Run(() =>
        {
            var q = tcs.Task.ToPromise();
            tcs.SetResult(6);
            return (q.IsFulfilled, q.IsFulfilled ? q.Value : 0);
        });
        Assert.True(resolvedInside);
        Assert.Equal(6, value);
    }

    [Fact]
    public void Pending_RunContinuationsAsynchronously_NeverResolvesInsideTheCompletion()
    {
        // The Task asked that no continuation run inside SetResult: on the loop thread the
        // promise is resolved by a post to the loop, after the completing code has returned.
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (p, resolvedInside) = loop.Run(() =>
        {
            var q = tcs.Task.ToPromise();
            tcs.SetResult(7);
            return (q, q.IsFulfilled);
        });
        Assert.False(resolvedInside);
        Assert.Equal(7, LoopValue(loop, p));

        // Off any loop, from the pool rather than inside the completion.
        var off = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var r = off.Task.ToPromise();
        off.SetResult(8);
        Assert.True(SpinWait.SpinUntil(() => r.IsFulfilled, TimeSpan.FromSeconds(10)));
        Assert.Equal(8, r.Value);
    }

    [Fact]
    public void Pending_OffLoop_ResolvesOnTheCompletingThread()
    {
        var tcs = new TaskCompletionSource<int>();
        var p = tcs.Task.ToPromise();
        int resolvedOn = 0;
        p.OnSuccess(_ => resolvedOn = Environment.CurrentManagedThreadId);
        var t = new Thread(() => tcs.SetResult(5));
        t.Start();
        t.Join();
        Assert.Equal(5, p.Value);
        Assert.Equal(t.ManagedThreadId, resolvedOn);
    }

    [Fact]
    public async Task Pending_LoopStoppedBeforeTheTaskCompletes_ResolvesOnTheCompletingThread_AndItsWaitersResume()
    {
        // Once a loop has stopped its promises are anyone's: a ToPromise or FromTask promise
        // of that loop resolves on the thread that completes its Task, as a resolver used
        // there would. (Its continuation used to be posted through the stopped loop's
        // context, where it waited for a next run that never came: the awaits hung.)
        var tcs = new TaskCompletionSource<int>();
        var gate = new TaskCompletionSource<int>();
        Promise<int> p = null!, q = null!;
        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            p = tcs.Task.ToPromise();
            q = PromiseInterop.FromTask(_ => gate.Task);
            return Promise.ReturnUnit; // the loop stops with both still pending
        }));
        loopThread.Start();
        loopThread.Join();
        Assert.True(p.IsPending);
        int resolvedOn = 0;
        p.OnSuccess(_ => resolvedOn = Environment.CurrentManagedThreadId);
        var waitP = p.AsTask();
        var waitQ = Task.Run(async () => await q);
        var completer = new Thread(() =>
        {
            tcs.SetResult(5);
            gate.SetResult(6);
        });
        completer.Start();
        completer.Join();
        Assert.Equal(5, await waitP.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(6, await waitQ.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(completer.ManagedThreadId, resolvedOn);
    }

    [Fact]
    public async Task Pending_OfALoopThatStops_AwaitedFromAnotherLoop_Resumes()
    {
        // Loop A awaits a ToPromise promise of loop B; B stops before the Task completes.
        using var a = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        var made = new TaskCompletionSource<Promise<int>>();
        var stop = new TaskCompletionSource();
        var b = new Thread(() => LwtMain.Run(() =>
        {
            var p = tcs.Task.ToPromise();
            made.SetResult(p);
            return stop.Task.ToPromise();
        }));
        b.Start();
        var promise = await made.Task;
        var resumed = a.Run(() =>
        {
            var r = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            Awaits(promise, r);
            return r.Task;
        });
        stop.SetResult();
        b.Join();
        tcs.SetResult(7);
        Assert.Equal(7, await resumed.WaitAsync(TimeSpan.FromSeconds(10)));

        static async void Awaits(Promise<int> p, TaskCompletionSource<int> r) => r.SetResult(await p);
    }

    [Fact]
    public void Cancel_DoesNothingToTheTask()
    {
        var tcs = new TaskCompletionSource<int>();
        var p = tcs.Task.ToPromise();
        p.Cancel();
        Assert.True(p.IsPending);
        Assert.False(tcs.Task.IsCompleted);
        tcs.SetResult(1);
        Assert.Equal(1, OffLoopValue(p));
    }

    [Fact]
    public void RoundTrip_PromiseTaskPromise_KeepsTheException()
    {
        var e = new TestException("rt");
        var (p, r) = Promise.Create<int>();
        var back = p.AsTask().ToPromise();
        r.Reject(e);
        SpinWait.SpinUntil(() => !back.IsPending, TimeSpan.FromSeconds(10));
        Assert.Same(e, back.Exception);
    }

    [Fact]
    public void AwaitTaskToPromise_InAsyncPromise_OnLoop()
    {
        int value = LwtMain.Run(async () =>
        {
            int a = await Task.Run(() => 20).ToPromise();
            await Task.Delay(1).ToPromise();
            return a + await new ValueTask<int>(Task.Run(() => 22)).ToPromise();
        });
        Assert.Equal(42, value);
    }

    // ------------------------------------------------------------------ FromTask

    [Fact]
    public void FromTask_StartCalledAtOnce_OnTheCallingThread()
    {
        int startedOn = 0;
        var tcs = new TaskCompletionSource<int>();
        var p = PromiseInterop.FromTask(ct => { startedOn = Environment.CurrentManagedThreadId; return tcs.Task; });
        Assert.Equal(Environment.CurrentManagedThreadId, startedOn);
        Assert.True(p.IsPending);
        tcs.SetResult(1);
        Assert.Equal(1, OffLoopValue(p));
    }

    [Fact]
    public void FromTask_StartThrows_Rejected()
    {
        var e = new TestException("start");
        Assert.Same(e, PromiseInterop.FromTask<int>(_ => throw e).Exception);
        Assert.Same(e, PromiseInterop.FromTask(_ => throw e).Exception);
    }

    [Fact]
    public void FromTask_CompletedTask_ResolvedAtOnce()
    {
        Assert.Equal(4, PromiseInterop.FromTask(_ => Task.FromResult(4)).Value);
        Assert.True(PromiseInterop.FromTask(_ => Task.CompletedTask).IsFulfilled);
    }

    [Fact]
    public void FromTask_Cancel_TaskHonoursToken_PromiseCanceled()
    {
        using var loop = new LoopThread();
        var p = loop.Run(() => PromiseInterop.FromTask(ct => Task.Delay(Timeout.Infinite, ct)));
        p.Cancel();
        SpinWait.SpinUntil(() => loop.Run(() => !p.IsPending), TimeSpan.FromSeconds(10));
        Assert.True(loop.Run(() => p.IsCanceled));
        Assert.IsType<CanceledException>(loop.Run(() => p.Exception));
    }

    [Fact]
    public void FromTask_Cancel_TaskIgnoresToken_PromiseFulfilled()
    {
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        CancellationToken token = default;
        var p = loop.Run(() => PromiseInterop.FromTask(ct => { token = ct; return tcs.Task; }));
        loop.Run(() => p.Cancel());
        Assert.True(token.IsCancellationRequested);
        Assert.True(loop.Run(() => p.IsPending));
        tcs.SetResult(6);
        Assert.Equal(6, LoopValue(loop, p));
    }

    [Fact]
    public void FromTask_Cancel_ReachedByBackwardsSearch()
    {
        CancellationToken token = default;
        var tcs = new TaskCompletionSource<int>();
        var inner = PromiseInterop.FromTask(ct => { token = ct; return tcs.Task; });
        var outer = inner.Bind(x => Promise.Return(x * 2));
        var joined = Promise.Join(outer, Promise.Create().Promise);
        joined.Cancel();
        Assert.True(token.IsCancellationRequested);
        tcs.SetCanceled(token);
        SpinWait.SpinUntil(() => !outer.IsPending, TimeSpan.FromSeconds(10));
        Assert.True(inner.IsCanceled);
        Assert.True(outer.IsCanceled);
    }

    [Fact]
    public void FromTask_Untyped_Cancel()
    {
        CancellationToken token = default;
        var p = PromiseInterop.FromTask(ct => { token = ct; return Task.Delay(Timeout.Infinite, ct); });
        p.Cancel();
        Assert.True(token.IsCancellationRequested);
        SpinWait.SpinUntil(() => !p.IsPending, TimeSpan.FromSeconds(10));
        Assert.True(p.IsCanceled);
    }

    /// <summary>Off any loop, the promise resolves where the Task's continuation runs (inline, or the pool under a non-default scheduler).</summary>
    private static T OffLoopValue<T>(Promise<T> p)
    {
        Assert.True(SpinWait.SpinUntil(() => !p.IsPending, TimeSpan.FromSeconds(10)));
        return p.Value;
    }

    private static T LoopValue<T>(LoopThread loop, Promise<T> p)
    {
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => !p.IsPending), TimeSpan.FromSeconds(10)));
        return loop.Run(() => p.Value);
    }
}
