using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The buffer of a stream, shared by the stream and its clones.
 *
 * Items live in a singly linked list of chunks (arrays of growing size, 4 to 256): an
 * item costs a slot, and a new chunk now and then, so pushing an item allocates nothing
 * most of the time. Each stream (each clone) keeps its own position (chunk, index) in
 * that list; clones share everything else: the items, the end-of-stream mark, the source,
 * the readers waiting for more. A chunk that no clone's position reaches any more is
 * garbage; items already read stay referenced until their chunk is (at most 256 of them).
 *
 * Positions. (chunk, index) with index == chunk.Count is "at the end of what has been
 * produced". A position at the end of a full chunk moves to (next, 0) once the next chunk
 * exists (Normalize). At the end, either the stream has ended (Ended: OCaml's None node,
 * after which nothing is ever added) or more may come: the reader then feeds the stream.
 *
 * Feeding. A `From` source is asked for the next item, one request at a time (the
 * request in flight is shared by all readers, as Lwt's from_thread); a `FromDirect`
 * source is called synchronously; a push source is fed by its producer, so a reader
 * queues a waiter. Every item pushed (and the end of the stream) wakes every waiter in
 * the queue, the most recent first: Lwt's readers all wait on one push signal (through
 * Lwt.protected), and Lwt runs a promise's callbacks newest first. A Get waiter's queue entry carries its reader and position; woken, the
 * entry is served there: the item at the position is read and consumed for the reader.
 * So a blocked Get costs one object, the plain cancelable promise it returns, and a
 * hand-off to one waiting reader no more; when two or more wait at once, the wake-up also
 * allocates the list that holds the batch (WakeAll). Waiters are cancelable; a canceled
 * one is skipped (Waiters.cs). A push made inside callbacks serves each woken waiter at its
 * turn in the loop's wakeup_later queue (DeferServe), not at the push: in Lwt each reader
 * consumes in its own callback, after the running ones, and stays cancelable until then.
 *
 * Consuming. As in Lwt, a read consumes an item only if the reader's position is still
 * where the read started (two Gets pending on the same stream both return the same
 * item, which is consumed once). For a bounded stream, consuming makes room: the
 * blocked pusher's item goes in, or the count drops.
 */

/// <summary>A chunk of stream items. See the file comment.</summary>
internal sealed class StreamChunk<T>(int size)
{
    internal readonly T[] Items = new T[size];
    internal int Count;
    internal StreamChunk<T>? Next;
}

/// <summary>A position in a stream's buffer: the next item to read.</summary>
internal struct StreamPosition<T>(StreamChunk<T> chunk, int index)
{
    internal StreamChunk<T> Chunk = chunk;
    internal int Index = index;

    internal void Normalize()
    {
        if (Index == Chunk.Items.Length && Chunk.Next is { } next)
        {
            Chunk = next;
            Index = 0;
        }
    }

    internal readonly bool SameAs(StreamPosition<T> other)
    {
        var a = this;
        var b = other;
        a.Normalize();
        b.Normalize();
        return ReferenceEquals(a.Chunk, b.Chunk) && a.Index == b.Index;
    }
}

/// <summary>The kind of source that feeds a stream.</summary>
internal enum StreamSourceKind : byte
{
    From,
    FromDirect,
    Push,
    PushBounded,
}

