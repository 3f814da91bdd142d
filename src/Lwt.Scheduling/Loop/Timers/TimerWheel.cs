// A hierarchical timing wheel: the timers of one event loop (and of one engine).
//
// Why a wheel. The loop keeps one timer per pending Lwt_unix.sleep, per
// Lwt_timeout, per engine OnTimer. Servers keep tens of thousands of them and
// cancel most before they fire (a timeout raced against a read). A binary heap
// costs O(log n) per insert and, worse, O(n) or lazy tombstones per cancel. The
// wheel costs O(1) to insert, O(1) to cancel, and O(levels) amortized per timer
// to expire, whatever the number of timers (10 or 1,000,000).
//
// Time. Deadlines are Stopwatch.GetTimestamp() ticks (monotonic). They are
// grouped into slots of _ticksPerSlot ticks (1 ms by default); a deadline's
// slot number is its "key" (deadline / _ticksPerSlot).
//
// Shape (the layout of tokio's and the Linux kernel's wheels). There are
// Levels levels of 64 slots. _elapsed is the slot number up to which the
// wheel has been processed. A timer whose key is >= _elapsed lives at the
// level of the highest 6-bit digit in which key and _elapsed differ, in the
// slot given by that digit of key. Hence:
//   - level 0 holds timers due in the current 64-slot block, one slot per
//     key; level 1 those due in the current 4096-slot block but a later
//     64-slot block; and so on. Every timer of level L is due before every
//     timer of level L+1, so the earliest timers sit in the lowest occupied
//     level, at its lowest occupied slot (one TrailingZeroCount per level).
//   - when _elapsed reaches the start of an occupied slot of level L >= 1,
//     that slot is "cascaded": its timers are placed again relative to the
//     new _elapsed, which puts each one at a lower level. A timer cascades at
//     most once per level: O(levels) amortized, flat in the number of timers.
//   - _elapsed only ever advances to the start of the earliest occupied slot,
//     or to "now" when nothing is due before it, so no slot is skipped; and it
//     enters a new block only there, where that block's higher-level slot is
//     cascaded before any timer is placed relative to it (a timer added by a
//     callback lands under the right level).
//
// Lists. Every bucket (Levels * 64 wheel slots, plus the Due and Firing
// lists) is an intrusive doubly linked FIFO of TimerEntry nodes; _occupied
// keeps one bit per non-empty wheel slot. Cancel unlinks in O(1) from
// whichever list holds the node and drops every reference the wheel had to it.
//
// Expire(now) fires every timer whose deadline <= now, and never one whose
// deadline is later: slots strictly before now's slot are due in full; the
// slot of now is filtered entry by entry. Timers fire slot by slot, in
// deadline order across slots, and each slot's batch is sorted by deadline
// before it fires (stable: equal deadlines in insertion order). Lwt's engines
// fire due timers in deadline order too (libev's heap, select/poll_based's
// sorted list): sleep 0.0008 then sleep 0.0001, both due when the loop looks,
// wake the second first. The sort is a check in the usual case (one timer, or
// timers set in deadline order) and O(k log k) for a batch of k otherwise.
//
// Re-entrancy. Fire() may Add, Cancel, or even call Expire again. A timer added
// during Expire with a deadline <= now goes to the Due list and fires on the
// NEXT Expire (so a zero-delay repeating timer cannot loop forever inside one
// Expire). The Firing list is drained one node at a time, so a callback that
// cancels a timer already collected for firing prevents it from firing.
//
// Errors. A Fire() that throws does not stop the others: Expire catches the
// first exception, fires the rest, then rethrows it (the later ones are
// dropped, as Lwt's async_exception_hook would see only one at a time).
//
// Waking the loop. MillisecondsUntilNext(now) is rounded up, so a sleep never
// ends before the earliest deadline. It looks at the earliest occupied bucket
// only, and scans at most ScanLimit of its timers for their minimum deadline
// (cached until a firing, or the cancellation of the timer holding it). Only
// when that bucket holds more timers than ScanLimit does it answer the start
// of the bucket's slot instead: a lower bound, so the loop may then wake once
// before the deadline (at a cascade point, firing nothing early) and sleep
// again. That keeps the query O(1) however many timers share a slot.

