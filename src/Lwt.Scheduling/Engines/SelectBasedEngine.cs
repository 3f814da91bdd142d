// SelectBasedEngine: an engine whose user supplies only a select-like wait, two lists of
// fds in and two lists of ready fds out (Lwt_engine.select_based).
//
// It is a PollBasedEngine whose Poll is written once, here, in terms of the user's Select:
// the entries become a read list (every entry that checks readability, the engine's own
// wake channel first) and a write list, and the fds Select returns are marked back on their
// entries. Everything else (registrations, timers, dispatch, cross-thread wake-ups, the
// timeout rules) is PollBasedEngine's, unchanged.
//
// The lists handed to Select are the engine's own buffers, refilled before each call: Select
// may read them only during the call (it must not keep them). What it returns is read once
// and may be any list: a fd it did not ask about is ignored, as Lwt ignores a fd with no
// actions, and a fd returned readable that was only asked writable (or the reverse) does
// not dispatch (PollBasedEngine masks readiness by interest).
//
// Errors of the wait, as Lwt's select_based#iter treats Unix_error:
// - EINTR: an interrupted wait, nothing is ready (the loop will simply iterate again);
// - EBADF: some registered fd was closed without its events being stopped. Lwt then finds
//   the bad fds and runs their actions, so that whoever waits on them tries the fd and
//   sees the error; here each entry whose fd fcntl(F_GETFD) refuses is marked ready for what
//   it waits for. The engine's wake channel is never bad (the engine owns it).
// Anything else Select throws leaves Iter, as what Poll throws does; the engine stays usable.

namespace Lwt;

/// <summary>
/// Base class for an engine built on a select-like function: derive, implement
/// <see cref="Select"/>, and the class provides registration, timers, dispatch and
/// cross-thread wake-ups (it is a <see cref="PollBasedEngine"/> whose poll calls Select).
/// <para>Lwt: <c>Lwt_engine.select_based</c></para>
/// </summary>
public abstract class SelectBasedEngine : PollBasedEngine
{
    private readonly List<int> _read = new();
    private readonly List<int> _write = new();

    /// <summary>Entry index by fd for the current call, to mark what Select returns.</summary>
    private readonly Dictionary<int, int> _indexOfFd = new();

    /// <summary>
    /// Creates the engine and its wake-up channel.
    /// <para>Lwt: <c>new select_based</c> (the initializer of <c>Lwt_engine.select_based</c>)</para>
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">Creating the wake-up channel failed.</exception>
    protected SelectBasedEngine()
    {
    }

    /// <summary>
    /// Waits until a fd of <paramref name="read"/> is readable, a fd of <paramref name="write"/>
    /// is writable, or <paramref name="timeoutSeconds"/> pass, and returns the ready fds of
    /// each list (empty lists on a timeout). <paramref name="read"/> includes the engine's own
    /// wake-up channel, which Select reports as any other fd. Both lists are the engine's
    /// buffers, valid only during the call. Throw a <see cref="UnixErrorException"/> with EINTR
    /// for an interrupted wait (nothing is ready) and with EBADF when a fd is closed (the
    /// engine then wakes the waiters of the closed fds); what else it throws leaves
    /// <see cref="LwtEngine.Iter(bool)"/>. Runs on the engine's thread, inside Iter.
    /// <para>Lwt: <c>select_based#select</c></para>
    /// </summary>
    /// <param name="read">The fds to watch for readability.</param>
    /// <param name="write">The fds to watch for writability.</param>
    /// <param name="timeoutSeconds">The longest wait in seconds: negative for no limit, 0 for none.</param>
    /// <returns>The readable fds and the writable fds (neither null).</returns>
    protected abstract (IReadOnlyList<int> Readable, IReadOnlyList<int> Writable) Select(
        IReadOnlyList<int> read, IReadOnlyList<int> write, double timeoutSeconds);

    /// <summary>
    /// Calls <see cref="Select"/> with the entries' fds and marks what it returns.
    /// <para>Lwt: <c>select_based#iter</c> (its wait and its EINTR/EBADF handling)</para>
    /// </summary>
    /// <param name="entries">The fds to watch; the first is the engine's own wake-up channel.</param>
    /// <param name="timeoutSeconds">The longest wait in seconds: negative for no limit, 0 for none.</param>
    /// <exception cref="InvalidOperationException"><see cref="Select"/> returned a null list.</exception>
    protected sealed override void Poll(Span<Entry> entries, double timeoutSeconds)
    {
        _read.Clear();
        _write.Clear();
        _indexOfFd.Clear();
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly Entry e = ref entries[i];
            _indexOfFd[e.Fd] = i;
            if (e.CheckReadable) _read.Add(e.Fd);
            if (e.CheckWritable) _write.Add(e.Fd);
        }

        IReadOnlyList<int> readable, writable;
        try
        {
            (readable, writable) = Select(_read, _write, timeoutSeconds);
        }
        catch (UnixErrorException e) when (e.Errno == LibC.EINTR)
        {
            return;
        }
        catch (UnixErrorException e) when (e.Errno == LibC.EBADF)
        {
            MarkBadFds(entries);
            return;
        }

        if (readable is null || writable is null)
            throw new InvalidOperationException($"{GetType().Name}.Select returned a null list; return empty lists when nothing is ready.");
        for (int i = 0; i < readable.Count; i++)
        {
            if (_indexOfFd.TryGetValue(readable[i], out int index)) entries[index].Readable = true;
        }

        for (int i = 0; i < writable.Count; i++)
        {
            if (_indexOfFd.TryGetValue(writable[i], out int index)) entries[index].Writable = true;
        }
    }

    /// <summary>Marks every entry whose fd is closed ready for what it waits for (Lwt's EBADF recovery).</summary>
    private static void MarkBadFds(Span<Entry> entries)
    {
        for (int i = 1; i < entries.Length; i++)
        {
            ref Entry e = ref entries[i];
            if (LibC.Fcntl(e.Fd, LibC.F_GETFD, 0) >= 0) continue;
            e.Readable = e.CheckReadable;
            e.Writable = e.CheckWritable;
        }
    }
}
