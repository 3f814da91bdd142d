using Lwt.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lwt.Tests.Interop;

/// <summary>
/// Pins what the XML docs of the interop adapters, the hosting service and the loop's
/// SynchronizationContext say beyond API.md (the doc audit of those members).
/// </summary>
public class InteropDocAuditTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);

    private static async IAsyncEnumerable<int> OneThenThrow(Exception error)
    {
        yield return 1;
        await Task.CompletedTask;
        throw error;
    }

    [Fact]
    public void ToLwtStream_SourceException_RejectsThatRead_ThenTheStreamEnds()
    {
        // Unlike Lwt_stream.from, whose failed function is called again, an enumerator that
        // threw is disposed and not asked again: the stream ends.
        var error = new TestException("source");
        var stream = OneThenThrow(error).ToLwtStream();
        var first = stream.Get();
        var second = stream.Get();
        LwtMain.Run(() => Promise.ReturnUnit); // the source is synchronous; nothing to wait for
        Assert.Equal(1, first.Value.Value);
        Assert.Same(error, second.Exception);
        var third = stream.Get();
        Assert.True(third.IsFulfilled);
        Assert.False(third.Value.HasValue);
    }

    /// <summary>An enumerator whose MoveNextAsync and DisposeAsync fail (or end) as told.</summary>
    private sealed class FailingSource(Exception? move, Exception? dispose) : IAsyncEnumerable<int>, IAsyncEnumerator<int>
    {
        public int Current => 0;

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => move is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(move);

        public ValueTask DisposeAsync() => dispose is null ? default : ValueTask.FromException(dispose);
    }

    [Fact]
    public void ToLwtStream_DisposeException_RejectsTheRead_AndReplacesTheSources()
    {
        var moveError = new TestException("move");
        var disposeError = new TestException("dispose");
        Assert.Same(disposeError, new FailingSource(null, disposeError).ToLwtStream().Get().Exception);
        Assert.Same(disposeError, new FailingSource(moveError, disposeError).ToLwtStream().Get().Exception);
        Assert.Same(moveError, new FailingSource(moveError, null).ToLwtStream().Get().Exception);
    }

    [Fact]
    public void FromTask_StartReturnsNull_RejectedWithInvalidOperation()
    {
        Assert.IsType<InvalidOperationException>(PromiseInterop.FromTask<int>(_ => null!).Exception);
        Assert.IsType<InvalidOperationException>(PromiseInterop.FromTask(_ => null!).Exception);
    }

    [Fact]
    public void SynchronizationContext_PostAndSend_NullCallback_Throw()
    {
        LwtMain.Run(() =>
        {
            var context = EventLoop.Current!.SynchronizationContext;
            Assert.Throws<ArgumentNullException>(() => context.Post(null!, null));
            Assert.Throws<ArgumentNullException>(() => context.Send(null!, null));
            return Promise.ReturnUnit;
        });
    }

    private static IHost Build(Action<IServiceCollection> configure, CapturingLoggerProvider logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        configure(builder.Services);
        return builder.Build();
    }

    public sealed class NullPromiseService : PromiseBackgroundService
    {
        protected override Promise ExecuteAsync(CancellationToken stoppingToken) => null!;
    }

    [Fact]
    public async Task ExecuteAsyncReturningNull_IsAFailureOfTheService()
    {
        var logs = new CapturingLoggerProvider();
        using var host = Build(s => s.AddPromiseHostedService<NullPromiseService>(), logs);
        var service = host.Services.GetServices<IHostedService>().OfType<NullPromiseService>().Single();
        await host.StartAsync().WaitAsync(Guard);
        Assert.True(SpinWait.SpinUntil(
            () => logs.AtLeast(LogLevel.Error).Any(e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException), Guard));
        Assert.IsType<InvalidOperationException>(service.ExecutePromise!.Exception);
        await host.StopAsync().WaitAsync(Guard);
    }

    public sealed class TokenService : PromiseBackgroundService
    {
        internal readonly TaskCompletionSource<int> Fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            stoppingToken.Register(() => Fired.TrySetResult(Environment.CurrentManagedThreadId));
            return Promise.Create().Promise;
        }
    }

    [Fact]
    public async Task Dispose_WithoutStop_FiresTheStoppingTokenOnTheLoop()
    {
        var logs = new CapturingLoggerProvider();
        var host = Build(s => s.AddPromiseHostedService<TokenService>(), logs);
        var service = host.Services.GetServices<IHostedService>().OfType<TokenService>().Single();
        int loopThread = host.Services.GetRequiredService<EventLoop>().ThreadId;
        await host.StartAsync().WaitAsync(Guard);
        host.Dispose(); // no StopAsync: the service's Dispose posts the token's cancel to the loop, before the loop stops
        Assert.Equal(loopThread, await service.Fired.Task.WaitAsync(Guard));
    }
}
