using System.Runtime.CompilerServices;

namespace Lwt.Interop;

/*
 * LwtStream <-> IAsyncEnumerable.
 *
 * AsAsyncEnumerable pulls lazily: each MoveNextAsync is one LwtStream.Get. The stream is
 * not thread-safe, so the read is made on the loop that called AsAsyncEnumerable, or, called
 * where no loop runs, on the loop that was running where the stream was made (posted
 * there when the enumerator is driven from another thread). That post is a ClaimablePost:
 * the loop, or its exit if it stops first, makes the read, or the post finds the loop not
 * running and MoveNextAsync fails with InvalidOperationException. A plain post to a loop
 * that is not running would wait in its inbox for a next run that usually never comes, and
 * MoveNextAsync would hang with nothing to say why. Canceling the enumerator's
 * token cancels the pending read (Cancel() on its loop, and the wait follows the read, so an
 * item the read took as the token fired is returned, not dropped); disposing the enumerator
 * cancels it too.
 *
 * ToLwtStream is Lwt_stream.from over the enumerator: each feed is one MoveNextAsync; the
 * enumerator is created at the first read and disposed at the end or at the first error.
 */

public static partial class PromiseInterop
{
    /// <summary>
    /// The items of <paramref name="stream"/> as an <see cref="IAsyncEnumerable{T}"/>, pulled
    /// lazily: one <see cref="LwtStream{T}.Get"/> per <c>MoveNextAsync</c>. Canceling the
    /// enumeration's token or disposing the enumerator cancels the pending read (the item then
    /// stays in the stream). An exception from the stream's source comes out of
    /// <c>MoveNextAsync</c> as the same object, after the items before it. The reads are made
    /// on the stream's loop: the loop that called this method, when it runs there; called
    /// where no loop runs (Task code on the thread pool), the loop that was running where the
    /// stream was made (a stream made off any running loop is read on the enumerating
    /// thread, as by a direct <see cref="LwtStream{T}.Get"/>). Driven from another thread, the
    /// enumerator needs that loop running (inside its <c>LwtMain.Run</c>), and
    /// <c>MoveNextAsync</c> fails with <see cref="InvalidOperationException"/> once the loop has
    /// stopped. To use the items after the loop has ended, collect them while it runs.
    /// A <c>MoveNextAsync</c> already waiting when the loop stops (a host shut down, its loop
    /// thread ended) is not ended by the stop: like any promise left pending when
    /// <c>Lwt_main.run</c> returns, its read stays pending for ever, and only the
    /// enumeration's token (which then ends it with <see cref="CanceledException"/>) can end it.
    /// Close the stream's push before the loop stops (in a hosted service: when its stopping
    /// token fires, or in a <c>finally</c> of <c>ExecuteAsync</c>) so that its readers see the end;
    /// in an ASP.NET Core app whose responses read it, close it when
    /// <c>IHostApplicationLifetime.ApplicationStopping</c> fires instead: the web server stops
    /// first and waits for those responses up to the shutdown timeout, before any stopping token
    /// of a hosted service fires.
    /// <para>Lwt: <c>Lwt_stream.get</c> seen as .NET's <c>IAsyncEnumerable</c></para>
    /// </summary>
    /// <remarks>
    /// Each enumerator consumes what it reads, but two enumerators of one stream driven at
    /// once are not competing consumers: reads waiting together are all given the next item
    /// (<see cref="LwtStream{T}.Get"/>, as Lwt's <c>get</c>), so that item comes out of each.
    /// Enumerate a stream once, and fan the items out from there (or give each consumer a
    /// <see cref="LwtStream{T}.Clone"/>, made on the stream's loop, to see every item; a
    /// bounded stream cannot be cloned).
    /// </remarks>
    /// <param name="stream">The stream (read by the enumerators: each consumes what it reads).</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <returns>The async enumerable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public static IAsyncEnumerable<T> AsAsyncEnumerable<T>(this LwtStream<T> stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Called where no loop runs (Task code on the pool, a hosted service's consumer), the
        // reads go to the loop the stream was made on: made on the calling thread, they would
        // race that loop's pushes.
        var current = EventLoop.Current;
        return new StreamAsyncEnumerable<T>(stream, current is { IsRunning: true } ? current : stream._buffer.Loop ?? current);
    }

    /// <summary>
    /// A stream of the items of <paramref name="source"/>, pulled lazily as the stream is
    /// read (one <c>MoveNextAsync</c> per item fed; the enumerator is made at the first read).
    /// The enumerator is disposed at the end of the source or when it throws. An exception
    /// from the source rejects the read that met it, as the same object, after the items
    /// before it; an exception from disposing the enumerator rejects that read too (the one
    /// that found the end, or the failed one, whose exception it replaces, as a throwing
    /// <c>finally</c> does in <c>await foreach</c>). The stream then ends (later reads give
    /// <c>None</c>): unlike <see cref="LwtStream.From{T}(Func{Promise{Option{T}}})"/>, whose
    /// function Lwt calls again after it failed, an enumerator that threw is not asked again.
    /// Canceling a read of the stream cancels that read only, not the <c>MoveNextAsync</c> in
    /// flight: as with Lwt's <c>from</c>, whose readers wait on its request through
    /// <c>Lwt.protected</c>, the request goes on and its item stays in the stream for the next
    /// read. Nothing else disposes the enumerator: a stream abandoned before its end leaves the
    /// source's enumerator undisposed (an async iterator's <c>finally</c> does not run) and its
    /// last <c>MoveNextAsync</c> running. To stop the source with the reader, give the source a
    /// token of your own (<c>channel.Reader.ReadAllAsync(token)</c>, an async iterator
    /// method called with a token) and cancel it: the read that meets the cancel is rejected
    /// with <see cref="CanceledException"/>, the enumerator is disposed and the stream ends;
    /// or read the stream to its end.
    /// <para>Lwt: <c>Lwt_stream.from</c> over .NET's <c>IAsyncEnumerable</c></para>
    /// </summary>
    /// <param name="source">The async enumerable.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public static LwtStream<T> ToLwtStream<T>(this IAsyncEnumerable<T> source) => ToLwtStream(source, CancellationToken.None);

    /// <summary>
    /// As <see cref="ToLwtStream{T}(IAsyncEnumerable{T})"/>, with <paramref name="cancellationToken"/>
    /// given to the source's enumerator, as <c>await foreach</c> over
    /// <c>source.WithCancellation(cancellationToken)</c> gives it (whose result is not an
    /// <see cref="IAsyncEnumerable{T}"/>, so it cannot be passed to the overload without a token). A source that
    /// honors the token (an async iterator method with <c>[EnumeratorCancellation]</c>,
    /// <c>ChannelReader.ReadAllAsync</c>) stops when it is canceled: the read that meets the
    /// cancel is rejected with <see cref="CanceledException"/>, the enumerator is disposed and
    /// the stream ends. One that ignores the token goes on, as it would under <c>await foreach</c>.
    /// <para>Lwt: <c>Lwt_stream.from</c> over .NET's <c>IAsyncEnumerable</c></para>
    /// </summary>
    /// <param name="source">The async enumerable.</param>
    /// <param name="cancellationToken">Passed to <see cref="IAsyncEnumerable{T}.GetAsyncEnumerator(CancellationToken)"/> at the first read.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public static LwtStream<T> ToLwtStream<T>(this IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var feeder = new EnumerableFeeder<T>(source, cancellationToken);
        return LwtStream.From(feeder.Next);
    }
}

