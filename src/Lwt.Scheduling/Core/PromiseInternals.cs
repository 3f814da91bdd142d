namespace Lwt;

/// <summary>
/// The internal state of a promise. <see cref="Proxy"/> is the fourth state of Lwt's
/// <c>promise_state</c>: a promise that has been "made into a reference" to another one.
/// </summary>
internal enum Status : byte
{
    Pending,
    Fulfilled,
    Rejected,
    Proxy,
}

/// <summary>
/// How <see cref="Promise.Cancel"/> treats a pending promise: Lwt's <c>how_to_cancel</c>.
/// Only meaningful while the promise is pending; the targets of the propagating modes are
/// kept in <see cref="Promise._link"/>.
/// </summary>
internal enum CancelMode : byte
{
    /// <summary><c>Lwt.wait</c>, <c>Lwt.no_cancel</c>: the backwards search stops here.</summary>
    NotCancelable,

    /// <summary><c>Lwt.task</c>, <c>Lwt.protected</c>: cancel rejects this promise.</summary>
    CancelThis,

    /// <summary>bind, map, catch, finalize, try_bind, await: cancel the one promise waited on.</summary>
    PropagateToOne,

    /// <summary>join, pick, choose, ...: cancel every promise in an array.</summary>
    PropagateToSeveral,

    /// <summary>
    /// A bind, catch, try_bind or finalize result canceled while its input is already
    /// resolved but its callback has not run yet (trampolined, or queued past the nesting
    /// limit): the cancel applies to the promise the callback returns, once it returns.
    /// See <see cref="Promise.RequestCancelOnceWaiting"/>.
    /// </summary>
    CancelOnceWaiting,
}
