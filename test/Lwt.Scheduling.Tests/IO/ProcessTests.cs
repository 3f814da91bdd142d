using System.Text;

namespace Lwt.Tests.IO;

/// <summary>LwtProcess over real subprocesses (/bin/sh, cat, echo, sleep, tr...): no mocks.</summary>
[Collection("IO")]
public class ProcessTests
{
    /// <summary>Runs <paramref name="body"/> on a loop, failing (instead of hanging) after 15 s.</summary>
    private static void Run(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() => Promise.Pick(body(), LwtUnix.Timeout(15)));
    }

    private static ProcessStatus Exited(int code) => new(ProcessStatusKind.Exited, code);

    private static ProcessStatus Signaled(int signum) => new(ProcessStatusKind.Signaled, signum);

    [SkippableFact]
    public void ExecReportsExitCodesAndSignals()
    {
        Run(async () =>
        {
            Assert.Equal(Exited(0), await LwtProcess.Exec(ProcessCommand.Of("/bin/true")));
            Assert.Equal(Exited(1), await LwtProcess.Exec(ProcessCommand.Of("false"))); // PATH lookup
            Assert.Equal(Exited(3), await LwtProcess.Exec(LwtProcess.Shell("exit 3")));
            Assert.Equal(Signaled(15), await LwtProcess.Exec(LwtProcess.Shell("kill -TERM $$")));
            Assert.Equal(Exited(0), await LwtProcess.Exec(("", new[] { "true" }))); // Lwt's ("", argv): argv[0]
        });
    }

    [SkippableFact]
    public void ManyChildrenEndingTogetherAreAllReaped()
    {
        // SIGCHLD coalesces: one signal may stand for many children.
        Run(async () =>
        {
            var statuses = await Promise.All(Enumerable.Range(0, 25).Select(i => LwtProcess.Exec(LwtProcess.Shell($"exit {i}"))));
            Assert.Equal(Enumerable.Range(0, 25).Select(Exited), statuses);
        });
    }

    [SkippableFact]
    public void WritingToAChildThatExitedRejectsWithEpipe()
    {
        Run(async () =>
        {
            string big = new('x', 1 << 20); // more than the pipe holds: the write waits, then the reader is gone
            var e = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.PWrite(LwtProcess.Shell("exit 0"), big));
            Assert.Equal(32, e.Errno); // EPIPE, not a SIGPIPE death of this process
        });
    }

    [SkippableFact]
    public void AProgramThatCannotStartRejectsAtOnce()
    {
        Run(async () =>
        {
            var e = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.Exec(ProcessCommand.Of("/no/such/program")));
            Assert.Equal(2, e.Errno); // ENOENT
            Assert.Throws<UnixErrorException>(() => LwtProcess.OpenProcessIn(ProcessCommand.Of("/no/such/program")));
            await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.PRead(ProcessCommand.Of("true"), cwd: "/no/such/dir"));
            await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtProcess.PReadLines(ProcessCommand.Of("/no/such/program")).ToList());
        });
    }

    [SkippableFact]
    public void PReadReturnsTheWholeOutput()
    {
        Run(async () =>
        {
            Assert.Equal("hello world\n", await LwtProcess.PRead(ProcessCommand.Of("/bin/echo", "hello", "world")));
            Assert.Equal("first", await LwtProcess.PReadLine(LwtProcess.Shell("echo first; echo second")));
            var big = await LwtProcess.PRead(LwtProcess.Shell("head -c 300000 /dev/zero | tr '\\0' x"));
            Assert.Equal(300000, big.Length);
            Assert.All(big, c => Assert.Equal('x', c));
            Assert.Equal(string.Empty, await LwtProcess.PRead(ProcessCommand.Of("cat"), stdin: ProcessRedirection.DevNull));
        });
    }

    [SkippableFact]
    public void PReadLinesAndCharsStreamTheOutput()
    {
        Run(async () =>
        {
            var lines = await LwtProcess.PReadLines(LwtProcess.Shell("printf 'a\\nbb\\r\\nccc'")).ToList();
            Assert.Equal(new[] { "a", "bb", "ccc" }, lines);
            var chars = await LwtProcess.PReadChars(LwtProcess.Shell("printf abc")).ToList();
            Assert.Equal(new[] { 'a', 'b', 'c' }, chars);
        });
    }

    [SkippableFact]
    public void PWriteFeedsCat()
    {
        Run(async () =>
        {
            var (reader, writer) = LwtUnix.PipeIn();
            var ic = LwtIO.OfFd(LwtIO.Input, reader);
            var output = ic.Read(); // read while cat writes: more than a pipe's worth
            string text = string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i}\n"));
            await LwtProcess.PWrite(ProcessCommand.Of("cat"), text, stdout: ProcessRedirection.FdMove(writer));
            Assert.True(writer.IsClosed, "FdMove closes the parent's descriptor");
            Assert.Equal(text, Encoding.UTF8.GetString(await output));
            await ic.Close();

            (reader, writer) = LwtUnix.PipeIn();
            ic = LwtIO.OfFd(LwtIO.Input, reader);
            var (lines, push) = LwtStream.Create<string>();
            push(Option<string>.Some("one"));
            push(Option<string>.Some("two"));
            push(Option<string>.None);
            await LwtProcess.PWriteLines(ProcessCommand.Of("cat"), lines, stdout: ProcessRedirection.FdMove(writer));
            Assert.Equal("one\ntwo\n", Encoding.UTF8.GetString(await ic.Read()));
            await ic.Close();
        });
    }

    [SkippableFact]
    public void PMapThroughCatAndTr()
    {
        Run(async () =>
        {
            Assert.Equal("HELLO", await LwtProcess.PMap(ProcessCommand.Of("tr", "a-z", "A-Z"), "hello"));

            // Much more than a pipe holds both ways: writing and reading must go on together.
            string big = string.Concat(Enumerable.Repeat("0123456789abcdef", 100_000));
            Assert.Equal(big, await LwtProcess.PMap(ProcessCommand.Of("cat"), big));

            Assert.Equal("ECHO", await LwtProcess.PMapLine(ProcessCommand.Of("tr", "a-z", "A-Z"), "echo"));

            var (input, push) = LwtStream.Create<string>();
            var output = LwtProcess.PMapLines(ProcessCommand.Of("cat"), input);
            push(Option<string>.Some("x"));
            Assert.Equal("x", await output.Next()); // a line goes through before the input ends
            push(Option<string>.Some("y"));
            push(Option<string>.None);
            Assert.Equal(new[] { "y" }, await output.ToList());

            var (chars, pushChar) = LwtStream.Create<char>();
            foreach (var c in "abc") pushChar(Option<char>.Some(c));
            pushChar(Option<char>.None);
            Assert.Equal("ABC", new string((await LwtProcess.PMapChars(ProcessCommand.Of("tr", "a-z", "A-Z"), chars).ToList()).ToArray()));
        });
    }

    [SkippableFact]
    public void OpenProcessFullReadsStdoutAndStderrSeparately()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessFull(LwtProcess.Shell("echo out; echo err >&2; read x; echo \"got $x\"; exit 4"));
            Assert.True(p.Pid > 0);
            Assert.True(p.State.IsRunning);
            var stderr = p.Stderr.Read();
            Assert.Equal("out", await p.Stdout.ReadLine());
            await p.Stdin.WriteLine("input");
            await p.Stdin.Flush();
            Assert.Equal("got input", await p.Stdout.ReadLine());
            Assert.False((await p.Stdout.ReadLineOpt()).HasValue);
            Assert.Equal("err\n", Encoding.UTF8.GetString(await stderr));
            Assert.Equal(Exited(4), await p.Close());
            Assert.Equal(ProcessState.Exited(Exited(4)), p.State);
            Assert.True(p.Stdin.IsClosed && p.Stdout.IsClosed && p.Stderr.IsClosed);
            Assert.Equal(Exited(4), await p.Close()); // idempotent
        });
    }

    [SkippableFact]
    public void AProcessKilledWhileBeingReadEndsTheReadWithEndOfFile()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcess(ProcessCommand.Of("cat"));
            await p.Stdin.WriteLine("ping");
            await p.Stdin.Flush();
            Assert.Equal("ping", await p.Stdout.ReadLine());
            var pending = p.Stdout.ReadLineOpt();
            await LwtUnix.Sleep(0.01);
            Assert.True(pending.IsPending);
            p.Kill(9);
            Assert.False((await pending).HasValue); // end of file, not an error
            Assert.Equal(Signaled(9), await p.Status);
            Assert.False(p.State.IsRunning);
            p.Kill(9); // the status is known: nothing is sent (the pid may be reused)
            Assert.Equal(Signaled(9), await p.Close());
        });
    }

    [SkippableFact]
    public void TerminateKillsAndStatusReportsTheSignal()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            var status = p.Status;
            status.Cancel(); // Status cannot be canceled
            Assert.True(status.IsPending);
            p.Terminate();
            Assert.Equal(Signaled(9), await p.Status);

            var q = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            q.Kill(15);
            Assert.Equal(Signaled(15), await q.Close());
            var r = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            Assert.Equal(22, Assert.Throws<UnixErrorException>(() => r.Kill(12345)).Errno); // EINVAL
            r.Terminate();
            Assert.Equal(Signaled(9), await r.Status);
        });
    }

    [SkippableFact]
    public void ATimeoutKillsTheProcess()
    {
        Run(async () =>
        {
            Assert.Equal(Signaled(9), await LwtProcess.Exec(ProcessCommand.Of("sleep", "30"), timeout: 0.1));
            Assert.Equal(Exited(0), await LwtProcess.Exec(ProcessCommand.Of("true"), timeout: 5));

            var e = await Assert.ThrowsAsync<TimeoutException>(async () => await LwtProcess.PRead(LwtProcess.Shell("echo partial; exec sleep 30"), timeout: 0.1));
            Assert.Contains("sleep 30", e.Message);
            await Assert.ThrowsAsync<TimeoutException>(async () => await LwtProcess.PReadLines(ProcessCommand.Of("sleep", "30"), timeout: 0.1).ToList());

            var p = LwtProcess.OpenProcessIn(ProcessCommand.Of("sleep", "30"), timeout: 0.1);
            Assert.Equal(Signaled(9), await p.Status);
            Assert.True(p.TimedOut);
            Assert.Equal(Signaled(9), await p.Close());
            Assert.True(p.Stdout.IsClosed);
        });
    }

    [SkippableFact]
    public void EnvironmentAndWorkingDirectory()
    {
        Run(async () =>
        {
            Assert.Equal("bar|\n", await LwtProcess.PRead(LwtProcess.Shell("echo \"$FOO|$HOME\""), env: ["FOO=bar"]));
            Environment.SetEnvironmentVariable("LWT_PROCESS_TEST", "seen");
            try
            {
                Assert.Equal("seen\n", await LwtProcess.PRead(LwtProcess.Shell("echo $LWT_PROCESS_TEST")));
            }
            finally
            {
                Environment.SetEnvironmentVariable("LWT_PROCESS_TEST", null);
            }

            string dir = Directory.CreateTempSubdirectory("lwt-process-").FullName;
            try
            {
                Assert.Equal(dir + "\n", await LwtProcess.PRead(ProcessCommand.Of("/bin/pwd"), cwd: dir));
                Assert.Equal(Exited(0), await LwtProcess.Exec(LwtProcess.Shell("echo made > file"), cwd: dir));
                Assert.Equal("made\n", File.ReadAllText(Path.Combine(dir, "file")));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        });
    }

    [SkippableFact]
    public void Redirections()
    {
        Run(async () =>
        {
            string probe = "[ -e /proc/self/fd/0 ] && echo open || echo closed";
            Assert.Equal("closed\n", await LwtProcess.PRead(LwtProcess.Shell(probe), stdin: ProcessRedirection.Close));
            Assert.Equal("open\n", await LwtProcess.PRead(LwtProcess.Shell(probe), stdin: ProcessRedirection.DevNull));

            // stderr into a pipe of ours, kept open by the parent (FdCopy) or handed over (FdMove).
            var (reader, writer) = LwtUnix.PipeIn();
            var ic = LwtIO.OfFd(LwtIO.Input, reader);
            Assert.Equal("out\n", await LwtProcess.PRead(LwtProcess.Shell("echo out; echo oops >&2"), stderr: ProcessRedirection.FdCopy(writer)));
            Assert.False(writer.IsClosed);
            writer.Dispose();
            Assert.Equal("oops\n", Encoding.UTF8.GetString(await ic.Read()));
            await ic.Close();

            Assert.Equal(Exited(0), await LwtProcess.Exec(LwtProcess.Shell("echo hidden"), stdout: ProcessRedirection.DevNull));
        });
    }

    [SkippableFact]
    public void TheChildGetsDefaultSignalDispositions()
    {
        // The runtime ignores SIGPIPE; a child that inherited that would see `yes` fail with
        // EPIPE ("Broken pipe" on stderr) instead of dying quietly of SIGPIPE.
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessFull(LwtProcess.Shell("yes | head -n 1"));
            await p.Stdin.Close();
            var err = p.Stderr.Read();
            Assert.Equal("y\n", Encoding.UTF8.GetString(await p.Stdout.Read()));
            Assert.Equal(string.Empty, Encoding.UTF8.GetString(await err));
            Assert.Equal(Exited(0), await p.Close());
        });
    }

    [SkippableFact]
    public void WithProcessClosesWhateverHappens()
    {
        Run(async () =>
        {
            LwtProcessIn? seen = null;
            // One write of both lines (printf), so the process never writes after the reader
            // closed: with two echos, the second could hit the closed pipe and die of SIGPIPE.
            string first = await LwtProcess.WithProcessIn(LwtProcess.Shell("printf 'one\\ntwo\\n'"), p =>
            {
                seen = p;
                return p.Stdout.ReadLine();
            });
            Assert.Equal("one", first);
            Assert.True(seen!.Stdout.IsClosed);
            Assert.Equal(Exited(0), await seen.Status);

            LwtProcessInOut? kept = null;
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await LwtProcess.WithProcess(ProcessCommand.Of("cat"), p =>
            {
                kept = p;
                return Promise.Fail(new InvalidOperationException("boom"));
            }));
            Assert.True(kept!.Stdin.IsClosed);
            Assert.Equal(Exited(0), await kept.Status); // cat saw end of file
        });
    }

    [SkippableFact]
    public void CancelingAPReadClosesThePipe()
    {
        Run(async () =>
        {
            var read = LwtProcess.PRead(LwtProcess.Shell("while :; do echo y; sleep 0.01; done"));
            await Promise.Pick(read.Map(_ => 0), LwtUnix.Sleep(0.05).Map(() => 1));
            Assert.True(read.IsCanceled);
        });
    }

    [SkippableFact]
    public void ManyProcessesLeakNoDescriptors()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Run(async () =>
        {
            await LwtProcess.PRead(ProcessCommand.Of("true")); // warm up (SIGCHLD registration...)
            var before = OpenDescriptors.Take();
            for (int i = 0; i < 30; i++)
            {
                Assert.Equal("x\n", await LwtProcess.PMap(ProcessCommand.Of("cat"), "x\n"));
                var p = LwtProcess.OpenProcessFull(ProcessCommand.Of("true"));
                await p.Close();
            }

            before.AssertNoneOpenedSince();
        });
    }
}
