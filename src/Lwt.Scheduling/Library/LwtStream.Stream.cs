using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * A stream: a position in a shared buffer (LwtStream.Buffer.cs), and the ways to read.
 *
 * Each reading function follows the same walk as Lwt's: start at this stream's position;
 * while an item is there, look at it and (for the consuming functions) consume it, which
 * moves this stream's position only if it is still where the walk is; at the end of what
 * has been produced, stop at the end of the stream, or feed and go on. The "available"
 * functions (GetAvailable, JunkOld, LastNew) do not wait: they stop where feeding would.
 *
 * Get is the hot path: an item already there costs the fulfilled promise it returns; a
 * Get that has to wait on a push stream costs its waiter, which is the promise returned.
 */

/// <summary>
/// A stream of items of type <typeparamref name="T"/>, read with promises. Clones share the
/// items and each read at its own pace.
/// <para>Lwt: <c>'a Lwt_stream.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// Reads of one stream that overlap in time follow Lwt's walk: each read goes on from the
/// item it reached, and consumes an item only while the stream is still at it. So two reads
/// waiting at once on one stream (two <see cref="Get"/>s, a Get beside an <see cref="NGet"/>
/// or a <see cref="ToList"/>) both get the item that comes next, as in Lwt; items are shared
/// out only between reads that do not overlap. Readers that each need every item each read a
/// <see cref="Clone"/>; readers that share the items out take them from one reading loop
/// (through an <see cref="LwtMVar{T}"/>, say).
/// </remarks>
public sealed partial class LwtStream<T>
{
    private static readonly Promise<Option<T>> s_none = Promise.Return(Option<T>.None);

    internal readonly StreamBuffer<T> _buffer;
    internal StreamPosition<T> _position;

    internal LwtStream(StreamBuffer<T> buffer) : this(buffer, new StreamPosition<T>(buffer.Tail, buffer.Tail.Count))
    {
    }

    internal LwtStream(StreamBuffer<T> buffer, StreamPosition<T> position)
    {
        _buffer = buffer;
        _position = position;
    }

    /// <summary>Reads the item at <paramref name="pos"/> (normalized in place) if it has been produced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryRead(ref StreamPosition<T> pos, out T item)
    {
        pos.Normalize();
        if (pos.Index < pos.Chunk.Count)
        {
            item = pos.Chunk.Items[pos.Index];
            return true;
        }
        item = default!;
        return false;
    }

    /// <summary>Consumes the item at <paramref name="pos"/> if this stream is still there (Lwt's <c>consume</c>).</summary>
    internal void ConsumeAt(StreamPosition<T> pos)
    {
        // The common case (nobody read in between) needs no normalizing.
        if (!(ReferenceEquals(_position.Chunk, pos.Chunk) && _position.Index == pos.Index) && !_position.SameAs(pos)) return;
        _position = new StreamPosition<T>(pos.Chunk, pos.Index + 1);
        _position.Normalize();
        _buffer.Bounded?.OnConsumed();
    }

    private static StreamPosition<T> After(StreamPosition<T> pos) => new(pos.Chunk, pos.Index + 1);

    /// <summary>
    /// A new stream with the same items from here on, read independently (what one reads,
    /// the other still gets).
    /// <para>Lwt: <c>Lwt_stream.clone</c></para>
    /// </summary>
    /// <exception cref="InvalidOperationException">This is a bounded stream.</exception>
    public LwtStream<T> Clone()
    {
        if (_buffer.Kind == StreamSourceKind.PushBounded)
            throw new InvalidOperationException("LwtStream.Clone: a bounded stream cannot be cloned (Lwt raises Invalid_argument).");
        return new LwtStream<T>(_buffer, _position);
    }

    /// <summary>
    /// A promise resolved when the stream ends (its end has been produced, whether or not it was read).
    /// <para>Lwt: <c>Lwt_stream.closed</c></para>
    /// </summary>
    public Promise Closed() => _buffer.ClosedPromise;

    /// <summary>Whether the stream's end has been produced.<para>Lwt: <c>Lwt_stream.is_closed</c></para></summary>
    public bool IsClosed => _buffer.Ended;

    // ---------------------------------------------------------------------- get

