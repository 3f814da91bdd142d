namespace Lwt;

/// <summary>
/// What the promise core needs from an event loop to marshal work onto it. The event loop
/// layer implements it; the core only sees this interface, so no arrow points upward.
/// </summary>
internal interface ILoopDispatcher
{
    /// <summary>Whether the calling thread is the loop's thread.</summary>
    bool IsOnLoopThread { get; }

    /// <summary>Runs <paramref name="action"/> on the loop thread, soon. Safe from any thread.</summary>
    /// <returns>false when the loop has stopped and will run nothing more.</returns>
    bool TryPost(Action action);
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
/// Maps the small integer a promise stores as its owner (<see cref="Promise._owner"/>) to
/// the loop that owns it. Id 0 means "no loop": such promises are used synchronously on
/// whatever thread touches them, as Lwt's core is without Lwt_unix.
/// </summary>
internal static class LoopRegistry
{
    private static readonly object s_gate = new();
    private static ILoopDispatcher?[] s_loops = new ILoopDispatcher?[8];

    /// <summary>Registers a running loop and returns its id (1..65535).</summary>
    internal static int Register(ILoopDispatcher loop)
    {
        lock (s_gate)
        {
            for (int i = 1; i < s_loops.Length; i++)
            {
                if (s_loops[i] is null)
                {
                    Volatile.Write(ref s_loops[i], loop);
                    return i;
                }
            }
            int id = s_loops.Length;
            if (id > ushort.MaxValue)
                throw new InvalidOperationException("Too many event loops are running at once (65,535).");
            var grown = new ILoopDispatcher?[Math.Min(s_loops.Length * 2, ushort.MaxValue + 1)];
            Array.Copy(s_loops, grown, s_loops.Length);
            grown[id] = loop;
            Volatile.Write(ref s_loops, grown);
            return id;
        }
    }

    /// <summary>Forgets a loop that has stopped.</summary>
    internal static void Unregister(int id)
    {
        lock (s_gate) Volatile.Write(ref s_loops[id], null);
    }

    /// <summary>The loop with the given id, or null when none (id 0, or the loop has stopped).</summary>
    internal static ILoopDispatcher? Get(int id)
    {
        if (id == 0) return null;
        var loops = Volatile.Read(ref s_loops);
        return id < loops.Length ? Volatile.Read(ref loops[id]) : null;
    }

    /// <summary>
    /// The loop that must run an operation on a promise owned by <paramref name="owner"/>,
    /// when the caller is on another thread; null when the caller may act directly.
    /// </summary>
    internal static ILoopDispatcher? ForeignOwner(int owner)
    {
        if (owner == 0 || owner == ResolutionLoop.Current.LoopId) return null;
        var loop = Get(owner);
        return loop is null || loop.IsOnLoopThread ? null : loop;
    }
}
