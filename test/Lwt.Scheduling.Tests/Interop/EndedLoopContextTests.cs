using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Work queued through the SynchronizationContext or the TaskScheduler of a loop whose thread
/// has ended (an EventLoopThread after Dispose) is refused, as EventLoop.Post refuses it:
/// nothing could ever run it. Before, the context's Post returned as if queued and the
/// callback never ran, and a Task started on the scheduler stayed WaitingToRun for ever.
/// </summary>
public class EndedLoopContextTests
{
    [Fact]
    public void Post_to_the_context_of_a_loop_whose_thread_has_ended_throws_as_EventLoop_Post_does()
    {
        var thread = new EventLoopThread();
        var loop = thread.Loop;
        thread.Dispose(); // joins the thread
        int ran = 0;
        Assert.Throws<InvalidOperationException>(() => loop.Post(() => ran++));
        Assert.Throws<InvalidOperationException>(() => loop.SynchronizationContext.Post(_ => ran++, null));
        Assert.Equal(0, ran);
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
    }
}
