namespace Lwt.Interop;

/*
 * Task -> promise for a Task that is not complete yet: the promise itself waits for the
 * Task. It is created on the calling thread, so it belongs to the loop that called
 * ToPromise (or to none). The Task's continuation (one delegate, stored by the Task as is)
 * runs wherever the Task completes; when that is not the owning loop's thread, the same
 * delegate is posted to the loop, and the promise is resolved there, never on the pool
 * thread. Off any loop, it is resolved on the completing thread.
 *
 * FromTask: the promise also owns the CancellationTokenSource handed to the Task. Its
 * cancel mode is PropagateToOne towards a hidden cancelable "signal" promise: Lwt's
 * backwards search reaches the signal, rejects it, and the signal's on_cancel callback
 * fires the token. This promise is not rejected by Cancel(): it follows the Task, which
 * owns the outcome (API.md).
 */

/// <summary>A promise resolved by a Task (ToPromise, FromTask). See the file comment.</summary>
/// <typeparam name="T">The type of the value; <see cref="Unit"/> for an untyped Task.</typeparam>
internal sealed class TaskPromise<T> : Promise<T>
{
    private readonly Task _task;
    private readonly int _ownerLoop;
    private readonly Action _onCompleted;
    private CancellationTokenSource? _cancellation;

    /// <param name="task">The Task to follow, not complete yet.</param>
    /// <param name="cancellation">FromTask's token source; null for ToPromise (not cancelable).</param>
    internal TaskPromise(Task task, CancellationTokenSource? cancellation) : base(CancelMode.NotCancelable)
    {
        _task = task;
        _ownerLoop = _owner;
        _onCompleted = OnTaskCompleted;
        if (cancellation is not null)
        {
            _cancellation = cancellation;
            var signal = new Promise<Unit>(CancelMode.CancelThis);
            CallbackStore.Add(signal, new CancelSignal(this));
            _cancelMode = CancelMode.PropagateToOne;
            _link = signal;
        }
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onCompleted);
    }

    private void OnTaskCompleted()
    {
        if (LoopRegistry.ForeignOwner(_ownerLoop) is { } loop && loop.TryPost(_onCompleted)) return;
        var p = UnderlyingT();
        if (p._status != Status.Pending) return;
        _cancellation = null;
        var task = _task;
        switch (task.Status)
        {
            case TaskStatus.RanToCompletion:
                p.FulfillCore(typeof(T) == typeof(Unit) && task is not Task<T> ? default! : ((Task<T>)task).Result, allowDeferring: true);
                break;
            case TaskStatus.Canceled:
                p.RejectCore(new CanceledException(), allowDeferring: true);
                break;
            default:
                p.RejectCore(TaskExceptions.Unwrap(task), allowDeferring: true);
                break;
        }
    }

    /// <summary>Called on the loop by the signal's on_cancel callback: fires FromTask's token.</summary>
    private void FireToken()
    {
        var cancellation = _cancellation;
        if (cancellation is null) return;
        try
        {
            cancellation.Cancel();
        }
        catch (Exception e)
        {
            Promise.ReportUnhandled(e);
        }
    }

    private sealed class CancelSignal(TaskPromise<T> owner) : Callback(isCancelCallback: true)
    {
        internal override void Invoke(Promise canceled)
        {
            if (canceled._link is OperationCanceledException) owner.FireToken();
        }
    }
}

/// <summary>The exception a faulted Task maps to.</summary>
internal static class TaskExceptions
{
    /// <summary>The one inner exception, or the Task's own AggregateException when it has several.</summary>
    internal static Exception Unwrap(Task task)
    {
        var aggregate = task.Exception!;
        return aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
    }
}