using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// A hierarchical timing wheel of <see cref="TimerEntry"/> nodes: O(1) add and
/// cancel, O(levels) amortized expiry, deadlines in <see cref="Stopwatch.GetTimestamp"/> ticks.
/// Single-threaded: use it from the thread that owns it.
/// <para>Lwt: the timer set behind <c>Lwt_unix.sleep</c>, <c>Lwt_timeout</c> and <c>Lwt_engine.on_timer</c></para>
/// </summary>
[DebuggerDisplay("Count = {Count}, Elapsed slot = {_elapsed}")]
internal sealed class TimerWheel
{
    private const int SlotBits = 6;
    private const int SlotsPerLevel = 1 << SlotBits;
    private const int SlotMask = SlotsPerLevel - 1;

    /// <summary>11 levels of 6 bits cover every non-negative long slot number.</summary>
    private const int Levels = 11;

    private const int WheelBuckets = Levels * SlotsPerLevel;

    /// <summary>Timers already due when added; fired first by the next Expire.</summary>
    private const int DueBucket = WheelBuckets;

    /// <summary>Timers collected by Expire and about to fire.</summary>
    private const int FiringBucket = WheelBuckets + 1;

    /// <summary>How many timers of a bucket NextDeadline scans for an exact answer.</summary>
    private const int ScanLimit = 64;

    private readonly TimerEntry?[] _heads = new TimerEntry?[WheelBuckets + 2];
    private readonly TimerEntry?[] _tails = new TimerEntry?[WheelBuckets + 2];
    private readonly ulong[] _occupied = new ulong[Levels];
    private readonly long _ticksPerSlot;

    /// <summary>Every wheel slot before this slot number has been processed.</summary>
    private long _elapsed;

    private int _count;

    /// <summary>The "now" of the Expire in progress, or long.MinValue outside Expire.</summary>
    private long _expiringNow = long.MinValue;

    /// <summary>Cache of <see cref="NextExpiration"/>; valid when <see cref="_nextValid"/>.</summary>
    private long _nextCache;
    private bool _nextValid;

    /// <summary>Creates a wheel with 1 ms slots, starting at the current time.</summary>
    internal TimerWheel()
        : this(Math.Max(1, Stopwatch.Frequency / 1000), Stopwatch.GetTimestamp())
    {
    }

