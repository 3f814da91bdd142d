using Lwt.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lwt.Tests.Interop;

/// <summary>A real generic host (HostApplicationBuilder) running promise services on its Lwt loop.</summary>
public class HostingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static (IHost Host, CapturingLoggerProvider Logs) Build(Action<IServiceCollection> configure, BackgroundServiceExceptionBehavior? behavior = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(20);
            if (behavior is { } b) o.BackgroundServiceExceptionBehavior = b;
        });
        configure(builder.Services);
        return (builder.Build(), logs);
    }

    /// <summary>Records where it runs and waits on LwtUnix.Sleep(1000) until the host stops.</summary>
    public sealed class ProbeService : PromiseBackgroundService
    {
        internal readonly TaskCompletionSource<(int Thread, SynchronizationContext? Context)> Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal Exception? Observed;
        internal bool TokenFired;

        protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            Started.SetResult((Environment.CurrentManagedThreadId, SynchronizationContext.Current));
            stoppingToken.Register(() => TokenFired = true);
            try
            {
                await LwtUnix.Sleep(1000);
            }
            catch (Exception e)
            {
                Observed = e;
                throw;
            }
        }
    }

    [Fact]
    public async Task Service_RunsOnTheLoopThread_WithTheLoopContext_AndStopCancelsTheSleep()
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<ProbeService>().AddLwtEventLoop());
        using (host)
        {
            var loop = host.Services.GetRequiredService<EventLoop>(); // before the host starts
            var probe = host.Services.GetServices<IHostedService>().OfType<ProbeService>().Single();
            await host.StartAsync();
            var (thread, context) = await probe.Started.Task.WaitAsync(Wait);
            Assert.Equal(loop.ThreadId, thread);
            var lwtContext = Assert.IsType<LwtSynchronizationContext>(context);
            Assert.Same(loop, lwtContext.Loop);
            Assert.True(probe.ExecutePromise!.IsPending);

            await host.StopAsync().WaitAsync(Wait);
            Assert.True(probe.TokenFired);
            Assert.IsType<CanceledException>(probe.Observed);
            Assert.True(probe.ExecutePromise.IsCanceled);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
        }
    }

    [Fact]
    public async Task EventLoop_FromDI_BeforeStart_RunsPostsAndPromises_ThreadEndsOnDispose()
    {
        var (host, logs) = Build(s => s.AddLwtEventLoop().AddLwtEventLoop());
        var loop = host.Services.GetRequiredService<EventLoop>();
        var hosted = host.Services.GetRequiredService<HostedEventLoop>();
        var posted = new TaskCompletionSource<int>();
        loop.Post(() => posted.SetResult(Environment.CurrentManagedThreadId));
        Assert.Equal(loop.ThreadId, await posted.Task.WaitAsync(Wait));
        await host.StartAsync();
        // Another service runs a promise on the loop and awaits it as a Task.
        var value = await Task.Factory.StartNew(async () =>
        {
            await LwtUnix.Sleep(0.001);
            return Environment.CurrentManagedThreadId;
        }, CancellationToken.None, TaskCreationOptions.None, loop.TaskScheduler).Unwrap().WaitAsync(Wait);
        Assert.Equal(loop.ThreadId, value);
        var run = new TaskCompletionSource<Task<int>>();
        loop.Post(() => run.SetResult(LwtUnix.Sleep(0.001).Bind(() => Promise.Return(7)).AsTask()));
        Assert.Equal(7, await (await run.Task).WaitAsync(Wait));
        await host.StopAsync();
        Assert.False(hosted.HasStopped);
        host.Dispose();
        Assert.True(hosted.HasStopped);
        // Nothing can run a post now: refused, not queued and lost.
        Assert.Throws<InvalidOperationException>(() => loop.Post(() => { }));
        Assert.Empty(logs.AtLeast(LogLevel.Error));
    }

    public sealed class FailingService : PromiseBackgroundService
    {
        internal static readonly TestException Error = new("service failed");

        protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            await LwtUnix.Sleep(0.01);
            throw Error;
        }
    }

    public sealed class ThrowingService : PromiseBackgroundService
    {
        internal static readonly TestException Error = new("synchronous throw");

        protected override Promise ExecuteAsync(CancellationToken stoppingToken) => throw Error;
    }

    [Fact]
    public Task ServiceException_IsLogged_AndStopsTheHost() =>
        FailureIsLoggedAtErrorAndStopsTheHost<FailingService>(FailingService.Error);

    [Fact]
    public Task SynchronousThrow_IsAFailure_LoggedAndStopsTheHost() =>
        FailureIsLoggedAtErrorAndStopsTheHost<ThrowingService>(ThrowingService.Error);

    // With the default BackgroundServiceExceptionBehavior (StopHost): the service's own
    // exception object is logged at Error, and the host begins to stop.
    private async Task FailureIsLoggedAtErrorAndStopsTheHost<TService>(Exception error) where TService : PromiseBackgroundService
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<TService>());
        using (host)
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = new TaskCompletionSource();
            lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
            await host.StartAsync();
            await stopping.Task.WaitAsync(Wait);
            Assert.Contains(logs.AtLeast(LogLevel.Error), e => ReferenceEquals(e.Exception, error) && e.Level == LogLevel.Error);
            await host.StopAsync().WaitAsync(Wait);
        }
    }

    [Fact]
    public async Task ServiceException_Ignore_KeepsTheHostRunning()
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<FailingService>().AddPromiseHostedService<ProbeService>(), BackgroundServiceExceptionBehavior.Ignore);
        using (host)
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            var probe = host.Services.GetServices<IHostedService>().OfType<ProbeService>().Single();
            await host.StartAsync();
            Assert.True(SpinWait.SpinUntil(() => logs.AtLeast(LogLevel.Error).Any(e => ReferenceEquals(e.Exception, FailingService.Error)), Wait));
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
            Assert.True(probe.ExecutePromise!.IsPending);
            await host.StopAsync().WaitAsync(Wait);
            Assert.True(probe.ExecutePromise.IsCanceled);
        }
    }

    public sealed class AsyncHookService : PromiseBackgroundService
    {
        internal static readonly TestException Error = new("stray");

        protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            Promise.Async(async () =>
            {
                await Promise.Pause();
                throw Error;
            });
            await LwtUnix.Sleep(1000);
        }
    }

    [Fact]
    public async Task AsyncExceptionHook_WhileHosted_LogsInsteadOfEndingTheProcess()
    {
        var (host, logs) = Build(s => s.AddPromiseHostedService<AsyncHookService>());
        using (host)
        {
            await host.StartAsync();
            Assert.True(SpinWait.SpinUntil(() => logs.AtLeast(LogLevel.Error).Any(e => ReferenceEquals(e.Exception, AsyncHookService.Error)), Wait));
            Assert.Contains(logs.Entries, e => e.Category == "Lwt.Interop.EventLoop" && e.Level == LogLevel.Error);
            await host.StopAsync().WaitAsync(Wait);
        }
    }

    // The running service is the singleton TService: the usual .NET pattern of a hosted
    // service that other services take in their constructors (user trial 7 found it failing
    // at start: the instance resolved as TService had no loop).
    public sealed class Consumer(ProbeService probe)
    {
        public ProbeService Probe { get; } = probe;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Service_IsTheSingletonOfItsType_EvenWhenRegisteredBefore(bool registeredBefore)
    {
        var (host, logs) = Build(s =>
        {
            if (registeredBefore) s.AddSingleton<ProbeService>();
            s.AddPromiseHostedService<ProbeService>().AddSingleton<Consumer>().AddPromiseHostedService<ProbeService>();
        });
        using (host)
        {
            var probe = host.Services.GetRequiredService<ProbeService>();
            Assert.Same(probe, host.Services.GetServices<IHostedService>().OfType<ProbeService>().Single());
            Assert.Same(probe, host.Services.GetRequiredService<Consumer>().Probe);
            await host.StartAsync();
            await probe.Started.Task.WaitAsync(Wait);
            Assert.True(probe.ExecutePromise!.IsPending);
            await host.StopAsync().WaitAsync(Wait);
            Assert.True(probe.ExecutePromise.IsCanceled);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
        }
    }

    // A plain AddHostedService<T>() made before kept its place (TryAddEnumerable dropped ours
    // as a duplicate of the same implementation type), so the host started an instance with
    // no loop and failed with "must be registered with AddPromiseHostedService".
    [Fact]
    public async Task Service_RegisteredAsAPlainHostedServiceBefore_IsReplaced()
    {
        var (host, logs) = Build(s =>
        {
            s.AddHostedService<ProbeService>();
            s.AddPromiseHostedService<ProbeService>();
        });
        using (host)
        {
            var probe = host.Services.GetRequiredService<ProbeService>();
            Assert.Same(probe, host.Services.GetServices<IHostedService>().OfType<ProbeService>().Single());
            await host.StartAsync().WaitAsync(Wait);
            await probe.Started.Task.WaitAsync(Wait);
            await host.StopAsync().WaitAsync(Wait);
            Assert.True(probe.ExecutePromise!.IsCanceled);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
        }
    }

    public sealed class ScopedThing;

    public sealed class TakesAScopedService(ScopedThing thing) : PromiseBackgroundService
    {
        public ScopedThing Thing { get; } = thing;

        protected override Promise ExecuteAsync(CancellationToken stoppingToken) => Promise.ReturnUnit;
    }

    // The service was registered with a factory (ActivatorUtilities inside it), which the
    // container cannot look into: ValidateOnBuild passed, and the scoped dependency failed
    // only when the host resolved its hosted services at start.
    [Fact]
    public void ScopedDependency_FailsAtBuild_UnderValidateOnBuild()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        builder.Services.AddScoped<ScopedThing>();
        builder.Services.AddPromiseHostedService<TakesAScopedService>();
        var ex = Assert.Throws<AggregateException>(() => builder.Build());
        Assert.Contains(ex.InnerExceptions, e => e.Message.Contains(nameof(TakesAScopedService)) && e.Message.Contains("scoped"));
    }

    // A registration of the type made after AddPromiseHostedService wins, as the last one does
    // in .NET; its instance was then started with no loop and the host's start failed.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Service_RegisteredAgainAfter_IsTheOneThatRuns_OnTheLoop(bool factory)
    {
        ProbeService? made = null;
        var (host, logs) = Build(s =>
        {
            s.AddPromiseHostedService<ProbeService>();
            if (factory) s.AddSingleton(_ => made = new ProbeService());
            else s.AddSingleton<ProbeService>();
        });
        using (host)
        {
            var probe = host.Services.GetRequiredService<ProbeService>();
            if (factory) Assert.Same(made, probe);
            Assert.Same(probe, host.Services.GetServices<IHostedService>().OfType<ProbeService>().Single());
            await host.StartAsync().WaitAsync(Wait);
            var (thread, context) = await probe.Started.Task.WaitAsync(Wait);
            Assert.Equal(host.Services.GetRequiredService<EventLoop>().ThreadId, thread);
            Assert.IsType<LwtSynchronizationContext>(context);
            await host.StopAsync().WaitAsync(Wait);
            Assert.True(probe.ExecutePromise!.IsCanceled);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
        }
    }

    public sealed class NotRegisteredRight : PromiseBackgroundService
    {
        protected override Promise ExecuteAsync(CancellationToken stoppingToken) => Promise.ReturnUnit;
    }

    [Fact]
    public async Task AddHostedService_WithoutTheLoop_ThrowsAClearError()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => new NotRegisteredRight().StartAsync(CancellationToken.None));
        Assert.Contains("AddPromiseHostedService", ex.Message);
    }
}
