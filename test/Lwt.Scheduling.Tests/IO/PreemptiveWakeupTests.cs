using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// Jobs queued in a row while one worker is idle: each must get a worker while the pool is
/// below its maximum. (The pool once pulsed the same idle worker for both, so the second job
/// waited for the first to end: a deadlock when the first waits for the second, as a blocking
/// read waits for the write that a later job makes.) The bounds are process-wide, hence the
/// collection that runs alone.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class PreemptiveWakeupTests
{
    [Fact]
    public void TwoJobsQueuedInARowWithOneIdleWorkerRunAtTheSameTime()
    {
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            LwtPreemptive.SetBounds(0, 4);
            for (int round = 0; round < 20; round++)
            {
                using var secondRan = new ManualResetEventSlim();
                LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
                {
                    // Leave exactly the workers that exist idle, then queue two jobs at once.
                    await LwtPreemptive.Detach(() => 0);
                    var first = LwtPreemptive.Detach(() => secondRan.Wait(10_000));
                    var second = LwtPreemptive.Detach(() =>
                    {
                        secondRan.Set();
                        return true;
                    });
                    Assert.True(await first, $"round {round}: the second job did not run while the first held a worker (busy {LwtPreemptive.NbThreadsBusy}, threads {LwtPreemptive.NbThreads}, queued {LwtPreemptive.QueuedJobs})");
                    Assert.True(await second);
                }));
            }
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }

    // A job whose loop's thread ended before the job did posts its result to a loop that will
    // never run again. That post must not throw on the worker (EventLoop.Post refuses a loop
    // whose thread has ended; the library's own deliveries take TryPostUnlessEnded and resolve
    // on the worker then): a throw there released the worker's busy count twice and escaped
    // the worker thread.
    [Fact]
    public void AJobWhoseLoopThreadEndedFinishesQuietlyAndLeavesThePoolAsItWas()
    {
        using var gate = new ManualResetEventSlim();
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            LwtPreemptive.Detach(() => gate.Wait(30_000)); // not awaited: the run ends first
            return Promise.ReturnUnit;
        }));
        gate.Set(); // the job ends now, its loop's thread long gone
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            for (int i = 0; i < 100 && LwtPreemptive.NbThreadsBusy > 0; i++)
                await LwtPreemptive.Detach(() => Thread.Sleep(1)); // until the first job has left its worker
            Assert.Equal(0, LwtPreemptive.NbThreadsBusy);
            Assert.Equal(7, await LwtPreemptive.Detach(() => 7));
        }));
    }
}
