using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace Lwt.Interop;

/*
 * Promise -> ValueTask for a pending promise (AsValueTask): one callback node on the promise
 * that is also the ValueTask's IValueTaskSource. No Task at all: an `await` in an async
 * method hands the source the runtime's shared static continuation with the method's box as
 * its state, so the node is the only object of the adapter (a Task-backed ValueTask needs
 * the Task plus the runtime's context continuation object at each await).
 *
 * One node per call, never pooled: a ValueTask may be awaited once, but nothing stops a
 * caller from keeping it and asking again (IsCompleted, a second GetResult); a pooled source
 * reused by then would answer for another promise. So the token is always 0 and not checked.
 *
 * Hand-off between the two threads involved. The node completes on the promise's loop
 * (Invoke); the awaiting code may register its continuation (OnCompleted) on any thread, at
 * any time. The result (value or exception) is written before _status, which is published
 * with a volatile write: whoever sees a final status sees the result. The continuation slot
 * is claimed with one compare-exchange by each side: OnCompleted stores the continuation
 * (its state and context written before, published by the exchange); completion stores the
 * Completed sentinel. Whoever comes second runs the continuation: completion, on the loop,
 * as described below; OnCompleted, always asynchronously (never inline on the registering
 * thread), to the captured context or the pool.
 *
 * Where the continuation runs: as a Task's await continuation would with TaskSource.cs, so
 * that code awaiting the ValueTask never resumes on the loop thread by surprise:
 *  - it captured a SynchronizationContext: inline when that context is current (an await on
 *    the loop resuming on the loop, no hop through its queue), else posted to it;
 *  - it captured a TaskScheduler: inline when that scheduler is current, else started on it;
 *  - no context (the pool, ConfigureAwait(false)): inline only where a Task would inline it
 *    (no SynchronizationContext of a derived type, the default scheduler), so not on a loop
 *    thread, whose context is current; otherwise queued to the pool (the node is the work
 *    item: no allocation).
 * An ExecutionContext to flow (OnCompleted without the Unsafe prefix) is kept with the
 * scheduling context in a small holder, and the continuation runs in it.
 */

/// <summary>The state and hand-off of <see cref="ValueTaskSource{T}"/> and <see cref="ValueTaskSource"/>. See the file comment.</summary>
internal abstract class ValueTaskSourceBase : Callback, IThreadPoolWorkItem
{
    private const int Pending = 0, Succeeded = 1, Faulted = 2, Canceled = 3;

    /// <summary>In the continuation slot: the node completed before any continuation came.</summary>
    private static readonly Action<object?> s_completed = static _ => throw new InvalidOperationException("The completed sentinel is never run.");

    private static readonly SendOrPostCallback s_post = static s => ((ValueTaskSourceBase)s!).RunContinuation();
    private static readonly Action<object?> s_start = static s => ((ValueTaskSourceBase)s!).RunContinuation();

    private Action<object?>? _continuation;
    private object? _continuationState;

    /// <summary>Null, a SynchronizationContext, a TaskScheduler, or an <see cref="ExecutionCapture"/> around one of these.</summary>
    private object? _context;

    private Exception? _error;
    private int _status;

    /// <summary>Ends with a rejection: Canceled for an OperationCanceledException, else Faulted.</summary>
    private protected void SetError(Exception error)
    {
        _error = error;
        Complete(error is OperationCanceledException ? Canceled : Faulted);
    }

    /// <summary>Ends fulfilled (the value is written).</summary>
    private protected void Succeed() => Complete(Succeeded);

    /// <summary>Publishes the status (the result is written), then runs a continuation already registered.</summary>
    private void Complete(int status)
    {
        Volatile.Write(ref _status, status);
        if (Interlocked.CompareExchange(ref _continuation, s_completed, null) is not null) Dispatch(mayInline: true);
    }

    /// <summary>Whether the node has completed, and how.</summary>
    public ValueTaskSourceStatus GetStatus(short token) => Volatile.Read(ref _status) switch
    {
        Pending => ValueTaskSourceStatus.Pending,
        Succeeded => ValueTaskSourceStatus.Succeeded,
        Canceled => ValueTaskSourceStatus.Canceled,
        _ => ValueTaskSourceStatus.Faulted,
    };

    /// <summary>Returns if fulfilled; rethrows the rejection itself (the same object); complains when pending.</summary>
    private protected void ThrowIfNotSucceeded()
    {
        int status = Volatile.Read(ref _status);
        if (status == Succeeded) return;
        if (status == Pending) throw new InvalidOperationException("The ValueTask has not completed: GetResult is called by await once it has.");
        ExceptionDispatchInfo.Throw(_error!);
    }

