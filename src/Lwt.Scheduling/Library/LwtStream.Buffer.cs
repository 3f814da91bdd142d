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
 * the queue. A Get waiter carries its reader's position and, woken, reads the item there
 * itself and consumes it, so a blocked Get costs one object (the waiter is the promise it
 * returns) and a hand-off no more. Waiters are cancelable; a canceled one is skipped
 * (Waiters.cs).
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

/// <summary>A reader waiting for a push stream to grow: a feed waiter or a Get waiter.</summary>
internal readonly struct StreamWaiter(Promise promise) : IWaiterEntry
{
    internal readonly Promise Promise = promise;

    public bool IsLive => WaiterPromise.IsLive(Promise);
}

/// <summary>A pending Get on a push stream: the promise it returned, and the position it reads.</summary>
internal sealed class GetWaiter<T> : Promise<Option<T>>
{
    private readonly LwtStream<T> _stream;
    private readonly StreamPosition<T> _position;

    internal GetWaiter(LwtStream<T> stream, StreamPosition<T> position) : base(CancelMode.CancelThis)
    {
        _stream = stream;
        _position = position;
    }

    /// <summary>
    /// Reads the item at the position, if it is there, and consumes it; else waits on.
    /// Called only on a live waiter, just dequeued by <see cref="StreamBuffer{T}.WakeAll"/>.
    /// </summary>
    internal void Wake()
    {
        var pos = _position;
        if (LwtStream<T>.TryRead(ref pos, out var item))
        {
            _stream.ConsumeAt(pos);
            WaiterPromise.TryFulfil(this, Option<T>.Some(item));
        }
        else if (_stream._buffer.Ended)
        {
            WaiterPromise.TryFulfil(this, Option<T>.None);
        }
        else
        {
            _stream._buffer.Waiters.Enqueue(new StreamWaiter(this));
        }
    }
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
    internal readonly WaiterQueue<StreamWaiter> Waiters = new();
    internal Func<Promise<Option<T>>>? FromCreate;
    internal Promise FromThread = Promise.ReturnUnit;
    internal Func<Option<T>>? FromDirect;
    internal BoundedPush<T>? Bounded;
    internal object? External;

    internal StreamBuffer(StreamSourceKind kind)
    {
        Kind = kind;
        (ClosedPromise, _closedResolver) = Promise.Create();
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
        if (Waiters.RawCount != 0) WakeAll();
        _closedResolver.Resolve();
    }

    /// <summary>Appends Some item, or ends the stream for None.</summary>
    internal void Enqueue(Option<T> item)
    {
        if (item.HasValue) Append(item.Value);
        else End();
    }

    internal void WakeAll()
    {
        // Only the waiters queued now: those queued while waking wait for the next item.
        int n = Waiters.RawCount;
        while (n-- > 0 && Waiters.TryDequeueLive(out var w))
        {
            if (w.Promise is GetWaiter<T> get) get.Wake();
            else WaiterPromise.TryFulfil((Promise<Unit>)w.Promise, default);
        }
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
                    next = FromCreate!() ?? Promise.Fail<Option<T>>(ThrowHelper.NullPromise());
                }
                catch (Exception e)
                {
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
                    return Promise.Fail(e);
                }
            default:
                var waiter = WaiterPromise.Create<Unit>();
                Waiters.Enqueue(new StreamWaiter(waiter));
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
