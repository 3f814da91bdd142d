// LwtEngine: the I/O and timer multiplexer under the event loop (Lwt_engine).
//
// The loop asks the engine three things: "call me when this fd is readable /
// writable", "call me after this delay", and "wait for any of that, at most
// this long, then run the callbacks" (Iter). This abstract class holds
// everything that does not depend on the kernel interface: the per-fd
// registration lists, the timer wheel, the dispatch rules, the wake-up
// protocol and the error policy. A backend (EpollEngine, PollEngine) only
// translates interest masks into its kernel calls and reports readiness.
//
// Registrations. Every fd ever registered has one FdRegistration (readers and
// writers lists), in a growable array indexed by fd (no FD_SETSIZE-like
// limit). Several events may wait on the same fd and direction; each gets its
// own LwtEvent. The backend sees one interest mask per fd, changed only when
// the first reader/writer arrives or the last one leaves.
//
// Stale registrations. An fd closed behind the engine's back (its events not
// stopped) keeps its mask here, while the kernel may have forgotten it; once
// the number is reused, a new event on it would change no mask and so never
// reach the kernel. As libev re-syncs an fd with the kernel at every watcher
// start, AddFdEvent asks the backend to re-sync (ResyncInterest) whenever an
// event joins a direction that already had one. That is the only case that
// needs it: a first event in a direction changes the mask, and that change is
// itself an ADD or MOD that follows the fd's current file (a MOD the kernel
// answers ENOENT becomes ADD, an ADD answered EEXIST becomes MOD). The common
// path never pays for it: LwtFd keeps one event per fd and direction, stopped
// when its queue empties, so each new wait is a first event.
//
// Dispatch rules (what makes stopping from a callback safe):
//  - readiness is looked up in the live lists at dispatch time, never cached,
//    and each callback is read from its event right before the call, so an
//    event stopped earlier in the same batch (even by itself or by a sibling)
//    is never called;
//  - lists are walked through _next, which Stop keeps on unlinked events, so a
//    walk survives any removal made by the callback it just ran;
//  - events created during an Iter carry that Iter's generation and are not
//    dispatched by it: a fresh registration never receives readiness that
//    the kernel reported before it existed (e.g. for a reused fd number).
//    The same holds for timers: one created by a callback of an Iter fires at
//    the next Iter at the earliest, even with a 0 delay (Lwt's select/poll
//    engines keep such timers in new_sleeps until the next iter; libev starts
//    them at its next loop iteration);
//  - FakeIo outside an Iter dispatches as an Iter does (its own generation,
//    its own first error); a FakeIo, or an Iter, called from one of its
//    callbacks is treated as if called from an Iter callback. A FakeIo from a
//    callback calls the events registered before it, those registered earlier
//    in the same Iter included (Lwt's fake_io calls every event on the fd):
//    it dispatches with a generation of its own and restores the Iter's floor
//    after, so the Iter's walk still skips every event registered during it.
//
// Transfer. TransferTo (LwtEngine.Transfer.cs, behind LwtEngine.Set) moves
// every live event, fd events and timers, to another engine: the LwtEvent
// objects move, so what users hold keeps working there.
//
// Timers. OnTimer events live in a TimerWheel (see Loop/Timers). Iter never
// sleeps past the next engine timer and fires the expired ones before the I/O
// callbacks, as Lwt's engines do (select_based/poll_based#iter run
// restart_actions before invoke_actions; libev queues the expired timers after
// the fds and invokes its pending queue last first), so a timer callback that
// stops a ready fd event keeps it from being called. A repeating timer is
// rescheduled before its callback runs, from its previous deadline, so Stop
// from the callback cancels it and it does not drift; if it fell behind (a slow
// callback) it restarts from now rather than firing in a burst.
//
// Errors. A callback that throws does not break the engine nor the batch:
// Iter records the first exception, runs the remaining callbacks of the
// iteration (I/O and timers), then rethrows that first exception (with its
// original stack trace). Later exceptions of the same Iter are dropped.
//
// Waking (the only thread-safe entry point). Wake() may be called from any
// thread. _wakeRequested coalesces wake-ups: only the caller that flips it
// from 0 to 1 writes to the wake fd (one syscall however many threads call).
// Iter, on seeing the wake fd readable, first drains the fd and then resets
// the flag with a full fence (Interlocked.Exchange). The order matters: a
// Wake that raced with the drain saw 1 and did not write, but the Iter that
// drained is returning, so the loop will look at its inbox afterwards; a Wake
// after the reset writes again. Draining after the reset instead could
// swallow a write made between the two and leave the flag at 1 forever: a
// lost wake-up. Dispose sets the flag to 2 so that later Wakes write nothing.
//
// Wake racing Dispose. A Wake that won the 0 -> 1 exchange just before
// Dispose may still be on its way to the write when the loop thread disposes
// the engine (LwtEngine.Set from a callback while other threads post to the
// loop, which reads the engine before the Set). Closing the wake fd under it
// would make it write into a closed, or worse a reused, descriptor. So a
// writer counts itself in (_wakeWriters) and then checks the flag is not 2;
// Dispose sets the flag to 2 and then waits for the count to drop to 0 before
// anything is closed. Both sides use interlocked operations (full fences)
// between their write and their read, so either the writer sees 2 and writes
// nothing, or Dispose sees the writer and waits for it (one write syscall).
//
// Threading. Apart from Wake, an engine belongs to one thread (the loop's).
// Iter is not re-entrant.

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// An I/O and timer multiplexer: registers callbacks for fd readiness and timers,
/// then waits for and dispatches them in <see cref="Iter(bool)"/>.
/// <para>Lwt: <c>Lwt_engine.t</c> (<c>Lwt_engine.abstract</c>)</para>
/// </summary>
[DebuggerDisplay("{GetType().Name,nq}: {ReadableCount} readers, {WritableCount} writers, {TimerCount} timers")]
public abstract partial class LwtEngine : IDisposable
{
    private FdRegistration?[] _fds = new FdRegistration?[64];
    private readonly TimerWheel _timers = new();
    private int _readableCount;
    private int _writableCount;

