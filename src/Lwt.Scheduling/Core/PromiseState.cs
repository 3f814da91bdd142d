namespace Lwt;

/// <summary>
/// The state of a promise as seen from outside.
/// <para>Lwt: <c>Lwt.state</c> (<c>Sleep</c> / <c>Return</c> / <c>Fail</c>)</para>
/// </summary>
public enum PromiseState
{
    /// <summary>Not resolved yet.<para>Lwt: <c>Lwt.Sleep</c></para></summary>
    Pending,

    /// <summary>Resolved with a value.<para>Lwt: <c>Lwt.Return</c></para></summary>
    Fulfilled,

    /// <summary>Resolved with an exception.<para>Lwt: <c>Lwt.Fail</c></para></summary>
    Rejected,
}
