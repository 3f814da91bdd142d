namespace Lwt.Interop;

/// <summary>
/// The SynchronizationContext that <see cref="TaskPromise{T}"/> makes current while it
/// registers its continuation on a Task, and nowhere else: the runtime then keeps the
/// continuation as a context continuation and, on whichever thread completes the Task, calls
/// <see cref="Post"/>, which runs it there at once. The continuation (TaskPromise's
/// OnTaskCompleted) decides where the promise is resolved: on that thread when it may (the
/// owning loop's own thread, a promise of no loop, a loop that has stopped), else by a
/// claimable post to the owning loop. Being current nowhere, it never compares equal to the
/// completing thread's context, so every completion goes through <see cref="Post"/>.
/// </summary>
/// <remarks>
/// Why not simpler: a continuation captured with the loop's own context is posted into the
/// loop's inbox when the Task completes elsewhere, where it waits for a next run that a
/// stopped loop never has; one registered without a context is sent to the thread pool when
/// the Task completes on the loop thread (the loop's context forbids inlining there); and a
/// ContinueWith with ExecuteSynchronously, which has neither problem, costs a continuation
/// Task and measured 80 B and about 40 ns more per ToPromise round trip (interop-topromise).
/// </remarks>
internal sealed class InlineContinuationContext : SynchronizationContext
{
    /// <summary>The one instance.</summary>
    internal static readonly InlineContinuationContext Instance = new();

    private InlineContinuationContext()
    {
    }

    /// <summary>Runs <paramref name="d"/> at once, on the calling thread (the one that completed the Task).</summary>
    public override void Post(SendOrPostCallback d, object? state) => d(state);

    /// <summary>Runs <paramref name="d"/> at once, on the calling thread.</summary>
    public override void Send(SendOrPostCallback d, object? state) => d(state);

    /// <summary>The same instance: it holds no state.</summary>
    public override SynchronizationContext CreateCopy() => this;
}
