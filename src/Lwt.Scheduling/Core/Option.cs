using System.Diagnostics.CodeAnalysis;

namespace Lwt;

/// <summary>
/// OCaml's <c>'a option</c>: either <see cref="None"/> or <see cref="Some"/> of a value.
/// Lwt's functions that return an option (<c>Lwt_stream.get</c>, <c>Lwt_mvar.take_available</c>, ...)
/// return this type.
/// <para>Lwt: <c>'a option</c></para>
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct Option<T> : IEquatable<Option<T>>
{
    private readonly T _value;

    private Option(T value)
    {
        _value = value;
        HasValue = true;
    }

    /// <summary>The empty option, OCaml's <c>None</c>.<para>Lwt: <c>None</c></para></summary>
    public static Option<T> None => default;

    /// <summary>An option holding <paramref name="value"/>, OCaml's <c>Some value</c>.<para>Lwt: <c>Some v</c></para></summary>
    /// <param name="value">The value (may itself be null for reference types).</param>
    public static Option<T> Some(T value) => new(value);

    /// <summary><see langword="true"/> for <c>Some _</c>, <see langword="false"/> for <c>None</c>.<para>Lwt: <c>Option.is_some</c></para></summary>
    public bool HasValue { get; }

    /// <summary>The value of <c>Some v</c>.<para>Lwt: <c>Option.get</c></para></summary>
    /// <exception cref="InvalidOperationException">The option is <c>None</c>.</exception>
    public T Value
    {
        get
        {
            if (!HasValue) ThrowNone();
            return _value;
        }
    }

    /// <summary>The value when present, otherwise <paramref name="defaultValue"/>.<para>Lwt: <c>Option.value ~default</c></para></summary>
    /// <param name="defaultValue">What to return for <c>None</c>.</param>
    public T GetValueOrDefault(T defaultValue) => HasValue ? _value : defaultValue;

    /// <summary>Gets the value when present.<para>Lwt: a <c>match</c> on <c>Some v</c> / <c>None</c></para></summary>
    /// <param name="value">The value of <c>Some v</c>; default for <c>None</c>.</param>
    /// <returns>Whether the option holds a value.</returns>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return HasValue;
    }

    /// <inheritdoc/>
    public bool Equals(Option<T> other) =>
        HasValue == other.HasValue && (!HasValue || EqualityComparer<T>.Default.Equals(_value, other._value));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Option<T> o && Equals(o);

    /// <inheritdoc/>
    public override int GetHashCode() => HasValue ? HashCode.Combine(true, _value) : 0;

    /// <summary>Formats as OCaml does: <c>None</c> or <c>Some v</c>.<para>Lwt: none (formatting)</para></summary>
    public override string ToString() => HasValue ? $"Some {_value}" : "None";

    /// <summary>Structural equality.<para>Lwt: <c>Option.equal</c></para></summary>
    public static bool operator ==(Option<T> left, Option<T> right) => left.Equals(right);

    /// <summary>Structural inequality.<para>Lwt: <c>not (Option.equal ...)</c></para></summary>
    public static bool operator !=(Option<T> left, Option<T> right) => !left.Equals(right);

    [DoesNotReturn]
    private static void ThrowNone() =>
        throw new InvalidOperationException("The option is None; check HasValue (or use TryGetValue) before reading Value.");
}

/// <summary>Helpers to build <see cref="Option{T}"/> values with type inference.<para>Lwt: <c>Some</c> / <c>None</c></para></summary>
public static class Option
{
    /// <summary><c>Some value</c>, with the type inferred.<para>Lwt: <c>Some v</c></para></summary>
    /// <param name="value">The value.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    public static Option<T> Some<T>(T value) => Option<T>.Some(value);

    /// <summary><c>None</c> of the given type.<para>Lwt: <c>None</c></para></summary>
    /// <typeparam name="T">The type of the missing value.</typeparam>
    public static Option<T> None<T>() => Option<T>.None;
}
