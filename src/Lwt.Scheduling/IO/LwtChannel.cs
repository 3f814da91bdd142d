// Buffered channels (Lwt_io.channel): the objects behind LwtIO.
//
// A channel is a buffer over a backend: a read function (input) or a write
// function (output) on Memory<byte>, plus a close function. Backends are an
// LwtFd (LwtUnix.Read/Write), a System.IO.Stream (its ReadAsync/WriteAsync,
// resolved on the loop) or any functions given to LwtIO.Make (which is how a
// process's pipes, or anything else, can be wrapped).
//
// Buffer. Input: the unread bytes are Buffer[Ptr..Max). Output: the bytes not
// yet written out are Buffer[Ptr..Max). The input buffer may grow past its
// size only to hold one line longer than the buffer (ReadLine keeps the whole
// line in the buffer until it is complete, so a canceled ReadLine loses
// nothing); it comes back to its size once the line is read. A partial write
// moves the bytes left to the front of the output buffer, so the room it made
// is usable at once.
//
// One operation at a time. Each operation (a "primitive" in lwt_io.ml) takes
// the channel's turn: if the channel is busy it waits in a FIFO queue (the wait
// is cancelable and a canceled waiter is skipped). The turn is released when
// the operation's promise resolves, before the caller's own callbacks run, so
// the next operation of the caller finds the channel free. Atomic gives its
// function a temporary wrapper with a turn of its own, while it holds the
// turn of the original channel: nothing else can use the channel meanwhile.
// The wrapper becomes invalid when the function's promise resolves.
//
// Cancellation. A canceled operation leaves the channel consistent: bytes are
// only consumed from the buffer when an operation completes, and a pending
// backend read that is canceled has transferred nothing (LwtUnix.Read).
//
// Closing. Close of an output channel waits for its turn, flushes and then
// closes the backend, all in that one turn (the operation queued next finds the
// channel closed); Close of an input channel, and Abort of either, close at
// once: every waiting or later operation rejects with ChannelClosedException.
// Close is idempotent (it returns the first close's promise).
//
// Position. Offset counts the bytes the backend really read or wrote; the
// position the user sees is Offset minus the unread bytes (input) or plus the
// bytes not yet written (output), as lwt_io.ml's. A channel may have a seek
// function (files, seekable streams); SetPosition and Length use it. A channel
// made by OfBytes has no backend: its buffer is the user's array, Offset stays
// at the array's length (input) or 0 (output) so that the same formulas give
// the index in the array, and it never auto-flushes (there is nowhere to go).

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Lwt;

/// <summary>
/// An operation on a closed channel.
/// <para>Lwt: <c>Lwt_io.Channel_closed</c></para>
/// </summary>
public sealed class ChannelClosedException : IOException
{
    /// <summary>Creates the exception for a channel of the given direction (<c>input</c> or <c>output</c>).<para>Lwt: <c>Lwt_io.Channel_closed</c></para></summary>
    /// <param name="channel">"input" or "output", as Lwt names them.</param>
    public ChannelClosedException(string channel)
        : base($"Lwt_io: the {channel} channel is closed; no more operations can be made on it.")
    {
        Channel = channel;
    }

    /// <summary>"input" or "output".<para>Lwt: the argument of <c>Channel_closed</c></para></summary>
    public string Channel { get; }
}

/// <summary>
/// The direction of a channel, as a value: <see cref="LwtIO.Input"/> or <see cref="LwtIO.Output"/>.
/// <para>Lwt: <c>Lwt_io.mode</c></para>
/// </summary>
/// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
public sealed class ChannelMode<TChannel>
    where TChannel : LwtChannel
{
    internal ChannelMode(bool isInput) => IsInput = isInput;

    /// <summary>True for <see cref="LwtIO.Input"/>.<para>Lwt: <c>Lwt_io.mode</c></para></summary>
    public bool IsInput { get; }
}

