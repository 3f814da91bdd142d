using System.Runtime.CompilerServices;
using Lwt.Interop;

namespace Lwt.Tests.Loop;

/// <summary>LwtMain.Run: resolved and rejected promises, nesting, several loops at once.</summary>
public class RunTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingMethod(Exception e) => throw e;

    private static async Promise FailsAfterAPause(Exception e)
    {
        await Promise.Pause();
        ThrowingMethod(e);
    }

    private static async Promise<int> FailsAfterASleep(Exception e)
    {
        await LwtUnix.Sleep(0.001);
        ThrowingMethod(e);
        return 0;
    }

    [Fact]
    public void Run_of_a_resolved_promise_returns_at_once_even_with_pending_timers()
    {
        LoopTest.OnFreshThread(() =>
        {
            var forever = LwtUnix.Sleep(3600);
            Assert.Equal(5, LwtMain.Run(Promise.Return(5)));
            LwtMain.Run(Promise.ReturnUnit);
            Assert.Equal(7, LwtMain.Run(() => Promise.Return(7)));
            Assert.True(forever.IsPending);
            forever.Cancel();
        });
    }

    [Fact]
    public void Run_returns_the_value_of_a_promise_resolved_later()
    {
        var v = LoopTest.OnFreshThread(() => LwtMain.Run(LwtUnix.Sleep(0.001).Map(() => 42)));
        Assert.Equal(42, v);
    }

    [Fact]
    public void Run_of_a_rejected_promise_rethrows_the_same_exception_with_its_original_stack()
    {
        LoopTest.OnFreshThread(() =>
        {
            var boom = new InvalidOperationException("boom");
            var thrown = Assert.Throws<InvalidOperationException>(() => LwtMain.Run(FailsAfterAPause(boom)));
            Assert.Same(boom, thrown);
            Assert.Contains(nameof(ThrowingMethod), thrown.StackTrace);

            var boom2 = new ArgumentException("boom2");
            var thrown2 = Assert.Throws<ArgumentException>(() => LwtMain.Run(() => FailsAfterASleep(boom2)));
            Assert.Same(boom2, thrown2);
            Assert.Contains(nameof(ThrowingMethod), thrown2.StackTrace);
            Assert.Contains(nameof(FailsAfterASleep), thrown2.StackTrace);
        });
    }

    [Fact]
    public void Run_of_an_already_rejected_promise_and_a_throwing_start_rethrow_the_same_exception()
    {
        LoopTest.OnFreshThread(() =>
        {
            var boom = new FormatException("already");
            Assert.Same(boom, Assert.Throws<FormatException>(() => LwtMain.Run(Promise.Fail(boom))));

            var boom2 = new FormatException("start");
            var thrown = Assert.Throws<FormatException>(() => LwtMain.Run(() =>
            {
                ThrowingMethod(boom2);
                return Promise.ReturnUnit;
            }));
            Assert.Same(boom2, thrown);
            Assert.Contains(nameof(ThrowingMethod), thrown.StackTrace);
        });
    }

    [Fact]
    public void Nested_run_throws_InvalidOperationException_at_once_and_the_outer_run_goes_on()
    {
        LoopTest.OnFreshThread(() =>
        {
            var previous = SynchronizationContext.Current;
            Exception? fromCallback = null, fromResolved = null, fromTask = null;
            var result = LwtMain.Run(async () =>
            {
                await LwtUnix.Sleep(0.001);
                // A pending promise that only this loop could resolve: must not hang.
                fromCallback = Record.Exception(() => LwtMain.Run(LwtUnix.Sleep(3600)));
                // Even an already resolved one: the rule is "never Run inside Run".
                fromResolved = Record.Exception(() => LwtMain.Run(Promise.Return(1)));
                // From Task-based code running on the loop.
                await Task.Run(() => { });
                fromTask = Record.Exception(() => LwtMain.Run(Promise.Pause()));
                await LwtUnix.Sleep(0.001);
                Assert.True(EventLoop.Current!.IsRunning);
                return 3;
            });
            Assert.Equal(3, result);
            foreach (var e in new[] { fromCallback, fromResolved, fromTask })
            {
                var ioe = Assert.IsType<InvalidOperationException>(e);
                Assert.Contains("LwtMain.Run", ioe.Message);
            }
            Assert.False(EventLoop.Current!.IsRunning);
            Assert.Same(previous, SynchronizationContext.Current);
        });
    }

    [Fact]
    public void Run_installs_the_loop_context_and_restores_the_previous_one()
    {
        LoopTest.OnFreshThread(() =>
        {
            var mine = new SynchronizationContext();
            SynchronizationContext.SetSynchronizationContext(mine);
            SynchronizationContext? inside = null;
            EventLoop? loop = null;
            LwtMain.Run(() =>
            {
                loop = EventLoop.Current;
                inside = SynchronizationContext.Current;
                return Promise.ReturnUnit;
            });
            Assert.NotNull(loop);
            Assert.Same(loop!.SynchronizationContext, inside);
            Assert.IsType<LwtSynchronizationContext>(inside);
            Assert.Same(mine, SynchronizationContext.Current);
            Assert.True(loop.IsOnLoopThread);
            Assert.False(loop.IsRunning);
        });
    }

    [Fact]
    public void Several_loops_on_several_threads_run_independently()
    {
        const int Loops = 4;
        var loops = new EventLoop?[Loops];
        var threads = new int[Loops];
        var iterations = new int[Loops];
        // Loop 0 waits for a long sleep; the others must finish many iterations meanwhile.
        var errors = new Exception?[Loops];
        var all = Enumerable.Range(0, Loops).Select(i => new Thread(() =>
        {
            try
            {
                LwtMain.Run(async () =>
                {
                    loops[i] = EventLoop.Current;
                    threads[i] = Environment.CurrentManagedThreadId;
                    if (i == 0)
                    {
                        await LwtUnix.Sleep(0.3);
                        iterations[i] = 1;
                        return;
                    }
                    for (int k = 0; k < 50; k++)
                    {
                        await LwtUnix.Sleep(0.001);
                        await Promise.Pause();
                        await Task.Yield();
                        Assert.Equal(threads[i], Environment.CurrentManagedThreadId);
                        Assert.Same(loops[i], EventLoop.Current);
                        iterations[i]++;
                    }
                });
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
            finally
            {
                LwtEngine.Current.Dispose();
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in all) t.Start();
        foreach (var t in all) Assert.True(t.Join(20_000), "a loop thread hung");
        Assert.All(errors, e => Assert.Null(e));
        Assert.Equal(Loops, loops.Distinct().Count());
        Assert.Equal(Loops, threads.Distinct().Count());
        Assert.Equal(1, iterations[0]);
        for (int i = 1; i < Loops; i++) Assert.Equal(50, iterations[i]);
    }

    // A loop blocked in Run waits in the kernel; whoever resolves its promise on another thread
    // must wake it. Without that, the three tests below hang (LoopTest fails them after 20 s).
    // The pause before resolving lets the waiting loop reach its blocking wait first; the
    // tests pass whatever the timing, but only that order shows the missed wake-up.

    [Fact]
    public void Run_of_a_promise_of_another_running_loop_returns_when_that_loop_resolves_it()
    {
        using var a = new Lwt.Tests.Interop.LoopThread();
        var (p, r) = a.Run(() => Promise.Create<int>());
        var waiting = new ManualResetEventSlim();
        var v = LoopTest.OnFreshThread(() =>
        {
            Task.Run(() =>
            {
                waiting.Wait();
                Thread.Sleep(50);
                a.Run(() => r.Resolve(42));
            });
            return LwtMain.Run(() =>
            {
                waiting.Set();
                return p;
            });
        });
        Assert.Equal(42, v);
    }

    [Fact]
    public void Run_of_a_promise_of_another_running_loop_rethrows_when_that_loop_rejects_it()
    {
        using var a = new Lwt.Tests.Interop.LoopThread();
        var (p, r) = a.Run(() => Promise.Create<int>());
        var boom = new InvalidOperationException("boom");
        var waiting = new ManualResetEventSlim();
        var thrown = LoopTest.OnFreshThread(() =>
        {
            Task.Run(() =>
            {
                waiting.Wait();
                Thread.Sleep(50);
                a.Run(() => r.Reject(boom));
            });
            return Assert.Throws<InvalidOperationException>(() => LwtMain.Run(() =>
            {
                waiting.Set();
                return p;
            }));
        });
        Assert.Same(boom, thrown);
    }

    [Fact]
    public void Run_of_a_promise_created_off_any_loop_returns_when_another_thread_resolves_it()
    {
        var (p, r) = Promise.Create<int>(); // no loop here: the promise has no owner
        var waiting = new ManualResetEventSlim();
        var v = LoopTest.OnFreshThread(() =>
        {
            Task.Run(() =>
            {
                waiting.Wait();
                Thread.Sleep(50);
                r.Resolve(7); // on a pool thread, directly: an ownerless promise has no loop to marshal to
            });
            return LwtMain.Run(() =>
            {
                waiting.Set();
                return p;
            });
        });
        Assert.Equal(7, v);
    }
    [Fact]
    public void Run_called_inside_the_callbacks_of_a_promise_of_no_loop_runs_its_loop_to_the_end()
    {
        // An `await promise.AsTask()` (or an await foreach over AsAsyncEnumerable) off any loop
        // resumes inside the callbacks of the promise, on the thread that resolved it; a
        // LwtMain.Run made there found the thread "inside callbacks" and deferred every
        // wakeup_later of its own loop to a queue that only the outer frame (blocked in Run)
        // drains: the run hung for ever, its token included.
        object? fromCallback = null, fromAwait = null;
        LoopTest.OnFreshThread(() =>
        {
            var (p, r) = Promise.Create<int>(); // no loop: its callbacks run on the resolving thread
            p.OnSuccess(_ =>
            {
                try
                {
                    fromCallback = LwtMain.Run(PauseThenSleep, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
                }
                catch (Exception e)
                {
                    fromCallback = e;
                }
            });
            r.Resolve(1);
        });
        LoopTest.OnFreshThread(() =>
        {
            var (p, r) = Promise.Create<int>();
            var t = AwaitThenRun(p);
            r.Resolve(1); // runs AwaitThenRun's continuation here, inside p's callbacks
            fromAwait = t.IsCompletedSuccessfully ? t.Result : t.Exception;
        });
        Assert.Equal(42, fromCallback);
        Assert.Equal(42, fromAwait);

        static async Promise<int> PauseThenSleep()
        {
            await Promise.Pause();
            await LwtUnix.Sleep(0.001);
            var (s, push) = LwtStream.Create<int>();
            var read = s.Get();
            push(Option<int>.Some(42));
            return (await read).Value;
        }

        static async Task<object?> AwaitThenRun(Promise<int> p)
        {
            await p.AsTask().ConfigureAwait(false);
            return LwtMain.Run(PauseThenSleep, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
    }
}
