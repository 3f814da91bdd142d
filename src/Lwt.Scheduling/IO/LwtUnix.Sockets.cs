// Sockets on raw descriptors (Lwt_unix.socket, bind, listen, accept, accept_n,
// connect, shutdown, recv, send, recvfrom, sendto, setsockopt, getsockopt,
// getsockname, getpeername, socketpair).
//
// Every socket is created with SOCK_NONBLOCK | SOCK_CLOEXEC and driven by the
// loop's engine: System.Net.Sockets.Socket is not used for I/O (its async
// methods run on the runtime's own epoll thread). Addresses cross the boundary
// as raw sockaddr bytes (Native/SocketAddresses.cs). Connect is the usual
// non-blocking dance: connect(2) answers EINPROGRESS, the socket becomes
// writable when the handshake is over, and SO_ERROR tells how it ended.

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// Boolean socket options.
/// <para>Lwt: <c>Unix.socket_bool_option</c></para>
/// </summary>
public enum SocketBoolOption
{
    /// <summary>SO_DEBUG.</summary>
    Debug,

    /// <summary>SO_BROADCAST.</summary>
    Broadcast,

    /// <summary>SO_REUSEADDR.</summary>
    ReuseAddr,

    /// <summary>SO_REUSEPORT.</summary>
    ReusePort,

    /// <summary>SO_KEEPALIVE.</summary>
    KeepAlive,

    /// <summary>SO_DONTROUTE.</summary>
    DontRoute,

    /// <summary>SO_OOBINLINE.</summary>
    OobInline,

    /// <summary>SO_ACCEPTCONN (read-only).</summary>
    AcceptConn,

    /// <summary>TCP_NODELAY.</summary>
    TcpNoDelay,

    /// <summary>IPV6_V6ONLY.</summary>
    Ipv6Only,
}

/// <summary>
/// Integer socket options.
/// <para>Lwt: <c>Unix.socket_int_option</c></para>
/// </summary>
public enum SocketIntOption
{
    /// <summary>SO_SNDBUF.</summary>
    SndBuf,

    /// <summary>SO_RCVBUF.</summary>
    RcvBuf,

    /// <summary>SO_ERROR (read-only; reading clears it).</summary>
    Error,

    /// <summary>SO_TYPE (read-only).</summary>
    Type,

    /// <summary>SO_RCVLOWAT.</summary>
    RcvLowAt,

    /// <summary>SO_SNDLOWAT.</summary>
    SndLowAt,
}

public static partial class LwtUnix
{
    /// <summary>
    /// Creates a socket (non-blocking, close-on-exec) used through the loop.
    /// <para>Lwt: <c>Lwt_unix.socket</c></para>
    /// </summary>
    /// <param name="family">InterNetwork, InterNetworkV6 or Unix.</param>
    /// <param name="type">Stream, Dgram, Seqpacket...</param>
    /// <param name="protocol">The protocol (0 / Unspecified: the default for the type).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="family"/> is not InterNetwork, InterNetworkV6 or Unix.</exception>
    /// <exception cref="UnixErrorException">socket(2) failed.</exception>
    public static LwtFd Socket(AddressFamily family, SocketType type, ProtocolType protocol = ProtocolType.Unspecified)
    {
        int domain = SocketAddresses.ToNative(family);
        int fd = LibC.Socket(domain, (int)type | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol == ProtocolType.Unspecified ? 0 : (int)protocol);
        if (fd < 0) throw UnixErrorException.FromLastError("socket");
        return LwtFd.OwnNonBlocking(fd, domain);
    }

    /// <summary>
    /// A pair of connected sockets (non-blocking, close-on-exec).
    /// <para>Lwt: <c>Lwt_unix.socketpair</c></para>
    /// </summary>
    /// <param name="family">Usually Unix.</param>
    /// <param name="type">Stream, Dgram or Seqpacket.</param>
    /// <param name="protocol">The protocol (usually 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="family"/> is not InterNetwork, InterNetworkV6 or Unix.</exception>
    /// <exception cref="UnixErrorException">socketpair(2) failed.</exception>
    public static unsafe (LwtFd, LwtFd) SocketPair(AddressFamily family, SocketType type, ProtocolType protocol = ProtocolType.Unspecified)
    {
        int domain = SocketAddresses.ToNative(family);
        int* fds = stackalloc int[2];
        if (LibC.SocketPair(domain, (int)type | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol == ProtocolType.Unspecified ? 0 : (int)protocol, fds) != 0)
            throw UnixErrorException.FromLastError("socketpair");
        return (LwtFd.OwnNonBlocking(fds[0], domain), LwtFd.OwnNonBlocking(fds[1], domain));
    }

