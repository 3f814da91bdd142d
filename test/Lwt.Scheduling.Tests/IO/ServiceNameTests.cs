using System.Net;
using System.Net.Sockets;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.GetAddrInfo and GetNameInfo resolve services through libc's services database, as
/// getaddrinfo(3) and getnameinfo(3) do for Lwt_unix (unix_getaddrinfo_job.c,
/// unix_getnameinfo_job.c). The expectations are read from /etc/services itself, so that the
/// tests hold for whatever database the machine has, and skip where it lacks the entries.
/// </summary>
[Collection("IO")]
public class ServiceNameTests
{
    /// <summary>(name or alias, protocol) to port, from /etc/services (empty if there is none).</summary>
    internal static readonly IReadOnlyDictionary<(string Name, string Protocol), int> Database = ReadDatabase();

    private static Dictionary<(string, string), int> ReadDatabase()
    {
        var entries = new Dictionary<(string, string), int>();
        if (!File.Exists("/etc/services")) return entries;
        foreach (var raw in File.ReadLines("/etc/services"))
        {
            int hash = raw.IndexOf('#');
            var fields = (hash >= 0 ? raw[..hash] : raw).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2) continue;
            var portProto = fields[1].Split('/');
            if (portProto.Length != 2 || !int.TryParse(portProto[0], out int port)) continue;
            foreach (var name in fields.Where((_, i) => i != 1)) entries.TryAdd((name, portProto[1]), port);
        }

        return entries;
    }

    private static void RequireEntry(string name, string protocol) =>
        Skip.IfNot(Database.ContainsKey((name, protocol)), $"/etc/services has no {name}/{protocol} on this machine");

    // getaddrinfo(3) with a service name: the port of the database's entry for the socket
    // type's protocol.
    [SkippableFact]
    public void AKnownServiceNameGivesItsPort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        RequireEntry("http", "tcp");
        RequireEntry("ssh", "tcp");
        LwtMain.Run(async () =>
        {
            var http = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "http", AddressFamily.InterNetwork, SocketType.Stream));
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, Database[("http", "tcp")]), http.Address);
            var ssh = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "ssh", AddressFamily.InterNetwork, SocketType.Stream));
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, Database[("ssh", "tcp")]), ssh.Address);
        });
    }

    // A service the database knows for tcp only (http, in most databases) gives Stream
    // answers and no Dgram one, as getaddrinfo without ai_socktype; one it knows for both
    // (domain) gives both.
    [SkippableFact]
    public void AServiceNameAnswersOnlyForTheProtocolsItHas()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        RequireEntry("http", "tcp");
        Skip.If(Database.ContainsKey(("http", "udp")), "this machine's /etc/services has http/udp");
        RequireEntry("domain", "tcp");
        RequireEntry("domain", "udp");
        LwtMain.Run(async () =>
        {
            var http = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "http", AddressFamily.InterNetwork));
            Assert.Equal(SocketType.Stream, http.SocketType);
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "http", AddressFamily.InterNetwork, SocketType.Dgram));
            var domain = await LwtUnix.GetAddrInfo("127.0.0.1", "domain", AddressFamily.InterNetwork);
            Assert.Equal([SocketType.Stream, SocketType.Dgram], domain.Select(i => i.SocketType));
            Assert.All(domain, i => Assert.Equal(53, ((IPEndPoint)i.Address).Port));
        });
    }

    // Lwt's getaddrinfo job: a failed getaddrinfo (EAI_SERVICE) is the empty list.
    [SkippableFact]
    public void AnUnknownServiceNameGivesNoAnswer()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "no-such-service-lwt"));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "no-such-service-lwt", socketType: SocketType.Stream));
        });
    }

    // A numeric service is its port for every socket type, whether the database names it or
    // not; "" is port 0.
    [SkippableFact]
    public void ANumericServiceIsItsPort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var all = await LwtUnix.GetAddrInfo("127.0.0.1", "8080", AddressFamily.InterNetwork);
            Assert.Equal([SocketType.Stream, SocketType.Dgram], all.Select(i => i.SocketType));
            Assert.All(all, i => Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), i.Address));
            var zero = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "", AddressFamily.InterNetwork, SocketType.Stream));
            Assert.Equal(0, ((IPEndPoint)zero.Address).Port);
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "65536"));
        });
    }

    // getnameinfo(3) without NI_NUMERICSERV: the port's tcp name when the database has one.
    [SkippableFact]
    public void GetNameInfoNamesAKnownPort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        RequireEntry("http", "tcp");
        Skip.IfNot(Database[("http", "tcp")] == 80, "http/tcp is not port 80 in this machine's /etc/services");
        var (_, service) = LwtMain.Run(() => LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Loopback, 80)));
        Assert.Equal("http", service);
    }

    // getnameinfo(3): a port the database does not name is given as its number.
    [SkippableFact]
    public void GetNameInfoOfAnUnassignedPortIsTheNumber()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        int port = Enumerable.Range(40000, 1000).First(p => !Database.Any(e => e.Key.Protocol == "tcp" && e.Value == p));
        var (_, service) = LwtMain.Run(() => LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), service);
    }
}
