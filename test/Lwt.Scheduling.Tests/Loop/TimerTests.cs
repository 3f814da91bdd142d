using System.Diagnostics;

namespace Lwt.Tests.Loop;

/// <summary>LwtUnix.Sleep / Timeout / WithTimeout on the loop's timer wheel.</summary>
public class TimerTests
{
    [Fact]
    public void Sleeps_never_end_early()
    {
        double[] delays = [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.008, 0.01, 0.013, 0.02, 0.031, 0.05, 0.1];
        var elapsed = LoopTest.OnFreshThread(() =>
        {
            var elapsed = new List<(double, TimeSpan)>();
            // concurrently
            LwtMain.Run(() => Promise.Join(delays.Select(d =>
            {
                var sw = Stopwatch.StartNew();
                return (Promise)LwtUnix.Sleep(d).Map(() => { elapsed.Add((d, sw.Elapsed)); return 0; });
            })));
            // one after the other, with random small delays, TimeSpan overload included
            var random = new Random(7);
            LwtMain.Run(async () =>
            {
                for (int i = 0; i < 40; i++)
                {
                    double d = random.NextDouble() * 0.004;
                    var sw = Stopwatch.StartNew();
                    if (i % 2 == 0) await LwtUnix.Sleep(d);
                    else await LwtUnix.Sleep(TimeSpan.FromSeconds(d));
                    elapsed.Add((d, sw.Elapsed));
                }
            });
            return elapsed;
        });
        Assert.Equal(delays.Length + 40, elapsed.Count);
        Assert.All(elapsed, x => Assert.True(x.Item2.TotalSeconds >= x.Item1, $"a sleep of {x.Item1} s ended after {x.Item2.TotalSeconds} s"));
    }

    [Fact]
    public void Sleeps_end_in_deadline_order()
    {
        // Deadlines are fixed at creation (now + delay), and the wheel fires them slot by slot
        // (1 ms slots) in deadline order. A loaded machine may pause the test between two
        // creations, so the order is checked for every pair whose deadlines are surely more
        // than a slot apart, from the clock read before and after each creation.
        int[] ms = [30, 5, 20, 1, 10, 2, 40, 3];
        var (fired, lower, upper) = LoopTest.OnFreshThread(() =>
        {
            var fired = new List<int>();
            var lower = new long[ms.Length];
            var upper = new long[ms.Length];
            LwtMain.Run(() => Promise.Join(ms.Select((m, i) =>
            {
                long ticks = (long)(m / 1000.0 * Stopwatch.Frequency);
                lower[i] = Stopwatch.GetTimestamp() + ticks;
                var p = LwtUnix.Sleep(m / 1000.0).Map(() => { fired.Add(i); return 0; });
                upper[i] = Stopwatch.GetTimestamp() + ticks + 1;
                return (Promise)p;
            }).ToArray()));
            return (fired, lower, upper);
        });
        Assert.Equal(ms.Length, fired.Count);
        long slot = Stopwatch.Frequency / 1000;
        int checkedPairs = 0;
        for (int x = 0; x < fired.Count; x++)
            for (int y = x + 1; y < fired.Count; y++)
            {
                int early = fired[x], late = fired[y];
                // `late` fired after `early`: it must not be surely due a slot before it.
                Assert.False(upper[late] + slot < lower[early], $"the {ms[late]} ms sleep fired after the {ms[early]} ms one");
                checkedPairs++;
            }
        Assert.True(checkedPairs > 0);
    }

    [Fact]
    public void Sleeps_due_together_end_in_deadline_order_even_within_one_slot()
    {
        // Lwt's engines fire due timers by deadline. Ten sleeps under a millisecond, set
        // longest first, so that their deadlines fall in at most two 1 ms slots in reverse
        // order of creation; the loop thread then blocks until all are due, so one expiry
        // sees them all. Every pair whose deadlines are surely ordered (from the clock read
        // before and after each creation) must fire in that order, inside a slot too.
        const int Count = 10;
        var (fired, lower, upper) = LoopTest.OnFreshThread(() =>
        {
            var fired = new List<int>();
            var lower = new long[Count];
            var upper = new long[Count];
            LwtMain.Run(() =>
            {
                var sleeps = new Promise[Count];
                for (int i = 0; i < Count; i++)
                {
                    double seconds = (Count - i) * 0.00009;
                    long ticks = (long)(seconds * Stopwatch.Frequency);
                    int id = i;
                    lower[i] = Stopwatch.GetTimestamp() + ticks;
                    sleeps[i] = LwtUnix.Sleep(seconds).Map(() => { fired.Add(id); return 0; });
                    upper[i] = Stopwatch.GetTimestamp() + ticks + 1;
                }
                Thread.Sleep(5); // every deadline passes before the loop first looks
                return Promise.Join(sleeps);
            });
            return (fired, lower, upper);
        });
        Assert.Equal(Count, fired.Count);
        int checkedPairs = 0;
        for (int x = 0; x < fired.Count; x++)
            for (int y = x + 1; y < fired.Count; y++)
            {
                int early = fired[x], late = fired[y];
                Assert.False(upper[late] < lower[early], $"sleep {late} (due first) fired after sleep {early}");
                checkedPairs++;
            }
        Assert.True(checkedPairs > 0);
    }

