// Conversions between .NET endpoints and the kernel's sockaddr structures,
// written and read as raw bytes (Linux layouts, host-order family field):
//   sockaddr_in   16 bytes: family u16, port u16 (big-endian), address 4 bytes, zeros
//   sockaddr_in6  28 bytes: family u16, port u16 (BE), flowinfo u32, address 16 bytes, scope_id u32
//   sockaddr_un  110 bytes: family u16, path (NUL-terminated; abstract names start with NUL)
// An unnamed Unix socket (length 2, e.g. the client end of a connection) becomes
// an UnnamedUnixEndPoint, since UnixDomainSocketEndPoint refuses an empty path.

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lwt;

/// <summary>sockaddr encoding and decoding.</summary>
internal static class SocketAddresses
{
    /// <summary>Large enough for any address this layer handles (sockaddr_storage is 128).</summary>
    internal const int MaxLength = 128;

    /// <summary>The native address family of a .NET one.</summary>
    internal static int ToNative(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => LibC.AF_INET,
        AddressFamily.InterNetworkV6 => LibC.AF_INET6,
        AddressFamily.Unix => LibC.AF_UNIX,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Only InterNetwork, InterNetworkV6 and Unix sockets are supported."),
    };

    /// <summary>
    /// Throws the ArgumentException <see cref="Write"/> would for an address it cannot write. The
    /// calls that write the address only when they are made (sendto, sendmsg: on every attempt,
    /// possibly from the engine's dispatch after a wait) check it at the call first.
    /// </summary>
    internal static void Check(EndPoint endPoint, string paramName)
    {
        if (endPoint is not (IPEndPoint or UnixDomainSocketEndPoint or UnnamedUnixEndPoint)) throw Unsupported(endPoint, paramName);
    }

    private static ArgumentException Unsupported(EndPoint endPoint, string paramName) =>
        new($"Unsupported endpoint type {endPoint.GetType().Name} (use IPEndPoint or UnixDomainSocketEndPoint).", paramName);

    /// <summary>Writes <paramref name="endPoint"/> into <paramref name="buffer"/>; returns the length.</summary>
    internal static int Write(EndPoint endPoint, Span<byte> buffer)
    {
        buffer[..MaxLength].Clear();
        switch (endPoint)
        {
            case IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetwork:
                BitConverter.TryWriteBytes(buffer, (ushort)LibC.AF_INET);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip.Port);
                ip.Address.TryWriteBytes(buffer[4..8], out _);
                return 16;
            case IPEndPoint ip6:
                BitConverter.TryWriteBytes(buffer, (ushort)LibC.AF_INET6);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip6.Port);
                ip6.Address.TryWriteBytes(buffer[8..24], out _);
                BitConverter.TryWriteBytes(buffer[24..], (uint)ip6.Address.ScopeId);
                return 28;
            case UnixDomainSocketEndPoint unix:
            {
                BitConverter.TryWriteBytes(buffer, (ushort)LibC.AF_UNIX);
                string path = unix.ToString();
                int n = Encoding.UTF8.GetBytes(path, buffer[2..110]);
                bool isAbstract = path.Length > 0 && path[0] == '\0';
                return 2 + n + (isAbstract ? 0 : 1);
            }
            case UnnamedUnixEndPoint:
                BitConverter.TryWriteBytes(buffer, (ushort)LibC.AF_UNIX);
                return 2;
            default:
                throw Unsupported(endPoint, nameof(endPoint));
        }
    }

    /// <summary>Reads the endpoint of <paramref name="length"/> bytes in <paramref name="buffer"/>.</summary>
    internal static EndPoint Read(ReadOnlySpan<byte> buffer, int length)
    {
        int family = length >= 2 ? BitConverter.ToUInt16(buffer) : LibC.AF_UNIX;
        switch (family)
        {
            case LibC.AF_INET:
                return new IPEndPoint(new IPAddress(buffer[4..8]), BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]));
            case LibC.AF_INET6:
                return new IPEndPoint(new IPAddress(buffer[8..24], BitConverter.ToUInt32(buffer[24..])), BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]));
            case LibC.AF_UNIX:
            {
                if (length <= 2) return new UnnamedUnixEndPoint();
                ReadOnlySpan<byte> path = buffer[2..Math.Min(length, 110)];
                if (path[0] != 0)
                {
                    int nul = path.IndexOf((byte)0);
                    if (nul >= 0) path = path[..nul];
                }
                return path.Length == 0 ? new UnnamedUnixEndPoint() : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path));
            }
            default:
                throw new NotSupportedException($"Unsupported socket address family {family}.");
        }
    }
}

/// <summary>
/// The address of an unnamed Unix-domain socket (for example the client end of a
/// connection that was not bound).
/// <para>Lwt: <c>Unix.ADDR_UNIX ""</c></para>
/// </summary>
public sealed class UnnamedUnixEndPoint : EndPoint
{
    /// <summary>Always <see cref="AddressFamily.Unix"/>.<para>Lwt: <c>Unix.PF_UNIX</c></para></summary>
    public override AddressFamily AddressFamily => AddressFamily.Unix;

    /// <summary>The empty string, as Lwt shows an unnamed Unix address.<para>Lwt: the <c>""</c> of <c>Unix.ADDR_UNIX ""</c></para></summary>
    public override string ToString() => string.Empty;
}
