using System.Runtime.CompilerServices;

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
 * The combinators attach the same way (AddCallback): Bind, Map, Catch, Finally, TryBind,
 * the On* callbacks, Protected and friends, Join/Both/All and the races, an async method's
 * await. An attach that finds the promise resolved meanwhile runs its callback itself, at
 * once, as the resolution would have. One made on a running loop is bound to that loop
 * (LoopBoundCallback.cs): the resolution on another thread posts it there, so a loop's own
 * promises are still only resolved, and their callbacks only run, on the loop's thread. A
 * combinator of no loop may then be told of two inputs at once, on two threads: Join, Both
 * and All count down with Interlocked, and a race is decided by whoever swaps its inputs out
 * (CombinatorPromises.cs); detaching a race's callback from a promise of no loop takes the
 * promise's lock (CallbackStore.Detach).
 *
 * What stays a race, as in Lwt, which has one thread: Cancel() on a promise of no loop while
 * another thread resolves it or what it waits on. The cancel reaches a leaf under the leaf's
 * lock (a resolution and a cancel cannot both win), but its search reads the waiting
 * promises without locks.
 */

public partial class Promise
{
    /// <summary>
    /// Attaches <paramref name="callback"/> to <paramref name="p"/> (underlying, pending when
    /// the caller looked): every combinator's attach to a promise it waits on. A promise of a
    /// loop is only touched on that loop's thread (the callers have checked): a plain add. A
    /// promise of no loop may be being resolved on another thread right now: see the file comment.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddCallback(Promise p, object callback)
    {
        if (p._owner != 0) CallbackStore.Add(p, callback);
        else AddCallbackShared(p, callback);
    }

    /// <summary>
    /// Whether this promise (underlying when the caller looked) is resolved. Not the same as
    /// "not pending": a promise of no loop may have been made a proxy on another thread
    /// since, and then still waits, through the proxy. An attach follows it (AddCallback), so
    /// whatever is not resolved goes there.
    /// </summary>
    internal bool IsResolvedNow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _status is Status.Fulfilled or Status.Rejected;
    }

    /// <summary>
    /// Counts down a combinator's pending inputs (Join, Both, All) and returns what is left:
    /// with Interlocked for a combinator of no loop, whose inputs may resolve on several
    /// threads at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int CountDown(ref int remaining) => _owner != 0 ? --remaining : Interlocked.Decrement(ref remaining);

    /// <summary>Counts one more pending input of a combinator: the other half of <see cref="CountDown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void CountUp(ref int remaining)
    {
        if (_owner != 0) remaining++;
        else Interlocked.Increment(ref remaining);
    }

    /// <summary>
    /// Takes a race's inputs once (null when already taken): with Interlocked for a race of
    /// no loop, which two inputs may decide at once on two threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected TInputs? TakeOnce<TInputs>(ref TInputs? inputs) where TInputs : class
    {
        if (_owner == 0) return Interlocked.Exchange(ref inputs, null);
        var taken = inputs;
        inputs = null;
        return taken;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddCallbackShared(Promise p, object callback)
    {
        int loopId = ResolutionLoop.Current.LoopId;
        if (loopId != 0) callback = new LoopBoundCallback(loopId, callback);
        while (!p.TryAddCallbackShared(callback))
        {
            // Resolved on another thread since the caller looked, or made a proxy: follow it.
            // The lock just taken makes the other thread's writes visible.
            p = p.Underlying();
            if (p._status != Status.Pending)
            {
                p.RunCallbacks(callback, allowDeferring: true);
                return;
            }
            if (p._owner != 0)
            {
                p.CheckOwnerThread();
                CallbackStore.Add(p, callback);
                return;
            }
        }
    }

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
