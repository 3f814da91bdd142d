// PollBasedEngine: an engine whose user supplies only the wait, a poll-like
// function over (fd, check readable, check writable) entries; the class does
// the rest (Lwt_engine.poll_based).
//
// It fits LwtEngine as any backend does: LwtEngine keeps the registrations,
// timers, dispatch rules, wake protocol and error policy, and asks a backend
// for interest changes, one wait, readiness by index, and the wake channel.
// This class answers those itself, so the user's Poll sees plain data:
//
// - the registered fds and their interest live in dense managed arrays
//   (swap-remove, fd -> index map: O(1) register and stop, as PollEngine);
//   the entry span handed to Poll is rebuilt from them only before a wait
//   that follows a change, and never touched during a dispatch;
// - entry 0 is the engine's wake channel (an eventfd on Linux, the read end of
//   a pipe elsewhere), asking for readability like any other entry: Poll needs
//   no notion of cross-thread wake-ups, it only has to report that entry. The
//   base class coalesces wake-ups, so at most one token is ever pending;
// - the timeout is Lwt's: seconds, negative for "no limit", 0 for "do not
//   wait"; it never goes past the next engine timer (the base class sees to it);
// - Readable/Writable are cleared before each call, so Poll only sets what is
//   ready; an interrupted wait (EINTR) simply returns with nothing set. What
//   Poll throws leaves Iter (the engine stays usable).
//
// Poll runs on the engine's thread, inside Iter: it must not call Iter, and
// should not register or stop events (it may; they count from the next wait).

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// Base class for an engine built on a poll-like function: derive, implement <see cref="Poll"/>,
/// and the class provides registration, timers, dispatch and cross-thread wake-ups.
/// <para>Lwt: <c>Lwt_engine.poll_based</c></para>
/// </summary>
public abstract unsafe class PollBasedEngine : LwtEngine
{
    private int _wakeRead = -1;
    private int _wakeWrite = -1;
    private readonly bool _wakeIsEventFd;

    // Dense list of registered fds and their interest masks; _indexOfFd[fd] = index + 1 (0: absent).
    private int[] _fdList = new int[16];
    private int[] _maskList = new int[16];
    private int _registered;
    private int[] _indexOfFd = new int[64];

    /// <summary>The entries handed to <see cref="Poll"/>: [0] is the wake channel; valid up to _entryCount.</summary>
    private Entry[] _entries = new Entry[17];
    private int _entryCount;
    private bool _dirty = true;

    /// <summary>
    /// Creates the engine and its wake-up channel (an eventfd on Linux, a pipe elsewhere).
    /// <para>Lwt: <c>new poll_based</c> (the initializer of <c>Lwt_engine.poll_based</c>)</para>
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">Creating the wake-up channel failed.</exception>
    protected PollBasedEngine()
    {
        _wakeIsEventFd = OperatingSystem.IsLinux();
        if (_wakeIsEventFd)
        {
            _wakeRead = _wakeWrite = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
            if (_wakeRead < 0)
            {
                ThrowErrno("eventfd", Marshal.GetLastPInvokeError());
            }

            return;
        }

        int* fds = stackalloc int[2];
        if (LibC.Pipe(fds) != 0)
        {
            ThrowErrno("pipe", Marshal.GetLastPInvokeError());
        }

        _wakeRead = fds[0];
        _wakeWrite = fds[1];
    }

    /// <summary>
    /// One entry of a <see cref="Poll"/> call: an fd, what the engine waits for on it, and what
    /// <see cref="Poll"/> found.
    /// <para>Lwt: the <c>(Unix.file_descr * bool * bool)</c> tuples of <c>poll_based#poll</c></para>
    /// </summary>
    [StructLayout(LayoutKind.Auto)]
    public struct Entry
    {
        internal Entry(int fd, bool checkReadable, bool checkWritable)
        {
            Fd = fd;
            CheckReadable = checkReadable;
            CheckWritable = checkWritable;
        }

        /// <summary>The file descriptor.<para>Lwt: the tuple's <c>Unix.file_descr</c></para></summary>
        public int Fd { get; }

        /// <summary>Whether the engine waits for <see cref="Fd"/> to be readable.<para>Lwt: the tuple's <c>check_readable</c></para></summary>
        public bool CheckReadable { get; }

        /// <summary>Whether the engine waits for <see cref="Fd"/> to be writable.<para>Lwt: the tuple's <c>check_writable</c></para></summary>
        public bool CheckWritable { get; }

