using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The result promises of Bind, Map, Catch, Finally and TryBind. Each is its own callback
 * on the promise it waits for (one allocation per attached callback), captures the
 * ExecutionContext at attachment, and drops its delegate once called so that a resolved
 * chain keeps nothing alive. A callback that throws rejects the result promise, whether
 * the input was resolved before or after (API.md: the seeds' behaviour, not native Lwt's
 * synchronous raise, ocsigen/lwt#329), unless Promise.ExceptionFilter refuses it: then it
 * escapes to the code that resolved the input, with the ExecutionContext restored, and
 * the result stays pending (Promise.ExceptionFilter.cs).
 *
 * While waiting for its input p_1 the result promise cancels by propagating to p_1; once
 * its callback returned a pending p_2, p_2 became a proxy for it and handed over its own
 * way of being canceled (Promise.MakeProxy). That is Lwt's "cancel whichever of p_1 and
 * p_2 is pending".
 */

/// <summary>
/// The result of every Bind (BindCore.cs) on a pending input, or on a fulfilled one past the
/// nesting limit: calls the callback, then becomes (or follows) the promise it returned.
/// </summary>
internal sealed class BindNode<TCallback, U>(Promise input, TCallback callback) : Promise<U>(CancelMode.PropagateToOne, input)
    where TCallback : struct, IBindCallback
{
    private TCallback _callback = callback;
    private ExecutionContext? _context = CallbackContext.Capture();

    internal override bool RequestCancelOnceWaiting(Promise seen) => MarkCancelOnceWaiting(seen);

    internal override void OnDependencyResolved(Promise source)
    {
        var callback = _callback;
        _callback = default; // a resolved chain keeps neither the delegate nor its state alive
        var context = _context;
        _context = null;
        if (source._status == Status.Rejected)
        {
            RejectFromDependency(source.Rejection);
            return;
        }
        Promise? result;
        var saved = CallbackContext.Enter(context);
        try
        {
            result = callback.Invoke(source);
        }
        catch (Exception e)
        {
            if (!ExceptionFilter.Run(e))
            {
                CallbackContext.Exit(saved);
                ExceptionFilter.Rethrow(e);
            }
            result = FromException(e);
        }
        CallbackContext.Exit(saved);
        // A promise of the result's own type is proxied; any other is followed (AdoptAny).
        if (TCallback.ReturnsResultType) Adopt(Unsafe.As<Promise<U>?>(result));
        else AdoptAny(result);
    }
}

/// <summary>The result of every Map (BindCore.cs) on a pending input.</summary>
internal sealed class MapNode<TCallback, U>(Promise input, TCallback callback) : Promise<U>(CancelMode.PropagateToOne, input)
    where TCallback : struct, IMapCallback<U>
{
    private TCallback _callback = callback;
    private ExecutionContext? _context = CallbackContext.Capture();

    internal override void OnDependencyResolved(Promise source)
    {
        var callback = _callback;
        _callback = default;
        var context = _context;
        _context = null;
        if (source._status == Status.Rejected)
        {
            RejectFromDependency(source.Rejection);
            return;
        }
        U value;
        var saved = CallbackContext.Enter(context);
        try
        {
            value = callback.Invoke(source);
        }
        catch (Exception e)
        {
            CallbackContext.Exit(saved);
            ExceptionFilter.RethrowIfRefused(e);
            RejectFromDependency(e);
            return;
        }
        CallbackContext.Exit(saved);
        FulfillFromDependency(value);
    }
}

/// <summary>
/// <c>Promise.Catch(f, handler)</c> once <c>f()</c> returned a pending promise (or any
/// resolved one, when called through <see cref="Immediate"/>). Untyped when
/// <typeparamref name="T"/> is <see cref="Unit"/> and the input has another type.
/// </summary>
internal sealed class CatchPromise<T>(Promise input, Delegate handler) : Promise<T>(CancelMode.PropagateToOne, input)
{
    private Delegate? _handler = handler;
    private ExecutionContext? _context = CallbackContext.Capture();

    internal override bool RequestCancelOnceWaiting(Promise seen) => MarkCancelOnceWaiting(seen);

    internal override void OnDependencyResolved(Promise source)
    {
        var handler = _handler!;
        _handler = null;
        var context = _context;
        _context = null;
        if (source._status != Status.Rejected)
        {
            var outer = Underlying();
            if (outer.MayResolve) outer.ResolveLike(source, allowDeferring: true);
            return;
        }
        var exception = source.Rejection;
        Promise? result;
        var saved = CallbackContext.Enter(context);
        try
        {
            result = handler is Func<Exception, Promise<T>> typed ? typed(exception) : ((Func<Exception, Promise>)handler)(exception);
        }
        catch (Exception e)
        {
            if (!ExceptionFilter.Run(e))
            {
                CallbackContext.Exit(saved);
                ExceptionFilter.Rethrow(e);
            }
            result = FromException(e);
        }
        CallbackContext.Exit(saved);
        AdoptAny(result);
    }
}

/// <summary>
/// <c>Promise.Finally(f, cleanup)</c>: waits for p_1, runs the cleanup, waits for p_2, then
/// resolves as p_1 (cleanup fulfilled) or with p_2's exception (cleanup failed).
/// </summary>
internal sealed class FinallyPromise<T>(Promise input, Func<Promise> cleanup) : Promise<T>(CancelMode.PropagateToOne, input)
{
    private Func<Promise>? _cleanup = cleanup;
    private ExecutionContext? _context = CallbackContext.Capture();
    private Promise? _first;

    // Only until the cleanup has returned (queued, or running now): afterwards the cleanup's
    // promise is what a cancel reaches, and once that is resolved there is nothing left to
    // cancel. `_first` is set once the cleanup has returned and this promise waits on its
    // promise (WaitOn). A search on another thread may have found p_1 just before that: it
    // looks again (StillWaitsOn is false) and finds the cleanup's promise.
    internal override bool RequestCancelOnceWaiting(Promise seen) =>
        _first is null ? MarkCancelOnceWaiting(seen) : StillWaitsOn(seen);

    internal override void OnDependencyResolved(Promise source)
    {
        if (_first is null)
        {
            var cleanup = _cleanup!;
            _cleanup = null;
            Promise? second;
            var saved = CallbackContext.Enter(_context);
            _context = null;
            try
            {
                second = cleanup() ?? FromException(ThrowHelper.NullPromise());
            }
            catch (Exception e)
            {
                if (!ExceptionFilter.Run(e))
                {
                    CallbackContext.Exit(saved);
                    ExceptionFilter.Rethrow(e);
                }
                second = FromException(e);
            }
            CallbackContext.Exit(saved);
            var p2 = second.Underlying();
            if (!p2.IsResolvedNow)
            {
                int here = ResolutionLoop.Current.LoopId;
                bool cancelRequested = WaitOn(p2, here);
                _first = source;
                AttachReturned(p2, this, here);
                if (cancelRequested) Cancel();
                return;
            }
            _first = source;
            source = p2;
        }
        var outer = Underlying();
        if (!outer.MayResolve) return;
        if (source._status == Status.Rejected) outer.RejectCore(source.Rejection, allowDeferring: true);
        else outer.ResolveLike(_first, allowDeferring: true);
        _first = null;
    }
}

/// <summary><c>Promise.TryBind(f, onFulfilled, onRejected)</c> once <c>f()</c> returned.</summary>
internal sealed class TryBindPromise<T, U>(Promise<T> input, Func<T, Promise<U>> onFulfilled, Func<Exception, Promise<U>> onRejected) : Promise<U>(CancelMode.PropagateToOne, input)
{
    private Func<T, Promise<U>>? _onFulfilled = onFulfilled;
    private Func<Exception, Promise<U>>? _onRejected = onRejected;
    private ExecutionContext? _context = CallbackContext.Capture();

    internal override bool RequestCancelOnceWaiting(Promise seen) => MarkCancelOnceWaiting(seen);

    internal override void OnDependencyResolved(Promise source)
    {
        var onFulfilled = _onFulfilled!;
        var onRejected = _onRejected!;
        _onFulfilled = null;
        _onRejected = null;
        Promise<U>? result;
        var saved = CallbackContext.Enter(_context);
        _context = null;
        try
        {
            result = source._status == Status.Rejected
                ? onRejected(source.Rejection)
                : onFulfilled(Unsafe.As<Promise<T>>(source)._value);
        }
        catch (Exception e)
        {
            if (!ExceptionFilter.Run(e))
            {
                CallbackContext.Exit(saved);
                ExceptionFilter.Rethrow(e);
            }
            result = FromException(e);
        }
        CallbackContext.Exit(saved);
        Adopt(result);
    }
}
