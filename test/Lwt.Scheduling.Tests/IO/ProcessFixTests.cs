using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lwt.Tests.IO;

/// <summary>
/// The fixes of the second process audit: the errno of a failed call read before its argument
/// is formatted; waits that work with SIGCHLD ignored; a NaN timeout refused before the spawn;
/// unreachable channels closed by the GC (Lwt's Gc.finalise); execvp's /bin/sh fallback for a
/// script without #!; FdMove descriptors closed when the spawn fails, and a bad cwd named.
/// </summary>
[Collection("IO")]
public class ProcessFixTests
{
    private const int ENOENT = 2;
    private const int EBADF = 9;
    private const int ECHILD = 10;
    private const int ENOTDIR = 20;
    private const int EINVAL = 22;
    private const int SIGCHLD = 17;

    /// <summary>Runs <paramref name="body"/> on a loop with <see cref="ProcessAuditTests"/>' 15 s hang guard.</summary>
    private static void Run(Func<Promise> body) => ProcessAuditTests.Run(body);

    private static ProcessStatus Exited(int code) => ProcessAuditTests.Exited(code);

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"lwt-process-fix-{Guid.NewGuid():N}");

    // ==== 1. the errno is read before the argument is formatted =============================

    /// <summary>An argument whose formatting makes a failing P/Invoke of its own (ENOENT), as the first invariant-culture formatting of an int does.</summary>
    private sealed class Clobbering
    {
        public override string ToString()
        {
            Assert.NotEqual(0, LibC.Access("/no/such/file/for/lwt", 0));
            Assert.Equal(ENOENT, Marshal.GetLastPInvokeError());
            return "clobbered";
        }
    }

    [SkippableFact]
    public void FromLastErrorReadsTheErrnoBeforeFormattingTheArgument()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Assert.NotEqual(0, LibC.Close(-1)); // EBADF
        var e = UnixErrorException.FromLastError("close", new Clobbering());
        Assert.Equal(EBADF, e.Errno);
        Assert.Equal("clobbered", e.Argument);

        Assert.NotEqual(0, LibC.Close(-1));
        var n = UnixErrorException.FromLastError("kill", -12345);
        Assert.Equal(EBADF, n.Errno);
        Assert.Equal("-12345", n.Argument); // invariant culture, whatever the current one
    }

    // The call sites pass the pid or signal number unformatted (the errno is then right even the
    // first time in a process, which this process, warmed up by other tests, cannot show).
    [SkippableFact]
    public void KillAndWaitPidReportTheirErrnoAndPid()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "5"));
            var kill = Assert.Throws<UnixErrorException>(() => p.Kill(12345));
            Assert.Equal((EINVAL, "kill", p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)), (kill.Errno, kill.Function, kill.Argument));
            p.Terminate();
            await p.Close();

            var wait = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.WaitPid(1, WaitFlags.NoHang));
            Assert.Equal((ECHILD, "waitpid", "1"), (wait.Errno, wait.Function, wait.Argument));
        });
    }

    // ==== 2. SIGCHLD ignored ===================================================================

    [DllImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static extern int SigAction(int signum, byte[]? action, [In, Out] byte[]? oldAction);

    private static byte[] GetSigChld()
    {
        var action = new byte[LibC.SigActionSize];
        Assert.Equal(0, SigAction(SIGCHLD, null, action));
        return action;
    }

    private static void SetSigChld(byte[] action) => Assert.Equal(0, SigAction(SIGCHLD, action, null));

    private static byte[] SigIgn()
    {
        var action = new byte[LibC.SigActionSize];
        BitConverter.TryWriteBytes(action.AsSpan(0, IntPtr.Size), (nint)1); // sa_handler = SIG_IGN
        return action;
    }

    private static nint Handler(byte[] action) => IntPtr.Size == 8 ? (nint)BitConverter.ToInt64(action) : BitConverter.ToInt32(action);

    // lwt_unix.cppo.ml install_sigchld_handler: on_signal Sys.sigchld, a sigaction that replaces
    // SIG_IGN; with SIG_IGN left, the kernel reaps the children itself and sends no SIGCHLD, and
    // Exec never resolved. The watch is made first (as in a process that already waited), then
    // SIGCHLD ignored, as a library or a parent (inherited) would do.
    [SkippableFact]
    public void ChildrenAreWaitedForWhenSigChldIsIgnored()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        byte[]? saved = null;
        try
        {
            Run(async () =>
            {
                Assert.Equal(Exited(0), await LwtProcess.Exec(ProcessCommand.Of("true")));
                saved = GetSigChld();
                SetSigChld(SigIgn());

                // A child still running when its waiter registers, and one done before.
                Assert.Equal(Exited(3), await LwtProcess.Exec(LwtProcess.Shell("sleep 0.05; exit 3")));
                Assert.NotEqual((nint)1, Handler(GetSigChld())); // no longer ignored
                SetSigChld(SigIgn());
                var p = LwtProcess.OpenProcessIn(LwtProcess.Shell("echo out; exit 4"));
                Assert.Equal("out\n", await p.Stdout.Read().Map(b => System.Text.Encoding.UTF8.GetString(b)));
                Assert.Equal(Exited(4), await p.Close());
                Assert.Equal(ProcessState.Exited(Exited(4)), p.State);
                Assert.Equal(Exited(5), await LwtProcess.Exec(LwtProcess.Shell("exit 5")));
            });
        }
        finally
        {
            if (saved is not null) SetSigChld(saved);
        }
    }

    // ==== 3. a NaN timeout ===================================================================

    [SkippableFact]
    public void ANaNTimeoutIsRefusedBeforeTheChildIsStarted()
    {
        Run(async () =>
        {
            await LwtProcess.Exec(ProcessCommand.Of("true")); // the runtime's lazy descriptors
            int waiting = LwtUnix.WaitCount();
            var descriptors = OpenDescriptors.Take();

            Assert.Throws<ArgumentOutOfRangeException>(() => LwtProcess.OpenProcessIn(ProcessCommand.Of("sleep", "1"), timeout: double.NaN));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtProcess.OpenProcessFull(ProcessCommand.Of("sleep", "1"), timeout: double.NaN));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await LwtProcess.Exec(ProcessCommand.Of("sleep", "1"), timeout: double.NaN));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await LwtProcess.PRead(ProcessCommand.Of("sleep", "1"), timeout: double.NaN));

            Assert.Equal(waiting, LwtUnix.WaitCount()); // no child was started, so none is waited for
            descriptors.AssertNoneOpenedSince();
        });
    }

    // ==== 4. unreachable channels are closed ===================================================

    private static HashSet<string> Pipes()
    {
        var pipes = new HashSet<string>();
        foreach (var path in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(path).LinkTarget is { } target && target.StartsWith("pipe:", StringComparison.Ordinal)) pipes.Add(target);
            }
            catch (IOException)
            {
                // closed between the listing and the read
            }
        }

        return pipes;
    }

    /// <summary>Collects and runs the loop until none of <paramref name="pipes"/> is open any more (at most 20 rounds).</summary>
    private static async Promise CollectUntilClosed(HashSet<string> pipes)
    {
        for (int round = 0; round < 20 && Pipes().Overlaps(pipes); round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            for (int i = 0; i < 5; i++) await Promise.Pause(); // the finalisers' posts run on the loop
        }

        Assert.False(Pipes().Overlaps(pipes), $"still open: {string.Join(", ", pipes.Intersect(Pipes()))}");
    }

    /// <summary>Opens a process and drops it, keeping only its status (which does not hold the object).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<ProcessStatus> OpenFullAndDrop() => LwtProcess.OpenProcessFull(ProcessCommand.Of("cat")).Status;

    /// <summary>Reads one line of a stream and drops it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<Option<string>> FirstLineAndDrop() => LwtProcess.PReadLines(ProcessCommand.Of("yes")).Get();

    // lwt_process.cppo.ml, class common: List.iter (Gc.finalise ignore_close) channels. A
    // dropped process object lets go of its three pipes; cat then reads end of file and exits.
    [SkippableFact]
    public void ADroppedProcessObjectClosesItsPipes()
    {
        Run(async () =>
        {
            await LwtProcess.Exec(ProcessCommand.Of("true")); // the runtime's signal pipe, made once
            var before = Pipes();
            var status = OpenFullAndDrop();
            var opened = Pipes();
            opened.ExceptWith(before);
            Assert.Equal(3, opened.Count); // the parent's ends of stdin, stdout, stderr
            await CollectUntilClosed(opened);
            Assert.Equal(Exited(0), await status); // cat got end of file on its stdin
        });
    }

    // recv_lines: Gc.finalise ignore_close ic. A stream not read to its end lets go of the pipe;
    // `yes` then gets EPIPE instead of blocking on the full pipe for ever.
    [SkippableFact]
    public void ADroppedLineStreamClosesItsPipe()
    {
        Run(async () =>
        {
            await LwtProcess.Exec(ProcessCommand.Of("true")); // the runtime's signal pipe, made once
            var before = Pipes();
            Assert.Equal("y", (await FirstLineAndDrop()).Value);
            var opened = Pipes();
            opened.ExceptWith(before);
            Assert.Single(opened); // the parent's end of stdout
            await CollectUntilClosed(opened);
        });
    }

    // ==== 5. a script without #! ===============================================================

    // Lwt execs with execvp, which runs a file refused with ENOEXEC with /bin/sh: argv is
    // /bin/sh, the file's path, then argv[1...] (glibc's maybe_script_execute).
    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void AScriptWithoutShebangRunsWithBinSh()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempPath();
        Directory.CreateDirectory(dir);
        try
        {
            string script = Path.Combine(dir, "script");
            File.WriteAllText(script, "echo \"from-script $0 $# $1\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Run(async () =>
            {
                Assert.Equal($"from-script {script} 1 a b\n", await LwtProcess.PRead(new ProcessCommand(script, ["argv0", "a b"])));
                Assert.Equal("from-script ./script 0 \n", await LwtProcess.PRead(ProcessCommand.Of("./script"), cwd: dir));
                Assert.Equal(Exited(0), await LwtProcess.Exec(ProcessCommand.Of(script), stdout: ProcessRedirection.DevNull));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ==== 6. FdMove on a failed spawn, and a bad cwd ===========================================

    private static string? LinkTarget(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // lwt_process.cppo.ml unix_spawn closes the FD_move descriptors in the parent after its
    // fork, so whether or not the exec succeeds.
    [SkippableFact]
    public void FdMoveIsClosedWhenTheSpawnFails()
    {
        string file = TempPath();
        try
        {
            Run(async () =>
            {
                var handle = File.OpenHandle(file, FileMode.Create, FileAccess.Write);
                var e = await Assert.ThrowsAsync<UnixErrorException>(async () =>
                    await LwtProcess.Exec(ProcessCommand.Of("/no/such/program"), stdout: ProcessRedirection.FdMove(handle)));
                Assert.Equal(ENOENT, e.Errno);
                Assert.True(handle.IsClosed);

                var raw = File.OpenHandle(file, FileMode.Open, FileAccess.Write);
                int fd = (int)raw.DangerousGetHandle();
                raw.SetHandleAsInvalid(); // the raw descriptor is handed over
                Assert.Equal(file, LinkTarget(fd));
                Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcessNone(ProcessCommand.Of("true"), cwd: "/no/such/dir", stderr: ProcessRedirection.FdMove(fd)));
                Assert.NotEqual(file, LinkTarget(fd));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void ABadCwdIsReportedAsTheDirectorysError()
    {
        string file = TempPath();
        File.WriteAllText(file, "");
        try
        {
            Run(async () =>
            {
                var missing = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.Exec(ProcessCommand.Of("true"), cwd: "/no/such/dir"));
                Assert.Equal((ENOENT, "chdir", "/no/such/dir"), (missing.Errno, missing.Function, missing.Argument));
                var notDir = Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcessIn(ProcessCommand.Of("true"), cwd: file));
                Assert.Equal((ENOTDIR, "chdir", file), (notDir.Errno, notDir.Function, notDir.Argument));

                // A good directory: the program is at fault.
                var program = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.Exec(ProcessCommand.Of("/no/such/program"), cwd: "/"));
                Assert.Equal((ENOENT, "posix_spawnp", "/no/such/program"), (program.Errno, program.Function, program.Argument));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }
}
