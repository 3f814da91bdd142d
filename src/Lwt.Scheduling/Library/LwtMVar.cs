namespace Lwt;

/*
 * Lwt_mvar: a box that is empty or holds one value; Put waits while it is full, Take
 * while it is empty.
 *
 * Invariants:
 *  - Takers wait only while the box is empty, putters only while it is full; so at any
 *    time at most one of the two queues has live waiters.
 *  - FIFO on both sides: Put into an empty box with takers waiting hands the value to
 *    the first live taker (the box stays empty); Take from a full box with putters
 *    waiting refills the box with the first live putter's value and wakes that putter.
 *  - A canceled waiter leaves its queue (lazily, Waiters.cs) and its value, for a putter,
 *    is never delivered.
 *
 * Cost: a side that has to wait allocates its waiter promise, and a Take that finds the
 * value there allocates the fulfilled promise it returns; nothing else. So a put and a take
 * allocate one object together when the box was empty (a waiting taker's promise, or the
 * promise of a Take after the Put), two when a putter waited for a full box (its waiter,
 * and the promise of the Take that made room). The queues are ring buffers, reused; a Put
 * that does not wait returns the shared unit promise.
 */

/// <summary>
/// A mailbox variable: empty or full with one value of type <typeparamref name="T"/>.
/// <para>Lwt: <c>'a Lwt_mvar.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
public sealed class LwtMVar<T>
{
    private readonly WaiterQueue<PromiseWaiter<T>> _takers = new();
    private readonly WaiterQueue<Putter> _putters = new();
    private T _value = default!;
    private bool _full;

    private LwtMVar(bool full, T value)
    {
        _full = full;
        _value = value;
    }

    /// <summary>A full mailbox holding <paramref name="value"/>.<para>Lwt: <c>Lwt_mvar.create</c></para></summary>
    /// <param name="value">The initial contents.</param>
    public static LwtMVar<T> Create(T value) => new(true, value);

    /// <summary>An empty mailbox.<para>Lwt: <c>Lwt_mvar.create_empty</c></para></summary>
    public static LwtMVar<T> CreateEmpty() => new(false, default!);

    /// <summary>
    /// Puts <paramref name="value"/> into the mailbox: at once when it is empty (handing the
    /// value to the first waiting taker, if any), otherwise when every earlier putter has
    /// been served and a take has made room. The pending promise is cancelable; a canceled
    /// putter leaves the queue and its value is dropped.
    /// <para>Lwt: <c>Lwt_mvar.put</c></para>
    /// </summary>
    /// <param name="value">The value.</param>
    public Promise Put(T value)
    {
        if (!_full)
        {
            // TryFulfil skips a canceled taker: each taker's promise is looked at once.
            while (_takers.TryDequeue(out var taker))
                if (WaiterPromise.TryFulfil(taker.Promise, value)) return Promise.ReturnUnit;
            _value = value;
            _full = true;
            return Promise.ReturnUnit;
        }
        var waiter = WaiterPromise.Create<Unit>();
        _putters.Enqueue(new Putter(value, waiter));
        return waiter;
    }

    /// <summary>
    /// Takes the value out of the mailbox if it is full; otherwise <c>None</c>, without
    /// waiting.
    /// <para>Lwt: <c>Lwt_mvar.take_available</c></para>
    /// </summary>
    public Option<T> TakeAvailable() => _full ? Option<T>.Some(TakeValue()) : Option<T>.None;

    /// <summary>
    /// Takes the value out of the mailbox: at once when it is full, otherwise when a put
    /// gives it to this taker (takers are served first come, first served). The pending
    /// promise is cancelable; a canceled taker leaves the queue.
    /// <para>Lwt: <c>Lwt_mvar.take</c></para>
    /// </summary>
    public Promise<T> Take()
    {
        if (_full) return Promise.Return(TakeValue());
        var waiter = WaiterPromise.Create<T>();
        _takers.Enqueue(new PromiseWaiter<T>(waiter));
        return waiter;
    }

    /// <summary>Whether the mailbox is empty.<para>Lwt: <c>Lwt_mvar.is_empty</c></para></summary>
    public bool IsEmpty => !_full;

    /// <summary>Empties the full box, refilling it from the first live putter, if any.</summary>
    private T TakeValue()
    {
        T value = _value;
        while (_putters.TryDequeueLive(out var putter))
        {
            // The putter is live: its value goes in, then it is woken.
            _value = putter.Value;
            WaiterPromise.TryFulfil(putter.Promise, default);
            return value;
        }
        _value = default!;
        _full = false;
        return value;
    }

    /// <summary>A waiting put: the value and the promise to fulfil once it is in the box.</summary>
    private readonly struct Putter(T value, Promise<Unit> promise) : IWaiterEntry
    {
        internal readonly T Value = value;
        internal readonly Promise<Unit> Promise = promise;

        public bool IsLive => WaiterPromise.IsLive(Promise);
    }
}
