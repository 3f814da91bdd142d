using Lwt.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lwt.Tests.Interop;

/// <summary>
/// A PromiseBackgroundService stopped after another hosted service used up the host's whole
/// shutdown timeout (Kestrel draining long requests does this in an ASP.NET Core app): its
/// StopAsync gets an already-canceled token.
/// </summary>
public class HostingStopTimeoutTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>Stops only when the host's stop token has fired: uses up the shutdown timeout.</summary>
    public sealed class SlowToStop : IHostedService
    {
        /// <summary>Starts at once.<para>Lwt: none (test double)</para></summary>
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        /// <summary>Returns once <paramref name="cancellationToken"/> (the shutdown timeout) fires.<para>Lwt: none (test double)</para></summary>
        public async Task StopAsync(CancellationToken cancellationToken) =>
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Sleeps until canceled; the cancel ends it at once.</summary>
    public sealed class PromptService : PromiseBackgroundService
    {
        internal readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Waits on a loop timer that the stop cancels.<para>Lwt: none (test double)</para></summary>
        protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            Started.SetResult();
            await LwtUnix.Sleep(1000);
        }
    }

    /// <summary>The .NET idiom: awaits Task code with the stopping token.</summary>
    public sealed class TokenAwaitingService : PromiseBackgroundService
    {
        internal readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Waits on <c>Task.Delay</c> with the stopping token.<para>Lwt: none (test double)</para></summary>
        protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            Started.SetResult();
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }

    [Fact]
    public async Task Stop_WithTheTimeoutSpent_AServiceAwaitingATaskWithTheToken_EndsAndDoesNotWarn()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100));
        builder.Services.AddPromiseHostedService<TokenAwaitingService>();
        builder.Services.AddHostedService<SlowToStop>();
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<TokenAwaitingService>();
        await host.StartAsync();
        await service.Started.Task.WaitAsync(Wait);

        await host.StopAsync().WaitAsync(Wait);

        bool canceledAtStop = service.ExecutePromise!.IsCanceled;
        var warnings = logs.AtLeast(LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.True(canceledAtStop, "the service's promise was still pending when the host's StopAsync returned");
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task Stop_WithTheTimeoutSpentByAnotherService_StillCancelsTheService_AndDoesNotWarn()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100));
        builder.Services.AddPromiseHostedService<PromptService>();
        builder.Services.AddHostedService<SlowToStop>(); // registered last: stopped first
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<PromptService>();
        await host.StartAsync();
        await service.Started.Task.WaitAsync(Wait);

        await host.StopAsync().WaitAsync(Wait);

        // The stop asked the service to stop, and the service did, before StopAsync returned.
        bool canceledAtStop = service.ExecutePromise!.IsCanceled;
        var warnings = logs.AtLeast(LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.True(canceledAtStop, "the service's promise was still pending when the host's StopAsync returned");
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task Stop_WithTheTimeoutSpent_AndTheLoopBlocked_StillReturns_AndWarns()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100));
        builder.Services.AddPromiseHostedService<PromptService>();
        builder.Services.AddHostedService<SlowToStop>();
        var host = builder.Build();
        var service = host.Services.GetRequiredService<PromptService>();
        var loop = host.Services.GetRequiredService<EventLoop>();
        await host.StartAsync();
        await service.Started.Task.WaitAsync(Wait);
        using var release = new ManualResetEventSlim();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => { blocked.SetResult(); release.Wait(); }); // the loop's code blocks it
        await blocked.Task.WaitAsync(Wait);

        var stop = host.StopAsync();
        bool returned = await Task.WhenAny(stop, Task.Delay(Wait)) == stop;
        release.Set();
        host.Dispose();
        var warnings = logs.AtLeast(LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.True(returned, "StopAsync waited for a blocked loop for ever");
        Assert.Contains(warnings, m => m.Contains("did not stop"));
    }
}
