using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Cancellation: Lwt's backwards search.
 *
 * Cancel(p) does not reject p. It looks at what p is waiting on, following each pending
 * promise's CancelMode:
 *   NotCancelable       (Create, NoCancel)                stop here;
 *   CancelThis          (CreateCancelable, Protected, ...)  reject with CanceledException;
 *   PropagateToOne      (Bind, Map, Catch, Finally, TryBind, await)  continue to that one;
 *   PropagateToSeveral  (Join, Both, All, Pick, Choose, ...)   continue to each of them.
 * As in lwt.ml the search first rejects every leaf it finds (so that no callback can see a
 * half-done cancellation), then runs the leaves' callbacks, the last found first (as
 * lwt.ml, which accumulates them in a list by consing); ordinary forward propagation
 * through Bind, Join, ... then rejects the promises that depend on them, p included.
 *
 * The leaves' own callbacks run at once, not deferred past Lwt's nesting limit (lwt.ml's
 * cancel runs them on the current stack too): a canceled leaf is already rejected, so a
 * callback attached to it after Cancel() returns runs at once, and had the leaf's on_cancel
 * callbacks been queued instead, that later callback would run before them, against
 * "on_cancel callbacks run before any other callbacks that are triggered by rejection".
 * What those callbacks resolve in turn is deferred as usual. Only past the trampoline's
 * depth (Immediate.CanNest), where lwt.ml would risk the stack overflow its comment admits,
 * are the leaves' callbacks queued like any others: a chain of on_cancel callbacks that
 * each cancel the next stays within the stack.
 *
 * The search uses an explicit stack: a chain of ten thousand awaiting async methods must
 * not overflow the real one.
 */

public partial class Promise
{
    /// <summary>
    /// Attempts to cancel this pending promise: searches backwards through what it waits on
    /// and rejects the cancelable promises it finds with <see cref="CanceledException"/>. Does
    /// nothing when the promise is resolved or depends only on non-cancelable promises. From
    /// a thread other than the one running the promise's event loop, while that loop runs, the
    /// cancellation is posted to the loop and done there, later (the promise may still be
    /// pending when this returns); once the loop has stopped, it is done here.
    /// <para>Lwt: <c>Lwt.cancel</c></para>
    /// </summary>
    public void Cancel()
    {
        var p = Underlying();
        if (p._status != Status.Pending)
        {
            if (p.MayResolve) Cancel(); // of no loop, made a proxy on another thread just now: follow it
            return;
        }
        // Off the loop that owns it (the thread's loop read once): CancelOffItsLoop.
        if (p._owner == 0 || p._owner != ResolutionLoop.Current.LoopId)
        {
            CancelOffItsLoop(p);
            return;
        }
        // The common case (a task canceled directly, as Pick does to its losers): no search.
        if (p._cancelMode == CancelMode.CancelThis)
        {
            var callbacks = p.RejectAsCanceled(null);
            p.OnCanceledLeaf();
            if (callbacks is not null) p.RunCallbacks(callbacks, allowDeferring: IsVeryDeep());
            return;
        }
        if (p._cancelMode != CancelMode.NotCancelable) CancelSearch(p);
    }

    /// <summary>
    /// Cancel() off the promise's loop: posted to the owner's loop while it runs; otherwise (no
    /// loop, or one that has stopped: anyone's promise, which another thread may be resolving
    /// right now) a leaf is rejected under its lock, and a search takes each leaf's (CancelSearch).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CancelOffItsLoop(Promise p)
    {
        if (LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(p.Cancel)) return;
        if (p._cancelMode == CancelMode.CancelThis) CancelLeafShared(p);
        else if (p._cancelMode != CancelMode.NotCancelable) CancelSearch(p);
    }

    /// <summary>Cancel() of a cancelable leaf of no loop: rejected under its lock (Promise.Shared.cs).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CancelLeafShared(Promise p)
    {
        if (!p.TryCancelLeafShared(null, out var callbacks))
        {
            p.Cancel(); // resolved or made a proxy on another thread meanwhile: look again
            return;
        }
        p.OnCanceledLeaf();
        if (callbacks is not null) p.RunCallbacks(callbacks, allowDeferring: IsVeryDeep());
    }