/// <summary>Feeds an <see cref="LwtStream{T}"/> from an async enumerator (Lwt_stream.from).</summary>
internal sealed class EnumerableFeeder<T>(IAsyncEnumerable<T> source, CancellationToken token)
{
    private IAsyncEnumerator<T>? _enumerator;
    private bool _done;

    internal Promise<Option<T>> Next()
    {
        if (_done) return Promise.ReturnNone<T>();
        IAsyncEnumerator<T> e;
        ValueTask<bool> moved;
        try
        {
            e = _enumerator ??= source.GetAsyncEnumerator(token);
            moved = e.MoveNextAsync();
        }
        catch (Exception ex)
        {
            return Finish(ex);
        }
        if (moved.IsCompletedSuccessfully) return moved.Result ? Promise.ReturnSome(e.Current) : Finish(null);
        return Await(moved.AsTask().ToPromise(), e);
    }

    private async Promise<Option<T>> Await(Promise<bool> moved, IAsyncEnumerator<T> e)
    {
        bool has;
        try
        {
            has = await moved;
        }
        catch (Exception ex)
        {
            return await Finish(ex);
        }
        return has ? Option<T>.Some(e.Current) : await Finish(null);
    }

    /// <summary>Disposes the enumerator; then ends the stream, or rejects with <paramref name="error"/>.</summary>
    private async Promise<Option<T>> Finish(Exception? error)
    {
        _done = true;
        var e = _enumerator;
        _enumerator = null;
        if (e is not null)
        {
            try
            {
                await e.DisposeAsync().ToPromise();
            }
            catch (Exception disposeError)
            {
                // The dispose's exception replaces the source's, as a throwing finally does in
                // await foreach and a failing finalizer in Lwt.finalize. (The filter this catch
                // had, `when (error is null)`, let it escape as is: the same outcome, less plainly.)
                error = disposeError;
            }
        }
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return Option<T>.None;
    }
}

