namespace Lwt;

/*
 * Lwt_mutex: a cooperative lock.
 *
 * Invariants:
 *  - `_locked` is true exactly while some holder owns the mutex. Unlock with waiters
 *    queued does not release it: ownership passes straight to the first live waiter
 *    (FIFO), whose Lock promise is fulfilled. So no newcomer can jump the queue between
 *    an Unlock and the wake-up of the next waiter.
 *  - A canceled Lock waiter is rejected with CanceledException and never gets the lock;
 *    it leaves the queue (lazily, see Waiters.cs) and the others keep their order.
 *  - Wake-ups are wakeup_later, so releasing through a long queue cannot overflow the stack.
 *
 * The mutex is not reentrant, and it does not know its holder (nor does Lwt's): any code
 * may Unlock it.
 */

/// <summary>
/// A mutual-exclusion lock for promises: at most one holder at a time, waiters served in
/// FIFO order.
/// <para>Lwt: <c>Lwt_mutex.t</c></para>
/// </summary>
public sealed class LwtMutex
{
    private readonly WaiterQueue<PromiseWaiter<Unit>> _waiters = new();
    private bool _locked;

    /// <summary>Creates an unlocked mutex.<para>Lwt: <c>Lwt_mutex.create</c></para></summary>
    public LwtMutex()
    {
    }

    /// <summary>Creates an unlocked mutex.<para>Lwt: <c>Lwt_mutex.create</c></para></summary>
    public static LwtMutex Create() => new();

    /// <summary>
    /// Locks the mutex: fulfilled at once when it is unlocked, otherwise when every earlier
    /// waiter has had it and it is handed to this one. The pending promise is cancelable;
    /// a canceled waiter leaves the queue and never holds the lock.
    /// <para>Lwt: <c>Lwt_mutex.lock</c></para>
    /// </summary>
    public Promise Lock()
    {
        if (!_locked)
        {
            _locked = true;
            return Promise.ReturnUnit;
        }
        var waiter = WaiterPromise.Create<Unit>();
        _waiters.Enqueue(new PromiseWaiter<Unit>(waiter));
        return waiter;
    }

    /// <summary>
    /// Unlocks the mutex: hands it to the first waiter, if any (its <see cref="Lock"/> promise
    /// is fulfilled), otherwise leaves it unlocked.
    /// <para>Lwt: <c>Lwt_mutex.unlock</c> (which silently ignores an unlocked mutex; this throws instead)</para>
    /// </summary>
    /// <exception cref="InvalidOperationException">The mutex is not locked.</exception>
    public void Unlock()
    {
        if (!_locked) ThrowNotLocked();
        while (_waiters.TryDequeueLive(out var next))
        {
            if (WaiterPromise.TryFulfil(next.Promise, default)) return;
        }
        _locked = false;
    }

    /// <summary>Whether the mutex is held.<para>Lwt: <c>Lwt_mutex.is_locked</c></para></summary>
    public bool IsLocked => _locked;

    /// <summary>Whether no one is waiting for the mutex.<para>Lwt: <c>Lwt_mutex.is_empty</c></para></summary>
    public bool IsEmpty => !_waiters.HasLive();

    /// <summary>
    /// Locks the mutex, runs <paramref name="f"/>, and unlocks the mutex when the promise
    /// <paramref name="f"/> returned is resolved (fulfilled or rejected), or when
    /// <paramref name="f"/> throws.
    /// <para>Lwt: <c>Lwt_mutex.with_lock</c></para>
    /// </summary>
    /// <param name="f">The critical section.</param>
    /// <typeparam name="T">The type of the section's value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<T> WithLock<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Lock().Bind(() => Promise.Finally(f, UnlockAndReturn));
    }

    /// <summary>
    /// Locks the mutex, runs <paramref name="f"/>, and unlocks it when the returned promise
    /// is resolved or <paramref name="f"/> throws.
    /// <para>Lwt: <c>Lwt_mutex.with_lock</c></para>
    /// </summary>
    /// <param name="f">The critical section.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise WithLock(Func<Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Lock().Bind(() => Promise.Finally(f, UnlockAndReturn));
    }

    private Promise UnlockAndReturn()
    {
        Unlock();
        return Promise.ReturnUnit;
    }

    private static void ThrowNotLocked() =>
        throw new InvalidOperationException("LwtMutex.Unlock: the mutex is not locked. Unlock only after a Lock that was fulfilled.");
}