    [Fact]
    public void Sleep_zero_yields_like_pause()
    {
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            LwtMain.Run(() =>
            {
                var p1 = Promise.Pause().Map(() => { log.Add("pause1"); return 0; });
                var s0 = LwtUnix.Sleep(0);
                Assert.True(s0.IsPending);
                var sNeg = LwtUnix.Sleep(-1);
                Assert.True(sNeg.IsPending);
                var s0m = s0.Map(() => { log.Add("sleep0"); return 0; });
                var sNegm = sNeg.Map(() => { log.Add("sleep-1"); return 0; });
                var p2 = Promise.Pause().Map(() => { log.Add("pause2"); return 0; });
                EventLoop.Current!.Post(() => log.Add("posted"));
                Assert.Equal(0, EventLoop.Current.Timers.Count); // no timer for a zero sleep
                return Promise.Join(p1, s0m, sNegm, p2);
            });
            return log;
        });
        Assert.Equal(["posted", "pause1", "sleep0", "sleep-1", "pause2"], log);
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Sleep(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Timeout(double.NaN));
    }

    [Fact]
    public void Canceling_a_sleep_removes_its_timer_at_once()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                var p = LwtUnix.Sleep(3600);
                var t = LwtUnix.Timeout(3600);
                Assert.Equal(2, loop.Timers.Count);
                p.Cancel();
                Assert.Equal(1, loop.Timers.Count);
                Assert.True(p.IsCanceled);
                t.Cancel();
                Assert.Equal(0, loop.Timers.Count);
                Assert.True(t.IsCanceled);

                // canceled through what waits on it
                var chain = LwtUnix.Sleep(3600).Bind(() => Promise.ReturnUnit);
                Assert.Equal(1, loop.Timers.Count);
                chain.Cancel();
                Assert.Equal(0, loop.Timers.Count);
                return Promise.ReturnUnit;
            });
        });
    }

    [Fact]
    public void Timeout_rejects_with_TimeoutException_not_before_its_delay()
    {
        LoopTest.OnFreshThread(() =>
        {
            var sw = Stopwatch.StartNew();
            Assert.Throws<TimeoutException>(() => LwtMain.Run(LwtUnix.Timeout(0.02)));
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.02));
        });
    }

    // Lwt_unix.timeout is of any type ('a Lwt.t): Timeout<T> races a promise of T as it is.
    [Fact]
    public void Typed_Timeout_races_a_promise_of_its_type_and_loses_or_wins_as_Timeout()
    {
        LoopTest.OnFreshThread(() =>
        {
            var sw = Stopwatch.StartNew();
            var (never, _) = Promise.CreateCancelable<string>();
            Promise<string> race = null!;
            Assert.Throws<TimeoutException>(() => LwtMain.Run(() => race = Promise.Pick(never, LwtUnix.Timeout<string>(0.02))));
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.02));
            Assert.True(never.IsCanceled); // Pick canceled the loser
            Assert.IsType<TimeoutException>(race.Exception);

            string v = LwtMain.Run(() => Promise.Pick(LwtUnix.Sleep(0.001).Map(() => "line"), LwtUnix.Timeout<string>(3600)));
            Assert.Equal("line", v);
            Assert.Equal(0, EventLoop.Current!.Timers.Count); // the timeout was canceled
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Timeout<int>(double.NaN));
        });
    }

    [Fact]
    public void WithTimeout_returns_the_value_when_the_work_is_faster()
    {
        LoopTest.OnFreshThread(() =>
        {
            int v = LwtMain.Run(() => LwtUnix.WithTimeout(5, () => LwtUnix.Sleep(0.001).Map(() => 42)));
            Assert.Equal(42, v);
            Assert.Equal(0, EventLoop.Current!.Timers.Count); // the timeout was canceled
            Assert.Equal(43, LwtMain.Run(() => LwtUnix.WithTimeout(5, () => Promise.Return(43))));
        });
    }

    [Fact]
    public void WithTimeout_rejects_and_cancels_the_work_when_the_time_runs_out()
    {
        LoopTest.OnFreshThread(() =>
        {
            Promise<int>? work = null;
            var sw = Stopwatch.StartNew();
            Assert.Throws<TimeoutException>(() => LwtMain.Run(() => LwtUnix.WithTimeout(0.02, () => work = LwtUnix.Sleep(3600).Map(() => 1))));
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.02));
            Assert.True(work!.IsCanceled);
            Assert.Equal(0, EventLoop.Current!.Timers.Count);

            var boom = new InvalidOperationException("f threw");
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => LwtMain.Run(() => LwtUnix.WithTimeout<int>(5, () => throw boom))));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.WithTimeout<int>(1, null!));
        });
    }
}

/// <summary>The memory-flatness check needs the process to itself (GC.GetTotalMemory is process-wide).</summary>
[Collection(LoopGlobalState.Name)]
public class TimerMemoryTests
{
    [Fact]
    public void A_million_canceled_sleeps_leave_nothing_behind()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                for (int i = 0; i < 10_000; i++) LwtUnix.Sleep(3600).Cancel(); // warm up
                long before = GC.GetTotalMemory(forceFullCollection: true);
                int notZero = 0;
                for (int i = 0; i < 1_000_000; i++)
                {
                    var p = LwtUnix.Sleep(3600);
                    p.Cancel();
                    if (loop.Timers.Count != 0) notZero++;
                }
                long after = GC.GetTotalMemory(forceFullCollection: true);
                Assert.Equal(0, notZero);
                Assert.Equal(0, loop.Timers.Count);
                Assert.True(after - before < 4_000_000, $"memory grew by {after - before} bytes over 1,000,000 canceled sleeps");

                // held, then canceled all at once
                var held = new Promise[100_000];
                for (int i = 0; i < held.Length; i++) held[i] = LwtUnix.Sleep(1 + i % 3600);
                Assert.Equal(held.Length, loop.Timers.Count);
                foreach (var p in held) p.Cancel();
                Assert.Equal(0, loop.Timers.Count);
                return Promise.ReturnUnit;
            });
        });
    }
}
