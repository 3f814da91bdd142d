using System.Runtime.CompilerServices;

namespace Lwt.Interop;

/*
 * Promise -> Task for a pending promise, without a token: one callback node on the promise
 * that owns the Task it completes. (AsTask(token) has its own node, TokenTaskSource.cs.)
 *
 * No TaskCompletionSource. The Task is made by an AsyncTaskMethodBuilder held in the node:
 * the builder's Task is a plain promise-style Task<T>, and its SetResult/SetException are the
 * public way to complete it with exactly the mapping of API.md: SetException of an
 * OperationCanceledException ends the Task Canceled keeping that exception object (awaiting
 * it rethrows the same object), any other exception ends it Faulted with that object as the
 * one inner exception. A TaskCompletionSource would be one more object (24 B) around the
 * same Task. The builder throws if the Task is already complete; nothing else completes it
 * here, and the node runs once (the promise resolves once), so it never does.
 *
 * Node + Task is the floor for a Task over a promise: the Task cannot be the callback
 * (a Task cannot be completed by a subclass through public API) and the promise's storage
 * only holds callbacks and dependent promises.
 *
 * The node is attached on the promise's loop thread (AwaitSupport.Register marshals), so it runs
 * there when the promise resolves.
 *
 * Where the Task's continuations run. The Task does not ask for asynchronous continuations,
 * and need not: while the loop runs, its LwtSynchronizationContext is current on its thread,
 * and .NET inlines a Task's continuations only where that is a "valid location" for them:
 * an await that captured this very context resumes inline (it belongs on the loop anyway,
 * and saves a hop through the loop's queue); every other await continuation (the pool's,
 * another context's, ConfigureAwait(false)) is queued to its own context or to the pool, so
 * code awaiting from elsewhere never resumes on the loop thread. (RunContinuationsAsynchronously
 * would add a queue hop to every await on the loop; the perf workload interop-astask measured
 * it at about +300 ns.)
 *
 * Off any loop (a promise of no loop, or of a stopped loop, resolved on the pool), no
 * context stops .NET from inlining: the awaiting code goes on inside the promise's callbacks.
 * It is not one of them, so the completion first leaves them (ResolutionLoop.
 * LeaveCallbacksOffLoop): a Resolve made by that code runs its callbacks as at top level,
 * instead of after the code returns, where a Task it waited for would never complete.
 */

/// <summary>Completes a <see cref="Task{TResult}"/> when the promise it is attached to resolves.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
internal sealed class TaskSource<T> : Callback
{
    // Mutable struct: never readonly, its methods write its one field (the Task, made at once).
    private AsyncTaskMethodBuilder<T> _builder;

    internal TaskSource() => _ = _builder.Task;

    internal Task<T> Task => _builder.Task;

    internal override void Invoke(Promise source)
    {
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // continuations inlined here are not callbacks (file comment)
        if (source._status == Status.Fulfilled) _builder.SetResult(((Promise<T>)source)._value);
        else _builder.SetException(source.Rejection);
    }
}

/// <summary>Completes a <see cref="Task"/> when the promise it is attached to resolves.</summary>
internal sealed class TaskSource : Callback
{
    // Mutable struct: never readonly, its methods write its one field (the Task, made at once).
    private AsyncTaskMethodBuilder _builder;

    internal TaskSource() => _ = _builder.Task;

    internal Task Task => _builder.Task;

    internal override void Invoke(Promise source)
    {
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // continuations inlined here are not callbacks (file comment)
        if (source._status == Status.Fulfilled) _builder.SetResult();
        else _builder.SetException(source.Rejection);
    }
}
