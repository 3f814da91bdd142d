using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The async method builders: `async Promise` and `async Promise<T>` methods.
 *
 * Shaped like the runtime's AsyncTaskMethodBuilder: a method that completes without ever
 * suspending allocates nothing but its result (ReturnUnit for `async Promise`); at the
 * first suspension the state machine is copied into a box, and the box *is* the result
 * promise. The box caches its MoveNext delegate, so awaiting allocates no delegate.
 *
 * Awaiting a promise registers the box itself as a callback of that promise (one slot
 * in its storage, no delegate, no node), and records the awaited promise as what
 * canceling the method's promise propagates to: Cancel() on the promise of an async
 * method cancels what it is awaiting at that moment, and the cancellation comes back
 * into the method as a CanceledException thrown by the await.
 *
 * Awaiting anything else (a Task, a ValueTask, a Task.Yield) goes through the awaiter's
 * own UnsafeOnCompleted with the cached delegate; while it waits, the method's promise
 * is not cancelable.
 *
 * What the body throws goes through Promise.ExceptionFilter (SetException), as the
 * callbacks of Lwt's binds do, and unlike Task's builder: an `async Promise` method is
 * this library's let%lwt. A refused exception is thrown again from SetException, so it
 * leaves the state machine's MoveNext (the method is finished; its promise stays pending)
 * and reaches the caller of the method, or the code whose resolution resumed it.
 */

/// <summary>The builder of <c>async Promise</c> methods. Used by the compiler.<para>Lwt: none (an <c>async Promise</c> method is Lwt's <c>let%lwt</c> chain: its promise is a pending <c>unit Lwt.t</c>, each <c>await</c> a <c>Lwt.bind</c>)</para></summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct PromiseMethodBuilder
{
    private Promise<Unit>? _promise;

    /// <summary>Creates a builder.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    public static PromiseMethodBuilder Create() => default;

    /// <summary>The method's promise.<para>Lwt: the <c>Lwt.t</c> of the <c>let%lwt</c> chain</para></summary>
    public Promise Task => _promise ?? AsyncBuilderCore.NotStarted<Unit>();

    /// <summary>Runs the state machine until its first suspension.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TStateMachine">Its type.</typeparam>
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Start(ref _promise, ref stateMachine);

    /// <summary>Not used (the box is created on the first suspension).<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    public void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    /// <summary>Completes the method's promise.<para>Lwt: <c>Lwt.wakeup_later r ()</c></para></summary>
    public void SetResult()
    {
        if (_promise is null) _promise = Promise.ReturnUnit;
        else AsyncBuilderCore.Fulfil(_promise, default);
    }

    /// <summary>
    /// Rejects the method's promise with what its body threw, unless
    /// <see cref="Promise.ExceptionFilter"/> refuses the exception: then it is thrown again, out
    /// of the method to whoever started or resumed it (Promise.ExceptionFilter.cs).
    /// <para>Lwt: <c>Lwt.wakeup_later_exn</c> (the body is a <c>let%lwt</c> chain: Lwt's bind filters what its callbacks raise)</para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    public void SetException(Exception exception)
    {
        Promise.ExceptionFilter.RethrowIfRefused(exception);
        if (_promise is null) _promise = Promise<Unit>.FromException(exception);
        else AsyncBuilderCore.Reject(_promise, exception);
    }

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Await(ref _promise, ref awaiter, ref stateMachine, critical: false);

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Await(ref _promise, ref awaiter, ref stateMachine, critical: true);
}

