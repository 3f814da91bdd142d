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
 * still pending when that loop stopped does not progress while the hooks run, and a hook
 * that waits for one waits for ever (so does the process). A hook must start what it
 * waits for itself: new reads, writes, flushes and sleeps run in the hooks' loop.
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
/// any more, and the wait would never end. Operations the function starts itself run.
/// Changes are safe from any thread.
/// <para>Lwt: <c>Lwt_main.Exit_hooks</c></para>
/// </summary>
public sealed class LwtExitHooks
{
    private readonly object _gate = new();
    private readonly LinkedList<LwtExitHook> _hooks = new();
    private bool _processExitHooked;

    internal LwtExitHooks()
    {
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

    /// <summary>Runs and forgets the functions, first to last, on a thread of their own (what process exit does).</summary>
    internal void RunAll()
    {
        if (Count == 0) return;
        var thread = new Thread(() =>
        {
            // Reporting what a function throws or rejects with would end the process from
            // inside ProcessExit, where the handler waits for this thread: a hang, and the
            // other functions would never run. So it is ignored, as Lwt ignores it.
            while (TakeFirst() is { } function)
            {
                try
                {
                    LwtMain.Run(function);
                }
                catch (Exception)
                {
                    // ignored, as Lwt_main's exit hooks ignore it
                }
            }
        }) { Name = "Lwt at_exit" };
        thread.Start();
        thread.Join();
    }

    /// <summary>
    /// An unhandled exception: when it ends the process, the functions run now, as OCaml's
    /// at_exit functions run after an uncaught exception (no ProcessExit follows it).
    /// </summary>
    internal void OnUnhandledException(bool isTerminating)
    {
        if (isTerminating) RunAll();
    }

    private Func<Promise>? TakeFirst()
    {
        lock (_gate)
        {
            if (_hooks.First is not { } node) return null;
            _hooks.RemoveFirst();
            return node.Value.Function;
        }
    }
}
