using System.Runtime.CompilerServices;

namespace Lwt.Interop;

/*
 * Task -> promise for a Task that is not complete yet: the promise itself waits for the
 * Task. It is created on the calling thread, so it belongs to the loop that called
 * ToPromise (or to none). Its continuation runs on the thread that completes the Task,
 * whatever SynchronizationContext that thread has, and resolves the promise there when
 * that thread may (the owning loop's thread; any thread for a promise of no loop, as
 * API.md says: "called off any loop, the promise resolves on the thread that completes the
 * Task"; or of a loop that has stopped, whose promises are then anyone's, ClaimablePost.cs),
 * and otherwise posts itself, claimably, to the owning loop. So a Task completing on the
 * loop thread resolves the promise inline, with no hop, one completing elsewhere with one
 * hop to the loop, and one completing after the loop stopped on its own thread. A Task made
 * with RunContinuationsAsynchronously is the exception: it asked that nothing run inside its
 * completion, so the promise is resolved by a post to its loop, or from the pool.
 *
 * How the continuation gets to run on the completing thread: it is an awaiter continuation
 * registered while InlineContinuationContext is current (see that class), whose Post runs
 * it at once. The alternatives each failed one case or cost more:
 *  - captured with the loop's own context, it is posted into the loop's inbox when the Task
 *    completes elsewhere, where it waits for a next run that a stopped loop never has: a
 *    ToPromise or FromTask promise of a loop that had stopped before its Task completed
 *    never resolved, and whoever waited for it hung;
 *  - registered without a context, it is sent to the thread pool when the Task completes on
 *    the loop thread (the loop's context forbids inlining there): two hops instead of none;
 *  - a ContinueWith with ExecuteSynchronously has neither problem, but its continuation
 *    Task measured 264 -> 344 B and about 105 -> 148 ns per round trip (interop-topromise).
 *
 * What a pending ToPromise costs: this promise with its Task (56 B), the continuation's
 * delegate (64 B) and the runtime's context continuation (48 B).
 *
 * FromTask (CancelableTaskPromise): the promise also owns the CancellationTokenSource
 * handed to the Task (a field ToPromise's promises do not carry). Its
 * cancel mode is PropagateToOne towards a hidden cancelable "signal" promise: Lwt's
 * backwards search reaches the signal, rejects it, and the signal's on_cancel callback
 * fires the token. This promise is not rejected by Cancel(): it follows the Task, which
 * owns the outcome (API.md).
 */

/// <summary>A promise resolved by a Task (ToPromise; FromTask's subclass). See the file comment.</summary>
/// <typeparam name="T">The type of the value; <see cref="Unit"/> for an untyped Task.</typeparam>
internal class TaskPromise<T> : Promise<T>
{
    private static readonly SendOrPostCallback s_post = static s => ((TaskPromise<T>)s!).Resolve();

    private protected readonly Task _task;

    /// <param name="task">The Task to follow, not complete yet.</param>
    internal TaskPromise(Task task) : this(task, follow: true)
    {
    }

    /// <summary>For FromTask's subclass, which sets up its cancellation before calling <see cref="Follow"/>.</summary>
    private protected TaskPromise(Task task, bool follow) : base(CancelMode.NotCancelable)
    {
        _task = task;
        if (follow) Follow();
    }

