namespace Lwt.Interop;

/*
 * A loop on a thread of its own, for code that is all Tasks: AsyncEx's AsyncContextThread,
 * with an Lwt loop in place of the AsyncContext. What a library does when it hides Lwt behind
 * an ordinary Task API (the host's AddLwtEventLoop is the same thing for a generic host).
 *
 *   construction   starts a dedicated background thread that runs LwtMain.Run until the
 *                  object is disposed, and returns once the loop runs (Loop can be posted to
 *                  at once).
 *   InvokeAsync    posts f to the loop, runs it there (the loop's context current), and ends
 *                  the returned Task as f's promise ends; the token cancels the promise (Lwt's
 *                  cancel, on the loop) and the Task, as AsTask(token) does (before f ran: the
 *                  Task, and f is never run). Continuations of the Task run on the thread
 *                  pool, never on the loop thread, so callers that block do not block the loop.
 *   disposal       every call still in flight is canceled (its promise too) and its Task
 *                  ends Canceled, even when the promise cannot be canceled: a caller never
 *                  waits for ever on a loop that is gone. A promise that the cancel resolves
 *                  there and then (a handler that catches the cancel, or throws) gives its
 *                  outcome instead: the Task ends as it ended, no exception is dropped.
 *                  Then the run ends, what was posted to the loop meanwhile runs (the loop
 *                  is retired: a detached job's result that lands now is not lost), the
 *                  thread's engine is disposed (its epoll descriptor and eventfd closed)
 *                  and the thread exits; Dispose joins it, DisposeAsync
 *                  awaits it. Called on the loop thread itself (from an invocation),
 *                  disposal only asks the loop to stop.
 *
 * The calls in flight are kept in a set under a lock, from the call to the end of the Task:
 * a call posted while the loop stops may never be run by it, and the thread's last act is to
 * cancel what is left, so no Task is lost whichever order the two happen in. That last act
 * first marks the object ended under the same lock: a loop that failed (not disposed) still
 * takes calls, and one made after that mark ends its Task Canceled at once, since a post to
 * a loop that no longer runs would never be run.
 */

/// <summary>
/// An Lwt event loop running on a dedicated thread until disposed, driven from Task code:
/// <see cref="InvokeAsync{T}(Func{Promise{T}}, CancellationToken)"/> runs a promise-returning
/// function on the loop and gives its result back as a <see cref="Task{TResult}"/>. The way to
/// put Lwt behind an ordinary Task API (a library whose callers never see a promise), as
/// AsyncEx's <c>AsyncContextThread</c> does for its context.
/// <para>Lwt: none (<c>Lwt_main.run</c> on a thread of its own, driven from .NET Tasks)</para>
/// </summary>
public sealed class EventLoopThread : IDisposable, IAsyncDisposable
{
    private readonly Thread _thread;
    private readonly Action<Exception>? _asyncExceptionHook;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly HashSet<IInvocation> _calls = [];
    private bool _disposed;
    private bool _ended; // the thread's last act has begun: a call no longer reaches the loop
    private EventLoop? _loop;
    private Resolver<Unit>? _stop;

