namespace Lwt;

/*
 * Lwt_result: promises of results, ('a, 'e) result Lwt.t, written Promise<Result<T, E>>.
 * Two kinds of failure coexist: an Error result (expected, typed) and a rejected promise
 * (unexpected, an exception). The functions here pass rejections through untouched and
 * short-circuit on Error, as Lwt's do.
 *
 * LINQ: Promise<T> already has instance Select/SelectMany (over the whole Result), and an
 * instance method always wins over an extension, so query syntax over the *value* of a
 * result goes through a thin wrapper: `from x in p.Query() from y in q select x + y`
 * (see ResultQuery<T, E>), which converts back to Promise<Result<T, E>> implicitly.
 */

/// <summary>
/// Functions on promises of results (<see cref="Result{T, E}"/>).
/// <para>Lwt: <c>Lwt_result</c></para>
/// </summary>
public static class LwtResult
{
    /// <summary>A promise of <c>Ok value</c>.<para>Lwt: <c>Lwt_result.return</c></para></summary>
    /// <param name="value">The value.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    public static Promise<Result<T, E>> Return<T, E>(T value) => Promise.Return(Result<T, E>.Ok(value));

    /// <summary>A promise of <c>Error error</c>.<para>Lwt: <c>Lwt_result.fail</c></para></summary>
    /// <param name="error">The error.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    public static Promise<Result<T, E>> Fail<T, E>(E error) => Promise.Return(Result<T, E>.Error(error));

    /// <summary>A promise of <paramref name="result"/>.<para>Lwt: <c>Lwt_result.lift</c></para></summary>
    /// <param name="result">The result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    public static Promise<Result<T, E>> Lift<T, E>(Result<T, E> result) => Promise.Return(result);

