namespace Lwt.Tests.Loop;

/// <summary>EventLoop.Post from other threads: the inbox and its wake-ups (in the non-parallel
/// collection: the stress test queues 800,000 closures, which would disturb memory checks beside it).</summary>
[Collection(LoopGlobalState.Name)]
public class CrossThreadTests
{
    [Fact]
    public void Eight_threads_posting_100000_actions_each_lose_none_and_all_run_on_the_loop()
    {
        const int Threads = 8, PerThread = 100_000;
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int count = 0, wrongThread = 0, outOfOrder = 0;
            var last = new int[Threads];
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                var (done, r) = Promise.Create();
                for (int t = 0; t < Threads; t++)
                {
                    int producer = t;
                    new Thread(() =>
                    {
                        for (int i = 1; i <= PerThread; i++)
                        {
                            int seq = i;
                            loop.Post(() =>
                            {
                                if (Environment.CurrentManagedThreadId != loopThread) wrongThread++;
                                if (last[producer] != seq - 1) outOfOrder++;
                                last[producer] = seq;
                                if (++count == Threads * PerThread) r.Resolve();
                            });
                        }
                    }) { IsBackground = true }.Start();
                }
                return done;
            });
            Assert.Equal(Threads * PerThread, count);
            Assert.Equal(0, wrongThread);
            Assert.Equal(0, outOfOrder); // each producer's actions run in the order it posted them
        }, timeoutMs: 60_000);
    }

    [Fact]
    public void No_wakeup_is_lost_when_posts_arrive_while_the_loop_goes_to_sleep()
    {
        // Each post arrives when the loop has just run out of work and is about to block:
        // a lost wake-up hangs the loop (and fails the test on its time limit).
        LoopTest.OnFreshThread(() =>
        {
            const int Rounds = 3000;
            int count = 0;
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                var (done, r) = Promise.Create();
                using var sem = new SemaphoreSlim(0);
                var poster = new Thread(() =>
                {
                    var random = new Random(1);
                    for (int i = 0; i < Rounds; i++)
                    {
                        int spins = random.Next(0, 2000);
                        for (int s = 0; s < spins; s++) Thread.SpinWait(1);
                        loop.Post(() =>
                        {
                            if (++count == Rounds) r.Resolve();
                        });
                    }
                }) { IsBackground = true };
                poster.Start();
                return done;
            });
            Assert.Equal(Rounds, count);
        });
    }

    [Fact]
    public void A_post_wakes_a_loop_blocked_with_no_timers_and_no_fds()
    {
        LoopTest.OnFreshThread(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                LwtMain.Run(() =>
                {
                    var loop = EventLoop.Current!;
                    var (done, r) = Promise.Create();
                    new Thread(() =>
                    {
                        Thread.Sleep(2);
                        loop.Post(() => r.Resolve());
                    }) { IsBackground = true }.Start();
                    return done;
                });
            }
        });
    }

    [Fact]
    public void Actions_posted_while_the_loop_is_stopped_run_at_the_next_run()
    {
        LoopTest.OnFreshThread(() =>
        {
            EventLoop? loop = null;
            LwtMain.Run(() =>
            {
                loop = EventLoop.Current;
                return Promise.ReturnUnit;
            });
            var (p, r) = Promise.Create<int>();
            var t = new Thread(() => loop!.Post(() => r.Resolve(Environment.CurrentManagedThreadId)));
            t.Start();
            t.Join();
            Assert.Equal(Environment.CurrentManagedThreadId, LwtMain.Run(p));
        });
    }

    [Fact]
    public void A_resolver_used_from_another_thread_marshals_to_the_loop()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int callbackThread = 0;
            int v = LwtMain.Run(() =>
            {
                var (p, r) = Promise.Create<int>();
                var mapped = p.Map(x =>
                {
                    callbackThread = Environment.CurrentManagedThreadId;
                    return x + 1;
                });
                new Thread(() => r.Resolve(41)) { IsBackground = true }.Start();
                return mapped;
            });
            Assert.Equal(42, v);
            Assert.Equal(loopThread, callbackThread);
        });
    }

    // A loop is its thread's: once the thread has ended no LwtMain.Run can run it again, so a
    // post there was queued and lost without a word (a host's loop after the host was
    // disposed: diff25 user trial). Stopped but alive, the loop may still run: the post waits.
    [Fact]
    public void Post_to_a_loop_whose_thread_has_ended_is_refused_and_to_a_stopped_one_waits()
    {
        var loop = LoopTest.OnFreshThread(() =>
        {
            EventLoop? current = null;
            LwtMain.Run(() =>
            {
                current = EventLoop.Current;
                return Promise.Pause();
            });
            return current!;
        });
        Assert.NotNull(loop);
        var e = Assert.Throws<InvalidOperationException>(() => loop.Post(() => { }));
        Assert.Contains("thread", e.Message);
        Assert.Contains("has ended", e.Message);

        LoopTest.OnFreshThread(() =>
        {
            bool ran = false;
            EventLoop? stopped = null;
            LwtMain.Run(() =>
            {
                stopped = EventLoop.Current;
                return Promise.Pause();
            });
            Assert.NotNull(stopped);
            var poster = new Thread(() => stopped.Post(() => ran = true));
            poster.Start();
            poster.Join();
            Assert.False(ran);
            LwtMain.Run(Promise.Pause()); // the next run takes it
            Assert.True(ran);
        });
    }
}