    /// <summary>
    /// Starts the thread and its loop; returns once the loop runs.
    /// <para>Lwt: none (a thread running <c>Lwt_main.run</c>)</para>
    /// </summary>
    /// <param name="name">The thread's name (for debuggers and dumps); null: "Lwt event loop".</param>
    /// <param name="asyncExceptionHook">
    /// Receives the exceptions that would reach <see cref="Promise.AsyncExceptionHook"/> from
    /// this loop (a failed <c>Promise.Async</c> or <c>On*</c> callback), in place of it; null:
    /// the global hook, whose default ends the process. A library should pass one (to log),
    /// so that its loop's failures do not end its caller's process. It must not throw: an
    /// exception it throws ends the loop itself (<see cref="Completion"/> faulted, the calls in
    /// flight and any later ones end Canceled).
    /// </param>
    public EventLoopThread(string? name = null, Action<Exception>? asyncExceptionHook = null)
    {
        _asyncExceptionHook = asyncExceptionHook;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Run(ready)) { IsBackground = true, Name = name ?? "Lwt event loop" };
        _thread.Start();
        ready.Task.GetAwaiter().GetResult();
    }

    /// <summary>The loop: post to it, or run Task code on its <see cref="EventLoop.TaskScheduler"/>.<para>Lwt: none (the thread's loop)</para></summary>
    public EventLoop Loop => _loop!;

    /// <summary>
    /// A Task that completes when the thread is about to exit (after disposal), faulted if the
    /// loop itself failed (a bug: promises' failures never end the run).
    /// <para>Lwt: none</para>
    /// </summary>
    public Task Completion => _exited.Task;

    /// <summary>Whether the thread has exited (a post to its loop would throw).</summary>
    internal bool HasExited => !_thread.IsAlive;

    /// <summary>Waits up to <paramref name="timeout"/> for the thread to exit; false if it has not.</summary>
    internal bool Join(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>Whether the caller is on the loop's thread.</summary>
    internal bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    private void Run(TaskCompletionSource ready)
    {
        var resolution = ResolutionLoop.Current;
        resolution.ExceptionHookOverride = _asyncExceptionHook;
        Exception? failure = null;
        try
        {
            LwtMain.Run(() =>
            {
                var (stop, resolver) = Promise.Create();
                _stop = resolver;
                _loop = EventLoop.Current!;
                _loop.Driver = this; // PromiseInterop.InvokeAsync(loop, ...) comes here
                ready.SetResult();
                return stop;
            });
        }
        catch (Exception e)
        {
            // Before the loop ran: the constructor throws it. After (a fault of the loop
            // itself, not of a promise: the stop promise is never rejected): Completion.
            if (!ready.TrySetException(e)) failure = e;
        }
        finally
        {
            // Calls that came while the loop stopped, which it may never have run; from here
            // on InvokeAsync ends its Task Canceled itself (a loop that failed, not disposed,
            // still takes calls, and one posted now would never run).
            lock (_gate) _ended = true;
            try
            {
                CancelCalls();
            }
            catch (Exception e)
            {
                failure ??= e; // not thrown from the thread (that would end the process): Completion's
            }
            try
            {
                // What reached the loop after its last iteration (a detached job's result, a
                // Task's continuation, an await's) runs now; what comes later is delivered by
                // its sender or refused (EventLoop.Retire), instead of waiting for a run that
                // this thread will never make.
                _loop?.Retire();
            }
            catch (Exception e)
            {
                failure ??= e;
            }
            resolution.ExceptionHookOverride = null;
            LwtEngine.Current.Dispose();
            if (failure is null) _exited.TrySetResult();
            else _exited.TrySetException(failure);
        }
    }

    /// <summary>
    /// Runs <paramref name="f"/> on the loop and returns a Task that ends as its promise ends:
    /// with its value, its exception, or Canceled (a promise rejected with
    /// <see cref="OperationCanceledException"/>, as <see cref="PromiseInterop.AsTask{T}(Promise{T})"/>
    /// maps it). A throw from <paramref name="f"/> faults the Task. When
    /// <paramref name="cancellationToken"/> fires, the promise is canceled on the loop and the
    /// Task ends Canceled at once (as <see cref="PromiseInterop.AsTask{T}(Promise{T}, CancellationToken)"/>);
    /// a token that fires before the loop runs <paramref name="f"/> (or is already canceled)
    /// ends the Task Canceled and <paramref name="f"/> is never run;
    /// when the object is disposed first, the same. After the loop itself failed
    /// (<see cref="Completion"/> faulted), <paramref name="f"/> is not run and the Task ends
    /// Canceled. The Task's continuations run on the thread pool, not on the loop thread.
    /// <para>Lwt: none (<c>f ()</c> run on the loop, seen as a Task)</para>
    /// </summary>
    /// <param name="f">Makes the promise, on the loop thread.</param>
    /// <param name="cancellationToken">Cancels the promise and the Task.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The Task of the promise's outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The object was disposed.</exception>
    public Task<T> InvokeAsync<T>(Func<Promise<T>> f, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(f);
        var call = new Invocation<T>(this, f, cancellationToken);
        call.Register(); // a token that fires from now on ends the Task at once (before the set: disposal finds it registered)
        lock (_gate)
        {
            if (_disposed)
            {
                call.Unregister();
                ObjectDisposedException.ThrowIf(true, this);
            }
            if (_ended)
            {
                // The loop failed and its thread is ending or gone: nothing will run f.
                call.CancelUnstarted();
                return call.Task;
            }
            // Canceled by the token already (its Forget came before this add, or will remove it).
            if (call.Task.IsCompleted) return call.Task;
            _calls.Add(call);
        }
        Loop.TryPostUnlessEnded(call.Start); // if the thread ends meanwhile, its last act cancels the call
        return call.Task;
    }

    /// <summary>
    /// The untyped <see cref="InvokeAsync{T}(Func{Promise{T}}, CancellationToken)"/>.
    /// <para>Lwt: none (<c>f ()</c> run on the loop, seen as a Task)</para>
    /// </summary>
    /// <param name="f">Makes the promise, on the loop thread.</param>
    /// <param name="cancellationToken">Cancels the promise and the Task.</param>
    /// <returns>The Task of the promise's outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The object was disposed.</exception>
    public Task InvokeAsync(Func<Promise> f, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(f);
        return InvokeAsync(() => (f() ?? throw NullPromise()).Map(static () => Unit.Value), cancellationToken);
    }

    private static InvalidOperationException NullPromise() =>
        new("The function given to EventLoopThread.InvokeAsync returned null instead of a promise.");

    /// <summary>
    /// Stops the loop and waits for its thread to exit: the calls in flight end Canceled
    /// (their promises are canceled; one that the cancel resolves at once, through a handler
    /// that catches it, ends its Task as it ended: a value, or that handler's exception), then
    /// the thread's engine is disposed. Called on the loop thread, only asks the loop to stop.
    /// A second call does nothing. What was posted to the loop until the thread's end (a
    /// detached job's result, a Task's or an await's continuation) is run before it ends,
    /// never lost. A result that comes later is delivered by its worker, and the callbacks of
    /// its promise then run on that worker (a stopped loop's promises are anyone's): Lwt I/O
    /// or a <c>Detach</c> that such a callback starts there belongs to no running loop and
    /// never completes, so let work that chains further end before disposing.
    /// Once the thread is ending, nothing more can run on it: a
    /// <see cref="EventLoop.Post(Action)"/> or a Task queued to its scheduler throws
    /// <see cref="InvalidOperationException"/>, and a Post of its <see cref="SynchronizationContext"/>
    /// is dropped, so an <c>await</c> that captured the context and resumes after the end (an
    /// async method started on the loop, still waiting on a Task) never resumes
    /// (<see cref="LwtSynchronizationContext.Post"/> says why): let such methods end, or cancel
    /// them, before disposing.
    /// <para>Lwt: none (the end of <c>Lwt_main.run</c>)</para>
    /// </summary>
    public void Dispose()
    {
        RequestStop();
        if (!IsLoopThread) _thread.Join();
    }

    /// <summary>
    /// As <see cref="Dispose"/>, without blocking: completes when the thread has exited.
    /// <para>Lwt: none (the end of <c>Lwt_main.run</c>)</para>
    /// </summary>
    /// <returns>A ValueTask that completes when the thread has exited (at once on the loop
    /// thread); it does not throw a failure of the loop itself, which <see cref="Completion"/> gives.</returns>
    public ValueTask DisposeAsync()
    {
        RequestStop();
        return IsLoopThread ? default : AwaitExit();
    }

    /// <summary>Waits for the thread's exit without throwing the loop's failure (as Dispose: that is Completion's).</summary>
    private async ValueTask AwaitExit() => await _exited.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>Asks the loop to stop (the first time): cancels the calls in flight, then ends the run.</summary>
    internal void RequestStop()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        Loop.TryPostUnlessEnded(() =>
        {
            try
            {
                CancelCalls();
            }
            finally
            {
                _stop!.TryResolve(default); // the run ends even if a cancel threw (that goes to the hook)
            }
        });
    }

    /// <summary>On the loop thread: cancels every call in flight (its promise, and its Task).</summary>
    private void CancelCalls()
    {
        IInvocation[] calls;
        lock (_gate)
        {
            calls = [.. _calls];
            _calls.Clear();
        }
        // Each call is ended even when one's cancel throws (a hook that throws, fed by a
        // callback that the cancel ran): the first exception is thrown after all of them.
        Exception? first = null;
        foreach (var call in calls)
        {
            try
            {
                call.Cancel();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }

    private void Forget(IInvocation call)
    {
        lock (_gate) _calls.Remove(call);
    }

    private interface IInvocation
    {
        /// <summary>On the loop thread: cancels the promise if it was made, and ends the Task Canceled.</summary>
        void Cancel();
    }

    /// <summary>One InvokeAsync: the function, its promise once made (loop thread only) and the caller's Task.</summary>
    /// <remarks>
    /// The caller's token is registered at the call, so that it ends the Task at once also
    /// while the call waits for the loop (then f never runs), as AsTask(token) does. Once f has
    /// run, the token reaches AsTask through a source of the call's own (<c>_link</c>). The
    /// call leaves the caller's token when it ends: AsTask(token) keeps its registration until
    /// the promise resolves or the token fires, and a promise that disposal could not cancel
    /// never resolves, so a long-lived token (an application's stopping token) would keep the
    /// call, its function and the whole EventLoopThread alive.
    /// </remarks>
    private sealed class Invocation<T>(EventLoopThread owner, Func<Promise<T>> f, CancellationToken token) : IInvocation
    {
        private const int NotStarted = 0, Started = 1, CanceledBeforeStart = 2;

        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Promise<T>? _promise;
        private CancellationTokenSource? _link;
        private CancellationTokenRegistration _registration;
        private int _state;

        internal Task<T> Task => _result.Task;

        /// <summary>At the call, before the call is in the owner's set: registers on the caller's token.</summary>
        internal void Register()
        {
            if (token.CanBeCanceled) _registration = token.UnsafeRegister(static s => ((Invocation<T>)s!).OnToken(), this);
        }

        /// <summary>Leaves the caller's token (never waits for a callback under way).</summary>
        internal void Unregister() => _registration.Unregister();

        /// <summary>Any thread: before f ran, ends the Task (Start will not run f); after, cancels through the link.</summary>
        private void OnToken()
        {
            if (Interlocked.CompareExchange(ref _state, CanceledBeforeStart, NotStarted) == NotStarted)
            {
                _result.TrySetCanceled(token); // first: the owner's add looks at it after a Forget that came before
                owner.Forget(this);
                return;
            }
            _link!.Cancel(); // Start made it before it claimed the call (fired while f ran: AsTask sees it canceled)
        }

        /// <summary>On the loop thread: makes the promise and forwards its outcome to the Task.</summary>
        internal void Start()
        {
            if (_result.Task.IsCompleted) return; // canceled before it ran (by disposal, or the token)
            CancellationTokenSource? link = null;
            if (token.CanBeCanceled) _link = link = new CancellationTokenSource();
            if (Interlocked.CompareExchange(ref _state, Started, NotStarted) != NotStarted) return; // the token came first
            Promise<T> promise;
            try
            {
                promise = f() ?? throw NullPromise();
            }
            catch (Exception e)
            {
                promise = Promise.Fail<T>(e);
            }
            _promise = promise;
            var outcome = link is null ? promise.AsTask() : promise.AsTask(link.Token);
            outcome.ContinueWith(
                static (t, s) => ((Invocation<T>)s!).Finish(t), this,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private void Finish(Task<T> outcome)
        {
            // Canceled by the caller's token (through the link): Canceled with that token, as AsTask(token).
            if (outcome.IsCanceled && _link is { IsCancellationRequested: true }) _result.TrySetCanceled(token);
            else _result.TrySetFromTask(outcome);
            Unregister();
            owner.Forget(this);
        }

        /// <summary>Under the owner's lock, a call that never reached the loop: ends the Task Canceled.</summary>
        internal void CancelUnstarted()
        {
            _result.TrySetCanceled();
            Unregister();
        }

        public void Cancel()
        {
            try
            {
                _promise?.Cancel();
            }
            catch (Exception e)
            {
                Promise.ReportUnhandled(e); // may throw (a hook that throws): the Task ends all the same
            }
            finally
            {
                _result.TrySetCanceled();
                Unregister(); // the promise may never resolve: leave the caller's token
            }
        }
    }
}
