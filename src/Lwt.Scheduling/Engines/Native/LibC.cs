// The libc functions the engines call, as source-generated P/Invoke
// (LibraryImport: no marshalling stubs at run time, trimming/AOT friendly, no C
// build step). Every call sets errno (SetLastError = true); read it with
// Marshal.GetLastPInvokeError() right after the call.
//
// Only plain ints and pointers cross the boundary. Structures whose layout
// differs between architectures (struct epoll_event is packed on x86-64 only)
// are read and written as raw bytes by their users, never declared here.

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>Source-generated bindings to the libc functions used by the engines.</summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    /// <summary>errno: interrupted system call.</summary>
    internal const int EINTR = 4;

    /// <summary>errno: bad file descriptor.</summary>
    internal const int EBADF = 9;

    /// <summary>errno: resource temporarily unavailable.</summary>
    internal const int EAGAIN = 11;

    /// <summary>errno: file exists (epoll_ctl ADD of an fd already registered).</summary>
    internal const int EEXIST = 17;

    /// <summary>errno: no such file or directory (epoll_ctl MOD/DEL of an fd not registered).</summary>
    internal const int ENOENT = 2;

    /// <summary>O_NONBLOCK on Linux (x86, x86-64, arm, arm64, riscv).</summary>
    internal const int O_NONBLOCK = 0x800;

    /// <summary>O_CLOEXEC on Linux (x86, x86-64, arm, arm64, riscv).</summary>
    internal const int O_CLOEXEC = 0x80000;

    /// <summary>EPOLL_CLOEXEC (= O_CLOEXEC).</summary>
    internal const int EPOLL_CLOEXEC = O_CLOEXEC;

    /// <summary>EFD_NONBLOCK (= O_NONBLOCK).</summary>
    internal const int EFD_NONBLOCK = O_NONBLOCK;

    /// <summary>EFD_CLOEXEC (= O_CLOEXEC).</summary>
    internal const int EFD_CLOEXEC = O_CLOEXEC;

    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;

    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLOUT = 0x004;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;

    internal const short POLLIN = 0x001;
    internal const short POLLOUT = 0x004;
    internal const short POLLERR = 0x008;
    internal const short POLLHUP = 0x010;
    internal const short POLLNVAL = 0x020;

    /// <summary>RLIMIT_NOFILE on Linux.</summary>
    internal const int RLIMIT_NOFILE = 7;

    /// <summary>struct pollfd (same layout on Linux and the BSDs).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        internal int Fd;
        internal short Events;
        internal short Revents;
    }

    /// <summary>struct rlimit on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        internal ulong Current;
        internal ulong Maximum;
    }

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "pipe", SetLastError = true)]
    internal static partial int Pipe(int* fds);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    internal static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport(Lib, EntryPoint = "setrlimit", SetLastError = true)]
    internal static partial int SetRLimit(int resource, RLimit* limit);

    // Safe overloads (spans instead of pointers), for callers without an unsafe context.

    /// <summary>pipe2(2) into <paramref name="fds"/> (at least 2 elements): [0] read end, [1] write end.</summary>
    internal static int Pipe2(Span<int> fds, int flags)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fds.Length, 2);
        fixed (int* p = fds)
        {
            return Pipe2(p, flags);
        }
    }

    /// <summary>read(2) into <paramref name="buffer"/>.</summary>
    internal static nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return Read(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>write(2) of <paramref name="buffer"/>.</summary>
    internal static nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return Write(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>getrlimit(2).</summary>
    internal static int GetRLimit(int resource, out RLimit limit)
    {
        fixed (RLimit* p = &limit)
        {
            return GetRLimit(resource, p);
        }
    }

    /// <summary>setrlimit(2).</summary>
    internal static int SetRLimit(int resource, in RLimit limit)
    {
        fixed (RLimit* p = &limit)
        {
            return SetRLimit(resource, p);
        }
    }
}
