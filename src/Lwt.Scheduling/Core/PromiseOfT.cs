using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// A promise of a value of type <typeparamref name="T"/>: pending, then fulfilled with a
/// value or rejected with an exception, at most once.
/// <para>Lwt: <c>'a Lwt.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
[AsyncMethodBuilder(typeof(PromiseMethodBuilder<>))]
public partial class Promise<T> : Promise
{
    internal T _value = default!;

    /// <summary>A pending promise.</summary>
    internal Promise(CancelMode cancelMode) : base(cancelMode)
    {
    }

    /// <summary>A pending promise, for a caller that already holds this thread's resolution loop.</summary>
    internal Promise(CancelMode cancelMode, ResolutionLoop loop) : base(cancelMode, loop)
    {
    }

    /// <summary>A pending promise that cancels by propagating to <paramref name="cancelTarget"/>.</summary>
    internal Promise(CancelMode cancelMode, object cancelTarget) : base(cancelMode, cancelTarget)
    {
    }

    /// <summary>A fulfilled promise.</summary>
    internal Promise(T value) : base(Status.Fulfilled, null)
    {
        _value = value;
    }

    /// <summary>A rejected promise.</summary>
    internal Promise(Exception exception) : base(Status.Rejected, exception)
    {
    }

    /// <summary>A promise already rejected with <paramref name="exception"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Promise<T> FromException(Exception exception) => new(exception);

    /// <summary>
    /// The value of a fulfilled promise.
    /// <para>Lwt: <c>Lwt.state p = Return v</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">The promise is pending or rejected.</exception>
    public T Value
    {
        get
        {
            var p = UnderlyingT();
            if (p._status != Status.Fulfilled) ThrowHelper.ThrowNotFulfilled(p);
            return p._value;
        }
    }

    private protected override object? ValueForDisplay => _value;

    /// <summary>The underlying promise, typed (a proxy only ever points to a promise of the same T).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Promise<T> UnderlyingT() => _status != Status.Proxy ? this : Unsafe.As<Promise<T>>(Underlying());

    /// <summary>
    /// Fulfils this promise, which must be underlying and pending, and runs its callbacks.
    /// A caller that already holds this thread's resolution loop passes it as
    /// <paramref name="loop"/>; otherwise the thread-static is read, once: it tells whether
    /// the promise is shared (<see cref="Promise.IsShared"/>), and runs the callbacks.
    /// </summary>
    internal void FulfillCore(T value, bool allowDeferring, ResolutionLoop? loop = null)
    {
        loop ??= ResolutionLoop.Current;
        if (IsSharedFrom(loop))
        {
            // Of no loop, or of a stopped loop off its thread: another thread may attach to it,
            // cancel it or resolve it right now (Promise.Shared.cs).
            FulfillShared(value, allowDeferring);
            return;
        }
        Debug.Assert(_status == Status.Pending);
        _value = value;
        _link = null;
        _status = Status.Fulfilled;
        object? callbacks = _callbacks;
        _callbacks = null;
        if (callbacks is not null) RunCallbacks(callbacks, allowDeferring, loop);
    }

    /// <summary>
    /// Fulfils this promise (underlying, pending) for a resolver's Resolve (Lwt's
    /// wakeup_later): as <see cref="FulfillCore"/>, but the callbacks wait for the running
    /// callbacks to finish when there are any (<see cref="Promise.RunCallbacksLater"/>).
    /// </summary>
    internal void FulfillLater(T value, ResolutionLoop? loop = null)
    {
        loop ??= ResolutionLoop.Current;
        if (IsSharedFrom(loop))
        {
            FulfillShared(value, allowDeferring: true, later: true);
            return;
        }
        Debug.Assert(_status == Status.Pending);
        _value = value;
        _link = null;
        _status = Status.Fulfilled;
        object? callbacks = _callbacks;
        _callbacks = null;
        if (callbacks is not null) RunCallbacksLater(callbacks, loop);
    }

