// The libc functions of LwtUnix's signal and database parts (LwtUnix.Signals.cs,
// LwtUnix.Databases.cs). Same conventions as LibC.IO.cs: LibraryImport, only ints, strings
// and pointers cross the boundary; the structures are declared with Linux glibc's layout
// (pointer-sized fields in order, so the same on every 64-bit and 32-bit architecture).
// The database calls are the reentrant _r forms: each returns its errno as the result (0,
// with a null result pointer, for "no such entry"), never through errno.

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    /// <summary>
    /// Room for a <c>struct sigaction</c>, kept opaque: it is only read with sigaction(2) and
    /// written back unchanged (152 bytes on x86-64 and arm64 glibc; the rest is slack).
    /// </summary>
    internal const int SigActionSize = 512;

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigAction(int signum, byte* action, byte* oldAction);

    [LibraryImport(Lib, EntryPoint = "getlogin_r")]
    internal static partial int GetLoginR(byte* buffer, nuint length);

    [StructLayout(LayoutKind.Sequential)]
    internal struct PasswdEnt
    {
        internal byte* Name;
        internal byte* Passwd;
        internal uint Uid;
        internal uint Gid;
        internal byte* Gecos;
        internal byte* Dir;
        internal byte* Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct GroupEnt
    {
        internal byte* Name;
        internal byte* Passwd;
        internal uint Gid;
        internal byte** Members;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ProtoEnt
    {
        internal byte* Name;
        internal byte** Aliases;
        internal int Number;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct HostEnt
    {
        internal byte* Name;
        internal byte** Aliases;
        internal int AddressType;
        internal int Length;
        internal byte** Addresses;
    }

    [LibraryImport(Lib, EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetPwNamR(string name, PasswdEnt* entry, byte* buffer, nuint length, PasswdEnt** result);

    [LibraryImport(Lib, EntryPoint = "getpwuid_r")]
    internal static partial int GetPwUidR(uint uid, PasswdEnt* entry, byte* buffer, nuint length, PasswdEnt** result);

    [LibraryImport(Lib, EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetGrNamR(string name, GroupEnt* entry, byte* buffer, nuint length, GroupEnt** result);

    [LibraryImport(Lib, EntryPoint = "getgrgid_r")]
    internal static partial int GetGrGidR(uint gid, GroupEnt* entry, byte* buffer, nuint length, GroupEnt** result);

    [LibraryImport(Lib, EntryPoint = "getprotobyname_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetProtoByNameR(string name, ProtoEnt* entry, byte* buffer, nuint length, ProtoEnt** result);

    [LibraryImport(Lib, EntryPoint = "getprotobynumber_r")]
    internal static partial int GetProtoByNumberR(int number, ProtoEnt* entry, byte* buffer, nuint length, ProtoEnt** result);

    [LibraryImport(Lib, EntryPoint = "gethostbyname_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetHostByNameR(string name, HostEnt* entry, byte* buffer, nuint length, HostEnt** result, int* hErrno);

    [LibraryImport(Lib, EntryPoint = "gethostbyaddr_r")]
    internal static partial int GetHostByAddrR(byte* address, uint length, int type, HostEnt* entry, byte* buffer, nuint length2, HostEnt** result, int* hErrno);
}