    /// <summary>The value of <paramref name="promise"/> as <c>Ok</c>.<para>Lwt: <c>Lwt_result.ok</c></para></summary>
    /// <param name="promise">The promise.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Promise<Result<T, E>> Ok<T, E>(Promise<T> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        return promise.Map(Result<T, E>.Ok);
    }

    /// <summary>The value of <paramref name="promise"/> as <c>Error</c>.<para>Lwt: <c>Lwt_result.error</c></para></summary>
    /// <param name="promise">The promise of the error.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Promise<Result<T, E>> Error<T, E>(Promise<E> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        return promise.Map(Result<T, E>.Error);
    }

    /// <summary>
    /// Calls <paramref name="f"/>; its value becomes <c>Ok</c>, its rejection (or throw) becomes
    /// <c>Error exception</c>.
    /// <para>Lwt: <c>Lwt_result.catch</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<Result<T, Exception>> Catch<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Promise.TryBind(f, v => Promise.Return(Result<T, Exception>.Ok(v)), e => Promise.Return(Result<T, Exception>.Error(e)));
    }

    /// <summary><c>Ok v</c> gives <c>v</c>; <c>Error e</c> rejects with <c>e</c>.<para>Lwt: <c>Lwt_result.get_exn</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Promise<T> GetExn<T>(Promise<Result<T, Exception>> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        return promise.Bind(r => r.IsOk ? Promise.Return(r.Value) : Promise.Fail<T>(r.ErrorValue));
    }

    /// <summary>Maps the value of an <c>Ok</c> result.<para>Lwt: <c>Lwt_result.map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="U">The type of the new value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<U, E>> Map<T, U, E>(Func<T, U> f, Promise<Result<T, E>> promise)
    {
        Check(f, promise);
        return promise.Map(r => r.IsOk ? Result<U, E>.Ok(f(r.Value)) : Result<U, E>.Error(r.ErrorValue));
    }

    /// <summary>Maps the error of an <c>Error</c> result.<para>Lwt: <c>Lwt_result.map_error</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <typeparam name="E2">The type of the new error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<T, E2>> MapError<T, E, E2>(Func<E, E2> f, Promise<Result<T, E>> promise)
    {
        Check(f, promise);
        return promise.Map(r => r.IsOk ? Result<T, E2>.Ok(r.Value) : Result<T, E2>.Error(f(r.ErrorValue)));
    }

    /// <summary>The old name of <see cref="MapError"/>, which Lwt deprecates.<para>Lwt: <c>Lwt_result.map_err</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <typeparam name="E2">The type of the new error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    [Obsolete("Lwt_result.map_err is deprecated: use LwtResult.MapError.")]
    public static Promise<Result<T, E2>> MapErr<T, E, E2>(Func<E, E2> f, Promise<Result<T, E>> promise) => MapError(f, promise);

    /// <summary>Continues with <paramref name="f"/> on <c>Ok</c>; an <c>Error</c> passes through.<para>Lwt: <c>Lwt_result.bind</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The continuation.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="U">The type of the new value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<U, E>> Bind<T, U, E>(Promise<Result<T, E>> promise, Func<T, Promise<Result<U, E>>> f)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsOk ? f(r.Value) : Promise.Return(Result<U, E>.Error(r.ErrorValue)));
    }

    /// <summary>Continues with <paramref name="f"/> (a plain promise) on <c>Ok</c>.<para>Lwt: <c>Lwt_result.bind_lwt</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The continuation.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="U">The type of the new value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<U, E>> BindLwt<T, U, E>(Promise<Result<T, E>> promise, Func<T, Promise<U>> f)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsOk ? ThrowHelper.NullAsRejected(f(r.Value)).Map(Result<U, E>.Ok) : Promise.Return(Result<U, E>.Error(r.ErrorValue)));
    }

    /// <summary>Continues with <paramref name="f"/> on <c>Error</c>; an <c>Ok</c> passes through.<para>Lwt: <c>Lwt_result.bind_error</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The error handler.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <typeparam name="E2">The type of the new error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<T, E2>> BindError<T, E, E2>(Promise<Result<T, E>> promise, Func<E, Promise<Result<T, E2>>> f)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsOk ? Promise.Return(Result<T, E2>.Ok(r.Value)) : f(r.ErrorValue));
    }

    /// <summary>Maps the error with <paramref name="f"/> (a plain promise) on <c>Error</c>.<para>Lwt: <c>Lwt_result.bind_lwt_error</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The error mapper.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <typeparam name="E2">The type of the new error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<T, E2>> BindLwtError<T, E, E2>(Promise<Result<T, E>> promise, Func<E, Promise<E2>> f)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsOk ? Promise.Return(Result<T, E2>.Ok(r.Value)) : ThrowHelper.NullAsRejected(f(r.ErrorValue)).Map(Result<T, E2>.Error));
    }

    /// <summary>The old name of <see cref="BindLwtError"/>, which Lwt deprecates.<para>Lwt: <c>Lwt_result.bind_lwt_err</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The error mapper.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <typeparam name="E2">The type of the new error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    [Obsolete("Lwt_result.bind_lwt_err is deprecated: use LwtResult.BindLwtError.")]
    public static Promise<Result<T, E2>> BindLwtErr<T, E, E2>(Promise<Result<T, E>> promise, Func<E, Promise<E2>> f) => BindLwtError(promise, f);

    /// <summary>Continues with <paramref name="f"/> (a plain result) on <c>Ok</c>.<para>Lwt: <c>Lwt_result.bind_result</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    /// <param name="f">The continuation.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="U">The type of the new value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<U, E>> BindResult<T, U, E>(Promise<Result<T, E>> promise, Func<T, Result<U, E>> f)
    {
        Check(f, promise);
        return promise.Map(r => r.IsOk ? f(r.Value) : Result<U, E>.Error(r.ErrorValue));
    }

    /// <summary>
    /// Waits for both; <c>Ok (a, b)</c> if both are <c>Ok</c>, otherwise the error that came
    /// first (in time; when both are already errors at the call, <paramref name="p2"/>'s, as
    /// in Lwt). A rejection of either rejects the result.
    /// <para>Lwt: <c>Lwt_result.both</c></para>
    /// </summary>
    /// <param name="p1">The first promise.</param>
    /// <param name="p2">The second promise.</param>
    /// <typeparam name="T1">The type of the first value.</typeparam>
    /// <typeparam name="T2">The type of the second value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<Result<(T1, T2), E>> Both<T1, T2, E>(Promise<Result<T1, E>> p1, Promise<Result<T2, E>> p2)
    {
        ArgumentNullException.ThrowIfNull(p1);
        ArgumentNullException.ThrowIfNull(p2);
        bool haveError = false;
        E first = default!;
        void Note<X>(Result<X, E> r)
        {
            if (r.IsError && !haveError)
            {
                haveError = true;
                first = r.ErrorValue;
            }
        }
        // p2's watcher first: lwt_result.ml builds the pair (map_error set_once a,
        // map_error set_once b), which OCaml evaluates right to left, so when both are
        // already errors at the call it is p2's error that is noted first and wins.
        var b = p2.Map(r => { Note(r); return r; });
        var a = p1.Map(r => { Note(r); return r; });
        return Promise.Both(a, b).Map(pair =>
            pair.Item1.IsOk && pair.Item2.IsOk
                ? Result<(T1, T2), E>.Ok((pair.Item1.Value, pair.Item2.Value))
                : Result<(T1, T2), E>.Error(first));
    }

    /// <summary>Calls <paramref name="f"/> on the value of an <c>Ok</c> result.<para>Lwt: <c>Lwt_result.iter</c></para></summary>
    /// <param name="f">The action.</param>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise Iter<T, E>(Func<T, Promise> f, Promise<Result<T, E>> promise)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsOk ? f(r.Value) : Promise.ReturnUnit);
    }

    /// <summary>Calls <paramref name="f"/> on the error of an <c>Error</c> result.<para>Lwt: <c>Lwt_result.iter_error</c></para></summary>
    /// <param name="f">The action.</param>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterError<T, E>(Func<E, Promise> f, Promise<Result<T, E>> promise)
    {
        Check(f, promise);
        return promise.Bind(r => r.IsError ? f(r.ErrorValue) : Promise.ReturnUnit);
    }

    /// <summary>
    /// Wraps <paramref name="promise"/> for LINQ query syntax over the <c>Ok</c> value
    /// (<c>let*</c> / <c>let+</c> of <c>Lwt_result.Syntax</c>).
    /// <para>Lwt: <c>Lwt_result.Syntax</c></para>
    /// </summary>
    /// <param name="promise">The promise of a result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static ResultQuery<T, E> Query<T, E>(this Promise<Result<T, E>> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        return new ResultQuery<T, E>(promise);
    }

    private static void Check(object f, object promise)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(promise);
    }
}

