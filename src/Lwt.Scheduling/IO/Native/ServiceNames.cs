// The services database (/etc/services, or whatever nsswitch.conf names), as
// getaddrinfo(3) and getnameinfo(3) consult it for Lwt_unix.getaddrinfo and
// getnameinfo.
//
// Why getservbyname_r/getservbyport_r and not getaddrinfo/getnameinfo
// themselves: LwtUnix.Dns resolves hosts through System.Net.Dns, so only the
// service half is missing, and these two calls are exactly that half (the one
// glibc's getaddrinfo and getnameinfo make inside). Calling getaddrinfo with a
// NULL node would also answer, but through a linked list of addrinfo and
// sockaddr to walk and free, for one port number.
//
// Per protocol, as getaddrinfo: a name is looked up for "tcp" when the socket
// type is Stream and "udp" when it is Dgram, and a type whose protocol has no
// such entry gets no answer ("http" is 80/tcp only in most databases, so it
// gives Stream answers and no Dgram ones); any other socket type has no named
// services (glibc: EAI_SERVICE). getnameinfo without NI_DGRAM names the port
// from the "tcp" entries.
//
// Off Linux, or where libc lacks the calls (EntryPointNotFoundException, then
// remembered), the few well-known names this port knew before it consulted the
// database stand in for it (for every protocol), and ports stay numeric.

using System.Net;

namespace Lwt;

/// <summary>Service name to port and port to service name, through libc's services database.</summary>
internal static unsafe class ServiceNames
{
    /// <summary>Set once the calls turned out to be missing from libc: the fallback answers from then on.</summary>
    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Large enough for an entry with a few dozen aliases; doubled on ERANGE.</summary>
    private const int InitialBuffer = 1024;

    /// <summary>Entries larger than this are not believed (the doubling stops).</summary>
    private const int MaxBuffer = 1 << 16;

    /// <summary>The port of <paramref name="name"/> for <paramref name="protocol"/> ("tcp", "udp"), or -1 if the database has none.</summary>
    internal static int PortOf(string name, string protocol)
    {
        if (!s_unavailable)
        {
            try
            {
                return Lookup((entry, buffer, length, result) => LibC.GetServByNameR(name, protocol, entry, buffer, length, result),
                    static e => (ushort)IPAddress.NetworkToHostOrder((short)e->Port), -1);
            }
            catch (EntryPointNotFoundException)
            {
                s_unavailable = true;
            }
        }

        return name switch
        {
            "http" => 80,
            "https" => 443,
            "ftp" => 21,
            "ssh" => 22,
            "smtp" => 25,
            "domain" => 53,
            _ => -1,
        };
    }

    /// <summary>The name of <paramref name="port"/> for <paramref name="protocol"/>, or null if the database has none.</summary>
    internal static string? NameOf(int port, string protocol)
    {
        if (s_unavailable) return null;
        int networkPort = (ushort)IPAddress.HostToNetworkOrder((short)port);
        try
        {
            return Lookup((entry, buffer, length, result) => LibC.GetServByPortR(networkPort, protocol, entry, buffer, length, result),
                static e => new string((sbyte*)e->Name), null);
        }
        catch (EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
    }

    private delegate int Call(LibC.ServEnt* entry, byte* buffer, nuint length, LibC.ServEnt** result);

    private delegate T Read<T>(LibC.ServEnt* entry);

    /// <summary>
    /// Runs a reentrant lookup with a buffer that grows while libc says ERANGE, and reads the
    /// entry before the buffer (which the entry's strings point into) is freed.
    /// </summary>
    private static T Lookup<T>(Call call, Read<T> read, T none)
    {
        for (int size = InitialBuffer; size <= MaxBuffer; size *= 2)
        {
            byte[] buffer = new byte[size];
            LibC.ServEnt entry;
            LibC.ServEnt* result = null;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = call(&entry, b, (nuint)size, &result);
                if (rc == 0) return result is null ? none : read(result);
            }

            if (rc != LibC.ERANGE) return none;
        }

        return none;
    }
}
