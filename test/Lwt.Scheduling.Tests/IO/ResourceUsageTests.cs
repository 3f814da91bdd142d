using System.Runtime.InteropServices;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.Wait4 (Lwt_unix.wait4: waitpid plus the child's resource_usage) and
/// LwtProcessBase.Rusage (lwt_process's process#rusage, from the same wait4 as #status).
/// </summary>
[Collection("IO")]
public class ResourceUsageTests
{
    /// <summary>A shell loop that keeps the CPU busy for a moment (a few hundred thousand steps).</summary>
    private static readonly ProcessCommand Busy =
        ProcessCommand.Of("/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exit 4");

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int sig);

    private static int Spawn(ProcessCommand command) =>
        LwtProcess.Spawn(command, null, null, ProcessRedirection.Keep, ProcessRedirection.Keep, ProcessRedirection.Keep);

    // lwt_unix.mli wait4: the pid, the status, and the user and system time the child used.
    [SkippableFact]
    public void Wait4ReportsTheStatusAndTheTimeUsed()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int child = Spawn(Busy);
            var (pid, status, usage) = await LwtUnix.WithTimeout(60, () => LwtUnix.Wait4(child));
            Assert.Equal(child, pid);
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 4), status);
            Assert.True(usage.UserTime >= 0 && usage.SystemTime >= 0, usage.ToString());
            Assert.True(usage.UserTime + usage.SystemTime > 0, usage.ToString());
        });
    }

    // Unix.wait4 [WNOHANG]: pid 0 while the child runs; a death by signal is WSIGNALED.
    [SkippableFact]
    public void Wait4NoHangAndSignals()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int sleeper = Spawn(ProcessCommand.Of("/bin/sleep", "30"));
            var (none, _, idle) = await LwtUnix.Wait4(sleeper, WaitFlags.NoHang);
            Assert.Equal(0, none);
            Assert.Equal(default, idle);
            var waiting = LwtUnix.Wait4(sleeper);
            Kill(sleeper, 9);
            var (pid, status, _) = await LwtUnix.WithTimeout(30, () => waiting);
            Assert.Equal(sleeper, pid);
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), status);
            var again = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.Wait4(sleeper, WaitFlags.NoHang));
            Assert.Equal((10, "wait4"), (again.Errno, again.Function)); // ECHILD: reaped once
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Wait4(0));
        });
    }

    // WaitPid, now reaping through wait4 too, still answers the pid and status, and names
    // itself in its errors.
    [SkippableFact]
    public void WaitPidKeepsWorking()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int child = Spawn(ProcessCommand.Of("/bin/sh", "-c", "exit 6"));
            var (pid, status) = await LwtUnix.WithTimeout(30, () => LwtUnix.WaitPid(child));
            Assert.Equal((child, new ProcessStatus(ProcessStatusKind.Exited, 6)), (pid, status));
            var e = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.WaitPid(child));
            Assert.Equal((10, "waitpid"), (e.Errno, e.Function));
        });
    }

    // lwt_process: #rusage and #status are two views of the one wait4; both resolve, the
    // usage being there when the status is, and neither is canceled through its view.
    [SkippableFact]
    public void RusageAndStatusOfTheSameProcessBothResolve()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var process = LwtProcess.OpenProcessNone(Busy);
            var rusage = process.Rusage;
            bool usageFirst = false;
            process.Status.OnSuccess(_ => usageFirst = rusage.IsFulfilled);
            rusage.Cancel();
            Assert.True(rusage.IsPending);
            var status = await LwtUnix.WithTimeout(60, () => process.Status);
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 4), status);
            Assert.True(usageFirst);
            var usage = await process.Rusage;
            Assert.True(usage.UserTime + usage.SystemTime > 0, usage.ToString());
            Assert.Equal(status, await process.Close());
            Assert.Equal(usage, await process.Rusage);
        });
    }

    // process#rusage of a process with pipes, after close (which waits for the same reaping).
    [SkippableFact]
    public void RusageAfterClose()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var process = LwtProcess.OpenProcessIn(ProcessCommand.Of("/bin/sh", "-c", "echo hi"));
            Assert.Equal("hi", await process.Stdout.ReadLine());
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 0), await LwtUnix.WithTimeout(30, () => process.Close()));
            var usage = await process.Rusage;
            Assert.True(usage.UserTime >= 0 && usage.SystemTime >= 0, usage.ToString());
        });
    }
}
