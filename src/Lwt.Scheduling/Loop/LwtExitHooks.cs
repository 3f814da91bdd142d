namespace Lwt;

/*
 * Lwt_main.Exit_hooks: the functions run when the process exits.
 *
 * Unlike the iteration hooks (LwtHooks), which every loop runs around every iteration and
 * which must be cheap to read, these are read once, at exit, one at a time: the first hook
 * is taken out and run to completion, then the next first one, until none is left, so a
 * hook that an exit hook adds runs too, and each runs once (lwt_main.ml's call_hooks). A
 * plain list under a lock does it.
 *
 * They run on a thread of their own, in an event loop of their own, when the runtime
 * raises AppDomain.ProcessExit, or AppDomain.UnhandledException for an exception that ends
 * the process (OCaml's at_exit runs on both: the program's normal end and an uncaught
 * exception; .NET raises no ProcessExit for the second). What one throws or rejects with is
 * ignored, as Lwt ignores it. LwtMain.AtExit is AddFirst, as Lwt's at_exit is
 * Exit_hooks.add_first, so the last function registered with AtExit runs first.
 *
 * Their own loop, because .NET raises ProcessExit on a thread of its own while the thread
 * that ran LwtMain.Run waits for the handlers to end: no loop of the program is running
 * then, and none can be run on its thread. This is where they differ from Lwt, whose one
 * loop runs the hooks: a sleep or an I/O operation that was started on a loop and was
 * still pending when that loop stopped does not progress while the hooks run. A hook must
 * start what it waits for itself: new reads, writes, flushes and sleeps run in the hooks'
 * loop.
 *
 * Promises that cannot progress. Only the loop that owns a promise runs its sleeps, its
 * I/O and the callbacks marshaled to it. So the pass does not wait for a hook's pending
 * promise owned by a loop that is not running (its Run has returned, or its thread has
 * died), nor by a frozen loop: the loop of the thread that waits for the pass, and that of
 * the thread that called the library's exit (Promise.ExitProcess: the default async
 * exception hook, HandleUnixError) from inside LwtMain.Run, which stays blocked in
 * Environment.Exit until the process ends (.NET runs the ProcessExit handlers on a thread
 * of its own, not on the thread that called the exit). Such a promise would be waited for
 * in vain, and the process would never end; the pass goes on to the next hook instead. A
 * promise of no loop (resolved from any thread), of the hooks' loop, or of another loop
 * still running is waited for. Two limits. Only the promise the hook returns can be
 * checked: a promise of the hooks' loop that itself waits on one of a stopped loop (a Map
 * of a stale sleep) still waits for ever, which is why the docs tell hooks not to wait for
 * such operations. And a thread that calls Environment.Exit itself from inside
 * LwtMain.Run is not known: while blocked there it looks like a loop thread busy in a
 * long synchronous wait (the same thread state), which must be waited for, so its loop's
 * promises are waited for, for ever; the docs say to leave LwtMain.Run before exiting.
 *
 * An exit during the pass. OCaml's exit runs the at_exit functions that have not run yet,
 * then ends the process with its code. Lwt's at_exit function is the one running the hooks,
 * so it is not run again: an `exit 2` from inside a hook (the default async exception hook,
 * Unix.handle_unix_error) leaves the hooks not yet taken unrun and ends the process with
 * code 2. Here the library's exits (Promise.ExitProcess) do the same while a pass runs:
 * they set Environment.ExitCode, stop the pass (no further hook is taken), release the
 * thread that waits for it (the ProcessExit handler, which then returns and lets the
 * runtime end the process with that code), and block the calling thread for good, as exit
 * does not return (after an unhandled exception, the runtime then ends the process as the
 * crash it is, whatever the code). They cannot call Environment.Exit there: a second exit waits for the
 * first one to end, and the first one waits for its handlers, hence for this pass.
 * A hook's own Environment.Exit is that very hang (.NET hangs the same way when any
 * ProcessExit handler calls it), and nothing tells it apart from a hook in a long wait:
 * that thread is in WaitSleepJoin either way, and the exit code it latches may be the one
 * already set. So it is not guessed at; the docs say to set Environment.ExitCode instead.
 *
 * A hook that touches a pending promise of a loop running on another thread (a frozen
 * loop, typically, which works in Lwt, whose one loop runs the hooks) is refused with the
 * cross-thread InvalidOperationException. That is a failure Lwt cannot have, so unlike the
 * hook failures Lwt ignores silently, it is written to standard error.
 */

