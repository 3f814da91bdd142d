using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// Runs the event loop of the calling thread until a promise is resolved: the front door of
/// the library, like AsyncEx's <c>AsyncContext.Run</c>. Several threads may each run their
/// own loop at the same time; one thread runs one loop at a time.
/// <para>Lwt: <c>Lwt_main</c></para>
/// </summary>
public static class LwtMain
{
    /// <summary>Hooks run at the start of every loop iteration.<para>Lwt: <c>Lwt_main.Enter_iter_hooks</c></para></summary>
    public static LwtHooks EnterIterHooks { get; } = new();

    /// <summary>Hooks run at the end of every loop iteration.<para>Lwt: <c>Lwt_main.Leave_iter_hooks</c></para></summary>
    public static LwtHooks LeaveIterHooks { get; } = new();

    /// <summary>
    /// Runs the event loop until <paramref name="promise"/> is resolved, and returns its value
    /// or rethrows its exception with its original stack trace. Returns at once if it is
    /// already resolved, without an iteration: the promises paused by <see cref="Promise.Pause"/>
    /// stay paused until a run iterates, as in later Lwt, whose run looks at its promise first
    /// (ocsigen/lwt#917; 5.6.1's woke them before). The promise may belong to another thread's
    /// running loop, or to no loop and be resolved on another thread: this loop is woken when
    /// it is resolved. A promise that waits on another thread's timers or I/O (a
    /// <see cref="LwtUnix.Sleep(double)"/> made there) resolves only while that thread runs its
    /// loop: run it there, or make the promise on this thread.
    /// <para>
    /// Each thread that runs a loop keeps its engine (<see cref="LwtEngine.Current"/>: an epoll
    /// descriptor and an eventfd on Linux) after <c>Run</c> returns, for its next run, until the
    /// engine is disposed or collected: a thread that ends does not close them. A program that
    /// runs loops on many short-lived threads (a test per thread) holds two descriptors per
    /// ended thread until a garbage collection; call <c>LwtEngine.Current.Dispose()</c> on the
    /// thread after its last run to close them at once.
    /// </para>
    /// <para>Lwt: <c>Lwt_main.run</c></para>
    /// </summary>
    /// <param name="promise">The promise to wait for.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The thread is already inside <c>LwtMain.Run</c>.</exception>
    public static T Run<T>(Promise<T> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        return ((Promise<T>)RunCore(promise, null)).Value;
    }

    /// <inheritdoc cref="Run{T}(Promise{T})"/>
    public static void Run(Promise promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        RunCore(promise, null);
    }

    /// <summary>
    /// Installs the loop's context on the calling thread, calls <paramref name="start"/> on
    /// it, and runs the loop until the promise it returns is resolved (a throw from
    /// <paramref name="start"/> is rethrown); as <see cref="Run{T}(Promise{T})"/>, no
    /// iteration when that promise is already resolved.
    /// <para>Lwt: <c>Lwt_main.run (f ())</c></para>
    /// </summary>
    /// <param name="start">Creates the promise to wait for, on the loop.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The thread is already inside <c>LwtMain.Run</c>,
    /// or <paramref name="start"/> returned null.</exception>
    public static T Run<T>(Func<Promise<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        return ((Promise<T>)RunCore(null, start)).Value;
    }

    /// <inheritdoc cref="Run{T}(Func{Promise{T}})"/>
    public static void Run(Func<Promise> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        RunCore(null, start);
    }

    /// <summary>
    /// As <see cref="Run{T}(Func{Promise{T}})"/>, and <paramref name="cancellationToken"/>
    /// cancels the run's promise when it fires (<c>Lwt.cancel</c>, on this loop, from whatever
    /// thread fires it): a cancelable promise rejects with <see cref="CanceledException"/>,
    /// which <c>Run</c> throws, and what it was waiting for is canceled by Lwt's backwards
    /// search (a sleep, an I/O wait, an <c>await</c> in an <c>async Promise</c> method). A
    /// promise that is not cancelable (<see cref="Promise.Create"/>, <see cref="Promise.Protected"/>)
    /// ignores the cancel and the run goes on. A token already canceled cancels the promise
    /// right after <paramref name="start"/> returns it. The bound for a run that might hang: a
    /// test's <c>LwtMain.Run(() =&gt; Work(), new CancellationTokenSource(timeout).Token)</c>.
    /// <para>Lwt: <c>Lwt_main.run (f ())</c> with a <c>Lwt.cancel</c> of its promise</para>
    /// </summary>
    /// <param name="start">Creates the promise to wait for, on the loop.</param>
    /// <param name="cancellationToken">Cancels the promise when it fires.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The thread is already inside <c>LwtMain.Run</c>,
    /// or <paramref name="start"/> returned null.</exception>
    /// <exception cref="CanceledException">The token canceled the promise (or it was canceled otherwise).</exception>
    public static T Run<T>(Func<Promise<T>> start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        return ((Promise<T>)RunCore(null, start, cancellationToken)).Value;
    }

