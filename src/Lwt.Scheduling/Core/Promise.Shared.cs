namespace Lwt;

/*
 * Promises of no loop, touched from two threads.
 *
 * A promise made under LwtMain.Run belongs to that loop: it is only ever resolved on the
 * loop's thread, and what reaches it from another thread (an await's continuation, a
 * resolver) is marshaled there first (AwaitSupport.Register, Resolver). The core needs no
 * lock and no fence for those, and takes none.
 *
 * A promise made off any loop belongs to none, and .NET code uses such promises across
 * threads as it uses a TaskCompletionSource: `task.ToPromise()` called off any loop is
 * resolved on the thread that completes the Task (API.md), while pool code awaits it; a
 * Resolver on one thread, an `await` on another. With plain reads and writes the attach
 * can be lost: the resolver takes the callback storage before the attaching thread's
 * write is visible to it, and the awaiting code never resumes.
 *
 * So a promise of no loop is resolved under its own monitor (the state set and the
 * callbacks taken in one step; the callbacks then run outside the lock), and an await
 * made anywhere but on the owning loop's thread attaches under the same monitor, having
 * looked at the state inside it. Either the attach comes first and the resolution takes
 * the callback, or the resolution comes first and the attach sees it resolved and runs
 * the continuation itself. Making such a promise a proxy (a callback, run on the resolving
 * thread, returned it) moves its callbacks under the same locks, and an attach that finds
 * it a proxy follows it. The loop's own promises, the hot path, do not pay for this:
 * their resolution tests `_owner`, which it already reads nearby, and goes on as before.
 *
 * What this does not make thread-safe: Bind, Map and the other combinators attach with
 * plain writes, from the thread that calls them; calling them on a promise while another
 * thread resolves it is a race, as in Lwt. Await it, or attach on the thread that
 * resolves it.
 */

public partial class Promise
{
    /// <summary>
    /// RejectCore for a promise of no loop: under the promise's monitor, so that an attach
    /// made on another thread (<see cref="TryAddCallbackShared"/>) is either taken or sees
    /// the rejection. A promise another thread resolved meanwhile is left as it is.
    /// </summary>
    private void RejectShared(Exception exception, bool allowDeferring)
    {
        object? callbacks;
        lock (this)
        {
            if (_status != Status.Pending) return;
            _status = Status.Rejected;
            _link = exception;
            callbacks = _callbacks;
            _callbacks = null;
        }
        if (callbacks is not null) RunCallbacks(callbacks, allowDeferring);
    }

    /// <summary>
    /// MakeProxy when either promise belongs to no loop: the callbacks move from
    /// <paramref name="inner"/> to <paramref name="outer"/> under the monitor of each such
    /// promise, so that an await attaching to either on another thread meanwhile is moved
    /// with the others or, once <paramref name="inner"/> is a proxy, follows it to
    /// <paramref name="outer"/>. (Inner, then outer: the only order two locks are taken in.)
    /// </summary>
    private static void MakeProxyShared(Promise inner, Promise outer)
    {
        bool lockInner = inner._owner == 0, lockOuter = outer._owner == 0;
        bool innerTaken = false, outerTaken = false;
        try
        {
            if (lockInner) Monitor.Enter(inner, ref innerTaken);
            if (lockOuter) Monitor.Enter(outer, ref outerTaken);
            MoveIntoProxy(inner, outer);
        }
        finally
        {
            if (outerTaken) Monitor.Exit(outer);
            if (innerTaken) Monitor.Exit(inner);
        }
    }

    /// <summary>
    /// Attaches <paramref name="callback"/> to this promise (underlying) under its monitor;
    /// false when it is no longer pending (the caller then runs the callback itself).
    /// </summary>
    internal bool TryAddCallbackShared(object callback)
    {
        lock (this)
        {
            if (_status != Status.Pending) return false;
            CallbackStore.Add(this, callback);
            return true;
        }
    }
}

public partial class Promise<T>
{
    /// <summary>FulfillCore for a promise of no loop: see <see cref="Promise.RejectShared"/>.</summary>
    private void FulfillShared(T value, bool allowDeferring)
    {
        object? callbacks;
        lock (this)
        {
            if (_status != Status.Pending) return;
            _value = value;
            _status = Status.Fulfilled;
            _link = null;
            callbacks = _callbacks;
            _callbacks = null;
        }
        if (callbacks is not null) RunCallbacks(callbacks, allowDeferring);
    }
}