/// <summary>
/// A function registered in <see cref="LwtMain.ExitHooks"/>; pass it to <see cref="LwtExitHooks.Remove"/>.
/// <para>Lwt: <c>Lwt_main.Exit_hooks.hook</c></para>
/// </summary>
public sealed class LwtExitHook
{
    internal LwtExitHook(Func<Promise> function) => Function = function;

    internal Func<Promise> Function { get; }
}

/// <summary>
/// The functions run, one after the other, when the process exits (normally, or because of
/// an unhandled exception), first to last: each is taken out of the sequence and run to
/// completion on an event loop of its own, then the next, including those added meanwhile;
/// what one throws or rejects with is ignored. A function must not wait for an operation
/// (a sleep, a read, a write) started on a loop that has stopped: nothing runs that loop
/// any more. Operations the function starts itself run. The pass does not wait for a
/// pending promise a function returns when the loop that owns it is not running, or is the
/// loop of a thread blocked in the library's exit (frozen until the process ends): it goes
/// on to the next function. A promise of no loop, or of a loop still running, is waited
/// for; so is one of a loop whose thread called <see cref="Environment.Exit"/> itself from
/// inside <see cref="LwtMain.Run(Promise)"/>, which cannot be told apart from a busy loop,
/// and is waited for in vain: leave <see cref="LwtMain.Run(Promise)"/> before exiting. An exit
/// by the library during the pass (the default <see cref="Promise.AsyncExceptionHook"/>,
/// <see cref="LwtUnix.HandleUnixError(Func{Promise})"/>) sets the exit code and ends the
/// pass: the functions not yet run do not run. Changes are safe from any thread.
/// <para>Lwt: <c>Lwt_main.Exit_hooks</c></para>
/// </summary>
public sealed class LwtExitHooks
{
    private readonly object _gate = new();
    private readonly LinkedList<LwtExitHook> _hooks = new();
    private bool _processExitHooked;

    /// <summary>The pass under way, if any; read by <see cref="ExitDuringPass"/> from any thread.</summary>
    private Pass? _pass;

    internal LwtExitHooks()
    {
        // The core's exits (Promise.ExitProcess) reach the pass through this: the core does
        // not name the loop layer. There is one instance (LwtMain.ExitHooks).
        Promise.ExitDuringExitHooks = ExitDuringPass;
    }

    /// <summary>The number of functions waiting to run at exit.<para>Lwt: none (the length of the <c>Lwt_sequence</c> of hooks)</para></summary>
    public int Count
    {
        get
        {
            lock (_gate) return _hooks.Count;
        }
    }

    /// <summary>Adds a function that runs before the others.<para>Lwt: <c>Lwt_main.Exit_hooks.add_first</c></para></summary>
    /// <param name="hook">The function.</param>
    /// <returns>The registration, for <see cref="Remove"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public LwtExitHook AddFirst(Func<Promise> hook) => Add(hook, first: true);

    /// <summary>Adds a function that runs after the others.<para>Lwt: <c>Lwt_main.Exit_hooks.add_last</c></para></summary>
    /// <param name="hook">The function.</param>
    /// <returns>The registration, for <see cref="Remove"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public LwtExitHook AddLast(Func<Promise> hook) => Add(hook, first: false);

    private LwtExitHook Add(Func<Promise> function, bool first)
    {
        ArgumentNullException.ThrowIfNull(function, "hook");
        var hook = new LwtExitHook(function);
        lock (_gate)
        {
            if (first) _hooks.AddFirst(hook);
            else _hooks.AddLast(hook);
            if (!_processExitHooked)
            {
                _processExitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
                AppDomain.CurrentDomain.UnhandledException += (_, e) => OnUnhandledException(e.IsTerminating);
            }
        }
        return hook;
    }