/// <summary>The builder of <c>async Promise&lt;T&gt;</c> methods. Used by the compiler.<para>Lwt: none (an <c>async Promise&lt;T&gt;</c> method is Lwt's <c>let%lwt</c> chain: its promise is a pending <c>'a Lwt.t</c>, each <c>await</c> a <c>Lwt.bind</c>)</para></summary>
/// <typeparam name="T">The type of the result.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct PromiseMethodBuilder<T>
{
    private Promise<T>? _promise;

    /// <summary>Creates a builder.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    public static PromiseMethodBuilder<T> Create() => default;

    /// <summary>The method's promise.<para>Lwt: the <c>Lwt.t</c> of the <c>let%lwt</c> chain</para></summary>
    public Promise<T> Task => _promise ?? AsyncBuilderCore.NotStarted<T>();

    /// <summary>Runs the state machine until its first suspension.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TStateMachine">Its type.</typeparam>
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Start(ref _promise, ref stateMachine);

    /// <summary>Not used (the box is created on the first suspension).<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    public void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    /// <summary>Fulfils the method's promise.<para>Lwt: <c>Lwt.wakeup_later r v</c></para></summary>
    /// <param name="result">The value.</param>
    public void SetResult(T result)
    {
        if (_promise is null) _promise = new Promise<T>(result);
        else AsyncBuilderCore.Fulfil(_promise, result);
    }

    /// <summary>
    /// Rejects the method's promise with what its body threw, unless
    /// <see cref="Promise.ExceptionFilter"/> refuses the exception: then it is thrown again, out
    /// of the method to whoever started or resumed it (Promise.ExceptionFilter.cs).
    /// <para>Lwt: <c>Lwt.wakeup_later_exn</c> (the body is a <c>let%lwt</c> chain: Lwt's bind filters what its callbacks raise)</para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    public void SetException(Exception exception)
    {
        Promise.ExceptionFilter.RethrowIfRefused(exception);
        if (_promise is null) _promise = Promise<T>.FromException(exception);
        else AsyncBuilderCore.Reject(_promise, exception);
    }

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Await(ref _promise, ref awaiter, ref stateMachine, critical: false);

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Await(ref _promise, ref awaiter, ref stateMachine, critical: true);
}

/// <summary>What both builders share.</summary>
internal static class AsyncBuilderCore
{
    /// <summary>
    /// Runs the first MoveNext, restoring the ExecutionContext and SynchronizationContext
    /// afterwards exactly as the runtime's builders do (its Start touches no builder state).
    /// A method started from deep inside other calls (an async method that recursively
    /// awaits itself on completed promises) counts on the resolution loop's depth and, past
    /// the limit, is boxed and started later on a shallow stack instead: the trampoline of
    /// ResolutionLoop.cs, so such a recursion cannot overflow the stack.
    /// </summary>
    internal static void Start<TStateMachine, T>(ref Promise<T>? field, ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        var loop = ResolutionLoop.Current;
        int depth = loop.Depth;
        if (!Immediate.CanNest(depth))
        {
            StartLater(ref field, ref stateMachine, loop);
            return;
        }
        loop.Depth = depth + 1;
        try
        {
            var runtimeBuilder = default(AsyncTaskMethodBuilder);
            runtimeBuilder.Start(ref stateMachine);
        }
        finally
        {
            loop.Depth = depth;
        }
        loop.DrainIfOutermost(depth);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartLater<TStateMachine, T>(ref Promise<T>? field, ref TStateMachine stateMachine, ResolutionLoop loop)
        where TStateMachine : IAsyncStateMachine
    {
        var box = GetBox(ref field, ref stateMachine);
        box.AwaitOther();
        loop.Defer(Promise.ReturnUnit, box);
    }

    internal static Promise<T> NotStarted<T>() =>
        throw new InvalidOperationException("The async method has not been started: the compiler reads Task after Start.");

    internal static void Fulfil<T>(Promise<T> box, T value)
    {
        var p = box.UnderlyingT();
        if (p.MayResolve) p.FulfillCore(value, allowDeferring: true);
    }

    internal static void Reject<T>(Promise<T> box, Exception exception)
    {
        var p = box.UnderlyingT();
        if (p.MayResolve) p.RejectCore(exception, allowDeferring: true);
    }

    internal static void Await<TAwaiter, TStateMachine, T>(ref Promise<T>? field, ref TAwaiter awaiter, ref TStateMachine stateMachine, bool critical)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine
    {
        var box = GetBox(ref field, ref stateMachine);
        if (default(TAwaiter) is IPromiseAwaiter)
        {
            var awaited = Unsafe.As<TAwaiter, PromiseAwaiterLayout>(ref awaiter).Promise;
            if (box.TryAwaitPromise(awaited)) return;
        }
        box.AwaitOther();
        if (critical) ((ICriticalNotifyCompletion)awaiter).UnsafeOnCompleted(box.MoveNextAction);
        else awaiter.OnCompleted(box.MoveNextAction);
    }

    private static AsyncBox<TStateMachine, T> GetBox<TStateMachine, T>(ref Promise<T>? field, ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (field is AsyncBox<TStateMachine, T> existing) return existing;
        var box = new AsyncBox<TStateMachine, T>();
        field = box; // before the copy: the box's copy of the builder must point to the box
        box.StateMachine = stateMachine;
        return box;
    }
}

/// <summary>
/// The state machine of a suspended async method, boxed; also the method's promise.
/// </summary>
internal sealed class AsyncBox<TStateMachine, T> : Promise<T> where TStateMachine : IAsyncStateMachine
{
    private static readonly ContextCallback s_moveNext = static s => Unsafe.As<AsyncBox<TStateMachine, T>>(s!).StateMachine.MoveNext();

