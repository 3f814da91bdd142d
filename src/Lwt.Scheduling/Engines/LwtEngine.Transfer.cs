// Transfer: moving every live event of one engine to another (the transfer
// method of Lwt_engine.abstract, behind Lwt_engine.set's ~transfer:true).
//
// What moves. Lwt stops each event and registers its callback again in the
// destination, then points the user's event reference at the new one. Here the
// LwtEvent object itself moves: it is relinked into the destination's lists
// and its _engine changes, so the object users hold (LwtFd's read event, a
// caller's timer) keeps working, and Stop reaches the destination. Stopped
// events are in no list and no wheel, so they are not moved; a one-shot timer
// that fired counts as stopped.
//
// Timers keep their deadline. Lwt's transfer registers each timer again with
// its full delay (lwt_engine.mli: a 2 s timer registered 1 s ago fires 2 s
// after the transfer). The wheel entry moves here with its absolute deadline
// and period, so a timer fires when it would have fired without the transfer,
// never earlier: the engine changed, the time did not.
//
// All or nothing. The only step that can fail is the destination's kernel
// accepting the fds (epoll refuses a regular file that poll took; a closed fd
// fails with EBADF). An fd the destination already watches in the same
// directions is re-synced with its kernel, as a new event on it would be: its
// registration may be stale (the file closed, the number reused). So the destination's interests are grown first, for every
// fd, and rolled back if one is refused: TransferTo then throws with both
// engines as they were. After that nothing can fail: events are relinked, this
// engine drops its kernel interests (it stays usable, as Set's
// destroyPrevious:false wants) and its wheel empties into the destination's.
//
// Transfer during a dispatch. Set is typically called from a callback, while
// this engine walks an fd's list. The walk follows _next, and a moved event's
// _next now points into the destination's lists: the walk could call the
// destination's events from this engine's Iter. Rather than check each event's
// engine on the hot path, TransferTo raises _dispatchHalted (the flag InvokeIo
// already reads for Dispose): this engine calls no more I/O callbacks until its
// next Iter or FakeIo. Nothing is lost by it: every event it had is gone, and
// those registered with it since carry the current generation, which this
// dispatch would skip anyway. The destination's generation is stamped on moved
// events so that a destination in the middle of its own Iter (Set called from
// one of its callbacks) does not call them with readiness it got before they
// arrived, as for any fresh registration; moved timers get it too, so such a
// destination fires them at its next Iter, as a timer created during an Iter.
//
// Cost. O(fd table + wheel buckets + events); a cold path, off every hot one.

namespace Lwt;

public abstract partial class LwtEngine
{
    /// <summary>
    /// Moves every live event of this engine (readable, writable and timer events) to
    /// <paramref name="target"/>: the same <see cref="LwtEvent"/> objects are then dispatched by
    /// <paramref name="target"/>, and <see cref="LwtEvent.Stop"/> stops them there. Stopped events
    /// are not moved. A timer keeps its deadline (unlike Lwt, which restarts its full delay).
    /// This engine stays usable, with no events. If <paramref name="target"/> refuses one of the
    /// fds (for example <see cref="EpollEngine"/> and a regular file, or a closed fd), nothing is
    /// moved and the exception is thrown. Does nothing if <paramref name="target"/> is this engine.
    /// <para>Lwt: <c>Lwt_engine.abstract#transfer</c></para>
    /// </summary>
    /// <param name="target">The engine that receives the events.</param>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">This engine or <paramref name="target"/> was disposed.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception"><paramref name="target"/>'s kernel refused an fd; nothing moved.</exception>
    public void TransferTo(LwtEngine target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ThrowIfDisposed();
        target.ThrowIfDisposed();
        if (target == this)
        {
            return;
        }

        if (_readableCount + _writableCount != 0)
        {
            GrowTargetInterests(target);
            MoveFdEvents(target);
        }

        if (_timers.Count != 0)
        {
            _timers.MoveAllTo(target._timers, entry =>
            {
                LwtEvent ev = ((LwtEvent.EngineTimer)entry).Event;
                ev._engine = target;
                ev._generation = target._generation; // as for fd events: a target mid-Iter fires it at its next Iter
            });
        }

        _dispatchHalted = true;
    }

    /// <summary>
    /// Gives <paramref name="target"/>'s backend the interest of every fd that has events here
    /// (added to what it already has). If one is refused, undoes the ones already grown (shrinking
    /// never throws) and rethrows: the target is as it was.
    /// </summary>
    private void GrowTargetInterests(LwtEngine target)
    {
        int fd = 0;
        try
        {
            for (; fd < _fds.Length; fd++)
            {
                if (_fds[fd] is not { } reg || reg.Mask == 0)
                {
                    continue;
                }

                FdRegistration destination = target.GetRegistration(fd);
                int grown = destination.Mask | reg.Mask;
                if (grown != destination.Mask)
                {
                    target.SetInterest(fd, destination.Mask, grown);
                    destination.Mask = grown;
                }
                else
                {
                    // The target already watches these directions, maybe for a file since
                    // closed behind its back and the number reused: as AddFdEvent does for an
                    // event joining a live direction, make its kernel follow the fd's current
                    // file (LwtEngine.cs, stale registrations). Masks are unchanged, so the
                    // rollback below has nothing to undo for this fd.
                    target.ResyncInterest(fd, grown);
                }
            }
        }
        catch
        {
            // The target's lists are untouched, so each registration's WantedMask is its mask
            // before this transfer began (FdRegistration's invariant).
            for (int undo = 0; undo < fd; undo++)
            {
                if (undo < target._fds.Length && target._fds[undo] is { } destination && destination.Mask != destination.WantedMask)
                {
                    int grown = destination.Mask;
                    destination.Mask = destination.WantedMask;
                    target.SetInterest(undo, grown, destination.Mask);
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Relinks every fd event of this engine at the end of <paramref name="target"/>'s lists (in
    /// their order here) and drops this engine's kernel interests. The target's backend already
    /// has the interests (<see cref="GrowTargetInterests"/>), so nothing here can fail.
    /// </summary>
    private void MoveFdEvents(LwtEngine target)
    {
        for (int fd = 0; fd < _fds.Length; fd++)
        {
            if (_fds[fd] is not { } reg || reg.Mask == 0)
            {
                continue;
            }

            FdRegistration destination = target._fds[fd]!;
            MoveList(reg.ReadHead, ref destination.ReadHead, ref destination.ReadTail, target);
            MoveList(reg.WriteHead, ref destination.WriteHead, ref destination.WriteTail, target);
            destination.Readers += reg.Readers;
            destination.Writers += reg.Writers;
            target._readableCount += reg.Readers;
            target._writableCount += reg.Writers;
            reg.ReadHead = reg.ReadTail = reg.WriteHead = reg.WriteTail = null;
            reg.Readers = reg.Writers = 0;

            int oldMask = reg.Mask;
            reg.Mask = 0;
            SetInterest(fd, oldMask, 0);
        }

        _readableCount = 0;
        _writableCount = 0;
    }

    private static void MoveList(LwtEvent? ev, ref LwtEvent? head, ref LwtEvent? tail, LwtEngine target)
    {
        while (ev is not null)
        {
            LwtEvent? next = ev._next;
            ev._next = null;
            ev._engine = target;
            ev._generation = target._generation;
            Append(ref head, ref tail, ev);
            ev = next;
        }
    }
}