    /// <summary>Removes a function (nothing happens if it is not there, or has already run).<para>Lwt: <c>Lwt_main.Exit_hooks.remove</c></para></summary>
    /// <param name="hook">The registration returned by <see cref="AddFirst"/> or <see cref="AddLast"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public void Remove(LwtExitHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        lock (_gate) _hooks.Remove(hook);
    }

    /// <summary>Removes every function.<para>Lwt: <c>Lwt_main.Exit_hooks.remove_all</c></para></summary>
    public void RemoveAll()
    {
        lock (_gate) _hooks.Clear();
    }

    /// <summary>
    /// Runs and forgets the functions, first to last, on a thread of their own (what process
    /// exit does), and returns when they are done or an exit has ended the pass.
    /// </summary>
    internal void RunAll()
    {
        if (Count == 0) return;
        var pass = new Pass(Environment.CurrentManagedThreadId);
        Pass? outer = Interlocked.Exchange(ref _pass, pass);
        try
        {
            // A background thread: an exit blocks it for good (ExitDuringPass), and the
            // runtime must not wait for it.
            var thread = new Thread(() => RunPass(pass)) { Name = "Lwt at_exit", IsBackground = true };
            thread.Start();
            pass.Ended.Wait();
        }
        finally
        {
            Interlocked.CompareExchange(ref _pass, outer, pass);
        }
    }

    private void RunPass(Pass pass)
    {
        try
        {
            while (TakeFirst(pass) is { } function)
            {
                try
                {
                    LwtMain.Run(() => Start(function, pass));
                }
                catch (Exception e)
                {
                    // Ignored, as Lwt_main's exit hooks ignore it; only the refusal Lwt cannot
                    // have is reported (file comment).
                    ReportIfRefusedAcrossThreads(e);
                }
            }
        }
        finally
        {
            pass.Ended.Set();
        }
    }

    /// <summary>Calls a function; its promise, or none to wait for when it cannot progress (file comment).</summary>
    private static Promise Start(Func<Promise> function, Pass pass)
    {
        Promise promise = function();
        return promise is not null && pass.CannotProgress(promise) ? Promise.ReturnUnit : promise!;
    }

    /// <summary>
    /// The exit of <see cref="Promise.ExitProcess"/> while a pass runs, on any thread: sets the
    /// exit code, ends the pass, lets its waiter return, and never returns (file comment).
    /// Returns at once when no pass runs.
    /// </summary>
    private void ExitDuringPass(int code)
    {
        if (Volatile.Read(ref _pass) is not { } pass) return;
        Environment.ExitCode = code;
        lock (_gate) pass.Exited = true;
        pass.Ended.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    private static void ReportIfRefusedAcrossThreads(Exception e)
    {
        if (e is not InvalidOperationException || e.Message != ThrowHelper.ForeignThreadMessage) return;
        try
        {
            Console.Error.WriteLine($"Lwt: an exit hook failed: {e}");
            Console.Error.Flush();
        }
        catch (Exception)
        {
            // Standard error is gone: the failure stays ignored, as the others.
        }
    }

    /// <summary>
    /// An unhandled exception: when it ends the process, the functions run now, as OCaml's
    /// at_exit functions run after an uncaught exception (no ProcessExit follows it).
    /// </summary>
    internal void OnUnhandledException(bool isTerminating)
    {
        if (isTerminating) RunAll();
    }

    private Func<Promise>? TakeFirst(Pass pass)
    {
        lock (_gate)
        {
            if (pass.Exited || _hooks.First is not { } node) return null;
            _hooks.RemoveFirst();
            return node.Value.Function;
        }
    }

    /// <summary>One run of the functions: who waits for it, and whether an exit ended it.</summary>
    private sealed class Pass(int callerThreadId)
    {
        /// <summary>Set when the functions are done, or when an exit ended the pass.</summary>
        internal readonly ManualResetEventSlim Ended = new();

        /// <summary>Set (under the hooks' lock) by an exit during the pass: no further function is taken.</summary>
        internal bool Exited;

        /// <summary>
        /// Whether <paramref name="promise"/> is pending and owned by a loop that cannot run it
        /// any more: one not running, or a frozen one (that of the thread that waits for this
        /// pass, or of the thread blocked in the library's exit). A promise of no loop, of the
        /// hooks' loop, or of another running loop can still be resolved.
        /// </summary>
        internal bool CannotProgress(Promise promise)
        {
            var p = promise.Underlying();
            if (p._status != Status.Pending) return false;
            int owner = p._owner;
            if (owner == 0 || owner == EventLoop.Current?.Id) return false;
            if (LoopRegistry.Get(owner) is not EventLoop { IsRunning: true } loop) return true;
            return loop.ThreadId == callerThreadId || loop.ThreadId == Volatile.Read(ref Promise.ExitingThreadId);
        }
    }
}
