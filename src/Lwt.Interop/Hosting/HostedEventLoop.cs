using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lwt.Interop;

/*
 * The host's event loop: one dedicated thread (not a pool thread) that runs
 * LwtMain.Run(stop) for the host's lifetime, where `stop` is a plain Lwt.wait promise made
 * on the loop. The constructor starts the thread and waits until the loop runs, so the
 * EventLoop can be handed out by DI at once, before the host starts (what is posted to it
 * runs right away). Dispose (the ServiceProvider's, after the hosted services stopped)
 * resolves `stop` from the disposing thread (the resolver marshals to the loop) and joins
 * the thread.
 *
 * While it runs, the thread's async exception hook is replaced (ResolutionLoop's
 * thread-static override): an exception that would end the process from this loop is
 * logged at Error instead. Other loops in the process keep Promise.AsyncExceptionHook.
 */

/// <summary>The event loop thread of a host (<see cref="LwtServiceCollectionExtensions.AddLwtEventLoop"/>).</summary>
internal sealed class HostedEventLoop : IDisposable
{
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly TimeSpan _joinTimeout;
    private readonly ManualResetEventSlim _ready = new();
    private Resolver<Unit>? _stop;
    private EventLoop? _loop;
    private int _disposed;

    internal HostedEventLoop(ILoggerFactory? loggerFactory, TimeSpan joinTimeout)
    {
        _logger = loggerFactory?.CreateLogger("Lwt.Interop.EventLoop") ?? NullLogger.Instance;
        _joinTimeout = joinTimeout;
        _thread = new Thread(Run) { IsBackground = true, Name = "Lwt event loop (host)" };
        _thread.Start();
        _ready.Wait();
        _ready.Dispose();
    }

    /// <summary>The loop.</summary>
    internal EventLoop Loop => _loop!;

    /// <summary>The logger of the loop (unhandled exceptions).</summary>
    internal ILogger Logger => _logger;

    /// <summary>Whether the loop thread has ended.</summary>
    internal bool HasStopped => !_thread.IsAlive;

    private void Run()
    {
        var resolution = ResolutionLoop.Current;
        resolution.ExceptionHookOverride = LogUnhandled;
        try
        {
            LwtMain.Run(() =>
            {
                var (stop, resolver) = Promise.Create();
                _stop = resolver;
                _loop = EventLoop.Current;
                _ready.Set();
                return stop;
            });
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "The Lwt event loop of the host stopped with an exception.");
        }
        finally
        {
            resolution.ExceptionHookOverride = null;
            _ready.Set();
        }
    }

    private void LogUnhandled(Exception exception) =>
        _logger.LogError(exception, "Unhandled exception on the Lwt event loop (Promise.AsyncExceptionHook): {Message}", exception.Message);

    /// <summary>Stops the loop and waits (up to the host's shutdown timeout) for its thread to end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop?.TryResolve(default);
        if (Thread.CurrentThread == _thread) return;
        if (!_thread.Join(_joinTimeout))
            _logger.LogWarning("The Lwt event loop thread did not stop within {Timeout}.", _joinTimeout);
    }
}