    /// <summary>
    /// Removes and returns the next item; <c>None</c> at the end of the stream. Waits while
    /// nothing is available; the waiting promise is cancelable (the item then stays).
    /// Two reads waiting on the same stream at once (two consumers of one stream, two
    /// enumerators of <c>AsAsyncEnumerable</c>) are both given the next item, which is
    /// consumed once, as in Lwt (each read takes the item at the position where it started):
    /// the stream is not a work queue shared by competing readers. Give each consumer its own
    /// items from one reader, or a <see cref="Clone"/> each (not of a bounded stream) when every consumer must see every item.
    /// <para>Lwt: <c>Lwt_stream.get</c></para>
    /// </summary>
    public Promise<Option<T>> Get()
    {
        var pos = _position;
        if (TryRead(ref pos, out var item))
        {
            _position = new StreamPosition<T>(pos.Chunk, pos.Index + 1);
            _buffer.Bounded?.OnConsumed();
            return Promise.Return(Option<T>.Some(item));
        }
        return GetSlow(pos);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Promise<Option<T>> GetSlow(StreamPosition<T> pos)
    {
        if (_buffer.Ended) return s_none;
        if (_buffer.Kind is StreamSourceKind.Push or StreamSourceKind.PushBounded)
        {
            var waiter = WaiterPromise.Create<Option<T>>();
            _buffer.Wait(waiter, this, pos);
            return waiter;
        }
        return GetFed(pos);
    }

    private async Promise<Option<T>> GetFed(StreamPosition<T> pos)
    {
        while (true)
        {
            if (TryRead(ref pos, out var item))
            {
                ConsumeAt(pos);
                return Option<T>.Some(item);
            }
            if (_buffer.Ended) return Option<T>.None;
            await _buffer.Feed();
        }
    }

    /// <summary>
    /// Removes and returns the next item; rejected with <see cref="LwtStream.EmptyException"/>
    /// at the end of the stream.
    /// <para>Lwt: <c>Lwt_stream.next</c></para>
    /// </summary>
    public Promise<T> Next() =>
        Get().Bind(x => x.HasValue ? Promise.Return(x.Value) : Promise.Fail<T>(new LwtStream.EmptyException()));

    /// <summary>Returns the next item without removing it; <c>None</c> at the end.<para>Lwt: <c>Lwt_stream.peek</c></para></summary>
    public Promise<Option<T>> Peek()
    {
        var pos = _position;
        if (TryRead(ref pos, out var item)) return Promise.Return(Option<T>.Some(item));
        return PeekFed(pos);
    }

    private async Promise<Option<T>> PeekFed(StreamPosition<T> pos)
    {
        while (true)
        {
            if (TryRead(ref pos, out var item)) return Option<T>.Some(item);
            if (_buffer.Ended) return Option<T>.None;
            await _buffer.Feed();
        }
    }

    /// <summary>Removes and returns up to <paramref name="n"/> items (fewer only at the end).<para>Lwt: <c>Lwt_stream.nget</c></para></summary>
    /// <param name="n">How many.</param>
    public Promise<IReadOnlyList<T>> NGet(int n) => Walk(n, consume: true);

    /// <summary>Returns up to <paramref name="n"/> items without removing them.<para>Lwt: <c>Lwt_stream.npeek</c></para></summary>
    /// <param name="n">How many.</param>
    public Promise<IReadOnlyList<T>> NPeek(int n) => Walk(n, consume: false);

    /// <summary>Removes and returns every item up to the end of the stream.<para>Lwt: <c>Lwt_stream.to_list</c></para></summary>
    public Promise<IReadOnlyList<T>> ToList() => Walk(int.MaxValue, consume: true);

    private async Promise<IReadOnlyList<T>> Walk(int n, bool consume)
    {
        var acc = new List<T>();
        var pos = _position;
        while (acc.Count < n)
        {
            if (TryRead(ref pos, out var item))
            {
                if (consume) ConsumeAt(pos);
                acc.Add(item);
                pos = After(pos);
            }
            else if (_buffer.Ended) break;
            else await _buffer.Feed();
        }
        return acc;
    }

    /// <summary>Removes and returns the items while <paramref name="f"/> holds.<para>Lwt: <c>Lwt_stream.get_while</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<IReadOnlyList<T>> GetWhile(Func<T, bool> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WhileS(x => f(x) ? Promise.ReturnTrue : Promise.ReturnFalse, keep: true);
    }

