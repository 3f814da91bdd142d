using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Resolvers: the write side of a promise (Lwt's 'a u).
 *
 * Resolve (wakeup_later) defers the callbacks when called from inside other callbacks
 * (Lwt's ~maximum_callback_nesting_depth:1: they run once the running callbacks are done,
 * ResolutionLoop.cs); ResolveNow (wakeup) runs them at once, deeper on the current stack. Both resolve
 * the *underlying* promise: the one a resolver was made with may have become a proxy
 * since.
 *
 * Resolving a promise that is not pending throws, except when it was canceled: then
 * nothing happens (Lwt's "if p is canceled, wakeup has no effect"), because cancellation
 * races legitimately with the producer that would have resolved it.
 *
 * From another thread: a resolver whose promise belongs to a running event loop posts the
 * resolution to that loop instead of touching the promise (DESIGN.md: marshal, never
 * corrupt). It is then done asynchronously, so the not-pending check happens on the loop,
 * where one that finds the promise resolved already does nothing, Resolve/Reject's as
 * TryResolve/TryReject's (the caller is gone; threads racing to resolve one promise are
 * expected, LoopAuditTests.Resolvers_used_from_many_threads_marshal_to_the_running_loop);
 * TryResolve/TryReject from another thread return whether the resolution was queued.
 * The post is claimable (ClaimablePost):
 * a loop that stops before it gets to it does it in its exit, still inside LwtMain.Run, so
 * the promise's callbacks never run after Run has returned on a loop that found it posted;
 * a loop that has stopped already takes no post, and the resolution is done here, as for
 * any promise of a stopped loop (its promises are then anyone's). Either way it is done:
 * before, a resolution made during the loop's last iteration waited for a next run that
 * may never come, while one made a moment later was done at once.
 */

/// <summary>
/// The resolver of an untyped promise: resolves or rejects the promise it was created with.
/// <para>Lwt: <c>unit Lwt.u</c></para>
/// </summary>
/// <remarks>
/// From a thread other than the one running the event loop the promise belongs to, while that
/// loop runs, a resolution is posted to the loop and done there, later: nothing is thrown at the
/// call (the null checks excepted), <c>ResolveNow</c>'s callbacks run on the loop, and the
/// <c>Try</c> methods return <see langword="true"/> once it is queued, whether or not the promise
/// is still pending when the loop gets to it. A <c>Resolve</c> or <c>Reject</c> that then finds
/// the promise resolved already does nothing, as a <c>Try</c> method does: no
/// <see cref="InvalidOperationException"/>, and nothing goes to
/// <see cref="Promise.AsyncExceptionHook"/> (threads may race to resolve one promise). Once that
/// loop has stopped, the resolution is done at the call, as on the loop's thread.
/// </remarks>
public class Resolver
{
    private protected Resolver()
    {
    }

    /// <summary>The promise this resolver resolves.<para>Lwt: <c>Lwt.waiter_of_wakener</c></para></summary>
    public Promise Promise => UntypedPromise;

    private protected virtual Promise UntypedPromise => throw new System.Diagnostics.UnreachableException();

    /// <summary>
    /// Fulfils the promise with <c>()</c>. Only for a <see cref="Resolver{Unit}"/>. Called from
    /// inside the callbacks of another resolution, its callbacks run after those callbacks
    /// instead of at once.
    /// <para>Lwt: <c>Lwt.wakeup_later r ()</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled; from another thread, see the remarks
    /// of <see cref="Resolver"/>), or it is not a unit promise.
    /// </exception>
    public void Resolve() => ResolveUnit(allowDeferring: true);

    /// <summary>
    /// Fulfils the promise with <c>()</c>, running its callbacks at once.
    /// <para>Lwt: <c>Lwt.wakeup r ()</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled; from another thread, see the remarks
    /// of <see cref="Resolver"/>), or it is not a unit promise.
    /// </exception>
    public void ResolveNow() => ResolveUnit(allowDeferring: false);

    private protected virtual void ResolveUnit(bool allowDeferring) => throw new System.Diagnostics.UnreachableException();

    /// <summary>
    /// Rejects the promise with <paramref name="exception"/>. Called from inside the callbacks
    /// of another resolution, its callbacks run after those callbacks instead of at once.
    /// <para>Lwt: <c>Lwt.wakeup_later_exn</c></para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void Reject(Exception exception) => RejectWith(exception, allowDeferring: true, throwIfResolved: true);

    /// <summary>
    /// Rejects the promise with <paramref name="exception"/>, running its callbacks at once.
    /// <para>Lwt: <c>Lwt.wakeup_exn</c></para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void RejectNow(Exception exception) => RejectWith(exception, allowDeferring: false, throwIfResolved: true);

    /// <summary>
    /// Rejects the promise if it is pending; returns false, without throwing, when it is not.
    /// From another thread while the promise's loop runs, returns true once the rejection is
    /// queued (see the remarks of <see cref="Resolver"/>).
    /// <para>Lwt: <c>Lwt.wakeup_later_exn</c>, without <c>Invalid_argument</c></para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public bool TryReject(Exception exception) => RejectWith(exception, allowDeferring: true, throwIfResolved: false);

    private bool RejectWith(Exception exception, bool allowDeferring, bool throwIfResolved)
    {
        if (exception is null) ThrowHelper.ThrowArgumentNull(nameof(exception));
        var p = UntypedPromise.Underlying();
        // On the loop that owns it (the thread's loop read once): as Lwt does.
        if (p._owner == 0 || p._owner != ResolutionLoop.Current.LoopId) return RejectOffItsLoop(p, exception, allowDeferring, throwIfResolved);
        if (p._status != Status.Pending) return NotPending(p, throwIfResolved);
        if (allowDeferring) p.RejectLater(exception);
        else p.RejectCore(exception, allowDeferring);
        return true;
    }

    /// <summary>
    /// A rejection off the promise's loop: posted to the owner's loop while it runs; otherwise
    /// (no loop, or one that has stopped: anyone's promise, which another thread may be
    /// resolving, canceling, awaiting or making a proxy right now) decided under its lock.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RejectOffItsLoop(Promise p, Exception exception, bool allowDeferring, bool throwIfResolved)
    {
        if (LoopRegistry.ForeignOwner(p._owner) is { } loop && RejectFromOtherThread(loop, exception, allowDeferring)) return true;
        return p.RejectShared(exception, allowDeferring, later: allowDeferring) || NotPending(p.Underlying(), throwIfResolved);
    }

    // Apart from RejectWith: a lambda capturing parameters makes the compiler allocate its
    // closure on entry to the method that declares them, so every rejection would pay for it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RejectFromOtherThread(ILoopDispatcher loop, Exception exception, bool allowDeferring) =>
        loop.TryPost(() => RejectWith(exception, allowDeferring, throwIfResolved: false));

    /// <summary>
    /// What a resolution of a promise that is not pending does: nothing, for a canceled one
    /// (resolving a canceled promise is a silent no-op); otherwise throws, when asked to, and
    /// tells the caller it did not resolve it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private protected static bool NotPending(Promise p, bool throwIfResolved)
    {
        if (throwIfResolved && !(p._status == Status.Rejected && p._link is OperationCanceledException)) ThrowHelper.ThrowNotPending(p);
        return false;
    }
}

/// <summary>
/// The resolver of a <see cref="Promise{T}"/>.
/// <para>Lwt: <c>'a Lwt.u</c></para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
/// <remarks>From another thread, see the remarks of <see cref="Resolver"/>.</remarks>
public class Resolver<T> : Resolver
{
    private readonly Promise<T> _promise;

    internal Resolver(Promise<T> promise) => _promise = promise;

    /// <summary>The promise this resolver resolves.<para>Lwt: <c>Lwt.waiter_of_wakener</c></para></summary>
    public new Promise<T> Promise => _promise;

    private protected override Promise UntypedPromise => _promise;

    /// <summary>
    /// Fulfils the promise with <paramref name="value"/>. Its callbacks run at once, except
    /// when called from inside the callbacks of another resolution: they then run after
    /// those callbacks (Lwt's wakeup_later, ~maximum_callback_nesting_depth:1).
    /// Does nothing if the promise was canceled.
    /// <para>Lwt: <c>Lwt.wakeup_later</c></para>
    /// </summary>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void Resolve(T value) => Fulfil(value, allowDeferring: true, throwIfResolved: true);

    /// <summary>
    /// Fulfils the promise with <paramref name="value"/>, running its callbacks at once,
    /// deeper on the current stack.
    /// <para>Lwt: <c>Lwt.wakeup</c></para>
    /// </summary>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void ResolveNow(T value) => Fulfil(value, allowDeferring: false, throwIfResolved: true);

    /// <summary>
    /// Fulfils the promise if it is pending; returns false, without throwing, when it is not.
    /// From another thread while the promise's loop runs, returns true once the resolution is
    /// queued (see the remarks of <see cref="Resolver"/>).
    /// <para>Lwt: <c>Lwt.wakeup_later</c>, without <c>Invalid_argument</c></para>
    /// </summary>
    /// <param name="value">The value.</param>
    public bool TryResolve(T value) => Fulfil(value, allowDeferring: true, throwIfResolved: false);

    /// <summary>
    /// Fulfils the promise with the value of <c>Ok value</c>, or rejects it with the
    /// exception of <c>Error exception</c>, as <see cref="Resolve(T)"/> and
    /// <see cref="Resolver.Reject"/> do: callbacks run at once, or after the running callbacks
    /// when called from inside callbacks. Does nothing if the promise was canceled.
    /// <para>Lwt: <c>Lwt.wakeup_later_result</c></para>
    /// </summary>
    /// <param name="result">The result.</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is an <c>Error</c> whose exception is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void ResolveResult(Result<T, Exception> result)
    {
        if (result.TryGetRejection(out var exception, nameof(result))) Reject(exception);
        else Resolve(result.Value);
    }

    /// <summary>
    /// Fulfils the promise with the value of <c>Ok value</c>, or rejects it with the
    /// exception of <c>Error exception</c>, running its callbacks at once, as
    /// <see cref="ResolveNow(T)"/> and <see cref="Resolver.RejectNow"/> do.
    /// <para>Lwt: <c>Lwt.wakeup_result</c></para>
    /// </summary>
    /// <param name="result">The result.</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is an <c>Error</c> whose exception is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise is already resolved (and not canceled); from another thread, see the remarks
    /// of <see cref="Resolver"/>.
    /// </exception>
    public void ResolveResultNow(Result<T, Exception> result)
    {
        if (result.TryGetRejection(out var exception, nameof(result))) RejectNow(exception);
        else ResolveNow(result.Value);
    }

    private protected override void ResolveUnit(bool allowDeferring)
    {
        if (typeof(T) != typeof(Unit))
            throw new InvalidOperationException(
                $"Resolve() without a value is for a Resolver<Unit>; this is a Resolver<{typeof(T).Name}>: call Resolve(value).");
        Fulfil(default!, allowDeferring, throwIfResolved: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Fulfil(T value, bool allowDeferring, bool throwIfResolved)
    {
        var p = _promise.UnderlyingT();
        var loop = ResolutionLoop.Current;
        if (p._owner == 0) return FulfilShared(p, value, allowDeferring, throwIfResolved);
        if (p._owner != loop.LoopId) return FulfilFromOtherThread(p, value, allowDeferring, throwIfResolved);
        if (p._status != Status.Pending) return NotPending(p, throwIfResolved);
        if (allowDeferring) p.FulfillLater(value, loop);
        else p.FulfillCore(value, allowDeferring, loop);
        return true;
    }

    /// <summary>
    /// A promise of no loop, which another thread may be resolving too: exactly one of them
    /// fulfils or rejects it (under its lock), and the other is told so, as on one thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FulfilShared(Promise<T> p, T value, bool allowDeferring, bool throwIfResolved) =>
        p.FulfillShared(value, allowDeferring, later: allowDeferring) || NotPending(p.UnderlyingT(), throwIfResolved);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FulfilFromOtherThread(Promise<T> p, T value, bool allowDeferring, bool throwIfResolved)
    {
        // Posted to the owner's loop while it runs; done here once it has stopped.
        if (LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(() => Fulfil(value, allowDeferring, throwIfResolved: false)))
            return true;
        // The loop has stopped: its promises are anyone's, so another thread may be resolving,
        // canceling or awaiting this one right now: fulfilled as one of no loop, under its lock
        // (Promise.Shared.cs), or two threads would both fulfil it and run its callbacks twice.
        return FulfilShared(p, value, allowDeferring, throwIfResolved);
    }
}
