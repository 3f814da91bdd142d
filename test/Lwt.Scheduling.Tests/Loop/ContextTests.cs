using System.Collections.Concurrent;

namespace Lwt.Tests.Loop;

/// <summary>The loop's SynchronizationContext and TaskScheduler, and Task-based code on the loop.</summary>
public class ContextTests
{
    [Fact]
    public void Post_from_any_thread_runs_on_the_loop_thread()
    {
        LoopTest.OnFreshThread(() =>
        {
            const int Threads = 4, PerThread = 1000;
            int count = 0, wrongThread = 0;
            int loopThread = Environment.CurrentManagedThreadId;
            LwtMain.Run(() =>
            {
                var sc = SynchronizationContext.Current!;
                var (done, r) = Promise.Create();
                SendOrPostCallback cb = _ =>
                {
                    if (Environment.CurrentManagedThreadId != loopThread) wrongThread++;
                    if (++count == Threads * PerThread + 1) r.Resolve();
                };
                sc.Post(cb, null); // from the loop thread itself
                for (int t = 0; t < Threads; t++)
                    new Thread(() =>
                    {
                        for (int i = 0; i < PerThread; i++) sc.Post(cb, null);
                    }) { IsBackground = true }.Start();
                return done;
            });
            Assert.Equal(Threads * PerThread + 1, count);
            Assert.Equal(0, wrongThread);
        });
    }

    [Fact]
    public void Send_runs_inline_on_the_loop_thread()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var sc = SynchronizationContext.Current!;
                int ranOn = 0;
                sc.Send(_ => ranOn = Environment.CurrentManagedThreadId, null);
                Assert.Equal(Environment.CurrentManagedThreadId, ranOn); // already ran: inline
                var boom = new InvalidOperationException("send");
                Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => sc.Send(_ => throw boom, null)));
                return Promise.ReturnUnit;
            });
        });
    }

    [Fact]
    public void Send_from_another_thread_blocks_until_the_loop_has_run_it()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int ranOn = 0;
            bool seenAfterSend = false;
            Exception? rethrown = null;
            var boom = new FormatException("from send");
            LwtMain.Run(() =>
            {
                var sc = SynchronizationContext.Current!;
                var (done, r) = Promise.Create();
                var sender = new Thread(() =>
                {
                    sc.Send(_ =>
                    {
                        Thread.Sleep(20); // the sender must still be waiting
                        ranOn = Environment.CurrentManagedThreadId;
                    }, null);
                    seenAfterSend = ranOn != 0;
                    rethrown = Record.Exception(() => sc.Send(_ => throw boom, null));
                    sc.Post(_ => r.Resolve(), null);
                }) { IsBackground = true };
                sender.Start();
                return done;
            });
            Assert.Equal(loopThread, ranOn);
            Assert.True(seenAfterSend);
            Assert.Same(boom, rethrown);
        });
    }

    [Fact]
    public void The_context_is_one_per_loop()
    {
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var loop = EventLoop.Current!;
                var sc = SynchronizationContext.Current!;
                Assert.Same(loop.SynchronizationContext, sc);
                Assert.Same(sc, sc.CreateCopy());
                Assert.Same(loop, ((LwtSynchronizationContext)sc).Loop);
                Assert.Same(loop, ((LwtTaskScheduler)loop.TaskScheduler).Loop);
                Assert.Equal(1, loop.TaskScheduler.MaximumConcurrencyLevel);
                Assert.Throws<ArgumentNullException>(() => sc.Post(null!, null));
                Assert.Throws<ArgumentNullException>(() => loop.Post(null!));
                return Promise.ReturnUnit;
            });
        });
    }

    [Fact]
    public void The_task_scheduler_runs_tasks_on_the_loop_thread_only()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            var ranOn = new ConcurrentBag<int>();
            LwtMain.Run(async () =>
            {
                var ts = EventLoop.Current!.TaskScheduler;
                // queued from pool threads
                var fromPool = await Task.Run(() => Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
                    Task.Factory.StartNew(() => Environment.CurrentManagedThreadId, CancellationToken.None, TaskCreationOptions.None, ts))));
                foreach (var id in fromPool) ranOn.Add(id);

                // a task on the scheduler sees it as TaskScheduler.Current, and its awaits stay on the loop
                int inner = await Task.Factory.StartNew(async () =>
                {
                    Assert.Same(ts, TaskScheduler.Current);
                    await Task.Yield();
                    ranOn.Add(Environment.CurrentManagedThreadId);
                    await Task.Delay(5);
                    return Environment.CurrentManagedThreadId;
                }, CancellationToken.None, TaskCreationOptions.None, ts).Unwrap();
                ranOn.Add(inner);

                // inlined on the loop thread
                var t = new Task<int>(() => Environment.CurrentManagedThreadId);
                t.RunSynchronously(ts);
                Assert.True(t.IsCompleted);
                ranOn.Add(t.Result);
            });
            Assert.All(ranOn, id => Assert.Equal(loopThread, id));
            Assert.Equal(103, ranOn.Count);
        });
    }

    [Fact]
    public void A_task_waited_for_from_another_thread_is_not_inlined_there()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            int ranOn = 0;
            LwtMain.Run(() =>
            {
                var ts = EventLoop.Current!.TaskScheduler;
                var (done, r) = Promise.Create();
                new Thread(() =>
                {
                    var t = new Task<int>(() => Environment.CurrentManagedThreadId);
                    t.Start(ts);
                    t.Wait(); // may try to inline here: the scheduler refuses off the loop
                    ranOn = t.Result;
                    ((LwtTaskScheduler)ts).Loop.Post(() => r.Resolve()); // resolvers belong to the loop: post
                }) { IsBackground = true }.Start();
                return done;
            });
            Assert.Equal(loopThread, ranOn);
        });
    }

    [Fact]
    public void Awaiting_tasks_in_loop_code_resumes_on_the_loop_thread()
    {
        LoopTest.OnFreshThread(() =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            var seen = new List<int>();
            LwtMain.Run(async () =>
            {
                for (int i = 0; i < 10; i++)
                {
                    await Task.Delay(1);
                    seen.Add(Environment.CurrentManagedThreadId);
                    await Task.Run(() => Thread.Sleep(1));
                    seen.Add(Environment.CurrentManagedThreadId);
                    await TaskBased();
                    seen.Add(Environment.CurrentManagedThreadId);
                }
            });
            Assert.Equal(30, seen.Count);
            Assert.All(seen, id => Assert.Equal(loopThread, id));
        });

        static async Task TaskBased()
        {
            await Task.Yield();
            await Task.Delay(1);
        }
    }
}
