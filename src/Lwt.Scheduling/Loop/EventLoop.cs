using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * The event loop: Lwt_main's loop as a .NET object, one per thread.
 *
 * Everything that belongs to the loop runs on its thread, one thing at a time: promise
 * callbacks, actions posted through the SynchronizationContext, tasks queued to the
 * TaskScheduler, timer and I/O callbacks. Other threads reach it only through the inbox
 * (Post, the context's Post/Send, the scheduler's QueueTask), a multi-producer queue
 * that one eventfd write wakes (DESIGN.md, threading model).
 *
 * One iteration (the order is part of the contract, DESIGN.md):
 *   enter hooks;
 *   1. run everything ready: deferred resolutions, actions posted from this thread,
 *      the inbox (actions and tasks posted from anywhere);
 *   2. wake the promises paused by Promise.Pause() before this iteration;
 *   3. fire expired timers;
 *   4. ask the engine for I/O: block until the next timer only when nothing is ready or
 *      paused and the inbox is empty, otherwise poll with a zero timeout, at a bounded
 *      rate (below);
 *   (when 3 or 4 resolved the promise LwtMain.Run waits for: wake the promises paused
 *      meanwhile, as Lwt_main.run's iteration ends with wakeup_paused before it returns);
 *   leave hooks.
 *
 * Polling at a bounded rate. A busy loop (a pause loop, a producer/consumer pair) has
 * work every iteration, so it must not block; but a zero-timeout epoll_wait is a system
 * call (about half a microsecond here), which would cost more than the pause itself. So
 * a busy iteration polls the engine only when it has registrations and either 64 busy
 * iterations have passed or, when timers are armed (the clock is read anyway), 1 ms has
 * passed since the last poll. 64 keeps the syscall under ~2% of a 40 ns pause iteration;
 * 1 ms bounds the I/O latency a long busy stretch can add when iterations are slow; an
 * idle iteration always waits in the kernel, so I/O never waits longer than that.
 * Which engine it polls follows LwtEngine.Set at the next iteration, busy or idle: a
 * busy iteration compares LwtEngine.SetVersion (one static read) with the version of
 * its last look at LwtEngine.Current; the poll counters are no clock for it, since a
 * loop whose iterations each take 1 ms polls at every one and never counts to 64.
 *
 * Wake-ups without loss. Before blocking the loop publishes `_sleeping = 1` and then
 * looks at the inbox again; a producer enqueues and then reads `_sleeping`. Both sides
 * have a full fence between their write and their read, so either the loop sees the item
 * or the producer sees the flag and writes the eventfd (LwtEngine.Wake coalesces writes).
 *
 * The busy path never touches the inbox (Inbox.cs) to learn that it is empty: producers
 * raise `_inboxSignaled` after enqueuing (only when it is down, so a stream of posts does
 * not bounce its cache line), and the loop drops it with a full fence before draining.
 * A flag raised late only delays an item to the next iteration; the blocking decision
 * above reads the queue itself, so no item is ever left behind a blocked loop.
 *
 * Blocking on a Task from the loop thread: see LwtSynchronizationContext.Wait.
 */

/// <summary>
/// The event loop of one thread: runs promise callbacks, posted actions, tasks, timers
/// and I/O callbacks, blocking in the kernel when idle. Created for a thread by
/// <see cref="LwtMain.Run(Promise)"/> (or by the first operation that needs it, such as
/// <see cref="LwtUnix.Sleep(double)"/>) and driven while <c>LwtMain.Run</c> runs.
/// <para>Lwt: <c>Lwt_main</c>'s loop</para>
/// </summary>
[DebuggerDisplay("EventLoop thread={ThreadId}, running={IsRunning}, ready={ReadyCount}, inbox={InboxCount}, timers={TimerCount}, paused={PausedCount}")]
public sealed partial class EventLoop : ILoopDispatcher
{
    [ThreadStatic]
    private static EventLoop? t_current;

    private readonly Thread _thread;
    private readonly ResolutionLoop _resolution;
    private readonly Queue<WorkItem> _local = new();
    private readonly Inbox<WorkItem> _inbox = new();
    private readonly PausedQueue _paused;

    /// <summary>1 when something may be in the inbox (set by producers, cleared by the loop before it drains); read by every post, so alone on its line.</summary>
    private PaddedInt _inboxSignaled;

    /// <summary>1 while the loop may block in the engine; read by every post, so alone on its line.</summary>
    private PaddedInt _sleeping;
    /// <summary>Busy iterations since the last poll; written every busy iteration, so kept off the line of the fields that posts read.</summary>
    private PaddedInt _busyIterations;
    /// <summary>Iterations ever run (LwtRuntimeEvents' laps); written every iteration, so off the line of the fields that posts read.</summary>
    private PaddedLong _laps;
    private long _lastPoll;
    /// <summary>LwtEngine.SetVersion when the busy path last looked at LwtEngine.Current.</summary>
    private int _engineVersion;
    private int _runDepth;
    private int _id;
    private int _outstandingOperations;
    private int _pendingJobs;
    /// <summary>Set by <see cref="Retire"/> (under _retireGate): the thread will run the loop no more.</summary>
    private bool _retired;
    /// <summary>Makes Retire's mark and another thread's look-and-enqueue (TryEnqueueUnlessEnded) one step each.</summary>
    private readonly object _retireGate = new();

    private EventLoop()
    {
        _thread = Thread.CurrentThread;
        _resolution = ResolutionLoop.Current;
        _paused = _resolution.Paused;
        _engineVersion = LwtEngine.SetVersion; // before Current: a Set in between moves the version again
        Engine = LwtEngine.Current;
        Timers = new TimerWheel();
        SynchronizationContext = new LwtSynchronizationContext(this);
        TaskScheduler = new LwtTaskScheduler(this);
    }

    /// <summary>
    /// The event loop of the calling thread, or null if this thread has none yet. A thread gets
    /// its loop the first time it needs one (<c>LwtMain.Run</c>, a timer, an I/O wait) and keeps
    /// it after <c>Run</c> returns, so non-null does not mean running: see <see cref="IsRunning"/>.
    /// <para>Lwt: (none: Lwt has one global loop; here each thread has its own)</para></summary>
    public static EventLoop? Current => t_current;

    /// <summary>The calling thread's loop, created on first use.</summary>
    internal static EventLoop ForCurrentThread() => t_current ?? (t_current = new EventLoop());

    /// <summary>The loop's <see cref="LwtSynchronizationContext"/>, current for everything the loop runs.<para>Lwt: (none: the .NET face of <c>Lwt_main</c>)</para></summary>
    public SynchronizationContext SynchronizationContext { get; }

    /// <summary>The loop's <see cref="LwtTaskScheduler"/>: runs tasks on the loop thread.<para>Lwt: (none: the .NET face of <c>Lwt_main</c>)</para></summary>
    public TaskScheduler TaskScheduler { get; }

    /// <summary>Whether the calling thread is this loop's thread.<para>Lwt: (none)</para></summary>
    public bool IsOnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Whether <c>LwtMain.Run</c> is running this loop now.<para>Lwt: (none: inside <c>Lwt_main.run</c>)</para></summary>
    public bool IsRunning => Volatile.Read(ref _runDepth) != 0;

    /// <summary>The managed id of the loop's thread.<para>Lwt: (none)</para></summary>
    public int ThreadId => _thread.ManagedThreadId;

    /// <summary>The number of <c>async void</c> methods started on the loop and not finished yet.<para>Lwt: (none: .NET <c>async void</c>)</para></summary>
    public int OutstandingOperations => Volatile.Read(ref _outstandingOperations);

    /// <summary>The engine that waits for I/O and engine timers.</summary>
    internal LwtEngine Engine { get; private set; }

    /// <summary>The timers of <see cref="LwtUnix.Sleep(double)"/> and friends.</summary>
    internal TimerWheel Timers { get; }

    private int ReadyCount => _local.Count;
    /// <summary>At most how many items wait in the inbox (the debugger display; tests read it from other threads).</summary>
    internal long InboxCount => _inbox.CountUpperBound();
    private int TimerCount => Timers.Count;
    private int PausedCount => _resolution.Paused.Count;

    // For LwtRuntimeEvents, whose callbacks run on the thread that collects the metrics.

    /// <summary>The iterations this loop has run, over all its runs (readable from any thread).</summary>
    internal long Laps => Volatile.Read(ref _laps.Value);

    /// <summary>The promises paused on this loop's thread and not yet woken (readable from any thread, maybe stale).</summary>
    internal int PausedCountFromAnyThread => _paused.CountFromAnyThread;

    /// <summary>
    /// The LwtUnix jobs pending on this loop. The IO layer keeps its registry of jobs in
    /// thread-static fields, which no other thread can read, so it mirrors their number here;
    /// written on the loop thread only, read from any.
    /// </summary>
    internal int PendingJobs
    {
        get => Volatile.Read(ref _pendingJobs);
        set => Volatile.Write(ref _pendingJobs, value);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread, after the actions posted before it
    /// from the same thread. Safe from any thread; from another thread it wakes the loop if it
    /// is blocked. Each iteration runs what the loop thread posted before what other threads posted,
    /// so an action posted from the loop thread may run before one another thread posted
    /// earlier. If the loop is not running, the action waits for its next
    /// <see cref="LwtMain.Run(Promise)"/>; once the loop's thread has ended, or is ending (an
    /// <c>EventLoopThread</c> after its loop's last iteration), there can be no next run, and
    /// the post is refused. An exception thrown by the action goes to
    /// <see cref="Promise.AsyncExceptionHook"/>, unless <see cref="Promise.ExceptionFilter"/>
    /// refuses it: then it escapes from <c>LwtMain.Run</c>.
    /// <para>Lwt: <c>Lwt_unix.send_notification</c> (with the callback as the notification)</para>
    /// </summary>
    /// <param name="action">The action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The loop's thread has ended (a host's loop after the host was disposed, say): nothing
    /// could ever run the action.
    /// </exception>
    public void Post(Action action)
    {
        if (action is null) ThrowHelper.ThrowArgumentNull(nameof(action));
        // A loop is its thread's: once that thread has ended no LwtMain.Run can come, and an
        // action queued here would be lost without a word. Asked only of a stopped loop, so a
        // post to a running one pays one read (cross-thread-post). A post that races the
        // thread's end is still queued, as one that races the last iteration of any loop.
        if (ThreadHasEnded) ThrowThreadEnded();
        Enqueue(new WorkItem(action, null));
    }

    /// <summary>
    /// For the library's own deliveries from other threads (LwtPreemptive.Detach, LwtUnix's
    /// jobs, a Task's continuation, SIGCHLD checks, GC notifications): posts
    /// <paramref name="action"/> as <see cref="Post(Action)"/> does, unless the loop's thread has
    /// ended, where nothing can ever run it: then it is not queued and false is returned, so
    /// that the worker delivers its result itself (the loop's promises are anyone's once it
    /// has stopped), instead of the post throwing on a worker thread (which ends the process)
    /// or a queued result being lost (its promise pending for ever).
    /// </summary>
    internal bool TryPostUnlessEnded(Action action) => TryEnqueueUnlessEnded(new WorkItem(action, null));

    /// <summary>
    /// As <see cref="Post(Action)"/>, for the library's posts from another thread whose sender
    /// then waits for the action (SynchronizationContext.Send, LwtPreemptive.RunInMain): the
    /// look and the enqueue are one step for <see cref="Retire"/>, so such a post is queued
    /// before the retirement, which runs it, or throws after it. Post's lock-free path could
    /// look before the mark and enqueue after Retire ran the queues dry: its sender then
    /// waited for ever.
    /// </summary>
    internal void PostUnlessEnded(Action action)
    {
        if (!TryPostUnlessEnded(action)) ThrowThreadEnded();
    }

    /// <summary>As <see cref="TryPostUnlessEnded(Action)"/>, with a static callback and its state.</summary>
    internal bool TryPostUnlessEnded(SendOrPostCallback callback, object? state) =>
        TryEnqueueUnlessEnded(new WorkItem(callback, state));

    /// <summary>
    /// Queues <paramref name="item"/> unless the loop's thread has ended or is ending
    /// (<see cref="Retire"/>): false then, and nothing is queued. Either way nothing is lost:
    /// an item is queued before the retirement, which runs it, or refused after it.
    /// </summary>
    private bool TryEnqueueUnlessEnded(in WorkItem item)
    {
        if (Thread.CurrentThread == _thread)
        {
            // Retire runs on this thread, so it cannot be halfway through now.
            if (ThreadHasEnded) return false;
            _local.Enqueue(item);
            return true;
        }
        // From another thread, the look and the enqueue are one step for Retire, which takes
        // the same lock to mark the loop: without it an item could be queued just after
        // Retire ran the queues dry, and wait for ever. A post to a running loop pays an
        // uncontended lock; these are deliveries from workers and continuations from other
        // threads, each of which has already crossed threads.
        lock (_retireGate)
        {
            if (ThreadHasEnded) return false;
            _inbox.Enqueue(item);
        }
        SignalInbox();
        return true;
    }

    /// <summary>
    /// Whether the loop's thread has ended, or is ending (<see cref="Retire"/>), so that nothing
    /// can ever run a post here. Asked only of a stopped loop: a running one costs one read.
    /// </summary>
    private bool ThreadHasEnded => !IsRunning && (Volatile.Read(ref _retired) || !_thread.IsAlive);

    /// <summary>
    /// Called on the loop's thread once it will run the loop no more and is about to end
    /// (EventLoopThread's last act): from here on the loop counts as ended, and what was
    /// queued to it until now is run, here, instead of being lost with the thread.
    /// </summary>
    /// <remarks>
    /// A thread that has left <c>LwtMain.Run</c> but not yet ended is still alive, so posts
    /// are queued for a next run that will never come: a worker's result (LwtPreemptive.Detach,
    /// a job) posted in that window would leave its promise pending for ever, and an await
    /// continuation there would never run. Retire closes the window: it marks the loop ended
    /// under the lock that the library's deliveries, the context's posts and the scheduler's
    /// tasks take from other threads (TryEnqueueUnlessEnded), so that each one is either queued
    /// before the mark, and run below, or refused after it as after the thread's end (a
    /// worker delivers its result itself, the context drops the post, the scheduler throws);
    /// then it runs the queues dry, with the loop's context current, as an iteration would.
    /// <see cref="Post(Action)"/> throws from the mark on; one that races it is still queued
    /// and not run, its documented race (it takes no lock: cross-thread-post's path).
    /// <para>
    /// An exception that escapes an item (one the exception filter refuses: it would end a
    /// run of the loop) does not stop the others, since there is no next run to leave them
    /// to. It is rethrown once the queues are dry (EventLoopThread's Completion); several
    /// are thrown together, in an <see cref="AggregateException"/>.
    /// </para>
    /// </remarks>
    internal void Retire()
    {
        Debug.Assert(IsOnLoopThread && !IsRunning, "Retire: on the loop's thread, after its last run");
        lock (_retireGate) Volatile.Write(ref _retired, true);
        var previous = System.Threading.SynchronizationContext.Current;
        System.Threading.SynchronizationContext.SetSynchronizationContext(SynchronizationContext);
        List<Exception>? escaped = null;
        try
        {
            do
            {
                try
                {
                    Volatile.Write(ref _inboxSignaled.Value, 1);
                    RunReady();
                }
                catch (Exception e)
                {
                    (escaped ??= []).Add(e);
                }
            }
            while (_local.Count != 0 || !_inbox.IsEmpty || _resolution.HasDeferred
                || _resolution.HasLater && _resolution.Resolving == 0);
        }
        finally
        {
            System.Threading.SynchronizationContext.SetSynchronizationContext(previous);
        }
        if (escaped is null) return;
        if (escaped.Count == 1) ExceptionDispatchInfo.Throw(escaped[0]);
        throw new AggregateException("Items run by the ended loop let out exceptions that the exception filter refuses.", escaped);
    }

    [DoesNotReturn]
    private void ThrowThreadEnded() =>
        throw new InvalidOperationException(
            $"EventLoop.Post (or a Task queued to its TaskScheduler): the loop's thread ({ThreadId}) has ended, so nothing can run the action. Post to a loop whose thread runs, or will run, LwtMain.Run (a host's loop only until the host is disposed).");

    /// <summary>
    /// For the promise core: whether the caller may act on this loop's promises directly. While
    /// the loop is stopped any thread may, as with promises made outside any loop (a resolver
    /// used from another thread marshals only to a running loop).
    /// </summary>
    bool ILoopDispatcher.IsOnLoopThread => !IsRunning || IsOnLoopThread;

    // Claimable (ClaimablePost.cs): false once the loop has stopped, and the caller then acts
    // on the promise itself, as on any promise of a stopped loop.
    bool ILoopDispatcher.TryPost(Action action) => ((ILoopDispatcher)this).TryPostClaimable(new PostedAction(action));

    /// <summary>
    /// The scheduler's QueueTask: refused, as <see cref="Post(Action)"/> is, once the loop's
    /// thread has ended; the Task then fails to start (TaskSchedulerException) instead of
    /// waiting for ever.
    /// </summary>
    internal void PostTask(Task task)
    {
        if (!TryEnqueueUnlessEnded(new WorkItem(task, null))) ThrowThreadEnded();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enqueue(in WorkItem item)
    {
        if (Thread.CurrentThread == _thread)
        {
            _local.Enqueue(item);
            return;
        }
        EnqueueInInbox(item);
    }

    /// <summary>
    /// Posts <paramref name="action"/> through the inbox even from the loop's own thread, so
    /// that it runs after everything posted before it from any thread. <see cref="Post(Action)"/>
    /// from the loop's thread takes the local queue, which runs before the inbox: an action
    /// posted there after a post of another thread (one the poster waited for, say) would
    /// overtake it. Notifications need that order (LwtUnix.SendNotification: Lwt's one pipe
    /// delivers the ids in the order they were written, whichever thread wrote them).
    /// </summary>
    internal void PostInOrder(Action action) => EnqueueInInbox(new WorkItem(action, null));

    private void EnqueueInInbox(in WorkItem item)
    {
        _inbox.Enqueue(item);
        SignalInbox();
    }

    /// <summary>After an enqueue to the inbox: raises the flag and wakes the loop if it may be blocked.</summary>
    private void SignalInbox()
    {
        // Inbox.Enqueue ends with an interlocked operation: a full fence before these
        // reads. The flag is written only when it changes, so a stream of posts does not keep
        // stealing its cache line from the loop.
        if (Volatile.Read(ref _inboxSignaled.Value) == 0) Volatile.Write(ref _inboxSignaled.Value, 1);
        if (Volatile.Read(ref _sleeping.Value) != 0) Engine.Wake();
    }

    internal void OperationStarted() => Interlocked.Increment(ref _outstandingOperations);

    internal void OperationCompleted() => Interlocked.Decrement(ref _outstandingOperations);

    // ------------------------------------------------------------------ running

    /// <summary>Marks the loop as running on this thread (LwtMain.Run's entry).</summary>
    internal void Enter()
    {
        if (_runDepth != 0)
            throw new InvalidOperationException(
                "LwtMain.Run was called on a thread that is already inside LwtMain.Run (for example from a promise callback). " +
                "Nested runs would block the loop that must resolve the promise (Lwt #607); bind or await the promise instead.");
        // The registry id is the owner stamped on every promise created during a run, so it is
        // kept for the loop's whole life, not per run: were it given back at Exit, another
        // thread's loop could take it and claim this loop's leftover promises (they would be
        // marshaled to, or refused as belonging to, an unrelated loop); the registry never
        // reuses an id anyway. It is forgotten once this thread has died (IdLease's finalizer).
        // Between runs the loop is registered but not running: its promises are then used
        // directly by whoever touches them (LoopRegistry.ForeignOwner).
        if (_id == 0)
        {
            _id = LoopRegistry.Register(this);
            t_idLease = new IdLease(_id);
        }
        _resolution.LoopId = _id;
        Volatile.Write(ref _runDepth, 1); // read from other threads (IsRunning, LoopRegistry.ForeignOwner)
    }

    /// <summary>Marks the loop as stopped (LwtMain.Run's exit).</summary>
    internal void Exit()
    {
        _resolution.LoopId = 0;
        StopAndRunUnrunClaimables();
    }

    /// <summary>Held by the loop's thread only: finalized once that thread has died, it frees the registry id.</summary>
    private sealed class IdLease(int id)
    {
        ~IdLease() => LoopRegistry.Unregister(id);
    }

    [ThreadStatic]
    private static IdLease? t_idLease;

    internal int Id => _id;

    /// <summary>
    /// What runs this loop on a thread of its own, when something does (Lwt.Interop's
    /// EventLoopThread, a host's loop included): what an <c>InvokeAsync</c> on the loop goes
    /// through. Set once, on the loop thread, before the loop is handed out.
    /// </summary>
    internal object? Driver { get; set; }

    /// <summary>Runs iterations until <paramref name="promise"/> is resolved.</summary>
    internal void RunUntilResolved(Promise promise)
    {
        var p = promise.Underlying();
        if (p._status == Status.Pending && p._owner != _id)
        {
            RunUntilResolvedElsewhere(p);
            return;
        }
        while (promise.CurrentStatus == Status.Pending) Iterate(promise);
    }

    /// <summary>
    /// Runs iterations until <paramref name="p"/>, a promise this loop does not own, is
    /// resolved. Its owner (another loop, or none) resolves it on another thread, which
    /// knows nothing of this loop blocked in the kernel. So a callback on it resolves a
    /// promise of this loop, whose resolver marshals to this loop from any thread (waking
    /// it), and the loop runs until that one is resolved, here, by that post. The callback
    /// is attached as an await's continuation is (AwaitSupport.Register): on the owner's
    /// thread while it runs, and never lost if it stops first (ClaimablePost).
    /// </summary>
    /// <remarks>
    /// A promise of no loop, or of a loop that is not running, has no thread of its own: the
    /// callback is then attached here, on this thread, while another thread may be resolving
    /// it (a Task completing under <c>LwtMain.Run(task.ToPromise())</c> called off any loop).
    /// For a promise of no loop, and one of a stopped loop, every resolution, cancel and
    /// attach from off its loop takes the promise's lock (Core/Promise.Shared.cs), so the
    /// attach is either taken or sees the promise resolved. A proxy of a stopped loop's
    /// promise is still made without it, and an attach lost there would block this loop
    /// forever. So the loop also reads the promise's state itself, should anything still
    /// write one without the lock (ForeignRunTests forces that interleaving): after the attach (with a
    /// full fence, which catches a resolution already visible), and after every iteration,
    /// with a timer that wakes an idle loop at growing intervals (1 ms doubling to 128 ms) in
    /// case the callback never comes. The callback, when it does come, still wakes the loop
    /// at once.
    /// </remarks>
    private void RunUntilResolvedElsewhere(Promise p)
    {
        var (resolved, resolver) = Promise.Create();
        bool unowned = LoopRegistry.ForeignOwner(p._owner) is null;
        AwaitSupport.Register(p, new ResolveOnResolution(resolver));
        if (!unowned)
        {
            while (resolved._status == Status.Pending) Iterate(resolved);
            return;
        }
        Interlocked.MemoryBarrier();
        var recheck = new RecheckTimer(Timers);
        try
        {
            while (resolved._status == Status.Pending && p.CurrentStatus == Status.Pending) Iterate(resolved);
        }
        finally
        {
            recheck.Stop();
        }
    }

    /// <summary>Keeps a timer armed on the wheel, at 1 ms doubling to 128 ms, so that an idle loop wakes up to look again.</summary>
    private sealed class RecheckTimer
    {
        private readonly TimerWheel _wheel;
        private readonly Action _fire;
        private ActionTimerEntry? _entry;
        private int _intervalMs = 1;

        internal RecheckTimer(TimerWheel wheel)
        {
            _wheel = wheel;
            _fire = Arm; // re-armed from its own expiry, so a timer is always pending while the loop waits
            Arm();
        }

        private void Arm()
        {
            _entry = _wheel.Add(Stopwatch.GetTimestamp() + _intervalMs * Stopwatch.Frequency / 1000, _fire);
            _intervalMs = Math.Min(_intervalMs * 2, 128);
        }

        internal void Stop() => _entry?.Cancel();
    }

    /// <summary>Resolves a resolver of the waiting loop when the promise it waits for is resolved.</summary>
    private sealed class ResolveOnResolution(Resolver<Unit> resolver) : Callback
    {
        internal override void Invoke(Promise source) => resolver.Resolve();
    }

    /// <summary>
    /// One iteration of the loop, in the order of the file comment. When the promise being
    /// waited for is resolved by the ready work, the iteration does not block for I/O (as
    /// Lwt_main checks its promise before calling the engine).
    /// </summary>
    internal void Iterate(Promise? until = null)
    {
        _laps.Value++; // Lwt's sch_lap; the only cost metrics add to an iteration (LwtRuntimeEvents)
        var hooks = LwtMain.EnterIterHooks.Snapshot;
        if (hooks.Length != 0) RunHooks(hooks);

        RunReady();
        if (_paused.Count != 0) _paused.WakeAll();
        bool runPending = until is not null && until.CurrentStatus == Status.Pending;

        long now = 0;
        if (Timers.Count != 0)
        {
            now = Stopwatch.GetTimestamp();
            Timers.Expire(now);
            if (_resolution.HasDeferred) _resolution.DrainDeferred();
        }

        if (until is null || until.CurrentStatus == Status.Pending) WaitForIo(now);

        // Lwt_main.run ends every iteration with wakeup_paused, after the engine's timers and
        // I/O, and only then looks at its promise again. Here the paused promises come before
        // the timers, which is the same order between iterations; but when this iteration's
        // timers or I/O resolved the run's promise, the promises they paused would stay pending
        // after Run returns, where Lwt's run their callbacks first. So they are woken once more
        // (those paused by these callbacks are left, as Lwt leaves them).
        if (runPending && _paused.Count != 0 && until!.CurrentStatus != Status.Pending) WakePausedAtRunEnd();

        hooks = LwtMain.LeaveIterHooks.Snapshot;
        if (hooks.Length != 0) RunHooks(hooks);
    }

    private void WakePausedAtRunEnd()
    {
        _paused.WakeAll();
        if (_resolution.HasDeferred) _resolution.DrainDeferred();
    }

    private static void RunHooks(LwtHook[] hooks)
    {
        for (int i = 0; i < hooks.Length; i++) hooks[i].Run();
    }

    /// <summary>
    /// On the loop thread, blocked in a wait: whether work is waiting that only the loop can run
    /// (queued items, paused promises, deferred callbacks, a due timer). See LwtSynchronizationContext.Wait.
    /// </summary>
    internal bool HasWorkOnlyItCanRun() =>
        HasReadyWork || (Timers.Count != 0 && Timers.MillisecondsUntilNext(Stopwatch.GetTimestamp()) == 0);

    private bool HasReadyWork => _local.Count != 0 || Volatile.Read(ref _inboxSignaled.Value) != 0 || _paused.Count != 0 || _resolution.HasDeferred || _resolution.HasLater;

    private void WaitForIo(long now)
    {
        if (HasReadyWork)
        {
            // Busy: poll, without blocking, at a bounded rate (file comment). The engine is
            // LwtEngine.Current as of the last Set (or of its disposal, which Set's default does).
            var engine = Engine;
            if (_engineVersion != LwtEngine.SetVersion || engine.IsDisposed) engine = FollowCurrentEngine();
            bool due = ++_busyIterations.Value >= 64;
            if (engine.ReadableCount + engine.WritableCount + engine.TimerCount == 0)
            {
                if (due) _busyIterations.Value = 0;
                return;
            }
            if (!due && now != 0) due = now - _lastPoll >= Stopwatch.Frequency / 1000;
            if (!due) return;
            Poll(engine, 0, now);
            return;
        }
        // Idle: LwtEngine.Set may have replaced this thread's engine since the last iteration
        // (written only when it changed: producers read the fields next to it).
        var current = LwtEngine.Current;
        if (!ReferenceEquals(current, Engine)) Engine = current;
        int timeout = Timers.MillisecondsUntilNext(now != 0 ? now : Stopwatch.GetTimestamp());
        Volatile.Write(ref _sleeping.Value, 1);
        Interlocked.MemoryBarrier();
        // The queue itself, not the flag: this is the read that pairs with the producer's fence.
        if (!_inbox.IsEmpty) timeout = 0;
        try
        {
            Poll(current, timeout, now);
        }
        finally
        {
            Volatile.Write(ref _sleeping.Value, 0);
        }
        if (!_inbox.IsEmpty) Volatile.Write(ref _inboxSignaled.Value, 1);
    }

    /// <summary>Takes LwtEngine.Current as the loop's engine after a Set (the busy path's cold branch).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LwtEngine FollowCurrentEngine()
    {
        _engineVersion = LwtEngine.SetVersion; // before Current: a Set after this read moves the version again
        var current = LwtEngine.Current;
        if (!ReferenceEquals(current, Engine)) Engine = current; // producers read it: written only when it changed
        return current;
    }

    private void Poll(LwtEngine engine, int timeoutMs, long now)
    {
        _busyIterations.Value = 0;
        _lastPoll = now != 0 ? now : Stopwatch.GetTimestamp();
        engine.Iter(timeoutMs);
        if (_resolution.HasDeferred) _resolution.DrainDeferred();
    }

    /// <summary>Runs the ready work: what this thread posted, then the inbox, each bounded to what was there at the start.</summary>
    private void RunReady()
    {
        // A wakeup_later left in its queue by an exception that escaped the drain (a throwing
        // async exception hook, an exception the filter refuses) runs now: nothing else would
        // run it before some other promise's callbacks end at depth 0, and what it resolves
        // (a stream reader's turn, whose promise stays pending until then) would wait for it.
        if (_resolution.HasLater && _resolution.Resolving == 0) _resolution.DrainLater(0);
        if (_resolution.HasDeferred) _resolution.DrainDeferred();
        if (_local.Count != 0) RunLocal();
        if (Volatile.Read(ref _inboxSignaled.Value) != 0) RunInbox();
    }

    private void RunLocal()
    {
        int n = _local.Count;
        while (n-- > 0 && _local.TryDequeue(out var item)) Run(item);
    }

    private void RunInbox()
    {
        // Clear the flag before draining, with a full fence: a producer that saw the flag set
        // (and did not set it again) enqueued before that, so the drain below sees its item.
        Interlocked.Exchange(ref _inboxSignaled.Value, 0);
        long n = _inbox.CountUpperBound();
        while (n-- > 0 && _inbox.TryDequeue(out var item)) Run(item);
        // Left for the next iteration (posted during the drain): keep the flag up.
        if (!_inbox.IsEmpty) Volatile.Write(ref _inboxSignaled.Value, 1);
    }

    private void Run(in WorkItem item)
    {
        try
        {
            switch (item.Callback)
            {
                case Action action:
                    action();
                    break;
                case SendOrPostCallback callback:
                    callback(item.State);
                    break;
                case Task task:
                    ((LwtTaskScheduler)TaskScheduler).Execute(task);
                    break;
            }
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            Promise.ReportUnhandled(e);
        }
        if (_resolution.HasDeferred) _resolution.DrainDeferred();
    }
}
