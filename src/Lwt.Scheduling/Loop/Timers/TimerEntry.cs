// One timer of a TimerWheel.
//
// The entry is the node: a TimerWheel links its entries into intrusive doubly
// linked lists, so adding a timer allocates nothing beyond the entry itself,
// and cancelling one is O(1) (unlink the node, clear one bit when its bucket
// becomes empty). A subclass carries the payload: ActionTimerEntry wraps a
// delegate, the event loop's sleep promises subclass TimerEntry directly so a
// sleep costs one object, and the engines' OnTimer events use their own.
//
// Invariants:
//  - _bucket < 0 <=> the entry is in no list of any wheel (_prev/_next null,
//    _wheel null). An entry belongs to at most one wheel at a time.
//  - an unlinked entry references neither its former neighbours nor the wheel,
//    so a canceled entry that the caller keeps alive keeps nothing else alive.

using System.Diagnostics;

namespace Lwt;

/// <summary>
/// A timer that a <see cref="TimerWheel"/> can schedule. Subclasses implement
/// <see cref="Fire"/>; the entry is its own list node (one allocation per timer).
/// <para>Lwt: the timers behind <c>Lwt_unix.sleep</c> and <c>Lwt_engine.on_timer</c></para>
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
internal abstract class TimerEntry
{
    /// <summary>Bucket value of an entry that is not scheduled.</summary>
    internal const int NotScheduled = -1;

    /// <summary>Previous node in the bucket's list (null for the head or when unlinked).</summary>
    internal TimerEntry? _prev;

    /// <summary>Next node in the bucket's list (null for the tail or when unlinked).</summary>
    internal TimerEntry? _next;

    /// <summary>The wheel holding the entry, or null when not scheduled.</summary>
    internal TimerWheel? _wheel;

    /// <summary>Index of the list holding the entry (see <see cref="TimerWheel"/>), or <see cref="NotScheduled"/>.</summary>
    internal int _bucket = NotScheduled;

    /// <summary>Absolute deadline, in <see cref="Stopwatch.GetTimestamp"/> ticks.</summary>
    internal long _deadline;

    /// <summary>The deadline of the last scheduling, in <see cref="Stopwatch.GetTimestamp"/> ticks.</summary>
    internal long Deadline => _deadline;

    /// <summary>True while the entry waits in a wheel (added, not yet fired nor canceled).</summary>
    internal bool IsScheduled => _bucket >= 0;

    /// <summary>
    /// Called by <see cref="TimerWheel.Expire"/> once the deadline has passed. The
    /// entry is already unscheduled, so it may add itself again (a repeating timer).
    /// </summary>
    internal abstract void Fire();

    private string DebuggerDisplay => IsScheduled ? $"{GetType().Name} due at {_deadline}" : $"{GetType().Name} (not scheduled)";
}
