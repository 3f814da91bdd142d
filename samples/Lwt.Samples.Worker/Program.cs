// A generic-host worker whose service is a promise on the host's Lwt event loop.
//
//   dotnet run --project samples/Lwt.Samples.Worker                 ticks until Ctrl+C
//   dotnet run --project samples/Lwt.Samples.Worker -- --ticks 3     stops the host after 3 ticks
//   ... -- --interval 0.2                                            seconds between ticks (default 1)
//
// Ctrl+C (SIGINT) or SIGTERM stops the host: the stopping token fires, the service's
// promise is canceled (the pending LwtUnix.Sleep with it), and the loop thread ends.
using Lwt;
using Lwt.Interop;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
builder.Services.AddPromiseHostedService<TickService>();
using var host = builder.Build();
host.Run();
return 0;

/// <summary>Ticks with LwtUnix.Sleep and logs, on the host's event loop.</summary>
internal sealed class TickService(ILogger<TickService> logger, IHostApplicationLifetime lifetime, IConfiguration configuration) : PromiseBackgroundService
{
    private readonly int? _maxTicks = configuration.GetValue<int?>("ticks");
    private readonly double _interval = configuration.GetValue<double?>("interval") ?? 1.0;

    protected override async Promise ExecuteAsync(CancellationToken stoppingToken)
    {
        int n = 0;
        logger.LogInformation("started on thread {Thread} ({Context})", Environment.CurrentManagedThreadId, SynchronizationContext.Current?.GetType().Name);
        try
        {
            while (true)
            {
                await LwtUnix.Sleep(_interval);
                n++;
                logger.LogInformation("tick {N} on thread {Thread}", n, Environment.CurrentManagedThreadId);
                if (n == _maxTicks)
                {
                    logger.LogInformation("{N} ticks done: stopping the host", n);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("canceled after {N} ticks: shutting down cleanly", n);
            throw;
        }
    }
}
