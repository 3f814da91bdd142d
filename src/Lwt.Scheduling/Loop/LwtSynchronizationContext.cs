using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// The <see cref="SynchronizationContext"/> of an <see cref="EventLoop"/>: current for
/// everything the loop runs, so that <c>await</c> in ordinary async code resumes on the loop
/// thread. <see cref="Post"/> is safe from any thread; <see cref="Send"/> runs inline on the
/// loop thread and blocks other threads until the loop has run it. <c>async void</c>
/// methods started on the loop are counted (<see cref="EventLoop.OutstandingOperations"/>)
/// and their exceptions reach <see cref="Promise.AsyncExceptionHook"/>.
/// <para>Lwt: (none: the .NET face of <c>Lwt_main</c>)</para>
/// </summary>
public sealed class LwtSynchronizationContext : SynchronizationContext, ILoopContext
{
    internal LwtSynchronizationContext(EventLoop loop) => Loop = loop;

    /// <summary>The loop this context posts to.</summary>
    public EventLoop Loop { get; }

    int ILoopContext.LoopId => Loop.Id;

    /// <summary>Queues <paramref name="d"/> to run on the loop thread. Safe from any thread.</summary>
    /// <param name="d">The callback.</param>
    /// <param name="state">Its argument.</param>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Loop.Post(d, state);
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the loop thread and waits for it: inline when called on the
    /// loop thread; from another thread, blocks until the loop has run it (it must be running,
    /// or be run later) and rethrows its exception.
    /// </summary>
    /// <param name="d">The callback.</param>
    /// <param name="state">Its argument.</param>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Loop.IsOnLoopThread)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        ExceptionDispatchInfo? error = null;
        Loop.Post(() =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        error?.Throw();
    }

    /// <summary>The same context: there is one per loop.</summary>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Counts an <c>async void</c> method started on the loop.</summary>
    public override void OperationStarted() => Loop.OperationStarted();

    /// <summary>Counts an <c>async void</c> method that finished.</summary>
    public override void OperationCompleted() => Loop.OperationCompleted();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LwtSynchronizationContext other && ReferenceEquals(other.Loop, Loop);

    /// <inheritdoc/>
    public override int GetHashCode() => Loop.GetHashCode();
}
