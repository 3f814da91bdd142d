using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's database lookups against what getent(1) says on this machine (the same NSS
/// databases); a test skips when the machine lacks getent or the entry it reads.
/// </summary>
[Collection("IO")]
public class UnixDatabaseTests
{
    /// <summary>getent's fields for one key (split on ':' or blanks), or null if it has none.</summary>
    private static string[]? GetEnt(string database, string key, char separator)
    {
        if (!File.Exists("/usr/bin/getent") && !File.Exists("/bin/getent")) return null;
        using var p = Process.Start(new ProcessStartInfo("getent", [database, key]) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(10_000) || p.ExitCode != 0) return null;
        string line = output.Split('\n')[0];
        return separator == ':' ? line.Split(':') : line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
    }

    private static T Run<T>(Func<Promise<T>> f) => LoopTest.OnFreshThread(() => LwtMain.Run(f));

    [SkippableFact]
    public void GetPwNamAndGetPwUidGiveGetentsEntry()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var fields = GetEnt("passwd", "root", ':');
        Skip.If(fields is null || fields.Length != 7, "getent passwd root gave no entry on this machine");
        var expected = new PasswdEntry(fields![0], fields[1], int.Parse(fields[2]), int.Parse(fields[3]), fields[4], fields[5], fields[6]);
        Assert.Equal(expected, Run(() => LwtUnix.GetPwNam("root")));
        Assert.Equal(expected, Run(() => LwtUnix.GetPwUid(expected.Uid)));
    }

    [SkippableFact]
    public void GetGrNamAndGetGrGidGiveGetentsEntry()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var fields = GetEnt("group", "root", ':');
        Skip.If(fields is null || fields.Length != 4, "getent group root gave no entry on this machine");
        string[] members = fields![3].Length == 0 ? [] : fields[3].Split(',');
        var byName = Run(() => LwtUnix.GetGrNam("root"));
        Assert.Equal((fields[0], fields[1], int.Parse(fields[2])), (byName.Name, byName.Passwd, byName.Gid));
        Assert.Equal(members, byName.Members);
        var byGid = Run(() => LwtUnix.GetGrGid(byName.Gid));
        Assert.Equal((byName.Name, byName.Gid), (byGid.Name, byGid.Gid));
        Assert.Equal(members, byGid.Members);
    }

    [SkippableFact]
    public void UnknownUsersAndGroupsAreNotFound()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        const string Nobody = "lwt-no-such-user-7f3a";
        Skip.IfNot(GetEnt("passwd", Nobody, ':') is null && GetEnt("group", Nobody, ':') is null, "the made-up name exists here");
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetPwNam(Nobody)));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetGrNam(Nobody)));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetPwUid(1_999_999_999)));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetGrGid(1_999_999_999)));
    }

    [SkippableFact]
    public void ProtocolsByNameAliasAndNumber()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var fields = GetEnt("protocols", "tcp", ' ');
        Skip.If(fields is null || fields.Length < 2, "getent protocols tcp gave no entry on this machine");
        var entry = Run(() => LwtUnix.GetProtoByName("tcp"));
        Assert.Equal((fields![0], int.Parse(fields[1])), (entry.Name, entry.Number));
        Assert.Equal(fields.Skip(2), entry.Aliases);
        Assert.Equal(entry, Run(() => LwtUnix.GetProtoByNumber(entry.Number)) with { Aliases = entry.Aliases });
        if (entry.Aliases.Count > 0) Assert.Equal(entry.Number, Run(() => LwtUnix.GetProtoByName(entry.Aliases[0])).Number);
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetProtoByName("lwt-no-such-protocol")));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetProtoByNumber(-5)));
    }

    [SkippableFact]
    public void ServicesByNameAndPort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var fields = GetEnt("services", "http", ' ');
        Skip.If(fields is null || fields.Length < 2 || !fields[1].EndsWith("/tcp"), "getent services http gave no tcp entry on this machine");
        int port = int.Parse(fields![1].Split('/')[0]);
        var entry = Run(() => LwtUnix.GetServByName("http", "tcp"));
        Assert.Equal(("http", port, "tcp"), (entry.Name, entry.Port, entry.Protocol));
        Assert.Equal(fields.Skip(2), entry.Aliases);
        var byPort = Run(() => LwtUnix.GetServByPort(port, "tcp"));
        Assert.Equal((entry.Name, entry.Port, entry.Protocol), (byPort.Name, byPort.Port, byPort.Protocol));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetServByName("lwt-no-such-service", "tcp")));
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetServByName("http", "lwt-no-such-protocol")));
    }

    [SkippableFact]
    public void HostsByNameAndAddress()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var fields = GetEnt("ahostsv4", "localhost", ' ');
        Skip.If(fields is null || fields.Length < 1 || !IPAddress.TryParse(fields[0], out _), "localhost does not resolve to IPv4 on this machine");
        var byName = Run(() => LwtUnix.GetHostByName("localhost"));
        Assert.Equal(AddressFamily.InterNetwork, byName.Family);
        Assert.Contains(IPAddress.Parse(fields![0]), byName.Addresses);
        var numeric = Run(() => LwtUnix.GetHostByName("127.0.0.1"));
        Assert.Equal([IPAddress.Loopback], numeric.Addresses);
        var hosts = GetEnt("hosts", "127.0.0.1", ' ');
        Skip.If(hosts is null || hosts.Length < 2, "127.0.0.1 has no name in this machine's hosts database");
        var byAddr = Run(() => LwtUnix.GetHostByAddr(IPAddress.Loopback));
        Assert.Equal(hosts![1], byAddr.Name);
        Assert.Contains(IPAddress.Loopback, byAddr.Addresses);
    }

    [SkippableFact]
    public void AnUnresolvableHostIsNotFound()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        // .invalid never resolves (RFC 2606), with or without a network.
        Assert.Throws<KeyNotFoundException>(() => Run(() => LwtUnix.GetHostByName("no-such-host.invalid")));
    }

    [SkippableFact]
    public void GetLoginAgreesWithLogname()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Skip.IfNot(File.Exists("/usr/bin/logname") || File.Exists("/bin/logname"), "no logname(1) to compare with");
        using var p = Process.Start(new ProcessStartInfo("logname") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd().Trim();
        Assert.True(p.WaitForExit(10_000), "logname did not finish");
        if (p.ExitCode == 0)
        {
            Assert.Equal(output, Run(LwtUnix.GetLogin));
        }
        else
        {
            // No controlling terminal or login record (a container, a CI runner): getlogin fails.
            var e = Assert.Throws<UnixErrorException>(() => Run(LwtUnix.GetLogin));
            Assert.Equal("getlogin", e.Function);
            Assert.NotEqual(0, e.Errno);
        }
    }

    [Fact]
    public void BadArgumentsAreRefusedAtTheCall()
    {
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetPwNam(null!));
        Assert.Throws<ArgumentException>(() => LwtUnix.GetGrNam("ro\0ot"));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.GetPwUid(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.GetGrGid(-1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetProtoByName(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetServByName("http", null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.GetServByPort(65536, "tcp"));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.GetServByPort(-1, "tcp"));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetHostByName(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.GetHostByAddr(null!));
    }
}
