using System.Diagnostics;
using System.Runtime.CompilerServices;
using Lwt.Tests.Engines;

namespace Lwt.Tests.Loop;

/// <summary>
/// The event loop checked against API.md ("Event loop"), DESIGN.md ("Threading model", "One
/// loop iteration") and lwt_main.mli (run, at_exit, the iteration hooks).
/// </summary>
[Collection(LoopGlobalState.Name)]
public class LoopAuditTests
{
    // ------------------------------------------------------------------ helpers

    /// <summary>Counts the iterations of the calling thread's loop (enter hooks are global).</summary>
    private sealed class IterationCounter : IDisposable
    {
        private readonly LwtHook _hook;
        public int Count;
        public IterationCounter()
        {
            var me = Thread.CurrentThread;
            _hook = LwtMain.EnterIterHooks.AddFirst(() => { if (Thread.CurrentThread == me) Count++; });
        }
        public void Dispose() => LwtMain.EnterIterHooks.Remove(_hook);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int AuditThrower(Exception e) => throw e;

    // ------------------------------------------------------------------ iteration order

    [SkippableFact]
    public void All_kinds_of_work_at_once_run_in_the_contract_order_inside_the_hooks()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a pipe");
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            using var pipe = new NativePipe();
            var me = Thread.CurrentThread;
            int it = 0;
            var enter = LwtMain.EnterIterHooks.AddLast(() => { if (Thread.CurrentThread == me) { it++; log.Add($"enter@{it}"); } });
            var leave = LwtMain.LeaveIterHooks.AddLast(() => { if (Thread.CurrentThread == me) log.Add($"leave@{it}"); });
            try
            {
                LwtMain.Run(() =>
                {
                    var loop = EventLoop.Current!;
                    var (done, r) = Promise.Create();
                    pipe.WriteByte();
                    LwtEngine.Current.OnReadable(pipe.ReadFd, ev => { log.Add($"io@{it}"); ev.Stop(); r.Resolve(); });
                    _ = LwtUnix.Sleep(0.001).Map(() => { log.Add($"timer@{it}"); return 0; });
                    _ = Promise.Pause().Map(() => { log.Add($"paused@{it}"); return 0; });
                    var t = new Thread(() => loop.Post(() => log.Add($"foreign@{it}")));
                    t.Start();
                    t.Join();
                    loop.Post(() => log.Add($"local@{it}"));
                    Thread.Sleep(20); // the timer is due before the first iteration
                    return done;
                });
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(enter);
                LwtMain.LeaveIterHooks.Remove(leave);
            }
            return log;
        });
        Assert.Equal(["enter@1", "local@1", "foreign@1", "paused@1", "timer@1", "io@1", "leave@1"], log);
    }

    [SkippableFact]
    public void Pauses_taken_by_timer_and_io_callbacks_wait_for_the_next_iteration()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a pipe");
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            using var pipe = new NativePipe();
            using var c = new IterationCounter();
            LwtMain.Run(() =>
            {
                pipe.WriteByte();
                var a = LwtUnix.Sleep(0.001).Bind(() => { log.Add($"timer@{c.Count}"); return Promise.Pause(); })
                    .Map(() => { log.Add($"timer-pause@{c.Count}"); return 0; });
                var (io, r) = Promise.Create();
                LwtEngine.Current.OnReadable(pipe.ReadFd, ev => { ev.Stop(); log.Add($"io@{c.Count}"); r.Resolve(); });
                var b = io.Bind(() => Promise.Pause()).Map(() => { log.Add($"io-pause@{c.Count}"); return 0; });
                Thread.Sleep(20);
                return Promise.Join(a, b);
            });
            return log;
        });
        Assert.Equal(["timer@1", "io@1", "timer-pause@2", "io-pause@2"], log);
    }

    // ------------------------------------------------------------------ idle / busy

    [Fact]
    public void An_idle_loop_blocks_a_sleep_takes_few_iterations_and_a_foreign_post_wakes_it()
    {
        LoopTest.OnFreshThread(() =>
        {
            using var c = new IterationCounter();
            LwtMain.Run(LwtUnix.Sleep(0.3));
            Assert.True(c.Count <= 10, $"{c.Count} iterations for one idle 0.3 s sleep: the loop spun");

            c.Count = 0;
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                var (p, r) = Promise.Create();
                new Thread(() => { Thread.Sleep(300); loop.Post(() => r.Resolve()); }) { IsBackground = true }.Start();
                return p;
            });
            Assert.True(c.Count <= 10, $"{c.Count} iterations waiting for one foreign post: the loop spun");
        });
    }

    [SkippableFact]
    public void A_busy_loop_never_blocks_even_with_a_far_timer_and_an_fd_registered()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a pipe");
        LoopTest.OnFreshThread(() =>
        {
            using var pipe = new NativePipe();
            using var c = new IterationCounter();
            LwtMain.Run(async () =>
            {
                var far = LwtUnix.Sleep(3600);
                var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => { });
                for (int i = 0; i < 2000; i++) await Promise.Pause();
                // self-posting chain
                var (done, r) = Promise.Create();
                int n = 0;
                void Step() { if (++n == 2000) r.Resolve(); else EventLoop.Current!.Post(Step); }
                EventLoop.Current!.Post(Step);
                await done;
                ev.Stop();
                far.Cancel();
            });
            Assert.True(c.Count >= 4000);
        }, timeoutMs: 20_000); // a blocked busy iteration would wait for the 3600 s timer
    }

    // ------------------------------------------------------------------ Run

    [Fact]
    public void Run_rethrows_an_exception_thrown_in_a_callback_with_its_stack_each_time()
    {
        LoopTest.OnFreshThread(() =>
        {
            var boom = new InvalidCastException("cb");
            var p = LwtUnix.Sleep(0.001).Map(() => AuditThrower(boom));
            var e1 = Assert.Throws<InvalidCastException>(() => LwtMain.Run(p));
            Assert.Same(boom, e1);
            Assert.Contains(nameof(AuditThrower), e1.StackTrace);
            var e2 = Assert.Throws<InvalidCastException>(() => LwtMain.Run(p)); // already rejected now
            Assert.Same(boom, e2);
            Assert.Contains(nameof(AuditThrower), e2.StackTrace);
            // the loop is usable afterwards
            Assert.Equal(1, LwtMain.Run(LwtUnix.Sleep(0.001).Map(() => 1)));
        });
    }

    [Fact]
    public void Nested_Run_from_a_hook_and_from_a_loop_task_throws_InvalidOperationException()
    {
        LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            Exception? fromHook = null;
            var h = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me && fromHook is null)
                    fromHook = Record.Exception(() => LwtMain.Run(Promise.Return(1)));
            });
            try
            {
                Exception? fromTask = null;
                LwtMain.Run(async () =>
                {
                    await Task.Factory.StartNew(() => { fromTask = Record.Exception(() => LwtMain.Run(() => Promise.Return(2))); },
                        CancellationToken.None, TaskCreationOptions.None, EventLoop.Current!.TaskScheduler);
                });
                Assert.IsType<InvalidOperationException>(fromHook);
                Assert.IsType<InvalidOperationException>(fromTask);
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(h);
            }
        });
    }

    // ------------------------------------------------------------------ hooks

    [Fact]
    public void A_hook_removed_by_an_earlier_hook_does_not_run_in_that_iteration_and_self_removal_works()
    {
        LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            var log = new List<string>();
            LwtHook? second = null, self = null;
            var first = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread != me) return;
                log.Add("first");
                LwtMain.EnterIterHooks.Remove(second!);
            });
            second = LwtMain.EnterIterHooks.AddLast(() => { if (Thread.CurrentThread == me) log.Add("second"); });
            self = LwtMain.LeaveIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread != me) return;
                log.Add("self");
                LwtMain.LeaveIterHooks.Remove(self!);
            });
            try
            {
                LwtMain.Run(Promise.Pause().Bind(() => Promise.Pause()));
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(first);
                LwtMain.EnterIterHooks.Remove(second);
                LwtMain.LeaveIterHooks.Remove(self);
            }
            // Lwt_sequence.iter_l skips a node removed during the traversal (lwt_sequence.ml).
            Assert.Equal(["first", "self", "first"], log);
        });
    }

    // ------------------------------------------------------------------ timers

    [Fact]
    public void Sleep_and_Timeout_edge_durations()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                // zero / negative: pending now, resolved by the loop, cancelable
                foreach (var s in new[] { LwtUnix.Sleep(0), LwtUnix.Sleep(-5), LwtUnix.Sleep(double.NegativeInfinity), LwtUnix.Sleep(TimeSpan.Zero), LwtUnix.Sleep(TimeSpan.FromSeconds(-1)) })
                    Assert.True(s.IsPending);
                var c0 = LwtUnix.Sleep(0);
                c0.Cancel();
                Assert.True(c0.IsCanceled);
                var inf = LwtUnix.Sleep(double.PositiveInfinity);
                var big = LwtUnix.Sleep(TimeSpan.MaxValue);
                Assert.True(inf.IsPending && big.IsPending);
                inf.Cancel();
                big.Cancel();
                Assert.Equal(0, loop.Timers.Count);
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Sleep(double.NaN));
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Timeout(double.NaN));
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WithTimeout(double.NaN, () => Promise.Return(1)));
                return Promise.ReturnUnit;
            });
            foreach (var d in new[] { 0.0, -1.0, double.NegativeInfinity })
            {
                var t = LwtUnix.Timeout(d);
                Assert.True(t.IsPending); // not synchronously rejected
                Assert.Throws<TimeoutException>(() => LwtMain.Run(t));
            }
            var tiny = Stopwatch.StartNew();
            LwtMain.Run(LwtUnix.Sleep(1e-9));
            Assert.True(tiny.ElapsedTicks > 0);
        });
    }

    [Fact]
    public void Timeout_is_cancelable_and_then_rejects_with_CanceledException_not_TimeoutException()
    {
        LoopTest.OnFreshThread(() =>
        {
            var t = LwtUnix.Timeout(0.001);
            t.Cancel();
            Assert.True(t.IsCanceled);
            Assert.Throws<CanceledException>(() => LwtMain.Run(t));
            Assert.Equal(0, EventLoop.Current!.Timers.Count);
            // canceling through a dependent
            var t2 = LwtUnix.Timeout(3600);
            var dep = t2.Map(() => 1);
            dep.Cancel();
            Assert.True(t2.IsCanceled);
            Assert.Equal(0, EventLoop.Current!.Timers.Count);
        });
    }

    [Fact]
    public void WithTimeout_cancels_fs_promise_and_runs_its_cancel_handlers_when_the_timeout_wins()
    {
        LoopTest.OnFreshThread(() =>
        {
            bool onCancel = false;
            Promise<int>? work = null;
            var e = Assert.Throws<TimeoutException>(() => LwtMain.Run(() => LwtUnix.WithTimeout(0.01, () =>
            {
                var (p, _) = Promise.CreateCancelable<int>();
                p.OnCancel(() => onCancel = true);
                work = p;
                return p;
            })));
            Assert.True(work!.IsCanceled);
            Assert.True(onCancel);
            // timeout 0 against pending work also times out; against a resolved value the value wins
            Assert.Throws<TimeoutException>(() => LwtMain.Run(() => LwtUnix.WithTimeout(0, () => LwtUnix.Sleep(3600).Map(() => 1))));
            Assert.Equal(5, LwtMain.Run(() => LwtUnix.WithTimeout(0, () => Promise.Return(5))));
            Assert.Equal(0, EventLoop.Current!.Timers.Count);
            // canceling WithTimeout's promise cancels both
            var (inner, _) = Promise.CreateCancelable<int>();
            var wt = LwtUnix.WithTimeout(3600, () => inner);
            wt.Cancel();
            Assert.True(inner.IsCanceled);
            Assert.Equal(0, EventLoop.Current!.Timers.Count);
        });
    }

    // ------------------------------------------------------------------ resolvers from foreign threads

    [Fact]
    public void Resolvers_used_from_many_threads_marshal_to_the_running_loop()
    {
        const int Threads = 16, PerThread = 500;
        var errors = new List<Exception>();
        LoopTest.WithExceptionHook(e => { lock (errors) errors.Add(e); }, () => LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int wrongThread = 0, callbacks = 0, sharedCallbacks = 0;
            long sum = 0;
            var callerExceptions = new List<Exception>();
            int shared = LwtMain.Run(() =>
            {
                var all = new List<Promise>();
                var resolvers = new Resolver<int>[Threads * PerThread];
                for (int i = 0; i < resolvers.Length; i++)
                {
                    var (p, r) = Promise.Create<int>();
                    resolvers[i] = r;
                    all.Add(p.Map(v =>
                    {
                        if (Environment.CurrentManagedThreadId != loopThread) wrongThread++;
                        callbacks++;
                        sum += v;
                        return 0;
                    }));
                }
                var (sp, sr) = Promise.Create<int>();
                var sharedMapped = sp.Map(v =>
                {
                    if (Environment.CurrentManagedThreadId != loopThread) wrongThread++;
                    sharedCallbacks++;
                    return v;
                });
                using var go = new ManualResetEventSlim();
                for (int t = 0; t < Threads; t++)
                {
                    int tt = t;
                    new Thread(() =>
                    {
                        go.Wait();
                        try
                        {
                            for (int i = 0; i < PerThread; i++)
                            {
                                int k = tt * PerThread + i;
                                if (i % 3 == 0) resolvers[k].Resolve(k);
                                else if (i % 3 == 1) resolvers[k].TryResolve(k);
                                else resolvers[k].ResolveNow(k);
                            }
                            // everyone races on the shared promise, with throwing and non-throwing calls
                            sr.Resolve(tt);
                            sr.TryResolve(tt);
                            if (tt % 2 == 0) sr.TryReject(new Exception("late"));
                        }
                        catch (Exception e)
                        {
                            lock (callerExceptions) callerExceptions.Add(e);
                        }
                    }) { IsBackground = true }.Start();
                }
                go.Set();
                return Promise.Join(all).Bind(() => sharedMapped);
            });
            Assert.Equal(0, wrongThread);
            Assert.Equal(Threads * PerThread, callbacks);
            Assert.Equal((long)(Threads * PerThread - 1) * Threads * PerThread / 2, sum);
            Assert.Equal(1, sharedCallbacks);
            Assert.InRange(shared, 0, Threads - 1);
            Assert.Empty(callerExceptions);
        }));
        Assert.Empty(errors);
    }

    [Fact]
    public void Attaching_to_a_running_loops_promise_from_another_thread_throws_a_clear_exception_and_cancel_marshals()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            Exception? attach = null;
            int cancelThread = 0;
            LwtMain.Run(async () =>
            {
                var (p, _) = Promise.CreateCancelable<int>();
                p.OnCancel(() => cancelThread = Environment.CurrentManagedThreadId);
                await Task.Run(() =>
                {
                    attach = Record.Exception(() => p.Map(x => x));
                    p.Cancel();
                });
                while (p.IsPending) await Promise.Pause();
                Assert.True(p.IsCanceled);
            });
            Assert.IsType<InvalidOperationException>(attach);
            Assert.Equal(loopThread, cancelThread);
        });
    }

    [Fact]
    public void A_foreign_resolution_racing_with_the_start_of_a_run_does_not_leave_the_loop_blocked()
    {
        EventLoop? loop = null;
        bool returnedAlone = false, finished = false;
        using var inCallback = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var th = new Thread(() =>
        {
            Resolver<int>? r = null;
            Promise<int>? q = null;
            LwtMain.Run(() =>
            {
                loop = EventLoop.Current;
                Promise<int> p;
                (p, r) = Promise.Create<int>();
                // 1st callback: holds the foreign thread inside the resolution
                _ = p.Map(x => { inCallback.Set(); release.Wait(); Thread.Sleep(50); return x; });
                q = p.Map(x => x + 1); // 2nd callback: resolves q
                return Promise.ReturnUnit;
            });
            // the loop is stopped: a foreign thread resolves p
            new Thread(() => r!.Resolve(1)) { IsBackground = true }.Start();
            inCallback.Wait();
            var me = Thread.CurrentThread;
            var hook = LwtMain.EnterIterHooks.AddLast(() => { if (Thread.CurrentThread == me) release.Set(); });
            try
            {
                // the run has started (its first iteration released the foreign thread); q is resolved
                // on the foreign thread a moment later, while this loop is blocked with no timer and no fd
                LwtMain.Run(q!);
                returnedAlone = true;
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(hook);
                finished = true;
                LwtEngine.Current.Dispose();
            }
        }) { IsBackground = true };
        th.Start();
        if (!th.Join(5_000)) // safety net only
        {
            loop!.Post(() => { });
            th.Join(5_000);
        }
        Assert.True(finished);
        Assert.True(returnedAlone || false, "LwtMain.Run(q) stayed blocked after q was resolved (it returned only after an extra Post woke the loop)");
    }

    // ------------------------------------------------------------------ at_exit

    [Fact]
    public void AtExit_hooks_run_last_first_one_after_the_other_and_a_failing_hook_is_ignored()
    {
        // lwt_main.mli: "each hook is called exactly one time" / "exceptions raised by hooks are ignored".
        var log = new List<string>();
        var reported = new List<Exception>();
        LoopTest.WithExceptionHook(e => { lock (reported) reported.Add(e); }, () =>
        {
            LwtMain.AtExit(() => { lock (log) log.Add("first-registered"); return Promise.ReturnUnit; });
            LwtMain.AtExit(() => LwtUnix.Sleep(0.02).Map(() => { lock (log) log.Add("slow"); return 0; }));
            LwtMain.AtExit(() => Promise.Fail(new InvalidOperationException("rejected hook")));
            LwtMain.AtExit(() => throw new InvalidOperationException("throwing hook"));
            LwtMain.AtExit(() => { lock (log) log.Add("last-registered"); return Promise.ReturnUnit; });
            LwtMain.RunExitHooks();
            LwtMain.RunExitHooks(); // exactly once
        });
        Assert.Equal(["last-registered", "slow", "first-registered"], log);
        Assert.Empty(reported); // ignored, not reported to the async exception hook (whose default exits the process)
    }

    [Fact]
    public void AtExit_hook_registered_by_an_exit_hook_also_runs()
    {
        // lwt_main.ml: call_hooks takes hooks from exit_hooks until it is empty.
        var log = new List<string>();
        LwtMain.AtExit(() =>
        {
            lock (log) log.Add("outer");
            LwtMain.AtExit(() => { lock (log) log.Add("inner"); return Promise.ReturnUnit; });
            return Promise.ReturnUnit;
        });
        LwtMain.RunExitHooks();
        bool ranInFirstPass;
        lock (log) ranInFirstPass = log.Contains("inner");
        LwtMain.RunExitHooks(); // clean up whatever is left
        Assert.True(ranInFirstPass, "a hook registered while the exit hooks run was not run by that pass (and process exit runs only one pass)");
    }
}
