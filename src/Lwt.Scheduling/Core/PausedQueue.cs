namespace Lwt;

/// <summary>
/// The promises created by <see cref="Promise.Pause"/> since the last wake-up, on one thread.
/// Kept as a swap of two lists so that waking them allocates nothing and promises paused
/// while waking go to the next round (Lwt transfers its sequence before waking).
/// </summary>
internal sealed class PausedQueue
{
    private List<Promise<Unit>> _current = new();
    private List<Promise<Unit>> _spare = new();

    /// <summary>Lwt's <c>pause_hook</c>, given the new count at every pause.</summary>
    internal Action<int>? Notifier;

    internal int Count => _current.Count;

    /// <summary>
    /// <see cref="Count"/> for an observer on another thread (the metrics). The list it reads may
    /// be swapped or cleared meanwhile, so the value can be stale, never torn or unsafe to read:
    /// List.Count is one int, and a list handed over to the spare slot stays a valid list.
    /// </summary>
    internal int CountFromAnyThread => Volatile.Read(ref _current).Count;

    internal void Add(Promise<Unit> p)
    {
        _current.Add(p);
        Notifier?.Invoke(_current.Count);
    }

    /// <summary>Fulfils every promise paused so far (skipping canceled ones).</summary>
    internal void WakeAll()
    {
        if (_current.Count == 0) return;
        var waking = _current;
        WakeCount++;
        // A wake-up nested in a callback of this one must not take the spare list: it is the
        // one being woken here.
        bool nested = _waking;
        _current = nested ? new List<Promise<Unit>>() : _spare;
        _waking = true;
        try
        {
            for (int i = 0; i < waking.Count; i++)
            {
                var p = waking[i].UnderlyingT();
                if (p.MayResolve) p.FulfillCore(default, allowDeferring: false);
            }
        }
        finally
        {
            waking.Clear();
            if (!nested)
            {
                _spare = waking;
                _waking = false;
            }
        }
    }

    /// <summary>
    /// How many times <see cref="WakeAll"/> took the paused promises: with <see cref="Count"/>, tells
    /// whether a promise paused earlier is still the last one waiting (LwtIO's auto-flush).
    /// </summary>
    internal int WakeCount;

    /// <summary>Whether <see cref="WakeAll"/> is running (its list is in use).</summary>
    private bool _waking;

    /// <summary>How many times <see cref="Abandon"/> was called: lets a user of a paused promise tell that it will never come.</summary>
    internal int AbandonCount;

    internal void Abandon()
    {
        _current.Clear();
        AbandonCount++;
    }
}

public partial class Promise
{
    /// <summary>
    /// A pending, cancelable promise fulfilled on the next "tick": after the event loop has run
    /// everything currently ready. Putting the rest of a computation after it yields to other
    /// callbacks and to I/O.
    /// <para>Lwt: <c>Lwt.pause</c></para>
    /// </summary>
    public static Promise Pause() => PauseTyped();

    /// <summary>The same as <see cref="Pause"/>, typed as a unit promise.</summary>
    internal static Promise<Unit> PauseTyped()
    {
        var loop = ResolutionLoop.Current; // one thread-static read for both the owner and the queue
        var p = new Promise<Unit>(CancelMode.CancelThis, loop);
        loop.Paused.Add(p);
        return p;
    }

    /// <summary>The number of promises paused on this thread and not yet woken.<para>Lwt: <c>Lwt.paused_count</c></para></summary>
    public static int PausedCount => ResolutionLoop.Current.Paused.Count;

    /// <summary>
    /// Fulfils every promise paused so far on this thread. The event loop calls it once per
    /// iteration; call it yourself only when driving promises without a loop.
    /// <para>Lwt: <c>Lwt.wakeup_paused</c></para>
    /// </summary>
    public static void WakeupPaused() => ResolutionLoop.Current.Paused.WakeAll();

    /// <summary>Forgets the promises paused so far on this thread: they stay pending forever.<para>Lwt: <c>Lwt.abandon_paused</c></para></summary>
    public static void AbandonPaused() => ResolutionLoop.Current.Paused.Abandon();

    /// <summary>
    /// How many times <see cref="AbandonPaused"/> was called on this thread: a promise paused
    /// before the last change of this count will never be woken (LwtIO's auto-flush).
    /// </summary>
    internal static int AbandonedPauseCount => ResolutionLoop.Current.Paused.AbandonCount;

    /// <summary>
    /// Sets the function called with the number of paused promises each time <see cref="Pause"/>
    /// is called on this thread (replacing any previous one).
    /// <para>Lwt: <c>Lwt.register_pause_notifier</c></para>
    /// </summary>
    /// <param name="notifier">The function.</param>
    /// <exception cref="ArgumentNullException"><paramref name="notifier"/> is null.</exception>
    public static void RegisterPauseNotifier(Action<int> notifier)
    {
        if (notifier is null) ThrowHelper.ThrowArgumentNull(nameof(notifier));
        ResolutionLoop.Current.Paused.Notifier = notifier;
    }
}