    internal override void ResolveLike(Promise source, bool allowDeferring)
    {
        if (source._status == Status.Rejected)
        {
            RejectCore(source.Rejection, allowDeferring);
        }
        else if (source is Promise<T> typed)
        {
            FulfillCore(typed._value, allowDeferring);
        }
        else
        {
            // Only the untyped combinators forward across types, and they produce Promise<Unit>.
            Debug.Assert(typeof(T) == typeof(Unit));
            FulfillCore(default!, allowDeferring);
        }
    }

    /// <summary>
    /// Completes this dependent promise with the promise its callback returned (Lwt's
    /// "p_3 is made into a reference to p_2"): resolve at once when <paramref name="result"/>
    /// is resolved, otherwise make it a proxy for this one (or follow it, when a proxy is not
    /// possible: see the comment after this method).
    /// </summary>
    internal void Adopt(Promise<T>? result)
    {
        var outer = UnderlyingT();
        // Already resolved: only possible when it was canceled while the callback ran.
        if (!outer.MayResolve) return;
        if (result is null)
        {
            outer.RejectCore(ThrowHelper.NullPromise(), allowDeferring: true);
            return;
        }
        var inner = result.UnderlyingT();
        if (ReferenceEquals(inner, outer)) return;
        switch (inner._status)
        {
            case Status.Fulfilled:
                outer.FulfillCore(inner._value, allowDeferring: true);
                break;
            case Status.Rejected:
                outer.RejectCore(inner.Rejection, allowDeferring: true);
                break;
            default:
                // Of two owners, or a leaf that releases a resource when canceled (a read, a
                // sleep: Promise.ReleasesOnCancel): followed, not proxied (below).
                if (inner._owner != outer._owner || inner._cancelMode == CancelMode.CancelThis && inner.ReleasesOnCancel)
                {
                    outer.WaitAndForward(inner);
                    break;
                }
                if (inner.IsShared)
                {
                    AdoptShared(result);
                    break;
                }
                bool cancelRequested = outer._cancelMode == CancelMode.CancelOnceWaiting;
                MoveIntoProxy(inner, outer);
                if (cancelRequested) outer.Cancel();
                break;
        }
    }

    /*
     * A proxy only ever joins two promises of one owner: two of the same loop, or two of no
     * loop. Then whoever may touch one may touch the other, and a resolution that finds its
     * promise made a proxy can follow it on the same thread. A callback that returns a
     * promise of another owner (a loop's callback returning a promise of no loop, or the
     * reverse) has it followed instead, by a callback (WaitAndForward), as when the types
     * differ: the loop's own promise is then only resolved by a callback that runs on the
     * loop (LoopBoundCallback.cs). A leaf that releases a resource when canceled is
     * followed too, whatever its owner (Promise.ReleasesOnCancel): the cost is one node, on
     * the one step where a callback hands back such a leaf itself.
     */

    /// <summary>
    /// Adopt when both promises belong to no loop: another thread may resolve, cancel or
    /// proxy either meanwhile, so the proxy is made under their locks, and when either has
    /// changed first they are looked at again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AdoptShared(Promise<T> result)
    {
        while (true)
        {
            var outer = UnderlyingT();
            var inner = result.UnderlyingT();
            if (outer._status != Status.Pending || ReferenceEquals(inner, outer)) return;
            if (inner.IsResolvedNow)
            {
                outer.ResolveLike(inner, allowDeferring: true);
                return;
            }
            if (TryMakeProxyShared(inner, outer, out bool cancelRequested))
            {
                if (cancelRequested) outer.Cancel();
                return;
            }
        }
    }

    /// <summary>
    /// Cancels the next promise once there is one (see <see cref="CancelMode.CancelOnceWaiting"/>):
    /// for a search that found this promise waiting on <paramref name="seen"/>, resolved.
    /// False when, of no loop, it no longer waits on <paramref name="seen"/>: the search
    /// looks at it again.
    /// </summary>
    internal bool MarkCancelOnceWaiting(Promise seen)
    {
        var outer = Underlying();
        if (outer.IsShared) return outer.MarkCancelOnceWaitingShared(seen);
        if (outer._status == Status.Pending) outer._cancelMode = CancelMode.CancelOnceWaiting;
        return true;
    }

