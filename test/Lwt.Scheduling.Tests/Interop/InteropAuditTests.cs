using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Lwt.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lwt.Tests.Interop;

/// <summary>A SynchronizationContext that runs posted work on one dedicated thread.</summary>
internal sealed class SingleThreadContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback, object?)> _queue = new();
    private readonly Thread _thread;

    internal SingleThreadContext()
    {
        _thread = new Thread(() =>
        {
            SetSynchronizationContext(this);
            foreach (var (d, s) in _queue.GetConsumingEnumerable()) d(s);
        }) { IsBackground = true };
        _thread.Start();
    }

    internal int ThreadId => _thread.ManagedThreadId;

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override SynchronizationContext CreateCopy() => this;

    public void Dispose() => _queue.CompleteAdding();
}

/// <summary>Any non-default SynchronizationContext (a UI's, say).</summary>
internal sealed class MarkerContext : SynchronizationContext;

public class InteropAuditTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    // ------------------------------------------------------------------ await p (core paragraph)

    [Fact]
    public void AwaitOnLoop_InAsyncTask_ResumesAsLwtCallback_NoHop()
    {
        using var loop = new LoopThread();
        var log = new List<string>();
        loop.Run(() =>
        {
            var (p, r) = Promise.Create<int>();
            async Task Body()
            {
                await p;
                log.Add("resumed");
            }
            _ = Body();
            log.Add("suspended");
            r.ResolveNow(1);
            log.Add("resolve returned");
        });
        Assert.Equal(["suspended", "resumed", "resolve returned"], log);
    }

    [Fact]
    public async Task AwaitOffLoop_OnASynchronizationContext_ResumesOnIt()
    {
        using var loop = new LoopThread();
        using var ctx = new SingleThreadContext();
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var done = new TaskCompletionSource<(int, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ctx.Post(async _ =>
        {
            await p;
            done.SetResult((Environment.CurrentManagedThreadId, SynchronizationContext.Current == ctx));
        }, null);
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => CallbackStore.Count(p.Underlying()._callbacks)) == 1, Safety));
        loop.Run(() => r.Resolve(1));
        var (thread, onCtx) = await done.Task.WaitAsync(Safety);
        Assert.Equal(ctx.ThreadId, thread);
        Assert.True(onCtx);
    }

    [Fact]
    public async Task AwaitOffLoop_OnATaskScheduler_ResumesOnIt()
    {
        using var loop = new LoopThread();
        var scheduler = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var awaiting = Task.Factory.StartNew(async () =>
        {
            await p;
            return (Environment.CurrentManagedThreadId, TaskScheduler.Current == scheduler);
        }, CancellationToken.None, TaskCreationOptions.None, scheduler).Unwrap();
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => CallbackStore.Count(p.Underlying()._callbacks)) == 1, Safety));
        loop.Run(() => r.Resolve(1));
        var (thread, onScheduler) = await awaiting.WaitAsync(Safety);
        Assert.NotEqual(loop.ThreadId, thread);
        Assert.True(onScheduler);
    }

    // Code on loop A awaiting a promise of loop B is "outside" B's loop: it must not resume on
    // B's thread, whether it is an async Promise method (the builder's path) or an async Task
    // method (the awaiter's path).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AwaitOnLoopA_PromiseOfLoopB_ResumesOnLoopA(bool inAsyncTask)
    {
        using var a = new LoopThread();
        using var b = new LoopThread();
        var (p, r) = b.Run(() => Promise.Create<int>());
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Promise InAsyncPromise()
        {
            await p;
            done.SetResult(Environment.CurrentManagedThreadId);
        }
        async Task InAsyncTask()
        {
            await p;
            done.SetResult(Environment.CurrentManagedThreadId);
        }
        a.Run(() =>
        {
            if (inAsyncTask) _ = InAsyncTask();
            else _ = InAsyncPromise();
        });
        Assert.True(SpinWait.SpinUntil(() => b.Run(() => CallbackStore.Count(p.Underlying()._callbacks)) == 1, Safety));
        b.Run(() => r.Resolve(1));
        int resumed = await done.Task.WaitAsync(Safety);
        Assert.True(resumed == a.ThreadId, $"resumed on thread {resumed}; loop A is {a.ThreadId}, loop B is {b.ThreadId}");
    }

    // ------------------------------------------------------------------ mapping

    [Fact]
    public async Task RoundTrip_TaskPromiseTask_SameExceptionObject()
    {
        var e = new TestException("rt");
        var tcs = new TaskCompletionSource<int>();
        var t = tcs.Task.ToPromise().AsTask();
        tcs.SetException(e);
        Assert.Same(e, await Assert.ThrowsAsync<TestException>(() => t.WaitAsync(Safety)));
    }

    // ------------------------------------------------------------------ AsTask(token)

    [Fact]
    public void AsTaskToken_CancelRunsOnThePromisesLoop()
    {
        using var loop = new LoopThread();
        using var cts = new CancellationTokenSource();
        int canceledOn = 0;
        var p = loop.Run(() =>
        {
            var q = Promise.CreateCancelable<int>().Promise;
            q.OnCancel(() => canceledOn = Environment.CurrentManagedThreadId);
            return q;
        });
        var t = p.AsTask(cts.Token);
        cts.Cancel();
        Assert.True(t.IsCanceled);
        loop.Run(() => { });
        Assert.Equal(loop.ThreadId, canceledOn);

        int canceledOn2 = 0;
        var q2 = loop.Run(() =>
        {
            var q = Promise.CreateCancelable<int>().Promise;
            q.OnCancel(() => canceledOn2 = Environment.CurrentManagedThreadId);
            return q;
        });
        Assert.True(q2.AsTask(new CancellationToken(true)).IsCanceled);
        loop.Run(() => { });
        Assert.Equal(loop.ThreadId, canceledOn2);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ResolvedAsTask(CancellationToken token)
    {
        var (p, r) = Promise.Create<int>();
        var t = p.AsTask(token);
        r.Resolve(1);
        Assert.True(SpinWait.SpinUntil(() => t.IsCompleted, Safety));
        Assert.Equal(1, t.Result);
        return new WeakReference(t);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference PendingAsTask(CancellationToken token)
    {
        var (p, _) = Promise.Create<int>();
        return new WeakReference(p.AsTask(token));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ResolvedAsTaskOnLoop(LoopThread loop, CancellationToken token)
    {
        var (p, r) = loop.Run(() => Promise.Create<int>());
        var t = p.AsTask(token);
        loop.Run(() => r.Resolve(1));
        Assert.True(SpinWait.SpinUntil(() => t.IsCompleted, Safety));
        return new WeakReference(t);
    }

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Fact]
    public void AsTaskToken_RegistrationReleased_WhenTheTaskCompletes()
    {
        using var cts = new CancellationTokenSource();
        using var loop = new LoopThread();
        var control = PendingAsTask(cts.Token);  // registration still held: stays alive
        var released = ResolvedAsTask(cts.Token);
        var releasedOnLoop = ResolvedAsTaskOnLoop(loop, cts.Token);
        Collect();
        Assert.True(control.IsAlive);
        Assert.False(released.IsAlive);
        Assert.False(releasedOnLoop.IsAlive);
        GC.KeepAlive(cts);
    }

    // ------------------------------------------------------------------ ToPromise threads

    [Fact]
    public void ToPromise_OffAnyLoop_CompletedOnAnotherLoopsThread_ResolvesOnThatThread()
    {
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        var p = tcs.Task.ToPromise(); // off any loop
        int resolvedOn = 0;
        using var seen = new ManualResetEventSlim();
        bool pool = false;
        p.OnSuccess(_ => { resolvedOn = Environment.CurrentManagedThreadId; pool = Thread.CurrentThread.IsThreadPoolThread; seen.Set(); });
        loop.Run(() => tcs.SetResult(3));
        Assert.True(seen.Wait(Safety));
        Assert.True(loop.ThreadId == resolvedOn, $"resolved on thread {resolvedOn} (pool: {pool}); completing thread {loop.ThreadId}");
    }

    [Fact]
    public void ToPromise_OffAnyLoop_CompletedOnAThreadWithAContext_ResolvesOnThatThread()
    {
        var tcs = new TaskCompletionSource<int>();
        var p = tcs.Task.ToPromise();
        int resolvedOn = 0;
        using var seen = new ManualResetEventSlim();
        bool pool = false;
        p.OnSuccess(_ => { resolvedOn = Environment.CurrentManagedThreadId; pool = Thread.CurrentThread.IsThreadPoolThread; seen.Set(); });
        var t = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(new MarkerContext());
            tcs.SetResult(3);
        });
        t.Start();
        t.Join();
        Assert.True(seen.Wait(Safety));
        Assert.True(t.ManagedThreadId == resolvedOn, $"resolved on thread {resolvedOn} (pool: {pool}); completing thread {t.ManagedThreadId}");
    }

    [Fact]
    public void FromTask_OnLoop_TaskCompletedOnPool_ResolvesOnTheLoop_StartOnLoop()
    {
        using var loop = new LoopThread();
        var tcs = new TaskCompletionSource<int>();
        int startedOn = 0, resolvedOn = 0;
        var p = loop.Run(() =>
        {
            var q = PromiseInterop.FromTask(_ => { startedOn = Environment.CurrentManagedThreadId; return tcs.Task; });
            q.OnSuccess(_ => resolvedOn = Environment.CurrentManagedThreadId);
            return q;
        });
        Task.Run(() => tcs.SetResult(2)).Wait();
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => !p.IsPending), Safety));
        Assert.Equal(loop.ThreadId, startedOn);
        Assert.Equal(loop.ThreadId, resolvedOn);
    }

    [Fact]
    public void FromTask_StartThrowsOperationCanceled_SameObject()
    {
        var e = new OperationCanceledException("start");
        Assert.Same(e, PromiseInterop.FromTask<int>(_ => throw e).Exception);
    }

    // ------------------------------------------------------------------ streams

    [Fact]
    public async Task AsAsyncEnumerable_OneReadPerMoveNext()
    {
        int calls = 0;
        var stream = LwtStream.From(() => { calls++; return Promise.ReturnSome(calls); });
        var e = stream.AsAsyncEnumerable().GetAsyncEnumerator();
        Assert.Equal(0, calls);
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(1, calls);
        Assert.Equal(1, e.Current);
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(2, calls);
        await e.DisposeAsync();
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task AsAsyncEnumerable_FromThePool_PendingSourceException_SameObject_AfterTheItems()
    {
        using var loop = new LoopThread();
        var error = new TestException("late");
        int n = 0;
        var enumerable = loop.Run(() => LwtStream.From(() => LwtUnix.Sleep(0.001).Bind(() =>
            ++n <= 2 ? Promise.ReturnSome(n) : Promise.Fail<Option<int>>(error))).AsAsyncEnumerable());
        var seen = new List<int>();
        var thrown = await Assert.ThrowsAsync<TestException>(async () =>
        {
            await foreach (var x in enumerable) seen.Add(x);
        });
        Assert.Same(error, thrown);
        Assert.Equal([1, 2], seen);
    }

    // The enumerator is driven from another thread; it is disposed before the loop got to the read.
    [Fact]
    public async Task AsAsyncEnumerable_DisposeFromOffLoop_BeforeTheReadStarted_CancelsIt_ItemStays()
    {
        using var loop = new LoopThread();
        var (stream, push) = loop.Run(() => LwtStream.Create<int>());
        var enumerable = loop.Run(() => stream.AsAsyncEnumerable());
        var gate = new ManualResetEventSlim();
        Task move;
        try
        {
            loop.Loop.Post(() => gate.Wait(Safety)); // holds the loop for a moment
            var e = enumerable.GetAsyncEnumerator();
            move = e.MoveNextAsync().AsTask();
            await e.DisposeAsync();
        }
        finally
        {
            gate.Set();
        }
        loop.Run(() => { });                        // the loop has run what was queued behind the gate
        loop.Run(() => push(Option<int>.Some(7)));
        Assert.Equal(7, loop.Run(() => { var g = stream.Get(); return g.IsFulfilled ? g.Value.Value : -1; })); // -1: a hidden read took it
        var first = await Task.WhenAny(move, Task.Delay(Safety));   // safety net only
        Assert.Same(move, first);
        Assert.True(move.IsCanceled);
    }


    // ------------------------------------------------------------------ loop context

    [Fact]
    public void LoopContext_IsCurrent_ForStart_Callbacks_Posts_Tasks()
    {
        var seen = new List<(string, bool)>();
        LwtMain.Run(async () =>
        {
            seen.Add(("start", SynchronizationContext.Current is LwtSynchronizationContext));
            var (p, r) = Promise.Create();
            p.OnTermination(() => seen.Add(("callback", SynchronizationContext.Current is LwtSynchronizationContext)));
            var posted = Promise.Create();
            EventLoop.Current!.Post(() => { seen.Add(("post", SynchronizationContext.Current is LwtSynchronizationContext)); posted.Resolver.Resolve(); });
            var task = Task.Factory.StartNew(() => seen.Add(("task", SynchronizationContext.Current is LwtSynchronizationContext)),
                CancellationToken.None, TaskCreationOptions.None, EventLoop.Current.TaskScheduler);
            await posted.Promise;
            await task.ToPromise();
            r.Resolve();
            await p;
        });
        Assert.Equal(4, seen.Count);
        Assert.All(seen, s => Assert.True(s.Item2, s.Item1));
    }
}

