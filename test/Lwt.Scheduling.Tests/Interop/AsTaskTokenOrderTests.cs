using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// AsTask(token) of a promise of a loop running on another thread: when the token fires, the
/// cancel is on its way to the promise's loop before the Task ends. Ending the Task runs the
/// awaiting code's continuations inline on the token's thread (the Task does not force
/// asynchronous continuations); code that then waits for the loop to finish (it finishes when
/// the cancel reaches the promise) must not hold that thread before the cancel is posted.
/// </summary>
public class AsTaskTokenOrderTests
{
    [Fact]
    public void CancelReachesTheLoopEvenIfTheContinuationWaitsForIt()
    {
        var started = new TaskCompletionSource<Promise<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            var work = Promise.CreateCancelable<int>().Promise;   // only a cancel ends it
            started.SetResult(work);
            return Promise.Catch(() => work, _ => Promise.Return(0));
        }));
        loopThread.IsBackground = true;
        loopThread.Start();
        var promise = started.Task.GetAwaiter().GetResult();

        using var cts = new CancellationTokenSource();
        var task = promise.AsTask(cts.Token);
        bool loopEnded = false;
        // Runs inline where the Task ends (inside cts.Cancel below): waits for the loop, which
        // ends only once Cancel() has reached the promise. 10 s is a hang guard, not a timing.
        var after = task.ContinueWith(
            _ => loopEnded = loopThread.Join(TimeSpan.FromSeconds(10)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        cts.Cancel();
        after.GetAwaiter().GetResult();

        Assert.True(task.IsCanceled);
        Assert.True(loopEnded, "the loop never saw the cancel while the Task's continuation waited for it");
        Assert.True(promise.IsCanceled);
    }
}
