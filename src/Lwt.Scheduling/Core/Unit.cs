namespace Lwt;

/// <summary>
/// The type with exactly one value, OCaml's <c>()</c>. A <see cref="Promise{T}"/> of
/// <see cref="Unit"/> is Lwt's <c>unit Lwt.t</c>.
/// <para>Lwt: <c>unit</c></para>
/// </summary>
public readonly struct Unit : IEquatable<Unit>
{
    /// <summary>The only value of the type, OCaml's <c>()</c>.<para>Lwt: <c>()</c></para></summary>
    public static readonly Unit Value;

    /// <summary>Always <see langword="true"/>: all units are equal.<para>Lwt: <c>() = ()</c></para></summary>
    /// <param name="other">Another unit.</param>
    public bool Equals(Unit other) => true;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Unit;

    /// <inheritdoc/>
    public override int GetHashCode() => 0;

    /// <summary>Returns <c>()</c>, as OCaml prints it.<para>Lwt: none (formatting)</para></summary>
    public override string ToString() => "()";

    /// <summary>Always <see langword="true"/>.<para>Lwt: <c>() = ()</c></para></summary>
    public static bool operator ==(Unit left, Unit right) => true;

    /// <summary>Always <see langword="false"/>.<para>Lwt: <c>() &lt;&gt; ()</c></para></summary>
    public static bool operator !=(Unit left, Unit right) => false;
}
