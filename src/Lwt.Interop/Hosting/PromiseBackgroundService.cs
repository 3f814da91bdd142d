using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lwt.Interop;

/*
 * A hosted service whose body is a promise on the host's event loop: .NET's
 * BackgroundService with Lwt's promise in place of a Task.
 *
 *   StartAsync  posts ExecuteAsync to the loop (so it runs on the loop thread with the
 *               loop's SynchronizationContext current) and returns once it has returned
 *               its promise; a synchronous throw becomes the promise's rejection.
 *   running     a rejection (other than the cancellation asked by Stop) is logged at Error
 *               and follows HostOptions.BackgroundServiceExceptionBehavior: StopHost (the
 *               default) stops the application (once it has started), Ignore keeps the
 *               host running.
 *   StopAsync   on the loop: cancels the stopping token, then Cancel() on the running
 *               promise (Lwt's backwards search); waits for the promise to end, up to the
 *               host's shutdown timeout (the token the host passes to StopAsync); a
 *               promise still pending then is logged at Warning and left behind.
 */

/// <summary>
/// A hosted service that runs a promise on the host's Lwt event loop: the promise form of
/// .NET's <see cref="BackgroundService"/>. Register it with
/// <see cref="LwtServiceCollectionExtensions.AddPromiseHostedService{TService}"/>.
/// <para>Lwt: (none: <c>Lwt_main.run</c> hosted by .NET's generic host)</para>
/// </summary>
public abstract class PromiseBackgroundService : IHostedService, IDisposable
{
    private HostedEventLoop? _loop;
    private ILogger? _logger;
    private IHostApplicationLifetime? _lifetime;
    private BackgroundServiceExceptionBehavior _behavior;
    private CancellationTokenSource? _stopping;
    private Task? _started;
    private Promise? _running;
    private Task? _completion;

    /// <summary>Creates the service; the host's loop, logger and options are given by
    /// <see cref="LwtServiceCollectionExtensions.AddPromiseHostedService{TService}"/>.<para>Lwt: none (a .NET hosted service whose body is an Lwt promise run on the host's loop)</para></summary>
    protected PromiseBackgroundService()
    {
    }

    /// <summary>
    /// The service's work, called once on the host's event loop thread, with the loop's
    /// <see cref="LwtSynchronizationContext"/> current. The host's stop fires
    /// <paramref name="stoppingToken"/> and then cancels the returned promise (Lwt's
    /// <c>Lwt.cancel</c>). A synchronous throw counts as a failure of the service, and so does
    /// returning null (an <see cref="InvalidOperationException"/>).
    /// <para>Lwt: the promise given to <c>Lwt_main.run</c></para>
    /// </summary>
    /// <param name="stoppingToken">Fired when the host stops.</param>
    /// <returns>The promise of the service's work.</returns>
    protected abstract Promise ExecuteAsync(CancellationToken stoppingToken);

    /// <summary>The promise returned by <see cref="ExecuteAsync"/>, once started (null before; a rejected promise when it threw or returned null).<para>Lwt: none (the promise of the body, like <c>BackgroundService.ExecuteTask</c>)</para></summary>
    public Promise? ExecutePromise => _running;

    /// <summary>Gives the service what it runs with (called by the DI factory).</summary>
    internal void Attach(HostedEventLoop loop, ILogger logger, IHostApplicationLifetime? lifetime, BackgroundServiceExceptionBehavior behavior)
    {
        _loop = loop;
        _logger = logger;
        _lifetime = lifetime;
        _behavior = behavior;
    }

