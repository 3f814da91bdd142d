// EpollEngine: LwtEngine on Linux epoll(7), level-triggered, plus an eventfd
// for Wake. The equivalent of Lwt's libev engine.
//
// - One epoll registration per fd, whatever the number of LwtEvents on it:
//   the base class hands us the fd's interest mask (read, write, both) and we
//   translate mask changes into EPOLL_CTL_ADD / MOD / DEL. epoll_event.data
//   holds the fd; WakeData (not a valid fd) marks the eventfd.
// - epoll_wait fills an unmanaged buffer reused by every Iter (no allocation
//   per Iter). When a wait fills it completely, it is doubled before the next
//   wait (up to MaxCapacity); level-triggering means nothing is lost meanwhile.
// - struct epoll_event is packed (12 bytes, data at offset 4) on x86 and
//   x86-64 and naturally aligned (16 bytes, data at offset 8) elsewhere, so it
//   is read and written as raw bytes.
// - EPOLLERR and EPOLLHUP wake both the readers and the writers: each will see
//   the error (or end of file) in its own read or write.
// - The kernel forgets a closed fd by itself, so MOD/DEL that shrink an
//   interest ignore ENOENT/EBADF; ADD of an fd the kernel still knows (EEXIST)
//   becomes MOD, and MOD of one it forgot (ENOENT) becomes ADD.
// - An event joining a direction that already has one changes no mask, but the
//   fd may have been closed and its number reused since that first event (see
//   LwtEngine, stale registrations): ResyncInterest then issues a MOD with the
//   same interest (ENOENT: ADD), as libev does at every ev_io_start.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// The Linux engine: epoll (level-triggered) and an eventfd for cross-thread wake-ups.
/// <para>Lwt: <c>Lwt_engine.libev</c> (with the epoll backend)</para>
/// </summary>
public sealed unsafe class EpollEngine : LwtEngine
{
    private const ulong WakeData = ulong.MaxValue;
    private const int InitialCapacity = 256;
    private const int MaxCapacity = 64 * 1024;

    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int s_eventSize = s_packed ? 12 : 16;
    private static readonly int s_dataOffset = s_packed ? 4 : 8;

    private int _epollFd = -1;
    private int _wakeFd = -1;
    private byte* _events;
    private int _capacity;
    private bool _grow;

