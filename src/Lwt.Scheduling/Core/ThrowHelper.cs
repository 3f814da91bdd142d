using System.Diagnostics.CodeAnalysis;

namespace Lwt;

/// <summary>Throws from cold helpers so that the hot callers stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowArgumentNull(string paramName) => throw new ArgumentNullException(paramName);

    [DoesNotReturn]
    internal static void ThrowNotPending(Promise p) =>
        throw new InvalidOperationException(
            $"The promise is already {(p.IsFulfilled ? "fulfilled" : "rejected")}: a promise is resolved at most once. " +
            "Use TryResolve/TryReject when resolving may race.");

    [DoesNotReturn]
    internal static void ThrowNotFulfilled(Promise p) =>
        throw new InvalidOperationException(p.IsPending
            ? "The promise is still pending: await it, or check IsFulfilled before reading Value."
            : "The promise was rejected; read Exception instead of Value.", p.Exception);

    [DoesNotReturn]
    internal static void ThrowEmpty(string function) =>
        throw new ArgumentException($"{function} needs at least one promise (Lwt raises Invalid_argument on an empty list).", "promises");

    [DoesNotReturn]
    internal static void ThrowForeignThread() => throw new InvalidOperationException(ForeignThreadMessage);

    /// <summary>The message of <see cref="ThrowForeignThread"/>, by which the exit hooks tell that refusal apart (LwtExitHooks).</summary>
    internal const string ForeignThreadMessage =
        "This promise belongs to an event loop running on another thread. Attach callbacks on the loop thread " +
        "(EventLoop.Post), or use the Task adapters in Lwt.Interop (AsTask) from other threads.";

    internal static Exception NullPromise() =>
        new InvalidOperationException("A callback returned null instead of a promise; return Promise.ReturnUnit (or another promise).");

    /// <summary>
    /// A callback's promise, or for null the promise rejected with <see cref="NullPromise"/>
    /// that every function taking a promise-returning callback gives in its place (rather
    /// than the NullReferenceException of awaiting or binding null).
    /// </summary>
    internal static Promise NullAsRejected(Promise? p) => p ?? Promise.Fail(NullPromise());

    /// <inheritdoc cref="NullAsRejected(Promise?)"/>
    internal static Promise<T> NullAsRejected<T>(Promise<T>? p) => p ?? Promise.Fail<T>(NullPromise());
}
