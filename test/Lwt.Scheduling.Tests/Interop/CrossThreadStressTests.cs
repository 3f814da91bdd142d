using System.Collections.Concurrent;
using Lwt.Interop;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Bounded versions of the cross-thread stress programs (each a second or two): many threads
/// against one loop through the thread-safe entry points, checking exactly-once, the thread
/// of every callback and continuation, and that values and exceptions arrive as the same
/// objects. They may miss a race on a given run; they never fail on a correct implementation.
/// In the non-parallel collection: they load every core, which would disturb timing-sensitive
/// tests beside them.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class CrossThreadStressTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    [Fact]
    // Posts through the four entry points (EventLoop.Post, the context's Post and Send, the
    // TaskScheduler) from three threads while the loop stops and starts again, run after run:
    // each runs once, on the loop thread, inside a run, with the loop's context current; those
    // posted between runs run at the next run.
    public void Posts_from_three_threads_across_repeated_stops_each_run_once_on_the_loop_inside_a_run()
    {
        const int Producers = 3, PerProducer = 15_000, Total = Producers * PerProducer;
        var ran = new int[Total];
        var wrong = new ConcurrentQueue<string>();
        EventLoop? loop = null;
        int loopThread = 0, stop = 0;
        var ready = new ManualResetEventSlim();
        var loopRuns = Task.Run(() => LoopTest.OnFreshThread(() =>
        {
            var random = new Random(1);
            while (Volatile.Read(ref stop) == 0)
            {
                LwtMain.Run(async () =>
                {
                    loop = EventLoop.Current;
                    loopThread = Environment.CurrentManagedThreadId;
                    ready.Set();
                    for (int i = random.Next(4); i > 0; i--) await Promise.Pause();
                });
            }
            // Whatever was posted after the last run: the next runs run it.
            for (int i = 0; i < 3; i++) LwtMain.Run(async () => { for (int k = 0; k < 5; k++) await Promise.Pause(); });
        }, timeoutMs: 60_000));
        Assert.True(ready.Wait(Hang));

        void Record(int id)
        {
            Interlocked.Increment(ref ran[id]);
            if (Environment.CurrentManagedThreadId != loopThread) wrong.Enqueue($"{id} on thread {Environment.CurrentManagedThreadId}");
            else if (EventLoop.Current is not { IsRunning: true }) wrong.Enqueue($"{id} outside a run");
            else if (SynchronizationContext.Current is not LwtSynchronizationContext) wrong.Enqueue($"{id} without the loop's context");
        }

        var producers = Enumerable.Range(0, Producers).Select(t => Task.Factory.StartNew(() =>
        {
            var random = new Random(100 + t);
            var context = loop!.SynchronizationContext;
            var factory = new TaskFactory(loop.TaskScheduler);
            for (int i = 0; i < PerProducer; i++)
            {
                int id = t * PerProducer + i;
                switch (random.Next(4))
                {
                    case 0: loop.Post(() => Record(id)); break;
                    case 1: context.Post(s => Record((int)s!), id); break;
                    case 2: factory.StartNew(() => Record(id)); break;
                    default:
                        if (random.Next(100) == 0) context.Send(s => Record((int)s!), id); // waits for a run to run it
                        else loop.Post(() => Record(id));
                        break;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(producers, Hang), "a producer hung");
        Volatile.Write(ref stop, 1);
        Assert.True(loopRuns.Wait(Hang), "the loop hung");
        loopRuns.GetAwaiter().GetResult();
        Assert.Empty(wrong);
        Assert.Equal(0, ran.Count(n => n != 1));
    }

    [Fact]
    // Each promise of the loop gets two competing resolutions (TryResolve or TryReject) from
    // two of four threads while the loop binds on it: the bound callback runs once, on the
    // loop thread, with the value, or with the very exception object.
    public void Resolvers_used_from_four_threads_marshal_each_callback_runs_once_on_the_loop()
    {
        const int Rounds = 25, N = 400;
        using var loop = new LoopThread();
        for (int round = 0; round < Rounds; round++)
        {
            var seen = new int[N];
            var outcomes = new object?[N];
            var threads = new int[N];
            var errors = Enumerable.Range(0, N).Select(i => new TestException("e" + i)).ToArray();
            int count = 0;
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Done(int k, object? outcome)
            {
                Interlocked.Increment(ref seen[k]);
                outcomes[k] = outcome;
                threads[k] = Environment.CurrentManagedThreadId;
                if (Interlocked.Increment(ref count) == N) all.SetResult();
            }
            var resolvers = loop.Run(() =>
            {
                var rs = new Resolver<int>[N];
                for (int i = 0; i < N; i++)
                {
                    int k = i;
                    var (p, r) = i % 3 == 0 ? Promise.CreateCancelable<int>() : Promise.Create<int>();
                    rs[i] = r;
                    p.Bind(v => Promise.Return(v + 1)).OnAny(v => Done(k, v), e => Done(k, e));
                }
                return rs;
            });
            var resolving = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
            {
                for (int i = 0; i < N; i++)
                {
                    if ((i + t) % 2 != 0) continue;
                    if (i % 2 == 0) resolvers[i].TryResolve(i);
                    else resolvers[i].TryReject(errors[i]);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Assert.True(Task.WaitAll(resolving, Hang));
            Assert.True(all.Task.Wait(Hang), $"round {round}: {count} of {N} callbacks ran");
            for (int i = 0; i < N; i++)
            {
                Assert.Equal(1, seen[i]);
                Assert.Equal(loop.ThreadId, threads[i]);
                if (i % 2 == 0) Assert.Equal(i + 1, outcomes[i]);
                else Assert.Same(errors[i], outcomes[i]);
            }
        }
        Assert.Empty(loop.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    // Code on the thread pool awaits promises of the loop (await, AsValueTask, AsTask,
    // ConfigureAwait(false)) while they are resolved, half on the loop and half from other
    // threads: every await resumes with its value, and none but ConfigureAwait(false) on the
    // loop thread.
    public void Awaits_from_the_pool_racing_the_resolution_resume_off_the_loop_with_the_value()
    {
        const int Rounds = 40, N = 200;
        using var loop = new LoopThread();
        var wrong = new ConcurrentQueue<string>();
        for (int round = 0; round < Rounds; round++)
        {
            var created = loop.Run(() => Enumerable.Range(0, N).Select(_ => Promise.Create<int>()).ToArray());
            var awaits = new Task[N];
            for (int i = 0; i < N; i++)
            {
                int k = i;
                var p = created[i].Item1;
                awaits[i] = Task.Run(async () =>
                {
                    int v = (k % 4) switch
                    {
                        0 => await p,
                        1 => await p.AsValueTask(),
                        2 => await p.AsTask(),
                        _ => await p.ConfigureAwait(false),
                    };
                    if (v != k) wrong.Enqueue($"{k}: got {v}");
                    if (k % 4 != 3 && Environment.CurrentManagedThreadId == loop.ThreadId) wrong.Enqueue($"{k} ({k % 4}) resumed on the loop thread");
                });
            }
            Parallel.For(0, N, i =>
            {
                if (i % 2 == 0) loop.Loop.Post(() => created[i].Item2.Resolve(i));
                else created[i].Item2.TryResolve(i);
            });
            Assert.True(Task.WaitAll(awaits, Hang), $"round {round}: an await hung");
        }
        Assert.Empty(wrong);
        Assert.Empty(loop.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    // An enumerator of AsAsyncEnumerable, driven from the pool, is disposed or canceled from
    // another thread while items are pushed on the loop: no item is lost or taken twice; what
    // the enumerator did not take stays in the stream, in order.
    public async Task AsAsyncEnumerable_disposed_or_canceled_from_another_thread_mid_stream_loses_no_item()
    {
        const int Rounds = 150, N = 100;
        using var loop = new LoopThread();
        var random = new Random(5);
        for (int round = 0; round < Rounds; round++)
        {
            var (stream, push) = loop.Run(() => LwtStream.Create<int>());
            var items = loop.Run(() => stream.AsAsyncEnumerable());
            using var cts = new CancellationTokenSource();
            var enumerator = items.GetAsyncEnumerator(cts.Token);
            var taken = new List<int>();
            var pusher = Task.Run(() =>
            {
                for (int i = 0; i < N; i++)
                {
                    int k = i;
                    loop.Loop.Post(() => push(Option<int>.Some(k)));
                }
            });
            var consumer = Task.Run(async () =>
            {
                try
                {
                    while (await enumerator.MoveNextAsync()) taken.Add(enumerator.Current);
                }
                catch (OperationCanceledException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            });
            Thread.SpinWait(random.Next(20_000));
            if ((round & 1) == 0) cts.Cancel();
            else await enumerator.DisposeAsync();
            Assert.True(pusher.Wait(Hang));
            Assert.True(consumer.Wait(Hang), $"round {round}: the consumer hung");
            var left = loop.Run(() => stream.GetAvailable().ToList());
            Assert.Equal(Enumerable.Range(0, N), taken.Concat(left));
        }
        Assert.Empty(loop.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    // A storm of detached jobs (some throwing, some calling back into the loop with RunInMain,
    // some of those rejecting) while another thread keeps changing the pool's bounds: every
    // promise ends with its job's value or the very exception object, on the loop.
    public void Detach_storm_with_RunInMain_and_changing_bounds_gives_every_outcome()
    {
        const int Rounds = 3, N = 400;
        var (min0, max0) = LwtPreemptive.GetBounds();
        int stop = 0;
        var bounds = new Thread(() =>
        {
            var random = new Random(3);
            while (Volatile.Read(ref stop) == 0)
            {
                int min = random.Next(0, 3);
                LwtPreemptive.SetBounds(min, min + random.Next(1, 6));
                Thread.Sleep(random.Next(3));
            }
        }) { IsBackground = true };
        bounds.Start();
        try
        {
            LoopTest.OnFreshThread(() =>
            {
                int loopThread = Environment.CurrentManagedThreadId;
                for (int round = 0; round < Rounds; round++)
                {
                    var errors = Enumerable.Range(0, N).Select(i => new TestException("d" + i)).ToArray();
                    int offLoop = 0;
                    var results = LwtMain.Run(() => Promise.All(Enumerable.Range(0, N).Select(k =>
                    {
                        var job = LwtPreemptive.Detach(() =>
                        {
                            switch (k % 4)
                            {
                                case 0:
                                    return k;
                                case 1:
                                    throw errors[k];
                                case 2:
                                    return LwtPreemptive.RunInMain(() =>
                                    {
                                        if (Environment.CurrentManagedThreadId != loopThread) Interlocked.Increment(ref offLoop);
                                        return Promise.Pause().Map(() => k);
                                    });
                                default:
                                    try
                                    {
                                        return LwtPreemptive.RunInMain<int>(() => throw errors[k]);
                                    }
                                    catch (TestException e) when (ReferenceEquals(e, errors[k]))
                                    {
                                        return -k;
                                    }
                            }
                        });
                        return Promise.Catch(() => job, e => Promise.Return(ReferenceEquals(e, errors[k]) ? int.MinValue : int.MaxValue));
                    })));
                    Assert.Equal(0, offLoop);
                    for (int i = 0; i < N; i++)
                        Assert.Equal((i % 4) switch { 0 => i, 1 => int.MinValue, 2 => i, _ => -i }, results[i]);
                }
            }, timeoutMs: 60_000);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            bounds.Join();
            LwtPreemptive.SetBounds(min0, max0);
        }
    }
}
