using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * Lwt.poll and Lwt.apply: two functions of lwt.mli's undocumented tail (after its last
 * stop-comment marker), kept by Lwt for ppx_lwt and older code and still part of its interface.
 * Their behaviour is lwt.ml's:
 *   poll p   = match state p with Fail e -> raise e | Return v -> Some v | Sleep -> None
 *   apply f x = try f x with exn -> fail exn
 */

public partial class Promise<T>
{
    /// <summary>
    /// The value of this promise if it is fulfilled, <see cref="Option{T}.None"/> while it is
    /// pending; if it is rejected, its exception is thrown (the same object, with its stack
    /// trace). Nothing waits and nothing is scheduled.
    /// <para>Lwt: <c>Lwt.poll</c></para>
    /// </summary>
    /// <returns><c>Some v</c> for a promise fulfilled with v; <c>None</c> for a pending one.</returns>
    /// <exception cref="Exception">The promise is rejected: its rejection is rethrown.</exception>
    public Option<T> Poll()
    {
        var p = UnderlyingT();
        if (p._status == Status.Fulfilled) return Option<T>.Some(p._value);
        if (p._status == Status.Rejected) ExceptionDispatchInfo.Throw(p.Rejection);
        return Option<T>.None;
    }
}

public partial class Promise
{
    /// <summary>
    /// Calls <paramref name="f"/> with <paramref name="x"/> and returns its promise; an
    /// exception that <paramref name="f"/> throws gives a rejected promise instead of
    /// reaching the caller (and a null promise from it, a rejected one).
    /// <para>Lwt: <c>Lwt.apply</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="x">Its argument.</param>
    /// <typeparam name="A">The type of the argument.</typeparam>
    /// <typeparam name="T">The type of the promise's value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Apply<A, T>(Func<A, Promise<T>> f, A x)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return ThrowHelper.NullAsRejected(f(x));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with <paramref name="x"/> and returns its promise; an
    /// exception that <paramref name="f"/> throws gives a rejected promise instead of
    /// reaching the caller (and a null promise from it, a rejected one).
    /// <para>Lwt: <c>Lwt.apply</c> on a <c>unit Lwt.t</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="x">Its argument.</param>
    /// <typeparam name="A">The type of the argument.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise Apply<A>(Func<A, Promise> f, A x)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return ThrowHelper.NullAsRejected(f(x));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return Fail(e);
        }
    }
}
