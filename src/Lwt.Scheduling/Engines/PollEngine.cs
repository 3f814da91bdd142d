// PollEngine: LwtEngine on poll(2), the portable fallback (any Unix; on Linux
// too, when LWT_ENGINE=poll). The equivalent of Lwt's select/poll engines.
//
// - The registered fds and their interest masks are kept in dense managed
//   arrays (swap-remove, with an fd -> index map), so registering and stopping
//   are O(1). The pollfd array handed to the kernel is rebuilt from them only
//   before a wait that follows a change. It is never touched during a
//   dispatch, so callbacks may register and stop freely: the base class
//   checks the live registrations anyway.
// - pollfd[0] is the wake fd: an eventfd on Linux, the read end of a pipe
//   elsewhere. Wake-ups are coalesced by the base class, so at most one wake
//   token is ever pending and the (possibly blocking) pipe never fills.
// - poll reports how many entries are ready, not which: GetReady scans the
//   array and reports 0 for the others. This is the O(n) of poll itself.
// - POLLERR, POLLHUP and POLLNVAL wake both readers and writers.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// The portable engine: poll(2), and an eventfd (Linux) or a pipe for cross-thread wake-ups.
/// <para>Lwt: <c>Lwt_engine.poll</c> / <c>Lwt_engine.select</c></para>
/// </summary>
public sealed unsafe class PollEngine : LwtEngine
{
    private int _wakeRead = -1;
    private int _wakeWrite = -1;
    private readonly bool _wakeIsEventFd;

    // Dense list of registered fds and their poll events; _indexOfFd[fd] = index + 1 (0: absent).
    private int[] _fdList = new int[16];
    private short[] _eventList = new short[16];
    private int _registered;
    private int[] _indexOfFd = new int[64];

    private LibC.PollFd* _pollFds;
    private int _pollCapacity;
    private int _pollCount;
    private bool _dirty = true;

    /// <summary>
    /// Creates a poll engine; its wake-up channel is an eventfd on Linux and a pipe elsewhere.
    /// <para>Lwt: <c>new Lwt_engine.poll ()</c></para>
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">Creating the wake-up channel failed.</exception>
    public PollEngine()
        : this(useEventFd: OperatingSystem.IsLinux())
    {
    }

    /// <summary>Creates a poll engine whose wake-up channel is an eventfd or (false) a pipe.</summary>
    internal PollEngine(bool useEventFd)
    {
        _wakeIsEventFd = useEventFd;
        try
        {
            if (useEventFd)
            {
                _wakeRead = _wakeWrite = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
                if (_wakeRead < 0)
                {
                    ThrowErrno("eventfd", Marshal.GetLastPInvokeError());
                }
            }
            else
            {
                int* fds = stackalloc int[2];
                int rc = OperatingSystem.IsLinux() ? LibC.Pipe2(fds, LibC.O_NONBLOCK | LibC.O_CLOEXEC) : LibC.Pipe(fds);
                if (rc != 0)
                {
                    ThrowErrno("pipe", Marshal.GetLastPInvokeError());
                }

                _wakeRead = fds[0];
                _wakeWrite = fds[1];
            }

            _pollCapacity = 64;
            _pollFds = (LibC.PollFd*)NativeMemory.Alloc((nuint)_pollCapacity, (nuint)sizeof(LibC.PollFd));
        }
        catch
        {
            ReleaseResources();
            throw;
        }
    }

    private protected override string EngineIdCore => "poll";

    private protected override void SetInterest(int fd, int oldMask, int newMask)
    {
        _dirty = true;
        if (newMask == 0)
        {
            RemoveFd(fd);
            return;
        }

        short events = (short)(((newMask & FdRegistration.Read) != 0 ? LibC.POLLIN : 0)
                             | ((newMask & FdRegistration.Write) != 0 ? LibC.POLLOUT : 0));
        if (oldMask != 0)
        {
            _eventList[_indexOfFd[fd] - 1] = events;
            return;
        }

        if (fd >= _indexOfFd.Length)
        {
            Array.Resize(ref _indexOfFd, Math.Max(fd + 1, _indexOfFd.Length * 2));
        }

        if (_registered == _fdList.Length)
        {
            Array.Resize(ref _fdList, _registered * 2);
            Array.Resize(ref _eventList, _registered * 2);
        }

        _fdList[_registered] = fd;
        _eventList[_registered] = events;
        _indexOfFd[fd] = ++_registered;
    }

    private void RemoveFd(int fd)
    {
        int index = _indexOfFd[fd] - 1;
        int last = --_registered;
        if (index != last)
        {
            int moved = _fdList[last];
            _fdList[index] = moved;
            _eventList[index] = _eventList[last];
            _indexOfFd[moved] = index + 1;
        }

        _indexOfFd[fd] = 0;
    }

    private protected override int WaitForEvents(int timeoutMs)
    {
        if (_dirty)
        {
            Rebuild();
        }

        int n = LibC.Poll(_pollFds, (nuint)_pollCount, timeoutMs);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                return 0;
            }

            ThrowErrno("poll", errno);
        }

        return n == 0 ? 0 : _pollCount;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Rebuild()
    {
        _dirty = false;
        int needed = _registered + 1;
        if (needed > _pollCapacity)
        {
            int capacity = Math.Max(needed, _pollCapacity * 2);
            _pollFds = (LibC.PollFd*)NativeMemory.Realloc(_pollFds, (nuint)capacity * (nuint)sizeof(LibC.PollFd));
            _pollCapacity = capacity;
        }

        _pollFds[0] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.POLLIN };
        for (int i = 0; i < _registered; i++)
        {
            _pollFds[i + 1] = new LibC.PollFd { Fd = _fdList[i], Events = _eventList[i] };
        }

        _pollCount = needed;
    }

    private protected override int GetReady(int index, out int flags)
    {
        LibC.PollFd* p = _pollFds + index;
        int revents = p->Revents;
        if (revents == 0)
        {
            flags = 0;
            return 0;
        }

        if (index == 0)
        {
            flags = FdRegistration.Read;
            return -1;
        }

        const int Errors = LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL;
        flags = ((revents & (LibC.POLLIN | Errors)) != 0 ? FdRegistration.Read : 0)
              | ((revents & (LibC.POLLOUT | Errors)) != 0 ? FdRegistration.Write : 0);
        return p->Fd;
    }

    private protected override void SignalWake()
    {
        ulong one = 1;
        nuint size = _wakeIsEventFd ? (nuint)sizeof(ulong) : 1;
        while (LibC.Write(_wakeWrite, &one, size) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private protected override void DrainWake()
    {
        // At most one token is pending (see the file comment), so one read empties the channel.
        ulong value;
        while (LibC.Read(_wakeRead, &value, sizeof(ulong)) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private protected override void ReleaseResources()
    {
        if (_wakeWrite >= 0 && _wakeWrite != _wakeRead)
        {
            _ = LibC.Close(_wakeWrite);
        }

        if (_wakeRead >= 0)
        {
            _ = LibC.Close(_wakeRead);
        }

        _wakeRead = _wakeWrite = -1;
        if (_pollFds is not null)
        {
            NativeMemory.Free(_pollFds);
            _pollFds = null;
        }
    }
}
