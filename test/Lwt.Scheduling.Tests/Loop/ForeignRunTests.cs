namespace Lwt.Tests.Loop;

/// <summary>
/// Waiting, from another thread, for a promise whose loop stops before it runs the callback
/// attach posted to it (ClaimablePost). In the global-state collection: the tests watch the
/// async exception hook.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class ForeignRunTests
{
    /// <summary>
    /// Loop A owns p. <paramref name="wait"/> starts waiting for p on another thread while A
    /// is blocked in a timer callback (after its iteration drained the inbox), so the attach
    /// it posts stays in A's inbox; A then stops. p, now anyone's, is resolved directly, and
    /// A runs once more, which drains its inbox. Returns what <paramref name="wait"/> gave,
    /// and asserts that A stopped with the post queued, that it never ran the post twice
    /// (that would resolve the waiter twice: an InvalidOperationException in the hook).
    /// </summary>
    private static int WaitForAPromiseWhoseLoopStops(Func<Promise<int>, Task<int>> wait)
    {
        Promise<int>? p = null;
        Resolver<int>? r = null;
        EventLoop? a = null;
        var blocked = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var runAgain = new ManualResetEventSlim();
        var hooked = new List<Exception>();
        int v = 0;
        LoopTest.WithExceptionHook(e => { lock (hooked) hooked.Add(e); }, () =>
        {
            var aThread = Task.Run(() => LoopTest.OnFreshThread(() =>
            {
                LwtMain.Run(() =>
                {
                    (p, r) = Promise.Create<int>();
                    a = EventLoop.Current;
                    return LwtUnix.Sleep(0).Bind(() =>
                    {
                        blocked.Set();
                        release.Wait();
                        return Promise.ReturnUnit;
                    });
                });
                runAgain.Wait();
                LwtMain.Run(() => Promise.Pause()); // drains the inbox: the stale post comes out
            }));
            blocked.Wait();
            var waiting = wait(p!);
            Assert.True(SpinWait.SpinUntil(() => a!.InboxCount != 0, 10_000), "the attach was not posted to the owner");
            release.Set();
            Assert.True(SpinWait.SpinUntil(() => !a!.IsRunning, 10_000));
            Assert.NotEqual(0, a!.InboxCount); // the owner never ran the post
            Assert.False(waiting.IsCompleted);
            r!.Resolve(5); // the owner is stopped: resolved here, directly
            Assert.True(waiting.Wait(10_000), "the waiter never heard of the resolution");
            v = waiting.Result;
            runAgain.Set();
            Assert.True(aThread.Wait(10_000));
            Assert.Equal(0, a.InboxCount);
        });
        Assert.Empty(hooked);
        return v;
    }

    [Fact]
    public void Run_on_another_thread_returns()
    {
        var v = WaitForAPromiseWhoseLoopStops(p =>
        {
            var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            new Thread(() =>
            {
                try
                {
                    done.SetResult(LwtMain.Run(p));
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                finally
                {
                    LwtEngine.Current.Dispose();
                }
            }).Start();
            return done.Task;
        });
        Assert.Equal(5, v);
    }

    [Fact]
    // The interleaving that loses the attach, forced: Run's callback is attached on its own
    // thread to a promise of no loop, and the resolving thread had read the callbacks before
    // (so it never runs it). The loop must still see the promise resolved and return.
    public void Run_of_a_promise_of_no_loop_returns_even_when_its_attach_is_lost()
    {
        for (int round = 0; round < 3; round++)
        {
            var (promise, _) = Promise.Create<int>(); // off any loop: owner none
            var resolving = new Thread(() =>
            {
                while (Volatile.Read(ref promise._callbacks) is null) Thread.SpinWait(10);
                Thread.Sleep(round * 5); // resolved while the loop polls (0) or blocks (5, 10 ms)
                promise._callbacks = null; // the resolver took the callbacks before the attach was visible
                promise.FulfillCore(41 + round, allowDeferring: true);
            }) { IsBackground = true };
            resolving.Start();
            Assert.Equal(41 + round, LoopTest.OnFreshThread(() => LwtMain.Run(promise), timeoutMs: 10_000));
            resolving.Join();
        }
    }

    [Fact]
    // LwtMain.Run of a promise of no loop (here: ToPromise of a pending Task called off any
    // loop, and a plain Create made between runs) that another thread resolves while Run
    // attaches its callback: the core takes no fence, so the attach could be lost and the
    // loop blocked forever. Bounded: each round waits at most the test's timeout.
    public void Run_of_a_promise_of_no_loop_resolved_concurrently_on_another_thread_returns()
    {
        const int Rounds = 3000;
        // One resolving thread, released by a flag just before each LwtMain.Run, then spinning
        // a little: its resolution lands around Run's attach.
        Action? job = null;
        int go = 0, quit = 0;
        var resolving = new Thread(() =>
        {
            var random = new Random(11);
            while (Volatile.Read(ref quit) == 0)
            {
                if (Interlocked.Exchange(ref go, 0) == 0) { Thread.SpinWait(1); continue; }
                Thread.SpinWait(random.Next(1000));
                job!();
            }
        }) { IsBackground = true };
        resolving.Start();
        try
        {
            LoopTest.OnFreshThread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    int v = i;
                    Promise<int> promise;
                    if ((i & 1) == 0)
                    {
                        var tcs = new TaskCompletionSource<int>();
                        promise = Lwt.Interop.PromiseInterop.ToPromise(tcs.Task); // off any loop: owner none
                        job = () => tcs.SetResult(v);
                    }
                    else
                    {
                        (promise, var resolver) = Promise.Create<int>(); // between runs: owner none
                        job = () => resolver.Resolve(v);
                    }
                    Volatile.Write(ref go, 1);
                    Assert.Equal(i, LwtMain.Run(promise));
                    while (Volatile.Read(ref go) != 0) Thread.SpinWait(1); // the job was taken (and has run: Run returned)
                }
            }, timeoutMs: 30_000);
        }
        finally
        {
            Volatile.Write(ref quit, 1);
        }
    }

    [Fact]
    public void An_await_on_the_thread_pool_resumes()
    {
        var v = WaitForAPromiseWhoseLoopStops(p => Task.Run(async () => await p));
        Assert.Equal(5, v);
    }

    [Fact]
    public void AsTask_completes()
    {
        var v = WaitForAPromiseWhoseLoopStops(p => Lwt.Interop.PromiseInterop.AsTask(p));
        Assert.Equal(5, v);
    }

    [Fact]
    // Many threads attach to promises of a loop while it stops, round after round on the same
    // loop thread: some attaches are run by the loop, some by its Exit, some (after the stop)
    // by their own thread, and the inbox copies of those Exit ran come out at the next run.
    // Each continuation must run exactly once, and nothing may reach the exception hook.
    public void Attaches_from_many_threads_around_repeated_stops_each_resume_exactly_once()
    {
        const int Rounds = 40, Threads = 4, PerThread = 100, PerRound = Threads * PerThread;
        var counts = new int[Rounds * PerRound];
        var hooked = new List<Exception>();
        LoopTest.WithExceptionHook(e => { lock (hooked) hooked.Add(e); }, () =>
        {
            Promise<int>[] promises = [];
            Resolver<int>[] resolvers = [];
            var created = new SemaphoreSlim(0);
            var stopped = new SemaphoreSlim(0);
            var nextRound = new SemaphoreSlim(0);
            var stop = 0;
            var loop = Task.Run(() => LoopTest.OnFreshThread(() =>
            {
                for (int round = 0; round < Rounds; round++)
                {
                    Volatile.Write(ref stop, 0);
                    LwtMain.Run(() =>
                    {
                        promises = new Promise<int>[PerRound];
                        resolvers = new Resolver<int>[PerRound];
                        for (int i = 0; i < PerRound; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
                        created.Release();
                        return RunUntilStopped();
                    });
                    stopped.Release();
                    nextRound.Wait();
                }
            }, timeoutMs: 60_000));

            async Promise RunUntilStopped()
            {
                while (Volatile.Read(ref stop) == 0) await Promise.Pause();
            }

            for (int round = 0; round < Rounds; round++)
            {
                Assert.True(created.Wait(10_000));
                var ps = promises;
                int registered = 0, baseIndex = round * PerRound;
                var attachers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
                {
                    for (int k = 0; k < PerThread; k++)
                    {
                        int i = t * PerThread + k;
                        ps[i].GetAwaiter().OnCompleted(() => Interlocked.Increment(ref counts[baseIndex + i]));
                        Interlocked.Increment(ref registered);
                    }
                })).ToArray();
                // Stop the loop part-way through, at a point that moves from round to round.
                int stopAt = PerRound * (round % 5) / 5;
                SpinWait.SpinUntil(() => Volatile.Read(ref registered) >= stopAt);
                Volatile.Write(ref stop, 1);
                Assert.True(stopped.Wait(10_000));
                Assert.True(Task.WaitAll(attachers, 10_000));
                for (int i = 0; i < PerRound; i++) resolvers[i].Resolve(i); // the loop is stopped: directly
                Assert.True(SpinWait.SpinUntil(() => Enumerable.Range(baseIndex, PerRound).All(i => Volatile.Read(ref counts[i]) >= 1), 10_000),
                    $"round {round}: a continuation never ran");
                nextRound.Release();
            }
            Assert.True(loop.Wait(20_000));
            Thread.Sleep(100); // let any continuation run a second time, if one were queued twice
        });
        Assert.Empty(hooked);
        Assert.All(counts, c => Assert.Equal(1, c));
    }
}
