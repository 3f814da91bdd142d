namespace Lwt;

/*
 * Lwt_timeout: a restartable, stoppable one-shot action after a delay.
 *
 * Lwt keeps its timeouts in one wheel of one-second buckets, turned by a
 * `Lwt_unix.sleep 1.` loop that runs while any timeout is started; an action runs
 * between `delay` and `delay + 1` seconds after `start`. Here each started timeout is
 * one sleep on the calling thread's event loop (LwtUnix.Sleep: a timer-wheel entry,
 * O(1) to insert and to remove): the action runs once the delay has passed (never
 * before), and Stop cancels the sleep, which removes its timer at once.
 *
 * Semantics kept from Lwt (src/unix/lwt_timeout.ml):
 *  - Create does not start the timeout; the delay must be positive (Lwt: Invalid_argument
 *    for `delay < 1` whole seconds; here any positive number of seconds).
 *  - Start on a started timeout restarts it: stop, then start with its current delay.
 *  - Stop on a timeout that is not started does nothing.
 *  - Change sets the delay; a started timeout is restarted with the new delay.
 *  - The action runs once per Start; an exception from it goes to the handler set by
 *    SetExnHandler (default: Promise.AsyncExceptionHook, as current Lwt's does; on a
 *    hosted loop, the host's logger, as for every exception the loop cannot deliver).
 *
 * Invariants: `_sleep` is non-null exactly while the timeout is started; the one
 * expiry callback (`_onExpired`, allocated once per timeout) is attached to each sleep,
 * and a replaced or stopped sleep is canceled, so its callback never runs (OnSuccess
 * callbacks do not run on a rejection) -- or, if it had already expired, finds that it
 * is no longer the current sleep and does nothing.
 *
 * Threads: like Lwt's, a timeout belongs to the event loop of the thread that starts it.
 */

/// <summary>
/// A cancelable, restartable timeout: an action run once a delay has passed after
/// <see cref="Start"/>.
/// <para>Lwt: <c>Lwt_timeout.t</c></para>
/// </summary>
public sealed class LwtTimeout
{
    private static Action<Exception>? s_exnHandler;

    private readonly Action _action;
    private readonly Action<Unit> _onExpired;
    private double _seconds;
    private Promise<Unit>? _sleep;

    private LwtTimeout(double seconds, Action action)
    {
        _seconds = seconds;
        _action = action;
        _onExpired = OnExpired;
    }

    /// <summary>
    /// A new timeout of <paramref name="seconds"/> seconds that runs <paramref name="action"/>
    /// when it expires. It is not started: call <see cref="Start"/>.
    /// <para>Lwt: <c>Lwt_timeout.create</c></para>
    /// </summary>
    /// <param name="seconds">The delay, in seconds (positive, finite).</param>
    /// <param name="action">The action; it should not throw (see <see cref="SetExnHandler"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is not a positive finite number.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    public static LwtTimeout Create(double seconds, Action action)
    {
        CheckDelay(seconds, nameof(seconds));
        ArgumentNullException.ThrowIfNull(action);
        return new LwtTimeout(seconds, action);
    }

    /// <summary>
    /// A new timeout of <paramref name="delay"/> that runs <paramref name="action"/> when it
    /// expires. It is not started: call <see cref="Start"/>.
    /// <para>Lwt: <c>Lwt_timeout.create</c></para>
    /// </summary>
    /// <param name="delay">The delay (positive).</param>
    /// <param name="action">The action; it should not throw (see <see cref="SetExnHandler"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is not positive.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    public static LwtTimeout Create(TimeSpan delay, Action action)
    {
        CheckDelay(delay.TotalSeconds, nameof(delay)); // so that the exception names this overload's parameter
        return Create(delay.TotalSeconds, action);
    }

