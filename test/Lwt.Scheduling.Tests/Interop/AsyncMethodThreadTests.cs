using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Where an <c>async Promise</c> method resumes and where its promise is resolved, across
/// threads (API.md, "Ownership and threads" and the await paragraph), and AsTask(token)
/// against a token fired during the resolution (API.md, "Cancellation").
/// </summary>
public class AsyncMethodThreadTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    private static TaskCompletionSource<T> NewSource<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // ------------------------------------------------------------------ off any loop (F1)

    private static async Promise AwaitThenRecord(Promise p, TaskCompletionSource<(int Thread, bool Pool)> resumed)
    {
        await p;
        resumed.SetResult((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread));
    }

    private static async Promise AwaitUnconfiguredThenRecord(Promise p, TaskCompletionSource<int> resumed)
    {
        await p.ConfigureAwait(false);
        resumed.SetResult(Environment.CurrentManagedThreadId);
    }

    [Fact]
    public async Task OffAnyLoop_AwaitResolvedOnALoopThread_ResumesOnThePool_AndConfigureAwaitFalseOnTheLoop()
    {
        using var loop = new LoopThread();
        var (p, r) = Promise.Create(); // of no loop
        var plain = NewSource<(int, bool)>();
        var unconfigured = NewSource<int>();
        await Task.Run(() =>
        {
            _ = AwaitThenRecord(p, plain);
            _ = AwaitUnconfiguredThenRecord(p, unconfigured);
        });
        loop.Run(() => r.Resolve());
        var (thread, pool) = await plain.Task.WaitAsync(Safety);
        Assert.NotEqual(loop.ThreadId, thread);
        Assert.True(pool);
        // ConfigureAwait(false) keeps its meaning: wherever the promise resolves.
        Assert.Equal(loop.ThreadId, await unconfigured.Task.WaitAsync(Safety));
    }

    // Promise.ConfigureAwait's doc: Task code that went on on the loop's thread after a
    // ConfigureAwait(false) leaves it with ForceYielding, not with Task.Yield, which posts to
    // the loop's context, current there.
    [Fact]
    public async Task TaskCode_AfterConfigureAwaitFalseOnTheLoop_TaskYieldStaysOnTheLoop_ForceYieldingLeavesIt()
    {
        using var loop = new LoopThread();
        var (p, r) = loop.Run(() => Promise.Create());
        // StartNew's task ends when the body first suspends: its await is then attached.
        var started = Task.Factory.StartNew(async () =>
        {
            await p.ConfigureAwait(false);
            bool onLoop = Environment.CurrentManagedThreadId == loop.ThreadId;
            bool loopContext = SynchronizationContext.Current is LwtSynchronizationContext;
            await Task.Yield();
            bool afterYield = Environment.CurrentManagedThreadId == loop.ThreadId;
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            bool afterForceYielding = Environment.CurrentManagedThreadId == loop.ThreadId;
            return (onLoop, loopContext, afterYield, afterForceYielding);
        }, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
        var result = await started.WaitAsync(Safety);
        Assert.True(p.IsPending);
        loop.Run(() => r.Resolve());
        var (onLoop, loopContext, afterYield, afterForceYielding) = await result.WaitAsync(Safety);
        Assert.True(onLoop);
        Assert.True(loopContext);
        Assert.True(afterYield);
        Assert.False(afterForceYielding);
    }

    [Fact]
    public async Task OffAnyLoop_OnACustomContext_AwaitResolvedOnAnotherThread_ResumesOnThatContext()
    {
        using var context = new SingleThreadContext();
        var (p, r) = Promise.Create();
        var resumed = NewSource<(int, bool)>();
        var started = NewSource<bool>();
        context.Post(_ =>
        {
            _ = AwaitThenRecord(p, resumed);
            started.SetResult(true);
        }, null);
        await started.Task.WaitAsync(Safety);
        var resolver = new Thread(() => r.Resolve());
        resolver.Start();
        resolver.Join();
        var (thread, _) = await resumed.Task.WaitAsync(Safety);
        Assert.Equal(context.ThreadId, thread);
    }

    [Fact]
    public async Task OffAnyLoop_CancelFromALoopThread_ReachesTheAwaitedPromise_AndTheMethodResumesOnThePool()
    {
        using var loop = new LoopThread();
        var (p, _) = Promise.CreateCancelable(); // of no loop
        var outcome = NewSource<(int Thread, bool Canceled)>();
        async Promise M()
        {
            try
            {
                await p;
                outcome.SetResult((Environment.CurrentManagedThreadId, false));
            }
            catch (CanceledException)
            {
                outcome.SetResult((Environment.CurrentManagedThreadId, true));
                throw;
            }
        }
        var m = await Task.Run(() => M());
        loop.Run(() => m.Cancel());
        var (thread, canceled) = await outcome.Task.WaitAsync(Safety);
        Assert.True(canceled);
        Assert.True(p.IsCanceled);
        Assert.NotEqual(loop.ThreadId, thread);
        Assert.True(SpinWait.SpinUntil(() => !m.IsPending, Safety));
        Assert.True(m.IsCanceled);
    }

    // ------------------------------------------------------------------ a loop's method finishing elsewhere (F2)

    [Fact]
    public async Task LoopMethod_FinishingOnAnotherLoop_ResolvesItsPromiseOnItsOwnLoop()
    {
        using var a = new LoopThread();
        using var b = new LoopThread();
        var (pB, rB) = b.Run(() => Promise.Create<int>());
        var bodyThread = NewSource<int>();
        var callback = NewSource<(int Thread, int Value)>();
        a.Run(() =>
        {
            async Promise<int> M()
            {
                int v = await pB.ConfigureAwait(false);
                bodyThread.SetResult(Environment.CurrentManagedThreadId);
                return v + 1;
            }
            M().OnSuccess(v => callback.SetResult((Environment.CurrentManagedThreadId, v)));
        });
        b.Run(() => rB.Resolve(41));
        // ConfigureAwait(false) moved the body to B; the promise and its callbacks stay on A.
        Assert.Equal(b.ThreadId, await bodyThread.Task.WaitAsync(Safety));
        var (thread, value) = await callback.Task.WaitAsync(Safety);
        Assert.Equal(a.ThreadId, thread);
        Assert.Equal(42, value);
    }

    [Fact]
    public async Task LoopMethod_RejectedOnAnotherLoop_RejectsItsPromiseOnItsOwnLoop()
    {
        using var a = new LoopThread();
        using var b = new LoopThread();
        var (pB, rB) = b.Run(() => Promise.Create<int>());
        var failure = new InvalidTimeZoneException("boom");
        var callback = NewSource<(int Thread, Exception Exception)>();
        a.Run(() =>
        {
            async Promise M()
            {
                await pB.ConfigureAwait(false);
                throw failure;
            }
            M().OnFailure(e => callback.SetResult((Environment.CurrentManagedThreadId, e)));
        });
        b.Run(() => rB.Resolve(1));
        var (thread, exception) = await callback.Task.WaitAsync(Safety);
        Assert.Equal(a.ThreadId, thread);
        Assert.Same(failure, exception);
    }

    private static async Promise Inner(Task task) => await task.ConfigureAwait(false);

    private static async Promise InnerThrowing(Task task, Exception failure)
    {
        await task.ConfigureAwait(false);
        throw failure;
    }

    private static async Promise<int> Outer(Task task)
    {
        await Inner(task);
        return Environment.CurrentManagedThreadId;
    }

    private static async Promise<(int, Exception?)> OuterCatching(Task task, Exception failure)
    {
        try
        {
            await InnerThrowing(task, failure);
            return (Environment.CurrentManagedThreadId, null);
        }
        catch (Exception e)
        {
            return (Environment.CurrentManagedThreadId, e);
        }
    }

    [Fact]
    public void Caller_OfAMethodThatLeftTheLoop_ResumesOnTheLoop_AndRunReturns()
    {
        int loopThread = 0, resumed = 0;
        (int Thread, Exception? Exception) caught = default;
        var failure = new InvalidProgramException("inner");
        var th = new Thread(() =>
        {
            resumed = LwtMain.Run(() =>
            {
                loopThread = Environment.CurrentManagedThreadId;
                var tcs = new TaskCompletionSource();
                var outer = Outer(tcs.Task);
                new Thread(() => tcs.SetResult()).Start(); // the Task completes on another thread
                return outer;
            });
            caught = LwtMain.Run(() =>
            {
                var tcs = new TaskCompletionSource();
                var outer = OuterCatching(tcs.Task, failure);
                new Thread(() => tcs.SetResult()).Start();
                return outer;
            });
        }) { IsBackground = true };
        th.Start();
        Assert.True(th.Join(Safety), "LwtMain.Run did not return");
        Assert.Equal(loopThread, resumed);
        Assert.Equal(loopThread, caught.Thread);
        Assert.Same(failure, caught.Exception);
    }

    [Fact]
    public async Task MethodOfNoLoop_FinishingOnAnotherThread_ResolvesItsPromiseThere()
    {
        // Guard: a method's promise of no loop is still resolved directly (under its lock) on
        // whatever thread the body finishes on, and its callbacks run there.
        var tcs = new TaskCompletionSource();
        var callback = NewSource<int>();
        var completer = new Thread(() => tcs.SetResult());
        await Task.Run(() => Inner(tcs.Task).OnTermination(() => callback.SetResult(Environment.CurrentManagedThreadId)));
        completer.Start();
        Assert.Equal(completer.ManagedThreadId, await callback.Task.WaitAsync(Safety));
    }

    // ------------------------------------------------------------------ AsTask(token) (F3)

    [Fact]
    public void AsTaskToken_FiredByACallbackOfTheResolution_ChangesNothing()
    {
        var failure = new DivideByZeroException();
        var (typed, untyped, rejected) = LwtMain.Run(() =>
        {
            using var cts1 = new CancellationTokenSource();
            var (p, r) = Promise.Create<int>();
            p.OnSuccess(_ => cts1.Cancel()); // runs once p is fulfilled, before the AsTask node
            var t = p.AsTask(cts1.Token);
            r.Resolve(42);

            using var cts2 = new CancellationTokenSource();
            var (q, rq) = Promise.Create();
            q.OnTermination(() => cts2.Cancel());
            var u = ((Promise)q).AsTask(cts2.Token);
            rq.Resolve();

            using var cts3 = new CancellationTokenSource();
            var (x, rx) = Promise.Create<int>();
            x.OnFailure(_ => cts3.Cancel());
            var v = x.AsTask(cts3.Token);
            rx.Reject(failure);
            return Promise.Return((t, u, v));
        });
        Assert.Equal(TaskStatus.RanToCompletion, typed.Status);
        Assert.Equal(42, typed.Result);
        Assert.Equal(TaskStatus.RanToCompletion, untyped.Status);
        Assert.Equal(TaskStatus.Faulted, rejected.Status);
        Assert.Same(failure, rejected.Exception!.InnerException);
    }
}
