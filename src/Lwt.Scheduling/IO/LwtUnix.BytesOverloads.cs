// Lwt's own shape of the buffer functions: `Lwt_unix.read fd buf ofs len` takes a bytes
// value and a range of it. The primary overloads (LwtUnix.Fd.cs, .Positional.cs,
// .Sockets.cs) take a Memory<byte>, which is .NET's way to say "this range of that array";
// these take the array and the range as Lwt does, so that code read from Lwt's manual or
// ported from OCaml compiles as written.
//
// Each checks the range at the call, as Lwt does (its Invalid_argument becomes an
// ArgumentOutOfRangeException, LwtBytes.Range), then calls the Memory<byte> overload: same
// behaviour, same cancellation, same errors. As there, the caller keeps the array alive
// and untouched until the promise resolves.

using System.Net;
using System.Net.Sockets;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// Reads at most <paramref name="length"/> bytes into <paramref name="buffer"/> at
    /// <paramref name="offset"/>: <see cref="Read(LwtFd, Memory{byte})"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.read</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> the first byte goes.</param>
    /// <param name="length">How many bytes to read, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> Read(LwtFd fd, byte[] buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return Read(fd, LwtBytes.Range(buffer, offset, length));
    }

    /// <summary>
    /// Writes at most <paramref name="length"/> bytes of <paramref name="buffer"/> from
    /// <paramref name="offset"/>: <see cref="Write(LwtFd, ReadOnlyMemory{byte})"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.write</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte of <paramref name="buffer"/> to write.</param>
    /// <param name="length">How many bytes to write, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> Write(LwtFd fd, byte[] buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return Write(fd, LwtBytes.Range((ReadOnlyMemory<byte>)buffer, offset, length));
    }

    /// <summary>
    /// Reads at most <paramref name="length"/> bytes of the file, from <paramref name="fileOffset"/>,
    /// into <paramref name="buffer"/> at <paramref name="offset"/>:
    /// <see cref="PRead(LwtFd, Memory{byte}, long)"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.pread</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="fileOffset">Where to read in the file, in bytes from its beginning.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> the first byte goes.</param>
    /// <param name="length">How many bytes to read, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>, or <paramref name="fileOffset"/> is negative.</exception>
    public static Promise<int> PRead(LwtFd fd, byte[] buffer, long fileOffset, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return PRead(fd, LwtBytes.Range(buffer, offset, length), fileOffset);
    }

    /// <summary>
    /// Writes at most <paramref name="length"/> bytes of <paramref name="buffer"/> from
    /// <paramref name="offset"/> into the file at <paramref name="fileOffset"/>:
    /// <see cref="PWrite(LwtFd, ReadOnlyMemory{byte}, long)"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.pwrite</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="fileOffset">Where to write in the file, in bytes from its beginning.</param>
    /// <param name="offset">The first byte of <paramref name="buffer"/> to write.</param>
    /// <param name="length">How many bytes to write, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>, or <paramref name="fileOffset"/> is negative.</exception>
    public static Promise<int> PWrite(LwtFd fd, byte[] buffer, long fileOffset, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return PWrite(fd, LwtBytes.Range((ReadOnlyMemory<byte>)buffer, offset, length), fileOffset);
    }

    /// <summary>
    /// Receives at most <paramref name="length"/> bytes into <paramref name="buffer"/> at
    /// <paramref name="offset"/>: <see cref="Recv(LwtFd, Memory{byte}, SocketFlags)"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.recv</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> the first byte goes.</param>
    /// <param name="length">How many bytes to receive, at most.</param>
    /// <param name="flags">None, Peek, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> Recv(LwtFd fd, byte[] buffer, int offset, int length, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return Recv(fd, LwtBytes.Range(buffer, offset, length), flags);
    }

    /// <summary>
    /// Sends at most <paramref name="length"/> bytes of <paramref name="buffer"/> from
    /// <paramref name="offset"/>: <see cref="Send(LwtFd, ReadOnlyMemory{byte}, SocketFlags)"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.send</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte of <paramref name="buffer"/> to send.</param>
    /// <param name="length">How many bytes to send, at most.</param>
    /// <param name="flags">None, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> Send(LwtFd fd, byte[] buffer, int offset, int length, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return Send(fd, LwtBytes.Range((ReadOnlyMemory<byte>)buffer, offset, length), flags);
    }

    /// <summary>
    /// Receives a datagram into <paramref name="buffer"/> at <paramref name="offset"/> (at most
    /// <paramref name="length"/> bytes) and its sender:
    /// <see cref="RecvFrom(LwtFd, Memory{byte}, SocketFlags)"/> on that range.
    /// <para>Lwt: <c>Lwt_unix.recvfrom</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> the first byte goes.</param>
    /// <param name="length">How many bytes to receive, at most.</param>
    /// <param name="flags">None, Peek, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<(int Count, EndPoint Address)> RecvFrom(LwtFd fd, byte[] buffer, int offset, int length, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return RecvFrom(fd, LwtBytes.Range(buffer, offset, length), flags);
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>
    /// to <paramref name="address"/>: <see cref="SendTo(LwtFd, ReadOnlyMemory{byte}, EndPoint, SocketFlags)"/>
    /// on that range. (Lwt passes the flags before the address; here they stay last, optional,
    /// as in the other overload.)
    /// <para>Lwt: <c>Lwt_unix.sendto</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte of <paramref name="buffer"/> to send.</param>
    /// <param name="length">How many bytes to send.</param>
    /// <param name="address">The destination.</param>
    /// <param name="flags">None, OutOfBand, DontRoute.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="UnixDomainSocketEndPoint"/>.</exception>
    public static Promise<int> SendTo(LwtFd fd, byte[] buffer, int offset, int length, EndPoint address, SocketFlags flags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffer);
        return SendTo(fd, LwtBytes.Range((ReadOnlyMemory<byte>)buffer, offset, length), address, flags);
    }
}
