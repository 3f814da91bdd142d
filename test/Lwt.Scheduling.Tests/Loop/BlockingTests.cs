namespace Lwt.Tests.Loop;

/// <summary>
/// Blocking the loop's thread on something only the loop can complete fails fast with a
/// clear exception instead of deadlocking (Lwt #607).
/// </summary>
public class BlockingTests
{
    private static async Task NeedsTheLoop()
    {
        await Task.Delay(5); // resumes through the loop's SynchronizationContext
        await Task.Yield();
    }

    [Fact]
    public void GetResult_of_a_pending_promise_on_the_loop_throws_instead_of_blocking()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(async () =>
            {
                var sleep = LwtUnix.Sleep(3600);
                var e = Assert.Throws<InvalidOperationException>(() => sleep.GetAwaiter().GetResult());
                Assert.Contains("pending", e.Message);
                var typed = LwtUnix.Sleep(3600).Map(() => 1);
                Assert.Throws<InvalidOperationException>(() => typed.GetAwaiter().GetResult());
                sleep.Cancel();
                typed.Cancel();
                await Promise.Pause();
            });
        });
    }

    [Fact]
    public void Task_Wait_on_the_loop_thread_of_a_task_that_needs_the_loop_throws()
    {
        LoopTest.OnFreshThread(() =>
        {
            Exception? wait = null, result = null, getResult = null;
            LwtMain.Run(async () =>
            {
                var t1 = NeedsTheLoop();
                wait = Record.Exception(() => t1.Wait());
                var t2 = NeedsTheLoop().ContinueWith(_ => 5, TaskScheduler.Default);
                result = Record.Exception(() => _ = t2.Result);
                var t3 = NeedsTheLoop();
                getResult = Record.Exception(() => t3.GetAwaiter().GetResult());
                // The loop is fine afterwards, and the tasks complete once it runs.
                await t1;
                Assert.Equal(5, await t2);
                await t3;
            });
            foreach (var e in new[] { wait, result, getResult })
            {
                var ioe = Assert.IsType<InvalidOperationException>(e is AggregateException a ? a.InnerException : e);
                Assert.Contains("Deadlock", ioe.Message);
                Assert.Contains("loop", ioe.Message);
            }
        });
    }

    [Fact]
    public void Blocking_on_a_Task_adapter_of_a_pending_timer_promise_throws_when_the_timer_is_due()
    {
        LoopTest.OnFreshThread(() =>
        {
            Exception? e = null;
            LwtMain.Run(async () =>
            {
                var tcs = new TaskCompletionSource();
                _ = LwtUnix.Sleep(0.02).Map(() => { tcs.SetResult(); return 0; });
                e = Record.Exception(() => tcs.Task.Wait());
                await tcs.Task;
            });
            Assert.IsType<InvalidOperationException>(e is AggregateException a ? a.InnerException : e);
        });
    }

    [Fact]
    public void Blocking_waits_that_do_not_need_the_loop_still_work()
    {
        LoopTest.OnFreshThread(() =>
        {
            int result = 0;
            LwtMain.Run(() =>
            {
                // The loop is idle: a task that completes by itself may be waited for.
                result = Task.Run(() => { Thread.Sleep(20); return 7; }).Result;
                Task.Run(() => Thread.Sleep(5)).Wait(1000); // finite timeouts are never refused

                // A contended lock while the loop has work waiting is a plain wait, not a deadlock.
                EventLoop.Current!.Post(() => { });
                var gate = new object();
                using var held = new ManualResetEventSlim();
                var holder = new Thread(() =>
                {
                    lock (gate)
                    {
                        held.Set();
                        Thread.Sleep(50);
                    }
                });
                holder.Start();
                held.Wait();
                lock (gate) result++;
                holder.Join();
                return Promise.ReturnUnit;
            });
            Assert.Equal(8, result);
        });
    }
}