[Collection(Lwt.Tests.Core.SerialCollection.Name)]
public class InteropAuditHostingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static (IHost Host, CapturingLoggerProvider Logs) Build(Action<IServiceCollection> configure, TimeSpan? shutdown = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown ?? TimeSpan.FromSeconds(20));
        configure(builder.Services);
        return (builder.Build(), logs);
    }

    [Fact]
    public async Task AddLwtEventLoop_DedicatedNonPoolThread_RegisteredBeforeTheService()
    {
        var (host, _) = Build(s => s.AddLwtEventLoop().AddPromiseHostedService<OrderService>());
        using (host)
        {
            var loop = host.Services.GetRequiredService<EventLoop>();
            var pool = new TaskCompletionSource<bool>();
            loop.Post(() => pool.SetResult(Thread.CurrentThread.IsThreadPoolThread));
            Assert.False(await pool.Task.WaitAsync(Wait));
            await host.StartAsync();
            var svc = host.Services.GetServices<IHostedService>().OfType<OrderService>().Single();
            await svc.Started.Task.WaitAsync(Wait);
            await host.StopAsync().WaitAsync(Wait);
        }
    }

    public sealed class OrderService : PromiseBackgroundService
    {
        internal readonly ConcurrentQueue<string> Log = new();
        internal readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            var (p, _) = Promise.CreateCancelable();
            stoppingToken.Register(() => Log.Enqueue("token"));
            p.OnCancel(() => Log.Enqueue("cancel"));
            Started.SetResult();
            return p;
        }
    }

    [Fact]
    public void PromiseBackgroundService_Shape()
    {
        var t = typeof(PromiseBackgroundService);
        Assert.True(t.IsAbstract);
        var ctor = Assert.Single(t.GetConstructors(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic));
        Assert.True(ctor.IsFamily);
        Assert.Empty(ctor.GetParameters());
        var abstracts = t.GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic).Where(m => m.IsAbstract).ToList();
        var m = Assert.Single(abstracts);
        Assert.Equal("ExecuteAsync", m.Name);
        Assert.True(m.IsFamily);
        Assert.Equal(typeof(Promise), m.ReturnType);
        Assert.Equal([typeof(CancellationToken)], m.GetParameters().Select(p => p.ParameterType));
    }

    [Fact]
    public async Task Stop_FiresTheTokenThenCancelsTheRunningPromise()
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<OrderService>());
        using (host)
        {
            await host.StartAsync();
            var svc = host.Services.GetServices<IHostedService>().OfType<OrderService>().Single();
            await svc.Started.Task.WaitAsync(Wait);
            await host.StopAsync().WaitAsync(Wait);
            Assert.Equal(["token", "cancel"], svc.Log);
            Assert.True(svc.ExecutePromise!.IsCanceled);
            Assert.Empty(logs.AtLeast(LogLevel.Warning)); // stopped in time: no abandonment warning
        }
    }

    public sealed class SlowStopService : PromiseBackgroundService
    {
        internal Resolver<Unit>? Resolver;
        internal readonly TaskCompletionSource TokenFired = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            var (p, r) = Promise.Create(); // not cancelable: ends only when resolved
            Resolver = r;
            stoppingToken.Register(() => TokenFired.SetResult());
            return p;
        }
    }

    [Fact]
    public async Task Stop_WaitsForTheRunningPromise_NotBefore()
    {
        var (host, _) = Build(s => s.AddPromiseHostedService<SlowStopService>());
        using (host)
        {
            await host.StartAsync();
            var svc = host.Services.GetServices<IHostedService>().OfType<SlowStopService>().Single();
            var loop = host.Services.GetRequiredService<EventLoop>();
            Assert.True(SpinWait.SpinUntil(() => svc.ExecutePromise is not null, Wait));
            var stop = host.StopAsync();
            await svc.TokenFired.Task.WaitAsync(Wait);
            var roundTrip = new TaskCompletionSource();
            loop.Post(() => roundTrip.SetResult());
            await roundTrip.Task.WaitAsync(Wait);
            await Task.Yield();
            Assert.False(stop.IsCompleted);
            loop.Post(() => svc.Resolver!.Resolve());
            await stop.WaitAsync(Wait);
            Assert.True(svc.ExecutePromise!.IsFulfilled);
        }
    }

    [Fact]
    public async Task Stop_GivesUpAfterTheShutdownTimeout()
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<SlowStopService>(), shutdown: TimeSpan.FromMilliseconds(300));
        using (host)
        {
            await host.StartAsync();
            var svc = host.Services.GetServices<IHostedService>().OfType<SlowStopService>().Single();
            Assert.True(SpinWait.SpinUntil(() => svc.ExecutePromise is not null, Wait));
            try { await host.StopAsync().WaitAsync(Wait); } catch (OperationCanceledException) { }
            Assert.True(svc.ExecutePromise!.IsPending);
            // The service abandoned at the timeout is named in a warning, not left silently.
            var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(nameof(SlowStopService)));
            Assert.Contains("still pending", warning.Message);
        }
    }

    [Fact]
    public async Task WhileHosted_OtherLoopsKeepTheGlobalAsyncExceptionHook()
    {
        var (host, logs) = Build(s => s.AddLwtEventLoop());
        using (host)
        {
            await host.StartAsync();
            var error = new TestException("other loop");
            var seen = new ConcurrentQueue<Exception>();
            var saved = Promise.AsyncExceptionHook;
            Promise.AsyncExceptionHook = seen.Enqueue;
            try
            {
                var t = new Thread(() => LwtMain.Run(async () =>
                {
                    Promise.Async(async () =>
                    {
                        await Promise.Pause();
                        throw error;
                    });
                    await LwtUnix.Sleep(0.01);
                }));
                t.Start();
                Assert.True(t.Join(Wait));
            }
            finally
            {
                Promise.AsyncExceptionHook = saved;
            }
            Assert.Contains(error, seen);
            Assert.DoesNotContain(logs.Entries, e => ReferenceEquals(e.Exception, error));
            await host.StopAsync().WaitAsync(Wait);
        }
    }
}
