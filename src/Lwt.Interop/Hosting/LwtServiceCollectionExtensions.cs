using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lwt.Interop;

/// <summary>
/// Registers Lwt's event loop and promise-based hosted services with .NET's generic host.
/// <para>Lwt: (none: <c>Lwt_main</c> hosted by <c>Microsoft.Extensions.Hosting</c>)</para>
/// </summary>
public static class LwtServiceCollectionExtensions
{
    /// <summary>
    /// Runs one Lwt event loop on a dedicated (non-pool) thread for the host's lifetime and
    /// registers it as the <see cref="EventLoop"/> singleton: other services can
    /// <see cref="EventLoop.Post(Action)"/> to it, or run a promise on it and await it as a Task
    /// (<see cref="PromiseInterop.AsTask(Promise)"/>). It can be resolved before the host
    /// starts; the loop starts at the first resolution, at the latest when the host starts,
    /// and its thread ends when the host (its ServiceProvider) is disposed, after the hosted
    /// services stopped (a <see cref="EventLoop.Post(Action)"/> after that throws
    /// <see cref="InvalidOperationException"/>). Task code calls <c>LwtUnix</c> and the library modules (mutex, stream,
    /// mvar...) through <see cref="EventLoop.Post(Action)"/>: they are not thread-safe, and a
    /// timer made on a pool thread belongs to that thread, which runs no loop. While it runs, an exception that reaches the async exception hook
    /// from this loop is logged at Error instead of ending the process. Calling it more than
    /// once, before or after other registrations, registers one loop.
    /// <para>Lwt: <c>Lwt_main.run</c> for the host's lifetime</para>
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddLwtEventLoop(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(static sp => new HostedEventLoop(
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IOptions<HostOptions>>()?.Value.ShutdownTimeout ?? TimeSpan.FromSeconds(30)));
        services.TryAddSingleton(static sp => sp.GetRequiredService<HostedEventLoop>().Loop);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventLoopStarter>());
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="TService"/> as a hosted service that runs on the host's
    /// event loop (and registers the loop, as <see cref="AddLwtEventLoop"/>). The service is
    /// created with its constructor's dependencies from DI, once: it is also registered as
    /// <typeparamref name="TService"/> (a singleton, by type), so that other services and
    /// controllers can take the running instance in their constructors (the pattern
    /// <c>AddSingleton&lt;T&gt;()</c> plus <c>AddHostedService(sp =&gt; sp.GetRequiredService&lt;T&gt;())</c>,
    /// done here). Being registered by type, its constructor is checked by the container's
    /// <c>ValidateOnBuild</c> (on by default in the Development environment): a dependency a
    /// singleton cannot take, such as a scoped service, fails the host's <c>Build()</c>, as for
    /// any singleton; take an <see cref="IServiceScopeFactory"/> and make a scope per unit of work
    /// instead. A registration of <typeparamref name="TService"/> made before is replaced, as
    /// <typeparamref name="TService"/> and as a hosted service (<c>AddHostedService&lt;TService&gt;()</c>).
    /// One made after, as <typeparamref name="TService"/> (by type, factory or instance), wins as
    /// the last registration does in .NET: the hosted service is then the instance it gives,
    /// and it gets the loop when the host starts. A second <c>IHostedService</c> of this type
    /// added after this call with a plain <c>Add</c> (not <c>TryAddEnumerable</c>, which
    /// <c>AddHostedService</c> uses) is another instance, with no loop: the host's start fails
    /// with <see cref="InvalidOperationException"/>.
    /// Calling this twice registers one service.
    /// <para>Lwt: (none: .NET's <c>AddHostedService</c> for a <see cref="PromiseBackgroundService"/>)</para>
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <typeparam name="TService">The service.</typeparam>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddPromiseHostedService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IServiceCollection services)
        where TService : PromiseBackgroundService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLwtEventLoop();
        services.RemoveAll<TService>();
        // A plain AddHostedService<TService>() made before would keep its place (the one below
        // is deduplicated against it by implementation type) and start an instance with no loop.
        for (int i = services.Count - 1; i >= 0; i--)
        {
            var d = services[i];
            if (d.ServiceType == typeof(IHostedService) && !d.IsKeyedService && d.ImplementationType == typeof(TService))
                services.RemoveAt(i);
        }
        // A type registration, not a factory: the container then knows TService's constructor,
        // so ValidateOnBuild reports a dependency it cannot give a singleton (a scoped service)
        // at Build(), not at the host's start.
        services.AddSingleton<TService>();
        // .NET deduplicates a hosted service by the factory's result type, TService: a second
        // call adds no second one. The instance gets the loop here, whichever registration of
        // TService made it (a later AddSingleton<TService>() wins, as the last one does in .NET).
        services.AddHostedService(static sp =>
        {
            var service = sp.GetRequiredService<TService>();
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(TService)) ?? NullLogger.Instance;
            var behavior = sp.GetService<IOptions<HostOptions>>()?.Value.BackgroundServiceExceptionBehavior ?? BackgroundServiceExceptionBehavior.StopHost;
            service.Attach(sp.GetRequiredService<HostedEventLoop>(), logger, sp.GetService<IHostApplicationLifetime>(), behavior);
            return service;
        });
        return services;
    }

    /// <summary>Starts the loop with the host when nothing resolved it before.</summary>
    private sealed class EventLoopStarter(HostedEventLoop loop) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(loop);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
