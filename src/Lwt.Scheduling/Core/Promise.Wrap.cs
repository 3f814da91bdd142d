namespace Lwt;

/*
 * Lwt.wrap1 .. wrap7: call a function of one to seven arguments and turn what it throws
 * into a rejected promise instead of an exception at the call. Lwt keeps them in the
 * "Deprecated" part of lwt.mli, without an attribute, as shorthands for
 * Lwt.wrap (fun () -> f x y ...); they are kept here under their Lwt names, without
 * [Obsolete] either, and are no slower than the lambda they stand for (no closure).
 * An exception that Promise.ExceptionFilter refuses escapes from them instead.
 */

public partial class Promise
{
    /// <summary>
    /// Calls <paramref name="f"/> with its argument: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap1</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap1<A1, T>(Func<A1, T> f, A1 a1)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 2 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap2</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap2<A1, A2, T>(Func<A1, A2, T> f, A1 a1, A2 a2)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 3 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap3</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <param name="a3">The third argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="A3">The type of the third argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap3<A1, A2, A3, T>(Func<A1, A2, A3, T> f, A1 a1, A2 a2, A3 a3)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2, a3));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 4 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap4</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <param name="a3">The third argument.</param>
    /// <param name="a4">The fourth argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="A3">The type of the third argument.</typeparam>
    /// <typeparam name="A4">The type of the fourth argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap4<A1, A2, A3, A4, T>(Func<A1, A2, A3, A4, T> f, A1 a1, A2 a2, A3 a3, A4 a4)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2, a3, a4));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 5 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap5</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <param name="a3">The third argument.</param>
    /// <param name="a4">The fourth argument.</param>
    /// <param name="a5">The fifth argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="A3">The type of the third argument.</typeparam>
    /// <typeparam name="A4">The type of the fourth argument.</typeparam>
    /// <typeparam name="A5">The type of the fifth argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap5<A1, A2, A3, A4, A5, T>(Func<A1, A2, A3, A4, A5, T> f, A1 a1, A2 a2, A3 a3, A4 a4, A5 a5)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2, a3, a4, a5));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 6 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap6</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <param name="a3">The third argument.</param>
    /// <param name="a4">The fourth argument.</param>
    /// <param name="a5">The fifth argument.</param>
    /// <param name="a6">The sixth argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="A3">The type of the third argument.</typeparam>
    /// <typeparam name="A4">The type of the fourth argument.</typeparam>
    /// <typeparam name="A5">The type of the fifth argument.</typeparam>
    /// <typeparam name="A6">The type of the sixth argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap6<A1, A2, A3, A4, A5, A6, T>(Func<A1, A2, A3, A4, A5, A6, T> f, A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2, a3, a4, a5, a6));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with its 7 arguments: a returned value gives a fulfilled
    /// promise, a thrown exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap7</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a1">The first argument.</param>
    /// <param name="a2">The second argument.</param>
    /// <param name="a3">The third argument.</param>
    /// <param name="a4">The fourth argument.</param>
    /// <param name="a5">The fifth argument.</param>
    /// <param name="a6">The sixth argument.</param>
    /// <param name="a7">The seventh argument.</param>
    /// <typeparam name="A1">The type of the first argument.</typeparam>
    /// <typeparam name="A2">The type of the second argument.</typeparam>
    /// <typeparam name="A3">The type of the third argument.</typeparam>
    /// <typeparam name="A4">The type of the fourth argument.</typeparam>
    /// <typeparam name="A5">The type of the fifth argument.</typeparam>
    /// <typeparam name="A6">The type of the sixth argument.</typeparam>
    /// <typeparam name="A7">The type of the seventh argument.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap7<A1, A2, A3, A4, A5, A6, A7, T>(Func<A1, A2, A3, A4, A5, A6, A7, T> f, A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f(a1, a2, a3, a4, a5, a6, a7));
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }
}
