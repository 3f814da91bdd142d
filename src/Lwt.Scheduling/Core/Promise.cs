using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Promises: the overview.
 *
 * A promise is pending, then resolved at most once: fulfilled with a value or rejected
 * with an exception. After that it never changes. (Invariant 1 of DESIGN.md; kept by
 * every resolving method checking `_status == Pending` on the *underlying* promise.)
 *
 * Proxies. When a Bind callback returns a promise p2 while the Bind's own result p3 is
 * pending, Lwt makes the two into one promise. Following lwt.ml, it is p2 (the promise
 * the callback returned) that becomes a *proxy* pointing to p3 (the outer promise), and
 * p2's callbacks move onto p3. That direction is what makes a loop that recurses through
 * Bind run in constant memory: each iteration's fresh promise is folded into the one
 * outer promise the caller holds, and then nothing refers to it. Every operation first
 * follows the proxies to the underlying promise (`Underlying`), shortening the path as
 * it goes. A proxy only ever points to a promise of the same `T`, so the typed value is
 * always where a `Promise<T>` expects it; where the static types differ (the untyped
 * `Bind(Func<Promise>)` handed a `Promise<int>`), the result is forwarded by a callback
 * instead.
 *
 * Callbacks. A pending promise keeps the callbacks to run when it resolves (see
 * Callback.cs and CallbackStore.cs). A dependent promise (Bind's p3, an async method's
 * box, a Join) is its own callback: attaching costs one object.
 *
 * Resolution runs callbacks at once, nested on the stack, up to a fixed depth; past it,
 * resolutions that allow deferring are queued and run by the outermost frame
 * (ResolutionLoop.cs). `Resolver.Resolve` (wakeup_later) allows deferring,
 * `Resolver.ResolveNow` (wakeup) does not.
 *
 * Cancellation (Promise.Cancellation.cs) searches backwards from the canceled promise
 * through what it waits on and rejects the cancelable leaves; forward propagation does
 * the rest.
 *
 * Threads. A pending promise remembers the event loop it was created on (`_owner`); it
 * is only touched on that loop's thread, without locks, and resolvers and awaiters used
 * from another thread marshal to that loop (LoopRegistry.cs). A promise made off any loop
 * belongs to none and may be used from several threads at once, like a
 * TaskCompletionSource: it is resolved, attached to, canceled and proxied under its own
 * lock (Promise.Shared.cs). A proxy only ever joins two promises of the same owner.
 *
 * Representation (22 bytes of fields: two references, `_owner`, and the status and cancel
 * mode as one byte each). The runtime packs a derived class's fields right after its base
 * class's, so a Promise<Unit> or Promise<bool> is a 40-byte object, and a Promise<int> or
 * Promise<object> 48 bytes. Keep it that way: two more bytes here make every unit promise
 * 48 bytes, and every Create() 8 bytes dearer (AllocationTests measures it).
 *   _status     Pending | Fulfilled | Rejected | Proxy
 *   _cancelMode What Cancel() does while pending (PromiseInternals.cs).
 *   _owner      The event loop the promise was created on (0: none); see LoopRegistry.cs.
 *   _callbacks  Pending: the callback storage.                 Otherwise null.
 *   _link       Pending: what cancellation propagates to.      Proxy: the target.
 *               Rejected: the exception (read it through `Rejection`: see
 *               Promise.Cancellation.cs for the unobserved-cancel marker).   Fulfilled: null.
 *   _value      (in Promise<T>) Fulfilled: the value.
 *
 * `_status` is volatile, as the runtime's Task.m_stateFlags is: every read acquires and
 * every write releases. A resolution writes what the new status announces first (the value,
 * the exception, a proxy's target) and the status last, so a thread that reads the status
 * without a lock and sees it resolved, or a proxy, then reads the rest as written: a loop's
 * promise read from another thread (IsRejected, then Exception), a promise of no loop awaited
 * off any loop. x64 keeps stores and loads in order anyway, so this costs no instruction
 * there; it only stops the JIT from folding or merging status reads. ARM64 does reorder
 * them, and would otherwise let such a reader see Rejected with the cancel target still in
 * `_link`, or Fulfilled before the value.
 */

/// <summary>
/// A promise whose value is ignored: Lwt's <c>unit Lwt.t</c> seen as "any promise". Every
/// promise is a <see cref="Promise{T}"/>; the untyped operations produce <see cref="Promise{T}"/>
/// of <see cref="Unit"/>. An <c>async Promise</c> method returns one.
/// <para>Lwt: <c>'a Lwt.t</c></para>
/// </summary>
[AsyncMethodBuilder(typeof(PromiseMethodBuilder))]
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public partial class Promise
{
    internal object? _callbacks;
    internal object? _link;
    internal volatile Status _status;
    internal CancelMode _cancelMode;
    internal int _owner;

    /// <summary>Creates a pending promise owned by the current thread's event loop, if any.</summary>
    private protected Promise(CancelMode cancelMode)
    {
        _cancelMode = cancelMode;
        _owner = ResolutionLoop.Current.LoopId;
    }

    /// <summary>Creates a pending promise owned by <paramref name="loop"/>'s event loop, for a caller that already holds this thread's resolution loop.</summary>
    private protected Promise(CancelMode cancelMode, ResolutionLoop loop)
    {
        _cancelMode = cancelMode;
        _owner = loop.LoopId;
    }

    /// <summary>Creates a pending promise that cancels by propagating to <paramref name="cancelTarget"/>.</summary>
    private protected Promise(CancelMode cancelMode, object cancelTarget) : this(cancelMode)
    {
        _link = cancelTarget;
    }

    /// <summary>Creates a resolved promise (no owner needed: it never changes).</summary>
    private protected Promise(Status resolved, Exception? exception)
    {
        _status = resolved;
        _link = exception;
    }

    /// <summary>The state: pending, fulfilled or rejected.<para>Lwt: <c>Lwt.state</c></para></summary>
    public PromiseState State
    {
        get
        {
            var s = CurrentStatus;
            return s == Status.Pending ? PromiseState.Pending : s == Status.Fulfilled ? PromiseState.Fulfilled : PromiseState.Rejected;
        }
    }

    /// <summary>Whether the promise is pending.<para>Lwt: <c>Lwt.is_sleeping</c></para></summary>
    public bool IsPending => CurrentStatus == Status.Pending;

    /// <summary>Whether the promise is fulfilled.<para>Lwt: <c>Lwt.state p = Return _</c></para></summary>
    public bool IsFulfilled => CurrentStatus == Status.Fulfilled;

    /// <summary>Whether the promise is rejected.<para>Lwt: <c>Lwt.state p = Fail _</c></para></summary>
    public bool IsRejected => CurrentStatus == Status.Rejected;

    /// <summary>
    /// Whether the promise is rejected with an <see cref="OperationCanceledException"/>
    /// (<see cref="CanceledException"/> included).
    /// <para>Lwt: <c>Lwt.state p = Fail Lwt.Canceled</c></para>
    /// </summary>
    public bool IsCanceled
    {
        get
        {
            var p = Underlying();
            return p._status == Status.Rejected && p._link is OperationCanceledException;
        }
    }

    /// <summary>The exception the promise was rejected with; null unless rejected.<para>Lwt: <c>Lwt.state p = Fail exn</c></para></summary>
    public Exception? Exception
    {
        get
        {
            var p = Underlying();
            return p._status == Status.Rejected ? p.Rejection : null;
        }
    }

    private string DebuggerDisplay
    {
        get
        {
            var p = Underlying();
            return p._status switch
            {
                Status.Pending => $"Pending, {CallbackStore.Count(p._callbacks)} callback(s), {p._cancelMode}",
                Status.Fulfilled => $"Fulfilled: {p.ValueForDisplay}",
                _ => $"Rejected: {p._link}",
            };
        }
    }

    private protected virtual object? ValueForDisplay => null;

    /// <summary>
    /// The exception of this promise, which must be underlying and rejected. A promise that
    /// <see cref="Cancel"/> rejected while nothing was attached to it holds the shared
    /// unobserved-cancel marker instead of its own exception until someone looks: the first
    /// look makes the exception, and every later one sees that same object.
    /// </summary>
    internal Exception Rejection
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            object? link = _link;
            return ReferenceEquals(link, s_unobservedCancel) ? MaterializeCancel() : Unsafe.As<Exception>(link!);
        }
    }

    /// <summary>
    /// The status of the promise this one now is: Pending, Fulfilled or Rejected, never Proxy.
    /// Unlike <c>Underlying()._status</c>, which reads twice, it also follows a proxy that
    /// another thread makes of a promise of no loop between the two reads, which would
    /// otherwise pass for "not pending".
    /// </summary>
    internal Status CurrentStatus
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var p = this;
            while (true)
            {
                var status = p._status;
                if (status != Status.Proxy) return status;
                p = p.FollowProxies();
            }
        }
    }

    /// <summary>Follows proxies to the promise that holds the state, shortening the path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Promise Underlying() => _status != Status.Proxy ? this : FollowProxies();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Promise FollowProxies()
    {
        var target = Unsafe.As<Promise>(_link)!;
        while (target._status == Status.Proxy) target = Unsafe.As<Promise>(target._link)!;
        // Path compression: point every promise on the way straight at the target.
        var p = this;
        while (!ReferenceEquals(p, target))
        {
            var next = Unsafe.As<Promise>(p._link)!;
            p._link = target;
            p = next;
        }
        return target;
    }

    /// <summary>
    /// Called when a promise this one depends on (this is in its callback storage) is
    /// resolved. Only dependent promises (results of Bind, Join, ...) override it.
    /// </summary>
    internal virtual void OnDependencyResolved(Promise source) =>
        throw new UnreachableException("A promise that is not a dependent promise was registered as a callback.");

    /// <summary>
    /// Rejects this promise, which must be underlying and pending, and runs its callbacks.
    /// </summary>
    internal void RejectCore(Exception exception, bool allowDeferring)
    {
        var loop = ResolutionLoop.Current;
        if (IsSharedFrom(loop))
        {
            // Of no loop, or of a stopped loop off its thread (Promise.Shared.cs).
            RejectShared(exception, allowDeferring);
            return;
        }
        Debug.Assert(_status == Status.Pending);
        _link = exception;
        _status = Status.Rejected;
        object? callbacks = _callbacks;
        _callbacks = null;
        if (callbacks is not null) RunCallbacks(callbacks, allowDeferring, loop);
    }

    /// <summary>
    /// Rejects this promise (underlying, pending) for a resolver's Reject (Lwt's
    /// wakeup_later_exn): as <see cref="RejectCore"/>, but the callbacks wait for the running
    /// callbacks to finish when there are any (<see cref="RunCallbacksLater"/>).
    /// </summary>
    internal void RejectLater(Exception exception, ResolutionLoop? loop = null)
    {
        loop ??= ResolutionLoop.Current;
        if (IsSharedFrom(loop))
        {
            RejectShared(exception, allowDeferring: true, later: true);
            return;
        }
        Debug.Assert(_status == Status.Pending);
        _link = exception;
        _status = Status.Rejected;
        object? callbacks = _callbacks;
        _callbacks = null;
        if (callbacks is not null) RunCallbacksLater(callbacks, loop);
    }

    /// <summary>
    /// Resolves this promise (underlying, pending) the way <paramref name="source"/> (resolved)
    /// was resolved. A fulfilled <paramref name="source"/> of another type fulfils a
    /// <see cref="Promise{Unit}"/> with <c>()</c>.
    /// </summary>
    internal virtual void ResolveLike(Promise source, bool allowDeferring) =>
        throw new UnreachableException("Every promise is a Promise<T>.");

    /// <summary>
    /// Runs the callbacks just taken from this (now resolved) promise, or defers them when
    /// allowed and the stack is already deep (past the trampoline's depth). See ResolutionLoop.cs.
    /// </summary>
    internal void RunCallbacks(object callbacks, bool allowDeferring) => RunCallbacks(callbacks, allowDeferring, ResolutionLoop.Current);

    /// <inheritdoc cref="RunCallbacks(object, bool)"/>
    internal void RunCallbacks(object callbacks, bool allowDeferring, ResolutionLoop loop)
    {
        int depth = loop.Depth;
        // Only to keep the stack bounded: lwt.ml never defers these (bind, map, ... and
        // wakeup resolve with ~allow_deferring:false), so neither do we until the trampoline's
        // depth. See ResolutionLoop.cs.
        if (allowDeferring && depth >= ResolutionLoop.UncheckedDepth && !CanResolveDeeper(depth))
        {
            loop.Defer(this, callbacks);
            return;
        }
        loop.Depth = depth + 1;
        int resolving = loop.Resolving;
        loop.Resolving = resolving + 1;
        try
        {
            CallbackStore.InvokeAll(this, callbacks);
        }
        finally
        {
            loop.Depth = depth;
            loop.Resolving = resolving;
        }
        if (resolving == 0 && loop.HasLater) loop.DrainLater(depth);
        loop.DrainIfOutermost(depth);
    }

    /// <summary>
    /// Whether a resolution past <see cref="ResolutionLoop.UncheckedDepth"/> may still run its
    /// callbacks one level deeper: below the trampoline's depth and with stack to spare, asked
    /// at every level (a level of resolution can be many frames: an async method's state
    /// machine, its builder, an exception being set).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool CanResolveDeeper(int depth) =>
        depth < ResolutionLoop.MaxImmediateDepth && RuntimeHelpers.TryEnsureSufficientExecutionStack();

    /// <summary>
    /// Runs the callbacks just taken from this (now resolved) promise for a resolver's
    /// Resolve/Reject (Lwt's wakeup_later): queued when callbacks of another resolution are
    /// running on this thread, as Lwt's ~maximum_callback_nesting_depth:1 does; otherwise as
    /// <see cref="RunCallbacks(object, bool, ResolutionLoop)"/>. See ResolutionLoop.cs.
    /// </summary>
    internal void RunCallbacksLater(object callbacks, ResolutionLoop loop)
    {
        if (loop.Resolving != 0) loop.DeferLater(this, callbacks);
        else RunCallbacks(callbacks, allowDeferring: true, loop);
    }

    /// <summary>
    /// Makes pending <paramref name="inner"/> (the promise a callback returned) a proxy for
    /// pending <paramref name="outer"/> (the promise the caller holds): Lwt's
    /// <c>make_into_proxy</c>. Both must be underlying, pending and of the same runtime T;
    /// the caller holds the lock of each that belongs to no loop (<see cref="TryMakeProxyShared"/>).
    /// The outer promise takes over the inner one's callbacks and its way of being canceled.
    /// </summary>
    internal static void MoveIntoProxy(Promise inner, Promise outer)
    {
        CallbackStore.Merge(outer, inner);
        outer._cancelMode = inner._cancelMode;
        outer._link = inner._link;
        inner._cancelMode = CancelMode.NotCancelable;
        inner._link = outer;
        // Last: a thread that reads Proxy without the lock (Underlying, on a promise of no
        // loop, Promise.Shared.cs) then finds the link to follow.
        inner.PublishStatus(Status.Proxy);
    }

    /// <summary>
    /// Sets the status after what it announces (the value, the exception, a proxy's target):
    /// a thread that reads a promise of no loop without its lock and sees the new status then
    /// finds the rest (the field is volatile: this write releases, every read acquires).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void PublishStatus(Status status) => _status = status;

    /// <summary>
    /// Before an attach to this pending promise (underlying) from the calling thread: throws
    /// when it belongs to a loop running on another thread; true when it belongs to a loop
    /// that is not running on this thread now (stopped: its promises are anyone's, and another
    /// thread may be resolving this one), so the attach must take its lock
    /// (<see cref="AddCallbackShared"/>); false on its own loop's thread, or for a promise of
    /// no loop, which <see cref="AddCallback(Promise, object)"/> handles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool CheckOwnerThread() => _owner != 0 && _owner != ResolutionLoop.Current.LoopId && CheckOwnerThreadSlow();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool CheckOwnerThreadSlow()
    {
        if (LoopRegistry.ForeignOwner(_owner) is not null) ThrowHelper.ThrowForeignThread();
        return true;
    }
}
