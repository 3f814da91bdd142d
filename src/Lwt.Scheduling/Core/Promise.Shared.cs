using System.Diagnostics;
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
 * the continuation itself. Two resolutions, or a resolution and a cancel, on two threads:
 * the first to take the lock wins, and the other finds the promise resolved and says so
 * (TryResolve returns false, Resolve throws, a cancel does nothing). The status is written
 * last (PublishStatus), so a thread that reads it without the lock, as IsRejected and then
 * Exception do, finds the value or the exception it announces. The loop's own promises,
 * the hot path, do not pay for this: their resolution compares `_owner` with the thread's
 * running loop (IsShared), whose thread-static it reads anyway to run the callbacks, and
 * goes on as before.
 *
 * A promise of a loop that has stopped is anyone's too (LoopRegistry): a Resolver, a Cancel()
 * or an await made on it off the loop's running thread takes the same lock (Resolver.cs,
 * Promise.Cancellation.cs, AwaitSupport.RegisterHere), so two threads resolving it, or one
 * resolving and one canceling or awaiting, meet as on a promise of no loop. So does every
 * other attach: Bind, Map and the like, the On* callbacks, Protected and friends and the
 * combinators already check that the caller is on the promise's loop (CheckOwnerThread: one
 * thread-static read for a promise of a loop; a Bind compares its input's owner with its
 * new node's, which is the caller's loop, and reads it only when they differ), and the same
 * check tells them to attach under the lock (AddCallbackShared). A callback's result of another
 * loop is attached to where that loop says (AttachToOtherOwner).
 *
 * What the callbacks do is a change too. Resolved off its loop's thread, such a promise runs
 * its callbacks there, and they resolve the promises that waited on it (a Map's, a Join's,
 * an async method's), count a Join down, decide a race and detach its losers, hand a Bind
 * the promise its callback returned: all of the same stopped loop, all of which a third
 * thread may be attaching to, resolving or canceling at that moment. So every such change
 * asks one question, IsShared: of no loop, or of a loop not running on this thread. Then it
 * is made as on a promise of no loop, under the lock or with Interlocked. (Before, only the
 * resolvers, cancels and attaches asked it, and a Map's result resolved there lost an
 * attach made at the same moment on another thread, about once in 2,000 rounds.)
 *
 * Proxies. A proxy only joins two promises of one owner (PromiseOfT.cs, Adopt); two of no
 * loop are joined under both locks (TryMakeProxyShared), after checking that both are still
 * pending. A resolution or an attach that finds its promise made a proxy meanwhile follows
 * it, to a promise of no loop again: a resolution goes ahead on a proxy of no loop
 * (MayResolve) instead of stopping at "not pending", and so does an async method's
 * resumption (StopPropagatingCancelShared), which would otherwise undo the proxy's link.
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
 * Cancel() on a promise of no loop while another thread resolves it or what it waits on
 * (Promise.Cancellation.cs). The search reads each promise of no loop's state, way of being
 * canceled and link together, under its lock (ReadState), and rejects a leaf under the
 * leaf's lock (TryCancelLeafShared); a promise that changed meanwhile is looked at again.
 * The window that Lwt's single thread only opens while a Bind's callback is queued, between
 * p_1 resolving and the callback returning p_2, is open whenever the callback runs on
 * another thread: the cancel marks p_3 only if it still waits on p_1, under p_3's lock
 * (MarkCancelOnceWaitingShared), and the handover of p_2 reads the mark under the same lock
 * (TryMakeProxyShared, WaitOnShared). Either the mark comes first and the handover cancels
 * p_2, or the handover comes first and the search, finding p_3 changed, looks again and
 * reaches p_2. A promise of a loop that the search reaches from another thread is canceled
 * on its loop.
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
    /// Whether another thread may be changing this promise now, so that this thread changes
    /// it only under its lock: it belongs to no loop, or to a loop that is not running on this
    /// thread. The callers' owner checks keep a loop running on another thread from getting
    /// here (its promises are only changed there), so off the owner's thread this means a loop
    /// that has stopped, whose promises are anyone's: a resolution, a detach, a count down or
    /// a handover that a callback makes there meets another thread's attach, cancel or
    /// resolution under the lock, as on a promise of no loop. On its running loop's thread, the
    /// hot path, it costs the thread-static read that most callers make anyway.
    /// </summary>
    internal bool IsShared
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _owner == 0 || _owner != ResolutionLoop.Current.LoopId;
    }

    /// <summary><see cref="IsShared"/>, for a caller that already holds this thread's resolution loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsSharedFrom(ResolutionLoop here) => _owner == 0 || _owner != here.LoopId;

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
    /// Whether a resolution of this promise (underlying when the caller looked) is to go
    /// ahead: it is pending, or it is shared (<see cref="IsShared"/>) and another thread has
    /// made it a proxy since. The resolution of a shared promise follows the proxy under the lock
    /// (<see cref="RejectShared"/>); stopping at "not pending" would drop it.
    /// </summary>
    internal bool MayResolve
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var status = _status;
            return status == Status.Pending || status == Status.Proxy && IsShared;
        }
    }

    /// <summary>
    /// Counts down a combinator's pending inputs (Join, Both, All) and returns what is left:
    /// with Interlocked for a shared combinator (<see cref="IsShared"/>), whose inputs may
    /// resolve on several threads at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int CountDown(ref int remaining) => IsShared ? Interlocked.Decrement(ref remaining) : --remaining;

    /// <summary>Counts one more pending input of a combinator: the other half of <see cref="CountDown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void CountUp(ref int remaining)
    {
        if (IsShared) Interlocked.Increment(ref remaining);
        else remaining++;
    }

    /// <summary>
    /// Takes a race's inputs once (null when already taken): with Interlocked for a shared race
    /// (<see cref="IsShared"/>), which two inputs may decide at once on two threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected TInputs? TakeOnce<TInputs>(ref TInputs? inputs) where TInputs : class
    {
        if (IsShared) return Interlocked.Exchange(ref inputs, null);
        var taken = inputs;
        inputs = null;
        return taken;
    }

    /// <summary>
    /// <see cref="AddCallback(Promise, object)"/>, or <see cref="AddCallbackShared"/> when the
    /// caller's owner check (<see cref="CheckOwnerThread"/>) found the promise anyone's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddCallback(Promise p, object callback, bool anyones)
    {
        if (anyones) AddCallbackShared(p, callback);
        else AddCallback(p, callback);
    }

    /// <summary>
    /// Attaches <paramref name="callback"/> to <paramref name="p"/> under its lock: a promise
    /// of no loop, or of a loop that has stopped, which another thread may be resolving now.
    /// Attached by a running loop, the callback is bound to it (LoopBoundCallback.cs).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void AddCallbackShared(Promise p, object callback)
    {
        int loopId = ResolutionLoop.Current.LoopId;
        if (loopId != 0 && callback is not LoopBoundCallback) callback = new LoopBoundCallback(loopId, callback);
        AddCallbackSharedUnbound(p, callback);
    }

    /// <summary>
    /// <see cref="AddCallbackShared"/> without binding the callback to this thread's loop: for
    /// an async method's box, which says itself where it resumes (AsyncBox.TryAwaitPromise).
    /// </summary>
    internal static void AddCallbackSharedUnbound(Promise p, object callback)
    {
        while (!p.TryAddCallbackShared(callback))
        {
            // Resolved on another thread since the caller looked, or made a proxy: follow it,
            // to a promise of no loop again (a proxy only joins promises of one owner). The
            // lock just taken makes the other thread's writes visible.
            p = p.FollowProxyShared();
            if (p.IsResolvedNow)
            {
                p.RunCallbacks(callback, allowDeferring: true);
                return;
            }
        }
    }

    /// <summary>
    /// Attaches <paramref name="callback"/> to <paramref name="p"/>, a promise of
    /// <paramref name="loop"/>, which runs on another thread: on that loop, where p may have
    /// been resolved meanwhile (the callback then runs there at once); here if the loop has
    /// stopped since (its promises are then anyone's).
    /// </summary>
    internal static void AttachOnLoop(ILoopDispatcher loop, Promise p, object callback)
    {
        if (!loop.TryPost(() => AttachOrRun(p, callback, anyones: false))) AttachOrRun(p, callback, anyones: true);
    }

    /// <summary>
    /// Attaches <paramref name="callback"/>, which acts for a promise of loop
    /// <paramref name="boundTo"/> (0: of no loop), to pending <paramref name="p"/> (underlying),
    /// a promise of another loop that a callback returned (a Bind's, a Finally's): on p's loop
    /// while it runs on another thread, here while this thread runs it, and under p's lock
    /// once it has stopped (anyone's), the callback then bound to its own loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void AttachToOtherOwner(Promise p, object callback, int boundTo)
    {
        if (LoopRegistry.ForeignOwner(p._owner) is { } loop)
            AttachOnLoop(loop, p, boundTo != 0 ? new LoopBoundCallback(boundTo, callback) : callback);
        else if (p._owner == ResolutionLoop.Current.LoopId)
            AddCallback(p, callback);
        else
            AddCallbackShared(p, boundTo != 0 ? new LoopBoundCallback(boundTo, callback) : callback);
    }

    /// <summary>
    /// Attaches <paramref name="callback"/>, which acts for this dependent promise, to pending
    /// <paramref name="p"/> (underlying), which this promise's callback returned (a Bind's
    /// second promise, a forward's target): a plain add to a promise of the loop running on
    /// this thread; under p's lock for a promise of no loop; otherwise as
    /// <see cref="AttachToOtherOwner"/> says. The callback may run off this promise's loop
    /// thread: its loop has stopped, and p, of that loop too, is then anyone's. The caller
    /// passes the id of the loop running on this thread (<paramref name="here"/>, 0 off any loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void AttachReturned(Promise p, object callback, int here)
    {
        int owner = p._owner;
        if (owner == 0 || owner == here) AddCallback(p, callback);
        else AttachToOtherOwner(p, callback, _owner);
    }

    /// <summary>On p's loop (a plain add), or anywhere once that loop has stopped (under p's lock).</summary>
    private static void AttachOrRun(Promise p, object callback, bool anyones)
    {
        var u = p.Underlying();
        if (u.IsResolvedNow) u.RunCallbacks(callback, allowDeferring: true);
        else AddCallback(u, callback, anyones);
    }

    /// <summary>
    /// RejectCore for a promise of no loop: under the promise's monitor, so that an attach,
    /// a cancel or another resolution on another thread (<see cref="TryAddCallbackShared"/>,
    /// <see cref="TryCancelLeafShared"/>, <see cref="Promise{T}.FulfillShared"/>) either
    /// comes first or finds it rejected. False when another thread resolved it first. A
    /// promise another thread made a proxy meanwhile is followed: the rejection is for the
    /// promise it now stands for.
    /// </summary>
    internal bool RejectShared(Exception exception, bool allowDeferring, bool later = false)
    {
        object? callbacks = null;
        bool rejected = false;
        lock (this)
        {
            if (_status == Status.Pending)
            {
                _link = exception;
                callbacks = _callbacks;
                _callbacks = null;
                PublishStatus(Status.Rejected);
                rejected = true;
            }
        }
        if (!rejected) return _status == Status.Proxy && FollowProxyShared().RejectShared(exception, allowDeferring, later);
        if (callbacks is not null)
        {
            if (later) RunCallbacksLater(callbacks, ResolutionLoop.Current);
            else RunCallbacks(callbacks, allowDeferring);
        }
        return true;
    }

    /// <summary>
    /// The promise this proxy of no loop (or of a stopped loop) now stands for: of the same
    /// owner, since a proxy only joins promises of one owner (Adopt), so what resolves this one
    /// may resolve it, and an attach may take its lock.
    /// </summary>
    private protected Promise FollowProxyShared()
    {
        var target = Underlying();
        Debug.Assert(target._owner == _owner, "A proxy joined promises of two owners.");
        return target;
    }

    /// <summary>
    /// Rejects this cancelable leaf of no loop as canceled and takes its callbacks
    /// (<see cref="RejectAsCanceled"/>, which says what a null <paramref name="exception"/>
    /// means), under its monitor: a resolution or an attach on another thread either comes first or
    /// finds it canceled. False, with nothing done, when it is no longer a pending cancelable
    /// leaf (another thread resolved it or made it a proxy meanwhile): the caller then looks
    /// at it again.
    /// </summary>
    private bool TryCancelLeafShared(CanceledException? exception, out object? callbacks)
    {
        lock (this)
        {
            if (_status != Status.Pending || _cancelMode != CancelMode.CancelThis)
            {
                callbacks = null;
                return false;
            }
            callbacks = RejectAsCanceled(exception);
            return true;
        }
    }

    /// <summary>
    /// MoveIntoProxy for two promises of no loop, under the monitor of each (inner, then
    /// outer: the only order two locks are taken in). An attach to either on another thread
    /// meanwhile is moved with the others or, once inner is a proxy, follows it; a cancel on
    /// another thread either marked outer before (<paramref name="cancelRequested"/>) or
    /// finds inner's way of being canceled on outer after. False, with nothing done, when
    /// either is no longer pending (another thread resolved, canceled or proxied it since the
    /// caller looked): the caller looks again.
    /// </summary>
    internal static bool TryMakeProxyShared(Promise inner, Promise outer, out bool cancelRequested)
    {
        lock (inner)
        {
            lock (outer)
            {
                cancelRequested = outer._cancelMode == CancelMode.CancelOnceWaiting;
                if (inner._status != Status.Pending || outer._status != Status.Pending) return false;
                MoveIntoProxy(inner, outer);
                return true;
            }
        }
    }

    /// <summary>
    /// Takes the lock of the promise of no loop that this one now is (following proxies made
    /// on other threads) and returns it, pending; null, holding no lock, once it is resolved.
    /// The caller releases the lock.
    /// </summary>
    private Promise? EnterPendingShared()
    {
        var p = this;
        while (true)
        {
            Monitor.Enter(p);
            var status = p._status;
            if (status == Status.Pending) return p;
            Monitor.Exit(p);
            if (status != Status.Proxy) return null;
            p = p.FollowProxyShared();
        }
    }

    /// <summary>
    /// WaitOn for a promise of no loop: under its lock, so that a cancel on another thread
    /// either marked it before (CancelOnceWaiting, returned) or finds <paramref name="dependency"/>
    /// after. Follows a proxy made meanwhile; false when it is no longer pending.
    /// </summary>
    internal bool WaitOnShared(Promise dependency)
    {
        var p = EnterPendingShared();
        if (p is null) return false;
        try
        {
            bool cancelRequested = p._cancelMode == CancelMode.CancelOnceWaiting;
            p._cancelMode = CancelMode.PropagateToOne;
            p._link = dependency;
            return cancelRequested;
        }
        finally
        {
            Monitor.Exit(p);
        }
    }

    /// <summary>
    /// For an async method's promise of no loop whose await has resumed: it no longer
    /// propagates a cancel to what it awaited. Under its lock, so that another thread making
    /// it a proxy meanwhile (MoveIntoProxy writes the link) is not undone; a proxy made
    /// before is followed, as on a loop.
    /// </summary>
    internal void StopPropagatingCancelShared()
    {
        var p = EnterPendingShared();
        if (p is null) return;
        try
        {
            if (p._cancelMode != CancelMode.PropagateToOne) return;
            p._cancelMode = CancelMode.NotCancelable;
            p._link = null;
        }
        finally
        {
            Monitor.Exit(p);
        }
    }

    /// <summary>
    /// MarkCancelOnceWaiting for a promise of no loop: only if, under its monitor, it still
    /// waits on <paramref name="seen"/>, the resolved promise the search found. False when
    /// another thread has handed it the next promise (or resolved it) since: the search then
    /// looks at it again, and finds that promise.
    /// </summary>
    internal bool MarkCancelOnceWaitingShared(Promise seen)
    {
        lock (this)
        {
            if (_status != Status.Pending || _cancelMode != CancelMode.PropagateToOne || !ReferenceEquals(_link, seen)) return false;
            _cancelMode = CancelMode.CancelOnceWaiting;
            return true;
        }
    }

    /// <summary>
    /// The status, the way of being canceled and the link of this promise, read together: for
    /// a shared promise (<see cref="IsShared"/>) under its monitor, so that a cancel's search
    /// on one thread, while another thread hands the promise the next one it waits on
    /// (MoveIntoProxy, <see cref="WaitOnShared"/>), sees both before or both after. A running
    /// loop's promise changes only on its own thread: read as it is.
    /// </summary>
    internal (Status Status, CancelMode Mode, object? Link) ReadState()
    {
        if (!IsShared) return (_status, _cancelMode, _link);
        lock (this) return (_status, _cancelMode, _link);
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
    internal bool FulfillShared(T value, bool allowDeferring, bool later = false)
    {
        object? callbacks = null;
        bool fulfilled = false;
        lock (this)
        {
            if (_status == Status.Pending)
            {
                _value = value;
                _link = null;
                callbacks = _callbacks;
                _callbacks = null;
                PublishStatus(Status.Fulfilled);
                fulfilled = true;
            }
        }
        if (!fulfilled) return _status == Status.Proxy && Unsafe.As<Promise<T>>(FollowProxyShared()).FulfillShared(value, allowDeferring, later);
        if (callbacks is not null)
        {
            if (later) RunCallbacksLater(callbacks, ResolutionLoop.Current);
            else RunCallbacks(callbacks, allowDeferring);
        }
        return true;
    }
}
