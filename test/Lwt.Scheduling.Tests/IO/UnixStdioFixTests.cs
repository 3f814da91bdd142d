using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// The standard descriptors as Lwt wraps them (lwt_unix.cppo.ml: stdin, stdout and stderr are
/// <c>of_unix_file_descr ~set_flags:false ~blocking:true</c>), and the blocking mode they rely
/// on: a read or write of a blocking descriptor waits for readiness in the engine first (Lwt's
/// <c>wait_read ch >>= fun () -> run_job ...</c>), so an idle pipe or terminal parks no worker
/// and a canceled wait consumes nothing; the guess of FromFd is Lwt's guess_blocking (only
/// FIFOs and sockets are non-blocking); Dup and Dup2 leave their copy inheritable unless asked
/// (OCaml's Unix.dup/dup2 without ~cloexec); SetBlocking to the current mode is never refused.
/// The test host's own fds 0-2 are never touched: the building blocks are tested on pipes and
/// pseudo-terminals made here, and the real standard descriptors in a child process.
/// </summary>
[Collection("IO")]
public class UnixStdioFixTests
{
    private const int O_RDWR = 2, O_NOCTTY = 0x100;

    private static void OnLoop(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes and pseudo-terminals");
        LoopTest.OnFreshThread(() => LwtMain.Run(body));
    }

    /// <summary>A pipe made without O_NONBLOCK (as a shell's pipeline is), as raw descriptors.</summary>
    private static (int Read, int Write) RawBlockingPipe()
    {
        Span<int> fds = stackalloc int[2];
        Assert.Equal(0, LibC.Pipe2(fds, LibC.O_CLOEXEC));
        return (fds[0], fds[1]);
    }

    /// <summary>Wraps a raw descriptor as Lwt wraps fds 0-2: blocking, flags untouched.</summary>
    private static LwtFd AsStandard(int fd) => LwtFd.FromFd(fd, blocking: true, setFlags: false);

    private static bool NonBlocking(int fd) => (LibC.Fcntl(fd, LibC.F_GETFL, 0) & LibC.O_NONBLOCK) != 0;

    private static bool CloseOnExec(LwtFd fd) => (LibC.Fcntl(fd.Fd, LibC.F_GETFD, 0) & LibC.FD_CLOEXEC) != 0;

    /// <summary>Fills the pipe of the raw write end <paramref name="w"/> (O_NONBLOCK only meanwhile); returns the bytes written.</summary>
    private static int Fill(int w)
    {
        LwtFd.SetNonBlocking(w, true);
        var chunk = new byte[4096];
        int total = 0;
        nint n;
        while ((n = LibC.Write(w, chunk)) > 0) total += (int)n;
        Assert.Equal(LibC.EAGAIN, Marshal.GetLastPInvokeError());
        LwtFd.SetNonBlocking(w, false);
        return total;
    }

    /// <summary>Opens a pseudo-terminal: its master (non-blocking, through the loop) and its slave (a raw blocking descriptor).</summary>
    private static (LwtFd Master, int Slave) OpenPty()
    {
        // An if the platform analyzer reads (it does not read Skip.IfNot): OpenRawPty is Linux's.
        if (!OperatingSystem.IsLinux()) throw new SkipException("Linux pseudo-terminals");
        var (master, path) = UnixTerminalIOTests.OpenRawPty();
        int slave = LibC.Open(path, O_RDWR | O_NOCTTY | LibC.O_CLOEXEC, 0);
        Assert.True(slave >= 0, $"open {path}: errno {Marshal.GetLastPInvokeError()}");
        return (LwtFd.FromFd(master, blocking: false), slave);
    }

    // ------------------------------------------------------------------------- F1: waiting

    // lwt_unix.cppo.ml read on a blocking channel: wait_read, then the read job. Before the fix
    // the job started at once and parked a worker until data came; canceling did nothing.
    [SkippableFact]
    public void A_blocking_read_of_an_idle_pipe_waits_in_the_engine_and_a_canceled_one_consumes_nothing()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = AsStandard(rawR);
            using var w = AsStandard(rawW);
            Assert.True(r.IsBlocking);

