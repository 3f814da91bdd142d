using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * `await promise`.
 *
 * Inside an `async Promise` method the builder recognizes these awaiters and registers
 * its state machine box directly as a callback of the promise (PromiseMethodBuilder.cs):
 * on the method's loop, it resumes as an Lwt callback, with no delegate and no hop; off any
 * loop, it resumes where the rules below put an `async Task` (the builder applies them).
 *
 * Any other awaiting code (an `async Task` method, say) goes through OnCompleted. Where
 * it resumes depends on where it awaited (API.md):
 *  - on an event loop (the loop's SynchronizationContext or TaskScheduler is current):
 *    as an Lwt callback, at once when the promise resolves, as above;
 *  - elsewhere: on the awaiting code's SynchronizationContext, else its TaskScheduler,
 *    else the thread pool; never on the loop thread by surprise;
 *  - ConfigureAwait(false): wherever the promise resolves (inline).
 * Registering a continuation on a promise that belongs to a loop running on another
 * thread is itself posted to that loop, since promises are not thread-safe.
 *
 * Every awaiter is a struct whose first field is the promise (IPromiseAwaiter marks
 * them), so the builder can read it without boxing, as the BCL does with ITaskAwaiter;
 * the ConfigureAwait awaiters (IConfiguredPromiseAwaiter) have the flag second.
 */

/// <summary>Marks the awaiters whose first (and only reference) field is the awaited promise.</summary>
internal interface IPromiseAwaiter
{
}

/// <summary>Marks the awaiters of ConfigureAwait, whose second field is continueOnCapturedContext.</summary>
internal interface IConfiguredPromiseAwaiter : IPromiseAwaiter
{
}

/// <summary>The layout every <see cref="IPromiseAwaiter"/> shares.</summary>
internal readonly struct PromiseAwaiterLayout
{
    internal readonly Promise Promise;
}

/// <summary>The layout every <see cref="IConfiguredPromiseAwaiter"/> shares (same fields, same order: the same layout).</summary>
internal readonly struct ConfiguredPromiseAwaiterLayout
{
    internal readonly Promise Promise;
    internal readonly bool ContinueOnCapturedContext;
}

/// <summary>Awaits an untyped promise: returns when it is fulfilled, rethrows its exception (not wrapped) when it is rejected.<para>Lwt: <c>let%lwt () = p in ...</c></para></summary>
public readonly struct PromiseAwaiter : ICriticalNotifyCompletion, IPromiseAwaiter
{
    private readonly Promise _promise;

    internal PromiseAwaiter(Promise promise) => _promise = promise;

    /// <summary>Whether the promise is resolved.<para>Lwt: <c>not (Lwt.is_sleeping p)</c></para></summary>
    public bool IsCompleted => _promise.CurrentStatus != Status.Pending;

    /// <summary>Returns if fulfilled; rethrows the rejection itself, with its stack trace.<para>Lwt: <c>match Lwt.state p with Return v -&gt; v | Fail exn -&gt; raise exn</c></para></summary>
    public void GetResult() => AwaitSupport.ThrowIfNotFulfilled(_promise.Underlying());

    /// <summary>Schedules the continuation (flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
    /// <param name="continuation">What to run when the promise is resolved.</param>
    public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: true, continueOnCapturedContext: true);

    /// <summary>Schedules the continuation (without flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
    /// <param name="continuation">What to run when the promise is resolved.</param>
    public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: false, continueOnCapturedContext: true);
}

/// <summary>Awaits a <see cref="Promise{T}"/>: returns its value, or rethrows its exception (not wrapped).<para>Lwt: <c>let%lwt x = p in ...</c></para></summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct PromiseAwaiter<T> : ICriticalNotifyCompletion, IPromiseAwaiter
{
    private readonly Promise<T> _promise;

    internal PromiseAwaiter(Promise<T> promise) => _promise = promise;

    /// <summary>Whether the promise is resolved.<para>Lwt: <c>not (Lwt.is_sleeping p)</c></para></summary>
    public bool IsCompleted => _promise.CurrentStatus != Status.Pending;

    /// <summary>Returns the value if fulfilled; rethrows the rejection itself, with its stack trace.<para>Lwt: <c>match Lwt.state p with Return v -&gt; v | Fail exn -&gt; raise exn</c></para></summary>
    public T GetResult()
    {
        var p = _promise.UnderlyingT();
        if (p._status != Status.Fulfilled) AwaitSupport.ThrowIfNotFulfilled(p);
        return p._value;
    }

    /// <summary>Schedules the continuation (flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
    /// <param name="continuation">What to run when the promise is resolved.</param>
    public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: true, continueOnCapturedContext: true);

    /// <summary>Schedules the continuation (without flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
    /// <param name="continuation">What to run when the promise is resolved.</param>
    public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: false, continueOnCapturedContext: true);
}

