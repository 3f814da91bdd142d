// The socket calls beyond the basic ones (Lwt_unix.getsockopt_error, mcast_set_loop,
// mcast_set_ttl, mcast_add_membership, mcast_drop_membership, get_credentials).
//
// They are immediate option reads and writes (setsockopt/getsockopt never wait), so they
// run at once and throw, as Lwt's return plain values rather than promises. The multicast
// functions are IPv4 only, as Lwt's stubs are: they look up the socket's domain (SO_DOMAIN,
// Lwt asks getsockname) and refuse any other with ArgumentException, Lwt's
// Invalid_argument. Credentials come from SO_PEERCRED, which the kernel records when a
// Unix-domain stream socket is connected (or a pair is made): the peer's pid, uid and gid
// at that moment, not now.

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// The credentials of the process at the other end of a Unix-domain socket, as the kernel
/// recorded them when the connection was made.
/// <para>Lwt: <c>Lwt_unix.credentials</c></para>
/// </summary>
/// <param name="Pid">The peer's process id. Lwt: <c>cred_pid</c>.</param>
/// <param name="Uid">The peer's effective user id. Lwt: <c>cred_uid</c>.</param>
/// <param name="Gid">The peer's effective group id. Lwt: <c>cred_gid</c>.</param>
public sealed record Credentials(int Pid, int Uid, int Gid);

public static partial class LwtUnix
{
    /// <summary>
    /// The error pending on the socket (SO_ERROR), as the exception a call would have raised,
    /// or null if there is none; reading it clears it. Lwt's <c>Unix.error option</c>: the
    /// errno is <see cref="UnixErrorException.Errno"/>, the function <c>getsockopt_error</c>.
    /// <para>Lwt: <c>Lwt_unix.getsockopt_error</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF) or not a socket (ENOTSOCK).</exception>
    public static UnixErrorException? GetSockOptError(LwtFd fd)
    {
        int errno = GetInt(fd, LibC.SOL_SOCKET, LibC.SO_ERROR);
        return errno == 0 ? null : new UnixErrorException(errno, "getsockopt_error");
    }

    /// <summary>
    /// Whether the multicast datagrams this IPv4 socket sends are also delivered to this host's
    /// own members of the group (IP_MULTICAST_LOOP; on by default).
    /// <para>Lwt: <c>Lwt_unix.mcast_set_loop</c></para>
    /// </summary>
    /// <param name="fd">An IPv4 socket (usually a datagram one).</param>
    /// <param name="loop">True to loop sent datagrams back.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentException">The socket is not an IPv4 one.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed or not a socket, or setsockopt(2) failed.</exception>
    public static void McastSetLoop(LwtFd fd, bool loop)
    {
        RequireInet(fd, "mcast_set_loop");
        SetInt(fd, LibC.IPPROTO_IP, LibC.IP_MULTICAST_LOOP, loop ? 1 : 0);
    }