    /// <summary>Registers the awaiting code's continuation. See the file comment.</summary>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (Volatile.Read(ref _continuation) is { } registered && !ReferenceEquals(registered, s_completed)) ThrowAwaitedTwice();
        object? context = null;
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
        {
            var sc = SynchronizationContext.Current;
            if (sc is not null && sc.GetType() != typeof(SynchronizationContext)) context = sc;
            else if (TaskScheduler.Current is var ts && ts != TaskScheduler.Default) context = ts;
        }
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 && ExecutionContext.Capture() is { } ec)
            context = new ExecutionCapture(ec, context);
        _continuationState = state;
        _context = context;
        var previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (previous is null) return;
        if (!ReferenceEquals(previous, s_completed)) ThrowAwaitedTwice();
        // Completed in the meantime: the continuation is now ours to run, never inline here.
        _continuation = continuation;
        Dispatch(mayInline: false);
    }

    [DoesNotReturn]
    private static void ThrowAwaitedTwice() =>
        throw new InvalidOperationException("The ValueTask of AsValueTask was awaited twice: it may be awaited once.");

    /// <summary>Runs the registered continuation where it belongs (see the file comment).</summary>
    private void Dispatch(bool mayInline)
    {
        var context = _context;
        if (context is ExecutionCapture capture) context = capture.Scheduling;
        switch (context)
        {
            case null:
                if (mayInline && TaskLikeInliningAllowed()) RunContinuation();
                else ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                break;
            case SynchronizationContext sc:
                if (mayInline && ReferenceEquals(sc, SynchronizationContext.Current)) RunContinuation();
                else sc.Post(s_post, this);
                break;
            default:
                var ts = (TaskScheduler)context;
                if (mayInline && ReferenceEquals(ts, TaskScheduler.Current)) RunContinuation();
                else Task.Factory.StartNew(s_start, this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, ts);
                break;
        }
    }

    /// <summary>Where the runtime would run a Task's context-free continuation inline (Task's "valid location for inlining").</summary>
    private static bool TaskLikeInliningAllowed()
    {
        var sc = SynchronizationContext.Current;
        return (sc is null || sc.GetType() == typeof(SynchronizationContext)) && TaskScheduler.Current == TaskScheduler.Default;
    }

    void IThreadPoolWorkItem.Execute() => RunContinuation();

    private void RunContinuation()
    {
        if (_context is ExecutionCapture capture)
            ExecutionContext.Run(capture.Context, static s => ((ValueTaskSourceBase)s!).RunContinuationHere(), this);
        else
            RunContinuationHere();
    }

    private void RunContinuationHere() => _continuation!(_continuationState);

    /// <summary>The ExecutionContext to flow, with the scheduling context captured beside it.</summary>
    private sealed class ExecutionCapture(ExecutionContext context, object? scheduling)
    {
        internal ExecutionContext Context => context;

        internal object? Scheduling => scheduling;
    }
}

/// <summary>The <see cref="IValueTaskSource{TResult}"/> of AsValueTask for a pending <see cref="Promise{T}"/>.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
internal sealed class ValueTaskSource<T> : ValueTaskSourceBase, IValueTaskSource<T>
{
    private T _value = default!;

    internal override void Invoke(Promise source)
    {
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // as TaskSource's (TaskSource.cs)
        if (source._status == Status.Fulfilled)
        {
            _value = ((Promise<T>)source)._value;
            Succeed();
        }
        else
        {
            SetError(source.Rejection);
        }
    }

    /// <summary>The value, or the rejection rethrown.</summary>
    public T GetResult(short token)
    {
        ThrowIfNotSucceeded();
        return _value;
    }
}

/// <summary>The <see cref="IValueTaskSource"/> of AsValueTask for a pending untyped <see cref="Promise"/>.</summary>
internal sealed class ValueTaskSource : ValueTaskSourceBase, IValueTaskSource
{
    internal override void Invoke(Promise source)
    {
        using var outside = ResolutionLoop.LeaveCallbacksOffLoop(); // as TaskSource's (TaskSource.cs)
        if (source._status == Status.Fulfilled) Succeed();
        else SetError(source.Rejection);
    }

    /// <summary>Returns, or rethrows the rejection.</summary>
    public void GetResult(short token) => ThrowIfNotSucceeded();
}
