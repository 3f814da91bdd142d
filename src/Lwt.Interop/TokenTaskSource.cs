namespace Lwt.Interop;

/*
 * Promise -> Task for a pending promise with a token (AsTask(token)): one callback node on
 * the promise that owns a TaskCompletionSource and the token registration.
 *
 * Two parties may end the Task here, the node (the promise resolved, on its loop) and the
 * token (any thread): a claim (_winner, below) decides which one wins; the token-less node
 * (TaskSource.cs) has one party and needs none. Where the Task's continuations run: as for
 * TaskSource (the Task does not force asynchronous continuations; the loop's context keeps
 * foreign awaits off the loop thread).
 *
 * The registration cancels the Task, unless the promise is already resolved (then the node
 * ends the Task as the promise ended), and posts Cancel() to the promise's loop, where the
 * node is also detached (a non-cancelable promise that never resolves does not keep it). The
 * post comes before the Task ends: ending it runs the awaiting code's continuations
 * inline on the token's thread, and code there that waits for the loop (which may end only
 * once the cancel arrives: a Join, a Wait) would otherwise hold the thread before the cancel
 * is posted, for ever. So which party ends the Task is decided first, by _winner, not by the
 * TaskCompletionSource: the token claims it, posts, then ends the Task; the node that the
 * posted cancel (or a resolution) runs finds the claim taken and leaves the Task alone.
 *
 * The registration is released when the promise resolves first. The registration may be
 * published after the promise resolved (AsTask attaches first, registers second): a full
 * fence on each side makes sure that one of the two sees the other and unregisters.
 */

/// <summary>A callback node that completes a Task and is canceled by a token. See the file comment.</summary>
internal abstract class TokenTaskSourceBase(Promise promise, CancellationToken token) : DetachableCallback
{
    private CancellationTokenRegistration _registration;
    private int _registered;

    /// <summary>Who ends the Task: 0 not decided, 1 the token, 2 the promise (see the file comment).</summary>
    private int _winner;

    /// <summary>
    /// Called by the node when the promise resolved: true if the promise ends the Task, false
    /// if the token already claimed it (the token's thread ends it Canceled).
    /// </summary>
    private protected bool ClaimForPromise() => Interlocked.CompareExchange(ref _winner, 2, 0) == 0;

    /// <summary>The Task being completed.</summary>
    private protected abstract Task UntypedTask { get; }

    /// <summary>Ends the Task Canceled with <paramref name="token"/>; false when it already ended.</summary>
    private protected abstract bool TrySetCanceled(CancellationToken token);

    /// <summary>Registers on the token (after the node is attached, or queued to be).</summary>
    internal void Register()
    {
        var registration = token.UnsafeRegister(static s => ((TokenTaskSourceBase)s!).OnToken(), this);
        _registration = registration;
        Volatile.Write(ref _registered, 1);
        Interlocked.MemoryBarrier();
        if (UntypedTask.IsCompleted) registration.Unregister();
    }

    /// <summary>Releases the token registration (called once the Task ended).</summary>
    private protected void Release()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _registered) != 0) _registration.Unregister();
    }

    private void OnToken()
    {
        // A token that fires after the promise resolved changes nothing (API.md): the node is
        // then in the resolution's callbacks (or its attach is still queued, and will find the
        // promise resolved) and ends the Task as the promise ended. On the promise's loop (a
        // callback of the same resolution canceling the token) this is exact; from another
        // thread it is the race between the token and the resolution, which either may win.
        if (!promise.IsPending) return;
        if (Interlocked.CompareExchange(ref _winner, 1, 0) != 0) return;
        var p = promise.Underlying();
        if (p._status == Status.Pending && LoopRegistry.ForeignOwner(p._owner) is { } loop && loop.TryPost(CancelAndDetach))
        {
            // Posted first: ending the Task may run code here that waits for that cancel.
            TrySetCanceled(token);
            return;
        }
        TrySetCanceled(token);
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
        if (p._status == Status.Pending) CallbackStore.Detach(p, this);
    }
}

/// <summary>Completes a <see cref="Task"/> when the promise it is attached to resolves, or cancels it with a token.</summary>
internal sealed class TokenTaskSource(Promise promise, CancellationToken token) : TokenTaskSourceBase(promise, token)
{
    private readonly TaskCompletionSource _source = new();

    internal Task Task => _source.Task;

    private protected override Task UntypedTask => _source.Task;

    private protected override bool TrySetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    internal override void InvokeAttached(Promise source)
    {
        if (!ClaimForPromise())
        {
            Release();
            return;
        }
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // as TaskSource's (TaskSource.cs)
        if (source._status == Status.Fulfilled) _source.TrySetResult();
        else
        {
            var e = source.Rejection;
            if (e is OperationCanceledException oce) _source.TrySetFromTask(CompletedTasks.Canceled<CompletedTasks.VoidTaskResult>(oce));
            else _source.TrySetException(e);
        }
        Release();
    }
}

/// <summary>Completes a <see cref="Task{TResult}"/> when the promise it is attached to resolves, or cancels it with a token.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
internal sealed class TokenTaskSource<T>(Promise promise, CancellationToken token) : TokenTaskSourceBase(promise, token)
{
    private readonly TaskCompletionSource<T> _source = new();

    internal Task<T> Task => _source.Task;

    private protected override Task UntypedTask => _source.Task;

    private protected override bool TrySetCanceled(CancellationToken token) => _source.TrySetCanceled(token);

    internal override void InvokeAttached(Promise source)
    {
        if (!ClaimForPromise())
        {
            Release();
            return;
        }
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // as TaskSource's (TaskSource.cs)
        if (source._status == Status.Fulfilled) _source.TrySetResult(((Promise<T>)source)._value);
        else
        {
            var e = source.Rejection;
            if (e is OperationCanceledException oce) _source.TrySetFromTask(CompletedTasks.Canceled<T>(oce));
            else _source.TrySetException(e);
        }
        Release();
    }
}
