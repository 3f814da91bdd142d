namespace Lwt;

/*
 * Lwt_stream's transformers and folds. A transformed stream is a `From` stream that
 * reads this one on demand (lazily: nothing is read until the new stream is), so reading
 * it consumes this one. The folds and iterations consume this stream to its end.
 * Callbacks that throw reject the promise of the read or fold that called them; a callback
 * that returns null instead of a promise counts as a promise rejected with ThrowHelper's
 * InvalidOperationException, as everywhere else (rather than a NullReferenceException).
 */

public sealed partial class LwtStream<T>
{
    /// <summary>The items mapped by <paramref name="f"/>.<para>Lwt: <c>Lwt_stream.map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> Map<U>(Func<T, U> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return LwtStream.From(() => Get().Map(x => x.HasValue ? Option<U>.Some(f(x.Value)) : Option<U>.None));
    }

    /// <summary>The items mapped by <paramref name="f"/>, one call at a time.<para>Lwt: <c>Lwt_stream.map_s</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> MapS<U>(Func<T, Promise<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return LwtStream.From(() => Get().Bind(x => x.HasValue ? ThrowHelper.NullAsRejected(f(x.Value)).Map(Option<U>.Some) : Promise.Return(Option<U>.None)));
    }

    /// <summary>The items that satisfy <paramref name="f"/>.<para>Lwt: <c>Lwt_stream.filter</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<T> Filter(Func<T, bool> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FilterS(x => f(x) ? Promise.ReturnTrue : Promise.ReturnFalse);
    }

    /// <summary>The items that satisfy <paramref name="f"/>, tested one at a time.<para>Lwt: <c>Lwt_stream.filter_s</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<T> FilterS(Func<T, Promise<bool>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        async Promise<Option<T>> Next()
        {
            while (true)
            {
                var x = await Get();
                if (!x.HasValue || await ThrowHelper.NullAsRejected(f(x.Value))) return x;
            }
        }
        return LwtStream.From(Next);
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>.<para>Lwt: <c>Lwt_stream.filter_map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> FilterMap<U>(Func<T, Option<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FilterMapS(x => Promise.Return(f(x)));
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>, one call at a time.<para>Lwt: <c>Lwt_stream.filter_map_s</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> FilterMapS<U>(Func<T, Promise<Option<U>>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        async Promise<Option<U>> Next()
        {
            while (true)
            {
                var x = await Get();
                if (!x.HasValue) return Option<U>.None;
                var y = await ThrowHelper.NullAsRejected(f(x.Value));
                if (y.HasValue) return y;
            }
        }
        return LwtStream.From(Next);
    }

    /// <summary>
    /// The elements of the collections <paramref name="f"/> returns, in order. A null collection
    /// rejects the read that needed it with <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt_stream.map_list</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> MapList<U>(Func<T, IEnumerable<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return MapListS(x => Promise.Return(f(x)));
    }

    /// <summary>
    /// The elements of the collections <paramref name="f"/> returns, one call at a time. A null
    /// collection rejects the read that needed it with <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt_stream.map_list_s</c></para>
    /// </summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public LwtStream<U> MapListS<U>(Func<T, Promise<IEnumerable<U>>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var pending = new Queue<U>();
        async Promise<Option<U>> Next()
        {
            while (pending.Count == 0)
            {
                var x = await Get();
                if (!x.HasValue) return Option<U>.None;
                var ys = await ThrowHelper.NullAsRejected(f(x.Value));
                if (ys is null) ThrowNullCollection();
                foreach (var y in ys) pending.Enqueue(y);
            }
            return Option<U>.Some(pending.Dequeue());
        }
        return LwtStream.From(Next);
    }

    /// <summary>Folds the items to the end of the stream: <c>f x acc</c>.<para>Lwt: <c>Lwt_stream.fold</c></para></summary>
    /// <param name="f">The function, given an item and the accumulator.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<A> Fold<A>(Func<T, A, A> f, A init)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FoldS((x, acc) => Promise.Return(f(x, acc)), init);
    }

    /// <summary>Folds the items to the end of the stream, one call at a time.<para>Lwt: <c>Lwt_stream.fold_s</c></para></summary>
    /// <param name="f">The function, given an item and the accumulator.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<A> FoldS<A>(Func<T, A, Promise<A>> f, A init)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FoldCore(f, init);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNullCollection() =>
        throw new InvalidOperationException("The stream's function gave a null collection (or Flatten read one); give an empty collection instead.");

    private async Promise<A> FoldCore<A>(Func<T, A, Promise<A>> f, A acc)
    {
        var pos = _position;
        while (true)
        {
            if (TryRead(ref pos, out var item))
            {
                ConsumeAt(pos);
                acc = await ThrowHelper.NullAsRejected(f(item, acc));
                pos = After(pos);
            }
            else if (_buffer.Ended) return acc;
            else await _buffer.Feed();
        }
    }

    /// <summary>Calls <paramref name="f"/> on each item to the end of the stream.<para>Lwt: <c>Lwt_stream.iter</c></para></summary>
    /// <param name="f">The action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Iter(Action<T> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FoldCore<Unit>((x, _) => { f(x); return Promise.ReturnUnit; }, default);
    }

    /// <summary>Calls <paramref name="f"/> on each item, waiting for each call's promise.<para>Lwt: <c>Lwt_stream.iter_s</c></para></summary>
    /// <param name="f">The action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise IterS(Func<T, Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FoldCore<Unit>((x, _) => ThrowHelper.NullAsRejected(f(x)).Map(static () => Unit.Value), default);
    }

    /// <summary>
    /// Calls <paramref name="f"/> on each item as it comes, without waiting for the previous
    /// calls. The promise follows the calls in stream order: it is rejected with the first
    /// call (in that order) that is rejected, once the calls before it are fulfilled, without
    /// waiting for the end of the stream; it is fulfilled when the stream has ended and every
    /// call is fulfilled. If <paramref name="f"/> throws, nothing more is read and the promise
    /// is rejected with that exception (after the calls started before the walk last waited
    /// for the stream, if any, are fulfilled). A failure of the stream's source rejects it
    /// likewise, after the calls already started. <see cref="Promise.Cancel"/> cancels the
    /// first call not yet fulfilled, or, when there is none, the wait for the stream, which
    /// stops the walk. After a call is rejected or canceled, the walk goes on reading, as
    /// Lwt's does.
    /// <para>Lwt: <c>Lwt_stream.iter_p</c></para>
    /// </summary>
    /// <param name="f">The action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise IterP(Func<T, Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var walk = new IterPWalk(this, f);
        walk.Read();
        return walk.Follow();
    }

    /*
     * IterP follows lwt_stream.ml's iter_p_rec as it is since ocsigen/lwt PR #608 (2018; still
     * so in Lwt 5): each item gives `res >>= fun () -> rest`, where res is f's call and rest
     * the walk over the following items, and an item not yet there gives
     * `feed s >>= fun () -> ...`. (Older Lwt joined [f x; rest], so a rejected call waited
     * for the end of the stream.) The result is thus a chain in stream order:
     *  - a rejected call rejects it once the calls before it are fulfilled;
     *  - a raise from f leaves the walk: nothing more is read. It leaves every frame up to
     *    the nearest bind, the one on the last feed (the port's binds never throw, see
     *    API.md): the calls started since that feed are dropped from the chain, those before
     *    it are still waited for;
     *  - a failed feed rejects the chain after all the calls started;
     *  - Lwt.cancel reaches the promise the chain waits on at that moment: the first call
     *    not yet fulfilled, or the (protected) feed, whose cancellation stops the walk.
     * The chain is not built as nested binds (a long run of items would nest as deep):
     * Read walks in a loop and queues the calls, and Follow, an async method, awaits them
     * in order, then the walk's wait for the stream; awaiting gives the cancellation above.
     * As in Lwt, the walk does not depend on the result: once the result is settled (a call
     * rejected or canceled), the walk goes on to the end of the stream, and the calls are no
     * longer kept.
     */
    private sealed class IterPWalk
    {
        private readonly LwtStream<T> _stream;
        private readonly Func<T, Promise> _f;
        private readonly Func<Unit> _resume;
        private StreamPosition<T> _pos;
        // The calls started and not yet taken by Follow, in stream order.
        private readonly Queue<Promise> _calls = new();
        // Calls started, and taken by Follow, since the beginning (counts, not indexes).
        private long _started;
        private long _taken;
        // Follow may take the calls up to this count: those started before the last wait
        // for the stream. The calls of the run in progress (Read) are not in it yet, since
        // a raise later in that run drops them.
        private long _chained;
        // Read resumes when this resolves (the feed, then Read); null while none is pending.
        private Promise? _step;
        private bool _finished;
        private Exception? _error;
        private bool _followed = true;

        internal IterPWalk(LwtStream<T> stream, Func<T, Promise> f)
        {
            _stream = stream;
            _f = f;
            _pos = stream._position;
            _resume = () =>
            {
                Read();
                return Unit.Value;
            };
        }

        /// <summary>Reads and starts calls until the stream must be waited for, ends, or f throws.</summary>
        internal void Read()
        {
            while (true)
            {
                if (TryRead(ref _pos, out var item))
                {
                    _stream.ConsumeAt(_pos);
                    Promise call;
                    try
                    {
                        call = ThrowHelper.NullAsRejected(_f(item));
                    }
                    catch (Exception e)
                    {
                        Promise.ExceptionFilter.RethrowIfRefused(e);
                        // _chained stays where this run began: its calls are dropped.
                        Finish(e);
                        return;
                    }
                    if (_followed)
                    {
                        _calls.Enqueue(call);
                        _started++;
                    }
                    _pos = After(_pos);
                    continue;
                }
                // A wait for the stream (or its end) closes the run: its calls are chained.
                _chained = _started;
                if (_stream._buffer.Ended)
                {
                    Finish(null);
                    return;
                }
                var fed = _stream._buffer.Feed();
                if (fed.IsFulfilled) continue;
                if (fed.IsRejected)
                {
                    Finish(fed.Exception);
                    return;
                }
                // Canceling this step (from Follow) cancels the feed: Read is then not called.
                _step = fed.Map(_resume);
                return;
            }
        }

        private void Finish(Exception? error)
        {
            _finished = true;
            _error = error;
            _step = null;
        }

        /// <summary>The result: the calls in order, then the end of the walk.</summary>
        internal async Promise Follow()
        {
            try
            {
                while (true)
                {
                    if (_taken < _chained)
                    {
                        var call = _calls.Dequeue();
                        _taken++;
                        await call;
                    }
                    else if (_finished)
                    {
                        if (_error is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
                        return;
                    }
                    else
                    {
                        // Not finished and nothing chained left: Read is waiting for the stream,
                        // or running in that step's callback (then the step is still pending).
                        await _step!;
                    }
                }
            }
            finally
            {
                _followed = false;
                _calls.Clear();
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="f"/> on each item, with at most <paramref name="maxConcurrency"/>
    /// calls pending at a time; resolves when the stream has ended and every call has resolved.
    /// A rejected call rejects the promise with its exception, without waiting for the end of
    /// the stream, as soon as the walk next waits for a free slot (all
    /// <paramref name="maxConcurrency"/> slots taken) or reaches the end; nothing more is read
    /// then. If <paramref name="f"/> throws, nothing more is read and the promise is rejected
    /// with that exception.
    /// <para>Lwt: <c>Lwt_stream.iter_n</c></para>
    /// </summary>
    /// <param name="f">The action.</param>
    /// <param name="maxConcurrency">The most calls pending at once (1 or more).</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConcurrency"/> is less than 1.</exception>
    public Promise IterN(Func<T, Promise> f, int maxConcurrency = 1)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return IterNCore(f, maxConcurrency);
    }

    private async Promise IterNCore(Func<T, Promise> f, int available)
    {
        var running = new List<Promise<Unit>>();
        while (true)
        {
            if (available == 0)
            {
                var (done, pending) = await Promise.NChooseSplit(running);
                running = [.. pending];
                available += done.Count;
            }
            var x = await Get();
            if (!x.HasValue) break;
            // f is called bare, a throw not turned into a rejected call: as in Lwt, a throw
            // ends the loop at once, before another item is read (a rejected promise from f
            // is noticed at the next wait).
            var call = ThrowHelper.NullAsRejected(f(x.Value));
            running.Add(call.Map(static () => Unit.Value));
            available--;
        }
        await Promise.Join(running);
    }

    /// <summary>Removes items up to the first that satisfies <paramref name="f"/> and returns it; <c>None</c> at the end.<para>Lwt: <c>Lwt_stream.find</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<Option<T>> Find(Func<T, bool> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FindMapS(x => Promise.Return(f(x) ? Option<T>.Some(x) : Option<T>.None));
    }

    /// <summary>Like <see cref="Find"/> with a predicate that returns a promise.<para>Lwt: <c>Lwt_stream.find_s</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<Option<T>> FindS(Func<T, Promise<bool>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FindMapS(x => ThrowHelper.NullAsRejected(f(x)).Map(ok => ok ? Option<T>.Some(x) : Option<T>.None));
    }

    /// <summary>Removes items up to the first for which <paramref name="f"/> gives <c>Some</c>, and returns that.<para>Lwt: <c>Lwt_stream.find_map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the answer.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<Option<U>> FindMap<U>(Func<T, Option<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FindMapS(x => Promise.Return(f(x)));
    }

    /// <summary>Like <see cref="FindMap{U}"/> with a function that returns a promise.<para>Lwt: <c>Lwt_stream.find_map_s</c></para></summary>
    /// <param name="f">The function.</param>
    /// <typeparam name="U">The type of the answer.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<Option<U>> FindMapS<U>(Func<T, Promise<Option<U>>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FindCore(f);
    }

    private async Promise<Option<U>> FindCore<U>(Func<T, Promise<Option<U>>> f)
    {
        var pos = _position;
        while (true)
        {
            if (TryRead(ref pos, out var item))
            {
                ConsumeAt(pos);
                var y = await ThrowHelper.NullAsRejected(f(item));
                if (y.HasValue) return y;
                pos = After(pos);
            }
            else if (_buffer.Ended) return Option<U>.None;
            else await _buffer.Feed();
        }
    }

    /// <summary>The items of this stream, then those of <paramref name="other"/>.<para>Lwt: <c>Lwt_stream.append</c></para></summary>
    /// <param name="other">The second stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public LwtStream<T> Append(LwtStream<T> other)
    {
        ArgumentNullException.ThrowIfNull(other); // named as the caller knows it (the static form says s2)
        return LwtStream.Append(this, other);
    }

    /// <summary>Pairs of items of this stream and <paramref name="other"/>, read in step.<para>Lwt: <c>Lwt_stream.combine</c></para></summary>
    /// <param name="other">The second stream.</param>
    /// <typeparam name="U">The type of the second items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public LwtStream<(T, U)> Combine<U>(LwtStream<U> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return LwtStream.Combine(this, other);
    }

    /// <summary>
    /// The items as <c>Ok</c> results; a failure of the source (a rejected <c>From</c>
    /// function) becomes an <c>Error</c> item instead of rejecting the read, and reading goes on.
    /// <para>Lwt: <c>Lwt_stream.wrap_exn</c></para>
    /// </summary>
    public LwtStream<Result<T, Exception>> WrapExn()
    {
        async Promise<Option<Result<T, Exception>>> Next()
        {
            var pos = _position;
            while (true)
            {
                if (TryRead(ref pos, out var item))
                {
                    ConsumeAt(pos);
                    return Option.Some(Result<T, Exception>.Ok(item));
                }
                if (_buffer.Ended) return Option<Result<T, Exception>>.None;
                var fed = _buffer.Feed();
                try
                {
                    await fed;
                }
                catch (Exception e)
                {
                    return Option.Some(Result<T, Exception>.Error(e));
                }
            }
        }
        return LwtStream.From(Next);
    }
}
