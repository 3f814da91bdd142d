using System.Diagnostics;
using System.Text;
using Lwt.Tests.Engines;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtProcess checked against lwt_process.mli and, where it is terse, lwt_process.cppo.ml;
/// LwtEngine checked against lwt_engine.mli and lwt_engine.ml (the comments name the source
/// of each expectation). Only programs every Linux has: sh, cat, echo, sleep, true, printf, env.
/// </summary>
[Collection("IO")]
public class ProcessAuditTests
{
    /// <summary>Runs <paramref name="body"/> on a loop, failing (instead of hanging) after 15 s.</summary>
    internal static void Run(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() => Promise.Pick(
            body(),
            LwtUnix.Sleep(15).Bind(() => Promise.Fail(new TimeoutException("the test did not finish in 15 s")))));
    }

    internal static ProcessStatus Exited(int code) => new(ProcessStatusKind.Exited, code);

    private static ProcessStatus Signaled(int signum) => new(ProcessStatusKind.Signaled, signum);

    private static async Promise Pauses(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    /// <summary>Waits (on the loop) until <paramref name="done"/>, at most 5 s.</summary>
    private static async Promise Until(Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "the condition never became true");
            await LwtUnix.Sleep(0.01);
        }
    }

    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"lwt-process-audit-{Guid.NewGuid():N}");

    // ==== commands ===================================================================

    // lwt_process.mli shell: "A command executed with the shell. (with "/bin/sh -c <cmd>" on Unix"
    [SkippableFact]
    public void ShellRunsTheCommandLineWithBinShDashC()
    {
        var c = LwtProcess.Shell("echo a b");
        Assert.Equal("/bin/sh", c.Program);
        Assert.Equal(new[] { "/bin/sh", "-c", "echo a b" }, c.Args);
        Run(async () => Assert.Equal("a b\n", await LwtProcess.PRead(c)));
    }

    // lwt_process.mli command: "The first field is the name of the executable and the second is the
    // list of arguments" (the whole argv: ("ls", [|"ls"; "-l"|])), so argv[0] is the caller's.
    [SkippableFact]
    public void TheArgumentVectorIsPassedAsGivenArgv0Included()
    {
        Run(async () =>
        {
            var c = new ProcessCommand("/bin/sh", ["custom-zero", "-c", "cat /proc/$$/cmdline", "zero"]);
            Assert.Equal("custom-zero\0-c\0cat /proc/$$/cmdline\0zero\0", await LwtProcess.PRead(c));
        });
    }

    // lwt_process.mli command: "if the name is the empty string, then the first argument will be used"
    // (searched in the PATH: lwt_process.cppo.ml unix_spawn runs Unix.execvp args.(0)).
    [SkippableFact]
    public void AnEmptyNameRunsTheFirstArgumentFoundInPath()
    {
        Run(async () => Assert.Equal("ok\n", await LwtProcess.PRead(("", new[] { "sh", "-c", "echo ok" }))));
    }

    // Bad arguments fail at once with a clear exception (project rule; Lwt's OCaml types exclude them).
    [SkippableFact]
    public void CommandArgumentsAreChecked()
    {
        Assert.Throws<ArgumentNullException>(() => new ProcessCommand(null!, ["x"]));
        Assert.Throws<ArgumentNullException>(() => new ProcessCommand("x", null!));
        Assert.Throws<ArgumentNullException>(() => new ProcessCommand("x", ["x", null!]));
        Assert.Throws<ArgumentException>(() => new ProcessCommand("", []));
        Assert.Throws<ArgumentException>(() => ProcessCommand.Of(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessRedirection.FdCopy(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessRedirection.FdMove(-1));
        Run(async () =>
        {
            // An argument with a NUL cannot reach execve; Lwt: Unix_error(EINVAL) (make_process_env).
            await Assert.ThrowsAsync<ArgumentException>(async () => await LwtProcess.Exec(ProcessCommand.Of("echo", "a\0b")));
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await LwtProcess.Exec(ProcessCommand.Of("true"), env: ["A=1", null!]));
        });
    }

    // The P* functions document <exception cref="ArgumentNullException">command is null</exception>:
    // thrown by the call, as Exec and OpenProcess* do, not hidden in the promise (or stream).
    [SkippableFact]
    public void ANullCommandThrowsAtTheCall()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Assert.Throws<ArgumentNullException>(() => LwtProcess.Exec(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.OpenProcessIn(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PRead(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PReadLine(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PReadLines(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PReadChars(null!));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PWrite(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PMap(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.PMapLines(null!, LwtStream.OfList(new[] { "x" })));
        Assert.Throws<ArgumentNullException>(() => LwtProcess.WithProcessIn(null!, p => Promise.ReturnUnit));
    }

    // ==== exec and redirections ======================================================

    // lwt_process.mli exec: "Executes the given command and returns its exit status."
    [SkippableFact]
    public void ExecReturnsTheExitStatusOrTheSignal()
    {
        Run(async () =>
        {
            Assert.Equal(Exited(7), await LwtProcess.Exec(LwtProcess.Shell("exit 7")));
            Assert.Equal(Signaled(9), await LwtProcess.Exec(LwtProcess.Shell("kill -KILL $$")));
        });
    }

    // lwt_process.mli redirection: "`FD_copy fd redirect to the file pointed to by [fd]. [fd] remains open."
    [SkippableFact]
    public void FdCopyRedirectsToTheFileAndKeepsTheDescriptor()
    {
        string path = TempFile();
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
            Run(async () =>
            {
                Assert.Equal(Exited(0), await LwtProcess.Exec(LwtProcess.Shell("echo copied"), stdout: ProcessRedirection.FdCopy(handle)));
                Assert.False(handle.IsClosed);
            });
            handle.Dispose();
            Assert.Equal("copied\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // lwt_process.mli redirection: "`FD_move fd redirect to the file pointed to by [fd]. [fd] is then closed."
    [SkippableFact]
    public void FdMoveRedirectsToTheFileAndClosesTheDescriptor()
    {
        string path = TempFile();
        try
        {
            var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
            Run(async () =>
            {
                Assert.Equal(Exited(0), await LwtProcess.Exec(LwtProcess.Shell("echo moved"), stdout: ProcessRedirection.FdMove(handle)));
                Assert.True(handle.IsClosed);
            });
            Assert.Equal("moved\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // lwt_process.mli redirection: "`Close: close the file descriptor." / "`Keep: point to the same
    // file as in the parent." / "All optional redirection arguments default to `Keep."
    [SkippableFact]
    public void CloseClosesTheChildsDescriptorAndKeepIsTheDefault()
    {
        Run(async () =>
        {
            var probe = LwtProcess.Shell("[ -e /proc/self/fd/2 ]");
            Assert.Equal(Exited(1), await LwtProcess.Exec(probe, stderr: ProcessRedirection.Close));
            Assert.Equal(Exited(0), await LwtProcess.Exec(probe));
            Assert.Equal(Exited(0), await LwtProcess.Exec(probe, stderr: ProcessRedirection.DevNull));
        });
    }

    // A redirection whose descriptor is already closed fails the call, and the pipes made for the
    // call are not leaked (lwt_process.cppo.ml: the pipes are made, then spawn raises).
    [SkippableFact]
    public void ABadRedirectionFailsWithoutLeakingThePipes()
    {
        Run(async () =>
        {
            var (reader, writer) = LwtUnix.PipeIn();
            reader.Dispose();
            writer.Dispose();
            await Promise.Pause();
            var before = OpenDescriptors.Take();
            for (int i = 0; i < 10; i++)
            {
                Assert.Throws<ObjectDisposedException>(() => LwtProcess.OpenProcess(ProcessCommand.Of("true"), stderr: ProcessRedirection.FdCopy(reader)));
                await Assert.ThrowsAsync<ObjectDisposedException>(async () => await LwtProcess.PRead(ProcessCommand.Of("true"), stdin: ProcessRedirection.FdCopy(writer)));
            }

            before.AssertNoneOpenedSince();
        });
    }

    // lwt_process.mli: ?env : string array, the whole environment (cppo.ml: Unix.execvpe prog args env).
    [SkippableFact]
    public void EnvIsTheWholeEnvironmentInOrder()
    {
        Run(async () =>
        {
            Assert.Equal("B=2\nA=1\n", await LwtProcess.PRead(ProcessCommand.Of("env"), env: ["B=2", "A=1"]));
            Assert.Equal(string.Empty, await LwtProcess.PRead(ProcessCommand.Of("env"), env: []));
        });
    }

    // ==== process objects ============================================================

    // lwt_process.mli: "method pid : int  Pid of the sub-process"
    [SkippableFact]
    public void PidIsTheChildsProcessId()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell("echo $$"));
            Assert.Equal(p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), await p.Stdout.ReadLine());
            Assert.Equal(Exited(0), await p.Close());
        });
    }

    // lwt_process.mli state: "Running  The process is still running" / "Exited of Unix.process_status"
    [SkippableFact]
    public void StateIsRunningThenExitedWithTheStatus()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessOut(LwtProcess.Shell("read x; exit 5"));
            await LwtUnix.Sleep(0.02);
            Assert.Equal(ProcessState.Running, p.State);
            await p.Stdin.WriteLine("go");
            await p.Stdin.Flush();
            Assert.Equal(Exited(5), await p.Status);
            Assert.Equal(ProcessState.Exited(Exited(5)), p.State);
            await p.Close();
        });
    }

    // lwt_process.mli kill: "[kill signum] sends [signum] to the process if it is still running."
    // (terminate likewise: cppo.ml "if Lwt.state wait = Lwt.Sleep then terminate proc")
    [SkippableFact]
    public void KillAndTerminateDoNothingOnceTheProcessHasExited()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessNone(ProcessCommand.Of("true"));
            Assert.Equal(Exited(0), await p.Status);
            p.Kill(15);
            p.Kill(12345); // not even checked: nothing is sent
            p.Terminate();
            Assert.Equal(Exited(0), await p.Close());
        });
    }

    // lwt_process.mli kill: sends signum while running (the status then reports it).
    [SkippableFact]
    public void KillSendsTheSignalWhileRunning()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            p.Kill(2); // SIGINT
            Assert.Equal(Signaled(2), await p.Status);
        });
    }

    // lwt_process.mli close: "Closes the process and returns its exit status. This closes all
    // channels used to communicate with the process"
    [SkippableFact]
    public void CloseClosesEveryChannelThenWaitsForTheStatus()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessFull(ProcessCommand.Of("cat"));
            var closing = p.Close();
            Assert.True(p.Stdin.IsClosed && p.Stdout.IsClosed && p.Stderr.IsClosed);
            Assert.Equal(Exited(0), await closing); // cat saw end of file on its input
        });
    }

    // lwt_process.cppo.ml close: Lwt_io.close of stdin (which flushes it) before the status.
    [SkippableFact]
    public void CloseFlushesWhatWasWrittenToStdin()
    {
        Run(async () =>
        {
            var (reader, writer) = LwtUnix.PipeIn();
            var ic = LwtIO.OfFd(LwtIO.Input, reader);
            var p = LwtProcess.OpenProcessOut(ProcessCommand.Of("cat"), stdout: ProcessRedirection.FdMove(writer));
            await p.Stdin.Write("unflushed");
            Assert.Equal(Exited(0), await p.Close());
            Assert.Equal("unflushed", Encoding.UTF8.GetString(await ic.Read()));
            await ic.Close();
        });
    }

    // lwt_process.cppo.ml close: "if closed then self#status else ..." (a second close returns the
    // status) and Lwt.protected (Lwt.join (List.map Lwt_io.close channels)): canceling it does not
    // stop the closing.
    [SkippableFact]
    public void CloseIsIdempotentAndCannotBeCanceled()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell("exec sleep 0.2"));
            var first = p.Close();
            first.Cancel();
            Assert.True(p.Stdout.IsClosed);
            var second = p.Close();
            Assert.Equal(Exited(0), await second);
            Assert.Equal(Exited(0), await p.Close());
        });
    }

    // lwt_process.cppo.ml close: Lwt_io.close of an output channel swallows its flush's error
    // (lwt_io.ml safe_flush_total), so closing a process that did not read its input still gives
    // the status.
    [SkippableFact]
    public void CloseGivesTheStatusWhenTheChildLeftItsInputUnread()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessOut(LwtProcess.Shell("exit 3"));
            Assert.Equal(Exited(3), await p.Status);
            await p.Stdin.Write("nobody reads this");
            Assert.Equal(Exited(3), await p.Close());
        });
    }

    // lwt_process.mli: "If specified, after expiration, the process will be sent a [Unix.sigkill]
    // signal and channels will be closed."
    [SkippableFact]
    public void ATimeoutKillsTheProcessAndClosesEveryChannel()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessFull(ProcessCommand.Of("sleep", "30"), timeout: 0.1);
            Assert.Equal(Signaled(9), await p.Status);
            await Until(() => p.Stdin.IsClosed && p.Stdout.IsClosed && p.Stderr.IsClosed);
            Assert.True(p.TimedOut);
        });
    }

    // lwt_process.mli: "after expiration" (never before).
    [SkippableFact]
    public void ATimeoutDoesNotKillBeforeItExpires()
    {
        Run(async () =>
        {
            var sw = Stopwatch.StartNew();
            Assert.Equal(Signaled(9), await LwtProcess.Exec(ProcessCommand.Of("sleep", "30"), timeout: 0.2));
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.19), $"killed after {sw.Elapsed.TotalMilliseconds} ms");
        });
    }

    // lwt_process.cppo.ml timeout: Lwt.choose [sleep dt; wait]: a process that ends first is left alone.
    [SkippableFact]
    public void ATimeoutThatDoesNotExpireChangesNothing()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell("echo done"), timeout: 0.15);
            Assert.Equal("done", await p.Stdout.ReadLine());
            Assert.Equal(Exited(0), await p.Status);
            await LwtUnix.Sleep(0.3);
            Assert.False(p.TimedOut);
            Assert.False(p.Stdout.IsClosed); // only close closes it
            Assert.Equal(Exited(0), await p.Close());
        });
    }

    // lwt_process.cppo.ml make_with: Lwt.finalize (fun () -> f process) (fun () -> process#close):
    // finalize also runs the cleanup when f raises instead of returning a promise.
    [SkippableFact]
    public void WithProcessClosesWhenTheFunctionThrows()
    {
        Run(async () =>
        {
            LwtProcessInOut? seen = null;
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await LwtProcess.WithProcess<int>(ProcessCommand.Of("cat"), p =>
            {
                seen = p;
                throw new InvalidOperationException("thrown, not returned");
            }));
            Assert.True(seen!.Stdin.IsClosed && seen.Stdout.IsClosed);
            Assert.Equal(Exited(0), await seen.Status);
        });
    }

    // ==== receiving ==================================================================

    // lwt_process.cppo.ml recv: Lwt_io.read then close: the output, whatever the exit status.
    [SkippableFact]
    public void PReadReturnsTheOutputWhateverTheStatus()
    {
        Run(async () => Assert.Equal("out\n", await LwtProcess.PRead(LwtProcess.Shell("echo out; exit 3"))));
    }

    // lwt_process.cppo.ml recv_line: Lwt_io.read_line, which raises End_of_file when there is no line.
    [SkippableFact]
    public void PReadLineRejectsWithEndOfFileWhenThereIsNoOutput()
    {
        Run(async () =>
        {
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await LwtProcess.PReadLine(ProcessCommand.Of("true")));
            Assert.Equal("partial", await LwtProcess.PReadLine(ProcessCommand.Of("printf", "partial"))); // a last line without newline
        });
    }

    // lwt_process.mli pread_chars: char Lwt_stream.t (bytes, as Lwt_io.read_char).
    [SkippableFact]
    public void PReadCharsGivesOneCharPerByte()
    {
        Run(async () =>
        {
            var chars = await LwtProcess.PReadChars(ProcessCommand.Of("printf", "\\303\\251")).ToList();
            Assert.Equal(new[] { (char)0xC3, (char)0xA9 }, chars);
        });
    }

    // lwt_process.cppo.ml recv_lines / recv_chars: at end of file, Lwt_io.close ic: nothing stays open.
    // recv / recv_line: Lwt.finalize ... Lwt_io.close ic.
    [SkippableFact]
    public void ReadingFunctionsCloseTheirPipe()
    {
        Run(async () =>
        {
            await LwtProcess.PRead(ProcessCommand.Of("true"));
            var before = OpenDescriptors.Take();
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(new[] { "a", "b" }, await LwtProcess.PReadLines(ProcessCommand.Of("printf", "a\\nb\\n")).ToList());
                Assert.Equal(2, (await LwtProcess.PReadChars(ProcessCommand.Of("printf", "ab")).ToList()).Count);
                Assert.Equal("l", await LwtProcess.PReadLine(ProcessCommand.Of("printf", "l\\nmore\\n")));
                await Assert.ThrowsAsync<EndOfStreamException>(async () => await LwtProcess.PReadLine(ProcessCommand.Of("true")));
            }

            await LwtUnix.Sleep(0.05);
            before.AssertNoneOpenedSince();
        });
    }

    // Cancel() of a pending pread: the read is canceled and the pipe closed (recv: Lwt.finalize).
    [SkippableFact]
    public void CancelingAPendingPReadLineClosesThePipe()
    {
        Run(async () =>
        {
            await LwtProcess.PRead(ProcessCommand.Of("true"));
            var before = OpenDescriptors.Take();
            for (int i = 0; i < 5; i++)
            {
                var line = LwtProcess.PReadLine(ProcessCommand.Of("sleep", "0.3"));
                await LwtUnix.Sleep(0.02);
                Assert.True(line.IsPending);
                line.Cancel();
                Assert.True(line.IsCanceled);
            }

            await LwtUnix.Sleep(0.05);
            before.AssertNoneOpenedSince();
        });
    }

    // ==== sending ====================================================================

    // lwt_process.cppo.ml pwrite_line: Lwt_io.write_line (a newline is added); pwrite_chars: write_chars.
    [SkippableFact]
    public void PWriteLineAddsANewlineAndPWriteCharsWritesBytes()
    {
        Run(async () =>
        {
            var (reader, writer) = LwtUnix.PipeIn();
            var ic = LwtIO.OfFd(LwtIO.Input, reader);
            await LwtProcess.PWriteLine(ProcessCommand.Of("cat"), "line", stdout: ProcessRedirection.FdMove(writer));
            Assert.Equal("line\n", Encoding.UTF8.GetString(await ic.Read()));
            await ic.Close();

            (reader, writer) = LwtUnix.PipeIn();
            ic = LwtIO.OfFd(LwtIO.Input, reader);
            await LwtProcess.PWriteChars(ProcessCommand.Of("cat"), LwtStream.OfString("xyz"), stdout: ProcessRedirection.FdMove(writer));
            Assert.Equal("xyz", Encoding.UTF8.GetString(await ic.Read()));
            await ic.Close();
        });
    }

    // lwt_process.cppo.ml send: Lwt.finalize (write) (Lwt_io.close oc), and Lwt_io.close swallows
    // the flush error: a short text to a child that does not read it is not an error.
    [SkippableFact]
    public void PWriteOfAShortTextToAChildThatDoesNotReadResolves()
    {
        Run(async () =>
        {
            await LwtProcess.PWrite(LwtProcess.Shell("exit 0"), "short");
            await LwtProcess.PWriteLine(LwtProcess.Shell("exit 0"), "short");
        });
    }

    // ==== mapping ====================================================================

    // lwt_process.cppo.ml pmap_line: send write_line, recv_line: the first line of the output only.
    [SkippableFact]
    public void PMapLineReturnsTheFirstLineOfTheOutput()
    {
        Run(async () =>
        {
            Assert.Equal("<in>", await LwtProcess.PMapLine(LwtProcess.Shell("read l; echo \"<$l>\"; echo second"), "in"));
        });
    }

    // lwt_process.cppo.ml pmap: "Cancel the getter if the sender was canceled." Cancel() of pmap
    // cancels the whole operation; nothing stays open.
    [SkippableFact]
    public void CancelingAPendingPMapCancelsItAndClosesThePipes()
    {
        Run(async () =>
        {
            await LwtProcess.PRead(ProcessCommand.Of("true"));
            var before = OpenDescriptors.Take();
            for (int i = 0; i < 5; i++)
            {
                var mapped = LwtProcess.PMap(LwtProcess.Shell("cat >/dev/null; sleep 0.3"), "input");
                await LwtUnix.Sleep(0.02);
                Assert.True(mapped.IsPending);
                mapped.Cancel();
                Assert.True(mapped.IsCanceled);
            }

            await LwtUnix.Sleep(0.05);
            before.AssertNoneOpenedSince();
        });
    }

    // lwt_process.cppo.ml pmap_lines: lines flow through as they come (monitor sender (recv_lines pr)),
    // and the stream ends at the child's end of file.
    [SkippableFact]
    public void PMapLinesStreamsLinesAndEndsAtEndOfFile()
    {
        Run(async () =>
        {
            var (input, push) = LwtStream.Create<string>();
            var output = LwtProcess.PMapLines(LwtProcess.Shell("while read l; do echo \"[$l]\"; done"), input);
            push(Option<string>.Some("a"));
            Assert.Equal("[a]", await output.Next());
            push(Option<string>.Some("b"));
            push(Option<string>.None);
            Assert.Equal(new[] { "[b]" }, await output.ToList());
        });
    }

    // ==== Lwt_engine =================================================================

    private static LwtEngine NewEngine()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        return new EpollEngine();
    }

    /// <summary>Iterates (at most 50 ms per wait) until <paramref name="done"/> or 5 s.</summary>
    private static void IterUntil(LwtEngine engine, Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "the expected event never came");
            engine.Iter(50);
        }
    }

    // lwt_engine.mli on_readable: "[on_readable fd f] calls [f] each time [fd] becomes readable."
    // (f gets the event itself: on_readable : fd -> (event -> unit) -> event)
    [SkippableFact]
    public void OnReadableCallsBackWithItsEventWhileReadable()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        var events = new List<LwtEvent>();
        var ev = engine.OnReadable(pipe.ReadFd, events.Add);
        engine.Iter(false);
        Assert.Empty(events);
        pipe.WriteByte();
        IterUntil(engine, () => events.Count > 0);
        engine.Iter(false);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Same(ev, e));
    }

    // lwt_engine.mli on_writable: "calls [f] each time [fd] becomes writable."
    [SkippableFact]
    public void OnWritableCallsBackWhenWritable()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        int calls = 0;
        engine.OnWritable(pipe.WriteFd, _ => calls++);
        IterUntil(engine, () => calls > 0);
    }

    // lwt_engine.mli readable_count / writable_count: "Returns the number of events waiting for a
    // file descriptor to become readable/writable." (events, not fds; lwt_engine.ml: the length of
    // the sequences, left by stop_event)
    [SkippableFact]
    public void ReadableAndWritableCountsCountEventsAndStopRemovesThemOnce()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        var r1 = engine.OnReadable(pipe.ReadFd, _ => { });
        var r2 = engine.OnReadable(pipe.ReadFd, _ => { });
        var w = engine.OnWritable(pipe.WriteFd, _ => { });
        Assert.Equal(2, engine.ReadableCount);
        Assert.Equal(1, engine.WritableCount);
        r1.Stop();
        r1.Stop(); // idempotent: stop_event of a stopped event changes nothing
        Assert.Equal(1, engine.ReadableCount);
        w.Stop();
        Assert.Equal(0, engine.WritableCount);
        r2.Stop();
        Assert.Equal(0, engine.ReadableCount);
    }

    // lwt_engine.mli stop_event: "[stop_event event] stops the given event." (its callback is not
    // called again, even when the fd is still readable)
    [SkippableFact]
    public void AStoppedEventIsNotCalledAgain()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        int calls = 0;
        engine.OnReadable(pipe.ReadFd, e => { calls++; e.Stop(); });
        pipe.WriteByte();
        IterUntil(engine, () => calls > 0);
        engine.Iter(false);
        engine.Iter(false);
        Assert.Equal(1, calls);
        Assert.Equal(0, engine.ReadableCount);
    }

    // lwt_engine.mli on_timer: "[on_timer delay repeat f] calls [f] one time after [delay] seconds."
    // timer_count: "Returns the number of registered timers."
    [SkippableFact]
    public void AOneShotTimerFiresOnceAndNotBeforeItsDelay()
    {
        using var engine = NewEngine();
        int calls = 0;
        var sw = Stopwatch.StartNew();
        TimeSpan firedAt = default;
        engine.OnTimer(0.05, false, _ => { calls++; firedAt = sw.Elapsed; });
        Assert.Equal(1, engine.TimerCount);
        IterUntil(engine, () => calls > 0);
        Assert.True(firedAt >= TimeSpan.FromMilliseconds(49), $"fired after {firedAt.TotalMilliseconds} ms");
        engine.Iter(60);
        Assert.Equal(1, calls);
    }

    // lwt_engine.mli on_timer: "If [repeat] is [true] then [f] is called each [delay] seconds"
    // (until stopped; timer_count drops on stop_event).
    [SkippableFact]
    public void ARepeatingTimerFiresEachDelayUntilStopped()
    {
        using var engine = NewEngine();
        int calls = 0;
        var sw = Stopwatch.StartNew();
        var ev = engine.OnTimer(0.02, true, e => { if (++calls == 3) e.Stop(); });
        IterUntil(engine, () => calls == 3);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(59), $"three periods in {sw.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(0, engine.TimerCount);
        engine.Iter(50);
        Assert.Equal(3, calls);
        Assert.True(ev.IsStopped);
    }

    // lwt_engine.mli iter: "If [block] is [true] the function must blocks until one event become
    // available, otherwise it should just check for available events and return immediatly."
    [SkippableFact]
    public void IterBlocksOnlyWhenAsked()
    {
        using var engine = NewEngine();
        int calls = 0;
        var sw = Stopwatch.StartNew();
        var ev = engine.OnTimer(0.05, false, _ => calls++);
        engine.Iter(false);
        Assert.Equal(0, calls);
        engine.Iter(true); // returns once the timer fired, not before
        Assert.Equal(1, calls);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(49));
    }

    // The same, where the engine's wait ends before any timer is due: more timers in one far
    // slot of the wheel than it scans make it answer a lower bound of their deadline, so the
    // kernel wait ends early with nothing to fire (as a signal interrupting it does).
    [SkippableFact]
    public void IterTrueWaitsAgainWhenItsWaitEndsWithNothingToRun()
    {
        using var engine = NewEngine();
        int calls = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 100; i++) engine.OnTimer(0.3, false, _ => calls++);
        engine.Iter(true);
        Assert.True(calls > 0, "Iter(true) returned with no event");
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(299));
    }

    // lwt_engine.mli destroy: "Destroy the engine, remove all its events and free its associated resources."
    [SkippableFact]
    public void DisposeRemovesEveryEvent()
    {
        var engine = NewEngine();
        using var pipe = new NativePipe();
        int calls = 0;
        var r = engine.OnReadable(pipe.ReadFd, _ => calls++);
        var t = engine.OnTimer(0, true, _ => calls++);
        engine.Dispose();
        Assert.Equal(0, engine.ReadableCount);
        Assert.Equal(0, engine.TimerCount);
        Assert.True(r.IsStopped && t.IsStopped);
        r.Stop(); // stopping an event of a destroyed engine is harmless
        Assert.Throws<ObjectDisposedException>(() => engine.Iter(false));
        Assert.Equal(0, calls);
    }

    // lwt_engine.mli fake_io: "Simulates activity on the given file descriptor." (lwt_engine.ml:
    // calls the readers and then the writers registered on that fd, and no other)
    [SkippableFact]
    public void FakeIoCallsTheReadersAndWritersOfThatDescriptor()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        using var other = new NativePipe();
        var calls = new List<string>();
        engine.OnWritable(pipe.ReadFd, _ => calls.Add("w"));
        engine.OnReadable(pipe.ReadFd, _ => calls.Add("r1"));
        var stopped = engine.OnReadable(pipe.ReadFd, _ => calls.Add("stopped"));
        engine.OnReadable(pipe.ReadFd, _ => calls.Add("r2"));
        engine.OnReadable(other.ReadFd, _ => calls.Add("other"));
        stopped.Stop();
        engine.FakeIo(pipe.ReadFd);
        Assert.Equal(new[] { "r1", "r2", "w" }, calls);
        engine.FakeIo(12345); // nothing registered there: nothing happens
        Assert.Equal(3, calls.Count);
    }

    // lwt_engine.mli fake_event: "Event which does nothing when stopped."
    [SkippableFact]
    public void TheFakeEventDoesNothingWhenStopped()
    {
        using var engine = NewEngine();
        using var pipe = new NativePipe();
        engine.OnReadable(pipe.ReadFd, _ => { });
        LwtEvent.Fake.Stop();
        LwtEvent.Fake.Stop();
        Assert.Equal(1, engine.ReadableCount);
        Assert.Same(LwtEvent.Fake, LwtEvent.Fake);
        Assert.True(LwtEvent.Fake.IsStopped);
    }

    // lwt_engine.mli set: ~transfer defaults to true (the current engine's events go to the new
    // one), and lwt_engine.ml transfers before it destroys. The details: EngineTransferTests.
    [SkippableFact]
    public void SetTransfersTheEventsByDefaultThenDestroys()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Lwt.Tests.Loop.LoopTest.OnFreshThread(() =>
        {
            using var pipe = new NativePipe();
            var previous = NewEngine();
            LwtEngine.Set(previous);
            int calls = 0;
            var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => calls++);
            var next = new PollEngine();
            LwtEngine.Set(next);
            Assert.True(previous.IsDisposed);
            Assert.False(ev.IsStopped);
            pipe.WriteByte();
            IterUntil(next, () => calls > 0);
        });
    }

    // lwt_engine.mli set: ?destroy (and the engine given) are checked.
    [SkippableFact]
    public void SetChecksItsArgument()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Assert.Throws<ArgumentNullException>(() => LwtEngine.Set(null!));
        var disposed = new PollEngine();
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => LwtEngine.Set(disposed));
    }
}
