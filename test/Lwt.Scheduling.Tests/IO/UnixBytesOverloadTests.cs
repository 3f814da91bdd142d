using System.Net;
using System.Net.Sockets;
using System.Text;
using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's overloads in Lwt's own shape, <c>read fd buf ofs len</c>: a byte array and a range
/// of it. Each must touch exactly that range, and check it at the call as Lwt does.
/// </summary>
[Collection("IO")]
public class UnixBytesOverloadTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("..hello..");

    [SkippableFact]
    public void ReadAndWriteMoveOnlyTheRangeThroughAPipe()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var buf = new byte[8];
            var reading = LwtUnix.Read(r, buf, 3, 4);
            Assert.True(reading.IsPending); // waits for the writer, in the engine
            Assert.Equal(5, await LwtUnix.Write(w, Hello, 2, 5)); // "hello"
            Assert.Equal(4, await reading);                       // at most 4: "hell"
            Assert.Equal(new byte[] { 0, 0, 0, (byte)'h', (byte)'e', (byte)'l', (byte)'l', 0 }, buf);
            Assert.Equal(1, await LwtUnix.Read(r, buf, 0, 8));
            Assert.Equal((byte)'o', buf[0]);

            Assert.Equal(0, await LwtUnix.Write(w, Hello, 9, 0)); // an empty range at the very end is valid
        }));
    }

    [SkippableFact]
    public void PReadAndPWriteUseTheFileOffsetAndTheBufferRange()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux files");
        InTempDir(async dir =>
        {
            using var fd = await LwtUnix.OpenFile(Path.Combine(dir, "f"), OpenFlags.ReadWrite | OpenFlags.Create);
            Assert.Equal(5, await LwtUnix.PWrite(fd, Hello, 10, 2, 5)); // "hello" at byte 10
            var buf = new byte[6];
            Assert.Equal(3, await LwtUnix.PRead(fd, buf, 11, 1, 3));     // "ell" into buf[1..4)
            Assert.Equal(new byte[] { 0, (byte)'e', (byte)'l', (byte)'l', 0, 0 }, buf);
            Assert.Equal(2, await LwtUnix.PRead(fd, buf, 13, 0, 6));     // only "lo" is left
            Assert.Equal(0L, await LwtUnix.LSeek(fd, 0, SeekOrigin.Current)); // the position never moved
        });
    }

    [SkippableFact]
    public void RecvSendAndTheDatagramPairUseTheRange()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux sockets");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            using var _a = a;
            using var _b = b;
            var buf = new byte[8];
            var receiving = LwtUnix.Recv(b, buf, 2, 3);
            Assert.True(receiving.IsPending);
            Assert.Equal(5, await LwtUnix.Send(a, Hello, 2, 5));
            Assert.Equal(3, await receiving);
            Assert.Equal("hel", Encoding.ASCII.GetString(buf, 2, 3));
            Assert.Equal(2, await LwtUnix.Recv(b, buf, 0, 8, SocketFlags.Peek)); // the flags pass through
            Assert.Equal(2, await LwtUnix.Recv(b, buf, 0, 8));
            Assert.Equal("lo", Encoding.ASCII.GetString(buf, 0, 2));

            using var x = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            using var y = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            await LwtUnix.Bind(x, new IPEndPoint(IPAddress.Loopback, 0));
            await LwtUnix.Bind(y, new IPEndPoint(IPAddress.Loopback, 0));
            var datagram = LwtUnix.RecvFrom(y, buf, 1, 7);
            Assert.True(datagram.IsPending);
            Assert.Equal(5, await LwtUnix.SendTo(x, Hello, 2, 5, LwtUnix.GetSockName(y)));
            var (count, from) = await datagram;
            Assert.Equal(5, count);
            Assert.Equal("hello", Encoding.ASCII.GetString(buf, 1, 5));
            Assert.Equal(LwtUnix.GetSockName(x), from);
        }));
    }

    [SkippableFact]
    public void BadRangesAndNullsThrowAtTheCallAndTouchNothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            using var _r = r;
            using var _w = w;
            var buf = new byte[4];
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Read(r, buf, -1, 1));
            Assert.Throws<ArgumentOutOfRangeException>("length", () => LwtUnix.Read(r, buf, 0, -1));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Read(r, buf, 2, 3));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Write(w, buf, 5, 0));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Write(w, buf, int.MaxValue, 1)); // no overflow
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.PRead(r, buf, 0, 3, 2));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.PWrite(w, buf, 0, 4, 1));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Recv(r, buf, 1, 4));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.Send(w, buf, 3, 2));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.RecvFrom(r, buf, 4, 1));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtUnix.SendTo(w, buf, 2, 3, new IPEndPoint(IPAddress.Loopback, 9)));

            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.Read(r, (byte[])null!, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.Write(w, (byte[])null!, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.PRead(r, null!, 0, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.PWrite(w, null!, 0, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.Recv(r, (byte[])null!, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.Send(w, (byte[])null!, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.RecvFrom(r, (byte[])null!, 0, 0));
            Assert.Throws<ArgumentNullException>("buffer", () => LwtUnix.SendTo(w, null!, 0, 0, new IPEndPoint(IPAddress.Loopback, 9)));
            Assert.Throws<ArgumentNullException>("fd", () => LwtUnix.Read(null!, buf, 0, 1));
            Assert.Throws<ArgumentNullException>("address", () => LwtUnix.SendTo(w, buf, 0, 1, null!));

            // Nothing was read or written by the refused calls: the pipe still holds exactly what comes next.
            Assert.Equal(2, await LwtUnix.Write(w, new byte[] { 7, 8 }, 0, 2));
            Assert.Equal(2, await LwtUnix.Read(r, buf, 0, 4));
            Assert.Equal(new byte[] { 7, 8, 0, 0 }, buf);
        }));
    }
}