    /// <summary>
    /// The time-to-live of the multicast datagrams this IPv4 socket sends (IP_MULTICAST_TTL): how
    /// many routers they may cross; 1 (the default) keeps them on the local network, 0 on this host.
    /// <para>Lwt: <c>Lwt_unix.mcast_set_ttl</c></para>
    /// </summary>
    /// <param name="fd">An IPv4 socket.</param>
    /// <param name="ttl">0 to 255.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is not in 0..255.</exception>
    /// <exception cref="ArgumentException">The socket is not an IPv4 one.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed or not a socket, or setsockopt(2) failed.</exception>
    public static void McastSetTtl(LwtFd fd, int ttl)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ttl);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ttl, 255);
        RequireInet(fd, "mcast_set_ttl");
        SetInt(fd, LibC.IPPROTO_IP, LibC.IP_MULTICAST_TTL, ttl);
    }

    /// <summary>
    /// Joins the IPv4 multicast group <paramref name="group"/> on the interface whose address is
    /// <paramref name="interfaceAddress"/> (IP_ADD_MEMBERSHIP); null lets the kernel choose by
    /// its routes (ENODEV if none leads to the group). EADDRINUSE if already a member there.
    /// <para>Lwt: <c>Lwt_unix.mcast_add_membership</c></para>
    /// </summary>
    /// <param name="fd">An IPv4 socket.</param>
    /// <param name="group">The group (224.0.0.0/4).</param>
    /// <param name="interfaceAddress">The local interface's IPv4 address (Lwt's <c>?ifname</c>), or null for any.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="group"/> is null.</exception>
    /// <exception cref="ArgumentException">An address or the socket is not IPv4.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed or not a socket, or setsockopt(2) failed
    /// (EINVAL: <paramref name="group"/> is not a multicast address).</exception>
    public static void McastAddMembership(LwtFd fd, IPAddress group, IPAddress? interfaceAddress = null) =>
        Membership(fd, group, interfaceAddress, LibC.IP_ADD_MEMBERSHIP, "mcast_add_membership");

    /// <summary>
    /// Leaves the IPv4 multicast group <paramref name="group"/> on the interface whose address is
    /// <paramref name="interfaceAddress"/> (IP_DROP_MEMBERSHIP); EADDRNOTAVAIL if not a member there.
    /// <para>Lwt: <c>Lwt_unix.mcast_drop_membership</c></para>
    /// </summary>
    /// <param name="fd">An IPv4 socket.</param>
    /// <param name="group">The group.</param>
    /// <param name="interfaceAddress">The local interface's IPv4 address (Lwt's <c>?ifname</c>), or null for any.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="group"/> is null.</exception>
    /// <exception cref="ArgumentException">An address or the socket is not IPv4.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed or not a socket, or setsockopt(2) failed.</exception>
    public static void McastDropMembership(LwtFd fd, IPAddress group, IPAddress? interfaceAddress = null) =>
        Membership(fd, group, interfaceAddress, LibC.IP_DROP_MEMBERSHIP, "mcast_drop_membership");

    /// <summary>
    /// The credentials of the process at the other end of a connected Unix-domain socket
    /// (SO_PEERCRED), as they were when the connection was made.
    /// <para>Lwt: <c>Lwt_unix.get_credentials</c></para>
    /// </summary>
    /// <param name="fd">A connected Unix-domain socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="NotAvailableException">The system cannot tell a peer's credentials (<c>get_credentials</c>).</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), not a socket (ENOTSOCK), or
    /// getsockopt(2) failed. On a socket that is not a connected Unix-domain one, Linux answers with a
    /// pid of 0 and uid and gid of -1 (the overflow ids) rather than an error.</exception>
    public static unsafe Credentials GetCredentials(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        LwtSys.Require(Feature.GetCredentials);
        if (!fd.TryGetFd("get_credentials", out int raw, out var error)) throw error!;
        LibC.UCred cred = default;
        int len = sizeof(LibC.UCred);
        if (LibC.GetSockOpt(raw, LibC.SOL_SOCKET, LibC.SO_PEERCRED, &cred, &len) != 0)
            throw UnixErrorException.FromLastError("get_credentials");
        return new Credentials(cred.Pid, (int)cred.Uid, (int)cred.Gid);
    }

    /// <summary>Throws Lwt's Invalid_argument (as ArgumentException) unless the socket is AF_INET.</summary>
    private static void RequireInet(LwtFd fd, string function)
    {
        // A closed or aborted descriptor fails here, naming the call (as every LwtUnix call
        // does), not the getsockopt below that reads the family.
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd(function, out _, out var error)) throw error!;
        int domain = GetInt(fd, LibC.SOL_SOCKET, LibC.SO_DOMAIN);
        if (domain != LibC.AF_INET)
            throw new ArgumentException($"LwtUnix.{function} works on IPv4 sockets only (this one's domain is {domain}): create the socket with AddressFamily.InterNetwork.", nameof(fd));
    }

    private static unsafe void Membership(LwtFd fd, IPAddress group, IPAddress? interfaceAddress, int option, string function)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(group);
        LibC.IpMreq request = new()
        {
            MultiAddr = Ipv4(group, nameof(group), function),
            Interface = interfaceAddress is null ? 0 : Ipv4(interfaceAddress, nameof(interfaceAddress), function),
        };
        RequireInet(fd, function);
        if (!fd.TryGetFd(function, out int raw, out var error)) throw error!;
        if (LibC.SetSockOpt(raw, LibC.IPPROTO_IP, option, &request, sizeof(LibC.IpMreq)) != 0)
            throw UnixErrorException.FromLastError("setsockopt", group);
    }

    /// <summary>An IPv4 address as the 32 bits of an in_addr (network order in memory).</summary>
    private static uint Ipv4(IPAddress address, string name, string function)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"LwtUnix.{function} takes IPv4 addresses; {address} is not one.", name);
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return MemoryMarshal.Read<uint>(bytes);
    }
}