    /// <summary>Incremented by each Iter and FakeIo; stamped on the events registered meanwhile.</summary>
    private long _generation;

    /// <summary>
    /// The generation at which the current dispatch began: only events stamped before it are
    /// called (events registered during a dispatch are not dispatched by it). A FakeIo from a
    /// callback raises it for its own dispatch and puts it back after (see FakeIo).
    /// </summary>
    private long _dispatchFloor;

    /// <summary>How many event callbacks have been called (for <see cref="Iter(bool)"/>: did a wait run anything?).</summary>
    private long _callbacksRun;

    /// <summary>True while Iter, or a FakeIo called outside Iter, dispatches (see FakeIo).</summary>
    private bool _iterating;
    private bool _disposed;

    /// <summary>
    /// True when I/O dispatch must call nothing until the next Iter or FakeIo starts: the
    /// engine was disposed, or its events were transferred away (a walk in progress may stand
    /// on an event now linked into another engine's list; see LwtEngine.Transfer.cs). Read by
    /// InvokeIo in place of _disposed, so the hot path reads one flag as before.
    /// </summary>
    private bool _dispatchHalted;
    private ExceptionDispatchInfo? _firstError;

    /// <summary>0: no wake pending; 1: a wake was requested (the wake fd is or will be written); 2: disposed.</summary>
    private int _wakeRequested;

    /// <summary>How many Wakes are writing the wake fd now; Dispose waits for 0 before closing it (file comment).</summary>
    private int _wakeWriters;

    /// <summary>Only the assembly's backends derive from the engine.</summary>
    private protected LwtEngine()
    {
    }

    /// <summary>
    /// Number of readable events registered (not stopped).
    /// <para>Lwt: <c>Lwt_engine.readable_count</c></para>
    /// </summary>
    public int ReadableCount => _readableCount;

