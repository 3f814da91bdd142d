using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// Socket calls on a socket wrapped as blocking (<c>LwtFd.FromFd(fd, blocking: true)</c> or
/// <c>SetBlocking(fd, true)</c>): Lwt makes them through wrap_syscall, which calls at once only
/// when a zero-timeout poll says the socket is ready and otherwise waits in the engine first
/// (register_action), then calls on the loop thread; accept_n polls before each accept after
/// the first. Ours made recv/send/recvfrom/sendto/accept at once whatever the readiness (the
/// call then blocked the loop thread) and recv_msg/send_msg as jobs started at once (a parked
/// worker, and a read that cancel could not take back).
/// Each test has a guard thread that moves the socket after a while, so that a call that blocks
/// the loop returns and the test fails on its assertions instead of hanging.
/// </summary>
[Collection("IO")]
public class UnixBlockingSocketTests
{
    private static void OnLoop(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux sockets");
        LoopTest.OnFreshThread(() => LwtMain.Run(body));
    }

    /// <summary>A connected Unix-domain stream pair: <c>a</c> wrapped as blocking (O_NONBLOCK clear), <c>b</c> non-blocking.</summary>
    private static (LwtFd A, LwtFd B) BlockingPair()
    {
        var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
        LwtUnix.SetBlocking(a, true);
        Assert.True(a.IsBlocking);
        Assert.Equal(0, LibC.Fcntl(a.Fd, LibC.F_GETFL, 0) & LibC.O_NONBLOCK);
        return (a, b);
    }

    /// <summary>Fills the send buffer of the blocking socket <paramref name="a"/> (O_NONBLOCK only meanwhile).</summary>
    private static void Fill(LwtFd a)
    {
        LwtFd.SetNonBlocking(a.Fd, true);
        var chunk = new byte[65536];
        while (LibC.Write(a.Fd, chunk) > 0)
        {
        }

        Assert.Equal(LibC.EAGAIN, Marshal.GetLastPInvokeError());
        LwtFd.SetNonBlocking(a.Fd, false);
    }

    [SkippableFact]
    public void Receiving_calls_on_an_idle_blocking_socket_wait_in_the_engine()
    {
        OnLoop(async () =>
        {
            var (a, b) = BlockingPair();
            using var guard = UnblockLater(() => LibC.Write(b.Fd, new byte[64]));
            var buffer = new byte[4];
            var recv = LwtUnix.Recv(a, buffer);
            var recvFrom = LwtUnix.RecvFrom(a, new byte[4]);
            var recvMsg = LwtUnix.RecvMsg(a, new Memory<byte>[] { new byte[4] });
            Assert.True(recv.IsPending, "recv blocked the loop");
            Assert.True(recvFrom.IsPending, "recvfrom blocked the loop");
            Assert.True(recvMsg.IsPending, "recv_msg did not wait");
            Assert.Equal(0, LwtUnix.PendingJobCount); // no worker waits for the data
            Assert.Equal(3, a.PendingReads);          // the engine does

            // A canceled recv_msg consumed nothing.
            recvMsg.Cancel();
            Assert.Equal(2, a.PendingReads);
            Assert.Equal(8, await LwtUnix.Send(b, "abcdefgh"u8.ToArray()));
            Assert.Equal(4, await recv);
            Assert.Equal("abcd"u8.ToArray(), buffer);
            var (count, _) = await recvFrom;
            Assert.Equal(4, count);
            Assert.Equal(0, a.PendingReads);
            a.Dispose();
            b.Dispose();
        });
    }

    // Two receivers woken by one readiness: the first takes the byte; the second, whose call
    // would block, must not be attempted without a fresh poll.
    [SkippableFact]
    public void Two_receivers_of_a_blocking_socket_woken_by_one_byte_leave_the_loop_free()
    {
        OnLoop(async () =>
        {
            var (a, b) = BlockingPair();
            var first = LwtUnix.Recv(a, new byte[8]);
            var second = LwtUnix.Recv(a, new byte[8]);
            Assert.Equal(2, a.PendingReads);
            using (UnblockLater(() => LibC.Write(b.Fd, "zz"u8)))
            {
                Assert.Equal(1, await LwtUnix.Send(b, "a"u8.ToArray()));
                Assert.Equal(1, await first);
                for (int i = 0; i < 3; i++) await Promise.Pause();
                Assert.True(second.IsPending, "the second recv did not wait for data of its own");
            }

            Assert.Equal(1, await LwtUnix.Send(b, "b"u8.ToArray()));
            Assert.Equal(1, await second);
            a.Dispose();
            b.Dispose();
        });
    }

    [SkippableFact]
    public void Sending_calls_on_a_full_blocking_socket_wait_in_the_engine()
    {
        OnLoop(async () =>
        {
            var (a, b) = BlockingPair();
            Fill(a);
            var sink = new byte[1 << 20];
            using var guard = UnblockLater(() =>
            {
                while (LibC.Read(b.Fd, sink) > 0)
                {
                }
            });
            var send = LwtUnix.Send(a, new byte[] { 1 });
            var sendMsg = LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { new byte[] { 2 } }, Array.Empty<int>());
            Assert.True(send.IsPending, "send blocked the loop");
            Assert.True(sendMsg.IsPending, "send_msg did not wait");
            Assert.Equal(0, LwtUnix.PendingJobCount);
            Assert.Equal(2, a.PendingWrites);

            var reading = Drain(b, sink);
            Assert.Equal(1, await send);
            Assert.Equal(1, await sendMsg);
            Assert.Equal(0, a.PendingWrites);
            a.Dispose();
            await reading; // end of file once a is closed
            b.Dispose();
        });
    }

    /// <summary>Reads <paramref name="b"/> to its end of file, as the sending test's peer.</summary>
    private static async Promise Drain(LwtFd b, byte[] sink)
    {
        while (await LwtUnix.Read(b, sink) > 0)
        {
        }
    }

    [SkippableFact]
    public void Accept_on_a_blocking_listener_waits_and_AcceptN_takes_only_what_is_pending()
    {
        OnLoop(async () =>
        {
            using var l = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Bind(l, new IPEndPoint(IPAddress.Loopback, 0));
            LwtUnix.Listen(l, 16);
            LwtUnix.SetBlocking(l, true);
            var address = LwtUnix.GetSockName(l);
            var clients = new List<Socket>();
            using var guard = UnblockLater(() =>
            {
                for (int i = 0; i < 4; i++)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    s.Connect(address);
                    lock (clients) clients.Add(s);
                }
            });

            var accept = LwtUnix.Accept(l);
            Assert.True(accept.IsPending, "accept blocked the loop");
            Assert.Equal(1, l.PendingReads);

            using var c1 = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Connect(c1, address);
            var (fd1, _) = await accept;
            fd1.Dispose();

            // One pending connection, up to three asked for: one, without blocking for more.
            using var c2 = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Connect(c2, address);
            while (!LwtUnix.Readable(l)) await Promise.Pause();
            var (connections, error) = await LwtUnix.AcceptN(l, 3);
            lock (clients) Assert.Empty(clients); // the guard did not have to connect
            Assert.Single(connections);
            Assert.Null(error);
            connections[0].Fd.Dispose();
        });
    }
}
