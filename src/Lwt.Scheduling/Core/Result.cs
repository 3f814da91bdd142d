using System.Diagnostics.CodeAnalysis;

namespace Lwt;

/*
 * OCaml's ('a, 'e) result: a value or an error, as a readonly struct (no allocation).
 * The default value is Ok(default(T)), as a default OCaml record has no meaning; build
 * results with Ok and Error.
 */

/// <summary>
/// A value of type <typeparamref name="T"/> or an error of type <typeparamref name="E"/>:
/// OCaml's <c>('a, 'e) result</c>.
/// <para>Lwt: <c>('a, 'e) result</c> (as used by <c>Lwt_result</c>)</para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
/// <typeparam name="E">The type of the error.</typeparam>
public readonly struct Result<T, E> : IEquatable<Result<T, E>>
{
    private readonly T _value;
    private readonly E _error;
    private readonly bool _isError;

    private Result(T value, E error, bool isError)
    {
        _value = value;
        _error = error;
        _isError = isError;
    }

    /// <summary>A successful result, OCaml's <c>Ok value</c>.<para>Lwt: <c>Ok</c></para></summary>
    /// <param name="value">The value.</param>
    public static Result<T, E> Ok(T value) => new(value, default!, false);

    /// <summary>A failed result, OCaml's <c>Error error</c>.<para>Lwt: <c>Error</c></para></summary>
    /// <param name="error">The error.</param>
    public static Result<T, E> Error(E error) => new(default!, error, true);

    /// <summary>Whether this is <c>Ok _</c>.<para>Lwt: <c>Result.is_ok</c></para></summary>
    public bool IsOk => !_isError;

    /// <summary>Whether this is <c>Error _</c>.<para>Lwt: <c>Result.is_error</c></para></summary>
    public bool IsError => _isError;

    /// <summary>The value of <c>Ok value</c>.<para>Lwt: <c>Result.get_ok</c></para></summary>
    /// <exception cref="InvalidOperationException">This is an error.</exception>
    public T Value => _isError ? throw new InvalidOperationException($"The result is Error {_error}; check IsOk before reading Value.") : _value;

    /// <summary>The error of <c>Error error</c>.<para>Lwt: <c>Result.get_error</c></para></summary>
    /// <exception cref="InvalidOperationException">This is a value.</exception>
    public E ErrorValue => _isError ? _error : throw new InvalidOperationException("The result is Ok; check IsError before reading ErrorValue.");

    /// <summary>Gets the value of <c>Ok value</c>.<para>Lwt: <c>match r with Ok v -> ...</c></para></summary>
    /// <param name="value">The value, when Ok.</param>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return !_isError;
    }

    /// <summary>Gets the error of <c>Error error</c>.<para>Lwt: <c>match r with Error e -> ...</c></para></summary>
    /// <param name="error">The error, when Error.</param>
    public bool TryGetError([MaybeNullWhen(false)] out E error)
    {
        error = _error;
        return _isError;
    }

    /// <summary>Calls <paramref name="ok"/> or <paramref name="error"/>.<para>Lwt: <c>Result.fold</c></para></summary>
    /// <param name="ok">Called with the value.</param>
    /// <param name="error">Called with the error.</param>
    /// <typeparam name="U">The type of the answer.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="ok"/> or <paramref name="error"/> is null.</exception>
    public U Match<U>(Func<T, U> ok, Func<E, U> error)
    {
        // Both checked, as API.md wants of every delegate argument: a null for the case this
        // result is not would otherwise go unnoticed until a result of the other case comes.
        ArgumentNullException.ThrowIfNull(ok);
        ArgumentNullException.ThrowIfNull(error);
        return _isError ? error(_error) : ok(_value);
    }

    /// <inheritdoc/>
    public bool Equals(Result<T, E> other) =>
        _isError == other._isError &&
        (_isError ? EqualityComparer<E>.Default.Equals(_error, other._error) : EqualityComparer<T>.Default.Equals(_value, other._value));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Result<T, E> r && Equals(r);

    /// <inheritdoc/>
    public override int GetHashCode() => _isError ? HashCode.Combine(1, _error) : HashCode.Combine(0, _value);

    /// <summary>Formats as OCaml does: <c>Ok v</c> or <c>Error e</c>.<para>Lwt: none (formatting)</para></summary>
    public override string ToString() => _isError ? $"Error {_error}" : $"Ok {_value}";

    /// <summary>Structural equality.<para>Lwt: <c>Result.equal</c></para></summary>
    public static bool operator ==(Result<T, E> left, Result<T, E> right) => left.Equals(right);

    /// <summary>Structural inequality.<para>Lwt: <c>not (Result.equal ...)</c></para></summary>
    public static bool operator !=(Result<T, E> left, Result<T, E> right) => !left.Equals(right);
}

/// <summary>
/// The <c>Error</c> case of a <see cref="Result{T, E}"/> of <see cref="Exception"/> given to a
/// function that rejects a promise with it (OfResult, ResolveResult, ResolveResultNow).
/// </summary>
internal static class ExceptionResult
{
    /// <summary>
    /// True, with the exception, for an <c>Error</c>. An <c>Error</c> holding null is refused
    /// with an <see cref="ArgumentNullException"/> named <paramref name="paramName"/>, the
    /// caller's parameter, not the <c>exception</c> parameter of the Fail or Reject it calls.
    /// </summary>
    internal static bool TryGetRejection<T>(this Result<T, Exception> result, [NotNullWhen(true)] out Exception? exception, string paramName)
    {
        if (!result.TryGetError(out exception)) return false;
        if (exception is null) ThrowHelper.ThrowArgumentNull(paramName);
        return true;
    }
}