    /// <summary>
    /// Rejects this pending cancelable leaf as canceled and takes its callbacks: the one
    /// step of every cancel of a leaf (Cancel() of the leaf alone, the search, and both of
    /// those under the lock of a leaf of no loop, TryCancelLeafShared). A search passes the
    /// exception it shares among its leaves; Cancel() of the leaf alone passes null, and the
    /// leaf's own exception is made now only if something is attached: nothing attached,
    /// nobody may ever look at it (a raced loser is usually dropped at once), so it is made
    /// on first look (s_unobservedCancel, below). The status is written last (PublishStatus).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private object? RejectAsCanceled(CanceledException? exception)
    {
        var callbacks = _callbacks;
        _callbacks = null;
        _link = exception ?? (callbacks is null ? s_unobservedCancel : new CanceledException());
        PublishStatus(Status.Rejected);
        return callbacks;
    }

    /*
     * The unobserved-cancel marker. Lwt's Canceled is a constant and costs nothing; a .NET
     * exception object costs about 136 bytes and its constructor, for every loser of every
     * Pick. So a promise canceled with no callback attached stores this shared marker, and
     * `Rejection` replaces it with the promise's own CanceledException the first time anyone
     * asks (the Exception property, await, Catch, Bind on it, ...): each promise still has
     * exactly one exception object, whoever observes it and however often. The marker is a
     * CanceledException, so `_link is OperationCanceledException` (IsCanceled, the cancel-callback
     * pass) needs no special case. The swap uses a compare-exchange: a rejected promise may be
     * read from any thread, and two first looks must agree on one object.
     */
    private static readonly CanceledException s_unobservedCancel = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Exception MaterializeCancel()
    {
        var fresh = new CanceledException();
        object? seen = Interlocked.CompareExchange(ref _link, fresh, s_unobservedCancel);
        return ReferenceEquals(seen, s_unobservedCancel) ? fresh : Unsafe.As<Exception>(seen!);
    }

    /// <summary>
    /// Called by a cancel that reached this pending promise while the promise it waits on is
    /// already resolved and its callback has not yet produced the next one. The results of
    /// bind, catch, try_bind and finalize, which wait next on the promise their callback
    /// returns, switch to <see cref="CancelMode.CancelOnceWaiting"/> and cancel that promise
    /// as soon as they have it (Adopt, AdoptAny, FinallyPromise); nothing else has a next
    /// promise to cancel.
    /// </summary>
    /// <returns>
    /// False when this promise, of no loop, no longer waits on <paramref name="seen"/> (the
    /// resolved promise the search found): another thread handed it the next promise
    /// meanwhile, and the search looks at it again.
    /// </returns>
    internal virtual bool RequestCancelOnceWaiting(Promise seen) => true;

    /// <summary>
    /// Called when cancellation has just rejected this cancelable leaf, before any callback
    /// runs: a leaf that owns a resource (a timer, an fd registration) releases it at once,
    /// so that a million canceled sleeps leave nothing behind.
    /// </summary>
    internal virtual void OnCanceledLeaf()
    {
    }

    /// <summary>
    /// True for a leaf whose <see cref="OnCanceledLeaf"/> releases something. Such a promise
    /// is never made a proxy (<see cref="Promise{T}.Adopt"/> follows it instead): a cancel
    /// reaches the proxy's target and runs the target's OnCanceledLeaf, not the proxy's, so
    /// a read or a sleep a Bind callback returned would stay registered once the Bind's
    /// result was canceled (a read then consumed data for nobody). Lwt's proxies carry such
    /// a release along, as the on_cancel callback it is there.
    /// </summary>
    internal virtual bool ReleasesOnCancel => false;

