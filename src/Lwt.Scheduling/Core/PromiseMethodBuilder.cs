using System.Diagnostics.CodeAnalysis;
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
 * `await Promise.ReturnFrom(p)` is the exception: it is the method's tail call, and the box is
 * never resumed; the method's promise becomes p instead, as a bind's promise becomes its
 * callback's (ReturnFrom below; the why is in Promise.ReturnFrom.cs).
 *
 * Awaiting anything else (a Task, a ValueTask, a Task.Yield) goes through the awaiter's
 * own UnsafeOnCompleted with the cached delegate; while it waits, the method's promise
 * is not cancelable.
 *
 * Threads (API.md, "Ownership and threads" and the await paragraph). The method's promise
 * belongs to the loop the method started on, but its body may leave that loop: after
 * `await x.ConfigureAwait(false)` on a Task or on another loop's promise it runs wherever
 * that resolved. Its promise must not follow it: a body that finishes off its loop posts
 * the fulfilment or rejection to the owning loop (as a Resolver does), so the promise's
 * callbacks (the awaiting caller first) run there and the loop is woken. A box records
 * that its body may have left (MayRunElsewhere) on every await other than the common one
 * (a promise of its own loop, awaited on that loop), so the common completion checks a
 * field and reads no thread-static. For the same reason the box's cancellation state
 * (which its loop's Cancel() reads) is only touched on its loop.
 *
 * Off any loop, `await p` (without ConfigureAwait(false)) resumes on the thread that
 * awaited when that thread resolves p, at once, as Lwt's core does without a scheduler:
 * a promise of no loop resolved by its own thread, or `LwtMain.Run(M())`, where M ran up
 * to its first await before the run and the same thread's loop resolves what it awaits
 * (Lwt_main.run (main ())). Resolved on another thread, it resumes as an `async Task`
 * awaiting a Task would: on the SynchronizationContext or TaskScheduler current at the
 * await, else on the thread pool, at once only when the resolving thread is already that
 * place (the same context, or, for the pool, a thread with no context of its own). So
 * another loop's thread, whose SynchronizationContext is always current, or another
 * context's thread never runs the method by surprise. The box still registers itself on p
 * (so Cancel() still reaches p) and decides where to resume when p resolves.
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
    // A Promise<Unit> (the method's box, or its result when it ends without suspending), except
    // for a method that ends at `await Promise.ReturnFrom(p)` before suspending: its promise is p
    // itself, of any type (an untyped method takes any promise, and the non-generic Promise is
    // "any promise"), as Bind on a resolved promise returns its callback's promise whatever its
    // type. Lwt's bind returns that promise too, so its state is the method's at once (a
    // Promise<Unit> box following a Promise<int> by a callback lags while the int promise's
    // callbacks wait behind others, e.g. after a wakeup_later from a callback). After that
    // nothing else of the builder runs (the state machine is never resumed), so every other
    // member sees a Promise<Unit> here, which UnitField lends AsyncBuilderCore.
    private Promise? _promise;

    [UnscopedRef]
    private ref Promise<Unit>? UnitField => ref Unsafe.As<Promise?, Promise<Unit>?>(ref _promise);

    /// <summary>Creates a builder.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    public static PromiseMethodBuilder Create() => default;

    /// <summary>The method's promise.<para>Lwt: the <c>Lwt.t</c> of the <c>let%lwt</c> chain</para></summary>
    public Promise Task => _promise ?? AsyncBuilderCore.NotStarted<Unit>();

    /// <summary>Runs the state machine until its first suspension.<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TStateMachine">Its type.</typeparam>
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine =>
        AsyncBuilderCore.Start(ref UnitField, ref stateMachine);

    /// <summary>Not used (the box is created on the first suspension).<para>Lwt: none (the compiler's async method builder pattern)</para></summary>
    /// <param name="stateMachine">The state machine.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stateMachine"/> is null.</exception>
    public void SetStateMachine(IAsyncStateMachine stateMachine) =>
        ArgumentNullException.ThrowIfNull(stateMachine); // as the runtime's builders check it

    /// <summary>
    /// Completes the method's promise, running its callbacks at once, as a <c>let%lwt</c>
    /// chain's last bind resolves its result promise.
    /// <para>Lwt: the resolution of a <c>bind</c>'s promise (no <c>wakeup_later</c> deferral)</para>
    /// </summary>
    public void SetResult()
    {
        if (_promise is null) _promise = Promise.ReturnUnit;
        else AsyncBuilderCore.Fulfil(Unsafe.As<Promise<Unit>>(_promise), default);
    }

    /// <summary>
    /// Rejects the method's promise with what its body threw, unless
    /// <see cref="Promise.ExceptionFilter"/> refuses the exception: then it is thrown again, out
    /// of the method to whoever started or resumed it (Promise.ExceptionFilter.cs).
    /// <para>Lwt: the rejection of a <c>bind</c>'s promise by what its callback raised (the body is a <c>let%lwt</c> chain; Lwt's bind filters what its callbacks raise)</para>
    /// </summary>
    /// <param name="exception">The exception.</param>
    public void SetException(Exception exception)
    {
        Promise.ExceptionFilter.RethrowIfRefused(exception);
        if (_promise is null) _promise = Promise<Unit>.FromException(exception);
        else AsyncBuilderCore.Reject(Unsafe.As<Promise<Unit>>(_promise), exception);
    }

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine
    {
        if (!TryReturnFromBeforeSuspending(ref awaiter)) AsyncBuilderCore.Await(ref UnitField, ref awaiter, ref stateMachine, critical: false);
    }

    /// <summary>Suspends until the awaiter completes.<para>Lwt: <c>Lwt.bind</c> of the awaited promise to the rest of the method</para></summary>
    /// <param name="awaiter">The awaiter.</param>
    /// <param name="stateMachine">The state machine.</param>
    /// <typeparam name="TAwaiter">The awaiter's type.</typeparam>
    /// <typeparam name="TStateMachine">The state machine's type.</typeparam>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion where TStateMachine : IAsyncStateMachine
    {
        if (!TryReturnFromBeforeSuspending(ref awaiter)) AsyncBuilderCore.Await(ref UnitField, ref awaiter, ref stateMachine, critical: true);
    }

    // `await Promise.ReturnFrom(p)` before the method ever suspended: the method's promise is p
    // itself, whatever its type (the field's comment). For any other awaiter the type test is a
    // constant once the JIT knows the awaiter's type, and the whole call folds away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReturnFromBeforeSuspending<TAwaiter>(ref TAwaiter awaiter)
    {
        if (default(TAwaiter) is not IReturnFromAwaiter || _promise is not null) return false;
        _promise = Unsafe.As<TAwaiter, PromiseAwaiterLayout>(ref awaiter).Promise;
        return true;
    }
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
    /// <exception cref="ArgumentNullException"><paramref name="stateMachine"/> is null.</exception>
    public void SetStateMachine(IAsyncStateMachine stateMachine) =>
        ArgumentNullException.ThrowIfNull(stateMachine); // as the runtime's builders check it

    /// <summary>
    /// Fulfils the method's promise, running its callbacks at once, as a <c>let%lwt</c>
    /// chain's last bind resolves its result promise.
    /// <para>Lwt: the resolution of a <c>bind</c>'s promise (no <c>wakeup_later</c> deferral)</para>
    /// </summary>
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
    /// <para>Lwt: the rejection of a <c>bind</c>'s promise by what its callback raised (the body is a <c>let%lwt</c> chain; Lwt's bind filters what its callbacks raise)</para>
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

    /// <summary>
    /// Fulfils the method's promise (a box: the builder's promise is set only by GetBox). A body
    /// that may have left its loop and finishes on another thread while that loop runs posts
    /// the fulfilment there: the promise and its callbacks belong to the loop (file comment).
    /// </summary>
    internal static void Fulfil<T>(Promise<T> box, T value)
    {
        if (Unsafe.As<AsyncBoxBase<T>>(box).MayRunElsewhere && IsOffItsLoop(box))
        {
            FulfilOffLoop(box, value);
            return;
        }
        var p = box.UnderlyingT();
        if (p.MayResolve) p.FulfillCore(value, allowDeferring: true);
    }

    /// <inheritdoc cref="Fulfil{T}(Promise{T}, T)"/>
    internal static void Reject<T>(Promise<T> box, Exception exception)
    {
        if (Unsafe.As<AsyncBoxBase<T>>(box).MayRunElsewhere && IsOffItsLoop(box))
        {
            RejectOffLoop(box, exception);
            return;
        }
        var p = box.UnderlyingT();
        if (p.MayResolve) p.RejectCore(exception, allowDeferring: true);
    }

    /// <summary>Whether the box belongs to a loop and this thread is not running it (it runs elsewhere, or has stopped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsOffItsLoop(Promise box) => box._owner != 0 && box._owner != ResolutionLoop.Current.LoopId;

    // A body that finished off its loop's running thread: posted to the loop while it runs
    // (FulfilOnLoop). Once the loop has stopped its promises are anyone's, and another thread
    // may be awaiting, canceling or resolving this one right now: resolved under its lock, as
    // a promise of no loop is (Promise.Shared.cs), or an await attached meanwhile is lost.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FulfilOffLoop<T>(Promise<T> box, T value)
    {
        if (LoopRegistry.ForeignOwner(box._owner) is { } loop && FulfilOnLoop(loop, box, value)) return;
        var p = box.UnderlyingT();
        if (p.MayResolve) p.FulfillShared(value, allowDeferring: true);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RejectOffLoop<T>(Promise<T> box, Exception exception)
    {
        if (LoopRegistry.ForeignOwner(box._owner) is { } loop && RejectOnLoop(loop, box, exception)) return;
        var p = box.UnderlyingT();
        if (p.MayResolve) p.RejectShared(exception, allowDeferring: true);
    }

    // Apart from Fulfil and Reject: the closure would otherwise be allocated on entry to them.
    // A claimable post, like a Resolver's from another thread: were the loop to stop first,
    // its exit runs the resolution (ClaimablePost.cs); false when it has stopped already, and
    // the caller resolves the promise itself. On the loop, ForeignOwner is null and the
    // promise is resolved directly.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FulfilOnLoop<T>(ILoopDispatcher loop, Promise<T> box, T value) =>
        loop.TryPost(() => Fulfil(box, value));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool RejectOnLoop<T>(ILoopDispatcher loop, Promise<T> box, Exception exception) =>
        loop.TryPost(() => Reject(box, exception));

    internal static void Await<TAwaiter, TStateMachine, T>(ref Promise<T>? field, ref TAwaiter awaiter, ref TStateMachine stateMachine, bool critical)
        where TAwaiter : INotifyCompletion where TStateMachine : IAsyncStateMachine
    {
        if (default(TAwaiter) is IReturnFromAwaiter)
        {
            ReturnFrom(ref field, ref stateMachine, Unsafe.As<TAwaiter, PromiseAwaiterLayout>(ref awaiter).Promise);
            return;
        }
        var box = GetBox(ref field, ref stateMachine);
        if (default(TAwaiter) is IPromiseAwaiter)
        {
            var awaited = Unsafe.As<TAwaiter, PromiseAwaiterLayout>(ref awaiter).Promise;
            // Both tests are constants once the JIT knows the (struct) awaiter type.
            bool continueOnCapturedContext = default(TAwaiter) is not IConfiguredPromiseAwaiter
                || Unsafe.As<TAwaiter, ConfiguredPromiseAwaiterLayout>(ref awaiter).ContinueOnCapturedContext;
            if (box.TryAwaitPromise(awaited, continueOnCapturedContext)) return;
        }
        box.AwaitOther();
        if (critical) ((ICriticalNotifyCompletion)awaiter).UnsafeOnCompleted(box.MoveNextAction);
        else awaiter.OnCompleted(box.MoveNextAction);
    }

    /// <summary>
    /// Ends the method at an <c>await Promise.ReturnFrom(promise)</c> (Promise.ReturnFrom.cs):
    /// its state machine is never resumed, and its promise becomes <paramref name="promise"/>.
    /// Not suspended yet, the method returns <paramref name="promise"/> itself (Bind on a
    /// resolved promise returns its callback's promise the same way). Suspended before, its
    /// box, which its caller holds, adopts <paramref name="promise"/> as a bind's promise
    /// adopts its callback's: on the box's loop, or posted there when the body runs on another
    /// thread (after a ConfigureAwait(false)), as Fulfil and Reject do.
    /// </summary>
    private static void ReturnFrom<TStateMachine, T>(ref Promise<T>? field, ref TStateMachine stateMachine, Promise promise)
        where TStateMachine : IAsyncStateMachine
    {
        if (promise is not Promise<T> && typeof(T) != typeof(Unit))
        {
            // Thrown inside the state machine's MoveNext, whose catch rejects the method's promise with it.
            throw new InvalidOperationException(
                $"Promise.ReturnFrom in an async Promise<{typeof(T).Name}> method takes a Promise<{typeof(T).Name}>, not a {Describe(promise)}: "
                + "convert it first (Map), or await it and return the value.");
        }
        if (field is null && promise is Promise<T> same)
        {
            field = same;
            return;
        }
        var box = GetBox(ref field, ref stateMachine);
        box.StateMachine = default!; // never resumed: let its locals go (MoveNext only returns after this)
        if (box.MayRunElsewhere && LoopRegistry.ForeignOwner(box._owner) is { } loop && AdoptOnLoop(loop, box, promise)) return;
        box.AdoptAny(promise);
    }

    /// <summary>The public type of a promise, for a message: <c>Promise&lt;String&gt;</c>, not the internal class it is.</summary>
    private static string Describe(Promise promise)
    {
        for (var t = promise.GetType(); t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Promise<>)) return $"Promise<{t.GetGenericArguments()[0].Name}>";
        }
        return nameof(Promise);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool AdoptOnLoop<T>(ILoopDispatcher loop, Promise<T> box, Promise promise) =>
        loop.TryPost(() => box.AdoptAny(promise));

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
/// What the builders need of a box without knowing its state machine's type: whether its
/// body may be running off its loop.
/// </summary>
internal abstract class AsyncBoxBase<T> : Promise<T>
{
    /// <summary>
    /// Null while every await so far was of a promise of the box's loop, made on that loop:
    /// the box then resumes as that loop's callback. Otherwise the body may have been resumed
    /// elsewhere, and this says how the current await resumes (<see cref="OffLoopResume"/>).
    /// One field for both, so that a box grows by one reference only. Written by the thread
    /// the body runs on, read by the body's next step: each step happens after the last (the
    /// hand-over between threads of an await orders them).
    /// </summary>
    internal OffLoopResume? OffLoop;

    /// <summary>Whether the body may have been resumed somewhere other than its promise's loop thread.</summary>
    internal bool MayRunElsewhere => OffLoop is not null;

    private protected AsyncBoxBase() : base(CancelMode.NotCancelable)
    {
    }
}

/// <summary>
/// How an await of an async method that may be off its loop resumes: at once
/// (<see cref="Inline"/>), or, for an await made off any loop, on the thread that awaited if
/// that thread resolves the promise, else on <see cref="Target"/>: the SynchronizationContext
/// or TaskScheduler current at the await, or <see cref="Pool"/>. Immutable; each thread
/// keeps its last one, so that awaits made in the same place allocate nothing.
/// </summary>
internal sealed class OffLoopResume
{
    /// <summary>Resume at once, wherever the awaited thing completes.</summary>
    internal static readonly OffLoopResume Inline = new(0, null);

    /// <summary>Stands for "the thread pool" in <see cref="Target"/>.</summary>
    internal static readonly object Pool = new();

    [ThreadStatic]
    private static OffLoopResume? t_last;

    internal readonly int AwaitingThread;
    internal readonly object? Target;

    private OffLoopResume(int awaitingThread, object? target)
    {
        AwaitingThread = awaitingThread;
        Target = target;
    }

    /// <summary>Where an `async Task` awaiting here would resume: the SynchronizationContext, else the TaskScheduler, else the pool.</summary>
    internal static OffLoopResume Here()
    {
        object target = AwaitSupport.ResumeTarget(SynchronizationContext.Current, TaskScheduler.Current) ?? Pool;
        var last = t_last;
        if (last is not null && ReferenceEquals(last.Target, target)) return last;
        return t_last = new OffLoopResume(Environment.CurrentManagedThreadId, target);
    }
}

/// <summary>
/// The state machine of a suspended async method, boxed; also the method's promise.
/// </summary>
internal sealed class AsyncBox<TStateMachine, T> : AsyncBoxBase<T>, IThreadPoolWorkItem where TStateMachine : IAsyncStateMachine
{
    private static readonly ContextCallback s_moveNext = static s => Unsafe.As<AsyncBox<TStateMachine, T>>(s!).StateMachine.MoveNext();
    private static readonly SendOrPostCallback s_postedMoveNext = static s => Unsafe.As<AsyncBox<TStateMachine, T>>(s!).MoveNext();
    private static readonly Action<object?> s_scheduledMoveNext = static s => Unsafe.As<AsyncBox<TStateMachine, T>>(s!).MoveNext();

    internal TStateMachine StateMachine = default!;
    private ExecutionContext? _context;
    private Action? _moveNextAction;

    /// <summary>The cached delegate handed to non-promise awaiters.</summary>
    internal Action MoveNextAction => _moveNextAction ??= MoveNext;

    /// <summary>
    /// Registers this box on <paramref name="awaited"/> as an Lwt callback. False when the
    /// generic path must wait instead: the promise belongs to a loop running on another
    /// thread, or the method runs on a loop and the promise belongs to no loop (it may be
    /// resolved on any thread); the method then resumes on its own context (API.md). A
    /// promise of a loop that has stopped is attached to, bound to the loop running here.
    /// </summary>
    internal bool TryAwaitPromise(Promise awaited, bool continueOnCapturedContext)
    {
        var p = awaited.Underlying();
        int here = ResolutionLoop.Current.LoopId;
        // The common case: on the box's own loop, a promise of that loop. No hop, and the
        // box's promise is resolved on its loop when the body finishes.
        if (here == 0 || p._owner != here || _owner != here) return TryAwaitPromiseElsewhere(p, here, continueOnCapturedContext);
        OffLoop = null; // on its loop, and it will resume there
        _context = ExecutionContext.Capture();
        if (p.IsResolvedNow)
        {
            Immediate.Notify(p, this); // resolved since IsCompleted was checked: resume now
            return true;
        }
        WaitOn(p, here);
        CallbackStore.Add(p, this);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryAwaitPromiseElsewhere(Promise p, int here, bool continueOnCapturedContext)
    {
        if (p._owner != 0 && LoopRegistry.ForeignOwner(p._owner) is not null) return false;
        // On a loop, a promise that belongs to no loop may be resolved on any thread: the
        // generic path resumes the method through this loop's context instead.
        if (here != 0 && p._owner == 0 && !p.IsResolvedNow) return false;
        // Off any loop, resume as an async Task would (ResumeOn), not wherever p resolves; on
        // another loop than the box's, or with ConfigureAwait(false), resume at once.
        OffLoop = here == 0 && continueOnCapturedContext ? OffLoopResume.Here() : OffLoopResume.Inline;
        _context = ExecutionContext.Capture();
        if (p.IsResolvedNow)
        {
            Immediate.Notify(p, this); // resolved since IsCompleted was checked: resume now (or hop)
            return true;
        }
        // The box's cancellation state is its loop's: off that loop the box stays as the
        // await that left it made it (not cancelable: AwaitOther).
        if (MayTouchCancelState) WaitOn(p, here);
        // p is of no loop, of the loop running here, or of a loop that has stopped, whose
        // promises are anyone's: attached to under its lock then, as to one of no loop. On a
        // running loop, unless the await said ConfigureAwait(false), the box is bound to that
        // loop (LoopBoundCallback): a resolution on another thread posts the resumption here,
        // as it does every other callback a running loop attached (unbound, the rest of this
        // loop's method ran on the resolving thread, beside the loop). Off any loop it resumes
        // as OffLoop says.
        if (p._owner == 0 || p._owner == here) AddCallback(p, this);
        else if (here != 0 && continueOnCapturedContext) AddCallbackShared(p, this);
        else AddCallbackSharedUnbound(p, this);
        return true;
    }

    /// <summary>
    /// Whether this thread may read and write the box's cancellation state: the body never
    /// left the box's loop, or this thread is that loop's, or the box belongs to no loop (its
    /// state is then changed under its lock) or to a loop that is not running.
    /// </summary>
    private bool MayTouchCancelState => !MayRunElsewhere || LoopRegistry.ForeignOwner(_owner) is null;

    /// <summary>Prepares to wait for something that is not a promise: not cancelable meanwhile.</summary>
    internal void AwaitOther()
    {
        OffLoop = OffLoopResume.Inline; // a Task, a foreign promise, ConfigureAwait(false): may resume anywhere
        _context = ExecutionContext.Capture();
        StopPropagatingCancel();
    }

    private void StopPropagatingCancel()
    {
        if (!MayTouchCancelState) return;
        var p = Underlying();
        if (p.IsShared)
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
        var offLoop = OffLoop;
        if (offLoop is not null && offLoop.Target is not null)
        {
            ResumeOn(offLoop);
            return;
        }
        MoveNext();
    }

    /// <summary>
    /// Resumes the method after an await made off any loop (file comment): at once on the
    /// thread that awaited; elsewhere on the await's target, at once when the resolving thread
    /// is already there, as a Task's await continuation does, otherwise posted to the context,
    /// queued to the scheduler or to the pool.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ResumeOn(OffLoopResume offLoop)
    {
        var target = offLoop.Target;
        if (Environment.CurrentManagedThreadId == offLoop.AwaitingThread) MoveNext();
        else if (target is SynchronizationContext sc)
        {
            if (ReferenceEquals(SynchronizationContext.Current, sc)) MoveNext();
            else sc.Post(s_postedMoveNext, this);
        }
        else if (target is TaskScheduler ts)
        {
            if (TaskScheduler.Current == ts) MoveNext();
            else Task.Factory.StartNew(s_scheduledMoveNext, this, CancellationToken.None, TaskCreationOptions.None, ts);
        }
        else if (IsPlainThread()) MoveNext();
        else ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>
    /// Whether this thread has no context of its own (no SynchronizationContext, the default
    /// TaskScheduler), where a Task's await continuation for the pool runs at once. Never true
    /// on an event loop's thread: the loop's SynchronizationContext is current for all it runs.
    /// </summary>
    private static bool IsPlainThread() => AwaitSupport.ResumeTarget(SynchronizationContext.Current, TaskScheduler.Current) is null;

    /// <summary>The thread pool's entry: resumes the method (see <see cref="ResumeOn"/>).</summary>
    void IThreadPoolWorkItem.Execute() => MoveNext();

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
