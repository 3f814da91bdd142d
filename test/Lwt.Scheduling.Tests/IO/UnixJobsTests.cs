using System.Runtime.InteropServices;
using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// WaitForJobs, CancelJobs and AbortJobs over real jobs that block on something the test
/// controls: a read of a pipe wrapped as blocking (a job on the worker pool that returns when
/// the test writes), and an open of a FIFO (which returns when the test opens the other end).
/// The collection runs alone: the tests replace the async exception hook and the pool's bounds
/// (raised so that a worker left blocked by some other test cannot starve these jobs), and each
/// loop runs on a fresh thread, whose registry of jobs starts empty.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class UnixJobsTests
{
    /// <summary>A pipe whose read end is blocking: a read of it is a job that blocks its worker until data comes.</summary>
    private static (LwtFd Reader, LwtFd Writer) BlockingPipe()
    {
        var (r, w) = LwtUnix.Pipe();
        LwtUnix.SetBlocking(r, true);
        r.AssumeAlwaysReady(); // a blocking pipe's read waits for data before its job starts: skip that wait
        Assert.True(r.IsBlocking);
        return (r, w);
    }

    /// <summary>Runs <paramref name="body"/> on a fresh thread's loop, with room for a few more workers than are busy now.</summary>
    private static void OnLoop(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes and FIFOs");
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            LwtPreemptive.SetBounds(min, Math.Max(max, LwtPreemptive.NbThreadsBusy + 4));
            LoopTest.OnFreshThread(() => LwtMain.Run(body));
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }

    /// <summary>Waits (on the loop) until this loop has dropped <paramref name="count"/> late completions of aborted jobs.</summary>
    private static async Promise LateCompletions(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LwtUnix.t_lateJobCompletions < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{LwtUnix.t_lateJobCompletions} late completion(s) after 10 s, expected {count}; busy workers: {LwtPreemptive.NbThreadsBusy}, queued jobs: {LwtPreemptive.QueuedJobs}");
            await LwtUnix.Sleep(0.005);
        }

        Assert.Equal(count, LwtUnix.t_lateJobCompletions);
    }

    [SkippableFact]
    public void WaitForJobsResolvesOnlyAfterThePendingJobsFinished()
    {
        OnLoop(async () =>
        {
            var (r, w) = BlockingPipe();
            using var _r = r;
            using var _w = w;
            Assert.Equal(PromiseState.Fulfilled, LwtUnix.WaitForJobs().State); // nothing pending

            var buffer = new byte[4];
            var read = LwtUnix.Read(r, buffer);
            var stat = LwtUnix.Stat(Path.GetTempPath());
            Assert.InRange(LwtUnix.PendingJobCount, 1, 2); // the stat may be done already
            var all = LwtUnix.WaitForJobs();

            await stat;
            // The read cannot end without data: whatever the loop does meanwhile, both wait.
            for (int i = 0; i < 10; i++) await Promise.Pause();
            await LwtUnix.Sleep(0.02);
            Assert.True(read.IsPending);
            Assert.True(all.IsPending);

            await LwtUnix.Write(w, new byte[] { 42 });
            await all;
            Assert.Equal(PromiseState.Fulfilled, read.State);
            Assert.Equal(1, await read);
            Assert.Equal(42, buffer[0]);
            Assert.Equal(0, LwtUnix.PendingJobCount);
        });
    }

    [SkippableFact]
    public void WaitForJobsIsFulfilledEvenWhenAJobFails()
    {
        OnLoop(async () =>
        {
            var missing = LwtUnix.Stat(Path.Combine(Path.GetTempPath(), "lwt-no-such-" + Guid.NewGuid().ToString("N")));
            var all = LwtUnix.WaitForJobs();
            Assert.Equal(2 /* ENOENT */, Errno(await Record(missing)));
            await all;
            Assert.Equal(PromiseState.Fulfilled, all.State);
        });
    }

    [SkippableFact]
    public void CancelJobsRejectsPendingJobsAndTheirLateCompletionIsHarmless()
    {
        var hooked = new List<Exception>();
        LoopTest.WithExceptionHook(hooked.Add, () => OnLoop(async () =>
        {
            var (r, w) = BlockingPipe();
            using var _r = r;
            using var _w = w;
            var buffer = new byte[4];
            var read = LwtUnix.Read(r, buffer);
            Assert.Equal(1, LwtUnix.PendingJobCount);

            LwtUnix.CancelJobs();
            Assert.IsType<CanceledException>(await Record(read));
            Assert.Equal(0, LwtUnix.PendingJobCount);
            Assert.Equal(PromiseState.Fulfilled, LwtUnix.WaitForJobs().State);

            await LwtUnix.Write(w, new byte[] { 7 }); // the canceled read ends on its worker...
            await LateCompletions(1);                  // ...and its completion reaches the loop
            Assert.Equal(7, buffer[0]);
            Assert.IsType<CanceledException>(await Record(read)); // it changed nothing
            Assert.Equal(0, LwtUnix.PendingJobCount);
        }));

        Assert.Empty(hooked);
    }

    [SkippableFact]
    public void AbortJobsRejectsWithTheGivenExceptionAndDisposesALateResult()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs");
        string dir = TempDir();
        var hooked = new List<Exception>();
        try
        {
            string fifo = Path.Combine(dir, "fifo");
            var abort = new IOException("shutting down");
            LoopTest.WithExceptionHook(hooked.Add, () => OnLoop(async () =>
            {
                await LwtUnix.Mkfifo(fifo, 0b110_000_000);
                // open(O_RDONLY) of a FIFO blocks its worker until a writer opens it.
                var open = LwtUnix.OpenFile(fifo, OpenFlags.ReadOnly);
                var all = LwtUnix.WaitForJobs();
                LwtUnix.AbortJobs(abort);
                Assert.Same(abort, await Record(open));
                await all; // aborted counts as terminated
                Assert.Equal(0, LwtUnix.PendingJobCount);

                // Open the writing end without blocking: ENXIO until the job's open(2) is waiting
                // for a writer, then both opens complete.
                int writer;
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while ((writer = LibC.Open(fifo, (int)(OpenFlags.WriteOnly | OpenFlags.NonBlock) | LibC.O_CLOEXEC, 0)) < 0)
                {
                    Assert.Equal(6 /* ENXIO */, Marshal.GetLastPInvokeError());
                    Assert.True(DateTime.UtcNow < deadline, $"the aborted open never reached open(2); busy workers: {LwtPreemptive.NbThreadsBusy}");
                    await LwtUnix.Sleep(0.005);
                }

                try
                {
                    // The open's LwtFd reaches the loop with nobody to take it, and is closed
                    // there: a write then finds no reader (EPIPE; the runtime ignores SIGPIPE).
                    await LateCompletions(1);
                    Assert.True(LibC.Write(writer, new byte[] { 1 }) < 0, "the aborted open's descriptor is still open");
                    Assert.Equal(32 /* EPIPE */, Marshal.GetLastPInvokeError());
                }
                finally
                {
                    LibC.Close(writer);
                }

                Assert.Same(abort, await Record(open));
            }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        Assert.Empty(hooked);
    }

    [SkippableFact]
    public void JobsBelongToTheLoopThatStartedThem()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        using var started = new ManualResetEventSlim();
        using var otherDone = new ManualResetEventSlim();
        int otherCount = -1;
        var other = new Thread(() =>
        {
            started.Wait(10_000);
            // Another loop: it has no jobs, and canceling its jobs leaves the first loop's alone.
            LwtMain.Run(() =>
            {
                otherCount = LwtUnix.PendingJobCount;
                LwtUnix.CancelJobs();
                return LwtUnix.WaitForJobs();
            });
            LwtEngine.Current.Dispose();
            otherDone.Set();
        });

        OnLoop(async () =>
        {
            var (r, w) = BlockingPipe();
            using var _r = r;
            using var _w = w;
            var read = LwtUnix.Read(r, new byte[1]);
            other.Start();
            started.Set();
            Assert.True(otherDone.Wait(10_000));
            Assert.Equal(0, otherCount);
            Assert.True(read.IsPending);
            Assert.Equal(1, LwtUnix.PendingJobCount);
            await LwtUnix.Write(w, new byte[] { 1 });
            Assert.Equal(1, await read);
        });
        other.Join();
    }

    [SkippableFact]
    public void DetachedFunctionsAreNotJobs()
    {
        using var release = new ManualResetEventSlim();
        OnLoop(async () =>
        {
            var detached = LwtPreemptive.Detach(() => release.Wait(10_000));
            Assert.Equal(0, LwtUnix.PendingJobCount);
            LwtUnix.AbortJobs(new InvalidOperationException("not for Detach"));
            Assert.Equal(PromiseState.Fulfilled, LwtUnix.WaitForJobs().State);
            Assert.True(detached.IsPending);
            release.Set();
            Assert.True(await detached);
        });
    }

    [SkippableFact]
    public void AbortJobsChecksItsArgumentAndDoesNothingWithoutJobs()
    {
        OnLoop(() =>
        {
            Assert.Throws<ArgumentNullException>(() => LwtUnix.AbortJobs(null!));
            LwtUnix.CancelJobs();
            LwtUnix.AbortJobs(new IOException());
            Assert.Equal(0, LwtUnix.PendingJobCount);
            return LwtUnix.WaitForJobs();
        });
    }
}
