// The libc functions of LwtUnix's positional I/O, socket extras and terminal control
// (LwtUnix.Positional.cs, LwtUnix.SocketExtras.cs, LwtUnix.Terminal.cs). Same conventions
// as LibC.IO.cs: LibraryImport, SetLastError, only ints and pointers cross the boundary.
// Constants and layouts are Linux glibc's; msghdr and cmsghdr use size_t (nuint) where C
// does, so the one declaration fits 64-bit and 32-bit targets alike.

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    internal const int ENOTSOCK = 88;

    internal const int IPPROTO_IP = 0;
    internal const int IP_MULTICAST_TTL = 33;
    internal const int IP_MULTICAST_LOOP = 34;
    internal const int IP_ADD_MEMBERSHIP = 35;
    internal const int IP_DROP_MEMBERSHIP = 36;
    internal const int SO_PEERCRED = 17;
    internal const int SO_DOMAIN = 39;

    internal const int SCM_RIGHTS = 1;
    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>The most descriptors Linux carries in one SCM_RIGHTS message (SCM_MAX_FD).</summary>
    internal const int ScmMaxFd = 253;

    /// <summary>struct msghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        internal void* Name;
        internal int NameLength;
        internal IoVec* Iov;
        internal nuint IovLength;
        internal void* Control;
        internal nuint ControlLength;
        internal int Flags;
    }

    /// <summary>struct cmsghdr (its data follows, aligned to size_t).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CMsgHdr
    {
        internal nuint Length;
        internal int Level;
        internal int Type;
    }

    /// <summary>struct ucred (SO_PEERCRED).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UCred
    {
        internal int Pid;
        internal uint Uid;
        internal uint Gid;
    }

    /// <summary>struct ip_mreq: the group and the local interface's address, both in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IpMreq
    {
        internal uint MultiAddr;
        internal uint Interface;
    }

    /// <summary>struct linger (SO_LINGER): whether a close lingers, and for how many seconds.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Linger
    {
        internal int OnOff;
        internal int Seconds;
    }

    /// <summary>struct timeval (SO_RCVTIMEO, SO_SNDTIMEO) on 64-bit Linux: two longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeVal
    {
        internal long Seconds;
        internal long Microseconds;
    }

    /// <summary>CMSG_ALIGN: control data is aligned to size_t.</summary>
    internal static int CMsgAlign(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    /// <summary>CMSG_SPACE: the room one control message of <paramref name="dataLength"/> bytes takes.</summary>
    internal static int CMsgSpace(int dataLength) => CMsgAlign(sizeof(CMsgHdr)) + CMsgAlign(dataLength);

    /// <summary>CMSG_LEN: the cmsg_len of a control message of <paramref name="dataLength"/> bytes.</summary>
    internal static int CMsgLen(int dataLength) => CMsgAlign(sizeof(CMsgHdr)) + dataLength;

    [LibraryImport(Lib, EntryPoint = "pread", SetLastError = true)]
    internal static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint PWrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "tcdrain", SetLastError = true)]
    internal static partial int TcDrain(int fd);

    [LibraryImport(Lib, EntryPoint = "tcflush", SetLastError = true)]
    internal static partial int TcFlush(int fd, int queueSelector);

    [LibraryImport(Lib, EntryPoint = "tcflow", SetLastError = true)]
    internal static partial int TcFlow(int fd, int action);

    [LibraryImport(Lib, EntryPoint = "tcsendbreak", SetLastError = true)]
    internal static partial int TcSendBreak(int fd, int duration);
}
