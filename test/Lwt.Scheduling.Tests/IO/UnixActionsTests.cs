using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// WrapSyscall, RegisterAction, CheckDescriptor and the Retry exceptions over real pipes and
/// socket pairs: the actions make real non-blocking system calls and wait in the engine.
/// </summary>
[Collection("IO")]
public class UnixActionsTests
{
    /// <summary>A non-blocking read(2) of <paramref name="fd"/> as an action: EAGAIN comes out as a UnixErrorException, as from any Unix call.</summary>
    private static Func<int> ReadAction(LwtFd fd, byte[] buffer, Action? onCall = null) => () =>
    {
        onCall?.Invoke();
        nint n = LwtUnix.SysRead(fd.Fd, buffer, 0, recv: false);
        if (n < 0) throw UnixErrorException.FromLastError("read");
        return (int)n;
    };

    private static void Run(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes and errno values");
        LwtMain.Run(body);
    }

    [SkippableFact]
    public void WrapSyscallOnAnEmptyPipeWaitsThenReadsOnceDataIsWritten()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var buffer = new byte[16];
            int calls = 0;
            var read = LwtUnix.WrapSyscall(IoEvent.Read, r, ReadAction(r, buffer, () => calls++));

            Assert.True(read.IsPending);
            Assert.Equal(1, calls); // tried at once: EAGAIN
            Assert.Equal(1, r.PendingReads);