/// <summary>The awaitable returned by <see cref="Promise.ConfigureAwait(bool)"/>.<para>Lwt: none (the .NET <c>ConfigureAwait</c> pattern; in Lwt every callback runs where the promise resolves)</para></summary>
public readonly struct ConfiguredPromiseAwaitable
{
    private readonly Promise _promise;
    private readonly bool _continueOnCapturedContext;

    internal ConfiguredPromiseAwaitable(Promise promise, bool continueOnCapturedContext)
    {
        _promise = promise;
        _continueOnCapturedContext = continueOnCapturedContext;
    }

    /// <summary>The awaiter.<para>Lwt: none (the .NET <c>ConfigureAwait</c> pattern; in Lwt every callback runs where the promise resolves)</para></summary>
    public ConfiguredPromiseAwaiter GetAwaiter() => new(_promise, _continueOnCapturedContext);

    /// <summary>The awaiter of <see cref="ConfiguredPromiseAwaitable"/>.<para>Lwt: <c>let%lwt</c></para></summary>
    public readonly struct ConfiguredPromiseAwaiter : ICriticalNotifyCompletion, IConfiguredPromiseAwaiter
    {
        private readonly Promise _promise;
        private readonly bool _continueOnCapturedContext;

        internal ConfiguredPromiseAwaiter(Promise promise, bool continueOnCapturedContext)
        {
            _promise = promise;
            _continueOnCapturedContext = continueOnCapturedContext;
        }

        /// <summary>Whether the promise is resolved.<para>Lwt: <c>not (Lwt.is_sleeping p)</c></para></summary>
        public bool IsCompleted => _promise.CurrentStatus != Status.Pending;

        /// <summary>Returns if fulfilled; rethrows the rejection itself.<para>Lwt: <c>match Lwt.state p with Return v -&gt; v | Fail exn -&gt; raise exn</c></para></summary>
        public void GetResult() => AwaitSupport.ThrowIfNotFulfilled(_promise.Underlying());

        /// <summary>Schedules the continuation (flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, true, _continueOnCapturedContext);

        /// <summary>Schedules the continuation (without flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, false, _continueOnCapturedContext);
    }
}

/// <summary>The awaitable returned by <see cref="Promise{T}.ConfigureAwait(bool)"/>.<para>Lwt: none (the .NET <c>ConfigureAwait</c> pattern; in Lwt every callback runs where the promise resolves)</para></summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct ConfiguredPromiseAwaitable<T>
{
    private readonly Promise<T> _promise;
    private readonly bool _continueOnCapturedContext;

    internal ConfiguredPromiseAwaitable(Promise<T> promise, bool continueOnCapturedContext)
    {
        _promise = promise;
        _continueOnCapturedContext = continueOnCapturedContext;
    }

    /// <summary>The awaiter.<para>Lwt: none (the .NET <c>ConfigureAwait</c> pattern; in Lwt every callback runs where the promise resolves)</para></summary>
    public ConfiguredPromiseAwaiter GetAwaiter() => new(_promise, _continueOnCapturedContext);

    /// <summary>The awaiter of <see cref="ConfiguredPromiseAwaitable{T}"/>.<para>Lwt: <c>let%lwt</c></para></summary>
    public readonly struct ConfiguredPromiseAwaiter : ICriticalNotifyCompletion, IConfiguredPromiseAwaiter
    {
        private readonly Promise<T> _promise;
        private readonly bool _continueOnCapturedContext;

        internal ConfiguredPromiseAwaiter(Promise<T> promise, bool continueOnCapturedContext)
        {
            _promise = promise;
            _continueOnCapturedContext = continueOnCapturedContext;
        }

        /// <summary>Whether the promise is resolved.<para>Lwt: <c>not (Lwt.is_sleeping p)</c></para></summary>
        public bool IsCompleted => _promise.CurrentStatus != Status.Pending;

        /// <summary>Returns the value if fulfilled; rethrows the rejection itself.<para>Lwt: <c>match Lwt.state p with Return v -&gt; v | Fail exn -&gt; raise exn</c></para></summary>
        public T GetResult()
        {
            var p = _promise.UnderlyingT();
            if (p._status != Status.Fulfilled) AwaitSupport.ThrowIfNotFulfilled(p);
            return p._value;
        }

        /// <summary>Schedules the continuation (flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, true, _continueOnCapturedContext);

        /// <summary>Schedules the continuation (without flowing the ExecutionContext).<para>Lwt: <c>Lwt.on_any</c>, for the rest of the awaiting method</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, false, _continueOnCapturedContext);
    }
}

