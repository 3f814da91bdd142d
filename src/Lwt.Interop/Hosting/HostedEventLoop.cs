using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lwt.Interop;

/*
 * The host's event loop: an EventLoopThread (one dedicated thread running LwtMain.Run for
 * the host's lifetime), started when DI first asks for it, so the EventLoop can be handed
 * out before the host starts (what is posted to it runs right away). Dispose (the
 * ServiceProvider's, after the hosted services stopped) stops the loop and waits for the
 * thread, up to the host's shutdown timeout.
 *
 * The thread's async exception hook is replaced (EventLoopThread's asyncExceptionHook): an
 * exception that would end the process from this loop is logged at Error instead. Other
 * loops in the process keep Promise.AsyncExceptionHook.
 */

/// <summary>The event loop thread of a host (<see cref="LwtServiceCollectionExtensions.AddLwtEventLoop"/>).</summary>
internal sealed class HostedEventLoop : IDisposable
{
    private readonly EventLoopThread _thread;
    private readonly ILogger _logger;
    private readonly TimeSpan _joinTimeout;
    private int _disposed;

    internal HostedEventLoop(ILoggerFactory? loggerFactory, TimeSpan joinTimeout)
    {
        _logger = loggerFactory?.CreateLogger("Lwt.Interop.EventLoop") ?? NullLogger.Instance;
        _joinTimeout = joinTimeout;
        _thread = new EventLoopThread("Lwt event loop (host)", LogUnhandled);
        _thread.Completion.ContinueWith(
            static (t, s) => ((HostedEventLoop)s!)._logger.LogCritical(t.Exception!.InnerException, "The Lwt event loop of the host stopped with an exception."),
            this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The loop.</summary>
    internal EventLoop Loop => _thread.Loop;

    /// <summary>The logger of the loop (unhandled exceptions).</summary>
    internal ILogger Logger => _logger;

    /// <summary>How long disposal waits for the loop thread (the host's shutdown timeout).</summary>
    internal TimeSpan JoinTimeout => _joinTimeout;

    /// <summary>Whether the loop thread has ended.</summary>
    internal bool HasStopped => _thread.HasExited;

    private void LogUnhandled(Exception exception) =>
        _logger.LogError(exception, "Unhandled exception on the Lwt event loop (Promise.AsyncExceptionHook): {Message}", exception.Message);

    /// <summary>Stops the loop and waits (up to the host's shutdown timeout) for its thread to end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _thread.RequestStop();
        if (_thread.IsLoopThread) return;
        if (!_thread.Join(_joinTimeout))
            _logger.LogWarning("The Lwt event loop thread did not stop within {Timeout}.", _joinTimeout);
    }
}
