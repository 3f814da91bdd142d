// The libc functions of the I/O layer (LwtUnix): descriptors, sockets, processes.
// Same conventions as Engines/Native/LibC.cs: LibraryImport, SetLastError, only
// ints and pointers cross the boundary; sockaddr structures are built and read
// as raw bytes by SocketAddresses (IO/Native/SocketAddresses.cs). Constants are
// Linux's (the same on x86, x86-64, arm, arm64 and riscv).

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    internal const int EINPROGRESS = 115;
    internal const int EPIPE = 32;
    internal const int ECHILD = 10;
    internal const int ESPIPE = 29;
    internal const int EINVAL = 22;
    internal const int ENOSYS = 38;
    internal const int EPERM = 1;
    internal const int ERANGE = 34;

    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int F_GETFD = 1;
    internal const int F_SETFD = 2;
    internal const int FD_CLOEXEC = 1;
    internal const int SEEK_SET = 0;
    internal const int SEEK_CUR = 1;
    internal const int SEEK_END = 2;

    internal const int SOCK_STREAM = 1; // Linux's socket type numbers (SocketType.Stream has the same value)
    internal const int SOCK_NONBLOCK = O_NONBLOCK;
    internal const int SOCK_CLOEXEC = O_CLOEXEC;

    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;

    internal const int SOL_SOCKET = 1;
    internal const int IPPROTO_TCP = 6;
    internal const int IPPROTO_IPV6 = 41;
    internal const int SO_DEBUG = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_TYPE = 3;
    internal const int SO_ERROR = 4;
    internal const int SO_DONTROUTE = 5;
    internal const int SO_BROADCAST = 6;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_KEEPALIVE = 9;
    internal const int SO_OOBINLINE = 10;
    internal const int SO_REUSEPORT = 15;
    internal const int SO_RCVLOWAT = 18;
    internal const int SO_SNDLOWAT = 19;
    internal const int SO_LINGER = 13;
    internal const int SO_RCVTIMEO = 20;
    internal const int SO_SNDTIMEO = 21;
    internal const int SO_ACCEPTCONN = 30;
    internal const int TCP_NODELAY = 1;
    internal const int IPV6_V6ONLY = 26;

    internal const int MSG_OOB = 0x1;
    internal const int MSG_PEEK = 0x2;
    internal const int MSG_DONTROUTE = 0x4;
    internal const int MSG_NOSIGNAL = 0x4000;

    internal const int WNOHANG = 1;
    internal const int WUNTRACED = 2;

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        internal void* Base;
        internal nuint Length;
    }

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "readv", SetLastError = true)]
    internal static partial nint ReadV(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    internal static partial nint WriteV(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* addr, int addrLen);

    [LibraryImport(Lib, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int Accept4(int fd, byte* addr, int* addrLen, int flags);

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int fd, byte* addr, int addrLen);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(int fd, void* buffer, nuint count, int flags);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(int fd, void* buffer, nuint count, int flags);

    [LibraryImport(Lib, EntryPoint = "recvfrom", SetLastError = true)]
    internal static partial nint RecvFrom(int fd, void* buffer, nuint count, int flags, byte* addr, int* addrLen);

    [LibraryImport(Lib, EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint SendTo(int fd, void* buffer, nuint count, int flags, byte* addr, int addrLen);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Lib, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, byte* addr, int* addrLen);

    [LibraryImport(Lib, EntryPoint = "getpeername", SetLastError = true)]
    internal static partial int GetPeerName(int fd, byte* addr, int* addrLen);

    /// <summary>
    /// sizeof(struct rusage) on 64-bit Linux: two struct timeval (16 bytes each) and 14 longs.
    /// On 32-bit Linux it is half that; the larger buffer serves both.
    /// </summary>
    internal const int RUsageSize = 144;

    [LibraryImport(Lib, EntryPoint = "wait4", SetLastError = true)]
    internal static partial int Wait4(int pid, int* status, int options, byte* rusage);

    [LibraryImport(Lib, EntryPoint = "dup", SetLastError = true)]
    internal static partial int Dup(int fd);

    [LibraryImport(Lib, EntryPoint = "dup3", SetLastError = true)]
    internal static partial int Dup3(int fd, int target, int flags);

    /// <summary>fcntl's "duplicate to the lowest free number, with FD_CLOEXEC".</summary>
    internal const int F_DUPFD_CLOEXEC = 1030;
}

internal static unsafe partial class LibC
{
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);

    [LibraryImport(Lib, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rename(string from, string to);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mkdir(string path, int mode);

    [LibraryImport(Lib, EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rmdir(string path);

    // statx(2): unlike struct stat, struct statx has one layout on every architecture, so
    // its fields can be read at fixed offsets (IO/Native/Statx.cs).
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// struct servent. Its fields are pointers and one int, so the natural sequential layout
    /// is the C one on 32- and 64-bit targets alike (s_port is padded to pointer alignment).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ServEnt
    {
        internal byte* Name;
        internal byte** Aliases;
        internal int Port; // network byte order in the low 16 bits
        internal byte* Protocol;
    }

    // The reentrant services-database lookups (glibc, musl): they fill the caller's servent
    // and buffer, and return 0 (entry or not: *result is null when there is none) or an error
    // number (ERANGE: the buffer is too small), without setting errno.
    [LibraryImport(Lib, EntryPoint = "getservbyname_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetServByNameR(string name, string? protocol, ServEnt* entry, byte* buffer, nuint length, ServEnt** result);

    [LibraryImport(Lib, EntryPoint = "getservbyport_r", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GetServByPortR(int port, string? protocol, ServEnt* entry, byte* buffer, nuint length, ServEnt** result);
}
