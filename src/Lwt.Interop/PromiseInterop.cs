using System.Runtime.CompilerServices;

namespace Lwt.Interop;

/*
 * Promises and Tasks: the adapters (API.md, "Interop").
 *
 * The mapping, both ways:
 *   fulfilled                              <-> RanToCompletion
 *   rejected with an OperationCanceledException <-> Canceled   (Task -> promise: a CanceledException)
 *   rejected with anything else            <-> Faulted with that same exception object
 *                                              (Task -> promise: the one inner exception,
 *                                               or the Task's own AggregateException when several)
 *
 * Threads. A promise belongs to the loop it was created on; a Task completes anywhere.
 *  - Promise -> Task: a resolved promise gives a completed Task at once (no source object);
 *    a pending one gets a callback (TaskSource.cs) attached on the promise's loop thread
 *    (marshaled there when AsTask is called from elsewhere). The loop's context keeps code
 *    awaiting the Task from elsewhere off the loop thread (TaskSource.cs), so it never
 *    resumes there by surprise. AsValueTask of a pending promise attaches a node that is
 *    itself the ValueTask's source (ValueTaskSource.cs, no Task), with the same rule.
 *  - Task -> promise: the promise is created on the calling thread, so it belongs to the
 *    loop that called ToPromise; the Task's completion is posted to that loop
 *    (TaskPromise.cs). Off any loop, the promise resolves on the thread that completes the Task.
 *
 * Cancellation. AsTask(token) cancels the promise (Lwt's backwards search, on its loop) and
 * ends the Task Canceled at once. FromTask hands a token to the Task and makes the promise
 * cancelable in a way the core already has: the promise "waits on" (PropagateToOne) a
 * hidden cancelable signal promise whose on_cancel callback fires the token, so Cancel()
 * fires the token without rejecting the promise, which then follows the Task.
 */

/// <summary>
/// Adapters between Lwt promises and .NET's <see cref="Task"/>, <see cref="ValueTask"/>,
/// <see cref="CancellationToken"/> and <see cref="IAsyncEnumerable{T}"/>.
/// <para>Lwt: (none: the bridge between <c>'a Lwt.t</c> and .NET's Task)</para>
/// </summary>
public static partial class PromiseInterop
{
    // ------------------------------------------------------------------ Promise -> Task

