namespace Lwt;

/// <summary>
/// The state of a promise as seen from outside.
/// <para>Lwt: <c>Lwt.state</c> (<c>Sleep</c> / <c>Return</c> / <c>Fail</c>)</para>
/// </summary>
public enum PromiseState
{
    /// <summary>Not resolved yet (Lwt's <c>Sleep</c>).</summary>
    Pending,

    /// <summary>Resolved with a value (Lwt's <c>Return</c>).</summary>
    Fulfilled,

    /// <summary>Resolved with an exception (Lwt's <c>Fail</c>).</summary>
    Rejected,
}
