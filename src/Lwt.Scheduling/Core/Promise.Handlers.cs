using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * The combinators that take the computation as a function, so that a synchronous throw
 * and a later rejection are handled alike: Lwt.catch, Lwt.finalize, Lwt.try_bind.
 * f() is called at once; when its promise is already resolved the handler is called at
 * once too (trampolined past the nesting limit, like Bind). What f and the handlers
 * throw is subject to Promise.ExceptionFilter, as in Bind (DependentPromises.cs).
 */

public partial class Promise
{
    /// <summary>
    /// Throws <paramref name="exception"/> again, keeping the stack trace it already has (its
    /// original throw site stays at the top, and this call is appended), where
    /// <c>throw exception;</c> would replace it with this call's. For a handler that receives
    /// an exception as a value (a <see cref="Catch{T}(Func{Promise{T}}, Func{Exception, Promise{T}})"/>
    /// handler, <see cref="Promise{T}.OnAny"/>, a rejection read from
    /// <see cref="Promise.Exception"/>) and decides not to handle it. An exception never
    /// thrown before gets its trace from here. Inside a <c>catch</c> block, <c>throw;</c> does
    /// the same. Never returns.
    /// <para>Lwt: <c>Lwt.reraise</c></para>
    /// </summary>
    /// <param name="exception">The exception to throw again.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    [DoesNotReturn]
    public static void Reraise(Exception exception)
    {
        if (exception is null) ThrowHelper.ThrowArgumentNull(nameof(exception));
        ExceptionDispatchInfo.Throw(exception);
    }

    /// <summary>Calls <paramref name="f"/>, turning a throw or a null into a rejected promise.</summary>
    private static Promise<T> Start<T>(Func<Promise<T>> f)
    {
        try
        {
            return f() ?? Promise<T>.FromException(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return Promise<T>.FromException(e);
        }
    }

    private static Promise Start(Func<Promise> f)
    {
        try
        {
            return f() ?? Promise<Unit>.FromException(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return Promise<Unit>.FromException(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> and, if it throws or its promise is rejected, calls
    /// <paramref name="handler"/> with the exception; the result becomes the promise of
    /// <paramref name="f"/> (fulfilled) or that of <paramref name="handler"/>. A null that
    /// <paramref name="f"/> or <paramref name="handler"/> returns counts as a promise rejected
    /// with <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt.catch</c>, <c>try%lwt</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="handler">The exception handler.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static Promise<T> Catch<T>(Func<Promise<T>> f, Func<Exception, Promise<T>> handler)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (handler is null) ThrowHelper.ThrowArgumentNull(nameof(handler));
        return Start(f).Catch(handler);
    }

    /// <summary>
    /// The untyped <see cref="Catch{T}"/>: the result is fulfilled with <c>()</c> when
    /// <paramref name="f"/>'s promise is fulfilled.
    /// <para>Lwt: <c>Lwt.catch</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="handler">The exception handler.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static Promise Catch(Func<Promise> f, Func<Exception, Promise> handler)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (handler is null) ThrowHelper.ThrowArgumentNull(nameof(handler));
        return Start(f).Catch(handler);
    }

    /// <summary>
    /// This promise, its rejection handled by <paramref name="handler"/>: <c>p.Catch(h)</c> is
    /// <c>Promise.Catch(() =&gt; p, h)</c> (Lwt's <c>Lwt.catch (fun () -&gt; p) h</c>), the form
    /// for a promise already made, without the delegate. The result is this promise when it is
    /// fulfilled already; otherwise it follows this promise, or, on a rejection (a cancel
    /// included), becomes the promise <paramref name="handler"/> returns (rejected with what it
    /// throws; a null counts as a promise rejected with <see cref="InvalidOperationException"/>).
    /// Canceling the result cancels this promise. Only a rejection of this promise is handled:
    /// an exception thrown while making it happened before the call (use the static form).
    /// <para>Lwt: <c>Lwt.catch</c> of a promise already made</para>
    /// </summary>
    /// <param name="handler">The exception handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// This promise is pending and belongs to an event loop running on another thread.
    /// </exception>
    public Promise Catch(Func<Exception, Promise> handler)
    {
        if (handler is null) ThrowHelper.ThrowArgumentNull(nameof(handler));
        var u = Underlying();
        if (u._status == Status.Fulfilled) return this;
        var result = new CatchPromise<Unit>(u, handler);
        Attach(u, result);
        return result;
    }

    /// <summary>
    /// Calls <paramref name="f"/>, then <paramref name="cleanup"/> once its promise is resolved
    /// either way. The result resolves as <paramref name="f"/>'s promise did, unless the
    /// cleanup fails: then it is rejected with the cleanup's exception. A null that
    /// <paramref name="f"/> or <paramref name="cleanup"/> returns counts as a promise rejected
    /// with <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt.finalize</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="cleanup">Runs after it, whatever happened.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static Promise<T> Finally<T>(Func<Promise<T>> f, Func<Promise> cleanup)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (cleanup is null) ThrowHelper.ThrowArgumentNull(nameof(cleanup));
        var u = Start(f).UnderlyingT();
        var result = new FinallyPromise<T>(u, cleanup);
        Attach(u, result);
        return result;
    }

    /// <summary>
    /// The untyped <see cref="Finally{T}"/>.
    /// <para>Lwt: <c>Lwt.finalize</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="cleanup">Runs after it, whatever happened.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static Promise Finally(Func<Promise> f, Func<Promise> cleanup)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (cleanup is null) ThrowHelper.ThrowArgumentNull(nameof(cleanup));
        var u = Start(f).Underlying();
        var result = new FinallyPromise<Unit>(u, cleanup);
        Attach(u, result);
        return result;
    }

    /// <summary>
    /// Calls <paramref name="f"/>, then <paramref name="onFulfilled"/> with its value or
    /// <paramref name="onRejected"/> with its exception (a throw from <paramref name="f"/>
    /// included); the result becomes the promise the chosen handler returns. A null that
    /// <paramref name="f"/> or a handler returns counts as a promise rejected with
    /// <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt.try_bind</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="onFulfilled">Called with the value.</param>
    /// <param name="onRejected">Called with the exception.</param>
    /// <typeparam name="T">The type of <paramref name="f"/>'s value.</typeparam>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static Promise<U> TryBind<T, U>(Func<Promise<T>> f, Func<T, Promise<U>> onFulfilled, Func<Exception, Promise<U>> onRejected)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (onFulfilled is null) ThrowHelper.ThrowArgumentNull(nameof(onFulfilled));
        if (onRejected is null) ThrowHelper.ThrowArgumentNull(nameof(onRejected));
        var u = Start(f).UnderlyingT();
        var result = new TryBindPromise<T, U>(u, onFulfilled, onRejected);
        Attach(u, result);
        return result;
    }
}