    /// <summary>
    /// A <see cref="Task{TResult}"/> that completes as <paramref name="promise"/> resolves:
    /// fulfilled gives RanToCompletion with the value; rejected with an
    /// <see cref="OperationCanceledException"/> gives Canceled; any other rejection gives
    /// Faulted with that same exception object. Code awaiting the Task resumes on its own
    /// context (or the thread pool), never on the promise's loop thread by surprise. The Task
    /// ends only when the promise does: a promise left pending by a loop that has stopped
    /// (its <c>LwtMain.Run</c> returned) keeps the Task waiting until something resolves it
    /// (a resolver, from any thread once the loop has stopped). To bound the wait, use
    /// <see cref="AsTask{T}(Promise{T}, CancellationToken)"/> or <see cref="Task.WaitAsync(TimeSpan)"/>.
    /// Of a promise of no loop, the Task completes on the thread that resolves the promise,
    /// and an await with no context of its own resumes there at once, as code of its own, not
    /// as a callback of the promise: a <c>Resolve</c> it makes runs its callbacks at once
    /// (README, "Awaiting a promise in async code").
    /// <para>Lwt: (none: <c>'a Lwt.t</c> seen as a .NET <c>Task&lt;T&gt;</c>)</para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The Task; already completed when the promise is already resolved.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Task<T> AsTask<T>(this Promise<T> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var p = promise.UnderlyingT();
        if (p._status == Status.Fulfilled) return Task.FromResult(p._value);
        if (p._status == Status.Rejected) return CompletedTasks.Rejected<T>(p.Rejection);
        var source = new TaskSource<T>();
        AwaitSupport.Register(promise, source);
        return source.Task;
    }

    /// <summary>
    /// A <see cref="Task"/> that completes as <paramref name="promise"/> resolves, with the
    /// mapping of <see cref="AsTask{T}(Promise{T})"/>; like it, it ends only when the promise
    /// does, even when the promise's loop has stopped.
    /// <para>Lwt: (none: <c>unit Lwt.t</c> seen as a .NET <c>Task</c>)</para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <returns>The Task; already completed when the promise is already resolved.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Task AsTask(this Promise promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var p = promise.Underlying();
        if (p._status == Status.Fulfilled) return Task.CompletedTask;
        if (p._status == Status.Rejected) return CompletedTasks.Rejected(p.Rejection);
        var source = new TaskSource();
        AwaitSupport.Register(promise, source);
        return source.Task;
    }

    /// <summary>
    /// <see cref="AsTask{T}(Promise{T})"/> with a token: when <paramref name="cancellationToken"/>
    /// fires before the promise resolves, <see cref="Promise.Cancel"/> is called on the promise
    /// (on its loop, with Lwt's backwards search) and the Task ends Canceled at once, even when
    /// the promise is not cancelable (its wait is then abandoned, as
    /// <see cref="Task.WaitAsync(CancellationToken)"/> does). A token that fires after the
    /// promise resolved changes nothing. The token registration is released when the Task completes.
    /// <para>
    /// "Resolved" is on the promise's loop: a resolution made from another thread while that
    /// loop runs (a <see cref="Resolver"/> used off the loop) is posted there and counts only
    /// once the loop has run it. A token firing in between still ends the Task Canceled, and the
    /// promise then ends as the posted resolution makes it (fulfilled, say): Task and promise
    /// may disagree in that race, as with <see cref="Task.WaitAsync(CancellationToken)"/>.
    /// </para>
    /// <para>Lwt: <c>Lwt.cancel</c> driven by a .NET <c>CancellationToken</c></para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <param name="cancellationToken">Cancels the promise and the wait.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The Task.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Task<T> AsTask<T>(this Promise<T> promise, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(promise);
        if (!cancellationToken.CanBeCanceled) return promise.AsTask();
        var p = promise.UnderlyingT();
        if (p._status == Status.Fulfilled) return Task.FromResult(p._value);
        if (p._status == Status.Rejected) return CompletedTasks.Rejected<T>(p.Rejection);
        if (cancellationToken.IsCancellationRequested)
        {
            promise.Cancel();
            return Task.FromCanceled<T>(cancellationToken);
        }
        var source = new TokenTaskSource<T>(promise, cancellationToken);
        AwaitSupport.Register(promise, source);
        source.Register();
        return source.Task;
    }

    /// <summary>
    /// <see cref="AsTask(Promise)"/> with a token, as <see cref="AsTask{T}(Promise{T}, CancellationToken)"/>.
    /// <para>Lwt: <c>Lwt.cancel</c> driven by a .NET <c>CancellationToken</c></para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <param name="cancellationToken">Cancels the promise and the wait.</param>
    /// <returns>The Task.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static Task AsTask(this Promise promise, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(promise);
        if (!cancellationToken.CanBeCanceled) return promise.AsTask();
        var p = promise.Underlying();
        if (p._status == Status.Fulfilled) return Task.CompletedTask;
        if (p._status == Status.Rejected) return CompletedTasks.Rejected(p.Rejection);
        if (cancellationToken.IsCancellationRequested)
        {
            promise.Cancel();
            return Task.FromCanceled(cancellationToken);
        }
        var source = new TokenTaskSource(promise, cancellationToken);
        AwaitSupport.Register(promise, source);
        source.Register();
        return source.Task;
    }

    /// <summary>
    /// A <see cref="ValueTask{TResult}"/> for <paramref name="promise"/>, with the mapping of
    /// <see cref="AsTask{T}(Promise{T})"/> and where awaiting code resumes as with it: no allocation
    /// when the promise is already fulfilled, one object (no Task) when it is pending.
    /// <para>Lwt: (none: <c>'a Lwt.t</c> seen as a .NET <c>ValueTask&lt;T&gt;</c>)</para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The ValueTask.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static ValueTask<T> AsValueTask<T>(this Promise<T> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var p = promise.UnderlyingT();
        if (p._status == Status.Fulfilled) return new ValueTask<T>(p._value);
        if (p._status == Status.Rejected) return new ValueTask<T>(CompletedTasks.Rejected<T>(p.Rejection));
        var source = new ValueTaskSource<T>();
        AwaitSupport.Register(promise, source);
        return new ValueTask<T>(source, 0);
    }

    /// <summary>
    /// A <see cref="ValueTask"/> for <paramref name="promise"/>, with the mapping of
    /// <see cref="AsTask(Promise)"/> and where awaiting code resumes as with it: no allocation
    /// when the promise is already fulfilled, one object (no Task) when it is pending.
    /// <para>Lwt: (none: <c>unit Lwt.t</c> seen as a .NET <c>ValueTask</c>)</para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <returns>The ValueTask.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static ValueTask AsValueTask(this Promise promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var p = promise.Underlying();
        if (p._status == Status.Fulfilled) return default;
        if (p._status == Status.Rejected) return new ValueTask(CompletedTasks.Rejected(p.Rejection));
        var source = new ValueTaskSource();
        AwaitSupport.Register(promise, source);
        return new ValueTask(source, 0);
    }
}

/// <summary>Completed Tasks for resolved promises: no TaskCompletionSource.</summary>
internal static class CompletedTasks
{
    /// <summary>A Task ended the way a rejection maps: Canceled for an OperationCanceledException, else Faulted.</summary>
    internal static Task<T> Rejected<T>(Exception exception) =>
        exception is OperationCanceledException oce ? Canceled<T>(oce) : Task.FromException<T>(exception);

    /// <inheritdoc cref="Rejected{T}(Exception)"/>
    internal static Task Rejected(Exception exception) =>
        exception is OperationCanceledException oce ? Canceled<VoidTaskResult>(oce) : Task.FromException(exception);

    /// <summary>
    /// A Canceled Task that keeps <paramref name="exception"/> itself (awaiting it rethrows that
    /// object): the async method builder is the public way to reach Task's
    /// "canceled with this exception" state.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Task<T> Canceled<T>(OperationCanceledException exception)
    {
        var builder = AsyncTaskMethodBuilder<T>.Create();
        _ = builder.Task;
        builder.SetException(exception);
        return builder.Task;
    }

    /// <summary>Stands for "no value" in a Task&lt;T&gt; used as a plain Task.</summary>
    internal readonly struct VoidTaskResult;
}
