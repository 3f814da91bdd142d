namespace Lwt.Interop;

/*
 * Task -> promise for a Task that is not complete yet: the promise itself waits for the
 * Task. It is created on the calling thread, so it belongs to the loop that called
 * ToPromise (or to none). Its continuation (one delegate) is registered with the loop's
 * SynchronizationContext captured: the Task runs it inline when it completes on the loop
 * thread and posts it to the loop otherwise, so the promise is resolved on its loop, never
 * on the pool thread. Off any loop, it is registered without a context and resolves on the
 * thread that runs the Task's continuations (the completing thread, or the pool); should it
 * still run off the owning loop, it posts itself there.
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
    private CancellationTokenSource? _cancellation;

    /// <param name="task">The Task to follow, not complete yet.</param>
    /// <param name="cancellation">FromTask's token source; null for ToPromise (not cancelable).</param>
    internal TaskPromise(Task task, CancellationTokenSource? cancellation) : base(CancelMode.NotCancelable)
    {
        _task = task;
        if (cancellation is not null)
        {
            _cancellation = cancellation;
            var signal = new Promise<Unit>(CancelMode.CancelThis);
            CallbackStore.Add(signal, new CancelSignal(this));
            _cancelMode = CancelMode.PropagateToOne;
            _link = signal;
        }
        // On the owning loop, its SynchronizationContext is current: the Task then runs the
        // continuation inline when it completes on the loop thread and posts it to the loop
        // otherwise (a continuation registered without the context would be sent to the
        // pool when completed on the loop, since the loop's context forbids inlining).
        if (_owner != 0 && SynchronizationContext.Current is LwtSynchronizationContext { Loop.IsOnLoopThread: true })
            task.GetAwaiter().UnsafeOnCompleted(OnTaskCompleted);
        else
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnTaskCompleted);
    }

    private void OnTaskCompleted()
    {
        // _owner of this object never changes, even when it has become a proxy since.
        if (LoopRegistry.ForeignOwner(_owner) is { } loop && loop.TryPost(OnTaskCompleted)) return;
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
