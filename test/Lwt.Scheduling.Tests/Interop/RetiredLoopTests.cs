using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// The window between an EventLoopThread's last iteration and its thread's end: the loop no
/// longer runs, but the thread is alive, so posts were queued for a next run that never came.
/// A detached job's result posted there left its promise pending for ever (13 of 300 disposals
/// in session 29's stress review), and an await's continuation there never ran. The thread
/// now retires its loop before it ends: what was queued runs, what comes later is refused or
/// delivered by its sender (EventLoop.Retire).
/// </summary>
/// <remarks>
/// The window is reached without timing: a loop that fails (its hook throws) leaves a call in
/// flight, which the thread's last act cancels on the loop thread, after the last iteration;
/// that cancel's callback makes the post land there and then.
/// </remarks>
public class RetiredLoopTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30); // hang guard, not a timing

    [Fact]
    public async Task A_detached_jobs_result_posted_after_the_last_iteration_still_resolves_its_promise()
    {
        var lt = new EventLoopThread(asyncExceptionHook: e => throw e);
        var loop = lt.Loop;
        using var jobMayEnd = new ManualResetEventSlim();
        var made = new TaskCompletionSource<Promise<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool posted = false;
        var call = lt.InvokeAsync(() =>
        {
            made.SetResult(LwtPreemptive.Detach(() =>
            {
                jobMayEnd.Wait();
                return 42;
            }));
            var (inFlight, _) = Promise.CreateCancelable<int>();
            inFlight.OnCancel(() =>
            {
                // On the loop thread, the loop stopped for good: the job ends and posts its result.
                jobMayEnd.Set();
                posted = SpinWait.SpinUntil(() => loop.InboxCount > 0, Guard);
            });
            return inFlight;
        });
        var detached = await made.Task.WaitAsync(Guard);
        loop.Post(() => throw new InvalidTimeZoneException("the loop's failure"));
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => lt.Completion.WaitAsync(Guard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.True(posted);
        Assert.Equal(42, await detached.AsTask().WaitAsync(Guard));
        lt.Dispose();
    }

    [Fact]
    public async Task An_await_resuming_after_the_last_iteration_runs_on_the_loops_thread_before_it_ends()
    {
        var lt = new EventLoopThread(asyncExceptionHook: e => throw e);
        var loop = lt.Loop;
        var gate = new TaskCompletionSource(); // completed on the loop thread: the continuation is posted to its context
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int resumedOn = 0;
        SynchronizationContext? resumedUnder = null;
        loop.Post(async () =>
        {
            started.SetResult();
            await gate.Task;
            resumedOn = Environment.CurrentManagedThreadId;
            resumedUnder = SynchronizationContext.Current;
        });
        await started.Task.WaitAsync(Guard);
        var call = lt.InvokeAsync(() =>
        {
            var (inFlight, _) = Promise.CreateCancelable<int>();
            inFlight.OnCancel(() => gate.SetResult());
            return inFlight;
        });
        await lt.InvokeAsync(() => Promise.Pause()).WaitAsync(Guard); // the call is in flight
        int loopThread = await lt.InvokeAsync(() => Promise.Return(Environment.CurrentManagedThreadId)).WaitAsync(Guard);
        loop.Post(() => throw new InvalidTimeZoneException("the loop's failure"));
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => lt.Completion.WaitAsync(Guard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.Equal(loopThread, resumedOn);
        Assert.Same(loop.SynchronizationContext, resumedUnder);
        lt.Dispose();
    }

    [Fact]
    public async Task A_Task_and_a_context_post_queued_from_another_thread_after_the_last_iteration_run_before_the_thread_ends()
    {
        var lt = new EventLoopThread(asyncExceptionHook: e => throw e);
        var loop = lt.Loop;
        Task? queued = null;
        int ranOn = 0, posted = 0;
        var call = lt.InvokeAsync(() =>
        {
            var (inFlight, _) = Promise.CreateCancelable<int>();
            inFlight.OnCancel(() =>
            {
                // On the loop thread, the loop stopped for good; another thread queues now.
                Task.Run(() =>
                {
                    queued = Task.Factory.StartNew(
                        () => ranOn = Environment.CurrentManagedThreadId,
                        CancellationToken.None, TaskCreationOptions.None, loop.TaskScheduler);
                    loop.SynchronizationContext.Post(_ => posted++, null);
                }).Wait();
            });
            return inFlight;
        });
        int loopThread = await lt.InvokeAsync(() => Promise.Return(Environment.CurrentManagedThreadId)).WaitAsync(Guard);
        loop.Post(() => throw new InvalidTimeZoneException("the loop's failure"));
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => lt.Completion.WaitAsync(Guard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.NotNull(queued);
        Assert.Equal(TaskStatus.RanToCompletion, queued!.Status);
        Assert.Equal(loopThread, ranOn);
        Assert.Equal(1, posted);
        lt.Dispose();
    }

    [Fact]
    public async Task Once_retired_a_loop_refuses_posts_and_a_job_ending_later_delivers_its_result_itself()
    {
        var lt = new EventLoopThread();
        var loop = lt.Loop;
        using var jobMayEnd = new ManualResetEventSlim();
        var detached = await lt.InvokeAsync(() => Promise.Return(LwtPreemptive.Detach(() =>
        {
            jobMayEnd.Wait();
            return 7;
        }))).WaitAsync(Guard);
        lt.Dispose();
        Assert.Throws<InvalidOperationException>(() => loop.Post(() => { }));
        jobMayEnd.Set();
        Assert.Equal(7, await detached.AsTask().WaitAsync(Guard));
    }

    /// <summary>
    /// Runs <paramref name="poster"/> on two threads against each of many EventLoopThreads
    /// disposed at once, and counts the posters still blocked when the hang guard ends. Each
    /// poster waits for its action to run (a Send, a RunInMain) until the loop refuses it: a
    /// post that took EventLoop.Post's lock-free path could look before Retire's mark and
    /// enqueue after Retire ran the queues dry, so its sender waited for ever (session 30's
    /// stress: 6 Sends and 2 RunInMains hung in 168 disposals).
    /// </summary>
    private static int PostersHungAcrossDisposals(Action<EventLoopThread, Barrier, Action> poster)
    {
        var posters = new List<ManualResetEventSlim>();
        for (int round = 0; round < 150; round++)
        {
            var lt = new EventLoopThread();
            var go = new Barrier(3);
            for (int k = 0; k < 2; k++)
            {
                var done = new ManualResetEventSlim();
                posters.Add(done);
                new Thread(() => poster(lt, go, done.Set)) { IsBackground = true }.Start();
            }
            // A poster that never got to start (a RunInMain job waiting for a worker that an
            // earlier hung job holds) counts as the rest hung.
            if (!go.SignalAndWait(Guard)) return 2 * 150 - posters.Count(d => d.IsSet);
            lt.Dispose();
        }
        var deadline = DateTime.UtcNow + Guard;
        int hung = 0;
        foreach (var done in posters)
        {
            var left = deadline - DateTime.UtcNow;
            if (!done.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero)) hung++;
        }
        return hung;
    }

    [Fact]
    public void A_Send_from_another_thread_racing_the_threads_end_runs_or_throws_and_never_waits_for_ever()
    {
        int refused = 0;
        int hung = PostersHungAcrossDisposals((lt, go, done) =>
        {
            go.SignalAndWait();
            try
            {
                for (int i = 0; i < 1_000_000; i++) lt.Loop.SynchronizationContext.Send(static _ => { }, null);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref refused); // the loop's thread is ending or gone
            }
            done();
        });
        Assert.Equal(0, hung);
        Assert.Equal(300, refused);
    }

    [Fact]
    public void RunInMain_racing_the_end_of_the_thread_of_the_loop_that_detached_the_job_runs_or_throws_and_never_waits_for_ever()
    {
        int refused = 0;
        int hung = PostersHungAcrossDisposals((lt, go, done) =>
            // The job starts before the disposal (the barrier waits for it) and posts until refused.
            lt.InvokeAsync(() => Promise.Return(LwtPreemptive.Detach(() =>
            {
                go.SignalAndWait();
                try
                {
                    for (int i = 0; i < 1_000_000; i++) LwtPreemptive.RunInMain(() => Promise.Return(i));
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused); // the loop's thread is ending or gone
                }
                done();
            }))));
        Assert.Equal(0, hung);
        Assert.Equal(300, refused);
    }
}
