using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Lwt.Tests.Loop;

/// <summary>async void and the exception hook, LwtPreemptive's pool (process-wide state).</summary>
[Collection(LoopGlobalState.Name)]
public class GlobalStateTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingMethod(Exception e) => throw e;

    private static async void FireAndForget(Exception e)
    {
        await LwtUnix.Sleep(0.005);
        await Task.Yield();
        ThrowingMethod(e);
    }

    private static async void FireAndForgetOk(List<string> log)
    {
        await Task.Delay(1);
        log.Add("async void done");
    }

    [Fact]
    public void Async_void_on_the_loop_is_counted_and_its_exception_reaches_the_hook()
    {
        var captured = new ConcurrentQueue<(Exception, int)>();
        LoopTest.WithExceptionHook(e => captured.Enqueue((e, Environment.CurrentManagedThreadId)), () =>
        {
            LoopTest.OnFreshThread(() =>
            {
                int loopThread = Environment.CurrentManagedThreadId;
                var boom = new InvalidOperationException("async void");
                var log = new List<string>();
                int during = -1;
                EventLoop? loop = null;
                LwtMain.Run(async () =>
                {
                    loop = EventLoop.Current!;
                    FireAndForget(boom);
                    FireAndForgetOk(log);
                    during = loop.OutstandingOperations;
                    for (int i = 0; i < 2000 && (!captured.Any(c => c.Item2 == loopThread) || log.Count == 0 || loop.OutstandingOperations != 0); i++)
                        await LwtUnix.Sleep(0.005);
                });
                Assert.Equal(2, during);
                Assert.Equal(0, loop!.OutstandingOperations);
                Assert.Equal(["async void done"], log);
                var (e, thread) = Assert.Single(captured, c => c.Item2 == loopThread);
                Assert.Same(boom, e);
                Assert.Contains(nameof(ThrowingMethod), e.StackTrace);
            });
        });
    }

    [Fact]
    public void An_exception_thrown_by_a_posted_action_reaches_the_hook_and_the_loop_goes_on()
    {
        var captured = new ConcurrentQueue<(Exception, int)>();
        LoopTest.WithExceptionHook(e => captured.Enqueue((e, Environment.CurrentManagedThreadId)), () =>
        {
            LoopTest.OnFreshThread(() =>
            {
                int loopThread = Environment.CurrentManagedThreadId;
                var boom = new FormatException("posted");
                int after = LwtMain.Run(async () =>
                {
                    EventLoop.Current!.Post(() => throw boom);
                    SynchronizationContext.Current!.Post(_ => throw boom, null);
                    await Promise.Pause();
                    await LwtUnix.Sleep(0.001);
                    return 1;
                });
                Assert.Equal(1, after);
                // (the hook is process-wide: count only what this loop reported)
                Assert.Equal([boom, boom], captured.Where(c => c.Item2 == loopThread).Select(c => c.Item1));
            });
        });
    }

    [Fact]
    public void Detach_runs_1000_jobs_on_a_bounded_pool_and_resolves_on_the_loop()
    {
        const int Max = 3;
        int oldMin = LwtPreemptive.MinThreads, oldMax = LwtPreemptive.MaxThreads;
        LwtPreemptive.SetBounds(0, Max);
        try
        {
            LoopTest.OnFreshThread(() =>
            {
                int loopThread = Environment.CurrentManagedThreadId;
                var workers = new ConcurrentDictionary<int, bool>();
                int running = 0, maxRunning = 0, wrongThread = 0;
                long sum = LwtMain.Run(() =>
                {
                    var jobs = new Promise<int>[1000];
                    for (int i = 0; i < jobs.Length; i++)
                    {
                        int k = i;
                        jobs[i] = LwtPreemptive.Detach(() =>
                        {
                            workers.TryAdd(Environment.CurrentManagedThreadId, true);
                            int now = Interlocked.Increment(ref running);
                            int seen;
                            while ((seen = Volatile.Read(ref maxRunning)) < now && Interlocked.CompareExchange(ref maxRunning, now, seen) != seen) { }
                            Thread.SpinWait(200);
                            Interlocked.Decrement(ref running);
                            return k;
                        }).Map(v =>
                        {
                            if (Environment.CurrentManagedThreadId != loopThread) wrongThread++;
                            return v;
                        });
                    }
                    Assert.True(LwtPreemptive.QueuedJobs >= 0);
                    return Promise.All(jobs).Map(values => values.Sum(v => (long)v));
                });
                Assert.Equal(999L * 1000 / 2, sum);
                Assert.Equal(0, wrongThread);
                Assert.True(maxRunning <= Max, $"{maxRunning} jobs ran at once");
                Assert.True(workers.Count <= Max, $"{workers.Count} worker threads ran jobs");
                Assert.DoesNotContain(loopThread, workers.Keys);
            }, timeoutMs: 60_000);
        }
        finally
        {
            LwtPreemptive.SetBounds(oldMin, oldMax);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.SetBounds(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.SetBounds(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.SetBounds(0, 0));
    }

    [Fact]
    public void Detach_rejects_with_the_job_exception()
    {
        LoopTest.OnFreshThread(() =>
        {
            var boom = new IOException("job");
            Assert.Same(boom, Assert.Throws<IOException>(() => LwtMain.Run(LwtPreemptive.Detach(() => ThrowingMethod(boom)))));
        });
    }

    [Fact]
    public void RunInMain_from_a_detached_job_runs_on_the_loop_and_returns_the_value()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            var boom = new InvalidDataException("in main");
            var (fromMain, fromWorker, rethrown) = LwtMain.Run(() => LwtPreemptive.Detach(() =>
            {
                int onMain = LwtPreemptive.RunInMain(() => LwtUnix.Sleep(0.002).Map(() => Environment.CurrentManagedThreadId));
                var e = Record.Exception(() => LwtPreemptive.RunInMain<int>(() => Promise.Fail<int>(boom)));
                return (onMain, Environment.CurrentManagedThreadId, e);
            }));
            Assert.Equal(loopThread, fromMain);
            Assert.NotEqual(loopThread, fromWorker);
            Assert.Same(boom, rethrown);
        });
    }

    [Fact]
    public void RunInMainDontWait_from_a_detached_job_runs_on_the_loop()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int ranOn = LwtMain.Run(() =>
            {
                var (p, r) = Promise.Create<int>();
                _ = LwtPreemptive.Detach(() => LwtPreemptive.RunInMainDontWait(() =>
                {
                    r.Resolve(Environment.CurrentManagedThreadId);
                    return Promise.ReturnUnit;
                }));
                return p;
            });
            Assert.Equal(loopThread, ranOn);
        });
    }

    [Fact]
    public void RunInMain_refuses_the_loop_thread_and_threads_outside_detached_jobs()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                Assert.Throws<InvalidOperationException>(() => LwtPreemptive.RunInMain(() => Promise.Return(1)));
                return Promise.ReturnUnit;
            });
        });
        Assert.Throws<InvalidOperationException>(() => LwtPreemptive.RunInMain(() => Promise.Return(1)));
        Assert.Throws<InvalidOperationException>(() => LwtPreemptive.RunInMainDontWait(() => Promise.ReturnUnit));
    }

    [Fact]
    public void A_promise_left_over_from_a_finished_run_is_not_claimed_by_another_threads_loop()
    {
        // Thread A runs a loop that leaves a pending promise behind, then, after its run,
        // uses it synchronously while thread B runs a loop of its own. B's loop must not take
        // A's loop id (the owner stamped on the promise): before the fix, B reused it and A's
        // Map threw "belongs to an event loop running on another thread".
        using var bStarted = new ManualResetEventSlim();
        var (stopB, stopBr) = Promise.Create();
        EventLoop? loopB = null;
        Exception? errorA = null;
        bool fulfilledAtOnce = false;
        int callbackThread = 0, threadA = 0;
        var a = new Thread(() =>
        {
            try
            {
                threadA = Environment.CurrentManagedThreadId;
                Promise<int>? q = null;
                Resolver<int>? r = null;
                LwtMain.Run(() =>
                {
                    (q, r) = Promise.Create<int>();
                    return Promise.ReturnUnit;
                });
                var b = new Thread(() => LwtMain.Run(() =>
                {
                    loopB = EventLoop.Current;
                    bStarted.Set();
                    return stopB;
                })) { IsBackground = true };
                b.Start();
                bStarted.Wait();
                var mapped = q!.Map(x =>
                {
                    callbackThread = Environment.CurrentManagedThreadId;
                    return x + 1;
                });
                r!.Resolve(1);
                fulfilledAtOnce = mapped.IsFulfilled && mapped.Value == 2;
                loopB!.Post(() => stopBr.Resolve());
                b.Join();
            }
            catch (Exception e)
            {
                errorA = e;
            }
            finally
            {
                LwtEngine.Current.Dispose();
            }
        });
        a.Start();
        Assert.True(a.Join(20_000));
        Assert.Null(errorA);
        Assert.True(fulfilledAtOnce);
        Assert.Equal(threadA, callbackThread);
    }
}