    /// <inheritdoc cref="Run{T}(Func{Promise{T}}, CancellationToken)"/>
    public static void Run(Func<Promise> start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        RunCore(null, start, cancellationToken);
    }

    /// <summary>
    /// As <see cref="Run{T}(Func{Promise{T}}, CancellationToken)"/>, and while this run runs,
    /// the exceptions that would reach <see cref="Promise.AsyncExceptionHook"/> on this thread
    /// go to <paramref name="asyncExceptionHook"/> instead: rejections of
    /// <see cref="Promise.Async"/> computations, exceptions thrown by <c>On*</c> callbacks
    /// and by the handler of <see cref="Promise.DontWait(Func{Promise}, Action{Exception})"/>.
    /// The process-wide hook is a global; this one belongs to the run, so tests that run loops
    /// in parallel, each on its own thread, each see their own failures (and the default hook
    /// does not end the test host). The previous hook of the thread is back in force when
    /// <c>Run</c> returns; an exception reported after that goes to it, even from a callback
    /// attached during the run.
    /// An exception the hook throws escapes from the code that reported it, as one the global
    /// hook throws does: from <c>Run</c>, when the loop's own work reported it.
    /// <para>Lwt: <c>Lwt_main.run (f ())</c> with <c>Lwt.async_exception_hook</c> set around it</para>
    /// </summary>
    /// <param name="start">Creates the promise to wait for, on the loop.</param>
    /// <param name="asyncExceptionHook">Receives the exceptions nobody else can, on this thread, during this run.</param>
    /// <param name="cancellationToken">Cancels the promise when it fires (see <see cref="Run{T}(Func{Promise{T}}, CancellationToken)"/>).</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> or <paramref name="asyncExceptionHook"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The thread is already inside <c>LwtMain.Run</c>,
    /// or <paramref name="start"/> returned null.</exception>
    /// <exception cref="CanceledException">The token canceled the promise (or it was canceled otherwise).</exception>
    public static T Run<T>(Func<Promise<T>> start, Action<Exception> asyncExceptionHook, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(asyncExceptionHook);
        return ((Promise<T>)RunCore(null, start, cancellationToken, asyncExceptionHook)).Value;
    }

    /// <inheritdoc cref="Run{T}(Func{Promise{T}}, Action{Exception}, CancellationToken)"/>
    public static void Run(Func<Promise> start, Action<Exception> asyncExceptionHook, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(asyncExceptionHook);
        RunCore(null, start, cancellationToken, asyncExceptionHook);
    }

    private static Promise RunCore(Promise? promise, Func<Promise>? start, CancellationToken cancellationToken = default, Action<Exception>? asyncExceptionHook = null)
    {
        if (promise is not null && promise.CurrentStatus != Status.Pending && EventLoop.Current is not { IsRunning: true })
            return ThrowIfRejected(promise);
        var loop = EventLoop.ForCurrentThread();
        loop.Enter();
        // After Enter, which throws for a nested run: the run that owns the thread keeps its hook.
        var resolution = ResolutionLoop.Current;
        // Called inside the callbacks of a promise of no loop (an `await promise.AsTask()` or an
        // `await foreach` over AsAsyncEnumerable off any loop resumes there, on the resolving
        // thread), the thread counts as resolving: the run's own wakeup_laters (a Pause woken,
        // a stream item handed over, its token's cancel) would be queued for the outer frame,
        // which this run blocks, and the run would hang. The loop runs its iterations as from
        // the top of the stack (Lwt_main.run's loop is never inside callbacks), with a
        // wakeup_later queue of its own; the outer frames' nesting and queue are put back when
        // it returns (ResolutionLoop.LeaveCallbacksForRun, the Task adapters' mechanism).
        var outside = resolution.LeaveCallbacksForRun();
        var previousHook = resolution.ExceptionHookOverride;
        if (asyncExceptionHook is not null) resolution.ExceptionHookOverride = asyncExceptionHook;
        var previous = SynchronizationContext.Current;
        Activity? run = null;
        CancellationTokenRegistration cancel = default;
        try
        {
            // Inside the try: a throwing ActivityListener must not leave the loop entered.
            run = LwtRuntimeEvents.StartRun(loop);
            SynchronizationContext.SetSynchronizationContext(loop.SynchronizationContext);
            promise ??= StartOnLoop(start!);
            // Promise.Cancel itself goes to the promise's loop: done at once on this thread (a
            // token already canceled fires inside the registration), posted from any other.
            if (cancellationToken.CanBeCanceled) cancel = cancellationToken.UnsafeRegister(static p => ((Promise)p!).Cancel(), promise);
            loop.RunUntilResolved(promise);
        }
        catch (Exception e) when (run is not null && LwtRuntimeEvents.RunEscaped(run, e))
        {
            // Never entered: the filter only records the escaping exception on the run's span.
            throw;
        }
        finally
        {
            // First: once it returns, no cancel is posted after the run (a callback under way
            // on another thread is waited for; its post, if any, cancels a resolved promise).
            cancel.Dispose();
            resolution.ExceptionHookOverride = previousHook;
            SynchronizationContext.SetSynchronizationContext(previous);
            loop.Exit();
            outside.Dispose();
            if (run is not null) LwtRuntimeEvents.StopRun(run, promise);
        }
        return ThrowIfRejected(promise);
    }