    private static void CancelSearch(Promise start)
    {
        CanceledException? exception = null;
        var leaves = new List<(Promise Promise, object? Callbacks)>();
        // Each promise to look at, with the bind-like promise that waits on it, if any.
        var pending = new Stack<(Promise Promise, Promise? Waiter)>();
        int here = ResolutionLoop.Current.LoopId;
        pending.Push((start, null));
        while (pending.Count != 0)
        {
            var (next, waiter) = pending.Pop();
            var p = next.Underlying();
            var (status, mode, link) = p.ReadState();
            if (status != Status.Pending)
            {
                // Lwt's invariant "if p_3 is pending, either p_1 or p_2 is pending" does not
                // hold between p_1 resolving and the callback returning p_2 (the callback is
                // queued, or running now, on this thread or, for promises of no loop, another):
                // nothing is there to cancel yet, so p_3 remembers it. Not when this very search
                // canceled p_1 (p_3 reached a second time, through a Join of both, say): p_1's
                // callbacks, about to run, propagate it forwards, and the p_2 a Catch handler
                // returns then is not to be canceled.
                if (status != Status.Proxy)
                {
                    if (waiter is not null && (exception is null || !ReferenceEquals(link, exception))
                        && !waiter.RequestCancelOnceWaiting(next))
                        pending.Push((waiter, null)); // handed p_2 on another thread meanwhile: look again
                }
                else
                {
                    pending.Push((next, waiter)); // made a proxy on another thread just now: follow it
                }
                continue;
            }
            // Reached from a promise of no loop: a promise of a loop that runs on another
            // thread is canceled there, by the same search from it.
            if (p._owner != here && p._owner != 0 && LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(p.Cancel))
                continue;
            switch (mode)
            {
                case CancelMode.CancelThis:
                    exception ??= new CanceledException();
                    object? callbacks;
                    if (p._owner == 0 || p._owner != here)
                    {
                        if (!p.TryCancelLeafShared(exception, out callbacks))
                        {
                            pending.Push((next, waiter)); // resolved or proxied on another thread meanwhile: look again
                            break;
                        }
                    }
                    else callbacks = p.RejectAsCanceled(exception);
                    p.OnCanceledLeaf();
                    leaves.Add((p, callbacks));
                    break;
                case CancelMode.PropagateToOne:
                    if (link is Promise target) pending.Push((target, p));
                    break;
                case CancelMode.PropagateToSeveral:
                    if (link is Promise[] targets)
                        for (int i = targets.Length - 1; i >= 0; i--) pending.Push((targets[i], null));
                    break;
            }
        }
        // Last found, first run: lwt.ml's propagate_cancel conses each leaf's callbacks onto
        // the list it then runs, so the leaves' callbacks run in the reverse of the search order.
        bool veryDeep = IsVeryDeep();
        for (int i = leaves.Count - 1; i >= 0; i--)
        {
            var (p, callbacks) = leaves[i];
            if (callbacks is not null) p.RunCallbacks(callbacks, allowDeferring: veryDeep);
        }
    }

    /// <summary>Whether the stack is too deep even for a cancel's leaf callbacks (file comment).</summary>
    private static bool IsVeryDeep() => !Immediate.CanNest(ResolutionLoop.Current.Depth);

    /// <summary>
    /// A cancelable promise with the same state as this one, now and later; canceling it
    /// rejects it alone: the backwards search stops there and does not reach this promise.
    /// Returns this promise itself when it is already resolved.
    /// <para>Lwt: <c>Lwt.protected</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// This promise is pending and belongs to an event loop running on another thread.
    /// </exception>
    public Promise Protected()
    {
        var p = Underlying();
        if (p.IsResolvedNow) return this;
        bool anyones = p.CheckOwnerThread();
        var result = p.NewForwarder(CancelMode.CancelThis);
        var forward = new ForwardCallback(result);
        CallbackStore.Add(result, new DetachOnCancel(p, forward));
        AddCallback(p, forward, anyones);
        return result;
    }

    /// <summary>
    /// A non-cancelable promise with the same state as this one: <see cref="Cancel"/> on it
    /// does nothing (it can still be canceled when this promise is).
    /// Returns this promise itself when it is already resolved.
    /// <para>Lwt: <c>Lwt.no_cancel</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// This promise is pending and belongs to an event loop running on another thread.
    /// </exception>
    public Promise NoCancel()
    {
        var p = Underlying();
        if (p.IsResolvedNow) return this;
        bool anyones = p.CheckOwnerThread();
        var result = p.NewForwarder(CancelMode.NotCancelable);
        AddCallback(p, new ForwardCallback(result), anyones);
        return result;
    }

    /// <summary>
    /// A cancelable promise with the same state as this one; canceling it rejects it at once
    /// and also cancels this promise.
    /// Returns this promise itself when it is already resolved.
    /// <para>Lwt: <c>Lwt.wrap_in_cancelable</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// This promise is pending and belongs to an event loop running on another thread.
    /// </exception>
    public Promise WrapInCancelable()
    {
        var p = Underlying();
        if (p.IsResolvedNow) return this;
        bool anyones = p.CheckOwnerThread();
        var result = p.NewForwarder(CancelMode.CancelThis);
        CallbackStore.Add(result, new CancelOnCancel(p));
        AddCallback(p, new ForwardCallback(result), anyones);
        return result;
    }
}

/// <summary>When the protected promise is canceled, detaches it from the promise it protects.</summary>
internal sealed class DetachOnCancel(Promise source, DetachableCallback forward) : CancelCallback
{
    private protected override void OnCanceled() => CallbackStore.Detach(source, forward);
}

/// <summary>When the wrapper is canceled, cancels the wrapped promise too.</summary>
internal sealed class CancelOnCancel(Promise wrapped) : CancelCallback
{
    private protected override void OnCanceled() => wrapped.Cancel();
}
