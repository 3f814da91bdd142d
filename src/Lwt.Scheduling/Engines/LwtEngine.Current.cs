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

    /// <summary>
    /// The engine of the calling thread, created by <see cref="CreateDefault()"/> on first
    /// use (or after the previous one was disposed).
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
    /// Makes <paramref name="engine"/> the calling thread's engine. The previous one is
    /// disposed if <paramref name="destroyPrevious"/>, and its events are lost: unlike Lwt's default
    /// (<c>~transfer:true</c>), they are not moved to <paramref name="engine"/>, so an I/O the loop
    /// waits for in the previous engine never completes. Set engines before the loop starts waiting.
    /// <para>Lwt: <c>Lwt_engine.set</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="engine"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="engine"/> was disposed.</exception>
    public static void Set(LwtEngine engine, bool destroyPrevious = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        engine.ThrowIfDisposed();
        LwtEngine? previous = t_current;
        t_current = engine;
        if (destroyPrevious && previous is not null && previous != engine)
        {
            previous.Dispose();
        }
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
