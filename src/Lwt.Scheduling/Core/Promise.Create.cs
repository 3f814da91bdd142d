namespace Lwt;

/*
 * Making promises: pending ones with their resolvers (Lwt.wait, Lwt.task) and resolved
 * ones (Lwt.return, Lwt.fail and their shorthands return_ok, fail_with, of_result...).
 * The unit, boolean and empty-list promises are shared instances, as Lwt's return_unit/
 * return_true/return_false/return_nil: a resolved promise never changes, so sharing is
 * safe, even across threads.
 */

public partial class Promise
{
    private static readonly Promise<Unit> s_unit = new(default(Unit));
    private static readonly Promise<bool> s_true = new(true);
    private static readonly Promise<bool> s_false = new(false);

    /// <summary>
    /// A pending promise and its resolver. The promise is not cancelable: <see cref="Cancel"/>
    /// does nothing to it.
    /// <para>Lwt: <c>Lwt.wait</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    public static (Promise<T> Promise, Resolver<T> Resolver) Create<T>()
    {
        var p = new Promise<T>(CancelMode.NotCancelable);
        return (p, new Resolver<T>(p));
    }

    /// <summary>
    /// A pending, cancelable promise and its resolver: <see cref="Cancel"/> rejects it with
    /// <see cref="CanceledException"/>.
    /// <para>Lwt: <c>Lwt.task</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    public static (Promise<T> Promise, Resolver<T> Resolver) CreateCancelable<T>()
    {
        var p = new Promise<T>(CancelMode.CancelThis);
        return (p, new Resolver<T>(p));
    }

    /// <summary>A pending <c>unit</c> promise and its resolver, not cancelable.<para>Lwt: <c>Lwt.wait</c></para></summary>
    public static (Promise<Unit> Promise, Resolver<Unit> Resolver) Create() => Create<Unit>();

    /// <summary>A pending, cancelable <c>unit</c> promise and its resolver.<para>Lwt: <c>Lwt.task</c></para></summary>
    public static (Promise<Unit> Promise, Resolver<Unit> Resolver) CreateCancelable() => CreateCancelable<Unit>();

    /// <summary>A promise already fulfilled with <paramref name="value"/>.<para>Lwt: <c>Lwt.return</c></para></summary>
    /// <param name="value">The value.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    public static Promise<T> Return<T>(T value) => new(value);

    /// <summary>A promise already fulfilled with <c>()</c> (the shared <see cref="ReturnUnit"/>).<para>Lwt: <c>Lwt.return ()</c></para></summary>
    public static Promise<Unit> Return() => s_unit;

    /// <summary>The one shared promise fulfilled with <c>()</c>.<para>Lwt: <c>Lwt.return_unit</c></para></summary>
    public static Promise<Unit> ReturnUnit => s_unit;

    /// <summary>The one shared promise fulfilled with <see langword="true"/>.<para>Lwt: <c>Lwt.return_true</c></para></summary>
    public static Promise<bool> ReturnTrue => s_true;

    /// <summary>The one shared promise fulfilled with <see langword="false"/>.<para>Lwt: <c>Lwt.return_false</c></para></summary>
    public static Promise<bool> ReturnFalse => s_false;

    /// <summary>A promise already fulfilled with <c>None</c>.<para>Lwt: <c>Lwt.return_none</c></para></summary>
    /// <typeparam name="T">The type of the missing value.</typeparam>
    public static Promise<Option<T>> ReturnNone<T>() => new(Option<T>.None);

    /// <summary>A promise already fulfilled with <c>Some value</c>.<para>Lwt: <c>Lwt.return_some</c></para></summary>
    /// <param name="value">The value.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    public static Promise<Option<T>> ReturnSome<T>(T value) => new(Option<T>.Some(value));

    /// <summary>
    /// The one shared promise (per <typeparamref name="T"/>) fulfilled with the empty list.
    /// <para>Lwt: <c>Lwt.return_nil</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the (missing) elements.</typeparam>
    public static Promise<IReadOnlyList<T>> ReturnNil<T>() => NilHolder<T>.Nil;

    /// <summary>A promise already fulfilled with <c>Ok value</c>.<para>Lwt: <c>Lwt.return_ok</c></para></summary>
    /// <param name="value">The value.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="E">The type of the (missing) error.</typeparam>
    public static Promise<Result<T, E>> ReturnOk<T, E>(T value) => new(Result<T, E>.Ok(value));

