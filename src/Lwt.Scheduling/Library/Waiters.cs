using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Waiters: what the library modules (mutex, condition, mvar, pool, stream) queue up.
 *
 * Lwt queues resolvers in an Lwt_sequence and removes a node from it when its task is
 * canceled (Lwt.add_task_r + on_cancel). That costs a task, a resolver, a node and a
 * cancel callback per waiter. Here a waiter is one object: a cancelable pending promise
 * created and resolved directly (WaiterPromise), held in a ring buffer (WaiterQueue).
 *
 * A canceled waiter leaves the queue lazily: it is rejected by the cancellation, so it is
 * no longer pending, and every operation that would serve it skips it instead; the queue
 * also drops such dead entries whenever it would have to grow, so a queue whose waiters
 * keep being canceled (a take raced against a timeout, again and again) stays as large as
 * the number of live waiters, give or take a factor of two. Nothing else observes the
 * difference: the canceled waiter is never served, and the next live one gets what it
 * would have got. Counting live waiters (Lwt_pool.wait_queue_length) scans the queue.
 *
 * Resolution is Lwt's wakeup_later, as the library modules of Lwt use: a waiter woken from
 * inside callbacks (a put made by a callback, an unlock at the end of a locked section) has
 * its callbacks run after the running ones, not deeper on the stack (ResolutionLoop.cs).
 * So the waker carries on first, as in Lwt (lock; unlock; print: the print comes before the
 * next holder's section), and a long queue of waiters cannot overflow the stack.
 *
 * Threads: like Lwt's, these structures are for one thread (one event loop) at a time.
 */

/// <summary>Creates and resolves the cancelable pending promises that library waiters are.</summary>
internal static class WaiterPromise
{
    /// <summary>A pending promise that <see cref="Promise.Cancel"/> rejects: Lwt's <c>Lwt.task</c>, in one object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Promise<T> Create<T>() => new(CancelMode.CancelThis);

    /// <summary>Fulfils <paramref name="p"/> if it is still pending (wakeup_later); false when it was canceled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryFulfil<T>(Promise<T> p, T value)
    {
        var u = p.UnderlyingT();
        if (u._status != Status.Pending) return false;
        u.FulfillLater(value);
        return true;
    }

    /// <summary>Rejects <paramref name="p"/> if it is still pending (wakeup_later_exn); false otherwise.</summary>
    internal static bool TryReject(Promise p, Exception exception)
    {
        var u = p.Underlying();
        if (u._status != Status.Pending) return false;
        u.RejectLater(exception);
        return true;
    }

    /// <summary>Whether <paramref name="p"/> is still pending (not served, not canceled).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsLive(Promise p) => p.Underlying()._status == Status.Pending;
}

/// <summary>An entry of a <see cref="WaiterQueue{TEntry}"/>: it knows whether it still waits.</summary>
internal interface IWaiterEntry
{
    /// <summary>False once the waiter was canceled (or otherwise resolved): it is then skipped.</summary>
    bool IsLive { get; }
}

/// <summary>A waiter that is just a pending promise.</summary>
internal readonly struct PromiseWaiter<T>(Promise<T> promise) : IWaiterEntry
{
    internal readonly Promise<T> Promise = promise;

    public bool IsLive => WaiterPromise.IsLive(Promise);
}

/// <summary>
/// A FIFO of waiters in a ring buffer (no allocation per waiter once grown). Dead entries
/// (canceled waiters) are skipped when dequeuing and dropped before the buffer grows.
/// See the file comment.
/// </summary>
internal sealed class WaiterQueue<TEntry> where TEntry : struct, IWaiterEntry
{
    private TEntry[] _items = [];
    private int _head;
    private int _count;

    /// <summary>Entries, live or dead, still in the buffer.</summary>
    internal int RawCount => _count;

    /// <summary>Appends a waiter at the back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Enqueue(TEntry entry)
    {
        if (_count == _items.Length) MakeRoom();
        int tail = _head + _count;
        if (tail >= _items.Length) tail -= _items.Length;
        _items[tail] = entry;
        _count++;
    }

    /// <summary>
    /// Removes and returns the first entry, live or dead; false when the queue is empty. For
    /// a caller that checks liveness itself while serving the entry (a TryFulfil that fails
    /// on a dead waiter), so that a waiter promise (possibly a proxy) is looked at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryDequeue([MaybeNullWhen(false)] out TEntry entry)
    {
        if (_count == 0)
        {
            entry = default;
            return false;
        }
        entry = _items[_head];
        _items[_head] = default;
        if (++_head == _items.Length) _head = 0;
        _count--;
        return true;
    }

    /// <summary>Removes and returns the first live waiter; false when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryDequeueLive([MaybeNullWhen(false)] out TEntry entry)
    {
        while (TryDequeue(out entry))
            if (entry.IsLive) return true;
        return false;
    }

    /// <summary>Whether a live waiter is queued (drops the dead ones in front of it).</summary>
    internal bool HasLive()
    {
        while (_count != 0)
        {
            if (_items[_head].IsLive) return true;
            _items[_head] = default;
            if (++_head == _items.Length) _head = 0;
            _count--;
        }
        return false;
    }

    /// <summary>The first live waiter, left in the queue (drops the dead ones in front of it); false when there is none.</summary>
    internal bool TryPeekLive([MaybeNullWhen(false)] out TEntry entry)
    {
        if (HasLive())
        {
            entry = _items[_head];
            return true;
        }
        entry = default;
        return false;
    }

    /// <summary>The number of live waiters (a scan).</summary>
    internal int CountLive()
    {
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            int j = _head + i;
            if (j >= _items.Length) j -= _items.Length;
            if (_items[j].IsLive) n++;
        }
        return n;
    }

    /// <summary>Removes every entry, returning them in FIFO order (live ones only).</summary>
    internal List<TEntry> DrainLive()
    {
        var list = new List<TEntry>(_count);
        while (TryDequeueLive(out var e)) list.Add(e);
        _head = 0;
        return list;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MakeRoom()
    {
        // Drop dead entries first; grow only when at least half of the buffer is live.
        int live = 0;
        var items = _items;
        var fresh = _count - CountLive() >= Math.Max(1, _count / 2) ? new TEntry[items.Length] : new TEntry[Math.Max(4, items.Length * 2)];
        for (int i = 0; i < _count; i++)
        {
            int j = _head + i;
            if (j >= items.Length) j -= items.Length;
            if (items[j].IsLive) fresh[live++] = items[j];
        }
        if (live == fresh.Length) Array.Resize(ref fresh, fresh.Length * 2);
        _items = fresh;
        _head = 0;
        _count = live;
    }
}
