namespace Lwt;

/*
 * Rejections nobody waits for. Lwt.async runs a computation whose result nobody holds;
 * if it fails, the exception must not vanish, so it goes to the async exception hook,
 * whose default prints it and ends the process, as an uncaught exception would. The
 * side-effect callbacks (on_success, on_failure, on_cancel, ...) send their own
 * exceptions there too, and so does the deprecated ignore_result for a rejection that
 * comes after the call (one that came before is thrown at the caller). A thrown exception
 * that Promise.ExceptionFilter refuses is not reported: it escapes (from Async, from the
 * On* call on a resolved promise, or from the code that resolved the promise).
 *
 * A hosted event loop replaces the hook for its own thread (ResolutionLoop.ExceptionHookOverride)
 * so that a service's stray exception is logged instead of killing the host; an
 * EventLoopThread given a hook, and a LwtMain.Run given one, do the same for their thread,
 * the latter only while the run runs.
 */

public partial class Promise
{
    private static Action<Exception> s_asyncExceptionHook = DefaultAsyncExceptionHook;

    /// <summary>
    /// Called with the exceptions nobody else can receive: rejections of <see cref="Async"/>
    /// computations, later rejections of <see cref="IgnoreResult"/>'s promise and exceptions
    /// thrown by <c>On*</c> callbacks (<see cref="DontWait"/>'s handler included). On the
    /// thread of the event loop that Lwt.Interop's <c>AddLwtEventLoop</c> hosts, they are
    /// logged instead; during a <see cref="LwtMain.Run(Func{Promise}, Action{Exception}, CancellationToken)"/>
    /// they go to that run's hook. The default writes the exception to standard error and ends the
    /// process with exit code 2 (while the exit hooks run, it ends their pass instead, with
    /// exit code 2, as Lwt's <c>exit 2</c> does there: see <see cref="LwtMain.AtExit"/>).
    /// Applications may replace it; libraries should leave it alone.
    /// <para>Lwt: <c>Lwt.async_exception_hook</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public static Action<Exception> AsyncExceptionHook
    {
        get => Volatile.Read(ref s_asyncExceptionHook);
        set
        {
            if (value is null) ThrowHelper.ThrowArgumentNull(nameof(value));
            Volatile.Write(ref s_asyncExceptionHook, value);
        }
    }

    private static void DefaultAsyncExceptionHook(Exception exception)
    {
        try
        {
            Console.Error.WriteLine($"Fatal error: exception {exception}");
            Console.Error.Flush();
        }
        finally
        {
            ExitProcess(2);
        }
    }

    /// <summary>
    /// Set by the exit hooks (LwtExitHooks, in the loop layer, which the core does not name):
    /// while their pass runs it ends the pass instead of the process and does not return;
    /// otherwise it returns at once. See <see cref="ExitProcess"/>.
    /// </summary>
    internal static Action<int>? ExitDuringExitHooks;

    /// <summary>
    /// The managed id of the thread that called <see cref="ExitProcess"/>'s
    /// <see cref="Environment.Exit"/> (0: none). That thread stays blocked in the exit while the
    /// ProcessExit handlers run (on a thread of the runtime's), so its loop, if it was inside
    /// LwtMain.Run, is frozen: the exit hooks do not wait for its promises (LwtExitHooks).
    /// </summary>
    internal static int ExitingThreadId;

    /// <summary>
    /// Lwt's <c>exit</c> for the library's own exits (the default hook above, and
    /// <c>LwtUnix.HandleUnixError</c>): <see cref="Environment.Exit"/>, except while the exit
    /// hooks run. The process is then already exiting, and .NET's ProcessExit handler waits for
    /// the hooks: <see cref="Environment.Exit"/> there would wait for that exit to end, which
    /// waits for the hooks, for ever. So the exit hooks end their pass instead, as OCaml's
    /// <c>exit</c> called from an <c>at_exit</c> function does (LwtExitHooks), and the
    /// process exits with <paramref name="code"/>. Never returns.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void ExitProcess(int code)
    {
        Volatile.Read(ref ExitDuringExitHooks)?.Invoke(code);
        Interlocked.CompareExchange(ref ExitingThreadId, Environment.CurrentManagedThreadId, 0);
        Environment.Exit(code);
    }