    /// <summary>Registers this promise's continuation on its Task (once, from a constructor).</summary>
    private protected void Follow()
    {
        // Captured with InlineContinuationContext current: on the completing thread, whatever
        // SynchronizationContext that thread has, OnTaskCompleted runs at once and decides
        // there whether to resolve or to post to the owning loop (file comment).
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(InlineContinuationContext.Instance);
        try
        {
            _task.GetAwaiter().UnsafeOnCompleted(OnTaskCompleted);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    // The Task's continuation, on the thread that completed it (InlineContinuationContext).
    private void OnTaskCompleted()
    {
        if ((_task.CreationOptions & TaskCreationOptions.RunContinuationsAsynchronously) != 0) ResolveLater();
        else Resolve();
    }

    /// <summary>
    /// For a Task made with RunContinuationsAsynchronously, which asks that no continuation
    /// run inside its completion: resolves by a post to the owning loop while it runs, else
    /// from the thread pool, as the runtime would have run a continuation.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ResolveLater()
    {
        if (LoopRegistry.Get(_owner) is { IsRunning: true } loop && PostTo(loop)) return;
        ThreadPool.UnsafeQueueUserWorkItem(static promise => promise.Resolve(), this, preferLocal: false);
    }

    /// <summary>Resolves the promise as its Task ended: here when this thread may, else by a post to the owning loop.</summary>
    private void Resolve()
    {
        // _owner of this object never changes, even when it has become a proxy since.
        if (LoopRegistry.ForeignOwner(_owner) is { } loop && PostTo(loop)) return;
        var p = UnderlyingT();
        if (!p.MayResolve) return; // of no loop, it may have been made a proxy since
        // Of a loop that has stopped (ForeignOwner found none running): anyone's now, and another
        // thread may be awaiting it right now; resolved under its lock, as one of no loop
        // (Core/Promise.Shared.cs), or an attach made meanwhile under that lock is lost.
        bool offItsLoop = _owner != 0 && _owner != ResolutionLoop.Current.LoopId;
        var task = _task;
        switch (task.Status)
        {
            case TaskStatus.RanToCompletion:
                var value = typeof(T) == typeof(Unit) && task is not Task<T> ? default! : ((Task<T>)task).Result;
                if (offItsLoop) p.FulfillShared(value, allowDeferring: true);
                else p.FulfillCore(value, allowDeferring: true);
                break;
            case TaskStatus.Canceled:
                Reject(p, new CanceledException(), offItsLoop);
                break;
            default:
                Reject(p, TaskExceptions.Unwrap(task), offItsLoop);
                break;
        }
    }

    private static void Reject(Promise<T> p, Exception exception, bool offItsLoop)
    {
        if (offItsLoop) p.RejectShared(exception, allowDeferring: true);
        else p.RejectCore(exception, allowDeferring: true);
    }

    /// <summary>
    /// Off the owning loop while it runs: run there, as a claimable post (no new delegate), so
    /// that a loop stopping before it gets to it runs it at its exit; false once it has stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool PostTo(ILoopDispatcher loop) => loop.TryPostClaimable(new PostedCallback(s_post, this));
}

/// <summary>
/// FromTask's promise: a <see cref="TaskPromise{T}"/> that also owns the token source handed
/// to the Task, fired by Lwt's cancellation through a hidden signal promise. See the file comment.
/// </summary>
/// <typeparam name="T">The type of the value; <see cref="Unit"/> for an untyped Task.</typeparam>
internal sealed class CancelableTaskPromise<T> : TaskPromise<T>
{
    private readonly CancellationTokenSource _cancellation;

    /// <param name="task">The Task to follow, not complete yet.</param>
    /// <param name="cancellation">The token source whose token the Task was given.</param>
    internal CancelableTaskPromise(Task task, CancellationTokenSource cancellation) : base(task, follow: false)
    {
        _cancellation = cancellation;
        var signal = new Promise<Unit>(CancelMode.CancelThis);
        CallbackStore.Add(signal, new CancelSignal(this));
        _cancelMode = CancelMode.PropagateToOne;
        _link = signal;
        Follow();
    }

    /// <summary>Called on the loop by the signal's on_cancel callback: fires the token, unless this promise is already resolved.</summary>
    private void FireToken()
    {
        if (CurrentStatus != Status.Pending) return;
        try
        {
            _cancellation.Cancel();
        }
        catch (Exception e)
        {
            Promise.ReportUnhandled(e);
        }
    }

    private sealed class CancelSignal(CancelableTaskPromise<T> owner) : CancelCallback
    {
        private protected override void OnCanceled() => owner.FireToken();
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
