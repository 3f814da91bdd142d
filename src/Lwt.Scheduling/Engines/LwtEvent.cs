// An event registered in an engine: "call this back when fd is readable",
// "... writable", or "... when this timer expires".
//
// Invariants:
//  - _engine is null <=> the event is stopped. Stop() is idempotent and, after
//    it, the callback is never called again: dispatch reads _callback (cleared
//    by Stop) right before each call, so even readiness already returned by the
//    kernel in the same batch is ignored. Stop also drops the callback, so a
//    stopped event does not keep its closure alive.
//  - I/O events sit in a per-fd doubly linked list (FdRegistration). When an
//    event is unlinked its _next is kept: a dispatch walking the list may be
//    standing on it (the callback stopped itself, or stopped its successor),
//    and it walks on through _next. Events appended during a dispatch are
//    skipped by it thanks to _generation (see LwtEngine).
//  - an event is not tied to the engine that created it: LwtEngine.TransferTo
//    moves a live event to another engine (_engine, its list links, its
//    _generation, its timer entry), so the object a user holds keeps working
//    and Stop reaches whichever engine holds it now.

using System.Diagnostics;

namespace Lwt;

/// <summary>
/// An event registered with <see cref="LwtEngine.OnReadable"/>, <see cref="LwtEngine.OnWritable"/>
/// or <see cref="LwtEngine.OnTimer"/>; <see cref="Stop"/> unregisters it.
/// Not thread-safe: use it from the engine's thread.
/// <para>Lwt: <c>Lwt_engine.event</c></para>
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class LwtEvent
{
    internal enum EventKind : byte
    {
        Readable,
        Writable,
        Timer,
    }

    internal LwtEngine? _engine;
    internal Action<LwtEvent>? _callback;
    internal readonly EventKind _kind;
    internal readonly int _fd;

    /// <summary>
    /// The engine's Iter generation when the event was created, or moved to its engine by a
    /// transfer (see LwtEngine.Dispatch and LwtEngine.TransferTo).
    /// </summary>
    internal long _generation;

    /// <summary>Neighbours in the fd's list (I/O events only).</summary>
    internal LwtEvent? _prev, _next;

    /// <summary>The wheel entry of a timer event.</summary>
    internal EngineTimer? _timer;

    internal LwtEvent(LwtEngine engine, EventKind kind, int fd, Action<LwtEvent> callback, long generation)
    {
        _engine = engine;
        _kind = kind;
        _fd = fd;
        _callback = callback;
        _generation = generation;
    }

    /// <summary>
    /// An event registered nowhere, which does nothing when stopped: a placeholder for a
    /// variable that holds an event before there is one to stop.
    /// <para>Lwt: <c>Lwt_engine.fake_event</c></para>
    /// </summary>
    public static LwtEvent Fake { get; } = new();

    /// <summary>The stopped, engine-less event behind <see cref="Fake"/>.</summary>
    private LwtEvent()
    {
        _kind = EventKind.Timer;
        _fd = -1;
    }

    /// <summary>True once <see cref="Stop"/> was called or the engine was disposed.<para>Lwt: none (whether <c>Lwt_engine.stop_event</c> was called, or the engine was destroyed)</para></summary>
    public bool IsStopped => _engine is null || _engine.IsDisposed;

    /// <summary>
    /// Unregisters the event: its callback is not called again, even if its readiness
    /// was already reported in the current iteration. Idempotent; safe from inside any
    /// callback of the engine.
    /// <para>Lwt: <c>Lwt_engine.stop_event</c></para>
    /// </summary>
    public void Stop() => _engine?.StopEvent(this);

    private string DebuggerDisplay =>
        (_kind == EventKind.Timer ? "timer" : $"{_kind.ToString().ToLowerInvariant()} fd {_fd}") + (IsStopped ? " (stopped)" : string.Empty);

    /// <summary>The timer-wheel entry of an OnTimer event.</summary>
    internal sealed class EngineTimer : TimerEntry
    {
        internal readonly LwtEvent Event;
        internal readonly long Period;
        internal readonly bool Repeat;

        internal EngineTimer(LwtEvent ev, long period, bool repeat)
        {
            Event = ev;
            Period = period;
            Repeat = repeat;
        }

        internal override void Fire() => Event._engine?.FireTimer(this);
    }
}
