namespace Lwt.Interop;

/*
 * Promise -> Task for a pending promise: one callback node on the promise that owns the
 * TaskCompletionSource. It is attached on the promise's loop thread (AwaitSupport.Register
 * marshals), so it runs there when the promise resolves.
 *
 * Where the Task's continuations run. The source does not ask for asynchronous
 * continuations, and need not: while the loop runs, its LwtSynchronizationContext is
 * current on its thread, and .NET inlines a Task's continuations only where that is a
 * "valid location" for them: an await that captured this very context resumes inline (it
 * belongs on the loop anyway, and saves a hop through the loop's queue); every other await
 * continuation (the pool's, another context's, ConfigureAwait(false)) is queued to its own
 * context or to the pool, so code awaiting from elsewhere never resumes on the loop thread.
 * (RunContinuationsAsynchronously would add a queue hop to every await on the loop; the
 * perf workload interop-astask measured it at about +300 ns.)
 *
 * With a token (AsTask(token)): the registration cancels the Task at once and posts
 * Cancel() to the promise's loop, where the node is also detached (a non-cancelable
 * promise that never resolves does not keep it). The registration is released when the
 * promise resolves first. The registration may be published after the promise resolved
 * (AsTask attaches first, registers second): a full fence on each side makes sure that one
 * of the two sees the other and unregisters.
 */

/// <summary>A callback node that completes a Task; <see cref="Token"/> is set only for AsTask(token).</summary>
internal abstract class TaskSourceBase : Callback
{
    /// <summary>The token handling of AsTask(token); null without a token (keeps the common node small).</summary>
    internal TokenLink? Token;

    /// <summary>The Task being completed.</summary>
    private protected abstract Task UntypedTask { get; }

    /// <summary>Ends the Task Canceled with <paramref name="token"/>; false when it already ended.</summary>
    private protected abstract bool TrySetCanceled(CancellationToken token);

    /// <summary>Registers on <paramref name="token"/> (after the node is attached, or queued to be).</summary>
    internal void RegisterToken(Promise promise, CancellationToken token) => (Token = new TokenLink(this, promise, token)).Register();

    /// <summary>Releases the token registration (called once the Task ended).</summary>
    private protected void ReleaseToken() => Token?.Release();

    /// <summary>The token registration of one AsTask(token) and what it cancels.</summary>
    internal sealed class TokenLink(TaskSourceBase node, Promise promise, CancellationToken token)
    {
        private CancellationTokenRegistration _registration;
        private int _registered;

        internal void Register()
        {
            var registration = token.UnsafeRegister(static s => ((TokenLink)s!).OnToken(), this);
            _registration = registration;
            Volatile.Write(ref _registered, 1);
            Interlocked.MemoryBarrier();
            if (node.UntypedTask.IsCompleted) registration.Unregister();
        }

        internal void Release()
        {
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _registered) != 0) _registration.Unregister();
        }

        private void OnToken()
        {
            if (!node.TrySetCanceled(token)) return;
            var p = promise.Underlying();
            if (p._status == Status.Pending && LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(CancelAndDetach)) return;
            CancelAndDetach();
        }

        /// <summary>On the promise's loop: Lwt's cancel, then forget the node if the promise is still pending.</summary>
        private void CancelAndDetach()
        {
            try
            {
                promise.Cancel();
            }
            catch (Exception e)
            {
                Promise.ReportUnhandled(e);
            }
            var p = promise.Underlying();
            if (p._status == Status.Pending) CallbackStore.Detach(p, node);
        }
    }
}

/// <summary>Completes a <see cref="Task"/> when the promise it is attached to resolves.</summary>
internal sealed class TaskSource : TaskSourceBase
{
    private readonly TaskCompletionSource _source = new();


    internal Task Task => _source.Task;

    private protected override Task UntypedTask => _source.Task;

    private protected override bool TrySetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    internal override void Invoke(Promise source)
    {
        if (source._status == Status.Fulfilled) _source.TrySetResult();
        else if (source._link is OperationCanceledException oce) _source.TrySetFromTask(CompletedTasks.Canceled<CompletedTasks.VoidTaskResult>(oce));
        else _source.TrySetException((Exception)source._link!);
        ReleaseToken();
    }
}

/// <summary>Completes a <see cref="Task{TResult}"/> when the promise it is attached to resolves.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
internal sealed class TaskSource<T> : TaskSourceBase
{
    private readonly TaskCompletionSource<T> _source = new();


    internal Task<T> Task => _source.Task;

    private protected override Task UntypedTask => _source.Task;

    private protected override bool TrySetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    internal override void Invoke(Promise source)
    {
        if (source._status == Status.Fulfilled) _source.TrySetResult(((Promise<T>)source)._value);
        else if (source._link is OperationCanceledException oce) _source.TrySetFromTask(CompletedTasks.Canceled<T>(oce));
        else _source.TrySetException((Exception)source._link!);
        ReleaseToken();
    }
}
