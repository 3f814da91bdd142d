using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Work queued to a loop whose thread has ended (an EventLoopThread after Dispose): nothing
/// could ever run it. EventLoop.Post and the TaskScheduler refuse it (before, a Task started
/// on the scheduler stayed WaitingToRun for ever); the SynchronizationContext's Post drops it,
/// because an exception there reaches .NET's await machinery, which ends the process.
/// </summary>
public class EndedLoopContextTests
{
    [Fact]
    public void Post_to_a_loop_whose_thread_has_ended_throws_and_its_context_drops_the_callback()
    {
        var thread = new EventLoopThread();
        var loop = thread.Loop;
        thread.Dispose(); // joins the thread
        int ran = 0;
        Assert.Throws<InvalidOperationException>(() => loop.Post(() => ran++));
        loop.SynchronizationContext.Post(_ => ran++, null); // dropped, no exception
        Assert.Equal(0, ran);
    }

    // An await that captured the loop's context and resumes after the thread ended: its
    // continuation's Post runs inside SetResult below. Had it thrown, .NET's
    // AwaitTaskContinuation would have rethrown it on the thread pool and ended the test host
    // (checked by hand: exit 134 with the throwing Post of the stress review's first fix).
    [Fact]
    public async Task Await_resuming_after_the_loops_thread_ended_is_dropped_without_ending_the_process()
    {
        var gate = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        int resumed = 0;
        var thread = new EventLoopThread();
        thread.Loop.Post(async () =>
        {
            started.SetResult();
            await gate.Task;
            resumed++;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        thread.Dispose();
        gate.SetResult(); // runs the continuation's Post here, synchronously
        var after = new TaskCompletionSource();
        ThreadPool.QueueUserWorkItem(_ => after.SetResult()); // a pool item queued behind any rethrow
        await after.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, resumed);
    }

    [Fact]
    public void A_Task_started_on_the_scheduler_of_a_loop_whose_thread_has_ended_fails_to_start_instead_of_waiting_for_ever()
    {
        var thread = new EventLoopThread();
        var scheduler = thread.Loop.TaskScheduler;
        thread.Dispose();
        Exception? thrown = null;
        try
        {
            _ = Task.Factory.StartNew(() => { }, CancellationToken.None, TaskCreationOptions.None, scheduler);
        }
        catch (Exception e)
        {
            thrown = e;
        }
        var refused = Assert.IsType<TaskSchedulerException>(thrown);
        Assert.IsType<InvalidOperationException>(refused.InnerException);
        var continuation = Task.CompletedTask.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, scheduler);
        Assert.True(((IAsyncResult)continuation).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the continuation never ended"); // hang guard
        Assert.True(continuation.IsFaulted);
        // Observed: left unobserved, the faulted Task's finalizer raises UnobservedTaskException,
        // which the tests that count unobserved exceptions (RaceTests) pick up when they run beside this one.
        Assert.IsType<TaskSchedulerException>(continuation.Exception!.InnerException);
    }
}