    /// <summary>
    /// Sets the handler of the exceptions thrown by timeout actions (for every timeout).
    /// The default passes them to <see cref="Promise.AsyncExceptionHook"/>, whose default
    /// ends the process (on a hosted event loop, to the host's logger instead, as the loop's
    /// other unhandled exceptions).
    /// <para>Lwt: <c>Lwt_timeout.set_exn_handler</c></para>
    /// </summary>
    /// <param name="handler">The handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    public static void SetExnHandler(Action<Exception> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Volatile.Write(ref s_exnHandler, handler);
    }

    /// <summary>Puts the default handler back (tests that replace it restore it so).</summary>
    internal static void ResetExnHandler() => Volatile.Write(ref s_exnHandler, null);

    /// <summary>
    /// The delay, in seconds (set by <see cref="Create(double, Action)"/> and <see cref="Change(double)"/>).
    /// <para>Lwt: the <c>delay</c> field of <c>Lwt_timeout.t</c> (not exposed by Lwt)</para>
    /// </summary>
    public double Seconds => _seconds;

    /// <summary>
    /// Whether the timeout is started and has not expired or been stopped yet.
    /// <para>Lwt: no counterpart (Lwt's internal <c>lst_in_list</c>)</para>
    /// </summary>
    public bool IsStarted => _sleep is not null;

    /// <summary>
    /// Starts the timeout: the action runs once the delay has passed. Starting a started
    /// timeout restarts it with its current delay. The timeout then belongs to the event loop
    /// of the calling thread, as a <see cref="LwtUnix.Sleep(double)"/> does: started where no
    /// loop runs (a thread-pool thread), it never expires.
    /// <para>Lwt: <c>Lwt_timeout.start</c></para>
    /// </summary>
    public void Start()
    {
        var old = _sleep;
        var sleep = LwtUnix.SleepTyped(_seconds);
        _sleep = sleep;
        old?.Cancel();
        sleep.OnSuccess(_onExpired);
    }

    /// <summary>
    /// Stops the timeout: the action will not run (until the next <see cref="Start"/>).
    /// Does nothing when the timeout is not started.
    /// <para>Lwt: <c>Lwt_timeout.stop</c></para>
    /// </summary>
    public void Stop()
    {
        var sleep = _sleep;
        if (sleep is null) return;
        _sleep = null;
        sleep.Cancel();
    }

    /// <summary>
    /// Changes the delay; a started timeout is restarted with it (counting from now).
    /// <para>Lwt: <c>Lwt_timeout.change</c></para>
    /// </summary>
    /// <param name="seconds">The new delay, in seconds (positive, finite).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is not a positive finite number.</exception>
    public void Change(double seconds)
    {
        CheckDelay(seconds, nameof(seconds));
        _seconds = seconds;
        if (_sleep is not null) Start();
    }

    /// <summary>
    /// Changes the delay; a started timeout is restarted with it (counting from now).
    /// <para>Lwt: <c>Lwt_timeout.change</c></para>
    /// </summary>
    /// <param name="delay">The new delay (positive).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is not positive.</exception>
    public void Change(TimeSpan delay)
    {
        CheckDelay(delay.TotalSeconds, nameof(delay)); // so that the exception names this overload's parameter
        Change(delay.TotalSeconds);
    }

    private void OnExpired(Unit _)
    {
        // A sleep fulfilled but whose callbacks were deferred (wakeup_later past the nesting
        // depth) cannot be canceled any more: after a Stop or a restart, its late callback
        // finds no started timeout, or a pending sleep that is not its own, and does nothing.
        if (_sleep is not { IsFulfilled: true }) return;
        _sleep = null;
        try
        {
            _action();
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            var handler = Volatile.Read(ref s_exnHandler);
            if (handler is null) Promise.ReportUnhandled(e);
            else handler(e);
        }
    }

    private static void CheckDelay(double seconds, string name)
    {
        if (!(seconds > 0) || double.IsInfinity(seconds))
            throw new ArgumentOutOfRangeException(name, seconds, "LwtTimeout: the delay must be a positive, finite number of seconds (Lwt raises Invalid_argument).");
    }
}