    /// <summary>
    /// Binds the socket to an address (an <see cref="IPEndPoint"/> or a
    /// <see cref="UnixDomainSocketEndPoint"/>).
    /// <para>Lwt: <c>Lwt_unix.bind</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="address">The address.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="UnixDomainSocketEndPoint"/>.</exception>
    public static unsafe Promise Bind(LwtFd fd, EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(address);
        if (!fd.TryGetFd("bind", out int raw, out var error)) return Promise.Fail(error!);
        byte* sa = stackalloc byte[SocketAddresses.MaxLength];
        int len = SocketAddresses.Write(address, new Span<byte>(sa, SocketAddresses.MaxLength));
        if (LibC.Bind(raw, sa, len) != 0) return Promise.Fail(UnixErrorException.FromLastError("bind", address));
        return Promise.ReturnUnit;
    }

    /// <summary>
    /// Marks the socket as accepting connections, with <paramref name="backlog"/> pending ones at most.
    /// <para>Lwt: <c>Lwt_unix.listen</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="backlog">The length of the queue of pending connections.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">listen(2) failed, or the socket is closed.</exception>
    public static void Listen(LwtFd fd, int backlog)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("listen", out int raw, out var error)) throw error!;
        if (LibC.Listen(raw, backlog) != 0) throw UnixErrorException.FromLastError("listen");
    }

    /// <summary>
    /// Accepts a connection (waiting for one in the engine): the new socket (non-blocking,
    /// close-on-exec) and the peer's address. Cancelable.
    /// <para>Lwt: <c>Lwt_unix.accept</c></para>
    /// </summary>
    /// <param name="fd">The listening socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise<(LwtFd Fd, EndPoint Address)> Accept(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("accept", out int raw, out var error)) return Promise.Fail<(LwtFd, EndPoint)>(error!);
        return AttemptOrWait(fd, raw, new AcceptOp(fd, 1)).Map(static list => list[0]);
    }

    /// <summary>
    /// Accepts up to <paramref name="n"/> connections at once: waits for the first, then takes
    /// those already pending. It never rejects: an error is returned beside the connections
    /// accepted before it (none when the first accept fails: a closed socket, one that is not
    /// listening, or the wait canceled, which fulfills the promise with
    /// <see cref="OperationCanceledException"/> as its error).
    /// <para>Lwt: <c>Lwt_unix.accept_n</c> ("if an error happens, it returns the connections that
    /// have been successfully accepted so far and the error")</para>
    /// </summary>
    /// <param name="fd">The listening socket.</param>
    /// <param name="n">The maximum number of connections (at least 1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public static Promise<(IReadOnlyList<(LwtFd Fd, EndPoint Address)> Connections, Exception? Error)> AcceptN(LwtFd fd, int n)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        // Lwt's accept_n wraps its whole call in a catch that returns the connections so far
        // and the exception, whatever it is and however many were accepted: a first failure
        // (EBADF, EINVAL) and a cancel of the wait fulfill the promise with no connections.
        if (!fd.TryGetFd("accept", out int raw, out var error))
            return Promise.Return<(IReadOnlyList<(LwtFd Fd, EndPoint Address)>, Exception?)>((NoConnections, error));
        var op = new AcceptOp(fd, n);
        return Promise.Catch(
            () => AttemptOrWait(fd, raw, op).Map(list => ((IReadOnlyList<(LwtFd Fd, EndPoint Address)>)list, op.LaterError)),
            static e => Promise.Return<(IReadOnlyList<(LwtFd Fd, EndPoint Address)>, Exception?)>((NoConnections, e)));
    }

    private static readonly IReadOnlyList<(LwtFd Fd, EndPoint Address)> NoConnections = Array.Empty<(LwtFd Fd, EndPoint Address)>();

    /// <summary>
    /// Connects the socket (non-blocking connect, then waits for writability and reads
    /// SO_ERROR). Cancelable: a cancel drops only the wait, as in Lwt; the descriptor stays open
    /// and the caller's, and the kernel may still complete the connection. A pending connect
    /// rejects with EBADF when the descriptor is closed, with the exception of
    /// <see cref="Abort"/> when it is aborted.
    /// <para>Lwt: <c>Lwt_unix.connect</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="address">The peer.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="UnixDomainSocketEndPoint"/>.</exception>
    public static unsafe Promise Connect(LwtFd fd, EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(address);
        if (!fd.TryGetFd("connect", out int raw, out var error)) return Promise.Fail(error!);
        byte* sa = stackalloc byte[SocketAddresses.MaxLength];
        int len = SocketAddresses.Write(address, new Span<byte>(sa, SocketAddresses.MaxLength));
        int rc;
        do
        {
            rc = LibC.Connect(raw, sa, len);
        }
        while (rc != 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        if (rc == 0) return Promise.ReturnUnit;
        int errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.EINPROGRESS && errno != LibC.EAGAIN)
            return Promise.Fail(new UnixErrorException(errno, "connect", address.ToString() ?? string.Empty));
        // EINPROGRESS: the connection is under way; its outcome is SO_ERROR once the socket is
        // writable. EAGAIN: it was not even started (a Unix socket whose listener's backlog is
        // full, or no free local port), so connect(2) is called again at each readiness, as
        // Lwt's wrap_syscall retries it. Reading SO_ERROR then would find 0 on a socket that
        // is not connected: an unconnected Unix socket is writable at once.
        byte[]? retry = errno == LibC.EAGAIN ? new ReadOnlySpan<byte>(sa, len).ToArray() : null;
        return fd.Enqueue(new ConnectOp(fd, address.ToString() ?? string.Empty, retry));
    }

    /// <summary>
    /// Shuts down one or both directions of a connection.
    /// <para>Lwt: <c>Lwt_unix.shutdown</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="how">Receive, Send or Both.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">shutdown(2) failed, or the socket is closed.</exception>
    public static void Shutdown(LwtFd fd, SocketShutdown how)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("shutdown", out int raw, out var error)) throw error!;
        if (LibC.Shutdown(raw, (int)how) != 0) throw UnixErrorException.FromLastError("shutdown");
    }

    /// <summary>
    /// The local address of a socket.
    /// <para>Lwt: <c>Lwt_unix.getsockname</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">getsockname(2) failed, or the socket is closed.</exception>
    public static unsafe EndPoint GetSockName(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("getsockname", out int raw, out var error)) throw error!;
        byte* sa = stackalloc byte[SocketAddresses.MaxLength];
        int len = SocketAddresses.MaxLength;
        if (LibC.GetSockName(raw, sa, &len) != 0) throw UnixErrorException.FromLastError("getsockname");
        return SocketAddresses.Read(new ReadOnlySpan<byte>(sa, SocketAddresses.MaxLength), len);
    }

    /// <summary>
    /// The address of the peer of a connected socket.
    /// <para>Lwt: <c>Lwt_unix.getpeername</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">getpeername(2) failed, or the socket is closed.</exception>
    public static unsafe EndPoint GetPeerName(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("getpeername", out int raw, out var error)) throw error!;
        byte* sa = stackalloc byte[SocketAddresses.MaxLength];
        int len = SocketAddresses.MaxLength;
        if (LibC.GetPeerName(raw, sa, &len) != 0) throw UnixErrorException.FromLastError("getpeername");
        return SocketAddresses.Read(new ReadOnlySpan<byte>(sa, SocketAddresses.MaxLength), len);
    }

    /// <summary>
    /// Receives at most <c>buffer.Length</c> bytes (0: the peer shut down). Cancelable.
    /// <para>Lwt: <c>Lwt_unix.recv</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="flags">None, Peek, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> Recv(LwtFd fd, Memory<byte> buffer, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, flags), static (a, pinned) => Recv(a.fd, pinned, a.flags));
        if (!fd.TryGetFd("recv", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return AttemptOrWait(fd, raw, new ReadOp(fd, buffer, NativeFlags(flags), recv: true));
        return ReadNowOrWait(fd, raw, buffer, NativeFlags(flags), recv: true);
    }

    /// <summary>
    /// Sends at most <c>buffer.Length</c> bytes (never raises SIGPIPE: a closed peer gives
    /// EPIPE). Cancelable.
    /// <para>Lwt: <c>Lwt_unix.send</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="flags">None, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> Send(LwtFd fd, ReadOnlyMemory<byte> buffer, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, flags), static (a, pinned) => Send(a.fd, pinned, a.flags));
        if (!fd.TryGetFd("send", out int raw, out var error)) return Promise.Fail<int>(error!);
        int f = NativeFlags(flags);
        if (fd.IsBlocking) return AttemptOrWait(fd, raw, new WriteOp(fd, buffer, f, send: true));
        nint n = SysWrite(raw, buffer.Span, f, send: true);
        if (n >= 0) return Promise.Return((int)n);
        int errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.EAGAIN) return Promise.Fail<int>(new UnixErrorException(errno, "send"));
        return fd.Enqueue(new WriteOp(fd, buffer, f, send: true));
    }

    /// <summary>
    /// Receives a datagram (or stream bytes) and the sender's address. Cancelable.
    /// <para>
    /// A datagram longer than <paramref name="buffer"/> is truncated: the count is the
    /// buffer's length, the rest of the datagram is discarded, and nothing says so (MSG_TRUNC
    /// is not reported, as with <c>Unix.recvfrom</c>). Give a buffer as large as the largest
    /// datagram expected (65,507 bytes for any UDP datagram over IPv4).
    /// </para>
    /// <para>Lwt: <c>Lwt_unix.recvfrom</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="flags">None, Peek, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<(int Count, EndPoint Address)> RecvFrom(LwtFd fd, Memory<byte> buffer, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, flags), static (a, pinned) => RecvFrom(a.fd, pinned, a.flags));
        if (!fd.TryGetFd("recvfrom", out int raw, out var error)) return Promise.Fail<(int, EndPoint)>(error!);
        return AttemptOrWait(fd, raw, new RecvFromOp(fd, buffer, NativeFlags(flags)));
    }

    /// <summary>
    /// Sends bytes to <paramref name="address"/> (datagram sockets). Cancelable.
    /// <para>Lwt: <c>Lwt_unix.sendto</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="address">The destination.</param>
    /// <param name="flags">None, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="UnixDomainSocketEndPoint"/>.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> SendTo(LwtFd fd, ReadOnlyMemory<byte> buffer, EndPoint address, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(address);
        SocketAddresses.Check(address, nameof(address));
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, address, flags), static (a, pinned) => SendTo(a.fd, pinned, a.address, a.flags));
        if (!fd.TryGetFd("sendto", out int raw, out var error)) return Promise.Fail<int>(error!);
        return AttemptOrWait(fd, raw, new SendToOp(fd, buffer, address, NativeFlags(flags)));
    }

    /// <summary>
    /// Sets a boolean socket option.
    /// <para>Lwt: <c>Lwt_unix.setsockopt</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not a defined value.</exception>
    /// <exception cref="UnixErrorException">setsockopt(2) failed, or the socket is closed.</exception>
    public static void SetSockOpt(LwtFd fd, SocketBoolOption option, bool value)
    {
        var (level, name) = Native(option);
        SetInt(fd, level, name, value ? 1 : 0);
    }

    /// <summary>
    /// Reads a boolean socket option.
    /// <para>Lwt: <c>Lwt_unix.getsockopt</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not a defined value.</exception>
    /// <exception cref="UnixErrorException">getsockopt(2) failed, or the socket is closed.</exception>
    public static bool GetSockOpt(LwtFd fd, SocketBoolOption option)
    {
        var (level, name) = Native(option);
        return GetInt(fd, level, name) != 0;
    }

    /// <summary>
    /// Sets an integer socket option.
    /// <para>Lwt: <c>Lwt_unix.setsockopt_int</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not a defined value.</exception>
    /// <exception cref="UnixErrorException">setsockopt(2) failed, or the socket is closed.</exception>
    public static void SetSockOpt(LwtFd fd, SocketIntOption option, int value) => SetInt(fd, LibC.SOL_SOCKET, Native(option), value);

    /// <summary>
    /// Reads an integer socket option.
    /// <para>Lwt: <c>Lwt_unix.getsockopt_int</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not a defined value.</exception>
    /// <exception cref="UnixErrorException">getsockopt(2) failed, or the socket is closed.</exception>
    public static int GetSockOpt(LwtFd fd, SocketIntOption option) => GetInt(fd, LibC.SOL_SOCKET, Native(option));

    private static (int Level, int Name) Native(SocketBoolOption option) => option switch
    {
        SocketBoolOption.Debug => (LibC.SOL_SOCKET, LibC.SO_DEBUG),
        SocketBoolOption.Broadcast => (LibC.SOL_SOCKET, LibC.SO_BROADCAST),
        SocketBoolOption.ReuseAddr => (LibC.SOL_SOCKET, LibC.SO_REUSEADDR),
        SocketBoolOption.ReusePort => (LibC.SOL_SOCKET, LibC.SO_REUSEPORT),
        SocketBoolOption.KeepAlive => (LibC.SOL_SOCKET, LibC.SO_KEEPALIVE),
        SocketBoolOption.DontRoute => (LibC.SOL_SOCKET, LibC.SO_DONTROUTE),
        SocketBoolOption.OobInline => (LibC.SOL_SOCKET, LibC.SO_OOBINLINE),
        SocketBoolOption.AcceptConn => (LibC.SOL_SOCKET, LibC.SO_ACCEPTCONN),
        SocketBoolOption.TcpNoDelay => (LibC.IPPROTO_TCP, LibC.TCP_NODELAY),
        SocketBoolOption.Ipv6Only => (LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY),
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
    };

    private static int Native(SocketIntOption option) => option switch
    {
        SocketIntOption.SndBuf => LibC.SO_SNDBUF,
        SocketIntOption.RcvBuf => LibC.SO_RCVBUF,
        SocketIntOption.Error => LibC.SO_ERROR,
        SocketIntOption.Type => LibC.SO_TYPE,
        SocketIntOption.RcvLowAt => LibC.SO_RCVLOWAT,
        SocketIntOption.SndLowAt => LibC.SO_SNDLOWAT,
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
    };

    private static void SetInt(LwtFd fd, int level, int name, int value) => SetOption(fd, level, name, value);

    private static int GetInt(LwtFd fd, int level, int name) => GetOption<int>(fd, level, name);

    /// <summary>setsockopt(2) of a value of the option's C type (an int, a struct linger, a struct timeval).</summary>
    private static unsafe void SetOption<T>(LwtFd fd, int level, int name, T value) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("setsockopt", out int raw, out var error)) throw error!;
        if (LibC.SetSockOpt(raw, level, name, &value, sizeof(T)) != 0) throw UnixErrorException.FromLastError("setsockopt");
    }

    /// <summary>getsockopt(2) of a value of the option's C type (an int, a struct linger, a struct timeval).</summary>
    private static unsafe T GetOption<T>(LwtFd fd, int level, int name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("getsockopt", out int raw, out var error)) throw error!;
        T value = default;
        int len = sizeof(T);
        if (LibC.GetSockOpt(raw, level, name, &value, &len) != 0) throw UnixErrorException.FromLastError("getsockopt");
        return value;
    }

    private static int NativeFlags(SocketFlags flags) =>
        (int)flags & (LibC.MSG_OOB | LibC.MSG_PEEK | LibC.MSG_DONTROUTE); // the same bits on Linux

    // ---- operations --------------------------------------------------------

    private sealed class AcceptOp(LwtFd fd, int max) : FdOp<IReadOnlyList<(LwtFd, EndPoint)>>(fd)
    {
        /// <summary>An error met after the first connection (AcceptN returns it beside them).</summary>
        internal Exception? LaterError;

        public override bool IsWrite => false;

        public override string Name => "accept";

        protected override unsafe bool Run()
        {
            List<(LwtFd, EndPoint)>? list = null;
            byte* sa = stackalloc byte[SocketAddresses.MaxLength];
            while (list is null || list.Count < max)
            {
                // A blocking listener's accept would wait for the next connection: take only
                // those poll says are there (Lwt's accept_n does the same).
                if (list is not null && Owner.IsBlocking && !StillReady(Owner.Fd, write: false)) break;
                int len = SocketAddresses.MaxLength;
                int c = LibC.Accept4(Owner.Fd, sa, &len, LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC);
                if (c < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR) continue;
                    if (errno == LibC.EAGAIN)
                    {
                        if (list is null) return false;
                        break;
                    }

                    if (list is null)
                    {
                        SetErrno(errno);
                        return true;
                    }

                    LaterError = new UnixErrorException(errno, "accept");
                    break;
                }

                var address = SocketAddresses.Read(new ReadOnlySpan<byte>(sa, SocketAddresses.MaxLength), len);
                (list ??= new List<(LwtFd, EndPoint)>(1)).Add((LwtFd.OwnNonBlocking(c, Owner.Family), address));
            }

            Result = list;
            return true;
        }
    }

    /// <summary>
    /// A connect under way. With <c>retry</c> (the address, when connect(2) said EAGAIN) it
    /// calls connect(2) again until the connection is started; then, as from the start after
    /// EINPROGRESS, it waits for the outcome in SO_ERROR.
    /// </summary>
    private sealed class ConnectOp(LwtFd fd, string address, byte[]? retry) : FdOp<Unit>(fd)
    {
        private byte[]? _retry = retry;

        public override bool IsWrite => true;

        public override string Name => "connect";

        protected override unsafe bool Run()
        {
            if (_retry is { } sockaddr)
            {
                int rc;
                fixed (byte* sa = sockaddr)
                {
                    do
                    {
                        rc = LibC.Connect(Owner.Fd, sa, sockaddr.Length);
                    }
                    while (rc != 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
                }
                if (rc == 0) return true;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EAGAIN) return false;
                if (errno != LibC.EINPROGRESS)
                {
                    SetError(new UnixErrorException(errno, "connect", address));
                    return true;
                }
                _retry = null; // started: its outcome comes in SO_ERROR
                return false;
            }

            int err = 0, len = sizeof(int);
            if (LibC.GetSockOpt(Owner.Fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &err, &len) != 0) err = Marshal.GetLastPInvokeError();
            if (err == LibC.EINPROGRESS) return false;
            if (err != 0) SetError(new UnixErrorException(err, "connect", address));
            return true;
        }
    }

    private sealed class RecvFromOp(LwtFd fd, Memory<byte> buffer, int flags) : FdOp<(int, EndPoint)>(fd)
    {
        public override bool IsWrite => false;

        public override string Name => "recvfrom";

        protected override unsafe bool Run()
        {
            byte* sa = stackalloc byte[SocketAddresses.MaxLength];
            Span<byte> span = buffer.Span;
            nint n;
            int len;
            fixed (byte* p = span)
            {
                do
                {
                    len = SocketAddresses.MaxLength;
                    n = LibC.RecvFrom(Owner.Fd, p, (nuint)span.Length, flags, sa, &len);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            }

            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EAGAIN) return false;
                SetErrno(errno);
                return true;
            }

            Result = ((int)n, SocketAddresses.Read(new ReadOnlySpan<byte>(sa, SocketAddresses.MaxLength), len));
            return true;
        }

        internal override void ReleasePins() => ReleasePin(buffer);
    }

    private sealed class SendToOp(LwtFd fd, ReadOnlyMemory<byte> buffer, EndPoint address, int flags) : CountOp(fd)
    {
        public override bool IsWrite => true;

        public override string Name => "sendto";

        protected override unsafe bool Run()
        {
            byte* sa = stackalloc byte[SocketAddresses.MaxLength];
            int len = SocketAddresses.Write(address, new Span<byte>(sa, SocketAddresses.MaxLength));
            ReadOnlySpan<byte> span = buffer.Span;
            nint n;
            fixed (byte* p = span)
            {
                do
                {
                    n = LibC.SendTo(Owner.Fd, p, (nuint)span.Length, flags | LibC.MSG_NOSIGNAL, sa, len);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            }

            return Finish(n);
        }

        internal override void ReleasePins() => ReleasePin(buffer);
    }
}
