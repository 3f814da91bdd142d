using System.IO.Pipes;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// Work that a worker or a signal delivers to a loop whose thread has ended (a host's loop after
/// the host was disposed): EventLoop.Post refuses such a loop, so a Detach finishing then threw
/// on its worker thread, and a SIGCHLD for one of its children on the runtime's signal thread,
/// both ending the process; a blocking LwtUnix call's result was queued where nothing would run
/// it, its promise pending for ever (diff25 user2 trial: an ASP.NET host stopped mid-load).
/// README: once its loop has stopped, a promise left pending is used directly by whichever
/// thread touches it; work reaching it from another thread is never lost.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class EndedLoopWorkerTests
{
    private static Promise<T> OnLoopThatEnds<T>(Func<Promise<T>> start)
    {
        Promise<T>? p = null;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            p = start();
            return Promise.Pause();
        }));
        Assert.NotNull(p);
        return p!;
    }

    // A hang guard only: the promise is resolved by another thread, there is nothing to await it with.
    private static void WaitResolved(Promise p) =>
        Assert.True(SpinWait.SpinUntil(() => !p.IsPending, TimeSpan.FromSeconds(20)), "the promise stayed pending");

    [Fact]
    public void DetachWhoseLoopThreadHasEndedResolvesItsPromiseOnTheWorker()
    {
        using var gate = new ManualResetEventSlim();
        var p = OnLoopThatEnds(() => LwtPreemptive.Detach(() =>
        {
            gate.Wait();
            return 42;
        }));
        var failing = OnLoopThatEnds(() => LwtPreemptive.Detach<int>(() =>
        {
            gate.Wait();
            throw new FormatException("job");
        }));
        Assert.True(p.IsPending);
        gate.Set();
        WaitResolved(p);
        WaitResolved(failing);
        Assert.Equal(42, p.Value);
        Assert.IsType<FormatException>(failing.Exception);
    }

    [SkippableFact]
    public void BlockingCallWhoseLoopThreadHasEndedResolvesItsPromise()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = Directory.CreateTempSubdirectory("lwt_ended_loop_").FullName;
        string fifo = Path.Combine(dir, "fifo");
        try
        {
            using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)) mk.WaitForExit();
            // open(2) of a FIFO for reading blocks on the worker until a writer opens it.
            var p = OnLoopThatEnds(() => LwtUnix.OpenFile(fifo, OpenFlags.ReadOnly));
            Assert.True(p.IsPending);
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            WaitResolved(p);
            Assert.True(p.IsFulfilled, p.Exception?.ToString());
            p.Value.Dispose();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void ChildOfALoopWhoseThreadHasEndedIsReapedWhenItExits()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        using var stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        // The child exits at end of its input, which comes only once the loop's thread has ended.
        var p = OnLoopThatEnds(() => LwtProcess.Exec(ProcessCommand.Of("cat"), stdin: ProcessRedirection.FdCopy(stdin.ClientSafePipeHandle), stdout: ProcessRedirection.DevNull));
        stdin.DisposeLocalCopyOfClientHandle();
        Assert.True(p.IsPending);
        stdin.Dispose();
        WaitResolved(p);
        Assert.True(p.IsFulfilled, p.Exception?.ToString());
        Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 0), p.Value);
    }
}
