using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtPreemptive's settings and counters (init, simple_init, get_bounds, the queue size,
/// nbthreads*): the pool is process-wide, so these run in the loop's global-state collection
/// and put back every setting they change.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class PreemptiveSettingsTests
{
    private static void Restoring(Action body)
    {
        var (min, max) = LwtPreemptive.GetBounds();
        int queued = LwtPreemptive.GetMaxNumberOfThreadsQueued();
        try
        {
            body();
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
            LwtPreemptive.SetMaxNumberOfThreadsQueued(queued);
        }
    }

    [Fact]
    public void GetBounds_reports_what_Init_and_SetBounds_set_and_SimpleInit_keeps_them()
    {
        Restoring(() =>
        {
            Assert.Equal((LwtPreemptive.MinThreads, LwtPreemptive.MaxThreads), LwtPreemptive.GetBounds());
            LwtPreemptive.Init(1, 5, _ => { });
            Assert.Equal((1, 5), LwtPreemptive.GetBounds());
            Assert.True(LwtPreemptive.NbThreads >= 1); // init launches the minimum number of threads
            LwtPreemptive.SimpleInit(); // already initialised: the bounds stay
            Assert.Equal((1, 5), LwtPreemptive.GetBounds());
            LwtPreemptive.SetBounds(0, 2);
            LwtPreemptive.SimpleInit();
            var (min, max) = LwtPreemptive.GetBounds();
            Assert.Equal((0, 2), (min, max));
            Assert.Equal((0, 2), (LwtPreemptive.MinThreads, LwtPreemptive.MaxThreads));
        });
    }

    [Fact]
    public void Init_checks_its_arguments_and_changes_nothing_when_they_are_bad()
    {
        Restoring(() =>
        {
            var before = LwtPreemptive.GetBounds();
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.Init(-1, 4, _ => { }));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.Init(3, 2, _ => { }));
            Assert.Throws<ArgumentNullException>(() => LwtPreemptive.Init(0, 4, null!));
            Assert.Equal(before, LwtPreemptive.GetBounds());
        });
    }

    [Fact]
    public void The_queue_size_is_1000_until_set_and_refuses_a_negative_size()
    {
        Restoring(() =>
        {
            Assert.Equal(1000, LwtPreemptive.GetMaxNumberOfThreadsQueued());
            LwtPreemptive.SetMaxNumberOfThreadsQueued(0);
            Assert.Equal(0, LwtPreemptive.GetMaxNumberOfThreadsQueued());
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => LwtPreemptive.SetMaxNumberOfThreadsQueued(-1));
            Assert.Equal("n", e.ParamName);
            Assert.Equal(0, LwtPreemptive.GetMaxNumberOfThreadsQueued());
        });
    }

    [Fact]
    public void A_full_queue_makes_Detach_sleep_in_order_and_the_counters_show_it()
    {
        Restoring(() =>
        {
            LwtPreemptive.SetBounds(0, 1);
            LwtPreemptive.SetMaxNumberOfThreadsQueued(2);
            using var started = new ManualResetEventSlim();
            using var gate = new ManualResetEventSlim();
            var order = new List<int>();
            LoopTest.OnFreshThread(() =>
            {
                var all = LwtMain.Run(() =>
                {
                    var first = LwtPreemptive.Detach(() =>
                    {
                        started.Set();
                        Assert.True(gate.Wait(10_000), "the test never opened the gate");
                        lock (order) order.Add(0);
                        return 0;
                    });
                    Assert.True(started.Wait(10_000), "the first job never started");
                    var rest = Enumerable.Range(1, 4).Select(i => LwtPreemptive.Detach(() =>
                    {
                        lock (order) order.Add(i);
                        return i;
                    })).ToArray();
                    // One worker (the maximum) runs the first job; of the four others, two fill
                    // the queue and two sleep for room; none has run or been refused.
                    Assert.Equal(1, LwtPreemptive.NbThreadsBusy);
                    Assert.True(LwtPreemptive.NbThreads >= 1);
                    Assert.Equal(2, LwtPreemptive.NbThreadsQueued);
                    Assert.Equal(4, LwtPreemptive.QueuedJobs);
                    Assert.All(rest, p => Assert.True(p.IsPending));
                    LwtPreemptive.SetMaxNumberOfThreadsQueued(0); // a smaller queue drops nothing
                    Assert.Equal(0, LwtPreemptive.NbThreadsQueued);
                    Assert.Equal(4, LwtPreemptive.QueuedJobs);
                    gate.Set();
                    return Promise.All(rest.Prepend(first).ToArray());
                });
                Assert.Equal([0, 1, 2, 3, 4], all);
            });
            Assert.Equal([0, 1, 2, 3, 4], order);
            Assert.Equal(0, LwtPreemptive.QueuedJobs);
            Assert.Equal(0, LwtPreemptive.NbThreadsQueued);
        });
    }

    [Fact]
    public void No_worker_counts_busy_once_the_loop_has_seen_every_detached_promise_resolved()
    {
        // Lwt's worker is back in its pool before the detached promise's callbacks run, so
        // nbthreadsbusy is back to what it was; here the worker thread went idle only after
        // posting the result, and the loop often counted it busy still (differential mainsys
        // seed 2 progs 29 and 59: "busy 1" after the joins, Lwt "busy 0").
        AssertNoWorkerBusyAfterEachRound(200, round => Promise.Join(LwtPreemptive.Detach(() => round), LwtPreemptive.Detach(() => round + 1)));
    }

    [Fact]
    public void No_worker_counts_busy_once_the_loop_has_seen_every_blocking_call_resolved()
    {
        // The same for LwtUnix's blocking calls, which run on this pool (LwtUnix.Jobs.cs): a
        // job's worker gave its busy count back only after posting the result, so a program
        // that had seen its getaddrinfo resolved could read "busy 1" (differential mainsys seed
        // 2310 prog 2; Lwt counts no Lwt_unix job there, busy 0). Rare (about 1 in 1000 rounds
        // of one stat), hence the rounds.
        AssertNoWorkerBusyAfterEachRound(10000, _ => Promise.Join(LwtUnix.Stat("/"), LwtUnix.Stat("/")));
    }

    // Runs the rounds on a fresh loop, each awaited in turn, and asserts that after each one the
    // loop counts no more busy workers than before the test (jobs of earlier tests may still run).
    private static void AssertNoWorkerBusyAfterEachRound(int rounds, Func<int, Promise> round) =>
        Restoring(() =>
        {
            LwtPreemptive.SetBounds(0, 4);
            int before = LwtPreemptive.NbThreadsBusy;
            var seen = new List<int>();
            LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    await round(i);
                    seen.Add(LwtPreemptive.NbThreadsBusy);
                }
            }));
            Assert.All(seen, busy => Assert.True(busy <= before, $"busy {busy} after the joins (before: {before})"));
        });
}