    /// <summary>
    /// Number of writable events registered (not stopped).
    /// <para>Lwt: <c>Lwt_engine.writable_count</c></para>
    /// </summary>
    public int WritableCount => _writableCount;

    /// <summary>
    /// Number of timer events scheduled (a one-shot timer leaves once fired).
    /// <para>Lwt: <c>Lwt_engine.timer_count</c></para>
    /// </summary>
    public int TimerCount => _disposed ? 0 : _timers.Count;

    /// <summary>True if the last <see cref="Iter(int)"/> consumed a <see cref="Wake"/>.</summary>
    internal bool WokenByWake { get; private set; }

    /// <summary>True once <see cref="Dispose"/> was called.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>
    /// Calls <paramref name="callback"/> each time <paramref name="fd"/> is readable
    /// (level-triggered: again at every iteration while data is pending), until the
    /// returned event is stopped.
    /// <para>Lwt: <c>Lwt_engine.on_readable</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The kernel refused the fd (e.g. closed, or a regular file for epoll).</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public LwtEvent OnReadable(int fd, Action<LwtEvent> callback) => AddFdEvent(fd, callback, LwtEvent.EventKind.Readable);

    /// <summary>
    /// Calls <paramref name="callback"/> each time <paramref name="fd"/> is writable
    /// (level-triggered), until the returned event is stopped.
    /// <para>Lwt: <c>Lwt_engine.on_writable</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The kernel refused the fd.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public LwtEvent OnWritable(int fd, Action<LwtEvent> callback) => AddFdEvent(fd, callback, LwtEvent.EventKind.Writable);

    /// <summary>
    /// Calls <paramref name="callback"/> once <paramref name="delaySeconds"/> have passed
    /// (never before), then, if <paramref name="repeat"/>, every <paramref name="delaySeconds"/>
    /// until the returned event is stopped. A one-shot timer counts as stopped once fired.
    /// A negative delay puts the deadline in the past: the timer is due at once, and as due
    /// timers fire in deadline order, before one set with a smaller delay (a repeating one then
    /// repeats with no delay). The first call comes from an iteration that starts after the
    /// registration: a timer registered by a callback of an iteration fires at the next one
    /// at the earliest.
    /// <para>Lwt: <c>Lwt_engine.on_timer</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delaySeconds"/> is NaN.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public LwtEvent OnTimer(double delaySeconds, bool repeat, Action<LwtEvent> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (double.IsNaN(delaySeconds))
        {
            ThrowNaNDelay(delaySeconds);
        }

        ThrowIfDisposed();