public partial class Promise
{
    /// <summary>The awaiter for <c>await promise</c>.<para>Lwt: <c>let%lwt</c> / <c>Lwt_direct.await</c></para></summary>
    public PromiseAwaiter GetAwaiter() => new(this);

    /// <summary>
    /// Configures <c>await</c>: with <see langword="false"/>, the continuation runs wherever the
    /// promise resolves (on its loop), like <see cref="Task.ConfigureAwait(bool)"/>.
    /// <para>
    /// So Task code on another thread that awaits a loop's promise with <see langword="false"/>
    /// goes on <em>on the loop's thread</em>, up to its next await that leaves it: a blocking
    /// call there (<c>Thread.Sleep</c>, <c>.Result</c>, <c>Wait()</c>, a host's
    /// <c>Dispose</c>, which waits for that very thread to end) blocks the loop, its timers and
    /// I/O. A host disposed from there cannot stop its loop: the loop keeps running and
    /// <see cref="EventLoop.Post(System.Action)"/> still accepts actions afterwards. Keep
    /// <see langword="true"/> (the default) in such code, or leave the loop before blocking with
    /// <c>await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding)</c>,
    /// which resumes on the thread pool. Not with <c>await Task.Yield()</c>: the code runs
    /// there with the loop's <see cref="LwtSynchronizationContext"/> current, so the yield
    /// posts its rest back to the loop, and it stays on the loop's thread.
    /// </para>
    /// <para>Lwt: none (the .NET <c>ConfigureAwait</c> pattern; in Lwt every callback runs where the promise resolves)</para>
    /// </summary>
    /// <param name="continueOnCapturedContext">Whether to resume on the awaiting code's context.</param>
    public ConfiguredPromiseAwaitable ConfigureAwait(bool continueOnCapturedContext) => new(this, continueOnCapturedContext);
}

public partial class Promise<T>
{
    /// <summary>The awaiter for <c>await promise</c>.<para>Lwt: <c>let%lwt</c> / <c>Lwt_direct.await</c></para></summary>
    public new PromiseAwaiter<T> GetAwaiter() => new(this);

    /// <inheritdoc cref="Promise.ConfigureAwait(bool)"/>
    public new ConfiguredPromiseAwaitable<T> ConfigureAwait(bool continueOnCapturedContext) => new(this, continueOnCapturedContext);
}

/// <summary>The shared logic of the awaiters.</summary>
internal static class AwaitSupport
{
    /// <summary>Rethrows the rejection (or complains about a pending promise).</summary>
    internal static void ThrowIfNotFulfilled(Promise p)
    {
        if (p._status == Status.Fulfilled) return;
        Throw(p);
    }

    [DoesNotReturn]
    private static void Throw(Promise p)
    {
        if (p._status == Status.Rejected) ExceptionDispatchInfo.Throw(p.Rejection);
        throw new InvalidOperationException("The promise is still pending: GetResult is called by await once the promise is resolved, and does not block. "
            + "To wait for it from code that is not on its loop, block on promise.AsTask() (Lwt.Interop) instead; on the loop's own thread, await it (blocking there would stop the loop that resolves it).");
    }

    /// <summary>What GetResult of a ReturnFrom awaiter throws: only an async Promise method's builder knows how to end the method there.</summary>
    internal static InvalidOperationException ReturnFromOutsideAsyncPromise() =>
        new("Promise.ReturnFrom ends an async Promise method, whose builder makes the method's promise the given one; "
            + "it was awaited elsewhere (an async Task method, or by hand). There, await the promise itself.");

    internal static void OnCompleted(Promise promise, Action continuation, bool flowContext, bool continueOnCapturedContext)
    {
        if (continuation is null) ThrowHelper.ThrowArgumentNull(nameof(continuation));
        var context = flowContext ? ExecutionContext.Capture() : null;
        Callback callback;
        if (!continueOnCapturedContext)
        {
            callback = new InlineContinuation(continuation, context);
        }
        else
        {
            var sc = SynchronizationContext.Current;
            var ts = TaskScheduler.Current;
            // On a loop, awaiting a promise of that same loop: an Lwt callback, no hop. A
            // promise of another loop (or of none) is waited for like any foreign event: the
            // continuation goes through this loop's context, never runs on the other thread.
            if ((sc is ILoopContext || ts is ILoopContext) && IsOwnedByThisThreadsLoop(promise))
                callback = new InlineContinuation(continuation, context);
            else
            {
                callback = ResumeTarget(sc, ts) switch
                {
                    SynchronizationContext target => new PostedContinuation(target, continuation, context),
                    TaskScheduler target => new ScheduledContinuation(target, continuation, context),
                    _ => new ThreadPoolContinuation(continuation, context),
                };
            }
        }
        Register(promise, callback);
    }

