using System.Collections.Concurrent;
using Lwt.Interop;
using Microsoft.Extensions.Logging;

namespace Lwt.Tests.Interop;

/// <summary>A loop running on its own thread for a test (the host's loop thread, without a host).</summary>
internal sealed class LoopThread : IDisposable
{
    private readonly HostedEventLoop _hosted;

    internal LoopThread()
    {
        Logs = new CapturingLoggerProvider();
        _hosted = new HostedEventLoop(LoggerFactory.Create(b => b.AddProvider(Logs)), TimeSpan.FromSeconds(10));
    }

    internal CapturingLoggerProvider Logs { get; }

    internal EventLoop Loop => _hosted.Loop;

    internal int ThreadId => _hosted.Loop.ThreadId;

    internal bool HasStopped => _hosted.HasStopped;

    /// <summary>Runs <paramref name="f"/> on the loop thread and waits for its result.</summary>
    internal T Run<T>(Func<T> f) =>
        Task.Factory.StartNew(f, CancellationToken.None, TaskCreationOptions.None, Loop.TaskScheduler).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="f"/> on the loop thread and waits for it.</summary>
    internal void Run(Action f) => Run(() => { f(); return 0; });

    public void Dispose() => _hosted.Dispose();
}

/// <summary>Keeps every log entry, for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    internal readonly ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal IEnumerable<(string Category, LogLevel Level, string Message, Exception? Exception)> AtLeast(LogLevel level) =>
        Entries.Where(e => e.Level >= level);

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>Counts TaskScheduler.UnobservedTaskException while alive.</summary>
internal sealed class UnobservedCounter : IDisposable
{
    private readonly ConcurrentQueue<Exception> _seen = new();

    internal UnobservedCounter() => TaskScheduler.UnobservedTaskException += OnUnobserved;

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => _seen.Enqueue(e.Exception);

    /// <summary>Collects garbage (so unobserved faulted Tasks are finalized) and returns what was seen.</summary>
    internal IReadOnlyCollection<Exception> CollectAndGet()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return _seen.ToArray();
    }

    public void Dispose() => TaskScheduler.UnobservedTaskException -= OnUnobserved;
}

/// <summary>An exception used to tell the test's own rejections apart.</summary>
internal sealed class TestException(string message) : Exception(message);