/// <summary>An <see cref="LwtStream{T}"/> seen as an <see cref="IAsyncEnumerable{T}"/>.</summary>
internal sealed class StreamAsyncEnumerable<T>(LwtStream<T> stream, EventLoop? loop) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(stream, loop, cancellationToken);

    private sealed class Enumerator(LwtStream<T> stream, EventLoop? loop, CancellationToken token) : IAsyncEnumerator<T>
    {
        private Promise<Option<T>>? _pending;
        private T _current = default!;
        private bool _disposed;

        public T Current => _current;

        private CancellationToken Token => token;

        public ValueTask<bool> MoveNextAsync()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (token.IsCancellationRequested) return ValueTask.FromCanceled<bool>(token);
            if (loop is not null && !loop.IsOnLoopThread) return PostRead(loop);
            var read = stream.Get();
            var p = read.UnderlyingT();
            if (p._status == Status.Fulfilled) return new ValueTask<bool>(Take(p._value));
            _pending = read;
            return new ValueTask<bool>(Await(read));
        }

        /// <summary>Posts the read to the stream's loop (file comment); fails when that loop is not running.</summary>
        private ValueTask<bool> PostRead(EventLoop loop)
        {
            var post = new PostedRead(this);
            if (((ILoopDispatcher)loop).TryPostClaimable(post)) return new ValueTask<bool>(post.Result.Task.Unwrap());
            return ValueTask.FromException<bool>(new InvalidOperationException(
                "The LwtStream's event loop is not running: an enumerator of LwtStream.AsAsyncEnumerable() reads the stream on the loop that called " +
                "AsAsyncEnumerable, and from another thread it can do so only while that loop runs (inside its LwtMain.Run). " +
                "Enumerate it before that LwtMain.Run returns, or collect the items there (stream.ToList()) and use the list afterwards."));
        }

        /// <summary>A read posted to the loop: made there, by the loop or by its exit (ClaimablePost).</summary>
        private sealed class PostedRead(Enumerator owner) : ClaimablePost
        {
            internal readonly TaskCompletionSource<Task<bool>> Result = new(TaskCreationOptions.RunContinuationsAsynchronously);

            internal override void Run()
            {
                // The token fired before the read started: start nothing (the item stays in the stream).
                if (owner.Token.IsCancellationRequested)
                {
                    Result.SetCanceled(owner.Token);
                    return;
                }
                try
                {
                    Result.SetResult(owner.ReadOnLoop());
                }
                catch (Exception e)
                {
                    Result.SetException(e);
                }
            }
        }

        private Task<bool> ReadOnLoop()
        {
            // Disposed (off the loop) before this queued read started: start nothing, or a
            // read nobody waits for would take the next item.
            if (Volatile.Read(ref _disposed)) return Task.FromCanceled<bool>(new CancellationToken(canceled: true));
            var read = stream.Get();
            // Published with a full fence, then _disposed read again: a DisposeAsync on another
            // thread either sees this read (and cancels it) or is seen here.
            Interlocked.Exchange(ref _pending, read);
            if (Volatile.Read(ref _disposed)) read.Cancel();
            return Await(read);
        }

        private async Task<bool> Await(Promise<Option<T>> read)
        {
            // Not AsTask(token): a token firing just as the read takes an item would end the
            // wait Canceled at once and drop that item, which has left the stream. The token
            // cancels the read instead (on its loop), and the wait follows the read: canceled
            // when it had not taken an item yet (the item stays in the stream), the item otherwise.
            Option<T> item;
            using (token.UnsafeRegister(static s => ((Promise)s!).Cancel(), read))
                item = await read.AsTask().ConfigureAwait(false);
            _pending = null;
            return Take(item);
        }

        private bool Take(Option<T> item)
        {
            if (!item.HasValue)
            {
                _current = default!;
                return false;
            }
            _current = item.Value;
            return true;
        }

        public ValueTask DisposeAsync()
        {
            // May run off the loop, while the loop runs ReadOnLoop: see there. Cancel() of a
            // promise owned by a loop is posted to that loop.
            Interlocked.Exchange(ref _disposed, true);
            Interlocked.Exchange(ref _pending, null)?.Cancel();
            return default;
        }
    }
}
