// The system databases (Lwt_unix.getlogin, getpwnam, getpwuid, getgrnam, getgrgid,
// getprotobyname, getprotobynumber, getservbyname, getservbyport, gethostbyname,
// gethostbyaddr): each lookup may block (NSS may ask LDAP or DNS), so each is a job on
// LwtPreemptive's pool, as GetAddrInfo is, through libc's reentrant _r call.
//
// The reentrant calls write the entry's strings into a caller's buffer; the buffer starts
// small and doubles while libc answers ERANGE, up to 1 MiB (as Lwt's jobs do), and the
// entry is copied into managed strings before the buffer is released.
//
// Errors follow Lwt's jobs, which differ by database:
// - users and groups (unix_get_pw_gr_nam_id_job.c): "no such entry" (0 and a null result)
//   is Not_found, any other answer is a Unix_error with that errno;
// - protocols, services, hosts (unix_getprotoby_getservby_job.c, unix_gethostby*_job.c):
//   every failure is Not_found.
// Not_found is KeyNotFoundException, as elsewhere in this port (LwtList.FindS).
//
// GetHostByName and GetHostByAddr are gethostbyname_r and gethostbyaddr_r, not GetAddrInfo
// underneath: the entry's shape (one canonical name, the aliases of /etc/hosts, IPv4 only
// for a name, as Unix.gethostbyname) is what those calls give and what getaddrinfo cannot.

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// An entry of the users database.
/// <para>Lwt: <c>Unix.passwd_entry</c></para>
/// </summary>
/// <param name="Name">Login name. Lwt: <c>pw_name</c>.</param>
/// <param name="Passwd">Password field (usually "x": the hash is in the shadow database). Lwt: <c>pw_passwd</c>.</param>
/// <param name="Uid">User id. Lwt: <c>pw_uid</c>.</param>
/// <param name="Gid">Primary group id. Lwt: <c>pw_gid</c>.</param>
/// <param name="Gecos">Real name and other comments. Lwt: <c>pw_gecos</c>.</param>
/// <param name="Dir">Home directory. Lwt: <c>pw_dir</c>.</param>
/// <param name="Shell">Login shell. Lwt: <c>pw_shell</c>.</param>
public sealed record PasswdEntry(string Name, string Passwd, int Uid, int Gid, string Gecos, string Dir, string Shell);

/// <summary>
/// An entry of the groups database.
/// <para>Lwt: <c>Unix.group_entry</c></para>
/// </summary>
/// <param name="Name">Group name. Lwt: <c>gr_name</c>.</param>
/// <param name="Passwd">Password field. Lwt: <c>gr_passwd</c>.</param>
/// <param name="Gid">Group id. Lwt: <c>gr_gid</c>.</param>
/// <param name="Members">Login names of its (supplementary) members. Lwt: <c>gr_mem</c>.</param>
public sealed record GroupEntry(string Name, string Passwd, int Gid, IReadOnlyList<string> Members);

/// <summary>
/// An entry of the protocols database.
/// <para>Lwt: <c>Unix.protocol_entry</c></para>
/// </summary>
/// <param name="Name">Official name. Lwt: <c>p_name</c>.</param>
/// <param name="Aliases">Other names. Lwt: <c>p_aliases</c>.</param>
/// <param name="Number">Protocol number. Lwt: <c>p_proto</c>.</param>
public sealed record ProtocolEntry(string Name, IReadOnlyList<string> Aliases, int Number);

/// <summary>
/// An entry of the services database.
/// <para>Lwt: <c>Unix.service_entry</c></para>
/// </summary>
/// <param name="Name">Official name. Lwt: <c>s_name</c>.</param>
/// <param name="Aliases">Other names. Lwt: <c>s_aliases</c>.</param>
/// <param name="Port">Port number (host order). Lwt: <c>s_port</c>.</param>
/// <param name="Protocol">Protocol ("tcp", "udp"). Lwt: <c>s_proto</c>.</param>
public sealed record ServiceEntry(string Name, IReadOnlyList<string> Aliases, int Port, string Protocol);