/// <summary>
/// A buffered channel: the common part of <see cref="InputChannel"/> and
/// <see cref="OutputChannel"/>. Use it from its event loop's thread.
/// <para>Lwt: <c>Lwt_io.channel</c></para>
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public abstract class LwtChannel
{
    internal readonly ChannelCore Core;
    private bool _busy;
    private bool _invalid;
    private bool _isAtomicWrapper;
    private LwtChannel? _main;

    /// <summary>For the wrapper of an Atomic block: the channel the block holds (the one it was made from).</summary>
    private LwtChannel? _parent;

    /// <summary>The wrapper of the Atomic block holding this channel's turn, while the block runs (lwt_io.ml's <c>Busy_atomic</c>).</summary>
    private LwtChannel? _activeWrapper;
    private Queue<Resolver<Unit>>? _waiters;
    private Action? _release;
    private Action? _releaseQuietly;

    /// <summary>
    /// For the channel of a finished Atomic block that an operation still held: resolved
    /// when this channel's turn is free again (<see cref="SetIdle"/>).
    /// </summary>
    private Resolver<Unit>? _whenIdle;

    /// <summary>
    /// Set when the Atomic block this channel holds ended while an operation (one of the
    /// block's, or the auto-flush) still ran in the block's channel: this channel's turn
    /// passes on only once that channel is free.
    /// </summary>
    private Promise<Unit>? _heldByInner;

    private protected LwtChannel(ChannelCore core) => Core = core;

    /// <summary>
    /// True once the channel was closed or aborted.
    /// <para>Lwt: <c>Lwt_io.is_closed</c></para>
    /// </summary>
    public bool IsClosed => Core.State != ChannelState.Open;

    /// <summary>
    /// True if no operation is running or waiting on the channel, and for a closed channel
    /// (whose operations can only fail), as Lwt's is_busy is false for one.
    /// <para>Lwt: <c>Lwt_io.is_busy</c> (negated)</para>
    /// </summary>
    // Closed counts as idle even while Close's own turn is held: an output channel's close
    // function may still run after Close's promise resolved to the caller's callbacks.
    public bool IsIdle => !_busy || Core.State != ChannelState.Open;

    /// <summary>
    /// True if an operation is running or waiting on the channel (the negation of
    /// <see cref="IsIdle"/>): a closed channel is not busy. Rejected with an
    /// <see cref="InvalidOperationException"/> on the channel of a finished atomic block, as
    /// Lwt raises there.
    /// <para>Lwt: <c>Lwt_io.is_busy</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">The channel of a finished <see cref="LwtIO.Atomic{TChannel, T}"/> block.</exception>
    public bool IsBusy
    {
        get
        {
            if (_invalid) throw UsedAfterAtomicBlock();
            return _busy && Core.State == ChannelState.Open;
        }
    }

    /// <summary>The size of the buffer.<para>Lwt: <c>Lwt_io.buffer_size</c></para></summary>
    public int BufferSize => Core.Size;

    /// <summary>"input" or "output".</summary>
    internal abstract string Direction { get; }

    /// <summary>True when an operation can run now, synchronously (open, not busy, valid).</summary>
    internal bool CanRunNow => !_busy && !_invalid && Core.State == ChannelState.Open;

    /// <summary>Makes the wrapper of an Atomic call unusable once the call is over.</summary>
    internal void Invalidate()
    {
        _invalid = true;
        if (_parent is not { } parent) return;
        if (parent._activeWrapper == this) parent._activeWrapper = null;
        // An operation may still hold this channel when the block ends: one the block
        // started and did not wait for, or the auto-flush writing through it (Deepest).
        // lwt_io.ml then frees the channel under it, and the next operation runs beside it
        // (both move the buffer's positions: bytes lost or written twice, differential seed
        // 11 progs 14, 25, 63, 66); here the channel the block held stays busy until this
        // one is free. (The operations queued here fail when their turn comes: WaitTurn.)
        if (_busy)
        {
            var (idle, resolver) = Promise.Create<Unit>();
            _whenIdle = resolver;
            parent._heldByInner = idle;
        }
    }

    /// <summary>True if an operation holds or waits for this channel's turn (open or not).</summary>
    internal bool HoldsTurn => _busy;

    /// <summary>
    /// The channel an operation would use now: <see cref="Main"/>, or while an Atomic block holds
    /// it, the block's wrapper (the innermost one, for nested blocks): lwt_io.ml's
    /// <c>deepest_wrapper</c>, where the auto-flush goes.
    /// </summary>
    internal LwtChannel Deepest()
    {
        var w = Main;
        while (w._activeWrapper is { } inner) w = inner;
        return w;
    }

    /// <summary>The error of an operation on the channel of a finished atomic block.</summary>
    private static InvalidOperationException UsedAfterAtomicBlock() =>
        new("Lwt_io.atomic: this temporary channel was used after the end of the atomic block.");

    /// <summary>
    /// The channel the user opened: this one, or for the wrapper of an Atomic block (nested or
    /// not) the channel it was obtained from. Work that outlives the block, the auto-flush,
    /// goes to it (lwt_io.ml's <c>channel.main</c>).
    /// </summary>
    internal LwtChannel Main => _main ?? this;

    /// <summary>A fresh wrapper over the same buffer and backend, with a turn of its own.</summary>
    internal LwtChannel CreateWrapper()
    {
        var wrapper = NewWrapper();
        wrapper._isAtomicWrapper = true;
        wrapper._main = Main;
        wrapper._parent = this;
        _activeWrapper = wrapper;
        return wrapper;
    }

    /// <summary>A new channel object over <see cref="Core"/>.</summary>
    private protected abstract LwtChannel NewWrapper();

    /// <summary>
    /// Why this channel may not be closed (as lwt_io's close checks): the channel of an
    /// <see cref="LwtIO.Atomic{TChannel, T}"/> block belongs to the channel it wraps.
    /// </summary>
    private protected Promise? RefuseCloseOfWrapper() => _isAtomicWrapper
        ? Promise.Fail(new InvalidOperationException("Lwt_io.close: a channel obtained from LwtIO.Atomic cannot be closed; close the channel it was obtained from."))
        : null;

    /// <summary>The promise a second close or abort returns: the first one's.</summary>
    private protected Promise CloseOrRepeat() =>
        Core.State == ChannelState.Closed ? Core.CloseResult ?? Promise.ReturnUnit : Core.CloseNow(this);

    /// <summary>
    /// Runs <paramref name="op"/> when it is the channel's turn, and keeps the turn until the
    /// promise it returns resolves (file comment).
    /// </summary>
    internal Promise<T> Locked<T>(Func<LwtChannel, Promise<T>> op)
    {
        if (_invalid) return Promise.Fail<T>(UsedAfterAtomicBlock());
        if (Core.State != ChannelState.Open) return Promise.Fail<T>(new ChannelClosedException(Direction));
        if (!_busy)
        {
            _busy = true;
            return RunHolding(op);
        }

        return WaitTurn(op);
    }

    /// <summary>
    /// Queues <paramref name="op"/> behind the running operation (a cancelable wait). Apart
    /// from <see cref="Locked{T}"/> because its closure captures a parameter, which the
    /// compiler would allocate on every entry to the method that declares it.
    /// </summary>
    private Promise<T> WaitTurn<T>(Func<LwtChannel, Promise<T>> op)
    {
        var (wait, resolver) = Promise.CreateCancelable<Unit>();
        (_waiters ??= new Queue<Resolver<Unit>>()).Enqueue(resolver);
        // Its turn come, the operation may find the channel closed meanwhile, or, on the
        // channel of an Atomic block, the block over: lwt_io.ml's primitive then fails with
        // Channel_closed or invalid_channel (and the next waiter gets its turn).
        return wait.Bind(_ => Core.State != ChannelState.Open
            ? ReleaseAndFail<T>(new ChannelClosedException(Direction))
            : _invalid
                ? ReleaseAndFail<T>(UsedAfterAtomicBlock())
                : RunHoldingQueued(op));
    }

    /// <summary>
    /// <see cref="RunHolding{T}"/> for an operation that waited for its turn. The caller already
    /// holds the promise of <see cref="WaitTurn{T}"/>'s Bind, with its callbacks on it; if the
    /// operation's promise were handed back as it is, the Bind would make it a proxy and run
    /// those callbacks before the <see cref="Release"/> attached to it (a proxy's callbacks go
    /// first). The caller would then find the channel still busy, queue its next operation
    /// behind nothing, and the auto-flush would start only after its callbacks. lwt_io.ml's
    /// primitive unlocks in a <c>Lwt.finalize</c>, whose promise resolves after the unlock:
    /// so here the caller gets a promise that the operation's resolves after the release.
    /// </summary>
    private Promise<T> RunHoldingQueued<T>(Func<LwtChannel, Promise<T>> op)
    {
        var p = RunHolding(op);
        return p.IsPending ? p.Map(static x => x) : p;
    }

    /// <summary>
    /// Takes the turn of a channel that <see cref="CanRunNow"/>: the operations' fast paths
    /// call it, then hand their promise to <see cref="HoldUntil{T}"/>: <see cref="Locked{T}"/>
    /// without the delegate and its closure, when no one waits.
    /// </summary>
    internal void TakeTurn()
    {
        Debug.Assert(CanRunNow, "the caller checked that the channel is free");
        _busy = true;
    }

    private Promise<T> ReleaseAndFail<T>(Exception e)
    {
        Release();
        return Promise.Fail<T>(e);
    }

    /// <summary>Runs <paramref name="op"/> while holding the turn; releases it when the operation ends.</summary>
    private Promise<T> RunHolding<T>(Func<LwtChannel, Promise<T>> op)
    {
        Promise<T> p;
        try
        {
            p = op(this) ?? Promise.Fail<T>(new InvalidOperationException("A channel operation returned null."));
        }
        catch (Exception e)
        {
            if (!Promise.ExceptionFilter.Run(e))
            {
                Release(); // the channel stays usable after the escape
                Promise.ExceptionFilter.Rethrow(e);
            }
            p = Promise.Fail<T>(e);
        }

        return HoldUntil(p);
    }

    /// <summary>Keeps the turn (already taken) until <paramref name="p"/> resolves, then releases it.</summary>
    internal Promise<T> HoldUntil<T>(Promise<T> p)
    {
        if (!p.IsPending)
        {
            Release();
            return p;
        }

        p.OnTermination(_release ??= Release);
        return p;
    }

    /// <summary>
    /// Gives the turn to the next live waiter, or frees the channel; a freed output channel
    /// starts the auto-flush, as lwt_io.ml's <c>unlock</c> does (whatever the operation, and
    /// only when no operation is queued: the queued one's own unlock will).
    /// </summary>
    private void Release()
    {
        if (_heldByInner is { } inner)
        {
            _heldByInner = null;
            if (inner.IsPending)
            {
                inner.OnTermination(_release ??= Release);
                return;
            }
        }

        if (HandOver()) return;
        SetIdle();
        if (!Core.AutoFlushScheduled && !Core.IsInput && !_invalid && Core.State == ChannelState.Open)
            LwtIO.ScheduleAutoFlush(this);
    }

    /// <summary>Frees the channel's turn (no one waits), and tells the channel held for it (<see cref="Invalidate"/>).</summary>
    private void SetIdle()
    {
        _busy = false;
        if (_whenIdle is { } idle)
        {
            _whenIdle = null;
            idle.Resolve(default);
        }
    }

    /// <summary>Gives the turn to the next live waiter, if any.</summary>
    private bool HandOver()
    {
        if (_waiters is { } waiters)
        {
            while (waiters.TryDequeue(out var next))
            {
                if (next.Promise.IsPending)
                {
                    next.Resolve(default);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Runs the auto-flush's flush in this channel's turn (free: the caller checked), then
    /// releases the turn without starting another auto-flush, as lwt_io.ml's auto_flush,
    /// which frees the channel itself rather than through <c>unlock</c>. Its errors are
    /// dropped (safe_flush_total).
    /// </summary>
    internal void AutoFlushNow()
    {
        _busy = true;
        Promise<Unit> p;
        try
        {
            p = Core.FlushAll();
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            p = Promise.Fail<Unit>(e);
        }

        if (p.IsPending)
        {
            p.OnTermination(_releaseQuietly ??= ReleaseQuietly);
        }
        else
        {
            ReleaseQuietly();
        }
    }

    private void ReleaseQuietly()
    {
        if (!HandOver()) SetIdle();
    }

    /// <summary>
    /// Closes the channel: an output channel is flushed first (after the operations already
    /// queued); an input channel is closed at once. Idempotent.
    /// <para>Lwt: <c>Lwt_io.close</c></para>
    /// </summary>
    public abstract Promise Close();

    /// <summary>
    /// Closes the channel at once, without flushing; pending operations reject with
    /// <see cref="ChannelClosedException"/>. On a closed channel, returns the first close's
    /// promise. On the channel of a finished <see cref="LwtIO.Atomic{TChannel, T}"/> block,
    /// rejected with <see cref="InvalidOperationException"/>, as Lwt fails there.
    /// <para>Lwt: <c>Lwt_io.abort</c></para>
    /// </summary>
    public Promise Abort()
    {
        // As lwt_io's abort: the channel of a finished atomic block is invalid.
        if (_invalid) return Promise.Fail(UsedAfterAtomicBlock());
        return CloseOrRepeat();
    }

    /// <summary>Rejects the operations waiting for their turn (the channel was closed).</summary>
    internal void FailWaiters()
    {
        if (_waiters is null) return;
        while (_waiters.TryDequeue(out var next))
        {
            if (next.Promise.IsPending) next.Resolve(default); // its Bind sees the closed state and fails
        }
    }

    private string DebuggerDisplay => $"{Direction} channel, {Core.Max - Core.Ptr} bytes buffered{(IsClosed ? ", closed" : string.Empty)}{(_busy ? ", busy" : string.Empty)}";
}

/// <summary>
/// A buffered input channel.
/// <para>Lwt: <c>Lwt_io.input_channel</c></para>
/// </summary>
public sealed class InputChannel : LwtChannel
{
    internal InputChannel(ChannelCore core) : base(core)
    {
    }

    internal override string Direction => "input";

    private protected override LwtChannel NewWrapper() => new InputChannel(Core);

    /// <summary>
    /// Closes the channel and its backend at once; pending operations reject with
    /// <see cref="ChannelClosedException"/>. Idempotent. Rejected with an
    /// <see cref="InvalidOperationException"/> on the channel of an atomic block.
    /// <para>Lwt: <c>Lwt_io.close</c></para>
    /// </summary>
    public override Promise Close() => RefuseCloseOfWrapper() ?? CloseOrRepeat();
}

/// <summary>
/// A buffered output channel. Data written is flushed when the buffer is full, by
/// <see cref="LwtIO.Flush"/>, on close, and automatically after the current callbacks
/// (at the next pause of the loop), as Lwt's channels do.
/// <para>Lwt: <c>Lwt_io.output_channel</c></para>
/// </summary>
public sealed class OutputChannel : LwtChannel
{
    internal OutputChannel(ChannelCore core) : base(core)
    {
    }

    internal override string Direction => "output";

    private protected override LwtChannel NewWrapper() => new OutputChannel(Core);

    /// <summary>
    /// Flushes the buffered data (after the operations already queued), then closes the
    /// backend; the result is the close function's, whether or not the flush succeeded, as
    /// in Lwt. Idempotent: a second call returns the first one's promise. Rejected with an
    /// <see cref="InvalidOperationException"/> on the channel of an atomic block.
    /// <para>Lwt: <c>Lwt_io.close</c></para>
    /// </summary>
    public override Promise Close()
    {
        if (RefuseCloseOfWrapper() is { } refused) return refused;
        if (Core.CloseResult is { } closing) return closing;
        if (Core.State != ChannelState.Open) return Promise.ReturnUnit;
        // The flush and the close are one operation, as in lwt_io.ml: the channel is closed
        // before its turn passes on, so an operation queued behind the close finds it closed
        // (ChannelClosedException) rather than writing into a buffer nothing will flush.
        var closedInTurn = Locked(static ch => FlushThenClose((OutputChannel)ch));
        // Then CloseNow again, not CloseOrRepeat: it returns the close function's result, also
        // when the turn never came (an Abort while the close waited in the queue rejects the
        // wait) or the flush failed; CloseResult would be this promise itself.
        var done = Promise.Catch(() => closedInTurn, _ => Promise.ReturnUnit).Bind(_ => Core.CloseNow(this));
        Core.CloseResult ??= done;
        return Core.CloseResult;
    }

    /// <summary>
    /// Close's operation, run in the channel's turn: flush (a failure only ends the flush, as
    /// in Lwt), then close the backend.
    /// </summary>
    private static Promise<Unit> FlushThenClose(OutputChannel oc) =>
        Promise.Catch(() => oc.Core.FlushAll(), static _ => Promise.Return(default(Unit)))
            .Bind(_ => oc.Core.CloseNow(oc).Map(static () => default(Unit)));
}

internal enum ChannelState : byte
{
    Open,
    Closed,
}

/// <summary>The buffer and backend shared by a channel and its Atomic wrappers.</summary>
internal sealed class ChannelCore
{
    internal byte[] Buffer;

    /// <summary>
    /// The buffer's size as made or resized (Lwt's buffer_size). <see cref="Buffer"/> is larger
    /// only while a line longer than it is read, and comes back to this size after
    /// (<see cref="ShrinkAfterLongLine"/>; a line never completed: <see cref="PrepareRefill"/>).
    /// </summary>
    internal int Size;
    internal int Ptr;
    internal int Max;
    internal ChannelState State;
    /// <summary>What Close and Abort return once called: an output close in progress, or <see cref="_backendClosed"/>.</summary>
    internal Promise? CloseResult;

    /// <summary>The close function's result, once it was called.</summary>
    private Promise? _backendClosed;

    /// <summary>True while the close function runs (<see cref="CloseBackend"/>).</summary>
    private bool _callingClose;

    /// <summary>The backend call the channel's operation waits for, if any (<see cref="UntilClosed"/>).</summary>
    private BackendCall? _waiting;
    internal bool AutoFlushScheduled;
    internal readonly Func<Memory<byte>, Promise<int>>? ReadBackend;
    internal readonly Func<ReadOnlyMemory<byte>, Promise<int>>? WriteBackend;
    private readonly Func<Promise>? _closeBackend;
    internal readonly bool IsInput;

    /// <summary>The bytes the backend really read or wrote (file comment, Position).</summary>
    internal long Offset;

    /// <summary>Moves the backend's position (lseek's whence as a SeekOrigin); null: not seekable.</summary>
    internal readonly Func<long, SeekOrigin, Promise<long>>? Seek;

    /// <summary>Made by OfBytes: the buffer is the user's array and there is no backend.</summary>
    internal readonly bool IsBytes;

    /// <summary>The FlushAll registry holding this output channel while it is open, and its slot there (LwtIO.FlushAll.cs).</summary>
    internal OutputRegistry? Registry;
    internal int RegistryIndex = -1;

    /// <summary>The smallest buffer a channel may have, as lwt_io's min_buffer_size.</summary>
    internal const int MinBufferSize = 16;

    /// <summary>
    /// Refuses a buffer size outside lwt_io's check_buffer_size bounds: below
    /// <see cref="MinBufferSize"/>, or above the largest array there can be
    /// (<see cref="Array.MaxLength"/>, as Lwt's upper bound is Sys.max_string_length), which
    /// would otherwise fail later as an OutOfMemoryException from the allocation.
    /// </summary>
    internal static void CheckSize(int size, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinBufferSize, paramName);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Array.MaxLength, paramName);
    }

    internal ChannelCore(int bufferSize, Func<Memory<byte>, Promise<int>>? read, Func<ReadOnlyMemory<byte>, Promise<int>>? write, Func<Promise>? close, Func<long, SeekOrigin, Promise<long>>? seek = null)
    {
        CheckSize(bufferSize, nameof(bufferSize));
        Buffer = new byte[bufferSize];
        Size = bufferSize;
        ReadBackend = read;
        WriteBackend = write;
        IsInput = read is not null;
        _closeBackend = close;
        Seek = seek;
    }

    /// <summary>A channel over the user's array (OfBytes): input reads it, output fills it.</summary>
    internal ChannelCore(byte[] bytes, bool isInput)
    {
        Buffer = bytes;
        Size = bytes.Length;
        IsInput = isInput;
        IsBytes = true;
        AutoFlushScheduled = true; // never: as lwt_io's of_bytes, which sets auto_flushing for good
        if (isInput)
        {
            Max = bytes.Length;
            Offset = bytes.Length;
            ReadBackend = static _ => Promise.Return(0);
        }
        else
        {
            WriteBackend = static _ => Promise.Fail<int>(new InvalidOperationException(
                "Lwt_io: the buffer of a channel made by LwtIO.OfBytes is full; it cannot be flushed anywhere. Use a larger array."));
        }
    }

    /// <summary>
    /// Closes without flushing (input close, abort, and the end of an output close); the close
    /// function's result, the same promise on later calls.
    /// </summary>
    internal Promise CloseNow(LwtChannel wrapper)
    {
        if (State == ChannelState.Closed) return CloseBackend();
        State = ChannelState.Closed;
        Registry?.Remove(this); // a closed channel has nothing more to flush
        var waiting = _waiting;
        _waiting = null;
        waiting?.Abort(ClosedError()); // the operation waiting in the backend, if any, fails now
        var result = CloseBackend();
        CloseResult ??= result;
        wrapper.FailWaiters();
        return result;
    }

    /// <summary>
    /// Calls the close function once and returns its result, the same promise on later calls
    /// (lwt_io.ml's <c>Lazy.force ch.close</c>). The failing of the waiting call above runs its
    /// callbacks first: an output Close whose final flush was waiting in the backend then
    /// goes on to close the channel, and must get the close function's result, as in Lwt,
    /// where that close forces the lazy first (Abort during a Close's flush, with a close
    /// function that fails: Lwt's Close and Abort both reject with its exception; ours
    /// resolved the Close with unit: differential lwtio FAMILIES=faults, seed 2471 prog 51).
    /// </summary>
    private Promise CloseBackend()
    {
        if (_backendClosed is { } done) return done;
        // The close function itself closing the channel again gets unit, as before (Lwt would
        // raise Lazy.Undefined there).
        if (_callingClose) return Promise.ReturnUnit;
        _callingClose = true;
        Promise result;
        try
        {
            result = _closeBackend?.Invoke() ?? Promise.ReturnUnit;
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            result = Promise.Fail(e);
        }
        finally
        {
            _callingClose = false;
        }

        _backendClosed = result;
        return result;
    }

    /// <summary>
    /// Reads from the backend into the free end of the buffer; the number of bytes (0: end of
    /// input). A backend error after the channel was closed under the read becomes
    /// <see cref="ChannelClosedException"/> (<see cref="IsClosedUnder"/>).
    /// </summary>
    /// <remarks>
    /// An async method rather than <c>ReadBackend(..).Map(..)</c> guarded by a Catch: a
    /// refill that waits is then one object (the method's box, which is the promise and the
    /// callback on the backend's promise) instead of a closure, two delegates and two nodes.
    /// </remarks>
    internal async Promise<int> Refill()
    {
        int start = PrepareRefill();
        try
        {
            // Only this operation (it holds the turn) moves Max, or replaces Buffer, meanwhile:
            // what was asked for is computed again after the await rather than kept across it
            // (one more field in this method's box, allocated by every refill that waits).
            int n = await UntilClosed(ReadBackend!(Buffer.AsMemory(start)));
            CheckCount(n, Buffer.Length - start, read: true);
            if (n > 0)
            {
                Max = start + n;
                Offset += n;
            }

            return n;
        }
        catch (Exception e) when (IsClosedUnder(e))
        {
            throw ClosedError();
        }
    }

    /// <summary>
    /// <paramref name="op"/>, a backend call, as the channel waits for it: lwt_io's perform_io
    /// races every call against the channel's abort promise, so that Abort (or closing an
    /// input channel) fails a waiting read or write at once with
    /// <see cref="ChannelClosedException"/>, whatever the backend does, and cancels the call
    /// (which an fd read honours). Here the race is one small node on the call, which
    /// <see cref="CloseNow"/> rejects; a call that completes at once costs nothing. One
    /// operation at a time holds the channel's turn, so one call at a time waits.
    /// </summary>
    internal Promise<int> UntilClosed(Promise<int> op)
    {
        if (!op.IsPending) return op;
        var call = new BackendCall(op);
        Promise.Attach(op.Underlying(), call);
        _waiting = call;
        return call;
    }

    /// <summary>
    /// Refuses a count a backend cannot have transferred: negative, or more than it was asked
    /// for. lwt_io.ml's perform_io ("never trust user functions") fails the operation with
    /// <c>Failure "Lwt_io.perform_io: invalid result of the [read] function"</c> and leaves
    /// the channel's positions as they were; taking such a count moved the buffer's end past
    /// the bytes read (a negative one made ReadLine refill for ever, growing its buffer until
    /// the process ran out of memory: differential lwtio FAMILIES=faults, seed 2470 prog 92).
    /// </summary>
    internal static void CheckCount(int n, int asked, bool read)
    {
        if ((uint)n > (uint)asked)
            throw InvalidCount(n, asked, read);
    }

    /// <summary>The error of <see cref="CheckCount"/>.</summary>
    internal static InvalidOperationException InvalidCount(int n, int asked, bool read) =>
        new($"Lwt_io: invalid result of the {(read ? "read" : "write")} function: {n} bytes for a request of {asked}.");

    /// <summary>Makes room at the free end of the buffer for a refill; where the new bytes go.</summary>
    private int PrepareRefill()
    {
        if (IsBytes) return Max; // an OfBytes input keeps its array as it is; its read gives 0
        if (Ptr == Max)
        {
            Ptr = Max = 0;
            // A buffer a long line grew whose line never completed (its ReadLine was canceled,
            // or the channel failed), once its bytes are read: back to its size, as
            // ShrinkAfterLongLine does after a line. Refilling the grown one asked the backend
            // for more than Lwt's buffer_size, and kept the memory for the channel's life.
            if (Buffer.Length != Size) Buffer = new byte[Size];
        }
        else if (Ptr > 0)
        {
            // Move the unread bytes to the front before every read, as lwt_io.ml's perform_io
            // does, so that the read asks for all the rest of the buffer: reading only into
            // the free end asked the backend for fewer bytes than Lwt does, and Buffered()
            // then differed after the read.
            int unread = Max - Ptr;
            Array.Copy(Buffer, Ptr, Buffer, 0, unread);
            Ptr = 0;
            Max = unread;
        }
        else if (Max == Buffer.Length)
        {
            // Full of unread bytes: grow (a line longer than the buffer).
            Array.Resize(ref Buffer, Buffer.Length * 2);
        }

        return Max;
    }

    /// <summary>
    /// After a line that grew the input buffer (<see cref="PrepareRefill"/>): back to
    /// <see cref="Size"/> once the unread bytes fit, so that one long line does not keep a
    /// large buffer for the channel's life (a line that never completes gives it back at the
    /// first refill that finds it empty, <see cref="PrepareRefill"/>). Lwt reads a line into a separate buffer, and its
    /// channel buffer never grows.
    /// </summary>
    internal void ShrinkAfterLongLine()
    {
        if (Buffer.Length <= Size) return;
        int unread = Max - Ptr;
        if (unread > Size) return; // the next long line is already partly here: keep the room
        var buffer = new byte[Size];
        Buffer.AsSpan(Ptr, unread).CopyTo(buffer);
        Buffer = buffer;
        Ptr = 0;
        Max = unread;
    }

    /// <summary>
    /// Whether a backend's error is the channel having been closed (or aborted) while the
    /// operation waited: the caller then sees <see cref="ChannelClosedException"/>, as Lwt's
    /// <c>Channel_closed</c>. A cancellation stays a cancellation.
    /// </summary>
    internal bool IsClosedUnder(Exception e) => State != ChannelState.Open && e is not OperationCanceledException;

    /// <summary>The exception of an operation on this closed channel.</summary>
    internal ChannelClosedException ClosedError() => new(IsInput ? "input" : "output");

    /// <summary>
    /// Writes out everything buffered (output). After a partial write the bytes left move to
    /// the front, as lwt_io.ml's perform_io shifts them after every write: if a later write of
    /// this flush fails (or the flush is canceled), the room made stays usable at once. Left
    /// where they were, the free room was only what followed them, so a WriteFrom after a
    /// failed flush took fewer bytes than Lwt's (differential lwtio FAMILIES=faults, seed 2473
    /// prog 187: a write after an auto-flush that failed half-way).
    /// </summary>
    internal Promise<Unit> FlushAll()
    {
        while (Ptr < Max)
        {
            var p = UntilClosed(WriteBackend!(Buffer.AsMemory(Ptr, Max - Ptr)));
            if (p.IsPending) return p.Bind(n => AdvanceAndCompact(n) ? FlushAll() : Promise.ReturnUnit);
            if (p.IsRejected) return Promise.Fail<Unit>(p.Exception!);
            if (!CountAccepted(p.Value, out var invalid)) return Promise.Fail<Unit>(invalid);
            if (!AdvanceAndCompact(p.Value)) break;
        }

        return Promise.ReturnUnit;
    }

    /// <summary>
    /// Writes out part of the buffer (at least one byte), to make room: the bytes left
    /// unwritten move to the front, so the room is there at once (lwt_io.ml shifts them
    /// too), not only once the whole buffer has gone out.
    /// </summary>
    internal Promise<Unit> FlushSome()
    {
        var p = UntilClosed(WriteBackend!(Buffer.AsMemory(Ptr, Max - Ptr)));
        if (p.IsPending) return p.Map(n => { _ = AdvanceAndCompact(n); return default(Unit); });
        if (p.IsRejected) return Promise.Fail<Unit>(p.Exception!);
        if (!CountAccepted(p.Value, out var invalid)) return Promise.Fail<Unit>(invalid);
        _ = AdvanceAndCompact(p.Value);
        return Promise.ReturnUnit;
    }

    /// <summary><see cref="Advance"/>, then the bytes left (if any) moved to the front; true if some are left.</summary>
    private bool AdvanceAndCompact(int n)
    {
        if (!Advance(n)) return false;
        CompactOutput();
        return true;
    }

    /// <summary>Moves an output channel's unwritten bytes to the start of its buffer.</summary>
    internal void CompactOutput()
    {
        if (Ptr == 0) return;
        int unwritten = Max - Ptr;
        Array.Copy(Buffer, Ptr, Buffer, 0, unwritten);
        Ptr = 0;
        Max = unwritten;
    }

    /// <summary>
    /// True when <see cref="Advance"/> takes <paramref name="n"/>; false, with its error, when it
    /// refuses it: the synchronous paths reject with it rather than throw at the operation's
    /// caller. A count out of range fails the write as lwt_io.ml's perform_io does
    /// (<see cref="CheckCount"/>); 0 is in range there, and lwt_io.ml's flush then calls the
    /// backend again for ever: here it fails (the backend's contract: at least one byte).
    /// </summary>
    private bool CountAccepted(int n, [NotNullWhen(false)] out Exception? error)
    {
        error = (uint)n > (uint)(Max - Ptr) ? InvalidCount(n, Max - Ptr, read: false)
            : n == 0 ? new IOException("Lwt_io: the output backend wrote nothing.") : null;
        return error is null;
    }

    private bool Advance(int n)
    {
        if (!CountAccepted(n, out var error)) throw error;
        Ptr += n;
        Offset += n;
        if (Ptr == Max) Ptr = Max = 0;
        return Max != 0;
    }
}

/// <summary>
/// A waiting backend call as its channel sees it: resolved like the call, or rejected at
/// once when the channel closes under it (<see cref="ChannelCore.UntilClosed"/>).
/// </summary>
internal sealed class BackendCall : Promise<int>
{
    private Promise<int>? _op;
    private bool _aborting;

    internal BackendCall(Promise<int> op) : base(CancelMode.PropagateToOne, op) => _op = op;

    internal override void OnDependencyResolved(Promise source)
    {
        _op = null;
        if (_aborting) return; // Abort's cancel of the backend's call: the call fails with Abort's error
        var outer = UnderlyingT();
        if (outer._status == Status.Pending) outer.ResolveLike(source, allowDeferring: true);
    }

    /// <summary>Cancels the backend's call, then rejects this call with <paramref name="closed"/> if it still waits.</summary>
    internal void Abort(Exception closed)
    {
        var op = _op;
        _op = null;
        // lwt_io.ml's perform_io races the call against the abort promise with Lwt.pick, which
        // cancels the call before it resolves the operation: callbacks of the failed operation
        // find the backend's promise already canceled (differential lwtio FAMILIES=faults2,
        // seed 2502 prog 7).
        _aborting = true;
        op?.Cancel();
        RejectFromDependency(closed);
    }
}