        // A negative delay is kept as a deadline in the past, not made 0: Lwt's engines (libev's
        // timer heap, select/poll_based's sorted timer list) fire due timers in deadline order,
        // so a timer set with -1 fires before one set with 0 (the wheel sorts each batch it
        // fires). Offsets are capped at a quarter of the clock's range either way, so that
        // infinities neither overflow nor wrap.
        const long MaxOffset = long.MaxValue / 4;
        double ticks = delaySeconds * Stopwatch.Frequency;
        long offset = ticks >= MaxOffset ? MaxOffset : ticks <= -MaxOffset ? -MaxOffset : (long)Math.Ceiling(ticks);
        var ev = new LwtEvent(this, LwtEvent.EventKind.Timer, -1, callback, _generation);
        var timer = new LwtEvent.EngineTimer(ev, Math.Max(0, offset), repeat);
        ev._timer = timer;
        long now = Stopwatch.GetTimestamp();
        _timers.Add(timer, offset < 0 ? now + offset : SaturatingAdd(now, offset));
        return ev;
    }

    /// <summary>
    /// Simulates activity on <paramref name="fd"/>: calls the readable callbacks registered on it,
    /// then its writable callbacks, whatever the kernel says (those registered by these callbacks
    /// wait for the next iteration). Called from a callback of an iteration, it calls the events
    /// registered before the call, those registered earlier in that iteration included. If
    /// callbacks throw, the others still run and the first exception is rethrown at the end (inside
    /// a callback of this engine, including one that a <see cref="FakeIo"/> runs: at the end of
    /// that outer Iter or FakeIo).
    /// <para>Lwt: <c>Lwt_engine.fake_io</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (one with no event is ignored).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public void FakeIo(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        ThrowIfDisposed();
        if (_iterating)
        {
            // From a callback of an Iter or of an outer FakeIo. Lwt's fake_io calls every event
            // registered on the fd, so those registered earlier in the outer dispatch are called
            // too: a generation of its own for this dispatch, whose events (registered by its
            // callbacks) it skips; then the outer floor is restored, and the outer walk skips
            // both its own new events and this one's (they are stamped at or past its floor).
            // The outer call owns the first error (a sibling's exception must not come out of
            // this call, into the callback that made it).
            long outerFloor = _dispatchFloor;
            _dispatchFloor = ++_generation;
            try
            {
                Dispatch(fd, FdRegistration.Read | FdRegistration.Write);
            }
            finally
            {
                _dispatchFloor = outerFloor;
            }

            return;
        }

        _dispatchFloor = ++_generation; // events registered by the callbacks below are not called by this dispatch
        _dispatchHalted = false;
        _iterating = true;
        try
        {
            Dispatch(fd, FdRegistration.Read | FdRegistration.Write);
        }
        finally
        {
            _iterating = false;
            if (_disposed)
            {
                ReleaseResources(); // Dispose from a callback deferred it, as during an Iter
            }
        }

        RethrowFirstError();
    }

    /// <summary>
    /// Waits for events (if <paramref name="block"/>, until at least one fd is ready, a
    /// timer expires or <see cref="Wake"/> is called; otherwise not at all) and runs
    /// their callbacks. If callbacks throw, the others still run and the first
    /// exception is rethrown at the end.
    /// <para>Lwt: <c>Lwt_engine.iter</c></para>
    /// </summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="InvalidOperationException">Called from inside one of the engine's callbacks.</exception>
    public void Iter(bool block)
    {
        if (!block)
        {
            Iter(0);
            return;
        }

        // A wait may end with nothing to run: a signal interrupted it (EINTR; the runtime
        // signals threads to suspend them for the GC), or a crowded timer slot answered a
        // lower bound of its deadline. Lwt's iter blocks until an event is there: wait again.
        long before = _callbacksRun;
        do
        {
            Iter(-1);
        }
        while (_callbacksRun == before && !WokenByWake && !_disposed);
    }

    /// <summary>
    /// One iteration for the event loop: waits at most <paramref name="timeoutMs"/>
    /// milliseconds (-1: no limit, 0: poll), never past the next engine timer, then
    /// fires the expired engine timers and dispatches the I/O callbacks.
    /// </summary>
    internal void Iter(int timeoutMs)
    {
        ThrowIfDisposed();
        if (_iterating)
        {
            ThrowReentrantIter();
        }

        if (timeoutMs < -1)
        {
            ThrowBadTimeout(timeoutMs);
        }

        _iterating = true;
        WokenByWake = false;
        _dispatchFloor = ++_generation;
        _dispatchHalted = false;
        try
        {
            int wait = timeoutMs;
            if (wait != 0 && _timers.Count != 0)
            {
                int untilTimer = _timers.MillisecondsUntilNext(Stopwatch.GetTimestamp());
                if (untilTimer >= 0 && (wait < 0 || untilTimer < wait))
                {
                    wait = untilTimer;
                }
            }

            int count = WaitForEvents(wait);

            // The due timers first, then the I/O callbacks, as every Lwt engine does (file
            // comment, Timers): a timer may stop an fd event the wait reported ready.
            if (_timers.Count != 0)
            {
                _timers.Expire(Stopwatch.GetTimestamp());
            }

            for (int i = 0; i < count && !_disposed; i++)
            {
                int fd = GetReady(i, out int flags);
                if (flags == 0)
                {
                    continue;
                }

                if (fd < 0)
                {
                    AcknowledgeWake();
                }
                else
                {
                    Dispatch(fd, flags);
                }
            }
        }
        finally
        {
            _iterating = false;
            if (_disposed)
            {
                ReleaseResources();
            }
        }

        RethrowFirstError();
    }

    /// <summary>Rethrows (and forgets) the first exception a callback threw during the dispatch just ended.</summary>
    private void RethrowFirstError()
    {
        if (_firstError is { } error)
        {
            _firstError = null;
            error.Throw();
        }
    }

    /// <summary>
    /// Makes a blocked <see cref="Iter(int)"/> return promptly, or the next one if none
    /// is blocked. Thread-safe; concurrent calls are coalesced into one write.
    /// </summary>
    internal void Wake()
    {
        if (Interlocked.CompareExchange(ref _wakeRequested, 1, 0) == 0)
        {
            WriteWake();
        }
    }

    /// <summary>The write of a Wake that won the exchange, fenced against Dispose closing the wake fd (file comment).</summary>
    private void WriteWake()
    {
        Interlocked.Increment(ref _wakeWriters);
        if (Volatile.Read(ref _wakeRequested) != 2)
        {
            SignalWake();
        }

        Interlocked.Decrement(ref _wakeWriters);
    }

    /// <summary>Waits for the Wakes already writing the wake fd (a few microseconds at most: one write each).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForWakeWriters()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref _wakeWriters) != 0)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Closes the engine's own descriptors if it was never disposed: the engine of a thread
    /// that ran a loop and ended becomes unreachable with the thread, and its epoll fd and
    /// eventfd must not stay open for the rest of the process. Nobody can call
    /// <see cref="Wake"/> on an unreachable engine, so closing here races with nothing.
    /// <para>Lwt: none (the .NET finalizer; <c>engine#destroy</c> is <see cref="Dispose"/>)</para></summary>
    ~LwtEngine()
    {
        if (!_disposed) ReleaseResources();
    }

    /// <summary>
    /// Stops every event and closes the engine's own descriptors (not the registered
    /// fds). Callbacks are never called afterwards. Safe from inside a callback.
    /// <para>Lwt: <c>Lwt_engine.destroy</c></para>
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _dispatchHalted = true;
        Interlocked.Exchange(ref _wakeRequested, 2);
        if (Volatile.Read(ref _wakeWriters) != 0)
        {
            WaitForWakeWriters(); // before ReleaseResources can close the wake fd under them
        }
        for (int fd = 0; fd < _fds.Length; fd++)
        {
            if (_fds[fd] is { } reg)
            {
                StopAll(reg.ReadHead);
                StopAll(reg.WriteHead);
                _fds[fd] = null;
            }
        }

        _readableCount = 0;
        _writableCount = 0;
        if (t_current == this)
        {
            t_current = null;
        }

        if (!_iterating)
        {
            ReleaseResources();
        }

        GC.SuppressFinalize(this);
    }

    // ---- backend interface -----------------------------------------------

    /// <summary>
    /// Changes the kernel interest of <paramref name="fd"/> from <paramref name="oldMask"/>
    /// to <paramref name="newMask"/> (<see cref="FdRegistration.Read"/>/<see cref="FdRegistration.Write"/>;
    /// 0 = not registered). Throws only when the interest grows and the kernel refuses it.
    /// </summary>
    private protected abstract void SetInterest(int fd, int oldMask, int newMask);

    /// <summary>
    /// Makes the kernel watch <paramref name="fd"/> with <paramref name="mask"/> (unchanged here)
    /// whatever it remembers of it: called when an event joins a direction that already had one,
    /// in case the fd was closed and its number reused (file comment, stale registrations).
    /// Throws if the kernel refuses the fd. Backends that hand the kernel every fd at each wait
    /// (poll) have nothing to re-sync.
    /// </summary>
    private protected virtual void ResyncInterest(int fd, int mask)
    {
    }

    /// <summary>Waits (-1: forever, 0: not at all); returns how many entries <see cref="GetReady"/> may read. EINTR returns 0.</summary>
    private protected abstract int WaitForEvents(int timeoutMs);

    /// <summary>Entry <paramref name="index"/> of the last wait: its fd (-1 for the wake fd) and readiness flags (0: not ready).</summary>
    private protected abstract int GetReady(int index, out int flags);

    /// <summary>Writes the wake fd. Called from any thread.</summary>
    private protected abstract void SignalWake();

    /// <summary>Empties the wake fd.</summary>
    private protected abstract void DrainWake();

    /// <summary>Closes the engine's descriptors and frees its buffers; called once, never during a wait.</summary>
    private protected abstract void ReleaseResources();

    // ---- registration ----------------------------------------------------

    private LwtEvent AddFdEvent(int fd, Action<LwtEvent> callback, LwtEvent.EventKind kind)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        ThrowIfDisposed();

        FdRegistration reg = GetRegistration(fd);
        bool read = kind == LwtEvent.EventKind.Readable;
        int newMask = reg.Mask | (read ? FdRegistration.Read : FdRegistration.Write);
        if (newMask != reg.Mask)
        {
            // Before linking anything: if the kernel refuses the fd, nothing changed.
            SetInterest(fd, reg.Mask, newMask);
            reg.Mask = newMask;
        }
        else
        {
            // The direction already has a live event, registered maybe for a file since closed
            // behind our back, its number now reused (file comment, stale registrations).
            ResyncInterest(fd, newMask);
        }

        var ev = new LwtEvent(this, kind, fd, callback, _generation);
        if (read)
        {
            Append(ref reg.ReadHead, ref reg.ReadTail, ev);
            reg.Readers++;
            _readableCount++;
        }
        else
        {
            Append(ref reg.WriteHead, ref reg.WriteTail, ev);
            reg.Writers++;
            _writableCount++;
        }

        return ev;
    }

    private FdRegistration GetRegistration(int fd)
    {
        FdRegistration?[] fds = _fds;
        if ((uint)fd < (uint)fds.Length && fds[fd] is { } reg)
        {
            return reg;
        }

        return CreateRegistration(fd);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private FdRegistration CreateRegistration(int fd)
    {
        if (fd >= _fds.Length)
        {
            Array.Resize(ref _fds, Math.Max(fd + 1, _fds.Length * 2));
        }

        return _fds[fd] = new FdRegistration();
    }

    private static void Append(ref LwtEvent? head, ref LwtEvent? tail, LwtEvent ev)
    {
        ev._prev = tail;
        if (tail is null)
        {
            head = ev;
        }
        else
        {
            tail._next = ev;
        }

        tail = ev;
    }

    /// <summary>Unlinks <paramref name="ev"/> but keeps its _next, so a dispatch standing on it can walk on.</summary>
    private static void Remove(ref LwtEvent? head, ref LwtEvent? tail, LwtEvent ev)
    {
        LwtEvent? prev = ev._prev;
        LwtEvent? next = ev._next;
        if (prev is null)
        {
            head = next;
        }
        else
        {
            prev._next = next;
        }

        if (next is null)
        {
            tail = prev;
        }
        else
        {
            next._prev = prev;
        }

        ev._prev = null;
    }

    /// <summary>Implements <see cref="LwtEvent.Stop"/>; the event belongs to this engine and is not stopped.</summary>
    internal void StopEvent(LwtEvent ev)
    {
        ev._engine = null;
        ev._callback = null;
        if (ev._kind == LwtEvent.EventKind.Timer)
        {
            _timers.Cancel(ev._timer!);
            return;
        }

        FdRegistration reg = _fds[ev._fd]!;
        if (ev._kind == LwtEvent.EventKind.Readable)
        {
            Remove(ref reg.ReadHead, ref reg.ReadTail, ev);
            reg.Readers--;
            _readableCount--;
        }
        else
        {
            Remove(ref reg.WriteHead, ref reg.WriteTail, ev);
            reg.Writers--;
            _writableCount--;
        }

        int newMask = reg.WantedMask;
        if (newMask != reg.Mask)
        {
            int oldMask = reg.Mask;
            reg.Mask = newMask;
            SetInterest(ev._fd, oldMask, newMask);
        }
    }

    private static void StopAll(LwtEvent? ev)
    {
        for (; ev is not null; ev = ev._next)
        {
            ev._engine = null;
            ev._callback = null;
        }
    }

    // ---- dispatch --------------------------------------------------------

    private void Dispatch(int fd, int flags)
    {
        FdRegistration?[] fds = _fds;
        if ((uint)fd >= (uint)fds.Length || fds[fd] is not { } reg)
        {
            return;
        }

        if ((flags & FdRegistration.Read) != 0)
        {
            for (LwtEvent? ev = reg.ReadHead; ev is not null; ev = ev._next)
            {
                InvokeIo(ev);
            }
        }

        if ((flags & FdRegistration.Write) != 0)
        {
            for (LwtEvent? ev = reg.WriteHead; ev is not null; ev = ev._next)
            {
                InvokeIo(ev);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void InvokeIo(LwtEvent ev)
    {
        Action<LwtEvent>? callback = ev._callback;
        if (callback is not null && ev._generation < _dispatchFloor && !_dispatchHalted)
        {
            Invoke(callback, ev);
        }
    }

    private void Invoke(Action<LwtEvent> callback, LwtEvent ev)
    {
        _callbacksRun++;
        try
        {
            callback(ev);
        }
        catch (Exception e)
        {
            RecordError(e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordError(Exception e) => _firstError ??= ExceptionDispatchInfo.Capture(e);

    /// <summary>Called by the wheel when an OnTimer event is due.</summary>
    internal void FireTimer(LwtEvent.EngineTimer timer)
    {
        LwtEvent ev = timer.Event;
        Action<LwtEvent>? callback = ev._callback;
        if (callback is null || _disposed)
        {
            return;
        }

        if (ev._generation >= _dispatchFloor)
        {
            // Created by a callback of this Iter (Expire runs only inside Iter, after its
            // generation bump): it waits for the next Iter, as fd events do. Put back with its
            // deadline, which is due, so the wheel keeps it for its next Expire (a timer added
            // during Expire never fires in that same Expire) and the next wait does not block.
            DeferTimer(timer);
            return;
        }

        if (timer.Repeat)
        {
            long now = Stopwatch.GetTimestamp();
            long next = SaturatingAdd(timer.Deadline, timer.Period);
            _timers.Add(timer, next > now ? next : SaturatingAdd(now, timer.Period));
        }
        else
        {
            ev._engine = null;
            ev._callback = null;
        }

        Invoke(callback, ev);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DeferTimer(LwtEvent.EngineTimer timer) => _timers.Add(timer, timer.Deadline);

    private void AcknowledgeWake()
    {
        DrainWake();

        // Full fence: the loop's later reads (its inbox) cannot move before the reset.
        Interlocked.Exchange(ref _wakeRequested, 0);
        WokenByWake = true;
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/>, at most long.MaxValue; <paramref name="b"/> is not negative.</summary>
    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    // ---- throw helpers ---------------------------------------------------

    private protected void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() => throw new ObjectDisposedException(GetType().Name);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowReentrantIter() =>
        throw new InvalidOperationException("LwtEngine.Iter is not re-entrant: it was called from inside one of the engine's callbacks.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadTimeout(int timeoutMs) =>
        throw new ArgumentOutOfRangeException(nameof(timeoutMs), timeoutMs, "The timeout must be -1 (infinite), 0 (poll) or a positive number of milliseconds.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void ThrowNaNDelay(double delaySeconds) =>
        throw new ArgumentOutOfRangeException(nameof(delaySeconds), delaySeconds, "The delay must be a number of seconds, not NaN.");

    /// <summary>Throws a <see cref="System.ComponentModel.Win32Exception"/> for the errno of a failed call.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private protected static void ThrowErrno(string call, int errno) =>
        throw new System.ComponentModel.Win32Exception(errno, $"{call} failed: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