    /// <summary>Passes an unhandled exception to this thread's hook (a hosted loop's) or the global one.</summary>
    internal static void ReportUnhandled(Exception exception)
    {
        var hook = ResolutionLoop.Current.ExceptionHookOverride ?? AsyncExceptionHook;
        hook(exception);
    }

    /// <summary>
    /// Calls <paramref name="f"/> and does not wait for its promise; if <paramref name="f"/>
    /// throws or its promise is rejected, the exception goes to <see cref="AsyncExceptionHook"/>
    /// (a throw that <see cref="ExceptionFilter"/> refuses escapes from here instead). A null
    /// that <paramref name="f"/> returns counts as a promise rejected with
    /// <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt.async</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static void Async(Func<Promise> f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        Promise p;
        try
        {
            p = f() ?? Promise<Unit>.FromException(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            ReportUnhandled(e);
            return;
        }
        var u = p.Underlying();
        var status = u._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Rejected) ReportUnhandled(u.Rejection);
        else if (status != Status.Fulfilled) AttachCallback(u, new SideEffectCallback(SideEffectCallback.Kind.Failure, (Action<Exception>)ReportUnhandled));
    }

    /// <summary>
    /// Calls <paramref name="f"/> and does not wait for its promise; if <paramref name="f"/>
    /// throws or its promise is rejected, <paramref name="handler"/> gets the exception (a null
    /// that <paramref name="f"/> returns counts as a promise rejected with
    /// <see cref="InvalidOperationException"/>). What <paramref name="handler"/> throws goes to
    /// <see cref="AsyncExceptionHook"/>, as from an <c>On*</c> callback.
    /// <para>Lwt: <c>Lwt.dont_wait</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="handler">Receives the exception.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The promise <paramref name="f"/> returned is pending and belongs to an event loop running
    /// on another thread (<paramref name="f"/> has run).
    /// </exception>
    public static void DontWait(Func<Promise> f, Action<Exception> handler)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        if (handler is null) ThrowHelper.ThrowArgumentNull(nameof(handler));
        Promise p;
        try
        {
            p = f() ?? Promise<Unit>.FromException(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            ExceptionFilter.RethrowIfRefused(e);
            // As Lwt (try f () with exn -> fail exn): the same as a rejected promise, so an
            // exception from the handler goes to the hook here too, not to the caller.
            p = Promise<Unit>.FromException(e);
        }
        p.OnFailure(handler);
    }

    /// <summary>
    /// Lets <paramref name="promise"/> run and ignores its value. If it is already rejected,
    /// its exception is thrown here, at once; if it is pending and is rejected later, the
    /// exception goes to <see cref="AsyncExceptionHook"/>, as for <see cref="Async"/>.
    /// Lwt deprecates it: use <see cref="Async"/> (or <see cref="DontWait"/>) instead.
    /// <para>Lwt: <c>Lwt.ignore_result</c></para>
    /// </summary>
    /// <param name="promise">The promise.</param>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// <paramref name="promise"/> is pending and belongs to an event loop running on another thread.
    /// </exception>
    [Obsolete("Lwt deprecates ignore_result: use Promise.Async(() => promise) so that an early rejection reaches the hook too, or Promise.DontWait with a handler.")]
    public static void IgnoreResult(Promise promise)
    {
        if (promise is null) ThrowHelper.ThrowArgumentNull(nameof(promise));
        var u = promise.Underlying();
        // Rethrown with its original stack (Lwt's reraise), not wrapped: the caller sees the
        // very exception the promise was rejected with.
        var status = u._status; // read once: another thread may resolve a promise of no loop
        if (status == Status.Rejected) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(u.Rejection);
        else if (status != Status.Fulfilled) AttachCallback(u, new SideEffectCallback(SideEffectCallback.Kind.Failure, (Action<Exception>)ReportUnhandled));
    }
}
