namespace Lwt.Interop;

/*
 * Promise -> Task for a pending promise: one callback node on the promise that owns the
 * TaskCompletionSource. It is attached on the promise's loop thread (AwaitSupport.Register
 * marshals), so it runs there when the promise resolves; the source runs the Task's
 * continuations asynchronously so that they never run inline on the loop thread.
 *
 * With a token (AsTask(token)): the registration cancels the Task at once and posts
 * Cancel() to the promise's loop, where the node is also detached (a non-cancelable
 * promise that never resolves does not keep it). The registration is released when the
 * promise resolves first. The registration may be published after the promise resolved
 * (AsTask attaches first, registers second): a full fence on each side makes sure that one
 * of the two sees the other and unregisters.
 */

/// <summary>The token handling shared by <see cref="TaskSource"/> and <see cref="TaskSource{T}"/>.</summary>
internal abstract class TaskSourceBase : Callback
{
    private readonly Promise _promise;
    private readonly CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _registered;

    protected TaskSourceBase(Promise promise, CancellationToken token)
    {
        _promise = promise;
        _token = token;
    }

    /// <summary>The Task being completed.</summary>
    private protected abstract Task UntypedTask { get; }

    /// <summary>Ends the Task Canceled with <paramref name="token"/>; false when it already ended.</summary>
    private protected abstract bool TrySetCanceled(CancellationToken token);

    /// <summary>Registers on the token (after the node is attached or queued to be).</summary>
    internal void RegisterToken()
    {
        var registration = _token.UnsafeRegister(static s => ((TaskSourceBase)s!).OnToken(), this);
        _registration = registration;
        Volatile.Write(ref _registered, 1);
        Interlocked.MemoryBarrier();
        if (UntypedTask.IsCompleted) registration.Unregister();
    }

    /// <summary>Releases the token registration, if it is published yet (called once the Task ended).</summary>
    private protected void ReleaseToken()
    {
        if (_token.CanBeCanceled)
        {
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _registered) != 0) _registration.Unregister();
        }
    }

    private void OnToken()
    {
        if (!TrySetCanceled(_token)) return;
        var p = _promise.Underlying();
        if (p._status == Status.Pending && LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(CancelAndDetach)) return;
        CancelAndDetach();
    }

    /// <summary>On the promise's loop: Lwt's cancel, then forget this node if the promise is still pending.</summary>
    private void CancelAndDetach()
    {
        try
        {
            _promise.Cancel();
        }
        catch (Exception e)
        {
            Promise.ReportUnhandled(e);
        }
        var p = _promise.Underlying();
        if (p._status == Status.Pending) CallbackStore.Detach(p, this);
    }
}

/// <summary>Completes a <see cref="Task"/> when the promise it is attached to resolves.</summary>
internal sealed class TaskSource : TaskSourceBase
{
    private readonly TaskCompletionSource _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskSource(Promise promise, CancellationToken token) : base(promise, token)
    {
    }

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
    private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskSource(Promise<T> promise, CancellationToken token) : base(promise, token)
    {
    }

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
