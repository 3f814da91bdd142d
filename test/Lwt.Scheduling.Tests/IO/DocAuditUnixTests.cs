using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;

namespace Lwt.Tests.IO;

/// <summary>
/// Regression tests from the audit of LwtUnix's XML docs against its code (session 22).
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class DocAuditUnixTests
{
    /// <summary>
    /// SendTo's address is checked at the call, as its ArgumentException doc says, also on a
    /// blocking socket that is not writable yet: the address used to be read only when the
    /// call was made, so the promise stayed pending and the ArgumentException escaped later,
    /// out of the engine's dispatch, into the loop.
    /// </summary>
    [Fact]
    public void SendToAnUnsupportedAddressThrowsAtTheCallOnABlockingSocketThatMustWait()
    {
        LwtMain.Run(() =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Dgram);
            using (a)
            using (b)
            {
                LwtUnix.SetBlocking(a, true);
                var datagram = new byte[1024];
                // Fill b's receive queue until a is no longer writable (bounded: a hang guard).
                for (int i = 0; i < 100_000 && LwtUnix.Writable(a); i++) Assert.False(LwtUnix.Send(a, datagram).IsPending);
                Assert.False(LwtUnix.Writable(a));
                Assert.Throws<ArgumentException>(() => LwtUnix.SendTo(a, datagram, new DnsEndPoint("localhost", 9)));
                Assert.Throws<ArgumentException>(() => LwtUnix.SendMsgTo(a, [datagram], [], new DnsEndPoint("localhost", 9)));
            }

            return Promise.ReturnUnit;
        });
    }

    /// <summary>
    /// The multicast options name the call in the EBADF of a closed socket, as every other
    /// LwtUnix call does (and as their doc's "the descriptor is closed" means): they named the
    /// getsockopt made inside to check the socket's family.
    /// </summary>
    [Fact]
    public void MulticastOptionsOnAClosedSocketNameTheCall()
    {
        LwtMain.Run(() =>
        {
            var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            fd.Dispose();
            Assert.Equal("mcast_set_loop", Assert.Throws<UnixErrorException>(() => LwtUnix.McastSetLoop(fd, true)).Function);
            Assert.Equal("mcast_set_ttl", Assert.Throws<UnixErrorException>(() => LwtUnix.McastSetTtl(fd, 1)).Function);
            Assert.Equal("mcast_add_membership", Assert.Throws<UnixErrorException>(() => LwtUnix.McastAddMembership(fd, IPAddress.Parse("239.1.2.3"))).Function);
            Assert.Equal("mcast_drop_membership", Assert.Throws<UnixErrorException>(() => LwtUnix.McastDropMembership(fd, IPAddress.Parse("239.1.2.3"))).Function);
            return Promise.ReturnUnit;
        });
    }
}
