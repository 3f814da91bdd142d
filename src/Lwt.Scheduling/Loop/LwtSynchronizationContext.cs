using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// The <see cref="SynchronizationContext"/> of an <see cref="EventLoop"/>: current for
/// everything the loop runs, so that <c>await</c> in ordinary async code resumes on the loop
/// thread. <see cref="Post"/> is safe from any thread; <see cref="Send"/> runs inline on the
/// loop thread and blocks other threads until the loop has run it. <c>async void</c>
/// methods started on the loop are counted (<see cref="EventLoop.OutstandingOperations"/>)
/// and their exceptions reach <see cref="Promise.AsyncExceptionHook"/>.
/// <para>
/// Blocking on a Task from the loop thread (<c>Task.Wait()</c>, <c>.Result</c>,
/// <c>GetAwaiter().GetResult()</c> of a pending task) while the loop has work that only it
/// can run (a continuation posted to it, paused promises, a due timer) is a deadlock: the
/// context asks the runtime to notify it of waits (<see cref="SynchronizationContext.SetWaitNotificationRequired"/>)
/// and throws <see cref="InvalidOperationException"/> instead of hanging (see <see cref="Wait"/>).
/// </para>
/// <para>Lwt: (none: the .NET face of <c>Lwt_main</c>)</para>
/// </summary>
public sealed class LwtSynchronizationContext : SynchronizationContext, ILoopContext
{
    internal LwtSynchronizationContext(EventLoop loop)
    {
        Loop = loop;
        SetWaitNotificationRequired();
    }

    /// <summary>The loop this context posts to.<para>Lwt: none (the .NET SynchronizationContext of the <c>Lwt_main</c> loop)</para></summary>
    public EventLoop Loop { get; }

    int ILoopContext.LoopId => Loop.Id;

