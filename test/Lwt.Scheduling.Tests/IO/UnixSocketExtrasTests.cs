using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.GetSockOptError, the IPv4 multicast options, GetCredentials, RecvMsg, SendMsg and
/// SendMsgTo (Lwt_unix.getsockopt_error, mcast_*, get_credentials, recv_msg, send_msg,
/// send_msgto) on real sockets: loopback TCP and UDP, and Unix-domain socket pairs.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixSocketExtrasTests
{
    private const int EBADF = 9, ECONNREFUSED = 111, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENOTSOCK = 88, ENODEV = 19;
    private const int IPPROTO_IP = 0, IP_MULTICAST_TTL = 33, IP_MULTICAST_LOOP = 34;

    [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static extern int GetSockOpt(int fd, int level, int name, out int value, ref int length);

    [DllImport("libc", EntryPoint = "getuid")]
    private static extern uint GetUid();

    [DllImport("libc", EntryPoint = "getgid")]
    private static extern uint GetGid();

    private static int ReadIpOption(LwtFd fd, int name)
    {
        int length = sizeof(int);
        Assert.Equal(0, GetSockOpt(fd.Fd, IPPROTO_IP, name, out int value, ref length));
        return value;
    }

    [SkippableFact]
    public void GetSockOptErrorGivesAFailedConnectsErrorOnceThenNull()
    {
        InTempDir(async _ =>
        {
            // A port that nobody listens on: bind a listener, note its port, close it.
            var probe = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Bind(probe, new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)LwtUnix.GetSockName(probe)).Port;
            await probe.Close();

            var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            Assert.Null(LwtUnix.GetSockOptError(fd));

            // A UDP datagram to a closed port comes back as an ICMP "port unreachable" that the
            // kernel records on a connected UDP socket as ECONNREFUSED.
            await LwtUnix.Connect(fd, new IPEndPoint(IPAddress.Loopback, port));
            await LwtUnix.Send(fd, "x"u8.ToArray());
            UnixErrorException? pending = null;
            for (int i = 0; i < 200 && pending is null; i++)
            {
                await LwtUnix.Sleep(0.005);
                pending = LwtUnix.GetSockOptError(fd);
            }

            Skip.If(pending is null, "no ICMP port-unreachable came back on loopback (filtered on this machine)");
            Assert.Equal(ECONNREFUSED, pending!.Errno);
            Assert.Equal("getsockopt_error", pending.Function);
            Assert.Null(LwtUnix.GetSockOptError(fd)); // reading cleared it
            await fd.Close();
            Assert.Equal(EBADF, Assert.Throws<UnixErrorException>(() => LwtUnix.GetSockOptError(fd)).Errno);
            var (r, w) = LwtUnix.Pipe();
            Assert.Equal(ENOTSOCK, Assert.Throws<UnixErrorException>(() => LwtUnix.GetSockOptError(r)).Errno);
            await r.Close();
            await w.Close();
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetSockOptError(null!));
    }

    [SkippableFact]
    public void MulticastOptionsAreSetOnIpv4SocketsAndRefusedElsewhere()
    {
        InTempDir(async _ =>
        {
            var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            LwtUnix.McastSetLoop(fd, false);
            Assert.Equal(0, ReadIpOption(fd, IP_MULTICAST_LOOP));
            LwtUnix.McastSetLoop(fd, true);
            Assert.Equal(1, ReadIpOption(fd, IP_MULTICAST_LOOP));
            LwtUnix.McastSetTtl(fd, 7);
            Assert.Equal(7, ReadIpOption(fd, IP_MULTICAST_TTL));
            LwtUnix.McastSetTtl(fd, 0);
            Assert.Equal(0, ReadIpOption(fd, IP_MULTICAST_TTL));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.McastSetTtl(fd, 256));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.McastSetTtl(fd, -1));

            var v6 = LwtUnix.Socket(AddressFamily.InterNetworkV6, SocketType.Dgram);
            Assert.Throws<ArgumentException>(() => LwtUnix.McastSetLoop(v6, true));
            Assert.Throws<ArgumentException>(() => LwtUnix.McastSetTtl(v6, 1));
            await v6.Close();

            await fd.Close();
            Assert.Equal(EBADF, Assert.Throws<UnixErrorException>(() => LwtUnix.McastSetLoop(fd, true)).Errno);
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.McastSetLoop(null!, true));
    }

    [SkippableFact]
    public void MembershipIsJoinedOnceAndLeftOnce()
    {
        InTempDir(async _ =>
        {
            var group = IPAddress.Parse("239.255.42.99");
            var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            try
            {
                LwtUnix.McastAddMembership(fd, group, IPAddress.Loopback);
            }
            catch (UnixErrorException e) when (e.Errno == ENODEV)
            {
                Skip.If(true, "the loopback interface takes no multicast membership here (ENODEV)");
            }

            // Joining again on the same interface: EADDRINUSE; leaving twice: EADDRNOTAVAIL.
            Assert.Equal(EADDRINUSE, Assert.Throws<UnixErrorException>(() => LwtUnix.McastAddMembership(fd, group, IPAddress.Loopback)).Errno);
            LwtUnix.McastDropMembership(fd, group, IPAddress.Loopback);
            Assert.Equal(EADDRNOTAVAIL, Assert.Throws<UnixErrorException>(() => LwtUnix.McastDropMembership(fd, group, IPAddress.Loopback)).Errno);

            // Not a multicast group: the kernel refuses it.
            Assert.IsType<UnixErrorException>(Catch(() => LwtUnix.McastAddMembership(fd, IPAddress.Parse("10.1.2.3"), IPAddress.Loopback)));

            Assert.Throws<ArgumentException>(() => LwtUnix.McastAddMembership(fd, IPAddress.IPv6Loopback));
            Assert.Throws<ArgumentException>(() => LwtUnix.McastDropMembership(fd, group, IPAddress.IPv6Loopback));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.McastAddMembership(fd, null!));
            await fd.Close();
        });
    }

    private static Exception? Catch(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [SkippableFact]
    public void GetCredentialsNamesThisProcessAtTheOtherEndOfAPair()
    {
        InTempDir(async _ =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            var credentials = LwtUnix.GetCredentials(a);
            Assert.Equal(new Credentials(Environment.ProcessId, (int)GetUid(), (int)GetGid()), credentials);
            Assert.Equal(credentials, LwtUnix.GetCredentials(b));
            await a.Close();
            await b.Close();
            Assert.Equal(EBADF, Assert.Throws<UnixErrorException>(() => LwtUnix.GetCredentials(a)).Errno);
            var (r, w) = LwtUnix.Pipe();
            Assert.Equal(ENOTSOCK, Assert.Throws<UnixErrorException>(() => LwtUnix.GetCredentials(r)).Errno);
            await r.Close();
            await w.Close();
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetCredentials(null!));
    }

    [SkippableFact]
    public void SendMsgPassesDescriptorsThatTheReceiverCanUse()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "through the socket");
            var file = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            var (pr, pw) = LwtUnix.Pipe();
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);

            // The receive waits first, so the send wakes it through the engine.
            var head = new byte[3];
            var tail = new byte[8];
            var receiving = LwtUnix.RecvMsg(b, new Memory<byte>[] { head, tail });
            Assert.True(receiving.IsPending);
            int sent = await LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { "ab"u8.ToArray(), "cdef"u8.ToArray() }, new[] { file.Fd, pw.Fd });
            Assert.Equal(6, sent);
            var (count, fds) = await receiving;
            Assert.Equal(6, count);
            Assert.Equal("abcdef", Encoding.ASCII.GetString(head) + Encoding.ASCII.GetString(tail, 0, 3));
            Assert.Equal(2, fds.Count);

            // The sender's descriptors may go: the receiver's copies stay open.
            await file.Close();
            await pw.Close();
            var gotFile = LwtFd.FromSafeHandle(fds[0]);
            var buffer = new byte[64];
            int n = await LwtUnix.Read(gotFile, buffer);
            Assert.Equal("through the socket", Encoding.ASCII.GetString(buffer, 0, n));
            var gotPipe = LwtFd.FromSafeHandle(fds[1]);
            await LwtUnix.Write(gotPipe, "!"u8.ToArray());
            Assert.Equal(1, await LwtUnix.Read(pr, buffer));
            Assert.Equal((byte)'!', buffer[0]);
            await gotFile.Close();
            await gotPipe.Close();

            // A plain message: no descriptors.
            Assert.Equal(2, await LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { "hi"u8.ToArray() }, Array.Empty<int>()));
            var (plain, none) = await LwtUnix.RecvMsg(b, new Memory<byte>[] { buffer });
            Assert.Equal(2, plain);
            Assert.Empty(none);

            // End of stream after the peer closes.
            await a.Close();
            Assert.Equal(0, (await LwtUnix.RecvMsg(b, new Memory<byte>[] { buffer })).Count);
            await b.Close();
            await pr.Close();
        });
    }

    [SkippableFact]
    public void SendMsgToAddressesADatagramAndBadInputIsRefused()
    {
        InTempDir(async dir =>
        {
            var receiver = LwtUnix.Socket(AddressFamily.Unix, SocketType.Dgram);
            var address = new UnixDomainSocketEndPoint(Path.Combine(dir, "s"));
            await LwtUnix.Bind(receiver, address);
            var sender = LwtUnix.Socket(AddressFamily.Unix, SocketType.Dgram);
            var (pr, pw) = LwtUnix.Pipe();
            Assert.Equal(3, await LwtUnix.SendMsgTo(sender, new ReadOnlyMemory<byte>[] { "dgm"u8.ToArray() }, new[] { pr.Fd }, address));
            var buffer = new byte[8];
            var (count, fds) = await LwtUnix.RecvMsg(receiver, new Memory<byte>[] { buffer });
            Assert.Equal(3, count);
            Assert.Single(fds);
            fds[0].Dispose();

            Assert.Throws<ArgumentNullException>(() => LwtUnix.SendMsgTo(sender, new ReadOnlyMemory<byte>[] { buffer }, Array.Empty<int>(), null!));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.SendMsg(sender, null!, Array.Empty<int>()));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.SendMsg(sender, new ReadOnlyMemory<byte>[] { buffer }, null!));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.RecvMsg(receiver, null!));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.RecvMsg(null!, new Memory<byte>[] { buffer }));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SendMsg(sender, new ReadOnlyMemory<byte>[] { buffer }, new[] { -1 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SendMsg(sender, new ReadOnlyMemory<byte>[] { buffer }, new int[254]));

            // A descriptor that is not open: the kernel refuses the message (EBADF).
            int closed = pw.Fd;
            await pw.Close();
            var bad = Unix(await Record(LwtUnix.SendMsgTo(sender, new ReadOnlyMemory<byte>[] { buffer }, new[] { closed }, address)));
            Assert.Equal(EBADF, bad.Errno);
            Assert.Equal("send_msgto", bad.Function);

            await sender.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.SendMsg(sender, new ReadOnlyMemory<byte>[] { buffer }, Array.Empty<int>()))).Errno);
            await receiver.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.RecvMsg(receiver, new Memory<byte>[] { buffer }))).Errno);
            await pr.Close();
        });
    }

    [SkippableFact]
    public void APendingRecvMsgIsCancelable()
    {
        InTempDir(async _ =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            var buffer = new byte[4];
            var receiving = LwtUnix.RecvMsg(b, new Memory<byte>[] { buffer });
            receiving.Cancel();
            Assert.IsType<CanceledException>(await Record(receiving));

            // Nothing was consumed: the next receive gets the bytes.
            await LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { "ok"u8.ToArray() }, Array.Empty<int>());
            Assert.Equal(2, (await LwtUnix.RecvMsg(b, new Memory<byte>[] { buffer })).Count);
            await a.Close();
            await b.Close();
        });
    }
}