/// <summary>
/// A reader waiting for a push stream to grow: an entry of <see cref="StreamBuffer{T}.Waiters"/>.
/// A feed waiter has no <see cref="Reader"/>: its <see cref="Promise"/> is a
/// <c>Promise&lt;Unit&gt;</c>, fulfilled when the buffer grows or ends. A Get waiter has
/// one: its promise is the <c>Promise&lt;Option&lt;T&gt;&gt;</c> that Get returned, and it
/// reads the item at <see cref="Position"/> (where its reader was when it began to wait)
/// for <see cref="Reader"/>.
/// </summary>
/// <remarks>
/// The reader and the position live here, in the queue's reused slots, rather than in a
/// promise subclass: the promise a blocked Get returns is then a plain cancelable promise,
/// the one object a hand-off costs, and its smallest form.
/// </remarks>
internal readonly struct StreamWaiter<T>(Promise promise, LwtStream<T>? reader, StreamPosition<T> position, int epoch) : IWaiterEntry
{
    /// <summary>The promise to fulfil: <c>Promise&lt;Unit&gt;</c> without a reader, <c>Promise&lt;Option&lt;T&gt;&gt;</c> with one.</summary>
    internal readonly Promise Promise = promise;

    /// <summary>The stream a Get waiter reads for; null for a feed waiter.</summary>
    internal readonly LwtStream<T>? Reader = reader;

    /// <summary>The position a Get waiter reads (unused by a feed waiter).</summary>
    internal readonly StreamPosition<T> Position = position;

    /// <summary>The buffer's wake-up count when this waiter was queued (see <see cref="StreamBuffer{T}.WakeAll"/>).</summary>
    internal readonly int Epoch = epoch;

    public bool IsLive => WaiterPromise.IsLive(Promise);
}

/// <summary>The state shared by a stream and its clones. See the file comment.</summary>
internal sealed class StreamBuffer<T>
{
    private const int FirstChunk = 4;
    private const int LargestChunk = 256;

    internal StreamChunk<T> Tail = new(FirstChunk);
    internal bool Ended;
    internal readonly StreamSourceKind Kind;
    internal readonly Promise<Unit> ClosedPromise;
    private readonly Resolver<Unit> _closedResolver;
    internal readonly WaiterQueue<StreamWaiter<T>> Waiters = new();
    private int _epoch;
    // The waiters woken inside callbacks, whose serving waits in the loop's wakeup_later
    // queue (DeferServe), in order, and the one callback that serves the oldest of them.
    private Queue<StreamWaiter<T>>? _deferredServes;
    private ServeDeferred? _serveDeferred;
    internal Func<Promise<Option<T>>>? FromCreate;
    internal Promise FromThread = Promise.ReturnUnit;
    internal Func<Option<T>>? FromDirect;
    internal BoundedPush<T>? Bounded;
    internal object? External;

    /// <summary>
    /// The loop that was running on the thread that made the stream, or null (made off any
    /// running loop): where Lwt.Interop's AsAsyncEnumerable, called from a thread with no
    /// running loop of its own, makes its reads (the buffer is not thread-safe).
    /// </summary>
    internal readonly EventLoop? Loop;

    internal StreamBuffer(StreamSourceKind kind)
    {
        Kind = kind;
        (ClosedPromise, _closedResolver) = Promise.Create();
        Loop = EventLoop.Current is { IsRunning: true } loop ? loop : null;
    }

    /// <summary>Adds an item at the end and wakes the waiting readers.</summary>
    internal void Append(T item)
    {
        var tail = Tail;
        if (tail.Count == tail.Items.Length) tail = Grow();
        tail.Items[tail.Count++] = item;
        if (Waiters.RawCount != 0) WakeAll();
    }

    private StreamChunk<T> Grow()
    {
        var next = new StreamChunk<T>(Math.Min(LargestChunk, Tail.Items.Length * 2));
        Tail.Next = next;
        Tail = next;
        return next;
    }

    /// <summary>Marks the end of the stream (once), wakes the readers, resolves Closed.</summary>
    internal void End()
    {
        if (Ended) return;
        Ended = true;
        AfterEnd();
    }

    /// <summary>
    /// The second half of <see cref="End"/>, once <see cref="Ended"/> is set: wakes the
    /// readers and resolves Closed. Split out for bounded_push#close, which rejects its
    /// waiting pusher between queuing the end and signalling the readers.
    /// </summary>
    internal void AfterEnd()
    {
        if (Waiters.RawCount != 0) WakeAll();
        _closedResolver.Resolve();
    }

