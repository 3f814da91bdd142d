namespace Lwt;

/// <summary>
/// What the promise core needs from an event loop to marshal work onto it. The event loop
/// layer implements it; the core only sees this interface, so no arrow points upward.
/// </summary>
internal interface ILoopDispatcher
{
    /// <summary>Whether the calling thread is the loop's thread.</summary>
    bool IsOnLoopThread { get; }

    /// <summary>Whether the loop is running (between LwtMain.Run's entry and exit).</summary>
    bool IsRunning { get; }

    /// <summary>
    /// Runs <paramref name="action"/> once on the loop thread, soon: by the loop or, if it stops
    /// first, by its exit (a <see cref="PostedAction"/>, ClaimablePost). Safe from any thread.
    /// </summary>
    /// <returns>false, with nothing posted, when the loop is not running: the caller then does the work itself.</returns>
    bool TryPost(Action action);

    /// <summary>
    /// Posts <paramref name="post"/> to run once on the loop thread, by the loop or, if it
    /// stops first, by its exit (ClaimablePost). Safe from any thread.
    /// </summary>
    /// <returns>false, with nothing posted, when the loop is not running: the caller then does the work itself.</returns>
    bool TryPostClaimable(ClaimablePost post);
}

/// <summary>
/// Marks the loop's SynchronizationContext and TaskScheduler, so that an awaiter can tell
/// "code running on an event loop" (resume as an Lwt callback, no hop) from other code.
/// </summary>
internal interface ILoopContext
{
    /// <summary>The registry id of the loop.</summary>
    int LoopId { get; }
}

/// <summary>
/// Maps the integer a promise stores as its owner (<see cref="Promise._owner"/>) to the loop
/// run that owns it. Id 0 means "no loop": such promises are used synchronously on whatever
/// thread touches them, as Lwt's core is without Lwt_unix. A loop registers at its first run
/// and keeps its id for its thread's life; ids are never reused, so a promise left over
/// from a loop can never be mistaken for one of another loop. While its loop is not
/// running, a promise is used directly by whoever touches it, as if it had no owner.
/// </summary>
internal static class LoopRegistry
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, ILoopDispatcher> s_loops = new();
    private static int s_lastId;

    /// <summary>Registers a running loop and returns its id (never 0, never reused).</summary>
    internal static int Register(ILoopDispatcher loop)
    {
        int id = Interlocked.Increment(ref s_lastId);
        if (id <= 0) throw new InvalidOperationException("The process has run more than 2^31 event loops.");
        s_loops[id] = loop;
        return id;
    }

    /// <summary>Forgets a loop whose thread has ended.</summary>
    internal static void Unregister(int id) => s_loops.TryRemove(id, out _);

    /// <summary>The loop with the given id, or null when none (id 0, or the run has stopped).</summary>
    internal static ILoopDispatcher? Get(int id) => id != 0 && s_loops.TryGetValue(id, out var loop) ? loop : null;

    /// <summary>
    /// Every registered loop, running or not, for an observer on any thread (the metrics). The
    /// dictionary's enumerator takes no lock and never throws on concurrent changes: a loop
    /// registered or forgotten meanwhile may or may not be seen.
    /// </summary>
    internal static IEnumerable<ILoopDispatcher> All()
    {
        foreach (var entry in s_loops) yield return entry.Value;
    }

    /// <summary>
    /// The loop that must run an operation on a promise owned by <paramref name="owner"/>,
    /// when the caller is on another thread; null when the caller may act directly.
    /// </summary>
    internal static ILoopDispatcher? ForeignOwner(int owner)
    {
        if (owner == 0 || owner == ResolutionLoop.Current.LoopId) return null;
        var loop = Get(owner);
        return loop is null || !loop.IsRunning || loop.IsOnLoopThread ? null : loop;
    }
}
