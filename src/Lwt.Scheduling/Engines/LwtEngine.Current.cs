// The front door: which engine a thread uses (Lwt_engine.get / set) and which
// one is created by default.
//
// Lwt has one global engine; here each thread has its own (an event loop runs
// on one thread and owns its engine), created on first use. LWT_ENGINE picks
// the default backend: "epoll" (Linux only) or "poll"; without it, epoll on
// Linux and poll elsewhere.

using System.Runtime.CompilerServices;

namespace Lwt;

public abstract partial class LwtEngine
{
    /// <summary>Name of the environment variable that selects the default engine.</summary>
    internal const string EngineVariable = "LWT_ENGINE";

    [ThreadStatic]
    private static LwtEngine? t_current;

    /// <summary>Bumped by every <see cref="Set"/> that changes an engine, on any thread (see <see cref="SetVersion"/>).</summary>
    private static int s_setVersion;

    /// <summary>
    /// Changes whenever some thread's <see cref="Set"/> replaced its engine. A busy event loop
    /// compares it at every iteration (one static read, where <see cref="Current"/> is a
    /// thread-static one) and looks at Current again only when it moved, so it follows Set at
    /// its next iteration. Another thread's Set only costs that loop one extra look. A plain
    /// read: the Set that matters is the loop thread's own, already ordered before it.
    /// </summary>
    internal static int SetVersion => s_setVersion;

    /// <summary>
    /// The engine of the calling thread, created by <see cref="CreateDefault()"/> on first
    /// use (or after the previous one was disposed). It stays the thread's engine, with its
    /// kernel descriptors open, until it is disposed or collected, even after the thread ends:
    /// dispose it on a thread that will run no more loops (see <see cref="LwtMain.Run{T}(Promise{T})"/>).
    /// <para>Lwt: <c>Lwt_engine.get</c></para>
    /// </summary>
    public static LwtEngine Current
    {
        get
        {
            LwtEngine? engine = t_current;
            return engine is not null && !engine._disposed ? engine : CreateCurrent();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LwtEngine CreateCurrent() => t_current = CreateDefault();

    /// <summary>
    /// Makes <paramref name="engine"/> the calling thread's engine. If <paramref name="transfer"/>,
    /// every live event of the previous engine (fd watchers and timers) first moves to
    /// <paramref name="engine"/> (see <see cref="TransferTo"/>): the same <see cref="LwtEvent"/>
    /// objects keep working there, so an I/O or a timer the loop waits for still completes, and a
    /// timer keeps its deadline. Then the previous engine is disposed if
    /// <paramref name="destroyPrevious"/>. Without <paramref name="transfer"/>, the previous
    /// engine keeps its events: disposed, it stops them (they never fire); kept, it dispatches
    /// them only when something iterates it, which the event loop no longer does. Setting the
    /// current engine again does nothing. Safe from inside a callback of the previous engine; the
    /// event loop moves to the new engine at its next iteration.
    /// <para>Lwt: <c>Lwt_engine.set</c> (<c>?transfer</c>, <c>?destroy</c>; Lwt restarts a
    /// transferred timer's full delay)</para>
    /// </summary>
    /// <param name="engine">The new engine of the calling thread.</param>
    /// <param name="transfer">Move the previous engine's events to <paramref name="engine"/> (Lwt's default: true).</param>
    /// <param name="destroyPrevious">Dispose the previous engine, after the transfer (Lwt's default: true).</param>
    /// <exception cref="ArgumentNullException"><paramref name="engine"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="engine"/> was disposed.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">
    /// <paramref name="engine"/>'s kernel refused one of the previous engine's fds (for example
    /// <see cref="EpollEngine"/> and a regular file): nothing changed, the previous engine stays current.
    /// </exception>
    public static void Set(LwtEngine engine, bool transfer = true, bool destroyPrevious = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.ThrowIfDisposed();
        LwtEngine? previous = t_current;
        if (previous == engine)
        {
            return;
        }

        // Lwt's order: transfer, destroy, replace. A transfer that throws leaves everything as it
        // was; a disposed previous engine (Current would replace it anyway) has nothing to give.
        if (previous is not null && previous._disposed)
        {
            previous = null;
        }

        if (transfer && previous is not null)
        {
            previous.TransferTo(engine);
        }

        if (destroyPrevious && previous is not null)
        {
            previous.Dispose();
        }

        t_current = engine;
        Interlocked.Increment(ref s_setVersion); // atomic: two threads' Sets must not publish one value
    }

    /// <summary>
    /// Creates the default engine: the one named by the <c>LWT_ENGINE</c> environment
    /// variable (<c>epoll</c> or <c>poll</c>, case-insensitive), else <see cref="EpollEngine"/>
    /// on Linux and <see cref="PollEngine"/> elsewhere.
    /// <para>Lwt: the default of <c>Lwt_engine</c> (<c>Lwt_config</c>'s choice of libev or select)</para>
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>LWT_ENGINE</c> names no engine.</exception>
    public static LwtEngine CreateDefault() => CreateDefault(Environment.GetEnvironmentVariable(EngineVariable));

    /// <summary>Creates the engine named <paramref name="name"/> (null or empty: the platform default).</summary>
    internal static LwtEngine CreateDefault(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return OperatingSystem.IsLinux() ? new EpollEngine() : new PollEngine();
        }

        return name.Trim().ToLowerInvariant() switch
        {
            "epoll" => new EpollEngine(),
            "poll" => new PollEngine(),
            _ => throw new InvalidOperationException(
                $"{EngineVariable}='{name}' names no engine; the allowed values are 'epoll' (Linux) and 'poll'."),
        };
    }
}
