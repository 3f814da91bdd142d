using System.Net.Sockets;
using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/*
 * I/O variants without the load process (not in the default list): what the channel layer
 * costs per round trip, on one loop, over a socketpair.
 *
 *   io-roundtrip/lwt_io  client: WriteFromExactly 64 bytes + Flush, ReadIntoExactly 64 bytes;
 *                        server: the tcp-echo/lwt_io server's loop (ReadInto, WriteFromExactly,
 *                        Flush). One op = one round trip; both sides' allocation counts.
 *   io-roundtrip/unix    the same with LwtUnix.Read/Write on the descriptors (the floor the
 *                        channels add to).
 */
internal static partial class Workloads
{
    private const int RoundTripSize = 64;

    private static Func<Promise> IORoundTripChannels(int n) => () =>
    {
        var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
        var (aIn, aOut) = (LwtIO.OfFd(LwtIO.Input, a, closeFd: false), LwtIO.OfFd(LwtIO.Output, a, closeFd: false));
        var (bIn, bOut) = (LwtIO.OfFd(LwtIO.Input, b, closeFd: false), LwtIO.OfFd(LwtIO.Output, b, closeFd: false));
        return Promise.Join(EchoChannels(bIn, bOut), ClientChannels(a, aIn, aOut, n)).Bind(() => b.Close());
    };

    /// <summary>The tcp-echo/lwt_io server's loop (TcpEcho.cs uses it too).</summary>
    internal static async Promise EchoChannels(InputChannel ic, OutputChannel oc)
    {
        var buf = new byte[4096];
        while (true)
        {
            int k = await ic.ReadInto(buf);
            if (k == 0) break;
            await oc.WriteFromExactly(buf.AsMemory(0, k));
            await oc.Flush();
        }
    }

    private static async Promise ClientChannels(LwtFd fd, InputChannel ic, OutputChannel oc, int n)
    {
        var message = new byte[RoundTripSize];
        var reply = new byte[RoundTripSize];
        for (int i = 0; i < n; i++)
        {
            message[0] = (byte)i;
            await oc.WriteFromExactly(message);
            await oc.Flush();
            await ic.ReadIntoExactly(reply);
            Check(reply[0] == (byte)i, "io-roundtrip/lwt_io: echoed");
        }
        await fd.Close();   // the echo side reads end of input and ends
    }

    private static Func<Promise> IORoundTripUnix(int n) => () =>
    {
        var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
        return Promise.Join(EchoUnix(b), ClientUnix(a, n)).Bind(() => b.Close());
    };

    private static async Promise EchoUnix(LwtFd fd)
    {
        var buf = new byte[4096];
        while (true)
        {
            int k = await LwtUnix.Read(fd, buf);
            if (k == 0) break;
            for (int off = 0; off < k;) off += await LwtUnix.Write(fd, buf.AsMemory(off, k - off));
        }
    }

    private static async Promise ClientUnix(LwtFd fd, int n)
    {
        var message = new byte[RoundTripSize];
        var reply = new byte[RoundTripSize];
        for (int i = 0; i < n; i++)
        {
            message[0] = (byte)i;
            for (int off = 0; off < RoundTripSize;) off += await LwtUnix.Write(fd, message.AsMemory(off));
            for (int off = 0; off < RoundTripSize;)
            {
                int k = await LwtUnix.Read(fd, reply.AsMemory(off));
                Check(k > 0, "io-roundtrip/unix: no early end of input");
                off += k;
            }
            Check(reply[0] == (byte)i, "io-roundtrip/unix: echoed");
        }
        await fd.Close();
    }
}
