using System.Diagnostics;
using System.Runtime.InteropServices;
using Lwt.Tests.Engines;
using Xunit.Abstractions;

namespace Lwt.Tests.Loop;

/// <summary>
/// One iteration's order (ready -> paused -> timers -> I/O), the iteration hooks, I/O under a
/// busy loop, and an idle loop's CPU use. The iteration hooks are process-wide (every loop
/// runs them), so these tests share the non-parallel collection and filter by thread.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class IterationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void One_iteration_runs_ready_work_then_paused_promises_then_timers_then_io()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a pipe");
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            using var pipe = new NativePipe();
            var me = Thread.CurrentThread;
            int iteration = 0;
            var hook = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me) iteration++;
            });
            try
            {
                LwtMain.Run(() =>
                {
                    var (done, r) = Promise.Create();
                    // Registered in the reverse of the expected order.
                    pipe.WriteByte();
                    LwtEngine.Current.OnReadable(pipe.ReadFd, ev =>
                    {
                        log.Add($"io@{iteration}");
                        ev.Stop();
                        r.Resolve();
                    });
                    _ = LwtUnix.Sleep(0.001).Map(() => { log.Add($"timer@{iteration}"); return 0; });
                    _ = Promise.Pause().Map(() => { log.Add($"paused@{iteration}"); return 0; });
                    EventLoop.Current!.Post(() => log.Add($"ready@{iteration}"));
                    Thread.Sleep(20); // the sleep is due before the first iteration starts
                    return done;
                });
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(hook);
            }
            return log;
        });
        Assert.Equal(["ready@1", "paused@1", "timer@1", "io@1"], log);
    }

    [Fact]
    public void A_pause_taken_while_waking_paused_promises_waits_for_the_next_iteration()
    {
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            var me = Thread.CurrentThread;
            int iteration = 0;
            var hook = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me) iteration++;
            });
            try
            {
                LwtMain.Run(() => Promise.Pause()
                    .Bind(() =>
                    {
                        log.Add($"first@{iteration}");
                        EventLoop.Current!.Post(() => log.Add($"posted@{iteration}"));
                        return Promise.Pause();
                    })
                    .Map(() => { log.Add($"second@{iteration}"); return 0; }));
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(hook);
            }
            return log;
        });
        Assert.Equal(["first@1", "posted@2", "second@2"], log);
    }

    [Fact]
    public void Run_wakes_the_promises_paused_by_the_timer_that_resolved_its_promise_before_returning()
    {
        // Lwt_main.run's iteration ends with wakeup_paused: in Lwt,
        //   Lwt_main.run (sleep 0.01 >>= fun () -> ignore (pause () >|= fun () -> log "paused"); return ())
        // logs "paused" before run returns. A pause taken by those callbacks is left pending.
        var (log, pendingAfter) = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            Promise<int>? second = null;
            LwtMain.Run(() => LwtUnix.Sleep(0.01).Bind(() =>
            {
                _ = Promise.Pause().Map(() =>
                {
                    log.Add("paused");
                    second = Promise.Pause().Map(() => { log.Add("paused again"); return 0; });
                    return 0;
                });
                return Promise.ReturnUnit;
            }));
            log.Add("returned");
            bool pending = second is { IsPending: true };
            Promise.AbandonPaused();
            return (log, pending);
        });
        Assert.Equal(["paused", "returned"], log);
        Assert.True(pendingAfter);
    }

    [Fact]
    public void Run_returning_from_a_paused_callback_leaves_the_promises_paused_then()
    {
        // The run's promise resolved by a paused promise's callback: Lwt (the later Lwt_main.run,
        // which polls its promise first) returns without another wakeup_paused.
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            LwtMain.Run(() => Promise.Pause().Bind(() =>
            {
                _ = Promise.Pause().Map(() => { log.Add("paused"); return 0; });
                return Promise.ReturnUnit;
            }));
            log.Add("returned");
            Promise.AbandonPaused();
            return log;
        });
        Assert.Equal(["returned"], log);
    }

    [Fact]
    public void Hooks_run_around_each_iteration_in_order_on_the_loop_thread()
    {
        LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            var log = new List<string>();
            bool offLoop = false;
            void Add(string s)
            {
                if (Thread.CurrentThread != me) return; // other loops run the same global hooks
                if (EventLoop.Current is not { IsRunning: true, IsOnLoopThread: true }) offLoop = true;
                log.Add(s);
            }

            var e1 = LwtMain.EnterIterHooks.AddLast(() => Add("e1"));
            var e0 = LwtMain.EnterIterHooks.AddFirst(() => Add("e0"));
            var e2 = LwtMain.EnterIterHooks.AddLast(() => Add("e2"));
            var l1 = LwtMain.LeaveIterHooks.AddLast(() => Add("l1"));
            var l0 = LwtMain.LeaveIterHooks.AddFirst(() => Add("l0"));
            try
            {
                LwtMain.Run(() =>
                {
                    var (p, r) = Promise.Create();
                    EventLoop.Current!.Post(() =>
                    {
                        Add("work");
                        r.Resolve();
                    });
                    return p;
                });
                Assert.Equal(["e0", "e1", "e2", "work", "l0", "l1"], log);

                log.Clear();
                LwtMain.EnterIterHooks.Remove(e1);
                LwtMain.EnterIterHooks.Remove(e1); // removing twice does nothing
                LwtMain.LeaveIterHooks.Remove(l0);
                LwtMain.Run(Promise.Pause().Map(() => { Add("paused"); return 0; }));
                Assert.Equal(["e0", "e2", "paused", "l1"], log);

                log.Clear();
                LwtMain.EnterIterHooks.RemoveAll();
                LwtMain.LeaveIterHooks.RemoveAll();
                Assert.Equal(0, LwtMain.EnterIterHooks.Count);
                Assert.Equal(0, LwtMain.LeaveIterHooks.Count);
                LwtMain.Run(Promise.Pause().Map(() => { Add("alone"); return 0; }));
                Assert.Equal(["alone"], log);
                Assert.False(offLoop);
            }
            finally
            {
                foreach (var h in new[] { e0, e1, e2 }) LwtMain.EnterIterHooks.Remove(h);
                foreach (var h in new[] { l0, l1 }) LwtMain.LeaveIterHooks.Remove(h);
            }
        });
        Assert.Throws<ArgumentNullException>(() => LwtMain.EnterIterHooks.AddFirst(null!));
        Assert.Throws<ArgumentNullException>(() => LwtMain.LeaveIterHooks.Remove(null!));
    }

    [Fact]
    public void A_hook_added_by_a_hook_takes_effect_from_the_next_iteration()
    {
        LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            var log = new List<string>();
            LwtHook? inner = null;
            LwtHook? outer = null;
            outer = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread != me) return;
                log.Add("outer");
                inner ??= LwtMain.EnterIterHooks.AddFirst(() =>
                {
                    if (Thread.CurrentThread == me) log.Add("inner");
                });
            });
            try
            {
                LwtMain.Run(Promise.Pause().Bind(() => Promise.Pause()));
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(outer);
                if (inner is not null) LwtMain.EnterIterHooks.Remove(inner);
            }
            Assert.Equal(["outer", "inner", "outer"], log);
        });
    }

    [SkippableFact]
    public void Io_is_not_starved_by_a_busy_loop()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a pipe");
        LoopTest.OnFreshThread(() =>
        {
            using var pipe = new NativePipe();
            bool readable = false;
            long spins = 0;
            LwtMain.Run(async () =>
            {
                var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, e =>
                {
                    readable = true;
                    e.Stop();
                });
                var writer = new Thread(() =>
                {
                    Thread.Sleep(30);
                    pipe.WriteByte();
                });
                writer.Start();
                // Busy: there is always a paused promise, so the loop never blocks.
                while (!readable)
                {
                    await Promise.Pause();
                    spins++;
                }
                writer.Join();
            });
            Assert.True(readable);
            Assert.True(spins > 0);
        });
    }

    [Fact]
    public void Timers_are_not_starved_by_a_busy_loop()
    {
        LoopTest.OnFreshThread(() =>
        {
            bool fired = false;
            LwtMain.Run(async () =>
            {
                _ = LwtUnix.Sleep(0.02).Map(() => fired = true);
                while (!fired) await Promise.Pause();
            });
            Assert.True(fired);
        });
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    private static TimeSpan ThreadCpuTime()
    {
        const int ClockThreadCpuTimeId = 3;
        Assert.Equal(0, ClockGetTime(ClockThreadCpuTimeId, out var ts));
        return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
    }

    [SkippableFact]
    public void An_idle_loop_uses_no_cpu_while_blocked()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads the thread's CPU clock");
        // The loop's own thread, precisely: blocked in epoll_wait, it must use (almost) nothing.
        // The whole process, loosely: the test host, the GC, the finalizer and the tiered JIT
        // run too (after the heavy tests of this assembly they can be busy for a while), so
        // the process figure is the best of three 1 s sleeps; a spinning loop shows ~1 s in each.
        var samples = LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(LwtUnix.Sleep(0.01)); // the loop and engine exist, JIT done
            var list = new List<(TimeSpan Process, TimeSpan Thread, TimeSpan Wall)>();
            for (int attempt = 0; attempt < 3; attempt++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var proc = Process.GetCurrentProcess();
                var p0 = proc.TotalProcessorTime;
                var t0 = ThreadCpuTime();
                var sw = Stopwatch.StartNew();
                LwtMain.Run(LwtUnix.Sleep(1));
                var wall = sw.Elapsed;
                var t1 = ThreadCpuTime();
                proc.Refresh();
                list.Add((proc.TotalProcessorTime - p0, t1 - t0, wall));
                if (list[^1].Item1 < TimeSpan.FromSeconds(0.3)) break;
            }
            return list;
        }, timeoutMs: 30_000);
        foreach (var (process, thread, wall) in samples)
        {
            output.WriteLine($"LwtMain.Run(LwtUnix.Sleep(1)): wall {wall.TotalMilliseconds:F1} ms, loop thread CPU {thread.TotalMilliseconds:F2} ms, process CPU {process.TotalMilliseconds:F1} ms");
            Assert.True(wall >= TimeSpan.FromSeconds(1), $"woke early: {wall}");
            Assert.True(thread < TimeSpan.FromSeconds(0.05), $"the loop thread used {thread.TotalMilliseconds} ms of CPU over a 1 s sleep");
        }
        var best = samples.Min(x => x.Process);
        Assert.True(best < TimeSpan.FromSeconds(0.3), $"the process used at least {best.TotalMilliseconds} ms of CPU over each 1 s sleep");
    }
}
