// Name resolution (Lwt_unix.getaddrinfo, getnameinfo, gethostname): the
// resolver blocks, so each lookup is a job on LwtPreemptive's pool (as Lwt
// runs getaddrinfo as a job), through System.Net.Dns's synchronous API for
// hosts and libc's services database for service names (IO/Native/ServiceNames.cs).

using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lwt;

/// <summary>
/// One answer of <see cref="LwtUnix.GetAddrInfo"/>.
/// <para>Lwt: <c>Unix.addr_info</c></para>
/// </summary>
/// <param name="Family">The address family. Lwt: <c>ai_family</c>.</param>
/// <param name="SocketType">The socket type. Lwt: <c>ai_socktype</c>.</param>
/// <param name="Protocol">The protocol. Lwt: <c>ai_protocol</c>.</param>
/// <param name="Address">The address and port. Lwt: <c>ai_addr</c>.</param>
/// <param name="CanonicalName">The canonical host name (the name as given when not known). Lwt: <c>ai_canonname</c>.</param>
public readonly record struct AddrInfo(AddressFamily Family, SocketType SocketType, ProtocolType Protocol, EndPoint Address, string CanonicalName);

public static partial class LwtUnix
{
    /// <summary>
    /// Resolves a host and a service (a port number, or a name of the services database, looked
    /// up for tcp on Stream and udp on Dgram) into addresses, optionally restricted to one family
    /// and one socket type (otherwise Stream and Dgram answers are given for each address, as far
    /// as the service has an entry for their protocol). An empty host with a service means the
    /// loopback addresses, as getaddrinfo(3) without AI_PASSIVE. Whatever getaddrinfo(3) refuses
    /// gives no answers (an empty list), as Lwt reports every getaddrinfo error: an unknown host
    /// or service, an empty host and an empty service together (EAI_NONAME), a host in brackets
    /// such as <c>[::1]</c> (EAI_NONAME: brackets belong to URLs, not to addresses), a host
    /// .NET's resolver rejects as malformed (longer than 255 characters, for one), a service for
    /// <see cref="SocketType.Raw"/> (EAI_SERVICE: raw sockets have no ports; "" asks for none),
    /// a service name for <see cref="SocketType.Seqpacket"/>, and a socket type Lwt cannot name
    /// (<see cref="SocketType.Rdm"/>, EAI_SOCKTYPE). A job on the worker pool.
    /// <para>Differences from Lwt: with no socket type, glibc also gives a Raw answer per address,
    /// this gives none; <see cref="AddrInfo.CanonicalName"/> is the host as given where Lwt gives
    /// "" (there is no AI_CANONNAME); there are no AI_* options, so the wildcard address that
    /// AI_PASSIVE gives for an empty host cannot be asked for; a port number above 65535, which
    /// glibc takes modulo 65536, gives no answers.</para>
    /// <para>Lwt: <c>Lwt_unix.getaddrinfo</c></para>
    /// </summary>
    /// <param name="host">Host name or numeric address ("" for none: the loopback addresses).</param>
    /// <param name="service">Port number or service name ("" for none: port 0).</param>
    /// <param name="family">Only this family (null: any).</param>
    /// <param name="socketType">Only this socket type (null: Stream and Dgram).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<AddrInfo>> GetAddrInfo(string host, string service, AddressFamily? family = null, SocketType? socketType = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(service);
        return Job<IReadOnlyList<AddrInfo>>(() =>
        {
            // As Lwt's getaddrinfo job: a failed lookup (unknown host or service) is no answer.
            // Lwt passes an empty host or service as NULL, and getaddrinfo(NULL, NULL) is
            // EAI_NONAME; IPAddress.TryParse would take "[::1]" (even "[::1]:80"), which
            // getaddrinfo's numeric parsing does not, nor can such a name resolve.
            var result = new List<AddrInfo>();
            if (host.Length == 0 && service.Length == 0) return result;
            if (host.StartsWith('[')) return result;
            SocketType[] types = socketType is { } t ? [t] : [SocketType.Stream, SocketType.Dgram];
            int[] ports = new int[types.Length];
            bool any = false;
            for (int i = 0; i < types.Length; i++) any |= (ports[i] = ServicePort(service, types[i])) >= 0;
            if (!any) return result;
            IPAddress[] addresses;
            try
            {
                addresses = host.Length == 0 ? [IPAddress.IPv6Loopback, IPAddress.Loopback]
                    : IPAddress.TryParse(host, out var numeric) ? [numeric]
                    : Dns.GetHostAddresses(host);
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                // ArgumentException (ArgumentOutOfRangeException included): a name .NET refuses
                // before asking the resolver, such as one over 255 characters; getaddrinfo
                // answers EAI_NONAME for it, which Lwt reports as no answers.
                return result;
            }

            foreach (var address in addresses)
            {
                if (family is { } f && address.AddressFamily != f) continue;
                for (int i = 0; i < types.Length; i++)
                {
                    if (ports[i] < 0) continue;
                    var type = types[i];
                    var protocol = type switch
                    {
                        SocketType.Stream => ProtocolType.Tcp,
                        SocketType.Dgram => ProtocolType.Udp,
                        _ => ProtocolType.Unspecified,
                    };
                    result.Add(new AddrInfo(address.AddressFamily, type, protocol, new IPEndPoint(address, ports[i]), host));
                }
            }

            return result;
        });
    }

    /// <summary>
    /// The host name and service of an address (reverse lookup; the numeric address when the
    /// lookup finds nothing or cannot be made, as getnameinfo(3) without NI_NAMEREQD: the
    /// wildcard addresses give <c>("0.0.0.0", "http")</c> and <c>("::", "http")</c> for port
    /// 80), the service being the port's tcp name in the services database ("http" for 80), or
    /// the number when it has none. A job on the worker pool. A Unix-domain endpoint gives
    /// this machine's name and the socket's path, <c>(GetHostName(), path)</c>, as glibc's
    /// getnameinfo(3) answers for AF_UNIX (and so Lwt); an <see cref="UnnamedUnixEndPoint"/>
    /// gives an empty path.
    /// <para>Lwt: <c>Lwt_unix.getnameinfo</c></para>
    /// </summary>
    /// <param name="address">An <see cref="IPEndPoint"/>, a <see cref="UnixDomainSocketEndPoint"/> or an <see cref="UnnamedUnixEndPoint"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is another kind of endpoint (as for <see cref="Connect"/>).</exception>
    public static Promise<(string Host, string Service)> GetNameInfo(EndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // glibc's getnameinfo for AF_UNIX: the host is the node name (uname), the service the
        // path. Lwt's sockaddr has only these two kinds; another EndPoint (a DnsEndPoint) has
        // no socket address to look up, and Connect and Bind refuse it the same way.
        SocketAddresses.Check(address, nameof(address));
        if (address is not IPEndPoint ip) return Promise.Return((Dns.GetHostName(), address.ToString() ?? string.Empty));
        return Job(() =>
        {
            string host;
            try
            {
                host = Dns.GetHostEntry(ip.Address).HostName;
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                // ArgumentException: .NET refuses to look up the wildcard addresses (0.0.0.0,
                // ::); getnameinfo has no name for them either and gives the numeric form.
                host = ip.Address.ToString();
            }

            return (host, ServiceNames.NameOf(ip.Port, "tcp") ?? ip.Port.ToString(CultureInfo.InvariantCulture));
        });
    }

    /// <summary>
    /// The name of this machine.
    /// <para>Lwt: <c>Lwt_unix.gethostname</c></para>
    /// </summary>
    public static Promise<string> GetHostName() => Promise.Return(Dns.GetHostName());

    /// <summary>
    /// The port of a service for one socket type, or -1 (getaddrinfo(3) refuses it): "" is 0
    /// for any type getaddrinfo knows; a number is the port for any of them but Raw, which has
    /// no ports (EAI_SERVICE); a name is looked up for the type's protocol (none for Seqpacket,
    /// EAI_SERVICE). Other types (Rdm) are refused whatever the service (EAI_SOCKTYPE).
    /// </summary>
    private static int ServicePort(string service, SocketType type)
    {
        if (type is not (SocketType.Stream or SocketType.Dgram or SocketType.Raw or SocketType.Seqpacket)) return -1;
        if (service.Length == 0) return 0;
        if (type == SocketType.Raw) return -1;
        // A number as glibc's getaddrinfo reads it (strtoul, base 10, to the end of the string):
        // leading white space and a sign are allowed, so " 80" and "+80" are port 80; a
        // negative one (strtoul wraps it) gives no answers, as for Lwt.
        if (int.TryParse(service, NumberStyles.AllowLeadingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int port))
            return port is >= 0 and <= 65535 ? port : -1;
        return type switch
        {
            SocketType.Stream => ServiceNames.PortOf(service, "tcp"),
            SocketType.Dgram => ServiceNames.PortOf(service, "udp"),
            _ => -1,
        };
    }
}