    /// <summary>A promise already fulfilled with <c>Error error</c>.<para>Lwt: <c>Lwt.return_error</c></para></summary>
    /// <param name="error">The error.</param>
    /// <typeparam name="T">The type of the (missing) value.</typeparam>
    /// <typeparam name="E">The type of the error.</typeparam>
    public static Promise<Result<T, E>> ReturnError<T, E>(E error) => new(Result<T, E>.Error(error));

    /// <summary>
    /// A promise fulfilled with the value of <c>Ok value</c>, or rejected with the exception
    /// of <c>Error exception</c>.
    /// <para>Lwt: <c>Lwt.of_result</c></para>
    /// </summary>
    /// <param name="result">The result.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is an <c>Error</c> whose exception is null.</exception>
    public static Promise<T> OfResult<T>(Result<T, Exception> result) =>
        result.TryGetRejection(out var exception, nameof(result)) ? new Promise<T>(exception) : new Promise<T>(result.Value);

    /// <summary>
    /// A promise already rejected with an <see cref="Exception"/> carrying
    /// <paramref name="message"/>: OCaml's <c>Failure message</c>, which .NET has no
    /// narrower type for.
    /// <para>Lwt: <c>Lwt.fail_with</c></para>
    /// </summary>
    /// <param name="message">The message.</param>
    /// <typeparam name="T">The type of the (missing) value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static Promise<T> FailWith<T>(string message)
    {
        if (message is null) ThrowHelper.ThrowArgumentNull(nameof(message));
        return new Promise<T>(new Exception(message));
    }

    /// <summary>An untyped promise already rejected with an <see cref="Exception"/> carrying <paramref name="message"/>.<para>Lwt: <c>Lwt.fail_with</c></para></summary>
    /// <param name="message">The message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static Promise FailWith(string message) => FailWith<Unit>(message);

    /// <summary>
    /// A promise already rejected with an <see cref="ArgumentException"/> carrying
    /// <paramref name="message"/>: OCaml's <c>Invalid_argument message</c>.
    /// <para>Lwt: <c>Lwt.fail_invalid_arg</c></para>
    /// </summary>
    /// <param name="message">The message.</param>
    /// <typeparam name="T">The type of the (missing) value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static Promise<T> FailInvalidArg<T>(string message)
    {
        if (message is null) ThrowHelper.ThrowArgumentNull(nameof(message));
        return new Promise<T>(new ArgumentException(message));
    }

    /// <summary>An untyped promise already rejected with an <see cref="ArgumentException"/> carrying <paramref name="message"/>.<para>Lwt: <c>Lwt.fail_invalid_arg</c></para></summary>
    /// <param name="message">The message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static Promise FailInvalidArg(string message) => FailInvalidArg<Unit>(message);

    /// <summary>A promise already rejected with <paramref name="exception"/>.<para>Lwt: <c>Lwt.fail</c></para></summary>
    /// <param name="exception">The exception.</param>
    /// <typeparam name="T">The type of the (missing) value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public static Promise<T> Fail<T>(Exception exception)
    {
        if (exception is null) ThrowHelper.ThrowArgumentNull(nameof(exception));
        return new Promise<T>(exception);
    }

    /// <summary>An untyped promise already rejected with <paramref name="exception"/>.<para>Lwt: <c>Lwt.fail</c></para></summary>
    /// <param name="exception">The exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public static Promise Fail(Exception exception) => Fail<Unit>(exception);

    /// <summary>
    /// Calls <paramref name="f"/>: a returned value gives a fulfilled promise, a thrown
    /// exception a rejected one.
    /// <para>Lwt: <c>Lwt.wrap</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Wrap<T>(Func<T> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            return new Promise<T>(f());
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<T>(e);
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/>: returning gives <see cref="ReturnUnit"/>, throwing a
    /// rejected promise.
    /// <para>Lwt: <c>Lwt.wrap</c></para>
    /// </summary>
    /// <param name="f">The action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise Wrap(Action f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        try
        {
            f();
            return s_unit;
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            return new Promise<Unit>(e);
        }
    }

    // One empty-list promise per element type, built on first use: a resolved promise never
    // changes and the empty array cannot be written to, so every caller may share it.
    private static class NilHolder<T>
    {
        internal static readonly Promise<IReadOnlyList<T>> Nil = new(Array.Empty<T>());
    }
}