            var buffer = new byte[8];
            var canceled = LwtUnix.Read(r, buffer);
            Assert.True(canceled.IsPending);
            Assert.Equal(0, LwtUnix.PendingJobCount); // no worker waits for the data
            Assert.Equal(1, r.PendingReads);          // the engine does
            canceled.Cancel();
            Assert.True(canceled.IsCanceled);
            Assert.Equal(0, r.PendingReads);

            var read = LwtUnix.Read(r, buffer);
            Assert.True(read.IsPending);
            Assert.Equal(3, await LwtUnix.Write(w, "abc"u8.ToArray()));
            Assert.Equal(3, await read); // all of it: the canceled read took nothing
            Assert.Equal("abc", Encoding.ASCII.GetString(buffer, 0, 3));
            Assert.False(NonBlocking(rawR));
            Assert.False(NonBlocking(rawW));

            // Ready at once: the job starts without a wait.
            await LwtUnix.Write(w, "de"u8.ToArray());
            var ready = LwtUnix.ReadV(r, [buffer.AsMemory(0, 1), buffer.AsMemory(1, 7)]);
            Assert.Equal(0, r.PendingReads);
            Assert.Equal(2, await ready);
            Assert.Equal("de", Encoding.ASCII.GetString(buffer, 0, 2));
        });
    }

    [SkippableFact]
    public void A_blocking_write_to_a_full_pipe_waits_in_the_engine_and_runs_once_there_is_room()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = LwtFd.FromFd(rawR, blocking: false);
            using var w = AsStandard(rawW);
            int filled = Fill(rawW);

            var write = LwtUnix.Write(w, "x"u8.ToArray());
            var writeV = LwtUnix.WriteV(w, [new byte[] { 1 }, new byte[] { 2 }]);
            Assert.True(write.IsPending);
            Assert.True(writeV.IsPending);
            Assert.Equal(0, LwtUnix.PendingJobCount);
            Assert.Equal(2, w.PendingWrites);
            Assert.False(LwtUnix.Writable(w)); // Lwt's writable polls, blocking or not

            var canceled = LwtUnix.WaitWrite(w);
            Assert.True(canceled.IsPending);
            canceled.Cancel();
            Assert.Equal(2, w.PendingWrites);

            // Drain the pipe: both writes then run, in order.
            var sink = new byte[1 << 20];
            int drained = 0;
            while (drained < filled + 3) drained += await LwtUnix.Read(r, sink);
            Assert.Equal(filled + 3, drained);

            Assert.Equal(1, await write);
            Assert.Equal(2, await writeV);
            Assert.False(NonBlocking(rawW));
        });
    }

    // A shell pipeline into the program (`printf 'a\nb\n' | app`): a blocking pipe whose writer
    // is gone once the data is read. Readable counts POLLIN only, as Lwt's; the reads that the
    // engine woke must still take the hang-up as readiness and get end of input, not go back to
    // wait for an event the engine reports again at once (a spin at 100% CPU, found by running
    // the cat sample when Readable became strict).
    [SkippableFact]
    public void A_blocking_pipe_whose_writer_is_gone_reads_to_the_end()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            var r = AsStandard(rawR);
            var ic = LwtIO.OfFd(LwtIO.Input, r);
            var rest = new byte[16];
            var first = ic.ReadInto(rest); // waits in the engine: nothing written yet
            Assert.True(first.IsPending);
            Assert.Equal(4, LibC.Write(rawW, "a\nb\n"u8));
            LibC.Close(rawW);
            Assert.Equal(4, await first);
            Assert.False(LwtUnix.Readable(r)); // a hang-up alone, as Lwt's readable
            Assert.Equal(0, await ic.ReadInto(rest)); // end of input, through the engine
            await ic.Close();
        });
    }

    // Lwt's wait_read: readable now (a zero-timeout poll), or register_action Read. Before the
    // fix WaitRead and Readable answered "ready" at once for every blocking descriptor.
    [SkippableFact]
    public void WaitRead_and_Readable_on_a_blocking_pipe_follow_its_readiness()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = AsStandard(rawR);
            using var w = AsStandard(rawW);
            Assert.False(LwtUnix.Readable(r));
            var wait = LwtUnix.WaitRead(r);
            Assert.True(wait.IsPending);
            await LwtUnix.Write(w, "z"u8.ToArray());
            await wait;
            Assert.True(LwtUnix.Readable(r));
            Assert.True(LwtUnix.WaitRead(r).IsFulfilled);
            Assert.Equal(1, await LwtUnix.Read(r, new byte[4])); // the wait consumed nothing
        });
    }

    // A regular file is always ready: its blocking reads start their job at once (no wait, no
    // engine, which refuses regular files), and poll is not even asked.
    [SkippableFact]
    public void A_regular_file_read_starts_its_job_at_once()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "line one\nline two\n");
            var file = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            Assert.True(file.IsBlocking);
            Assert.True(file.AlwaysReady);
            Assert.True(LwtUnix.Readable(file));
            var read = LwtUnix.Read(file, new byte[4]);
            Assert.Equal(0, file.PendingReads);
            Assert.Equal(4, await read);
            await LwtUnix.WaitRead(file);

            // A channel over it, wrapped as the standard input is.
            using var raw = File.OpenHandle(path);
            var ic = LwtIO.OfFd(LwtIO.Input, AsStandard((int)raw.DangerousGetHandle()), closeFd: false);
            Assert.Equal("line one", await ic.ReadLine());
            Assert.Equal("line two", await ic.ReadLine());
            await file.Close();
        });
    }

    // ------------------------------------------------------------ F1: channels, the guess

    [SkippableFact]
    public void Channels_over_blocking_pipe_ends_read_and_write_and_leave_the_flags_clear()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            var r = AsStandard(rawR);
            var ic = LwtIO.OfFd(LwtIO.Input, r);
            var oc = LwtIO.OfFd(LwtIO.Output, AsStandard(rawW));
            var line = ic.ReadLine();
            Assert.True(line.IsPending);
            Assert.Equal(0, LwtUnix.PendingJobCount);
            await oc.Write("through a pipe\n");
            await oc.Flush();
            Assert.Equal("through a pipe", await line);
            Assert.False(NonBlocking(rawR));
            Assert.False(NonBlocking(rawW));
            await oc.Close();
            await ic.Close();
        });
    }

    [SkippableFact]
    public void A_channel_over_a_terminal_wrapped_as_stdin_reads_lines_and_leaves_its_flags_alone()
    {
        OnLoop(async () =>
        {
            var (master, slave) = OpenPty();
            using var _master = master;
            Assert.False(NonBlocking(slave));
            var ic = LwtIO.OfFd(LwtIO.Input, AsStandard(slave));
            var line = ic.ReadLine();
            Assert.True(line.IsPending);
            Assert.Equal(0, LwtUnix.PendingJobCount);
            await LwtUnix.Write(master, "typed\n"u8.ToArray());
            Assert.Equal("typed", await line);
            Assert.False(NonBlocking(slave));
            await ic.Close();
        });
    }

    // A blocking pipe (the standard descriptors in a pipeline) that poll reports ready makes
    // its call at once on the loop thread: a read of available data, a write of at most
    // PIPE_BUF bytes. A job per call made `cat FILE | ...` through LwtIO six times slower. A
    // bigger write, which could block on a full pipe, is still a job.
    [SkippableFact]
    public void A_ready_blocking_pipe_reads_and_writes_at_once_and_a_big_write_is_a_job()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = AsStandard(rawR);
            using var w = AsStandard(rawW);

            var small = LwtUnix.Write(w, new byte[4096]);
            Assert.Equal(4096, small.Value); // fulfilled at the call, no job
            var buffer = new byte[8192];
            var read = LwtUnix.Read(r, buffer);
            Assert.Equal(4096, read.Value);
            Assert.Equal(0, LwtUnix.PendingJobCount);

            var big = LwtUnix.Write(w, new byte[4097]);
            Assert.True(big.IsPending); // a job: the pipe may not take it at once
            Assert.Equal(4097, await big);
            int total = 0;
            while (total < 4097) total += await LwtUnix.Read(r, buffer);
            Assert.Equal(4097, total);
            Assert.False(NonBlocking(rawR));
            Assert.False(NonBlocking(rawW));
        });
    }

    // lwt_unix.cppo.ml openfile wraps with of_unix_file_descr's guess (set_flags: true): a
    // terminal opened by path is blocking with O_NONBLOCK clear, and works through a channel;
    // OpenFile guessed by lseek and made it non-blocking (O_NONBLOCK set).
    [SkippableFact]
    public void OpenFile_guesses_as_Lwt_a_terminal_is_blocking_and_its_flags_match()
    {
        OnLoop(async () =>
        {
            var (master, slave) = OpenPty();
            using var _master = master;
            string path = File.ResolveLinkTarget($"/proc/self/fd/{slave}", false)!.FullName;
            LibC.Close(slave);
            using var tty = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite | (OpenFlags)O_NOCTTY);
            Assert.True(tty.IsBlocking);
            Assert.False(NonBlocking(tty.Fd));
            var ic = LwtIO.OfFd(LwtIO.Input, tty);
            var line = ic.ReadLine();
            await LwtUnix.Write(master, "by path\n"u8.ToArray());
            Assert.Equal("by path", await line);

            string fifo = Path.Combine(Path.GetTempPath(), $"lwt-fifo-{Guid.NewGuid():N}");
            Assert.Equal(0, MkFifo(fifo, 0b110_000_000));
            try
            {
                using var reader = await LwtUnix.OpenFile(fifo, OpenFlags.ReadOnly | OpenFlags.NonBlock);
                Assert.False(reader.IsBlocking);
                Assert.True(NonBlocking(reader.Fd));
            }
            finally
            {
                File.Delete(fifo);
            }
        });
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, int mode);

    // unix_guess_blocking_job.c: blocking unless S_ISFIFO or S_ISSOCK. Before the fix a
    // terminal (not seekable) was guessed non-blocking and given O_NONBLOCK.
    [SkippableFact]
    public void FromFd_guesses_as_Lwt_a_FIFO_or_socket_is_non_blocking_a_terminal_or_file_blocking()
    {
        OnLoop(async () =>
        {
            var (master, slave) = OpenPty();
            using var _master = master;
            LwtFd.SetNonBlocking(slave, true);
            using var tty = LwtFd.FromFd(slave);
            Assert.True(tty.IsBlocking);
            Assert.False(NonBlocking(slave)); // set_flags: the mode's flag, as Lwt clears it

            var (rawR, rawW) = RawBlockingPipe();
            using var pipe = LwtFd.FromFd(rawR);
            using var _w = LwtFd.FromFd(rawW, blocking: false);
            Assert.False(pipe.IsBlocking);
            Assert.True(NonBlocking(rawR));

            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            using var socket = LwtFd.FromFd(LibC.Dup(a.Fd), setFlags: false);
            Assert.False(socket.IsBlocking);

            using var devNull = LwtFd.FromFd(LibC.Open("/dev/null", LibC.O_CLOEXEC, 0), setFlags: false);
            Assert.True(devNull.IsBlocking);
            await Promise.ReturnUnit;
        });
    }

    // ------------------------------------------------------------------------- F2: dup

    // OCaml's Unix.dup and Unix.dup2 set FD_CLOEXEC only with ~cloexec:true.
    [SkippableFact]
    public void Dup_and_Dup2_leave_the_copy_inheritable_unless_asked()
    {
        OnLoop(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            var (r2, w2) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            using var _r2 = r2;
            using var _w2 = w2;

            using var inheritable = LwtUnix.Dup(w);
            using var closed = LwtUnix.Dup(w, cloexec: true);
            using var open = LwtUnix.Dup(w, cloexec: false);
            Assert.False(CloseOnExec(inheritable));
            Assert.True(CloseOnExec(closed));
            Assert.False(CloseOnExec(open));

            Assert.True(CloseOnExec(w2));
            LwtUnix.Dup2(w, w2);
            Assert.False(CloseOnExec(w2));
            LwtUnix.Dup2(w, w2, cloexec: true);
            Assert.True(CloseOnExec(w2));
            LwtUnix.Dup2(w, w2, cloexec: false);
            Assert.False(CloseOnExec(w2));

            Assert.Equal(1, await LwtUnix.Write(w2, new byte[] { 7 }));
            Assert.Equal(1, await LwtUnix.Read(r, new byte[1]));
        });
    }

    // ----------------------------------------------------------------- F3: set_blocking

    // Lwt's set_blocking never fails because operations wait; asking for the current mode is
    // harmless. A real change while operations wait stays refused (documented).
    [SkippableFact]
    public void SetBlocking_to_the_current_mode_is_allowed_while_operations_wait()
    {
        OnLoop(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var pending = LwtUnix.Read(r, new byte[4]);
            LwtUnix.SetBlocking(r, false);
            LwtUnix.SetBlocking(r, false, setFlags: false);
            Assert.True(NonBlocking(r.Fd));
            Assert.Throws<InvalidOperationException>(() => LwtUnix.SetBlocking(r, true));
            Assert.False(r.IsBlocking);
            Assert.True(NonBlocking(r.Fd));
            await LwtUnix.Write(w, new byte[] { 1 });
            Assert.Equal(1, await pending);
        });
    }

    // ---------------------------------------------------- several waiters of one pipe

    // Two reads of a blocking pipe wait in the engine; one byte ends both waits, and the
    // first read takes it. The second used to make its read at once on the loop thread
    // (the pipe's call without a job, df11d94) and blocked the loop until more data came;
    // with Lwt's job it would block a worker. It asks poll again and waits again.
    [SkippableFact]
    public void Two_readers_of_a_blocking_pipe_woken_by_one_byte_leave_the_loop_free()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = AsStandard(rawR);
            using var w = AsStandard(rawW);
            var first = LwtUnix.Read(r, new byte[8]);
            var second = LwtUnix.Read(r, new byte[8]);
            Assert.Equal(2, r.PendingReads);

            using (UnblockLater(() => LibC.Write(rawW, "zz"u8)))
            {
                Assert.Equal(1, LibC.Write(rawW, "a"u8));
                Assert.Equal(1, await first);
                for (int i = 0; i < 3; i++) await Promise.Pause();
                Assert.True(second.IsPending, "the second read did not wait for data of its own");
            }

            Assert.Equal(1, LibC.Write(rawW, "b"u8));
            Assert.Equal(1, await second);
            Assert.Equal(0, r.PendingReads);
        });
    }

    // The same for writes: two small writes wait on a full blocking pipe; the reader frees a
    // single page, which the first write takes.
    [SkippableFact]
    public void Two_writers_to_a_full_blocking_pipe_woken_by_one_free_page_leave_the_loop_free()
    {
        OnLoop(async () =>
        {
            var (rawR, rawW) = RawBlockingPipe();
            using var r = LwtFd.FromFd(rawR, blocking: false);
            using var w = AsStandard(rawW);
            int filled = Fill(rawW);
            var first = LwtUnix.Write(w, new byte[4096]);
            var second = LwtUnix.Write(w, new byte[4096]);
            Assert.Equal(2, w.PendingWrites);

            var sink = new byte[4096];
            using (UnblockLater(() => LibC.Read(rawR, new byte[1 << 16])))
            {
                // Reading one page frees one of the pipe's pages: room for one write, not two.
                Assert.Equal(4096, await LwtUnix.Read(r, sink));
                Assert.Equal(4096, await first);
                for (int i = 0; i < 3; i++) await Promise.Pause();
                Assert.True(second.IsPending, "the second write did not wait for room of its own");
            }

            int drained = 0;
            while (drained < filled + 4096) drained += await LwtUnix.Read(r, new byte[1 << 16]);
            Assert.Equal(4096, await second);
        });
    }

    // ------------------------------------------------------------------ the real fds 0-2

    // In a child whose stdin and stdout are pipes: LwtIO.Stdin and LwtIO.Stdout read and write,
    // then .NET's Console reads the same stdin (before the fix: IOException, EAGAIN), and fds
    // 0-2 still have O_NONBLOCK clear.
    [SkippableFact]
    public void The_standard_descriptors_of_a_child_work_with_Lwt_then_with_Console_and_stay_blocking()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux descriptors");
        var (code, stdout, stderr) = ExitChild.Run(ExitChild.StandardDescriptors, (input, output) =>
        {
            input.Write("one\n");
            input.Flush();
            Assert.Equal("lwt:one", output.ReadLine());
            input.Write("two\n");
            input.Close();
        });
        Assert.True(code == 0, $"exit code {code}; stderr: {stderr}");
        Assert.Contains("console:two", stdout);
        Assert.Contains("nonblock:False,False,False", stdout);
    }
}