/// <summary>
/// An entry of the hosts database.
/// <para>Lwt: <c>Unix.host_entry</c></para>
/// </summary>
/// <param name="Name">Official (canonical) name. Lwt: <c>h_name</c>.</param>
/// <param name="Aliases">Other names. Lwt: <c>h_aliases</c>.</param>
/// <param name="Family">The addresses' family. Lwt: <c>h_addrtype</c>.</param>
/// <param name="Addresses">The addresses. Lwt: <c>h_addr_list</c>.</param>
public sealed record HostEntry(string Name, IReadOnlyList<string> Aliases, AddressFamily Family, IReadOnlyList<IPAddress> Addresses);

public static partial class LwtUnix
{
    /// <summary>
    /// The login name of the user of the process's controlling terminal (getlogin_r(3)). A job
    /// on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getlogin</c></para>
    /// </summary>
    /// <returns>The login name; rejected with <see cref="UnixErrorException"/> (e.g. ENXIO, ENOTTY: no controlling terminal, or no login record) when there is none.</returns>
    public static unsafe Promise<string> GetLogin() => Job(() =>
    {
        byte* buffer = stackalloc byte[1024];
        int rc = LibC.GetLoginR(buffer, 1024);
        if (rc != 0) throw new UnixErrorException(rc, "getlogin");
        return Marshal.PtrToStringUTF8((nint)buffer) ?? string.Empty;
    });

    /// <summary>
    /// The users database's entry of <paramref name="name"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getpwnam</c></para>
    /// </summary>
    /// <param name="name">A login name.</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none, <see cref="UnixErrorException"/> if the lookup failed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> contains a NUL character.</exception>
    public static unsafe Promise<PasswdEntry> GetPwNam(string name)
    {
        CheckName(name);
        return Job(() => Lookup<LibC.PasswdEnt, PasswdEntry>(
            (e, b, n, r) => LibC.GetPwNamR(name, e, b, n, r), ReadPasswd, "getpwnam", name, errorsAreNotFound: false));
    }