    /// <summary>Removes and returns the items while <paramref name="f"/> holds.<para>Lwt: <c>Lwt_stream.get_while_s</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<IReadOnlyList<T>> GetWhileS(Func<T, Promise<bool>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WhileS(f, keep: true);
    }

    /// <summary>Removes the items while <paramref name="f"/> holds.<para>Lwt: <c>Lwt_stream.junk_while</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise JunkWhile(Func<T, bool> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WhileS(x => f(x) ? Promise.ReturnTrue : Promise.ReturnFalse, keep: false);
    }

    /// <summary>Removes the items while <paramref name="f"/> holds.<para>Lwt: <c>Lwt_stream.junk_while_s</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise JunkWhileS(Func<T, Promise<bool>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WhileS(f, keep: false);
    }

    private async Promise<IReadOnlyList<T>> WhileS(Func<T, Promise<bool>> f, bool keep)
    {
        var acc = new List<T>();
        var pos = _position;
        while (true)
        {
            if (TryRead(ref pos, out var item))
            {
                if (!await ThrowHelper.NullAsRejected(f(item))) break;
                ConsumeAt(pos);
                if (keep) acc.Add(item);
                pos = After(pos);
            }
            else if (_buffer.Ended) break;
            else await _buffer.Feed();
        }
        return acc;
    }

    /// <summary>Removes the next item, if any (waiting for it if needed).<para>Lwt: <c>Lwt_stream.junk</c></para></summary>
    public Promise Junk() => NJunk(1);

    /// <summary>Removes up to <paramref name="n"/> items.<para>Lwt: <c>Lwt_stream.njunk</c></para></summary>
    /// <param name="n">How many.</param>
    public Promise NJunk(int n) => NJunkCore(n);

    private async Promise NJunkCore(int n)
    {
        var pos = _position;
        while (n > 0)
        {
            if (TryRead(ref pos, out _))
            {
                ConsumeAt(pos);
                pos = After(pos);
                n--;
            }
            else if (_buffer.Ended) break;
            else await _buffer.Feed();
        }
    }

    /// <summary>
    /// Removes and returns the items available now, without waiting.
    /// <para>Lwt: <c>Lwt_stream.get_available</c></para>
    /// </summary>
    /// <exception cref="Exception">Feeding a <c>From</c> or <c>FromDirect</c> stream failed synchronously: that exception.</exception>
    public IReadOnlyList<T> GetAvailable() => GetAvailableUpTo(int.MaxValue);

    /// <summary>
    /// Removes and returns up to <paramref name="n"/> items available now, without waiting.
    /// <para>Lwt: <c>Lwt_stream.get_available_up_to</c></para>
    /// </summary>
    /// <param name="n">How many at most.</param>
    /// <exception cref="Exception">Feeding a <c>From</c> or <c>FromDirect</c> stream failed synchronously: that exception.</exception>
    public IReadOnlyList<T> GetAvailableUpTo(int n)
    {
        var acc = new List<T>();
        TakeAvailable(n, acc);
        return acc;
    }

    /// <summary>
    /// Removes the items available now, without waiting and without collecting them: the
    /// buffered ones, and for a <c>FromDirect</c> stream (or a <c>From</c> stream whose
    /// function answers at once) those its function can produce before it would wait.
    /// <para>Lwt: <c>Lwt_stream.junk_available</c></para>
    /// </summary>
    /// <exception cref="Exception">Feeding a <c>From</c> or <c>FromDirect</c> stream failed synchronously: that exception.</exception>
    public void JunkAvailable() => TakeAvailable(int.MaxValue, acc: null);

    // Consumes up to n items that need no waiting, into acc when there is one. The same walk
    // serves get_available (which keeps them) and junk_available (which drops them), so both
    // stop at exactly the same point: the first item that would need a wait.
    private void TakeAvailable(int n, List<T>? acc)
    {
        var pos = _position;
        while (n > 0)
        {
            if (TryRead(ref pos, out var item))
            {
                ConsumeAt(pos);
                acc?.Add(item);
                pos = After(pos);
                n--;
            }
            else if (_buffer.Ended || !_buffer.FeedNow()) break;
        }
    }

    /// <summary>Removes the items available now, without waiting.<para>Lwt: <c>Lwt_stream.junk_old</c></para></summary>
    public Promise JunkOld()
    {
        try
        {
            GetAvailable();
            return Promise.ReturnUnit;
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    /// <summary>
    /// Removes the available items and returns the last one; with none available, waits for
    /// the next. Rejected with <see cref="LwtStream.EmptyException"/> at the end of the stream.
    /// <para>Lwt: <c>Lwt_stream.last_new</c></para>
    /// </summary>
    public Promise<T> LastNew()
    {
        var pos = _position;
        if (!TryRead(ref pos, out _))
        {
            if (_buffer.Ended) return Promise.Fail<T>(new LwtStream.EmptyException());
            var next = Next();
            if (!next.IsFulfilled) return next;
            return DrainAfter(next.Value);
        }
        return DrainAfter(default!, first: true);
    }

    private Promise<T> DrainAfter(T last, bool first = false)
    {
        try
        {
            var available = GetAvailable();
            if (available.Count != 0) return Promise.Return(available[^1]);
            return first ? Promise.Fail<T>(new LwtStream.EmptyException()) : Promise.Return(last);
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail<T>(e);
        }
    }

    /// <summary>Whether the stream has ended with nothing left to read (waits until that is known).<para>Lwt: <c>Lwt_stream.is_empty</c></para></summary>
    public Promise<bool> IsEmpty() => IsEmptyCore();

    private async Promise<bool> IsEmptyCore()
    {
        while (true)
        {
            var pos = _position;
            if (TryRead(ref pos, out _)) return false;
            if (_buffer.Ended) return true;
            await _buffer.Feed();
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> with this stream; if its promise is rejected, puts the
    /// stream back where it was (the items <paramref name="f"/> read are read again).
    /// <para>Lwt: <c>Lwt_stream.parse</c></para>
    /// </summary>
    /// <param name="f">The parser.</param>
    /// <typeparam name="U">The type of the parsed value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">This is a bounded stream.</exception>
    public Promise<U> Parse<U>(Func<LwtStream<T>, Promise<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (_buffer.Kind == StreamSourceKind.PushBounded)
            throw new InvalidOperationException("LwtStream.Parse: a bounded stream cannot be parsed (Lwt raises Invalid_argument).");
        var saved = _position;
        return Promise.Catch(() => f(this), e =>
        {
            _position = saved;
            return Promise.Fail<U>(e);
        });
    }
}
