using System.Threading.Tasks.Sources;
using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// AsValueTask of a pending promise: the IValueTaskSource node (ValueTaskSource.cs). The
/// mapping rows, where awaiting code resumes (as with AsTask), the hand-off between the
/// loop and an awaiting thread, and what it allocates.
/// </summary>
public class ValueTaskSourceTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    // ------------------------------------------------------------------ mapping

    [Fact]
    public async Task Pending_Fulfilled_Succeeded()
    {
        var (p, r) = Promise.Create<int>();
        var vt = p.AsValueTask();
        Assert.False(vt.IsCompleted);
        r.Resolve(11);
        Assert.True(vt.IsCompletedSuccessfully);
        Assert.Equal(11, await vt);

        var (q, s) = Promise.Create();
        var vu = ((Promise)q).AsValueTask();
        Assert.False(vu.IsCompleted);
        s.Resolve();
        Assert.True(vu.IsCompletedSuccessfully);
        await vu;
    }

    [Fact]
    public async Task Pending_RejectedWithCanceled_Canceled_SameObject()
    {
        var (p, r) = Promise.Create<int>();
        var vt = p.AsValueTask();
        var e = new OperationCanceledException("plain");
        r.Reject(e);
        Assert.True(vt.IsCanceled);
        Assert.Same(e, await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await vt));

        var (q, s) = Promise.CreateCancelable();
        var vu = ((Promise)q).AsValueTask();
        q.Cancel();
        Assert.True(vu.IsCanceled);
        var task = vu.AsTask();
        Assert.True(task.IsCanceled);
        Assert.Same(q.Exception, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task));
        Assert.False(s.TryResolve(default));
    }

    [Fact]
    public async Task Pending_RejectedOther_Faulted_SameObject()
    {
        var (p, r) = Promise.Create<int>();
        var vt = p.AsValueTask();
        var e = new TestException("f");
        r.Reject(e);
        Assert.True(vt.IsFaulted);
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(async () => await vt));

        var (q, s) = Promise.Create();
        var vu = ((Promise)q).AsValueTask();
        var agg = new AggregateException(new TestException("a"), new TestException("b"));
        s.Reject(agg);
        var task = vu.AsTask();
        Assert.True(task.IsFaulted);
        Assert.Same(agg, await Assert.ThrowsAsync<AggregateException>(() => task));
    }

    [Fact]
    public async Task Pending_AsTask_FollowsThePromise()
    {
        var (p, r) = Promise.Create<int>();
        var task = p.AsValueTask().AsTask();
        Assert.False(task.IsCompleted);
        r.Resolve(4);
        Assert.Equal(4, await task.WaitAsync(Hang));
    }

    [Fact]
    public void AlreadyRejected_MapsAtOnce()
    {
        var e = new TestException("r");
        var vt = Promise.Fail<int>(e).AsValueTask();
        Assert.True(vt.IsFaulted);
        // Observed: an unobserved faulted Task would reach the race tests' UnobservedCounter,
        // which listens process-wide while other test classes run in parallel.
        Assert.Same(e, vt.AsTask().Exception!.InnerException);
        Assert.True(Promise.Fail(new CanceledException()).AsValueTask().IsCanceled);
    }

    // ------------------------------------------------------------------ the source itself

    [Fact]
    public void GetResult_BeforeCompletion_Throws_AndSecondContinuation_Throws()
    {
        var (p, _) = Promise.Create<int>();
        var source = new ValueTaskSource<int>();
        AwaitSupport.Register(p, source);
        Assert.Equal(ValueTaskSourceStatus.Pending, source.GetStatus(0));
        Assert.Throws<InvalidOperationException>(() => source.GetResult(0));
        int runs = 0;
        source.OnCompleted(_ => runs++, null, 0, ValueTaskSourceOnCompletedFlags.None);
        Assert.Throws<InvalidOperationException>(() => source.OnCompleted(_ => runs += 10, null, 0, ValueTaskSourceOnCompletedFlags.None));
        Assert.Equal(0, runs);
    }

    [Fact]
    public void ContinuationRegisteredAfterCompletion_RunsAsynchronously_Once()
    {
        var (p, r) = Promise.Create<int>();
        var source = new ValueTaskSource<int>();
        AwaitSupport.Register(p, source);
        r.Resolve(3);
        Assert.Equal(ValueTaskSourceStatus.Succeeded, source.GetStatus(0));
        using var ran = new ManualResetEventSlim();
        int thread = 0, runs = 0;
        int me = Environment.CurrentManagedThreadId;
        source.OnCompleted(_ =>
        {
            thread = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref runs);
            ran.Set();
        }, null, 0, ValueTaskSourceOnCompletedFlags.None);
        Assert.True(ran.Wait(Hang));
        Assert.NotEqual(me, thread);
        Assert.Equal(1, runs);
        Assert.Equal(3, source.GetResult(0));
    }

    [Fact]
    public void OnCompleted_FlowsTheExecutionContext()
    {
        var local = new AsyncLocal<string>();
        var (p, r) = Promise.Create<int>();
        var vt = p.AsValueTask();
        local.Value = "flowed";
        string? seen = null;
        using var ran = new ManualResetEventSlim();
        vt.GetAwaiter().OnCompleted(() =>
        {
            seen = local.Value;
            ran.Set();
        });
        local.Value = "changed";
        r.Resolve(1);
        Assert.True(ran.Wait(Hang));
        Assert.Equal("flowed", seen);
    }

    // ------------------------------------------------------------------ where awaiting code resumes

    [Fact]
    public async Task AwaitFromPool_ResumesOnPool_NotOnLoop()
    {
        using var loop = new LoopThread();
        var (resumedOn, isPool) = await Task.Run(async () =>
        {
            var p = loop.Run(() => LwtUnix.Sleep(0.01));
            await p.AsValueTask();
            return (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
        });
        Assert.NotEqual(loop.ThreadId, resumedOn);
        Assert.True(isPool);

        var (resumedOn2, isPool2) = await Task.Run(async () =>
        {
            var p = loop.Run(() => LwtUnix.Sleep(0.01).Map(() => 1));
            await p.AsValueTask().ConfigureAwait(false);
            return (Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread);
        });
        Assert.NotEqual(loop.ThreadId, resumedOn2);
        Assert.True(isPool2);
    }

    [Fact]
    public void AwaitOnTheLoop_ResumesOnTheLoop_InlineWithNoHop()
    {
        using var loop = new LoopThread();
        var (task, resolver) = loop.Run(() =>
        {
            var (p, r) = Promise.Create<int>();
            return (AwaitAndReportThread(p), r);
        });
        var resumedInline = loop.Run(() =>
        {
            resolver.Resolve(5);
            // The await captured the loop's context, which is current here: the method has
            // resumed within Resolve, before this line.
            return task.IsCompleted;
        });
        Assert.True(resumedInline);
        Assert.Equal((loop.ThreadId, 5), task.Result);

        static async Task<(int, int)> AwaitAndReportThread(Promise<int> p)
        {
            int v = await p.AsValueTask();
            return (Environment.CurrentManagedThreadId, v);
        }
    }

    [Fact]
    public async Task AsValueTaskFromAnotherThread_AttachedOnTheLoop()
    {
        using var loop = new LoopThread();
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var vt = p.AsValueTask();
        var vu = ((Promise)p).AsValueTask();
        loop.Run(() => r.Resolve(8));
        Assert.Equal(8, await vt);
        await vu;
    }

    /// <summary>The promise resolves on the loop while a pool thread registers its continuation, 10,000 times.</summary>
    [Fact]
    public void Await_RacedWithResolve_RunsOnceWithTheValue_NeverOnTheLoop()
    {
        using var loop = new LoopThread();
        for (int i = 0; i < 10_000; i++)
        {
            int value = i;
            var (p, r, vt) = loop.Run(() =>
            {
                var (p, r) = Promise.Create<int>();
                return (p, r, p.AsValueTask());
            });
            int runs = 0, thread = 0, seen = -1;
            using var ran = new ManualResetEventSlim();
            using var go = new Barrier(2);
            var awaiter = Task.Run(() =>
            {
                var a = vt.ConfigureAwait(false).GetAwaiter();
                go.SignalAndWait();
                if (a.IsCompleted)
                {
                    seen = a.GetResult();
                    thread = -1;
                    Interlocked.Increment(ref runs);
                    ran.Set();
                    return;
                }
                a.UnsafeOnCompleted(() =>
                {
                    seen = a.GetResult();
                    thread = Environment.CurrentManagedThreadId;
                    Interlocked.Increment(ref runs);
                    ran.Set();
                });
            });
            loop.Loop.Post(() =>
            {
                go.SignalAndWait();
                r.Resolve(value);
            });
            Assert.True(awaiter.Wait(Hang));
            Assert.True(ran.Wait(Hang), "the continuation never ran");
            Assert.Equal(1, Volatile.Read(ref runs));
            Assert.Equal(value, seen);
            Assert.NotEqual(loop.ThreadId, thread);
        }
    }

    // ------------------------------------------------------------------ allocation

    [Fact]
    public void Pending_OneNodeOnly()
    {
        const int n = 1000;
        using var loop = new LoopThread();
        var (perOp, perOpUntyped) = loop.Run(() =>
        {
            long typed = AllocationMeter.PerOp(n,
                static () => (promises: Enumerable.Range(0, n).Select(_ => Promise.Create<int>().Promise).ToArray(), tasks: new ValueTask<int>[n]),
                static (s, i) => s.tasks[i] = s.promises[i].AsValueTask()).PerOp;
            long untyped = AllocationMeter.PerOp(n,
                static () => (promises: Enumerable.Range(0, n).Select(_ => (Promise)Promise.Create().Promise).ToArray(), tasks: new ValueTask[n]),
                static (s, i) => s.tasks[i] = s.promises[i].AsValueTask()).PerOp;
            return (typed, untyped);
        });
        // One node: the callback's flags, continuation, its state, context, error, status and value.
        Assert.True(perOp <= 64, $"AsValueTask<T> of a pending promise allocated {perOp} B");
        Assert.True(perOpUntyped <= 64, $"AsValueTask of a pending promise allocated {perOpUntyped} B");
    }
}