    /// <summary>Creates a wheel with slots of <paramref name="ticksPerSlot"/> ticks, whose clock starts at <paramref name="start"/>.</summary>
    internal TimerWheel(long ticksPerSlot, long start)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ticksPerSlot, 1);
        _ticksPerSlot = ticksPerSlot;
        _elapsed = start <= 0 ? 0 : start / ticksPerSlot;
    }

    /// <summary>Number of scheduled timers (added, not yet fired nor canceled).</summary>
    internal int Count => _count;

    /// <summary>
    /// Schedules <paramref name="entry"/> to fire once <paramref name="deadline"/>
    /// (a <see cref="Stopwatch.GetTimestamp"/> value) has passed. O(1), allocation-free.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entry is already scheduled.</exception>
    internal void Add(TimerEntry entry, long deadline)
    {
        if (entry._bucket >= 0)
        {
            ThrowAlreadyScheduled();
        }

        entry._deadline = deadline;
        entry._wheel = this;
        _count++;
        Link(entry, deadline <= _expiringNow ? DueBucket : BucketFor(deadline));
        if (_nextValid && deadline < _nextCache)
        {
            _nextCache = deadline;
        }
    }

    /// <summary>Schedules <paramref name="action"/> at <paramref name="deadline"/>; returns the entry, to cancel it.</summary>
    internal ActionTimerEntry Add(long deadline, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var entry = new ActionTimerEntry(action);
        Add(entry, deadline);
        return entry;
    }

    /// <summary>
    /// Unschedules <paramref name="entry"/>: O(1), idempotent, and the wheel keeps no
    /// reference to it afterwards. Does nothing if the entry is not scheduled in this wheel.
    /// </summary>
    internal void Cancel(TimerEntry entry)
    {
        if (entry._wheel != this)
        {
            return;
        }

        Unlink(entry);
        _count--;
        if (_nextValid && entry._deadline == _nextCache)
        {
            _nextValid = false;
        }
    }

    /// <summary>
    /// Moves every scheduled timer to <paramref name="target"/>, each with its own deadline
    /// (not a fresh delay): after it this wheel is empty, and each entry fires from the target
    /// as if it had been added there. O(buckets + timers); for a cold path (an engine handing
    /// its events to another). Safe during this wheel's Expire, from a Fire: the timers already
    /// collected for firing move too (the Firing list is drained one node at a time, so it
    /// finds nothing left), and those due land in the target's due list or earliest slot.
    /// <paramref name="moved"/>, if given, sees each entry once it is in the target (for a
    /// payload that names its owner, as an engine timer names its engine).
    /// </summary>
    internal void MoveAllTo(TimerWheel target, Action<TimerEntry>? moved = null)
    {
        if (target == this)
        {
            return;
        }

        for (int bucket = 0; bucket < _heads.Length; bucket++)
        {
            TimerEntry? node = _heads[bucket];
            while (node is not null)
            {
                TimerEntry? next = node._next;
                Unlink(node);
                _count--;
                target.Add(node, node._deadline);
                moved?.Invoke(node);
                node = next;
            }
        }

        Debug.Assert(_count == 0, "a timer was left behind");
        _nextValid = false;
    }

    /// <summary>
    /// A time no later than the earliest deadline, or null when no timer is scheduled;
    /// exact unless the earliest bucket holds more than 64 timers (see the file comment).
    /// </summary>
    internal long? NextDeadline => _count == 0 ? null : NextExpiration();

    /// <summary>
    /// Milliseconds to sleep from <paramref name="now"/> until <see cref="NextDeadline"/>,
    /// rounded up; 0 when a timer is already due; -1 when there is no timer.
    /// </summary>
    internal int MillisecondsUntilNext(long now)
    {
        if (_count == 0)
        {
            return -1;
        }

        long next = NextExpiration();
        if (next <= now)
        {
            return 0;
        }

        return TicksToMillisecondsRoundedUp(next - now);
    }

    /// <summary>Converts a positive number of Stopwatch ticks into milliseconds, rounded up, capped at int.MaxValue.</summary>
    internal static int TicksToMillisecondsRoundedUp(long ticks)
    {
        long frequency = Stopwatch.Frequency;
        if (ticks >= long.MaxValue / 1000)
        {
            return int.MaxValue;
        }

        long ms = ((ticks * 1000) + frequency - 1) / frequency;
        return ms > int.MaxValue ? int.MaxValue : (int)ms;
    }

    /// <summary>
    /// Fires every timer whose deadline is &lt;= <paramref name="now"/>, and no other, in
    /// deadline order across slots. If a timer throws, the others still fire and the
    /// first exception is rethrown at the end.
    /// </summary>
    internal void Expire(long now)
    {
        long outerNow = _expiringNow;
        _expiringNow = now;
        ExceptionDispatchInfo? error = null;
        try
        {
            if (_heads[DueBucket] is not null)
            {
                MoveDue(DueBucket, now);
                FireCollected(ref error);
            }

            long nowKey = now < 0 ? -1 : now / _ticksPerSlot;
            while (nowKey >= _elapsed)
            {
                if (!FindEarliest(out int level, out int slot, out long start) || start > nowKey)
                {
                    // Nothing is due before now's slot: advance to it. No occupied slot
                    // starts at or before nowKey, so no slot is skipped.
                    _elapsed = nowKey;
                    break;
                }

                int bucket = (level * SlotsPerLevel) + slot;
                if (level > 0)
                {
                    _elapsed = start;
                    Cascade(bucket);
                }
                else if (start < nowKey)
                {
                    // A whole past slot: every deadline in it is < nowKey * ticksPerSlot <= now.
                    // _elapsed stays at the slot's start, not start + 1: past the last slot of a
                    // block, start + 1 is the next block, whose slot at a higher level has not
                    // been cascaded yet, and a timer that a callback below adds in that block
                    // would be placed under it and found first, holding its timers back. Once
                    // emptied, the slot is not found again (a timer added to it now is due and
                    // goes to the Due list), and the next lookup cascades the next block.
                    _elapsed = start;
                    MoveAll(bucket);
                    FireCollected(ref error);
                }
                else
                {
                    // now's own slot: only the deadlines <= now.
                    _elapsed = start;
                    MoveDue(bucket, now);
                    FireCollected(ref error);
                    break;
                }
            }
        }
        finally
        {
            _expiringNow = outerNow;

            // _elapsed moved and slots cascaded: a cached lower bound may now be stale.
            _nextValid = false;
        }

        error?.Throw();
    }

    // ---- placement -------------------------------------------------------

    private int BucketFor(long deadline)
    {
        long key = deadline < 0 ? -1 : deadline / _ticksPerSlot;
        if (key < _elapsed)
        {
            return DueBucket;
        }

        ulong masked = (ulong)(key ^ _elapsed) | SlotMask;
        int level = (63 - BitOperations.LeadingZeroCount(masked)) / SlotBits;
        int slot = (int)((key >> (level * SlotBits)) & SlotMask);
        return (level * SlotsPerLevel) + slot;
    }

    /// <summary>Finds the earliest occupied wheel slot: the lowest occupied level, its lowest occupied slot.</summary>
    private bool FindEarliest(out int level, out int slot, out long start)
    {
        for (level = 0; level < Levels; level++)
        {
            ulong bits = _occupied[level];
            if (bits != 0)
            {
                int shift = level * SlotBits;
                slot = BitOperations.TrailingZeroCount(bits);
                Debug.Assert(slot >= (int)((_elapsed >> shift) & SlotMask), "an occupied slot lies behind _elapsed");
                int blockShift = shift + SlotBits;
                long block = blockShift >= 63 ? 0 : _elapsed & ~((1L << blockShift) - 1);
                start = block | ((long)slot << shift);
                return true;
            }
        }

        slot = 0;
        start = 0;
        return false;
    }

    /// <summary>A lower bound of the earliest deadline, exact in the usual case (see the file comment); requires Count &gt; 0.</summary>
    private long NextExpiration()
    {
        if (_nextValid)
        {
            return _nextCache;
        }

        long next;
        if (_heads[DueBucket] is not null || _heads[FiringBucket] is not null)
        {
            // Already due: any answer <= now will do, and long.MinValue is one.
            next = Math.Min(MinDeadline(_heads[DueBucket], long.MinValue), MinDeadline(_heads[FiringBucket], long.MinValue));
        }
        else if (FindEarliest(out int level, out int slot, out long start))
        {
            long slotStart = start > long.MaxValue / _ticksPerSlot ? long.MaxValue : start * _ticksPerSlot;
            next = MinDeadline(_heads[(level * SlotsPerLevel) + slot], slotStart);
        }
        else
        {
            next = long.MaxValue;
        }

        _nextCache = next;
        _nextValid = true;
        return next;
    }

    /// <summary>The minimum deadline of a list, or <paramref name="fallback"/> (a lower bound) if it is longer than <see cref="ScanLimit"/>.</summary>
    private static long MinDeadline(TimerEntry? node, long fallback)
    {
        long min = long.MaxValue;
        for (int scanned = 0; node is not null; node = node._next)
        {
            if (++scanned > ScanLimit)
            {
                return fallback;
            }

            min = Math.Min(min, node._deadline);
        }

        return min;
    }

    // ---- list moves ------------------------------------------------------

    /// <summary>Re-places every timer of a wheel slot relative to the new _elapsed (each goes lower).</summary>
    private void Cascade(int bucket)
    {
        TimerEntry? node = DetachAll(bucket);
        while (node is not null)
        {
            TimerEntry? next = node._next;
            node._prev = null;
            node._next = null;
            Link(node, BucketFor(node._deadline));
            node = next;
        }
    }

    /// <summary>Moves a whole bucket to the Firing list.</summary>
    private void MoveAll(int bucket)
    {
        TimerEntry? node = DetachAll(bucket);
        while (node is not null)
        {
            TimerEntry? next = node._next;
            node._prev = null;
            node._next = null;
            Link(node, FiringBucket);
            node = next;
        }
    }

    /// <summary>Moves the timers of a bucket whose deadline is &lt;= now to the Firing list.</summary>
    private void MoveDue(int bucket, long now)
    {
        TimerEntry? node = _heads[bucket];
        while (node is not null)
        {
            TimerEntry? next = node._next;
            if (node._deadline <= now)
            {
                Unlink(node);
                node._wheel = this;
                Link(node, FiringBucket);
            }

            node = next;
        }
    }

    /// <summary>
    /// Fires the Firing list in deadline order, one node at a time (so a Cancel from a
    /// callback is honoured).
    /// </summary>
    private void FireCollected(ref ExceptionDispatchInfo? error)
    {
        _nextValid = false;
        SortFiring();
        TimerEntry? entry;
        while ((entry = _heads[FiringBucket]) is not null)
        {
            Unlink(entry);
            _count--;
            try
            {
                entry.Fire();
            }
            catch (Exception e)
            {
                error ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        _nextValid = false;
    }

    /// <summary>
    /// Sorts the Firing list by deadline, stably. A batch comes from one slot or from the Due
    /// list, in insertion order: already sorted unless timers were set out of deadline order
    /// within one slot (or a negative delay was), so the usual cost is one pass to check.
    /// </summary>
    private void SortFiring()
    {
        TimerEntry? node = _heads[FiringBucket];
        if (node is null)
        {
            return;
        }

        for (TimerEntry? next = node._next; next is not null; node = next, next = next._next)
        {
            if (next._deadline < node._deadline)
            {
                SortFiringSlow();
                return;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SortFiringSlow()
    {
        // Merge sort on the _next links alone, then the _prev links and the tail are rebuilt.
        TimerEntry head = MergeSort(_heads[FiringBucket]!);
        TimerEntry? prev = null;
        for (TimerEntry? node = head; node is not null; node = node._next)
        {
            node._prev = prev;
            prev = node;
        }

        _heads[FiringBucket] = head;
        _tails[FiringBucket] = prev;
    }

    /// <summary>Stable merge sort by deadline of a list linked by _next (_prev is left stale).</summary>
    private static TimerEntry MergeSort(TimerEntry head)
    {
        if (head._next is null)
        {
            return head;
        }

        // Split after the middle (slow/fast walk): the recursion is log2(k) deep.
        TimerEntry slow = head;
        for (TimerEntry? fast = head._next; fast?._next is not null; fast = fast._next._next)
        {
            slow = slow._next!;
        }

        TimerEntry right = slow._next!;
        slow._next = null;
        TimerEntry? a = MergeSort(head);
        TimerEntry? b = MergeSort(right);

        // Merge, taking from the left on ties: equal deadlines keep their insertion order.
        TimerEntry first;
        if (b._deadline < a._deadline)
        {
            first = b;
            b = b._next;
        }
        else
        {
            first = a;
            a = a._next;
        }

        TimerEntry last = first;
        while (a is not null && b is not null)
        {
            if (b._deadline < a._deadline)
            {
                last._next = b;
                b = b._next;
            }
            else
            {
                last._next = a;
                a = a._next;
            }

            last = last._next;
        }

        last._next = a ?? b;
        return first;
    }

    private TimerEntry? DetachAll(int bucket)
    {
        TimerEntry? head = _heads[bucket];
        _heads[bucket] = null;
        _tails[bucket] = null;
        if (bucket < WheelBuckets)
        {
            _occupied[bucket >> SlotBits] &= ~(1UL << (bucket & SlotMask));
        }

        return head;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Link(TimerEntry entry, int bucket)
    {
        entry._bucket = bucket;
        TimerEntry? tail = _tails[bucket];
        entry._prev = tail;
        if (tail is null)
        {
            _heads[bucket] = entry;
            if (bucket < WheelBuckets)
            {
                _occupied[bucket >> SlotBits] |= 1UL << (bucket & SlotMask);
            }
        }
        else
        {
            tail._next = entry;
        }

        _tails[bucket] = entry;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Unlink(TimerEntry entry)
    {
        int bucket = entry._bucket;
        TimerEntry? prev = entry._prev;
        TimerEntry? next = entry._next;
        if (prev is null)
        {
            _heads[bucket] = next;
        }
        else
        {
            prev._next = next;
        }

        if (next is null)
        {
            _tails[bucket] = prev;
        }
        else
        {
            next._prev = prev;
        }

        if (_heads[bucket] is null && bucket < WheelBuckets)
        {
            _occupied[bucket >> SlotBits] &= ~(1UL << (bucket & SlotMask));
        }

        entry._prev = null;
        entry._next = null;
        entry._wheel = null;
        entry._bucket = TimerEntry.NotScheduled;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAlreadyScheduled() =>
        throw new InvalidOperationException("This timer entry is already scheduled; cancel it before adding it again.");
}