    /// <summary>
    /// Starts <see cref="ExecuteAsync"/> on the event loop and completes once it has returned
    /// its promise (not when the promise resolves).
    /// <para>Lwt: (none: .NET's <see cref="IHostedService.StartAsync"/>)</para>
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait for the start (the host's startup timeout).</param>
    /// <returns>A Task that completes when the service has started.</returns>
    /// <exception cref="InvalidOperationException">The service was not registered with <c>AddPromiseHostedService</c>, or the host's loop has ended (the host was disposed).</exception>
    public virtual Task StartAsync(CancellationToken cancellationToken)
    {
        var loop = _loop ?? throw new InvalidOperationException(
            $"{GetType().Name} must be registered with services.AddPromiseHostedService<{GetType().Name}>(), which gives it the host's event loop when the host starts, and not added again as an IHostedService after that call: that instance has no loop.");
        var stopping = _stopping = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _started = started.Task;
        // Under the retirement's lock (EventLoop.Retire): a start racing the host's disposal
        // runs or throws, and the Task it returns never waits for ever.
        loop.Loop.PostUnlessEnded(() =>
        {
            Promise p;
            try
            {
                p = ExecuteAsync(stopping.Token) ?? Promise.Fail(new InvalidOperationException($"{GetType().Name}.ExecuteAsync returned null instead of a promise."));
            }
            catch (Exception e)
            {
                p = Promise.Fail(e);
            }
            _running = p;
            _completion = WatchAsync(p, stopping);
            started.TrySetResult();
        });
        return started.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for the service's promise and handles its failure (on the thread pool).</summary>
    private async Task WatchAsync(Promise running, CancellationTokenSource stopping)
    {
        try
        {
            await running.AsTask().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host asked the service to stop: not a failure.
        }
        catch (Exception e)
        {
            var logger = _logger!;
            logger.LogError(e, "The PromiseBackgroundService {Service} failed: {Message}", GetType().FullName, e.Message);
            if (_behavior == BackgroundServiceExceptionBehavior.StopHost)
            {
                logger.LogCritical("The host is stopping because {Service} failed (HostOptions.BackgroundServiceExceptionBehavior is StopHost).", GetType().FullName);
                // A failure during the host's start (a synchronous throw, say) stops the host
                // once it has started: stopping now would cancel the other services' starts
                // and make StartAsync throw a bare TaskCanceledException.
                if (_lifetime is { } lifetime)
                {
                    if (lifetime.ApplicationStarted.IsCancellationRequested) lifetime.StopApplication();
                    else lifetime.ApplicationStarted.Register(static l => ((IHostApplicationLifetime)l!).StopApplication(), lifetime);
                }
            }
        }
    }

    /// <summary>
    /// Stops the service: on the event loop, fires the stopping token and cancels the running
    /// promise (<c>Lwt.cancel</c>), then waits for the promise to end or for
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout). The cancel itself is
    /// waited for even when <paramref name="cancellationToken"/> has already fired (another
    /// hosted service used up the shutdown timeout), as <see cref="BackgroundService"/> cancels
    /// before its bounded wait: a promise that the cancel ends (directly, or through an await of
    /// Task code given the stopping token) has ended when this returns (a
    /// loop too busy to run the cancel is waited for up to the host's shutdown timeout again,
    /// the time the loop's disposal gives its thread).
    /// <para>Lwt: <c>Lwt.cancel</c>, from .NET's <see cref="IHostedService.StopAsync"/></para>
    /// </summary>
    /// <param name="cancellationToken">Ends the wait (the host's shutdown timeout).</param>
    /// <returns>A Task that completes when the service has stopped or the wait was abandoned
    /// (then a warning is logged: the service's promise is left pending).</returns>
    public virtual async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_started is null || _loop is null) return;
        await _started.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_started.IsCompletedSuccessfully) return;
        var stopping = _stopping!;
        var running = _running!;
        var logger = _logger!;
        // A loop whose thread has ended cannot run the cancel (Post would refuse it): the
        // service's promise can never end, so there is nothing to wait for.
        if (_loop.HasStopped) return;
        var loop = _loop;
        var canceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool posted = _loop.Loop.TryPostUnlessEnded(() =>
        {
            try
            {
                stopping.Cancel();
            }
            catch (Exception e)
            {
                logger.LogError(e, "A stopping-token callback of {Service} threw.", GetType().FullName);
            }
            try
            {
                running.Cancel();
            }
            finally
            {
                // What the cancel queued on the loop runs first: an await of Task code (a
                // Task.Delay with the stopping token) resumes through the loop's context, one
                // turn later, and ends the promise there.
                if (!running.IsPending || !loop.Loop.TryPostUnlessEnded(() => canceled.TrySetResult()))
                    canceled.TrySetResult();
            }
        });
        // The cancel is made before the wait is bounded, as BackgroundService.StopAsync cancels
        // its token synchronously before its bounded wait: the host's token may already have
        // fired (another hosted service, Kestrel draining its requests, used up the shutdown
        // timeout), and a service whose promise ends at the cancel must still end, not be
        // reported as stuck and then canceled behind the host's back by the loop's disposal.
        // The loop runs the action at its next iteration (or its retirement runs it); a loop
        // blocked by its code gets no longer than its disposal's join would wait for it.
        if (posted)
        {
            var wait = cancellationToken.IsCancellationRequested
                ? canceled.Task.WaitAsync(_loop.JoinTimeout)
                : canceled.Task.WaitAsync(cancellationToken);
            await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        var completion = _completion!;
        await completion.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // The host gives up on the service silently (it moves on to the next one and disposes
        // the loop): say so, since the promise left pending is usually a bug of the service
        // (a promise made with Promise.Create, which a cancel cannot reach, or a loop that
        // never looks at the stopping token).
        if (!completion.IsCompleted && running.IsPending)
        {
            logger.LogWarning(
                "The PromiseBackgroundService {Service} did not stop within the host's shutdown timeout: its promise is still pending. " +
                "Return a promise that Cancel() reaches (not one of Promise.Create), or end it when the stopping token fires.",
                GetType().FullName);
        }
    }

    /// <summary>Releases the service: fires the stopping token, on the event loop, if the service was started and never stopped and the loop still runs.<para>Lwt: none (the .NET IDisposable pattern)</para></summary>
    public virtual void Dispose()
    {
        var stopping = _stopping;
        if (stopping is null || stopping.IsCancellationRequested || _loop is null || _loop.HasStopped) return;
        _loop.Loop.TryPostUnlessEnded(() => // never throws, even if the loop's thread ends meanwhile
        {
            try
            {
                stopping.Cancel();
            }
            catch (Exception e)
            {
                Promise.ReportUnhandled(e);
            }
        });
        GC.SuppressFinalize(this);
    }
}
