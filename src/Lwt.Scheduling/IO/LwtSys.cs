// System information (Lwt_sys): which optional features this build of the library has on
// the system it runs on, the machine's byte order, and whether it is Windows.
//
// Have answers for this implementation, not for the kernel in the abstract: a feature is
// there when the library has the function that uses it and the system supports the call.
// Every native call here is Linux's (the libc imports use Linux constants and layouts), so
// the socket, process, CPU (get_cpu, affinity) and memory (mincore, madvise:
// LwtBytes.Mapped.cs) features hold on Linux only. libev answers false: no engine here uses
// it (the engines are epoll and poll).

namespace Lwt;

/// <summary>
/// An optional feature that <see cref="LwtSys.Have"/> can test.
/// <para>Lwt: <c>Lwt_sys.feature</c></para>
/// </summary>
public enum Feature
{
    /// <summary><c>`wait4</c>: <see cref="LwtUnix.Wait4"/> with resource usage.</summary>
    Wait4,

    /// <summary><c>`get_cpu</c>: the CPU the calling thread runs on (Lwt_unix.get_cpu).</summary>
    GetCpu,

    /// <summary><c>`get_affinity</c>: reading a process's CPU affinity (Lwt_unix.get_affinity).</summary>
    GetAffinity,

    /// <summary><c>`set_affinity</c>: setting a process's CPU affinity (Lwt_unix.set_affinity).</summary>
    SetAffinity,

    /// <summary><c>`recv_msg</c>: <see cref="LwtUnix.RecvMsg"/>.</summary>
    RecvMsg,

    /// <summary><c>`send_msg</c>: <see cref="LwtUnix.SendMsg"/> and <see cref="LwtUnix.SendMsgTo"/>.</summary>
    SendMsg,

    /// <summary><c>`fd_passing</c>: descriptors passed with <see cref="LwtUnix.SendMsg"/> and <see cref="LwtUnix.RecvMsg"/>.</summary>
    FdPassing,

    /// <summary><c>`get_credentials</c>: <see cref="LwtUnix.GetCredentials"/>.</summary>
    GetCredentials,

    /// <summary><c>`mincore</c>: <see cref="LwtBytes.Mincore"/> and <see cref="LwtBytes.WaitMincore"/>.</summary>
    MinCore,

    /// <summary><c>`madvise</c>: <see cref="LwtBytes.Madvise"/>.</summary>
    MAdvise,

    /// <summary><c>`fdatasync</c>: <see cref="LwtUnix.FDataSync"/>.</summary>
    FDataSync,

    /// <summary><c>`libev</c>: an engine built on libev.</summary>
    LibEv,
}

/// <summary>
/// A feature is not available on this system (or in this implementation): the message names it
/// as Lwt's variant does (for example <c>fd_passing</c>).
/// <para>Lwt: <c>Lwt_sys.Not_available</c></para>
/// </summary>
public sealed class NotAvailableException : PlatformNotSupportedException
{
    /// <summary>
    /// Creates the exception for <paramref name="feature"/>.
    /// <para>Lwt: <c>Lwt_sys.Not_available feature</c></para>
    /// </summary>
    /// <param name="feature">The feature's name, as Lwt spells it (<c>get_credentials</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="feature"/> is null.</exception>
    public NotAvailableException(string feature)
        : base($"The feature '{feature ?? throw new ArgumentNullException(nameof(feature))}' is not available on this system.")
    {
        Feature = feature;
    }

    /// <summary>
    /// The name of the missing feature.
    /// <para>Lwt: the argument of <c>Lwt_sys.Not_available</c></para>
    /// </summary>
    public string Feature { get; }
}

/// <summary>
/// System information: the optional features available, the byte order, Windows or not.
/// <para>Lwt: <c>Lwt_sys</c></para>
/// </summary>
public static class LwtSys
{
    /// <summary>
    /// True if running on Windows (where the LwtUnix layer does not work: its calls are Linux's).
    /// <para>Lwt: <c>Lwt_sys.windows</c></para>
    /// </summary>
    public static bool Windows { get; } = OperatingSystem.IsWindows();

    /// <summary>
    /// The byte order of this machine (the same as <see cref="LwtIO.SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_sys.byte_order</c></para>
    /// </summary>
    public static ByteOrder ByteOrder => LwtIO.SystemByteOrder;

    /// <summary>
    /// Whether <paramref name="feature"/> is available to this implementation on this system
    /// (see the values of <see cref="Feature"/>).
    /// <para>Lwt: <c>Lwt_sys.have</c></para>
    /// </summary>
    /// <param name="feature">The feature.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="feature"/> is not a <see cref="Lwt.Feature"/>.</exception>
    public static bool Have(Feature feature) => feature switch
    {
        Feature.Wait4 or Feature.RecvMsg or Feature.SendMsg or Feature.FdPassing
            or Feature.GetCredentials or Feature.FDataSync
            or Feature.GetCpu or Feature.GetAffinity or Feature.SetAffinity
            or Feature.MinCore or Feature.MAdvise => OperatingSystem.IsLinux(),
        Feature.LibEv => false,
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, "Pass one of the Feature values."),
    };

    /// <summary>
    /// Lwt's name for <paramref name="feature"/> (the variant without its backquote, e.g.
    /// <c>fd_passing</c>), as <see cref="NotAvailableException"/> carries it.
    /// <para>Lwt: the names of <c>Lwt_sys.feature</c></para>
    /// </summary>
    /// <param name="feature">The feature.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="feature"/> is not a <see cref="Lwt.Feature"/>.</exception>
    public static string Name(Feature feature) => feature switch
    {
        Feature.Wait4 => "wait4",
        Feature.GetCpu => "get_cpu",
        Feature.GetAffinity => "get_affinity",
        Feature.SetAffinity => "set_affinity",
        Feature.RecvMsg => "recv_msg",
        Feature.SendMsg => "send_msg",
        Feature.FdPassing => "fd_passing",
        Feature.GetCredentials => "get_credentials",
        Feature.MinCore => "mincore",
        Feature.MAdvise => "madvise",
        Feature.FDataSync => "fdatasync",
        Feature.LibEv => "libev",
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, "Pass one of the Feature values."),
    };

    /// <summary>Throws <see cref="NotAvailableException"/> unless <paramref name="feature"/> is available.</summary>
    internal static void Require(Feature feature)
    {
        if (!Have(feature)) throw new NotAvailableException(Name(feature));
    }
}