    /// <summary>
    /// Rejects this dependent promise (if still pending) because what it waited on failed.
    /// </summary>
    internal void RejectFromDependency(Exception exception)
    {
        var outer = UnderlyingT();
        if (outer.MayResolve) outer.RejectCore(exception, allowDeferring: true);
    }

    /// <summary>Fulfils this dependent promise (if still pending).</summary>
    internal void FulfillFromDependency(T value)
    {
        var outer = UnderlyingT();
        if (outer.MayResolve) outer.FulfillCore(value, allowDeferring: true);
    }

    /// <summary>
    /// Whether this promise still waits on <paramref name="seen"/>, or is resolved: false
    /// when, of no loop, another thread has handed it the next promise since a cancel's
    /// search looked (the search then looks again).
    /// </summary>
    internal bool StillWaitsOn(Promise seen)
    {
        var p = Underlying();
        var (status, _, link) = p.ReadState();
        return status is Status.Fulfilled or Status.Rejected || status == Status.Pending && ReferenceEquals(link, seen);
    }

    /// <summary>
    /// Sets what a cancel of this (pending) dependent promise propagates to, and returns
    /// whether a cancel came while it had nothing to propagate to (CancelOnceWaiting): the
    /// caller then cancels it, once attached to <paramref name="dependency"/>.
    /// </summary>
    internal bool WaitOn(Promise dependency) => WaitOn(dependency, ResolutionLoop.Current.LoopId);

    /// <summary>
    /// <see cref="WaitOn(Promise)"/> for a caller that has read the id of the loop running on
    /// this thread (<paramref name="here"/>, 0 off any loop), which tells whether this promise
    /// is shared (<see cref="Promise.IsShared"/>).
    /// </summary>
    internal bool WaitOn(Promise dependency, int here)
    {
        var outer = Underlying();
        if (outer._owner == 0 || outer._owner != here) return outer.WaitOnShared(dependency);
        if (outer._status != Status.Pending) return false;
        bool cancelRequested = outer._cancelMode == CancelMode.CancelOnceWaiting;
        outer._cancelMode = CancelMode.PropagateToOne;
        outer._link = dependency;
        return cancelRequested;
    }
}

public partial class Promise<T>
{
    /// <summary>
    /// Like <see cref="Adopt"/>, for the untyped combinators whose callback returns any
    /// promise: a <see cref="Promise{T}"/> is adopted (proxied); another type is forwarded.
    /// </summary>
    internal void AdoptAny(Promise? result)
    {
        if (result is null || result is Promise<T>)
        {
            Adopt(Unsafe.As<Promise<T>?>(result));
            return;
        }
        var outer = UnderlyingT();
        if (!outer.MayResolve) return;
        var inner = result.Underlying();
        if (inner.IsResolvedNow)
        {
            outer.ResolveLike(inner, allowDeferring: true);
            return;
        }
        outer.WaitAndForward(inner);
    }

    /// <summary>
    /// Makes this promise (underlying, pending) follow pending <paramref name="inner"/>, by a
    /// callback, for a callback's result that is not proxied: of another type, or of another
    /// owner. A promise of a loop running on another thread is attached to on that loop.
    /// </summary>
    private void WaitAndForward(Promise inner)
    {
        int here = ResolutionLoop.Current.LoopId;
        bool cancelRequested = WaitOn(inner, here);
        var forward = new ForwardCallback(this);
        AttachReturned(inner, forward, here);
        if (cancelRequested) Cancel();
    }
}

/// <summary>Resolves a promise of another type the way the promise it is attached to resolves.</summary>
internal sealed class ForwardCallback(Promise target) : DetachableCallback
{
    internal override void InvokeAttached(Promise source)
    {
        var t = target.Underlying();
        if (t.MayResolve) t.ResolveLike(source, allowDeferring: true);
    }
}