            await LwtUnix.Write(w, "hello"u8.ToArray());
            Assert.Equal(5, await read);
            Assert.Equal("hello"u8.ToArray(), buffer[..5]);
            Assert.Equal(2, calls);
            Assert.Equal(0, r.PendingReads);
        });
    }

    [SkippableFact]
    public void WrapSyscallRunsAtOnceWhenTheCallDoesNotBlock()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            await LwtUnix.Write(w, new byte[] { 1, 2, 3 });
            var buffer = new byte[8];
            var read = LwtUnix.WrapSyscall(IoEvent.Read, r, ReadAction(r, buffer));
            Assert.Equal(PromiseState.Fulfilled, read.State);
            Assert.Equal(3, await read);
            Assert.Equal(0, r.PendingReads);
        });
    }

    [SkippableFact]
    public void RetryIsRetriedAtEachReadinessUntilTheActionReturns()
    {
        Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            var buffer = new byte[1];
            int calls = 0;
            // Wants two bytes: retries (RetryException) after the first one.
            var seen = new List<byte>();
            var action = LwtUnix.WrapSyscall(IoEvent.Read, a, () =>
            {
                calls++;
                nint n = LwtUnix.SysRead(a.Fd, buffer, 0, recv: false);
                if (n > 0) seen.Add(buffer[0]);
                if (seen.Count < 2) throw new LwtUnix.RetryException();
                return seen.Count;
            });

            Assert.True(action.IsPending);
            await LwtUnix.Write(b, new byte[] { 7 });
            while (calls < 2) await Promise.Pause();
            Assert.True(action.IsPending);
            Assert.Equal(1, a.PendingReads);

            await LwtUnix.Write(b, new byte[] { 8 });
            Assert.Equal(2, await action);
            Assert.Equal(new byte[] { 7, 8 }, seen);
            Assert.Equal(0, a.PendingReads);
        });
    }

    [SkippableFact]
    public void RetryReadMovesAWriteActionToTheReadQueueAndRunsItOnceReadable()
    {
        Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            int calls = 0;
            // Writable at once, but it needs to read first (as a TLS session can).
            var action = LwtUnix.WrapSyscall(IoEvent.Write, a, () =>
            {
                calls++;
                if (!LwtUnix.Readable(a)) throw new LwtUnix.RetryReadException();
                return "done";
            });

            Assert.True(action.IsPending);
            Assert.Equal(1, calls);
            Assert.Equal(1, a.PendingReads);
            Assert.Equal(0, a.PendingWrites);

            // Writable all along: the action must not run again until the socket is readable.
            for (int i = 0; i < 5; i++) await Promise.Pause();
            Assert.Equal(1, calls);

            await LwtUnix.Write(b, new byte[] { 1 });
            Assert.Equal("done", await action);
            Assert.Equal(2, calls);
            Assert.Equal(0, a.PendingReads);
        });
    }

    [SkippableFact]
    public void RetryWriteMovesAQueuedReadActionToTheWriteQueue()
    {
        Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            var events = new List<string>();
            var action = LwtUnix.RegisterAction(IoEvent.Read, a, () =>
            {
                if (events.Count == 0)
                {
                    events.Add("readable");
                    throw new LwtUnix.RetryWriteException();
                }

                events.Add("writable");
                return 42;
            });

            Assert.Empty(events); // RegisterAction does not try first
            await LwtUnix.Write(b, new byte[] { 1 });
            Assert.Equal(42, await action);
            Assert.Equal(new[] { "readable", "writable" }, events);
            Assert.Equal(0, a.PendingReads);
            Assert.Equal(0, a.PendingWrites);
        });
    }

    [SkippableFact]
    public void CancelingAWaitingActionRemovesItSoItNeverRuns()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var buffer = new byte[8];
            int calls = 0;
            var read = LwtUnix.WrapSyscall(IoEvent.Read, r, ReadAction(r, buffer, () => calls++));
            Assert.Equal(1, r.PendingReads);

            read.Cancel();
            Assert.IsType<CanceledException>(await Record(read));
            Assert.Equal(0, r.PendingReads);

            // Readable now: had the action stayed queued, it would consume these bytes.
            await LwtUnix.Write(w, new byte[] { 9, 9 });
            for (int i = 0; i < 5; i++) await Promise.Pause();
            Assert.Equal(1, calls);
            Assert.Equal(2, await LwtUnix.Read(r, buffer));
            Assert.Equal(1, calls);
        });
    }

    [SkippableFact]
    public void RegisterActionWaitsForReadinessWithoutTryingFirst()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            await LwtUnix.Write(w, new byte[] { 5 });
            var buffer = new byte[8];
            int calls = 0;
            // Readable already, but the action is only registered: it runs from the engine.
            var read = LwtUnix.RegisterAction(IoEvent.Read, r, ReadAction(r, buffer, () => calls++));
            Assert.Equal(0, calls);
            Assert.True(read.IsPending);
            Assert.Equal(1, await read);
            Assert.Equal(1, calls);

            // On an empty pipe it waits for the data.
            var second = LwtUnix.RegisterAction(IoEvent.Read, r, ReadAction(r, buffer, () => calls++));
            for (int i = 0; i < 5; i++) await Promise.Pause();
            Assert.True(second.IsPending);
            await LwtUnix.Write(w, new byte[] { 6, 6 });
            Assert.Equal(2, await second);
        });
    }

    [SkippableFact]
    public void AnActionsOtherExceptionsRejectThePromise()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var now = new InvalidOperationException("now");
            Assert.Same(now, await Record(LwtUnix.WrapSyscall<int>(IoEvent.Read, r, () => throw now)));

            var later = new FormatException("later");
            int calls = 0;
            var p = LwtUnix.WrapSyscall<int>(IoEvent.Read, r, () =>
            {
                if (++calls == 1) throw new UnixErrorException(11 /* EAGAIN */, "recv");
                throw later;
            });
            Assert.True(p.IsPending);
            await LwtUnix.Write(w, new byte[] { 1 });
            Assert.Same(later, await Record(p));

            // A Unix error other than EAGAIN/EINTR is a failure, not a retry.
            var ebadf = new UnixErrorException(9, "ioctl");
            Assert.Same(ebadf, await Record(LwtUnix.WrapSyscall<int>(IoEvent.Write, w, () => throw ebadf)));
            Assert.Equal(0, r.PendingReads);
            Assert.Equal(0, w.PendingWrites);
        });
    }

    [SkippableFact]
    public void EintrIsRetriedLikeEagain()
    {
        Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            int calls = 0;
            var p = LwtUnix.WrapSyscall(IoEvent.Read, a, () => ++calls == 1 ? throw new UnixErrorException(4 /* EINTR */, "read") : calls);
            Assert.True(p.IsPending);
            await LwtUnix.Write(b, new byte[] { 1 });
            Assert.Equal(2, await p);
        });
    }

    [SkippableFact]
    public void ANonBlockingSocketReceiveCanBeTheActionAsItIs()
    {
        Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            using var socket = new Socket(new SafeSocketHandle(a.Fd, ownsHandle: false)) { Blocking = false };
            var buffer = new byte[8];
            int calls = 0;
            // Receive throws SocketException(WouldBlock) while there is nothing: the action waits.
            var received = LwtUnix.WrapSyscall(IoEvent.Read, a, () =>
            {
                calls++;
                return socket.Receive(buffer);
            });
            Assert.True(received.IsPending);
            Assert.Equal(1, calls);

            await LwtUnix.Write(b, new byte[] { 1, 2, 3 });
            Assert.Equal(3, await received);
            Assert.Equal(2, calls);
        });
    }

    [SkippableFact]
    public void ABlockingDescriptorRunsTheActionOnlyWhenPollSaysItIsReady()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            LwtUnix.SetBlocking(r, true); // a blocking pipe: a read now would block the loop
            var buffer = new byte[8];
            int calls = 0;
            var read = LwtUnix.WrapSyscall(IoEvent.Read, r, ReadAction(r, buffer, () => calls++));
            Assert.Equal(0, calls);
            Assert.True(read.IsPending);

            await LwtUnix.Write(w, new byte[] { 1, 2 });
            Assert.Equal(2, await read);
            Assert.Equal(1, calls);
        });
    }

    [SkippableFact]
    public void CheckDescriptorThrowsEbadfOnAClosedDescriptorAndActionsAreRejected()
    {
        Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _w = w;
            LwtUnix.CheckDescriptor(r); // open: nothing

            int calls = 0;
            var pending = LwtUnix.WrapSyscall(IoEvent.Read, r, ReadAction(r, new byte[1], () => calls++));
            Assert.True(pending.IsPending);
            await r.Close();

            Assert.Equal(9 /* EBADF */, Errno(await Record(pending)));
            var e = Assert.Throws<UnixErrorException>(() => LwtUnix.CheckDescriptor(r));
            Assert.Equal(9, e.Errno);
            Assert.Equal("check_descriptor", e.Function);
            Assert.Equal(9, Errno(await Record(LwtUnix.WrapSyscall(IoEvent.Read, r, () => calls++))));
            Assert.Equal(9, Errno(await Record(LwtUnix.RegisterAction(IoEvent.Write, r, () => calls++))));
            Assert.Equal(1, calls); // only the first attempt of the pending one ran
        });
    }

    [SkippableFact]
    public void UnixFileDescrIsTheDescriptorNumber()
    {
        Run(() =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _w = w;
            Assert.Equal(r.Fd, LwtUnix.UnixFileDescr(r));
            Assert.True(LwtUnix.UnixFileDescr(r) > 2);
            r.Dispose();
            Assert.Equal(-1, LwtUnix.UnixFileDescr(r));
            return Promise.ReturnUnit;
        });
    }

    [SkippableFact]
    public void BadArgumentsThrowAtTheCall()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        var (r, w) = LwtUnix.Pipe();
        using var _r = r;
        using var _w = w;
        Assert.Equal("fd", Assert.Throws<ArgumentNullException>(() => LwtUnix.WrapSyscall(IoEvent.Read, null!, () => 1)).ParamName);
        Assert.Equal("action", Assert.Throws<ArgumentNullException>(() => LwtUnix.WrapSyscall<int>(IoEvent.Read, r, null!)).ParamName);
        Assert.Equal("fd", Assert.Throws<ArgumentNullException>(() => LwtUnix.RegisterAction(IoEvent.Write, null!, () => 1)).ParamName);
        Assert.Equal("action", Assert.Throws<ArgumentNullException>(() => LwtUnix.RegisterAction<int>(IoEvent.Write, r, null!)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WrapSyscall((IoEvent)2, r, () => 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.RegisterAction((IoEvent)(-1), r, () => 1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.CheckDescriptor(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.UnixFileDescr(null!));
        Assert.Equal(0, r.PendingReads + r.PendingWrites);
    }
}