/// <summary>
/// A promise of a result seen by LINQ query syntax through its <c>Ok</c> value: <c>from x in
/// p.Query() from y in q select x + y</c> is <c>let* x = p in let* y = q in return (x + y)</c>.
/// Query syntax has no form of <c>and*</c>/<c>and+</c> (both promises started, then
/// joined): that is <see cref="LwtResult.Both{T1, T2, E}"/>, <c>from xy in LwtResult.Both(p, q).Query() ...</c>.
/// Converts implicitly to and from <see cref="Promise{T}"/> of <see cref="Result{T, E}"/>.
/// <para>Lwt: <c>Lwt_result.Syntax</c></para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
/// <typeparam name="E">The type of the error.</typeparam>
public readonly struct ResultQuery<T, E>
{
    /// <summary>Wraps <paramref name="promise"/>.<para>Lwt: <c>Lwt_result.Syntax</c></para></summary>
    /// <param name="promise">The promise of a result.</param>
    public ResultQuery(Promise<Result<T, E>> promise) => Promise = promise;

    /// <summary>The wrapped promise.<para>Lwt: <c>('a, 'e) Lwt_result.t</c></para></summary>
    public Promise<Result<T, E>> Promise { get; }

    /// <summary>Maps the <c>Ok</c> value (<c>let+</c>).<para>Lwt: <c>Lwt_result.map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new value.</typeparam>
    public ResultQuery<U, E> Select<U>(Func<T, U> f) => new(LwtResult.Map(f, Promise));

    /// <summary>Binds the <c>Ok</c> value (<c>let*</c>).<para>Lwt: <c>Lwt_result.bind</c></para></summary>
    /// <param name="f">The continuation.</param>
    /// <param name="project">Combines the two values.</param>
    /// <typeparam name="U">The type of the second value.</typeparam>
    /// <typeparam name="V">The type of the combined value.</typeparam>
    public ResultQuery<V, E> SelectMany<U, V>(Func<T, Promise<Result<U, E>>> f, Func<T, U, V> project)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(project);
        // A null from f is rejected as LwtResult.Bind rejects it, not by Map's argument check.
        return new(LwtResult.Bind(Promise,
            x => LwtResult.Map(y => project(x, y), ThrowHelper.NullAsRejected(f(x)))));
    }

    /// <summary>Binds the <c>Ok</c> value to a query (<c>let*</c>).<para>Lwt: <c>Lwt_result.bind</c></para></summary>
    /// <param name="f">The continuation.</param>
    /// <param name="project">Combines the two values.</param>
    /// <typeparam name="U">The type of the second value.</typeparam>
    /// <typeparam name="V">The type of the combined value.</typeparam>
    public ResultQuery<V, E> SelectMany<U, V>(Func<T, ResultQuery<U, E>> f, Func<T, U, V> project)
    {
        ArgumentNullException.ThrowIfNull(f);
        return SelectMany(x => f(x).Promise, project);
    }

    /// <summary>The awaiter of the wrapped promise.<para>Lwt: <c>Lwt.bind</c></para></summary>
    public PromiseAwaiter<Result<T, E>> GetAwaiter() => Promise.GetAwaiter();

    /// <summary>Unwraps.<para>Lwt: <c>('a, 'e) Lwt_result.t</c></para></summary>
    /// <param name="query">The query.</param>
    public static implicit operator Promise<Result<T, E>>(ResultQuery<T, E> query) => query.Promise;

    /// <summary>Wraps.<para>Lwt: <c>('a, 'e) Lwt_result.t</c></para></summary>
    /// <param name="promise">The promise.</param>
    public static implicit operator ResultQuery<T, E>(Promise<Result<T, E>> promise) => new(promise);
}