    /// <summary>Queues <paramref name="d"/> to run on the loop thread. Safe from any thread. An exception it throws is handled as one from <see cref="EventLoop.Post(Action)"/>'s action.<para>Lwt: <c>Lwt_unix.send_notification</c> and a callback, from any thread</para></summary>
    /// <param name="d">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <exception cref="ArgumentNullException"><paramref name="d"/> is null.</exception>
    /// <remarks>
    /// What is posted until an <c>EventLoopThread</c>'s (or a host's) loop has run its last
    /// iteration still runs, on the loop's thread, before the thread ends. Once the loop's
    /// thread has ended, or is ending (after that last run), nothing can run
    /// <paramref name="d"/>, and it is dropped: unlike
    /// <see cref="EventLoop.Post(Action)"/>, this does not throw, because its callers are
    /// mostly await continuations, where .NET would rethrow the exception on the thread pool as
    /// unhandled and end the process (as AsyncEx's AsyncContext, which drops it too). An
    /// <c>await</c> that captured this context and resumes after the end so never resumes: let
    /// such methods end, or cancel them, before the loop's thread ends.
    /// </remarks>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _ = Loop.TryPostUnlessEnded(d, state); // dropped once the thread has ended or is ending: see the remarks
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the loop thread and waits for it: inline when called on the
    /// loop thread; from another thread, blocks until the loop has run it (it must be running,
    /// or be run later) and rethrows its exception.
    /// <para>Lwt: none (the .NET SynchronizationContext pattern, on the loop)</para></summary>
    /// <param name="d">The callback.</param>
    /// <param name="state">Its argument.</param>
    /// <exception cref="ArgumentNullException"><paramref name="d"/> is null.</exception>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Loop.IsOnLoopThread)
        {
            d(state);
            return;
        }
        SendFromOtherThread(d, state);
    }

    // Apart from Send so that the closure (it captures the parameters, which makes the
    // compiler allocate it on entry to the method) is not made for an inline Send.
    private void SendFromOtherThread(SendOrPostCallback d, object? state)
    {
        using var done = new ManualResetEventSlim();
        ExceptionDispatchInfo? error = null;
        // Under the retirement's lock: a Send racing an EventLoopThread's end runs or throws, never waits for ever.
        Loop.PostUnlessEnded(() =>
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

    /// <summary>
    /// Called by the runtime for the blocking waits of the thread where this context is
    /// current (<c>Monitor.Wait</c> under <c>Task.Wait</c>, a contended <c>lock</c>,
    /// <c>WaitHandle.WaitOne</c>...). On the running loop's thread, an infinite wait is done
    /// in short slices; when a slice ends with the wait unsatisfied while the loop has work
    /// that only it can run, and the wait comes from a Task (Task.Wait, Result, GetResult),
    /// it throws <see cref="InvalidOperationException"/>: the task can only complete once
    /// the loop runs, and the loop cannot run while its thread waits. Other waits (a
    /// contended lock, a Send to another loop, finite timeouts) wait as usual.
    /// <para>Lwt: none (the .NET SynchronizationContext pattern: a blocking wait on the loop thread keeps running the loop)</para></summary>
    /// <param name="waitHandles">The handles.</param>
    /// <param name="waitAll">Whether to wait for all of them.</param>
    /// <param name="millisecondsTimeout">The timeout (-1: infinite).</param>
    /// <returns>The index of the signaled handle, or WAIT_TIMEOUT.</returns>
    /// <exception cref="InvalidOperationException">The wait would deadlock the loop.</exception>
    public override int Wait(IntPtr[] waitHandles, bool waitAll, int millisecondsTimeout)
    {
        if (millisecondsTimeout != Timeout.Infinite || !Loop.IsOnLoopThread || !Loop.IsRunning)
            return WaitHelper(waitHandles, waitAll, millisecondsTimeout);
        return WaitOnLoopThread(waitHandles, waitAll);
    }

    private int WaitOnLoopThread(IntPtr[] waitHandles, bool waitAll)
    {
        bool? fromTask = null;
        for (int slice = 1; ; slice = Math.Min(slice * 2, 64))
        {
            int result = WaitHelper(waitHandles, waitAll, slice);
            if (result != WaitHandle.WaitTimeout) return result;
            if (!Loop.HasWorkOnlyItCanRun()) continue;
            fromTask ??= IsTaskWait(new StackTrace(1, false));
            if (fromTask.Value)
                throw new InvalidOperationException(
                    "Deadlock: the event loop's thread is blocked on a Task that has not completed (Task.Wait, Task.Result, " +
                    "GetAwaiter().GetResult() or a similar blocking wait) while work that only the loop can run is waiting " +
                    "(a continuation posted to the loop, a paused promise or a due timer), so the task can never complete. " +
                    "Await the task (or bind the promise) instead of blocking the loop's thread.");
        }
    }

    /// <summary>Whether the first frame below the threading primitives is a Task wait (Wait, Result, GetResult).</summary>
    private static bool IsTaskWait(StackTrace trace)
    {
        string self = typeof(LwtSynchronizationContext).FullName!;
        foreach (var frame in trace.GetFrames())
        {
            string? type = DiagnosticMethodInfo.Create(frame)?.DeclaringTypeName;
            if (type is null || type == self) continue;
            if (type.StartsWith("System.Threading.Tasks.", StringComparison.Ordinal)) return true;
            if (type.StartsWith("System.Threading.", StringComparison.Ordinal)) continue; // Monitor, ManualResetEventSlim, WaitHandle, Lock...
            return type.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal)
                && (type.Contains("TaskAwaiter", StringComparison.Ordinal) || type.Contains("TaskAwaitable", StringComparison.Ordinal));
        }
        return false;
    }

    /// <summary>The same context: there is one per loop.<para>Lwt: none (the .NET SynchronizationContext pattern)</para></summary>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Counts an <c>async void</c> method started on the loop.<para>Lwt: none (the .NET SynchronizationContext pattern: <c>async void</c> bookkeeping)</para></summary>
    public override void OperationStarted() => Loop.OperationStarted();

    /// <summary>Counts an <c>async void</c> method that finished.<para>Lwt: none (the .NET SynchronizationContext pattern: <c>async void</c> bookkeeping)</para></summary>
    public override void OperationCompleted() => Loop.OperationCompleted();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LwtSynchronizationContext other && ReferenceEquals(other.Loop, Loop);

    /// <inheritdoc/>
    public override int GetHashCode() => Loop.GetHashCode();
}