    /// <summary>
    /// Creates an epoll instance and its wake eventfd (both close-on-exec).
    /// <para>Lwt: <c>new Lwt_engine.libev ()</c></para>
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">epoll_create1 or eventfd failed.</exception>
    public EpollEngine()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("epoll is Linux-only; use PollEngine.");
        }

        try
        {
            _epollFd = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
            if (_epollFd < 0)
            {
                ThrowErrno("epoll_create1", Marshal.GetLastPInvokeError());
            }

            _wakeFd = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
            if (_wakeFd < 0)
            {
                ThrowErrno("eventfd", Marshal.GetLastPInvokeError());
            }

            if (Control(LibC.EPOLL_CTL_ADD, _wakeFd, LibC.EPOLLIN, WakeData) != 0)
            {
                ThrowErrno("epoll_ctl", Marshal.GetLastPInvokeError());
            }

            _capacity = InitialCapacity;
            _events = (byte*)NativeMemory.Alloc((nuint)(_capacity * s_eventSize));
        }
        catch
        {
            ReleaseResources();
            throw;
        }
    }

    private protected override string EngineIdCore => "epoll";

    private protected override void SetInterest(int fd, int oldMask, int newMask)
    {
        uint events = ((newMask & FdRegistration.Read) != 0 ? LibC.EPOLLIN : 0)
                    | ((newMask & FdRegistration.Write) != 0 ? LibC.EPOLLOUT : 0);
        if (oldMask == 0)
        {
            if (Control(LibC.EPOLL_CTL_ADD, fd, events, (ulong)fd) != 0)
            {
                Retry(fd, events, LibC.EEXIST, LibC.EPOLL_CTL_MOD, mustSucceed: true);
            }
        }
        else if (newMask == 0)
        {
            _ = Control(LibC.EPOLL_CTL_DEL, fd, 0, 0); // ENOENT/EBADF: the fd was closed, the kernel already forgot it
        }
        else if (Control(LibC.EPOLL_CTL_MOD, fd, events, (ulong)fd) != 0)
        {
            Retry(fd, events, LibC.ENOENT, LibC.EPOLL_CTL_ADD, mustSucceed: (newMask & ~oldMask) != 0);
        }
    }

    private protected override void ResyncInterest(int fd, int mask)
    {
        uint events = ((mask & FdRegistration.Read) != 0 ? LibC.EPOLLIN : 0)
                    | ((mask & FdRegistration.Write) != 0 ? LibC.EPOLLOUT : 0);

        // ENOENT: the kernel forgot the file the fd named when first registered (it was
        // closed); the number now names another file, which the new event is for.
        if (Control(LibC.EPOLL_CTL_MOD, fd, events, (ulong)fd) != 0)
        {
            Retry(fd, events, LibC.ENOENT, LibC.EPOLL_CTL_ADD, mustSucceed: true);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Retry(int fd, uint events, int expectedErrno, int retryOp, bool mustSucceed)
    {
        int errno = Marshal.GetLastPInvokeError();
        if (errno == expectedErrno)
        {
            if (Control(retryOp, fd, events, (ulong)fd) == 0)
            {
                return;
            }

            errno = Marshal.GetLastPInvokeError();
        }

        if (mustSucceed)
        {
            ThrowErrno("epoll_ctl", errno);
        }
    }

    private int Control(int op, int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + s_dataOffset, data);
        return LibC.EpollCtl(_epollFd, op, fd, ev);
    }

    private protected override int WaitForEvents(int timeoutMs)
    {
        if (_grow)
        {
            Grow();
        }

        int n = LibC.EpollWait(_epollFd, _events, _capacity, timeoutMs);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                return 0;
            }

            ThrowErrno("epoll_wait", errno);
        }

        _grow = n == _capacity && _capacity < MaxCapacity;
        return n;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        _grow = false;
        int capacity = _capacity * 2;
        _events = (byte*)NativeMemory.Realloc(_events, (nuint)(capacity * s_eventSize));
        _capacity = capacity;
    }

    private protected override int GetReady(int index, out int flags)
    {
        byte* ev = _events + (index * s_eventSize);
        uint events = Unsafe.ReadUnaligned<uint>(ev);
        ulong data = Unsafe.ReadUnaligned<ulong>(ev + s_dataOffset);
        if (data == WakeData)
        {
            flags = FdRegistration.Read;
            return -1;
        }

        const uint Errors = LibC.EPOLLERR | LibC.EPOLLHUP;
        flags = ((events & (LibC.EPOLLIN | Errors)) != 0 ? FdRegistration.Read : 0)
              | ((events & (LibC.EPOLLOUT | Errors)) != 0 ? FdRegistration.Write : 0);
        return (int)data;
    }

    private protected override void SignalWake()
    {
        ulong one = 1;
        while (LibC.Write(_wakeFd, &one, sizeof(ulong)) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }

        // EAGAIN would mean the counter is full: the fd is readable anyway.
    }

    private protected override void DrainWake()
    {
        ulong value;
        while (LibC.Read(_wakeFd, &value, sizeof(ulong)) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private protected override void ReleaseResources()
    {
        if (_wakeFd >= 0)
        {
            _ = LibC.Close(_wakeFd);
            _wakeFd = -1;
        }

        if (_epollFd >= 0)
        {
            _ = LibC.Close(_epollFd);
            _epollFd = -1;
        }

        if (_events is not null)
        {
            NativeMemory.Free(_events);
            _events = null;
        }
    }
}