    internal TStateMachine StateMachine = default!;
    private ExecutionContext? _context;
    private Action? _moveNextAction;

    internal AsyncBox() : base(CancelMode.NotCancelable)
    {
    }

    /// <summary>The cached delegate handed to non-promise awaiters.</summary>
    internal Action MoveNextAction => _moveNextAction ??= MoveNext;

    /// <summary>
    /// Registers this box on <paramref name="awaited"/> as an Lwt callback. False when the
    /// promise belongs to a loop on another thread, or, on a loop, to no loop: the generic
    /// path then resumes the method on its own context instead of on the resolving thread.
    /// </summary>
    internal bool TryAwaitPromise(Promise awaited)
    {
        var p = awaited.Underlying();
        if (p._owner != 0 && LoopRegistry.ForeignOwner(p._owner) is not null) return false;
        // On a loop, a promise that belongs to no loop may be resolved on any thread: the
        // generic path resumes the method through this loop's context instead.
        if (p._owner == 0 && !p.IsResolvedNow && ResolutionLoop.Current.LoopId != 0) return false;
        _context = ExecutionContext.Capture();
        if (p.IsResolvedNow)
        {
            Immediate.Notify(p, this); // resolved since IsCompleted was checked: resume now
            return true;
        }
        WaitOn(p);
        AddCallback(p, this); // off any loop, p may be of no loop: see Promise.Shared.cs
        return true;
    }

    /// <summary>Prepares to wait for something that is not a promise: not cancelable meanwhile.</summary>
    internal void AwaitOther()
    {
        _context = ExecutionContext.Capture();
        StopPropagatingCancel();
    }

    private void StopPropagatingCancel()
    {
        var p = Underlying();
        if (p._owner == 0)
        {
            p.StopPropagatingCancelShared(); // another thread may be making it a proxy
            return;
        }
        if (p._status == Status.Pending && p._cancelMode == CancelMode.PropagateToOne)
        {
            p._cancelMode = CancelMode.NotCancelable;
            p._link = null;
        }
    }

    internal override void OnDependencyResolved(Promise source)
    {
        StopPropagatingCancel();
        MoveNext();
    }

    /// <summary>
    /// Resumes the method in the context captured at its await. When that context is already
    /// current (the usual case on a loop: every callback runs in the same one) the state
    /// machine runs directly and only a change it makes is undone; ExecutionContext.Run,
    /// which always switches and restores, is kept for a real switch.
    /// </summary>
    private void MoveNext()
    {
        var context = _context;
        if (context is null)
        {
            StateMachine.MoveNext();
            return;
        }
        var current = ExecutionContext.Capture();
        if (!ReferenceEquals(context, current))
        {
            ExecutionContext.Run(context, s_moveNext, this);
            return;
        }
        var syncContext = SynchronizationContext.Current;
        StateMachine.MoveNext();
        CallbackContext.Exit(current);
        if (!ReferenceEquals(SynchronizationContext.Current, syncContext)) SynchronizationContext.SetSynchronizationContext(syncContext);
    }
}
