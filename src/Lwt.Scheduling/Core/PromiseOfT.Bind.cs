using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Bind and Map on a typed promise, and what is built on them (LINQ, the On* callbacks).
 * Bind and Map themselves are written once, for every overload, in BindCore.cs.
 */

public partial class Promise<T>
{
    /// <summary>
    /// Runs <paramref name="f"/> with the value once this promise is fulfilled, and returns a
    /// promise that becomes the promise <paramref name="f"/> returns. A rejection of this
    /// promise, or an exception thrown by <paramref name="f"/>, rejects the result.
    /// <para>Lwt: <c>Lwt.bind</c>, <c>&gt;&gt;=</c>, <c>let*</c></para>
    /// </summary>
    /// <param name="f">The callback; called at once if this promise is already fulfilled.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Bind<U>(Func<T, Promise<U>> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return Unsafe.As<Promise<U>>(BindCore.Bind<ValueBind<T, U>, U>(this, new(f)));
    }

    /// <summary>
    /// Like <see cref="Bind{U}(Func{T, Promise{U}})"/>, for a callback returning an untyped promise.
    /// <para>Lwt: <c>Lwt.bind</c></para>
    /// </summary>
    /// <param name="f">The callback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Bind(Func<T, Promise> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Bind<ValueBindAny<T>, Unit>(this, new(f));
    }

    /// <summary>
    /// Applies <paramref name="f"/> to the value once this promise is fulfilled; the result is
    /// fulfilled with what <paramref name="f"/> returns, or rejected with what it throws.
    /// <para>Lwt: <c>Lwt.map</c>, <c>&gt;|=</c>, <c>let+</c></para>
    /// </summary>
    /// <param name="f">The function; called at once if this promise is already fulfilled.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Map<U>(Func<T, U> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Map<ValueMap<T, U>, U>(this, new(f));
    }

    /// <summary>
    /// This promise, its rejection handled by <paramref name="handler"/>: <c>p.Catch(h)</c> is
    /// <see cref="Promise.Catch{T}(Func{Promise{T}}, Func{Exception, Promise{T}})"/> of
    /// <c>() =&gt; p</c> (Lwt's <c>Lwt.catch (fun () -&gt; p) h</c>), the form for a promise
    /// already made, without the delegate. The result is this promise when it is fulfilled
    /// already; otherwise it follows this promise, or, on a rejection (a cancel included),
    /// becomes the promise <paramref name="handler"/> returns (rejected with what it throws; a
    /// null counts as a promise rejected with <see cref="InvalidOperationException"/>).
    /// Canceling the result cancels this promise. Only a rejection of this promise is handled:
    /// an exception thrown while making it happened before the call (use the static form).
    /// <para>Lwt: <c>Lwt.catch</c> of a promise already made</para>
    /// </summary>
    /// <param name="handler">The exception handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// This promise is pending and belongs to an event loop running on another thread.
    /// </exception>
    public Promise<T> Catch(Func<Exception, Promise<T>> handler)
    {
        if (handler is null) ThrowHelper.ThrowArgumentNull(nameof(handler));
        var u = UnderlyingT();
        if (u._status == Status.Fulfilled) return this;
        var result = new CatchPromise<T>(u, handler);
        Attach(u, result);
        return result;
    }

    /// <summary>LINQ <c>select</c>: the same as <see cref="Map{U}"/>.<para>Lwt: <c>let+</c> (<c>Lwt.Syntax</c>)</para></summary>
    /// <param name="f">The projection.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    public Promise<U> Select<U>(Func<T, U> f) => Map(f);

    /// <summary>LINQ <c>from ... from ...</c>: a <see cref="Bind{U}(Func{T, Promise{U}})"/> followed by a projection.<para>Lwt: <c>let*</c> ... <c>in</c> (<c>Lwt.Syntax</c>)</para></summary>
    /// <param name="f">The second promise, from the first value.</param>
    /// <param name="project">Combines both values.</param>
    /// <typeparam name="U">The type of the second value.</typeparam>
    /// <typeparam name="V">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public Promise<V> SelectMany<U, V>(Func<T, Promise<U>> f, Func<T, U, V> project)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (project is null) ThrowHelper.ThrowArgumentNull(nameof(project));
        return Bind(t => f(t).Map(u => project(t, u)));
    }

    /// <summary>LINQ <c>from ... from ...</c> without a projection.<para>Lwt: <c>let*</c></para></summary>
    /// <param name="f">The second promise, from the first value.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    public Promise<U> SelectMany<U>(Func<T, Promise<U>> f) => Bind(f);

    /// <summary>
    /// Runs <paramref name="f"/> when this promise is fulfilled. An exception from
    /// <paramref name="f"/> goes to <see cref="Promise.AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_success</c></para>
    /// </summary>
    /// <param name="f">The callback.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public void OnSuccess(Action<T> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var p = UnderlyingT();
        var status = p._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Fulfilled) SideEffectCallback.RunReporting(f, p._value);
        else if (status != Status.Rejected) AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.Success, f));
    }

    /// <summary>
    /// Runs <paramref name="onFulfilled"/> or <paramref name="onRejected"/> when this promise is
    /// resolved. Exceptions from either go to <see cref="Promise.AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt.on_any</c></para>
    /// </summary>
    /// <param name="onFulfilled">Called with the value.</param>
    /// <param name="onRejected">Called with the exception.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void OnAny(Action<T> onFulfilled, Action<Exception> onRejected)
    {
        if (onFulfilled is null) ThrowHelper.ThrowArgumentNull(nameof(onFulfilled));
        if (onRejected is null) ThrowHelper.ThrowArgumentNull(nameof(onRejected));
        var p = UnderlyingT();
        if (p._status == Status.Fulfilled) SideEffectCallback.RunReporting(onFulfilled, p._value);
        else if (p._status == Status.Rejected) SideEffectCallback.RunReporting(onRejected, p.Rejection);
        else AttachCallback(p, new SideEffectCallback(SideEffectCallback.Kind.Any, onFulfilled, onRejected));
    }

    /// <summary><see cref="Protected"/> of this promise, typed.<para>Lwt: <c>Lwt.protected</c></para></summary>
    public new Promise<T> Protected() => Unsafe.As<Promise<T>>(base.Protected());

    /// <summary><see cref="NoCancel"/> of this promise, typed.<para>Lwt: <c>Lwt.no_cancel</c></para></summary>
    public new Promise<T> NoCancel() => Unsafe.As<Promise<T>>(base.NoCancel());

    /// <summary><see cref="WrapInCancelable"/> of this promise, typed.<para>Lwt: <c>Lwt.wrap_in_cancelable</c></para></summary>
    public new Promise<T> WrapInCancelable() => Unsafe.As<Promise<T>>(base.WrapInCancelable());

    /// <summary>
    /// The first of two promises to resolve: <c>a | b</c> is <see cref="Promise.Choose{T}(Promise{T}[])"/>
    /// of both (the loser is not canceled).
    /// <para>Lwt: <c>&lt;?&gt;</c></para>
    /// </summary>
    /// <param name="a">A promise.</param>
    /// <param name="b">Another promise.</param>
    public static Promise<T> operator |(Promise<T> a, Promise<T> b) => Choose(a, b);

    /// <summary>A typed promise is a new one of the same type (see <see cref="Promise.Protected"/> and friends).</summary>
    private protected override Promise NewForwarder(CancelMode mode) => new Promise<T>(mode);
}