        /// <summary>Set by <see cref="Poll"/> when <see cref="Fd"/> is readable (or in error: its readers will see it).<para>Lwt: the returned tuple's <c>readable</c></para></summary>
        public bool Readable { get; set; }

        /// <summary>Set by <see cref="Poll"/> when <see cref="Fd"/> is writable (or in error).<para>Lwt: the returned tuple's <c>writable</c></para></summary>
        public bool Writable { get; set; }
    }

    /// <summary>
    /// The engine's <see cref="LwtEngine.Id"/>: the type's name unless overridden.
    /// <para>Lwt: <c>engine_id</c> (Lwt 6.1)</para>
    /// </summary>
    protected virtual string EngineId => GetType().Name;

    private protected sealed override string EngineIdCore => EngineId;

    /// <summary>
    /// Waits until an entry with <see cref="Entry.CheckReadable"/> is readable, one with
    /// <see cref="Entry.CheckWritable"/> is writable, or <paramref name="timeoutSeconds"/> pass,
    /// and sets <see cref="Entry.Readable"/>/<see cref="Entry.Writable"/> on the ready entries
    /// (all are false on entry). An interrupted wait returns with nothing set. Runs on the
    /// engine's thread, inside <see cref="LwtEngine.Iter(bool)"/>; what it throws leaves Iter.
    /// <para>Lwt: <c>poll_based#poll</c></para>
    /// </summary>
    /// <param name="entries">The fds to watch; the first is the engine's own wake-up channel.</param>
    /// <param name="timeoutSeconds">The longest wait in seconds: negative for no limit, 0 for none.</param>
    protected abstract void Poll(Span<Entry> entries, double timeoutSeconds);

    private protected sealed override void SetInterest(int fd, int oldMask, int newMask)
    {
        _dirty = true;
        if (newMask == 0)
        {
            int index = _indexOfFd[fd] - 1;
            int last = --_registered;
            if (index != last)
            {
                int moved = _fdList[last];
                _fdList[index] = moved;
                _maskList[index] = _maskList[last];
                _indexOfFd[moved] = index + 1;
            }

            _indexOfFd[fd] = 0;
            return;
        }

        if (oldMask != 0)
        {
            _maskList[_indexOfFd[fd] - 1] = newMask;
            return;
        }

        if (fd >= _indexOfFd.Length)
        {
            Array.Resize(ref _indexOfFd, Math.Max(fd + 1, _indexOfFd.Length * 2));
        }

        if (_registered == _fdList.Length)
        {
            Array.Resize(ref _fdList, _registered * 2);
            Array.Resize(ref _maskList, _registered * 2);
        }

        _fdList[_registered] = fd;
        _maskList[_registered] = newMask;
        _indexOfFd[fd] = ++_registered;
    }

    private protected sealed override int WaitForEvents(int timeoutMs)
    {
        if (_dirty)
        {
            Rebuild();
        }

        Span<Entry> entries = _entries.AsSpan(0, _entryCount);
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i].Readable = false;
            entries[i].Writable = false;
        }

        Poll(entries, timeoutMs < 0 ? -1.0 : timeoutMs / 1000.0);
        return _entryCount;
    }

    private void Rebuild()
    {
        _dirty = false;
        int needed = _registered + 1;
        if (needed > _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(needed, _entries.Length * 2));
        }

        _entries[0] = new Entry(_wakeRead, checkReadable: true, checkWritable: false);
        for (int i = 0; i < _registered; i++)
        {
            int mask = _maskList[i];
            _entries[i + 1] = new Entry(_fdList[i], (mask & FdRegistration.Read) != 0, (mask & FdRegistration.Write) != 0);
        }

        _entryCount = needed;
    }

    private protected sealed override int GetReady(int index, out int flags)
    {
        ref Entry e = ref _entries[index];
        flags = (e.Readable && e.CheckReadable ? FdRegistration.Read : 0)
              | (e.Writable && e.CheckWritable ? FdRegistration.Write : 0);
        return index == 0 ? -1 : e.Fd;
    }

    private protected sealed override void SignalWake()
    {
        ulong one = 1;
        nuint size = _wakeIsEventFd ? (nuint)sizeof(ulong) : 1;
        while (LibC.Write(_wakeWrite, &one, size) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private protected sealed override void DrainWake()
    {
        // At most one token is pending (see the file comment), so one read empties the channel.
        ulong value;
        while (LibC.Read(_wakeRead, &value, sizeof(ulong)) < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
        {
        }
    }

    private protected sealed override void ReleaseResources()
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
    }
}