    /// <summary>
    /// The users database's entry of user id <paramref name="uid"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getpwuid</c></para>
    /// </summary>
    /// <param name="uid">A user id.</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none, <see cref="UnixErrorException"/> if the lookup failed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="uid"/> is negative.</exception>
    public static unsafe Promise<PasswdEntry> GetPwUid(int uid)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(uid);
        return Job(() => Lookup<LibC.PasswdEnt, PasswdEntry>(
            (e, b, n, r) => LibC.GetPwUidR((uint)uid, e, b, n, r), ReadPasswd, "getpwuid", string.Empty, errorsAreNotFound: false));
    }

    /// <summary>
    /// The groups database's entry of <paramref name="name"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getgrnam</c></para>
    /// </summary>
    /// <param name="name">A group name.</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none, <see cref="UnixErrorException"/> if the lookup failed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> contains a NUL character.</exception>
    public static unsafe Promise<GroupEntry> GetGrNam(string name)
    {
        CheckName(name);
        return Job(() => Lookup<LibC.GroupEnt, GroupEntry>(
            (e, b, n, r) => LibC.GetGrNamR(name, e, b, n, r), ReadGroup, "getgrnam", name, errorsAreNotFound: false));
    }

    /// <summary>
    /// The groups database's entry of group id <paramref name="gid"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getgrgid</c></para>
    /// </summary>
    /// <param name="gid">A group id.</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none, <see cref="UnixErrorException"/> if the lookup failed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gid"/> is negative.</exception>
    public static unsafe Promise<GroupEntry> GetGrGid(int gid)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gid);
        return Job(() => Lookup<LibC.GroupEnt, GroupEntry>(
            (e, b, n, r) => LibC.GetGrGidR((uint)gid, e, b, n, r), ReadGroup, "getgrgid", string.Empty, errorsAreNotFound: false));
    }

    /// <summary>
    /// The protocols database's entry of <paramref name="name"/> (an official name or an alias). A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getprotobyname</c></para>
    /// </summary>
    /// <param name="name">A protocol name ("tcp").</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> contains a NUL character.</exception>
    public static unsafe Promise<ProtocolEntry> GetProtoByName(string name)
    {
        CheckName(name);
        return Job(() => Lookup<LibC.ProtoEnt, ProtocolEntry>(
            (e, b, n, r) => LibC.GetProtoByNameR(name, e, b, n, r), ReadProtocol, "getprotobyname", name, errorsAreNotFound: true));
    }

    /// <summary>
    /// The protocols database's entry of protocol number <paramref name="number"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getprotobynumber</c></para>
    /// </summary>
    /// <param name="number">A protocol number (6 for tcp).</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none.</returns>
    public static unsafe Promise<ProtocolEntry> GetProtoByNumber(int number) =>
        Job(() => Lookup<LibC.ProtoEnt, ProtocolEntry>(
            (e, b, n, r) => LibC.GetProtoByNumberR(number, e, b, n, r), ReadProtocol, "getprotobynumber", string.Empty, errorsAreNotFound: true));

    /// <summary>
    /// The services database's entry of <paramref name="name"/> (an official name or an alias)
    /// for <paramref name="protocol"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getservbyname</c></para>
    /// </summary>
    /// <param name="name">A service name ("http").</param>
    /// <param name="protocol">A protocol name ("tcp", "udp").</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An argument contains a NUL character.</exception>
    public static unsafe Promise<ServiceEntry> GetServByName(string name, string protocol)
    {
        CheckName(name);
        CheckName(protocol, nameof(protocol));
        return Job(() => Lookup<LibC.ServEnt, ServiceEntry>(
            (e, b, n, r) => LibC.GetServByNameR(name, protocol, e, b, n, r), ReadService, "getservbyname", name, errorsAreNotFound: true));
    }

    /// <summary>
    /// The services database's entry of <paramref name="port"/> for <paramref name="protocol"/>. A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.getservbyport</c></para>
    /// </summary>
    /// <param name="port">A port number (0 to 65535).</param>
    /// <param name="protocol">A protocol name ("tcp", "udp").</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if there is none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="protocol"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="protocol"/> contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 0 to 65535.</exception>
    public static unsafe Promise<ServiceEntry> GetServByPort(int port, string protocol)
    {
        CheckName(protocol, nameof(protocol));
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 0 to 65535.");
        int networkPort = (ushort)IPAddress.HostToNetworkOrder((short)port);
        return Job(() => Lookup<LibC.ServEnt, ServiceEntry>(
            (e, b, n, r) => LibC.GetServByPortR(networkPort, protocol, e, b, n, r), ReadService, "getservbyport", protocol, errorsAreNotFound: true));
    }

    /// <summary>
    /// The hosts entry of <paramref name="name"/> (gethostbyname_r(3): /etc/hosts, then DNS, as
    /// nsswitch.conf says; IPv4 addresses only). A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.gethostbyname</c></para>
    /// </summary>
    /// <param name="name">A host name (or a numeric IPv4 address).</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if the name does not resolve.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> contains a NUL character.</exception>
    public static unsafe Promise<HostEntry> GetHostByName(string name)
    {
        CheckName(name);
        return Job(() => Lookup<LibC.HostEnt, HostEntry>(
            (e, b, n, r) =>
            {
                int hErrno;
                return LibC.GetHostByNameR(name, e, b, n, r, &hErrno);
            }, ReadHost, "gethostbyname", name, errorsAreNotFound: true));
    }

    /// <summary>
    /// The hosts entry of <paramref name="address"/> (reverse lookup through gethostbyaddr_r(3)).
    /// A job on the worker pool.
    /// <para>Lwt: <c>Lwt_unix.gethostbyaddr</c></para>
    /// </summary>
    /// <param name="address">An IPv4 or IPv6 address.</param>
    /// <returns>The entry; rejected with <see cref="KeyNotFoundException"/> (Not_found) if the address has no name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="address"/> is neither IPv4 nor IPv6.</exception>
    public static unsafe Promise<HostEntry> GetHostByAddr(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int family = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => LibC.AF_INET,
            AddressFamily.InterNetworkV6 => LibC.AF_INET6,
            _ => throw new ArgumentException($"LwtUnix.GetHostByAddr: an IPv4 or IPv6 address is needed, not {address.AddressFamily}.", nameof(address)),
        };
        byte[] bytes = address.GetAddressBytes();
        return Job(() => Lookup<LibC.HostEnt, HostEntry>(
            (e, b, n, r) =>
            {
                int hErrno;
                fixed (byte* a = bytes) return LibC.GetHostByAddrR(a, (uint)bytes.Length, family, e, b, n, r, &hErrno);
            }, ReadHost, "gethostbyaddr", address.ToString(), errorsAreNotFound: true));
    }

    private static void CheckName(string value, string paramName = "name")
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (value.Contains('\0')) throw new ArgumentException("A name of the system databases cannot contain a NUL character.", paramName);
    }

    private unsafe delegate int EntryCall<TEnt>(TEnt* entry, byte* buffer, nuint length, TEnt** result)
        where TEnt : unmanaged;

    private unsafe delegate T EntryRead<TEnt, T>(TEnt* entry)
        where TEnt : unmanaged;

    /// <summary>
    /// On a worker: runs a reentrant lookup with a buffer that doubles on ERANGE, and copies the
    /// entry out while the buffer is alive. No entry is Not_found; another error is Not_found
    /// too when <paramref name="errorsAreNotFound"/>, else a <see cref="UnixErrorException"/>.
    /// </summary>
    private static unsafe T Lookup<TEnt, T>(EntryCall<TEnt> call, EntryRead<TEnt, T> read, string function, string argument, bool errorsAreNotFound)
        where TEnt : unmanaged
    {
        int rc = LibC.ERANGE;
        for (int size = 1024; size <= 1 << 20 && rc == LibC.ERANGE; size *= 2)
        {
            byte[] buffer = new byte[size];
            TEnt entry;
            TEnt* result = null;
            fixed (byte* b = buffer)
            {
                rc = call(&entry, b, (nuint)size, &result);
                if (rc == 0 && result is not null) return read(result);
            }
        }

        if (rc != 0 && !errorsAreNotFound) throw new UnixErrorException(rc, function, argument);
        string what = argument.Length == 0 ? function : $"{function} {argument}";
        throw new KeyNotFoundException($"LwtUnix: {what}: no such entry (OCaml's Not_found).");
    }

    private static unsafe string Text(byte* s) => s is null ? string.Empty : Marshal.PtrToStringUTF8((nint)s) ?? string.Empty;

    private static unsafe string[] Texts(byte** list)
    {
        if (list is null) return [];
        int n = 0;
        while (list[n] is not null) n++;
        var result = new string[n];
        for (int i = 0; i < n; i++) result[i] = Text(list[i]);
        return result;
    }

    private static unsafe PasswdEntry ReadPasswd(LibC.PasswdEnt* e) =>
        new(Text(e->Name), Text(e->Passwd), (int)e->Uid, (int)e->Gid, Text(e->Gecos), Text(e->Dir), Text(e->Shell));

    private static unsafe GroupEntry ReadGroup(LibC.GroupEnt* e) =>
        new(Text(e->Name), Text(e->Passwd), (int)e->Gid, Texts(e->Members));

    private static unsafe ProtocolEntry ReadProtocol(LibC.ProtoEnt* e) =>
        new(Text(e->Name), Texts(e->Aliases), e->Number);

    private static unsafe ServiceEntry ReadService(LibC.ServEnt* e) =>
        new(Text(e->Name), Texts(e->Aliases), (ushort)IPAddress.NetworkToHostOrder((short)e->Port), Text(e->Protocol));

    private static unsafe HostEntry ReadHost(LibC.HostEnt* e)
    {
        var family = e->AddressType == LibC.AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var addresses = new List<IPAddress>();
        for (byte** a = e->Addresses; a is not null && *a is not null; a++)
        {
            addresses.Add(new IPAddress(new ReadOnlySpan<byte>(*a, e->Length)));
        }

        return new HostEntry(Text(e->Name), Texts(e->Aliases), family, addresses);
    }
}