    /// <summary>
    /// Where an <c>async Task</c> awaiting with this SynchronizationContext and TaskScheduler
    /// current resumes: on the context if it is one of its own (not the base class, which
    /// stands for the pool), else on a scheduler other than the default; null for the thread
    /// pool. Also what an <c>async Promise</c> method off any loop resumes on
    /// (OffLoopResume).
    /// </summary>
    internal static object? ResumeTarget(SynchronizationContext? sc, TaskScheduler ts) =>
        sc is not null && sc.GetType() != typeof(SynchronizationContext) ? sc
        : ts != TaskScheduler.Default ? ts
        : null;

    /// <summary>Whether this thread runs an event loop and <paramref name="promise"/> belongs to it.</summary>
    internal static bool IsOwnedByThisThreadsLoop(Promise promise)
    {
        int loopId = ResolutionLoop.Current.LoopId;
        return loopId != 0 && promise.Underlying()._owner == loopId;
    }

    /// <summary>Attaches a continuation, on the promise's own loop when that is another thread's.</summary>
    internal static void Register(Promise promise, Callback callback)
    {
        var p = promise.Underlying();
        if (p._status == Status.Pending && LoopRegistry.ForeignOwner(p._owner) is { } loop
            && TryRegisterOn(loop, promise, callback))
            return;
        RegisterHere(promise, callback);
    }

    // Claimable: the attach must not be lost if the loop stops before it runs it (ClaimablePost).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryRegisterOn(ILoopDispatcher loop, Promise promise, Callback callback) =>
        loop.TryPostClaimable(new ForeignRegistration(promise, callback));

    /// <summary>An attach posted to the promise's loop from another thread.</summary>
    private sealed class ForeignRegistration(Promise promise, Callback callback) : ClaimablePost
    {
        internal override void Run() => RegisterHere(promise, callback);
    }

    private static void RegisterHere(Promise promise, Callback callback)
    {
        var p = promise.Underlying();
        while (!p.IsResolvedNow)
        {
            // On the owner loop's thread nothing else can resolve the promise meanwhile. Off
            // it (a promise of no loop, or of a loop that is not running), another thread may
            // be resolving it right now: attach under the promise's lock (Promise.Shared.cs).
            if (p._owner != 0 && p._owner == ResolutionLoop.Current.LoopId)
            {
                CallbackStore.Add(p, callback);
                return;
            }
            if (p.TryAddCallbackShared(callback)) return;
            p = promise.Underlying(); // resolved meanwhile, or made a proxy: follow it
        }
        if (callback is InlineContinuation) ThreadPool.UnsafeQueueUserWorkItem(static c => ((Callback)c!).Invoke(null!), callback, preferLocal: false);
        else callback.Invoke(p);
    }
}

/// <summary>Runs an await continuation at once, as an Lwt callback.</summary>
internal sealed class InlineContinuation(Action continuation, ExecutionContext? context) : Callback
{
    internal override void Invoke(Promise source)
    {
        if (context is null) continuation();
        else ExecutionContext.Run(context, static s => ((Action)s!)(), continuation);
    }
}

/// <summary>Posts an await continuation to the awaiting code's SynchronizationContext.</summary>
internal sealed class PostedContinuation(SynchronizationContext target, Action continuation, ExecutionContext? context) : Callback
{
    internal override void Invoke(Promise source) => target.Post(static s => ((PostedContinuation)s!).Run(), this);

    private void Run()
    {
        if (context is null) continuation();
        else ExecutionContext.Run(context, static s => ((Action)s!)(), continuation);
    }
}

/// <summary>Queues an await continuation to the awaiting code's TaskScheduler.</summary>
internal sealed class ScheduledContinuation(TaskScheduler target, Action continuation, ExecutionContext? context) : Callback
{
    internal override void Invoke(Promise source) =>
        Task.Factory.StartNew(static s => ((ScheduledContinuation)s!).Run(), this, CancellationToken.None, TaskCreationOptions.None, target);

    private void Run()
    {
        if (context is null) continuation();
        else ExecutionContext.Run(context, static s => ((Action)s!)(), continuation);
    }
}

/// <summary>Queues an await continuation to the thread pool.</summary>
internal sealed class ThreadPoolContinuation(Action continuation, ExecutionContext? context) : Callback
{
    internal override void Invoke(Promise source)
    {
        if (context is null) ThreadPool.UnsafeQueueUserWorkItem(static a => a(), continuation, preferLocal: false);
        else ThreadPool.UnsafeQueueUserWorkItem(static s => ((ThreadPoolContinuation)s!).Run(), this, preferLocal: false);
    }

    private void Run() => ExecutionContext.Run(context!, static s => ((Action)s!)(), continuation);
}
