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
        if (pusher is not null) WaiterPromise.TryReject(pusher, new LwtStream.ClosedException());
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
        WaiterPromise.TryFulfil(pusher, default);
    }
}
