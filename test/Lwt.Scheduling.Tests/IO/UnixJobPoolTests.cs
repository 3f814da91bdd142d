using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's pool functions are views of LwtPreemptive's pool (one pool runs every job). The
/// bounds are process-wide: the collection runs alone and each test puts them back.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class UnixJobPoolTests
{
    [Fact]
    public void PoolSizeIsThePreemptiveMaximumAndSetPoolSizeChangesIt()
    {
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            Assert.Equal(max, LwtUnix.PoolSize());
            LwtPreemptive.SetBounds(2, 5);
            LwtUnix.SetPoolSize(7);
            Assert.Equal((2, 7), LwtPreemptive.GetBounds());
            Assert.Equal(7, LwtUnix.PoolSize());
            LwtUnix.SetPoolSize(1); // below the minimum: the minimum follows
            Assert.Equal((1, 1), LwtPreemptive.GetBounds());
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SetPoolSize(0));
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }

    [Fact]
    public void ThreadCountsSeeABusyWorker()
    {
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            LwtPreemptive.SetBounds(0, 2);
            using var release = new ManualResetEventSlim();
            LoopTest.OnFreshThread(() => LwtMain.Run(() =>
            {
                var job = LwtPreemptive.Detach(() => release.Wait(10_000));
                // A worker exists once Detach returns (started, or an idle one that takes the job).
                Assert.True(LwtUnix.ThreadCount() >= 1);
                release.Set();
                return job.Bind(ok =>
                {
                    Assert.True(ok);
                    Assert.InRange(LwtUnix.ThreadWaitingCount(), 0, LwtUnix.ThreadCount());
                    return Promise.ReturnUnit;
                });
            }));
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }
}
