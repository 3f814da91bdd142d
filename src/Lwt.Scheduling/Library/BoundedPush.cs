using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The producer side of a bounded stream (Lwt's bounded_push object).
 *
 * Invariants:
 *  - `Count` is the number of items pushed and not yet read; Push without waiting only
 *    while Count < Size. At most one push may wait (the pending item is kept aside, so
 *    that it is the next item added when room appears); a second push while one waits
 *    is rejected with FullException, after Close with ClosedException.
 *  - When the reader consumes an item: with a push waiting, its item goes in and that
 *    push resolves (Count unchanged); otherwise Count drops by one.
 *  - A canceled waiting push gives up its item (it is never added) and frees the slot.
 *  - Close ends the stream once: the end is queued, a waiting push is rejected with
 *    ClosedException, then the readers waiting get end of stream (Lwt's order).
 *  - A waiting push released or rejected inside callbacks settles at its turn (Settle):
 *    Lwt's push returns a Lwt.catch of its waiter, and the waiter's wakeup_later defers
 *    catch's callback, so the promise the user holds stays pending, and a cancel of it
 *    reaches a waiter already resolved and does nothing, until the running callbacks end.
 *    Here the push's promise is the waiter itself (one object, no catch), so it keeps that
 *    turn itself: it leaves the bookkeeping at once (its item is in, or withdrawn by Close)
 *    and, no longer cancelable, waits in the loop's wakeup_later queue to be settled.
 */

/// <summary>
/// The push side of a bounded stream, made by <see cref="LwtStream.CreateBounded{T}(int)"/>.
/// <para>Lwt: <c>Lwt_stream.bounded_push</c></para>
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
public sealed class BoundedPush<T>
{
    private readonly StreamBuffer<T> _buffer;
    private int _size;
    private int _count;
    private bool _closed;
    private T _pending = default!;
    private Promise<Unit>? _pusher;

    internal BoundedPush(StreamBuffer<T> buffer, int size)
    {
        _buffer = buffer;
        _size = size;
    }

    /// <summary>The largest number of unread items before Push waits.<para>Lwt: <c>bounded_push#size</c></para></summary>
    public int Size => _size;

    /// <summary>The number of items pushed and not yet read.<para>Lwt: <c>bounded_push#count</c></para></summary>
    public int Count => _count;

    /// <summary>Whether a push is waiting for room.<para>Lwt: <c>bounded_push#blocked</c></para></summary>
    public bool Blocked => HasPending();

    /// <summary>Whether <see cref="Close"/> was called.<para>Lwt: <c>bounded_push#closed</c></para></summary>
    public bool Closed => _closed;

    /// <summary>
    /// Changes the size. It may be made smaller than <see cref="Count"/>: the items already
    /// in stay, and a push waits until the reader has read one. If there is now room and a
    /// push is waiting, its item goes in and the push resolves.
    /// <para>Lwt: <c>bounded_push#resize</c></para>
    /// </summary>
    /// <param name="size">The new size (0 or more).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public void Resize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _size = size;
        if (_count < _size && HasPending())
        {
            _count++;
            ReleasePending();
        }
    }

    /// <summary>
    /// Pushes <paramref name="item"/>: resolved at once if there is room (<see cref="Count"/>
    /// below <see cref="Size"/>); otherwise it waits, and its item goes in and its promise
    /// resolves when the reader next consumes an item (even when a <see cref="Resize"/> has
    /// left <see cref="Count"/> at or above the size: as in Lwt, a read always lets the
    /// waiting push in) or when <see cref="Resize"/> makes room. Rejected with <see cref="LwtStream.FullException"/> while
    /// another push waits, with <see cref="LwtStream.ClosedException"/> after
    /// <see cref="Close"/>. The waiting promise is cancelable: canceling it withdraws the item.
    /// Released (or rejected by <see cref="Close"/>) by a read, <see cref="Resize"/> or
    /// <see cref="Close"/> made inside callbacks, it settles after the running callbacks, as
    /// Lwt's does: until then it is still pending, its item already in, and a cancel does nothing.
    /// <para>Lwt: <c>bounded_push#push</c></para>
    /// </summary>
    /// <param name="item">The item.</param>
    public Promise Push(T item)
    {
        if (_closed) return Promise.Fail(new LwtStream.ClosedException());
        if (HasPending()) return Promise.Fail(new LwtStream.FullException());
        if (_count >= _size)
        {
            _pending = item;
            var waiter = WaiterPromise.Create<Unit>();
            _pusher = waiter;
            return waiter;
        }
        _count++;
        _buffer.Append(item);
        return Promise.ReturnUnit;
    }

    /// <summary>
    /// Closes the stream: readers get end of stream after the items already pushed; a
    /// waiting push is rejected with <see cref="LwtStream.ClosedException"/>, before the
    /// readers waiting are woken. Idempotent.
    /// <para>Lwt: <c>bounded_push#close</c></para>
    /// </summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        var pusher = HasPending() ? _pusher : null;
        _pusher = null;
        _pending = default!;
        // Lwt's order: the end is queued first (a read from the pusher's callback sees it),
        // then the waiting push is rejected, then the readers are signalled.
        bool ending = !_buffer.Ended;
        _buffer.Ended = true;
        if (pusher is not null) Settle(pusher, fulfil: false);
        if (ending) _buffer.AfterEnd();
    }

    /// <summary>
    /// Keeps <paramref name="reference"/> alive as long as the stream is.
    /// <para>Lwt: <c>bounded_push#set_reference</c></para>
    /// </summary>
    /// <param name="reference">Any object.</param>
    public void SetReference(object? reference) => _buffer.External = reference;

    /// <summary>Called when the reader consumed an item.</summary>
    internal void OnConsumed()
    {
        if (HasPending()) ReleasePending();
        else _count--;
    }

    private bool HasPending()
    {
        if (_pusher is null) return false;
        if (WaiterPromise.IsLive(_pusher)) return true;
        // The waiting push was canceled: its item is withdrawn.
        _pusher = null;
        _pending = default!;
        return false;
    }

    private void ReleasePending()
    {
        var pusher = _pusher!;
        var item = _pending;
        _pusher = null;
        _pending = default!;
        _buffer.Append(item);
        Settle(pusher, fulfil: true);
    }

    /// <summary>
    /// Settles a waiting push that has left the bookkeeping (fulfilled, or rejected with
    /// <see cref="LwtStream.ClosedException"/> when not <paramref name="fulfil"/>): outside callbacks
    /// at once (wakeup_later, as before); inside them at its turn in the loop's wakeup_later
    /// queue, not cancelable meanwhile (see the file comment). A push canceled before it was
    /// released is left as it is.
    /// </summary>
    private static void Settle(Promise<Unit> pusher, bool fulfil)
    {
        var u = pusher.UnderlyingT();
        if (u._status != Status.Pending) return;
        var loop = ResolutionLoop.Current;
        if (loop.Resolving != 0)
        {
            u._cancelMode = CancelMode.NotCancelable;
            loop.DeferLater(u, fulfil ? FulfilAtTurn.Instance : RejectClosedAtTurn.Instance);
        }
        else if (fulfil) u.FulfillLater(default, loop);
        else u.RejectLater(new LwtStream.ClosedException(), loop);
    }

    /// <summary>
    /// Fulfils a released push (it is pending: nothing else resolves it). Meanwhile a Bind's
    /// callback (or the like) may have returned it, making it a proxy for the Bind's promise,
    /// which took its callbacks: that promise is the one fulfilled (followed, as at the release).
    /// </summary>
    private sealed class FulfilAtTurn : Callback
    {
        internal static readonly FulfilAtTurn Instance = new();

        internal override void Invoke(Promise source)
        {
            var p = Unsafe.As<Promise<Unit>>(source).UnderlyingT();
            if (p._status == Status.Pending) p.FulfillCore(default, allowDeferring: false);
        }
    }

    /// <summary>
    /// Rejects a push that was waiting when the stream was closed (followed to the promise it
    /// became a proxy for meanwhile, as in <see cref="FulfilAtTurn"/>).
    /// </summary>
    private sealed class RejectClosedAtTurn : Callback
    {
        internal static readonly RejectClosedAtTurn Instance = new();

        internal override void Invoke(Promise source)
        {
            var p = source.Underlying();
            if (p._status == Status.Pending) p.RejectCore(new LwtStream.ClosedException(), allowDeferring: false);
        }
    }
}
