using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// Pins the documented exceptions of the process, signal, thread-offload and engine members whose
/// XML docs the doc audit completed (each test names the member and the claim).
/// </summary>
[Collection("IO")]
public class DocAuditProcTests
{
    // LwtProcess.OpenProcessIn/OpenProcess: UnixErrorException at the call for a child that cannot start.
    [SkippableFact]
    public void OpenProcessOfAMissingProgramThrowsUnixErrorExceptionAtTheCall()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var missing = ProcessCommand.Of("/nonexistent/lwt-doc-audit");
        Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcessIn(missing));
        Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcess(missing));
        Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcessIn(ProcessCommand.Of("true"), cwd: "/nonexistent/lwt-doc-audit"));
    }

    // LwtProcess.OpenProcessNone: ObjectDisposedException at the call for a closed redirection wrapper.
    [SkippableFact]
    public void OpenProcessWithAClosedRedirectionThrowsObjectDisposedExceptionAtTheCall()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var (r, w) = LwtUnix.PipeIn();
        r.Dispose();
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => LwtProcess.OpenProcessNone(ProcessCommand.Of("true"), stdout: ProcessRedirection.FdCopy(w)));
    }

    // LwtPreemptive.RunInMainDontWait: InvalidOperationException at the call outside a detached job.
    [Fact]
    public void RunInMainDontWaitOutsideADetachedJobThrows()
    {
        Assert.Throws<InvalidOperationException>(() => LwtPreemptive.RunInMainDontWait(() => Promise.ReturnUnit));
    }

    // LwtEngine.OnReadable/OnWritable/OnTimer: ObjectDisposedException on a disposed engine.
    [SkippableFact]
    public void RegistrationsOnADisposedEngineThrowObjectDisposedException()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        foreach (LwtEngine engine in new LwtEngine[] { new EpollEngine(), new PollEngine() })
        {
            engine.Dispose();
            Assert.Throws<ObjectDisposedException>(() => engine.OnReadable(0, _ => { }));
            Assert.Throws<ObjectDisposedException>(() => engine.OnWritable(1, _ => { }));
            Assert.Throws<ObjectDisposedException>(() => engine.OnTimer(1, false, _ => { }));
        }
    }

    // LwtUnix.Wait4 with NoHang on a running child: pid 0, status Exited 0, zero usage (Unix.waitpid's answer).
    [SkippableFact]
    public void Wait4NoHangOnARunningChildAnswersPidZeroAndExitedZero()
    {
        ProcessAuditTests.Run(async () =>
        {
            var p = LwtProcess.OpenProcessNone(LwtProcess.Shell("sleep 5"));
            try
            {
                var r = await LwtUnix.Wait4(p.Pid, WaitFlags.NoHang);
                Assert.Equal(0, r.Pid);
                Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 0), r.Status);
                Assert.Equal(default, r.Usage);
            }
            finally
            {
                p.Terminate();
                await p.Close();
            }
        });
    }
}

/// <summary>
/// The signal claim of the doc audit, in the collection of the signal tests, which runs alone:
/// it compares the process-wide <see cref="LwtUnix.SignalCount"/>.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class DocAuditSignalTests
{
    // LwtUnix.OnSignal: signals 32 and 33 pass the 1..64 check, and sigaction refuses them (glibc's own).
    [SkippableFact]
    public void OnSignalOfASignalTheCLibraryKeepsThrowsUnixErrorExceptionAndInstallsNothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        int before = LwtUnix.SignalCount();
        foreach (int signum in new[] { 32, 33 })
        {
            var e = Assert.Throws<UnixErrorException>(() => LwtUnix.OnSignal(signum, _ => { }));
            Assert.Equal(22, e.Errno); // EINVAL
        }

        Assert.Equal(before, LwtUnix.SignalCount());
    }
}
