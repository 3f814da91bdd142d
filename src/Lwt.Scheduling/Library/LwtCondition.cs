namespace Lwt;

/*
 * Lwt_condition: a queue of waiters that a signal wakes one at a time (FIFO) and a
 * broadcast wakes all at once, with a value or an exception.
 *
 * Invariants:
 *  - Signal wakes the longest-waiting live waiter; with nobody waiting it does nothing
 *    (condition variables do not remember signals).
 *  - Broadcast takes the whole queue first, then wakes, so a waiter that starts waiting
 *    from inside a woken callback waits for the next signal.
 *  - Wait with a mutex unlocks it after queuing and relocks it before the Wait promise
 *    resolves (fulfilled, rejected or canceled), as Lwt's finalize does. One exception, as
 *    in Lwt: a cancel that comes while the relock itself waits (signaled, the mutex held by
 *    someone else) cancels that Lock, so the Wait is rejected without the mutex.
 */

/// <summary>
/// A condition variable: promises that wait until signaled with a value of type
/// <typeparamref name="T"/>.
/// <para>Lwt: <c>'a Lwt_condition.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the values passed by signals.</typeparam>
public sealed class LwtCondition<T>
{
    private WaiterQueue<PromiseWaiter<T>> _waiters = new();

    /// <summary>Creates a condition variable with no waiters.<para>Lwt: <c>Lwt_condition.create</c></para></summary>
    public LwtCondition()
    {
    }

    /// <summary>Creates a condition variable with no waiters.<para>Lwt: <c>Lwt_condition.create</c></para></summary>
    public static LwtCondition<T> Create() => new();

    /// <summary>
    /// Waits for the next <see cref="Signal"/> or <see cref="Broadcast"/> and returns its
    /// value. With <paramref name="mutex"/> (which the caller must hold), the mutex is
    /// unlocked while waiting and locked again before the returned promise resolves. The
    /// promise is cancelable; a canceled waiter leaves the queue, and is rejected once it has
    /// locked the mutex again, except when the cancel comes while that relock waits (after a
    /// signal, with the mutex held by someone else): the relock is canceled and the promise
    /// rejected without the mutex, as in Lwt.
    /// <para>Lwt: <c>Lwt_condition.wait</c></para>
    /// </summary>
    /// <param name="mutex">A mutex held by the caller, or null.</param>
    /// <exception cref="InvalidOperationException"><paramref name="mutex"/> is not locked.</exception>
    public Promise<T> Wait(LwtMutex? mutex = null)
    {
        if (mutex is not null && !mutex.IsLocked)
            throw new InvalidOperationException("LwtCondition.Wait: the mutex passed must be locked by the caller.");
        // Queue first, then unlock: whoever gets the mutex next may signal at once.
        var waiter = WaiterPromise.Create<T>();
        _waiters.Enqueue(new PromiseWaiter<T>(waiter));
        if (mutex is null) return waiter;
        mutex.Unlock();
        return Promise.Finally(() => waiter, mutex.Lock);
    }

    /// <summary>
    /// Wakes the first waiter, if any, with <paramref name="value"/>.
    /// <para>Lwt: <c>Lwt_condition.signal</c></para>
    /// </summary>
    /// <param name="value">The value the waiter's promise is fulfilled with.</param>
    public void Signal(T value)
    {
        while (_waiters.TryDequeueLive(out var w))
            if (WaiterPromise.TryFulfil(w.Promise, value)) return;
    }

    /// <summary>
    /// Wakes every current waiter with <paramref name="value"/>.
    /// <para>Lwt: <c>Lwt_condition.broadcast</c></para>
    /// </summary>
    /// <param name="value">The value every waiter's promise is fulfilled with.</param>
    public void Broadcast(T value)
    {
        if (_waiters.RawCount == 0) return;
        var all = _waiters;
        _waiters = new();
        while (all.TryDequeueLive(out var w)) WaiterPromise.TryFulfil(w.Promise, value);
    }

    /// <summary>
    /// Rejects every current waiter with <paramref name="exception"/>. Only those: a condition
    /// variable has no closed state (as in Lwt), so a <see cref="Wait"/> made afterwards waits
    /// for the next signal. To shut waiters out for good (a broker stopping), keep a flag that
    /// each waiter checks before it waits, set it, then broadcast.
    /// <para>Lwt: <c>Lwt_condition.broadcast_exn</c></para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public void BroadcastExn(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (_waiters.RawCount == 0) return;
        var all = _waiters;
        _waiters = new();
        while (all.TryDequeueLive(out var w)) WaiterPromise.TryReject(w.Promise, exception);
    }
}