    private static Promise StartOnLoop(Func<Promise> start)
    {
        try
        {
            return start() ?? Promise.Fail(new InvalidOperationException("The start function returned null instead of a promise."));
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    private static Promise ThrowIfRejected(Promise promise)
    {
        var u = promise.Underlying();
        if (u._status == Status.Rejected) ExceptionDispatchInfo.Throw(u.Rejection);
        return promise;
    }

    /// <summary>The functions run when the process exits.<para>Lwt: <c>Lwt_main.Exit_hooks</c></para></summary>
    public static LwtExitHooks ExitHooks { get; } = new();

    /// <summary>
    /// Registers <paramref name="f"/> to run when the process exits (normally, or because of
    /// an unhandled exception): the registered functions run one after the other, the last
    /// registered first, on an event loop of their own; each runs exactly once, including
    /// those registered by an exit function, and what one throws or rejects with is ignored
    /// (as Lwt's exit hooks). Unlike Lwt's, they cannot wait for a sleep or an I/O operation
    /// left pending by a loop that has stopped, or by the loop of a thread blocked in the
    /// exit (frozen until the process ends): the exit does not wait for such a promise
    /// returned by <paramref name="f"/>, and goes on to the next function (see
    /// <see cref="LwtExitHooks"/>; a loop whose thread called <see cref="Environment.Exit"/>
    /// itself from inside <c>Run</c> cannot be recognized, so exit after <c>Run</c> returns).
    /// The same as <c>ExitHooks.AddFirst(f)</c>.
    /// <para>
    /// An exit by the library while the functions run (the default
    /// <see cref="Promise.AsyncExceptionHook"/> after a failure in <see cref="Promise.Async"/>,
    /// <see cref="LwtUnix.HandleUnixError(Func{Promise})"/>) writes its message, sets the exit
    /// code to 2 and ends the pass, as OCaml's <c>exit</c> called from an exit function does:
    /// the functions not yet run do not run, and the process exits with code 2.
    /// <paramref name="f"/> must not call <see cref="Environment.Exit"/> itself: .NET's exit
    /// handlers run them, and an exit from inside an exit handler waits for ever for the exit
    /// already under way, so the process hangs (nothing here can tell that call apart from a
    /// long wait, so it is not intercepted). To choose the exit code, set
    /// <see cref="Environment.ExitCode"/> and return.
    /// </para>
    /// <para>
    /// The .NET runtime raises its exit event on the finalizer thread, which waits while the
    /// functions run: no finalizer runs meanwhile (a channel or stream left to the garbage
    /// collector is not closed by then), and <paramref name="f"/> must not call
    /// <see cref="GC.WaitForPendingFinalizers"/>, which waits for that thread and hangs the
    /// exit for ever. Close what must be closed explicitly.
    /// </para>
    /// <para>Lwt: <c>Lwt_main.at_exit</c></para>
    /// </summary>
    /// <param name="f">The exit function.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static void AtExit(Func<Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        ExitHooks.AddFirst(f);
    }

    /// <summary>Runs and forgets the exit functions, first to last (what process exit does).</summary>
    internal static void RunExitHooks() => ExitHooks.RunAll();

    /// <summary>
    /// Lwt's old name for <see cref="Promise.Pause"/>: a promise resolved at the next
    /// iteration of the loop.
    /// <para>Lwt: <c>Lwt_main.yield</c> (deprecated since Lwt 5.5 in favour of <c>Lwt.pause</c>)</para>
    /// </summary>
    /// <returns>The paused promise.</returns>
    [Obsolete("Lwt_main.yield is deprecated: use Promise.Pause().")]
    public static Promise Yield() => Promise.Pause();

    /// <summary>
    /// Lwt's old name for <see cref="Promise.AbandonPaused"/>: forgets the promises paused on
    /// this thread, which then stay pending.
    /// <para>Lwt: <c>Lwt_main.abandon_yielded_and_paused</c> (deprecated since Lwt 5.5 in favour of <c>Lwt.abandon_paused</c>)</para>
    /// </summary>
    [Obsolete("Lwt_main.abandon_yielded_and_paused is deprecated: use Promise.AbandonPaused().")]
    public static void AbandonYieldedAndPaused() => Promise.AbandonPaused();
}