    /// <summary>
    /// The push function of an unbounded push stream (<see cref="LwtStream.Create{T}"/>):
    /// appends Some item, or ends the stream for None.
    /// </summary>
    /// <exception cref="LwtStream.ClosedException">The stream has ended.</exception>
    internal void Push(Option<T> item)
    {
        if (Ended) ThrowClosed();
        Enqueue(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowClosed() => throw new LwtStream.ClosedException();

    /// <summary>Appends Some item, or ends the stream for None.</summary>
    internal void Enqueue(Option<T> item)
    {
        if (item.HasValue) Append(item.Value);
        else End();
    }

    /// <summary>Queues a waiter, stamped with the current wake-up count.</summary>
    internal void Wait(Promise promise, LwtStream<T>? reader, StreamPosition<T> position) =>
        Waiters.Enqueue(new StreamWaiter<T>(promise, reader, position, _epoch));

    /// <summary>
    /// Wakes the waiters queued now, the most recently queued first; not those queued while
    /// waking (by a woken reader that needs more, or during a nested wake-up): they wait for
    /// the next item, at the back, as Lwt's readers re-register on a fresh push signal. The
    /// stamp tells them apart: counting the entries instead would also count the dead
    /// (canceled) ones and then wake, out of turn, some of those queued during this wake-up.
    /// </summary>
    /// <remarks>
    /// Newest first, as Lwt: its readers wait on the one push signal (each through its own
    /// <c>Lwt.protected</c>), and Lwt runs the callbacks of a promise in the reverse order of
    /// their attachment. It matters beyond order: two readers of one stream, say a Junk and
    /// an IsEmpty, waiting when an item is pushed: in Lwt the IsEmpty (the later) sees the
    /// item and answers false, then the Junk consumes it. The whole batch leaves the queue
    /// before any is served, so a nested wake-up (a woken reader pushing) serves only the
    /// waiters queued since, as Lwt's nested signal does.
    /// </remarks>
    internal void WakeAll()
    {
        int epoch = ++_epoch;
        if (!Waiters.TryPeekLive(out var first) || first.Epoch - epoch >= 0) return; // none queued before this wake-up (wrap-safe)
        Waiters.TryDequeue(out _);
        if (!Waiters.TryPeekLive(out var second) || second.Epoch - epoch >= 0)
        {
            Wake(first); // the common case: one reader, no batch to hold
            return;
        }
        var batch = new List<StreamWaiter<T>> { first };
        while (Waiters.TryPeekLive(out var w) && w.Epoch - epoch < 0)
        {
            Waiters.TryDequeue(out _);
            batch.Add(w);
        }
        // A waiter canceled by an earlier one's callbacks is skipped (here, or at its deferred turn: ServeDeferred).
        for (int i = batch.Count - 1; i >= 0; i--)
            if (batch[i].IsLive) Wake(batch[i]);
    }

    /// <summary>
    /// Serves a waiter just dequeued (<see cref="Serve"/>): at once, or, inside callbacks, at
    /// its turn in the loop's wakeup_later queue (<see cref="DeferServe"/>).
    /// </summary>
    private void Wake(in StreamWaiter<T> w)
    {
        // Inside callbacks the whole serving waits its turn, a Get's consumption included: in
        // Lwt each reader waits on its own Lwt.protected of the push signal and consumes in its
        // own callback (get_rec's consume), run after the running callbacks. So what an earlier
        // reader's callbacks did first is seen by the later reader (a failing Parse putting the
        // stream back: consuming at the push gave a Map of the stream the item twice), and a
        // reader canceled in between is canceled and leaves the items (a feed waiter fulfilled
        // at the push made the cancel of a Junk or NGet a no-op: it consumed its items).
        if (ResolutionLoop.Current.Resolving != 0) DeferServe(w);
        else Serve(w, now: false);
    }

    // No allocation per item: the waiter waits in this buffer's own queue, and the loop's
    // wakeup_later queue gets this buffer's one serving callback, once per waiter (both queues
    // are FIFO, so the n-th run of the callback serves the n-th waiter queued).
    private void DeferServe(in StreamWaiter<T> w)
    {
        (_deferredServes ??= new Queue<StreamWaiter<T>>()).Enqueue(w);
        ResolutionLoop.Current.DeferLater(w.Promise, _serveDeferred ??= new ServeDeferred(this));
    }

    /// <summary>Serves the oldest waiter that <see cref="DeferServe"/> deferred, if it still waits.</summary>
    private sealed class ServeDeferred(StreamBuffer<T> buffer) : Callback
    {
        internal override void Invoke(Promise source)
        {
            var w = buffer._deferredServes!.Dequeue();
            if (w.IsLive) buffer.Serve(w, now: true);
        }
    }

    /// <summary>A Get waiter gets its item (<see cref="ServeGet"/>); a feed waiter is fulfilled.</summary>
    private void Serve(in StreamWaiter<T> w, bool now)
    {
        // Reader non-null <=> the promise is the Promise<Option<T>> of a Get (see StreamWaiter).
        if (w.Reader is { } reader) ServeGet(reader, w, now);
        else Fulfil(Unsafe.As<Promise<Unit>>(w.Promise), default, now);
    }

    /// <summary>
    /// Serves a live Get waiter: the item at its position, consumed if its reader is still
    /// there; end of stream; or, with nothing there yet, back in the queue. The last case does
    /// not arise (a waiter is woken only by an item or the end added after it was queued, see
    /// WakeAll); it is kept as a safety net.
    /// </summary>
    private void ServeGet(LwtStream<T> reader, in StreamWaiter<T> w, bool now)
    {
        var pos = w.Position;
        var promise = Unsafe.As<Promise<Option<T>>>(w.Promise);
        if (LwtStream<T>.TryRead(ref pos, out var item))
        {
            reader.ConsumeAt(pos);
            Fulfil(promise, Option<T>.Some(item), now);
        }
        else if (Ended)
        {
            Fulfil(promise, Option<T>.None, now);
        }
        else
        {
            Wait(w.Promise, reader, w.Position);
        }
    }

    // now: a deferred serving (ServeDeferred, already at its turn) runs the reader's
    // callbacks at once, as Lwt's reader callback runs its continuation; otherwise they are
    // Lwt's wakeup_later of the waiter.
    private static void Fulfil<V>(Promise<V> promise, V value, bool now)
    {
        if (!now) { WaiterPromise.TryFulfil(promise, value); return; }
        var u = promise.UnderlyingT();
        if (u._status == Status.Pending) u.FulfillCore(value, allowDeferring: false);
    }

    /// <summary>
    /// A promise resolved when the buffer has grown or ended (rejected if a From source
    /// failed). Only called by a reader at the end of an unended buffer.
    /// </summary>
    internal Promise Feed()
    {
        switch (Kind)
        {
            case StreamSourceKind.From:
                if (FromThread.IsPending) return FromThread.Protected();
                Promise<Option<T>> next;
                try
                {
                    next = ThrowHelper.NullAsRejected(FromCreate!());
                }
                catch (Exception e)
                {
                    Promise.ExceptionFilter.RethrowIfRefused(e);
                    next = Promise.Fail<Option<T>>(e);
                }
                var thread = next.Map(x =>
                {
                    Enqueue(x);
                    return Unit.Value;
                });
                FromThread = thread;
                return thread.IsPending ? thread.Protected() : thread;
            case StreamSourceKind.FromDirect:
                try
                {
                    Enqueue(FromDirect!());
                    return Promise.ReturnUnit;
                }
                catch (Exception e)
                {
                    Promise.ExceptionFilter.RethrowIfRefused(e);
                    return Promise.Fail(e);
                }
            default:
                var waiter = WaiterPromise.Create<Unit>();
                Wait(waiter, null, default);
                return waiter;
        }
    }

    /// <summary>
    /// Feeds without waiting (Lwt's "feed s, then look at its state"): true when the
    /// buffer grew or ended at once; false when more would only come later. Push sources
    /// never grow at once, so no waiter is left behind for them.
    /// </summary>
    /// <exception cref="Exception">The source failed: its exception.</exception>
    internal bool FeedNow()
    {
        if (Kind is StreamSourceKind.Push or StreamSourceKind.PushBounded) return false;
        var p = Feed();
        if (p.IsFulfilled) return true;
        if (p.IsRejected) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(p.Exception!);
        return false;
    }
}
