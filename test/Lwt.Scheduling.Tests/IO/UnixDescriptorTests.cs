using System.Net;
using System.Net.Sockets;
using System.Text;
using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// The descriptor functions of Lwt_unix that act on the descriptor itself: stdin/stdout/stderr,
/// lseek, abort and state, dup, dup2; and system, yield, and the optint/float socket options.
/// </summary>
[Collection("IO")]
public class UnixDescriptorTests
{
    private const int ESPIPE = 29, EINVAL = 22, EBADF = 9;

    [SkippableFact]
    public void StandardDescriptorsAreOneWrapperEachUnderTheStandardChannels()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux descriptors");
        // Wrapping fds 1 and 2 makes them non-blocking (they are pipes under the test host):
        // put their flags back afterwards, whatever happens.
        int out1 = LibC.Fcntl(1, LibC.F_GETFL, 0), out2 = LibC.Fcntl(2, LibC.F_GETFL, 0);
        try
        {
            var wrappers = new LwtFd[8];
            Parallel.For(0, wrappers.Length, i => wrappers[i] = i % 2 == 0 ? LwtUnix.Stdout : LwtUnix.Stderr);
            for (int i = 0; i < wrappers.Length; i++) Assert.Same(i % 2 == 0 ? LwtUnix.Stdout : LwtUnix.Stderr, wrappers[i]);
            Assert.Equal(1, LwtUnix.Stdout.Fd);
            Assert.Equal(2, LwtUnix.Stderr.Fd);
            Assert.NotSame(LwtUnix.Stdout, LwtUnix.Stderr);
            Assert.Equal(LwtFdState.Opened, LwtUnix.Stdout.State);

            var channels = new OutputChannel[8];
            Parallel.For(0, channels.Length, i => channels[i] = LwtIO.Stdout);
            Assert.All(channels, c => Assert.Same(LwtIO.Stdout, c));
        }
        finally
        {
            LibC.Fcntl(1, LibC.F_SETFL, out1);
            LibC.Fcntl(2, LibC.F_SETFL, out2);
        }
    }

    [SkippableFact]
    public void LSeekMovesTheOffsetFromEachOriginAndReportsErrors()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux files");
        InTempDir(async dir =>
        {
            using var fd = await LwtUnix.OpenFile(Path.Combine(dir, "f"), OpenFlags.ReadWrite | OpenFlags.Create);
            Assert.Equal(10, await LwtUnix.Write(fd, Encoding.ASCII.GetBytes("0123456789")));
            Assert.Equal(10L, await LwtUnix.LSeek(fd, 0, SeekOrigin.Current));
            Assert.Equal(2L, await LwtUnix.LSeek(fd, 2, SeekOrigin.Begin));
            var buf = new byte[3];
            Assert.Equal(3, await LwtUnix.Read(fd, buf));
            Assert.Equal("234", Encoding.ASCII.GetString(buf));
            Assert.Equal(7L, await LwtUnix.LSeek(fd, -3, SeekOrigin.End));
            Assert.Equal(9L, await LwtUnix.LSeek(fd, 2, SeekOrigin.Current));
            Assert.Equal(1, await LwtUnix.Read(fd, buf));
            Assert.Equal((byte)'9', buf[0]);
            Assert.Equal(1L << 40, await LwtUnix.LSeek(fd, 1L << 40, SeekOrigin.Begin)); // 64-bit offsets (LargeFile.lseek)

            Assert.Equal(EINVAL, Errno(await Record(LwtUnix.LSeek(fd, -1, SeekOrigin.Begin))));
            Assert.Throws<ArgumentOutOfRangeException>("origin", () => LwtUnix.LSeek(fd, 0, (SeekOrigin)7));
            Assert.Throws<ArgumentNullException>("fd", () => LwtUnix.LSeek(null!, 0, SeekOrigin.Begin));

            var (r, w) = LwtUnix.Pipe();
            using var _w = w;
            Assert.Equal(ESPIPE, Errno(await Record(LwtUnix.LSeek(r, 0, SeekOrigin.Begin))));
            await r.Close();
            Assert.Equal(EBADF, Errno(await Record(LwtUnix.LSeek(r, 0, SeekOrigin.Begin))));
        });
    }

    [SkippableFact]
    public void AbortFailsWaitingAndLaterUsesWithItsExceptionUntilClose()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _w = w;
            var buf = new byte[4];
            var first = LwtUnix.Read(r, buf);
            var second = LwtUnix.Read(r, buf);
            Assert.True(first.IsPending && second.IsPending);
            var order = new List<int>();
            first.OnFailure(_ => order.Add(1));
            second.OnFailure(_ => order.Add(2));

            var boom = new InvalidOperationException("aborted by the test");
            LwtUnix.Abort(r, boom);
            Assert.Same(boom, first.Exception);
            Assert.Same(boom, second.Exception);
            Assert.Equal(new[] { 1, 2 }, order);
            Assert.Equal(LwtFdState.Aborted, r.State);
            Assert.Same(boom, r.AbortException);
            Assert.Equal(0, r.PendingReads);

            Assert.Same(boom, LwtUnix.Read(r, buf).Exception);               // a later call rejects
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => LwtUnix.CheckDescriptor(r)));
            var again = new TimeoutException("second abort");
            LwtUnix.Abort(r, again);                                          // replaces the exception
            Assert.Same(again, LwtUnix.Read(r, buf).Exception);

            await r.Close();                                                  // close still works
            Assert.Equal(LwtFdState.Closed, r.State);
            Assert.Null(r.AbortException);
            LwtUnix.Abort(r, boom);                                           // nothing on a closed fd
            Assert.Equal(LwtFdState.Closed, r.State);
            Assert.Equal(EBADF, Errno(LwtUnix.Read(r, buf).Exception));

            // The aborted reads left the engine: a new pipe (likely on the same numbers) works.
            var (r2, w2) = LwtUnix.Pipe();
            using var _r2 = r2;
            using var _w2 = w2;
            var reading = LwtUnix.Read(r2, buf);
            Assert.True(reading.IsPending);
            await LwtUnix.Write(w2, new byte[] { 42 });
            Assert.Equal(1, await reading);

            Assert.Throws<ArgumentNullException>("fd", () => LwtUnix.Abort(null!, boom));
            Assert.Throws<ArgumentNullException>("exception", () => LwtUnix.Abort(r2, null!));
            Assert.Equal(LwtFdState.Opened, r2.State);
        }));
    }

    [SkippableFact]
    public void DupMakesAnIndependentInheritableCopyOfTheSameFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            var copy = LwtUnix.Dup(w);
            using var _copy = copy;
            Assert.NotEqual(w.Fd, copy.Fd);
            Assert.Equal(w.IsBlocking, copy.IsBlocking);
            Assert.Equal(0, LibC.Fcntl(copy.Fd, LibC.F_GETFD, 0) & LibC.FD_CLOEXEC); // as OCaml's Unix.dup without ~cloexec

            await w.Close();                                       // the copy keeps the pipe open
            Assert.Equal(2, await LwtUnix.Write(copy, new byte[] { 1, 2 }));
            var buf = new byte[4];
            Assert.Equal(2, await LwtUnix.Read(r, buf));
            await copy.Close();
            Assert.Equal(0, await LwtUnix.Read(r, buf));          // now the last writer is gone

            Assert.Equal(EBADF, Errno(Assert.Throws<UnixErrorException>(() => LwtUnix.Dup(w))));
            Assert.Throws<ArgumentNullException>("fd", () => LwtUnix.Dup(null!));
        }));
    }

    [SkippableFact]
    public void Dup2MakesTheTargetNumberNameTheSourceFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r1, w1) = LwtUnix.Pipe();
            var (r2, w2) = LwtUnix.Pipe();
            using var _r1 = r1;
            using var _w1 = w1;
            using var _r2 = r2;
            using var _w2 = w2;
            var buf = new byte[8];

            // r2 has waited in the engine once, so its read registration is kept (lazily).
            var waited = LwtUnix.Read(r2, buf);
            Assert.True(waited.IsPending);
            await LwtUnix.Write(w2, new byte[] { 9 });
            Assert.Equal(1, await waited);

            // A target with a read waiting is refused, and nothing changes.
            var pending = LwtUnix.Read(r2, buf);
            Assert.Throws<InvalidOperationException>(() => LwtUnix.Dup2(r1, r2));
            await LwtUnix.Write(w2, new byte[] { 8 });
            Assert.Equal(1, await pending);

            // r2's number now names pipe 1's read end: what is written to w1 is read from r2,
            // waiting in the engine first (its old registration went with pipe 2's read end).
            LwtUnix.Dup2(r1, r2);
            Assert.Equal(0, LibC.Fcntl(r2.Fd, LibC.F_GETFD, 0) & LibC.FD_CLOEXEC); // as OCaml's Unix.dup2 without ~cloexec
            var moved = LwtUnix.Read(r2, buf);
            Assert.True(moved.IsPending);
            await LwtUnix.Write(w1, Encoding.ASCII.GetBytes("via r2"));
            Assert.Equal(6, await moved);
            Assert.Equal("via r2", Encoding.ASCII.GetString(buf, 0, 6));

            // And w2's number now names pipe 1's write end, which leaves pipe 2 without a reader.
            LwtUnix.Dup2(w1, w2);
            Assert.Equal(3, await LwtUnix.Write(w2, new byte[] { 1, 2, 3 }));
            Assert.Equal(3, await LwtUnix.Read(r1, buf));

            LwtUnix.Dup2(r1, r1); // the same number: nothing to do
            Assert.Equal(LwtFdState.Opened, r1.State);
            Assert.Throws<ArgumentNullException>("source", () => LwtUnix.Dup2(null!, r1));
            Assert.Throws<ArgumentNullException>("target", () => LwtUnix.Dup2(r1, null!));
            await r1.Close();
            Assert.Equal(EBADF, Errno(Assert.Throws<UnixErrorException>(() => LwtUnix.Dup2(r1, r2))));
        }));
    }

    [SkippableFact]
    public void SystemRunsTheShellAndGivesTheStatus()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "/bin/sh");
        InTempDir(async dir =>
        {
            string file = Path.Combine(dir, "out");
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 0), await LwtUnix.System($"echo from-system > '{file}'"));
            Assert.Equal("from-system\n", File.ReadAllText(file));
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 3), await LwtUnix.System("exit 3"));
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), await LwtUnix.System("kill -9 $$"));
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Exited, 127), await LwtUnix.System("no-such-command-for-lwt-tests 2>/dev/null"));
            Assert.Throws<ArgumentNullException>("command", () => LwtUnix.System(null!));
        });
    }

