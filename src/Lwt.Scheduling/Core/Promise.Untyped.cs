using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The operations of Lwt that ignore the value: bind and map with value-less callbacks,
 * the side-effect callbacks, and the helpers that attach a callback after checking that
 * the caller is on the promise's thread.
 */

public partial class Promise
{
    /// <summary>
    /// Runs <paramref name="f"/> once this promise is fulfilled, ignoring its value; the result
    /// becomes the promise <paramref name="f"/> returns.
    /// <para>Lwt: <c>Lwt.bind</c> on <c>unit Lwt.t</c></para>
    /// </summary>
    /// <param name="f">The callback; called at once if this promise is already fulfilled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Bind(Func<Promise> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Bind<ThunkBindAny, Unit>(this, new(f));
    }

    /// <summary>
    /// Runs <paramref name="f"/> once this promise is fulfilled, ignoring its value.
    /// <para>Lwt: <c>Lwt.bind</c> on <c>unit Lwt.t</c></para>
    /// </summary>
    /// <param name="f">The callback; called at once if this promise is already fulfilled.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Bind<U>(Func<Promise<U>> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return Unsafe.As<Promise<U>>(BindCore.Bind<ThunkBind<U>, U>(this, new(f)));
    }

    /// <summary>
    /// Calls <paramref name="f"/> once this promise is fulfilled, ignoring its value; the result
    /// is fulfilled with what <paramref name="f"/> returns, or rejected with what it throws.
    /// <para>Lwt: <c>Lwt.map</c> on <c>unit Lwt.t</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Map<U>(Func<U> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Map<ThunkMap<U>, U>(this, new(f));
    }

    /// <summary>
    /// Runs <paramref name="f"/> if this promise is fulfilled, its value (if any) ignored: the
    /// form for a promise of no value, as <c>Lwt.on_success</c> of a <c>unit Lwt.t</c>
    /// (<see cref="Promise{T}.OnSuccess(Action{T})"/> passes the value). At once if it is
    /// fulfilled already. An exception from <paramref name="f"/> goes to
    /// <see cref="AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_success</c></para>
    /// </summary>
    /// <param name="f">The callback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public void OnSuccess(Action f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var p = Underlying();
        var status = p._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Fulfilled) SideEffectCallback.RunReporting(f);
        else if (status != Status.Rejected) AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.SuccessIgnoringValue, f));
    }

    /// <summary>
    /// Runs <paramref name="onFulfilled"/> or <paramref name="onRejected"/> when this promise is
    /// resolved, the value (if any) ignored (<see cref="Promise{T}.OnAny(Action{T}, Action{Exception})"/>
    /// passes it). Exceptions from either go to <see cref="AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_any</c></para>
    /// </summary>
    /// <param name="onFulfilled">Called when the promise is fulfilled.</param>
    /// <param name="onRejected">Called with the exception.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void OnAny(Action onFulfilled, Action<Exception> onRejected)
    {
        if (onFulfilled is null) ThrowHelper.ThrowArgumentNull(nameof(onFulfilled));
        if (onRejected is null) ThrowHelper.ThrowArgumentNull(nameof(onRejected));
        var p = Underlying();
        var status = p._status;
        if (status == Status.Fulfilled) SideEffectCallback.RunReporting(onFulfilled);
        else if (status == Status.Rejected) SideEffectCallback.RunReporting(onRejected, p.Rejection);
        else AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.AnyIgnoringValue, onFulfilled, onRejected));
    }

    /// <summary>
    /// Runs <paramref name="f"/> if this promise is rejected. Exceptions from <paramref name="f"/>
    /// go to <see cref="AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_failure</c></para>
    /// </summary>
    /// <param name="f">The callback, given the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public void OnFailure(Action<Exception> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var p = Underlying();
        var status = p._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Rejected) SideEffectCallback.RunReporting(f, p.Rejection);
        else if (status != Status.Fulfilled) AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.Failure, f));
    }

    /// <summary>
    /// Runs <paramref name="f"/> when this promise is resolved, either way. Exceptions from
    /// <paramref name="f"/> go to <see cref="AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_termination</c></para>
    /// </summary>
    /// <param name="f">The callback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public void OnTermination(Action f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var p = Underlying();
        if (p.IsResolvedNow) SideEffectCallback.RunReporting(f);
        else AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.Termination, f));
    }

    /// <summary>
    /// Runs <paramref name="f"/> when this promise becomes canceled (rejected with an
    /// <see cref="OperationCanceledException"/>), before any other callback that the
    /// rejection triggers. At once if it is already canceled. Exceptions from <paramref name="f"/>
    /// go to <see cref="AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_cancel</c></para>
    /// </summary>
    /// <param name="f">The callback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public void OnCancel(Action f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var p = Underlying();
        var status = p._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Rejected)
        {
            if (p._link is OperationCanceledException) SideEffectCallback.RunReporting(f);
        }
        else if (status != Status.Fulfilled)
        {
            AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.Cancel, f));
        }
    }

    /// <summary>
    /// Attaches a dependent promise to <paramref name="p"/> (underlying): to its callbacks
    /// when pending, or notifies it now (trampolined when deep) when resolved.
    /// </summary>
    internal static void Attach(Promise p, Promise dependent)
    {
        if (!p.IsResolvedNow)
        {
            // The dependent was just created on this thread: same owner, same thread. Another
            // owner is checked, and a stopped loop's promise is attached to under its lock.
            if (p._owner != dependent._owner && p.CheckOwnerThread()) AddCallbackShared(p, dependent);
            else AddCallback(p, dependent);
        }
        else
        {
            Immediate.Notify(p, dependent);
        }
    }

    /// <summary>Attaches a callback node to pending <paramref name="p"/> (underlying), after checking the caller's thread.</summary>
    internal static void AttachCallback(Promise p, Callback callback)
    {
        if (p.CheckOwnerThread()) AddCallbackShared(p, callback);
        else AddCallback(p, callback);
    }

    /// <summary>Creates a pending promise of this promise's type (for Protected and friends).</summary>
    private protected virtual Promise NewForwarder(CancelMode mode) =>
        throw new System.Diagnostics.UnreachableException("Every promise is a Promise<T>.");
}
