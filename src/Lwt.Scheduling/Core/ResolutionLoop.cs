using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The resolution loop: how deep callbacks may nest, and what happens past that.
 *
 * Resolving a promise runs its callbacks, which resolve further promises, which run
 * their callbacks... all on the current stack. Lwt counts how deeply callbacks are nested
 * and has a default limit (42) past which a resolution that allows deferring queues its
 * callbacks, but in lwt.ml (5.6.1 and later) no resolution allows it: wakeup, cancel and
 * every resolution done for bind/map/catch/try_bind/finalize/join/... pass
 * ~allow_deferring:false, so a long chain resolves entirely on the stack, before the code
 * that resolved its head goes on (only wakeup_later, below, defers). We do the same, except
 * that the stack must stay bounded: past the trampoline's depth, or earlier when the stack
 * runs short (asked at every level past UncheckedDepth: one level of resolution can be many
 * frames, an async method's among them), the callbacks of a resolution are queued, and the
 * outermost frame (the one that took the depth from 0 to 1) drains that queue before it
 * returns, on a shallow stack. Deferring at
 * 42 instead, as this library once did, ran a 50-map chain resolved inside a callback after
 * that callback had gone on, where Lwt 5.6.1 runs it inside the wakeup.
 *
 * .NET adds a second reason to defer. OCaml's `bind` on a fulfilled promise is a tail
 * call, so `let rec loop n = bind (return ()) (fun () -> loop (n-1))` runs in constant
 * stack. C# has no guaranteed tail calls: each `Bind` on a fulfilled promise calls its
 * callback one frame deeper. So `Bind` (and `Catch`, `TryBind`, `Finally` when they
 * call a callback at once) counts itself on the same depth counter and, past
 * <see cref="MaxImmediateDepth"/>, returns a pending promise and queues the call: a
 * trampoline. Both kinds of work share one FIFO queue, so their relative order is the
 * order in which they were deferred.
 *
 * Lwt's wakeup_later has its own, much lower, limit: it passes
 * ~maximum_callback_nesting_depth:1, so a wakeup_later made while callbacks of another
 * resolution are running (depth >= 1) always queues its promise's callbacks, and they run
 * when the outermost of those resolutions has run all of its callbacks (lwt.ml's
 * leave_resolution_loop), not deeper on the stack. Lwt's depth counts only the frames
 * that run a resolved promise's callbacks: a callback that Bind, OnSuccess, ... call at
 * once on a resolved promise runs at its caller's depth. So <see cref="Resolving"/>
 * counts those frames apart from <see cref="Depth"/> (which also counts the immediate
 * calls, for the trampoline), and Resolver.Resolve/Reject queue to <see cref="DeferLater"/>
 * when it is not 0; the frame that brings it back to 0 runs that queue.
 *
 * The state is per thread: every event loop runs on its own thread and promises never
 * cross threads without being marshaled (see Resolver and PromiseAwaiter).
 */

/// <summary>Work that the resolution loop runs later, on a shallow stack.</summary>
internal abstract class DeferredWork
{
    /// <summary>Runs the work; the depth counter is already 1.</summary>
    internal abstract void RunDeferred();
}

/// <summary>Per-thread state of the promise core: nesting depth, the deferred queue, paused promises.</summary>
internal sealed class ResolutionLoop
{
    /// <summary>
    /// How deeply callbacks called at once (Bind on a fulfilled promise, ...) may nest before
    /// they are trampolined, and past which a resolution's callbacks are queued (Lwt's own limit,
    /// 42, is never applied in lwt.ml: it resolves with ~allow_deferring:false). Deep because
    /// each level of an immediate call costs only a few small frames and every deferral costs
    /// an allocation. The stack is asked for room on the way as well (every 32 levels for an
    /// immediate call, every level past <see cref="UncheckedDepth"/> for a resolution), so a
    /// level heavier than expected, or a thread with a small stack, defers earlier.
    /// </summary>
    internal const int MaxImmediateDepth = 256;

    /// <summary>
    /// How deeply resolutions nest before each further level asks whether the stack has room
    /// (Promise.RunCallbacks): Lwt's default limit, below which this library has always run
    /// callbacks at once, without asking.
    /// </summary>
    internal const int UncheckedDepth = 42;

    [ThreadStatic]
    private static ResolutionLoop? t_current;

    /// <summary>The calling thread's resolution loop.</summary>
    internal static ResolutionLoop Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_current ?? CreateForThread();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ResolutionLoop CreateForThread() => t_current = new ResolutionLoop();

    /// <summary>Current nesting depth of callbacks on this thread (0 = not inside any).</summary>
    internal int Depth;

    /// <summary>
    /// How many frames that run a resolved promise's callbacks are active on this thread:
    /// Lwt's <c>current_callback_nesting_depth</c>, which decides whether a wakeup_later is
    /// deferred (see the comment at the top of this file).
    /// </summary>
    internal int Resolving;

    // The wakeup_later queue (Resolver.Resolve/Reject inside callbacks): (promise, callbacks)
    // pairs, run in order by the frame that brings Resolving back to 0.
    private Queue<(Promise Source, object Callbacks)> _later = new();

    /// <summary>Whether a wakeup_later waits in its queue.</summary>
    internal bool HasLater
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _later.Count != 0;
    }

    /// <summary>Queues the callbacks of a promise resolved by a wakeup_later inside callbacks.</summary>
    internal void DeferLater(Promise source, object callbacks) => _later.Enqueue((source, callbacks));

    /// <summary>
    /// Runs the wakeup_later queue, in order, for the frame (at <paramref name="depth"/>) that
    /// has just brought <see cref="Resolving"/> back to 0: lwt.ml's leave_resolution_loop,
    /// which runs them still at nesting depth 1, so that a wakeup_later they make is queued
    /// behind them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void DrainLater(int depth)
    {
        while (_later.TryDequeue(out var item))
        {
            Depth = depth + 1;
            Resolving = 1;
            try
            {
                CallbackStore.InvokeAll(item.Source, item.Callbacks);
            }
            finally
            {
                Depth = depth;
                Resolving = 0;
            }
        }
    }

    /// <summary>
    /// For the Task adapters (Lwt.Interop's TaskSource and friends), which complete a Task
    /// from a promise's callback: on a thread that runs no loop and is inside callbacks,
    /// makes the code that follows run as code outside every callback, until
    /// <see cref="OutsideCallbacks.Dispose"/>; elsewhere does nothing.
    /// </summary>
    /// <remarks>
    /// A Task completed there runs the continuations of the awaits that captured no context
    /// inline, on this thread: the rest of an <c>async</c> method that awaited
    /// <c>promise.AsTask()</c> on the pool. That code is not a callback of the promise, and it
    /// must not behave as one: a <c>Resolve</c> it made would queue its callbacks behind the
    /// frame that runs it (wakeup_later inside callbacks), so a Task it then waited for never
    /// completed, and the thread hung. So its wakeup_laters get a queue of their own, drained
    /// as at top level, and the outer frames' queue, kept apart meanwhile, runs when they end,
    /// as before. The nesting depth is kept: the trampoline still bounds the stack. On a loop
    /// thread nothing changes: there the only continuations that run inline are the loop's
    /// own (an await that captured its context), which are callbacks of the loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static OutsideCallbacks LeaveCallbacksOffLoop()
    {
        // t_current itself: a thread with none yet is inside no callbacks (no lazy creation here).
        var loop = t_current;
        return loop is not null && loop.Resolving != 0 && loop.LoopId == 0 ? loop.LeaveCallbacks(fromTheTop: false) : default;
    }

    /// <summary>
    /// For <c>LwtMain.Run</c> called inside callbacks (of a promise of no loop, or at once by a
    /// Bind on a resolved one): its loop iterates as from the top of the stack, as
    /// Lwt_main.run's loop, depth included, and with a wakeup_later queue of its own, so that
    /// neither its own wake-ups wait for the frame it blocks nor the outer frames' run early
    /// inside it. Does nothing at the top.
    /// </summary>
    internal OutsideCallbacks LeaveCallbacksForRun() =>
        Depth != 0 || Resolving != 0 ? LeaveCallbacks(fromTheTop: true) : default;

    /// <summary>
    /// Sets the resolving count (and, <paramref name="fromTheTop"/>, the depth) to 0 and gives
    /// the code that follows its own wakeup_later queue, until the returned scope's Dispose.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private OutsideCallbacks LeaveCallbacks(bool fromTheTop)
    {
        var scope = new OutsideCallbacks(this, Depth, Resolving, _later);
        _later = new Queue<(Promise Source, object Callbacks)>();
        Resolving = 0;
        if (fromTheTop) Depth = 0;
        return scope;
    }

    /// <summary>The end of <see cref="LeaveCallbacksOffLoop"/> or <see cref="LeaveCallbacksForRun"/>: back inside the outer callbacks.</summary>
    internal readonly struct OutsideCallbacks(ResolutionLoop? loop, int depth, int resolving, Queue<(Promise Source, object Callbacks)>? later) : IDisposable
    {
        /// <summary>Restores the outer frames' depth, count and queue (anything left in the inner one is kept, behind theirs).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose()
        {
            if (loop is not null) loop.ReturnToCallbacks(depth, resolving, later!);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReturnToCallbacks(int depth, int resolving, Queue<(Promise Source, object Callbacks)> later)
    {
        var inner = _later;
        _later = later;
        Depth = depth;
        Resolving = resolving;
        while (inner.TryDequeue(out var item)) later.Enqueue(item);
    }

    /// <summary>The event loop running on this thread, if any (0 = none). See <see cref="LoopRegistry"/>.</summary>
    internal int LoopId;

    /// <summary>Replaces <see cref="Promise.AsyncExceptionHook"/> for this thread (a hosted loop logs instead).</summary>
    internal Action<Exception>? ExceptionHookOverride;

    // The deferred queue: a ring buffer of (source, callbacks) pairs; a null source means
    // the callbacks slot holds a DeferredWork.
    private Promise?[] _sources = new Promise?[16];
    private object?[] _items = new object?[16];
    private int _head;
    private int _count;

    /// <summary>The promises paused by <see cref="Promise.Pause"/>, in order.</summary>
    internal readonly PausedQueue Paused = new();

    /// <summary>Whether anything waits in the deferred queue.</summary>
    internal bool HasDeferred
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count != 0;
    }

    /// <summary>
    /// Leaves the nesting level that was entered at <paramref name="depth"/>: the frame that
    /// brings the depth back to 0 runs what was deferred meanwhile, on its shallow stack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Leave(int depth)
    {
        Depth = depth;
        DrainIfOutermost(depth);
    }

    /// <summary>
    /// For a frame that entered at <paramref name="depth"/> and has restored it (in a
    /// <c>finally</c>): at depth 0 it is the outermost frame, and runs what was deferred.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void DrainIfOutermost(int depth)
    {
        if (depth == 0 && _count != 0) DrainDeferred();
    }

    /// <summary>Queues the callbacks of a resolved promise.</summary>
    internal void Defer(Promise source, object callbacks) => Enqueue(source, callbacks);

    /// <summary>Queues a piece of trampolined work.</summary>
    internal void Defer(DeferredWork work) => Enqueue(null, work);

    private void Enqueue(Promise? source, object item)
    {
        if (_count == _items.Length) Grow();
        int tail = (_head + _count) & (_items.Length - 1);
        _sources[tail] = source;
        _items[tail] = item;
        _count++;
    }

    private void Grow()
    {
        var sources = new Promise?[_items.Length * 2];
        var items = new object?[_items.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            int j = (_head + i) & (_items.Length - 1);
            sources[i] = _sources[j];
            items[i] = _items[j];
        }
        _sources = sources;
        _items = items;
        _head = 0;
    }

    /// <summary>
    /// Runs everything deferred, in order, each at depth 1. Called only at depth 0 (by the
    /// outermost frame, or by the event loop), so the stack is as shallow as it gets.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void DrainDeferred()
    {
        while (_count != 0)
        {
            int h = _head;
            Promise? source = _sources[h];
            object item = _items[h]!;
            _sources[h] = null;
            _items[h] = null;
            _head = (h + 1) & (_items.Length - 1);
            _count--;
            Depth = 1;
            int resolving = Resolving;
            if (source is not null) Resolving = resolving + 1;
            try
            {
                if (source is null) ((DeferredWork)item).RunDeferred();
                else CallbackStore.InvokeAll(source, item);
            }
            finally
            {
                Depth = 0;
                Resolving = resolving;
            }
            if (resolving == 0 && _later.Count != 0) DrainLater(0);
        }
    }
}