#pragma warning disable CS0618 // the deprecated name is what is tested
    [Fact]
    public void YieldIsPause()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var yielded = LwtUnix.Yield();
            Assert.True(yielded.IsPending);
            Assert.Equal(1, Promise.PausedCount);
            await yielded;
            Assert.Equal(0, Promise.PausedCount);
        }));
    }
#pragma warning restore CS0618

    [SkippableFact]
    public void LingerAndTimeoutOptionsRoundTrip()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux sockets");
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            using var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            Assert.Equal(Option<int>.None, LwtUnix.GetSockOpt(fd, SocketOptIntOption.Linger));
            LwtUnix.SetSockOpt(fd, SocketOptIntOption.Linger, Option.Some(5));
            Assert.Equal(Option.Some(5), LwtUnix.GetSockOpt(fd, SocketOptIntOption.Linger));
            LwtUnix.SetSockOpt(fd, SocketOptIntOption.Linger, Option.Some(0));
            Assert.Equal(Option.Some(0), LwtUnix.GetSockOpt(fd, SocketOptIntOption.Linger));
            LwtUnix.SetSockOpt(fd, SocketOptIntOption.Linger, Option<int>.None);
            Assert.Equal(Option<int>.None, LwtUnix.GetSockOpt(fd, SocketOptIntOption.Linger));
            Assert.Throws<ArgumentOutOfRangeException>("value", () => LwtUnix.SetSockOpt(fd, SocketOptIntOption.Linger, Option.Some(-1)));

            Assert.Equal(0.0, LwtUnix.GetSockOpt(fd, SocketFloatOption.RcvTimeo));
            LwtUnix.SetSockOpt(fd, SocketFloatOption.RcvTimeo, 1.5);
            Assert.Equal(1.5, LwtUnix.GetSockOpt(fd, SocketFloatOption.RcvTimeo));
            LwtUnix.SetSockOpt(fd, SocketFloatOption.SndTimeo, 0.5);
            Assert.Equal(0.5, LwtUnix.GetSockOpt(fd, SocketFloatOption.SndTimeo));
            // The kernel keeps the time in clock ticks (1 to 10 ms) and rounds up to one.
            LwtUnix.SetSockOpt(fd, SocketFloatOption.SndTimeo, 0.1234);
            double rounded = LwtUnix.GetSockOpt(fd, SocketFloatOption.SndTimeo);
            Assert.InRange(rounded, 0.1234, 0.1234 + 0.0101);
            Assert.Equal(1.5, LwtUnix.GetSockOpt(fd, SocketFloatOption.RcvTimeo)); // the other is untouched
            LwtUnix.SetSockOpt(fd, SocketFloatOption.RcvTimeo, 0);
            Assert.Equal(0.0, LwtUnix.GetSockOpt(fd, SocketFloatOption.RcvTimeo));
            foreach (double bad in new[] { -1, double.NaN, double.PositiveInfinity, 3e9 })
                Assert.Throws<ArgumentOutOfRangeException>("seconds", () => LwtUnix.SetSockOpt(fd, SocketFloatOption.SndTimeo, bad));
            Assert.Throws<ArgumentOutOfRangeException>("option", () => LwtUnix.GetSockOpt(fd, (SocketFloatOption)9));
            Assert.Throws<ArgumentNullException>("fd", () => LwtUnix.GetSockOpt(null!, SocketOptIntOption.Linger));

            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            Assert.Equal(88, Errno(Assert.Throws<UnixErrorException>(() => LwtUnix.GetSockOpt(r, SocketOptIntOption.Linger)))); // ENOTSOCK
            fd.Dispose();
            Assert.Equal(EBADF, Errno(Assert.Throws<UnixErrorException>(() => LwtUnix.SetSockOpt(fd, SocketFloatOption.RcvTimeo, 1))));
            return Promise.ReturnUnit;
        }));
    }
}
