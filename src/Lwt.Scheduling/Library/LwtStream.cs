namespace Lwt;

/*
 * Lwt_stream's module-level functions: creating streams, the exceptions, and the
 * functions over several streams. The stream type itself is LwtStream<T>
 * (LwtStream.Stream.cs for reading, LwtStream.Transform.cs for the transformers);
 * its buffer is described in LwtStream.Buffer.cs.
 */

/// <summary>
/// Creating streams, and the functions and exceptions of Lwt's stream module.
/// <para>Lwt: <c>Lwt_stream</c></para>
/// </summary>
public static partial class LwtStream
{
    /// <summary>Pushing into a closed stream.<para>Lwt: <c>Lwt_stream.Closed</c></para></summary>
    public sealed class ClosedException : InvalidOperationException
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_stream.Closed</c></para></summary>
        public ClosedException() : base("The stream is closed: nothing more can be pushed.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_stream.Closed</c></para></summary>
        /// <param name="message">The message.</param>
        public ClosedException(string message) : base(message) { }
    }

    /// <summary>A second push into a full bounded stream while one already waits.<para>Lwt: <c>Lwt_stream.Full</c></para></summary>
    public sealed class FullException : InvalidOperationException
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_stream.Full</c></para></summary>
        public FullException() : base("The bounded stream is full and a push is already waiting for room.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_stream.Full</c></para></summary>
        /// <param name="message">The message.</param>
        public FullException(string message) : base(message) { }
    }

    /// <summary>Reading an item (Next, LastNew) from a stream that has ended.<para>Lwt: <c>Lwt_stream.Empty</c></para></summary>
    public sealed class EmptyException : InvalidOperationException
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_stream.Empty</c></para></summary>
        public EmptyException() : base("The stream has ended: there is no next item.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_stream.Empty</c></para></summary>
        /// <param name="message">The message.</param>
        public EmptyException(string message) : base(message) { }
    }

    /// <summary>
    /// A stream whose items are produced on demand by <paramref name="f"/>: <c>Some x</c> is the
    /// next item, <c>None</c> the end. Calls never overlap: readers share the call in flight.
    /// If <paramref name="f"/> throws or its promise is rejected, the read that asked for the
    /// item is rejected with that exception (in its promise, also when <paramref name="f"/>
    /// throws, where Lwt raises at the call; <see cref="LwtStream{T}.GetAvailable"/>,
    /// <see cref="LwtStream{T}.GetAvailableUpTo"/> and <see cref="LwtStream{T}.JunkAvailable"/>,
    /// which do not return one, throw it), and the stream does not end: the
    /// next read calls <paramref name="f"/> again, as in Lwt.
    /// <para>Lwt: <c>Lwt_stream.from</c></para>
    /// </summary>
    /// <param name="f">Produces the next item.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtStream<T> From<T>(Func<Promise<Option<T>>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new LwtStream<T>(new StreamBuffer<T>(StreamSourceKind.From) { FromCreate = f });
    }

    /// <summary>
    /// A stream whose items are produced on demand, synchronously, by <paramref name="f"/>.
    /// If <paramref name="f"/> throws, the read that called it is rejected with that exception
    /// (in its promise, where Lwt's raises at the call;
    /// <see cref="LwtStream{T}.GetAvailable"/>, <see cref="LwtStream{T}.GetAvailableUpTo"/> and
    /// <see cref="LwtStream{T}.JunkAvailable"/>, which do not return one, throw it), and the stream does not end: the
    /// next read calls <paramref name="f"/> again.
    /// <para>Lwt: <c>Lwt_stream.from_direct</c></para>
    /// </summary>
    /// <param name="f">Produces the next item, or None at the end.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtStream<T> FromDirect<T>(Func<Option<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new LwtStream<T>(new StreamBuffer<T>(StreamSourceKind.FromDirect) { FromDirect = f });
    }

    /// <summary>
    /// An unbounded push stream and its push function: <c>push(Some x)</c> adds an item,
    /// <c>push(None)</c> closes the stream; pushing into a closed stream throws
    /// <see cref="ClosedException"/> at the call. The push function does not keep the stream
    /// alive (a read waiting on the stream does, as in Lwt, until an item or the end serves it).
    /// A push wakes the readers waiting, the most recently queued first, as Lwt runs the
    /// callbacks of its push signal.
    /// <para>Lwt: <c>Lwt_stream.create</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    public static (LwtStream<T> Stream, Action<Option<T>> Push) Create<T>()
    {
        var (stream, push, _) = CreateWithReference<T>();
        return (stream, push);
    }

    /// <summary>
    /// Like <see cref="Create{T}"/>, with a third function that makes the stream keep an
    /// object alive (for instance the resource the pushes come from).
    /// <para>Lwt: <c>Lwt_stream.create_with_reference</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    public static (LwtStream<T> Stream, Action<Option<T>> Push, Action<object?> SetReference) CreateWithReference<T>()
    {
        var buffer = new StreamBuffer<T>(StreamSourceKind.Push);
        var stream = new LwtStream<T>(buffer);
        // Bound to the buffer itself (no closure in between): one call per push.
        return (stream, buffer.Push, reference => buffer.External = reference);
    }

    /// <summary>
    /// A bounded push stream: at most <paramref name="size"/> unread items; beyond that a
    /// push waits for the reader (see <see cref="BoundedPush{T}"/>). Bounded streams cannot
    /// be cloned. One push waits at a time: a second push made while one waits is rejected
    /// with <see cref="LwtStream.FullException"/> (Lwt's <c>Full</c>), where .NET's
    /// <c>Channel&lt;T&gt;.Writer.WriteAsync</c> would queue it. Several producers share the
    /// stream through an <see cref="LwtMutex"/> around their pushes
    /// (<c>mutex.WithLock(() =&gt; push.Push(x))</c>), which queues them in turn.
    /// <para>Lwt: <c>Lwt_stream.create_bounded</c></para>
    /// </summary>
    /// <param name="size">
    /// The bound (0 or more). With 0, a push waits until <see cref="BoundedPush{T}.Resize"/>
    /// makes room or <see cref="BoundedPush{T}.Close"/> rejects it: a reader waiting on the
    /// stream does not take the waiting item (as in Lwt, where only room made by a read or a
    /// resize lets it in), so that reader waits too.
    /// </param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public static (LwtStream<T> Stream, BoundedPush<T> Push) CreateBounded<T>(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var buffer = new StreamBuffer<T>(StreamSourceKind.PushBounded);
        var push = new BoundedPush<T>(buffer, size);
        buffer.Bounded = push;
        return (new LwtStream<T>(buffer), push);
    }

    /// <summary>A closed stream of the elements of <paramref name="list"/>.<para>Lwt: <c>Lwt_stream.of_list</c></para></summary>
    /// <param name="list">The items.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="list"/> is null.</exception>
    public static LwtStream<T> OfList<T>(IEnumerable<T> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var buffer = new StreamBuffer<T>(StreamSourceKind.Push);
        var start = new StreamPosition<T>(buffer.Tail, 0);
        foreach (var x in list) buffer.Append(x);
        buffer.End();
        return new LwtStream<T>(buffer, start);
    }

    /// <summary>A closed stream of the elements of <paramref name="array"/>.<para>Lwt: <c>Lwt_stream.of_array</c></para></summary>
    /// <param name="array">The items.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is null.</exception>
    public static LwtStream<T> OfArray<T>(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array); // here, so the exception names this parameter
        return OfList(array);
    }

    /// <summary>A closed stream of the characters of <paramref name="s"/>.<para>Lwt: <c>Lwt_stream.of_string</c></para></summary>
    /// <param name="s">The string.</param>
    /// <exception cref="ArgumentNullException"><paramref name="s"/> is null.</exception>
    public static LwtStream<char> OfString(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return OfList(s);
    }

    /// <summary>
    /// A stream holding the one item <paramref name="value"/>, already closed: the first read
    /// gives the item, the next ones the end.
    /// <para>Lwt: <c>Lwt_stream.return</c></para>
    /// </summary>
    /// <param name="value">The item.</param>
    /// <typeparam name="T">The type of the item.</typeparam>
    public static LwtStream<T> Return<T>(T value)
    {
        var buffer = new StreamBuffer<T>(StreamSourceKind.Push);
        var start = new StreamPosition<T>(buffer.Tail, 0);
        buffer.Append(value);
        buffer.End();
        return new LwtStream<T>(buffer, start);
    }

    /// <summary>
    /// A stream of the value <paramref name="promise"/> resolves to: the value is pushed as
    /// soon as the promise is fulfilled and the stream is closed right after it; if the
    /// promise is rejected (or canceled), the stream is closed without any item and the
    /// exception is dropped, as Lwt drops it. Until then the stream is open and empty, and a
    /// read waits. An already resolved promise gives an already closed stream.
    /// <para>Lwt: <c>Lwt_stream.return_lwt</c></para>
    /// </summary>
    /// <param name="promise">The promise of the item.</param>
    /// <typeparam name="T">The type of the item.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static LwtStream<T> ReturnLwt<T>(Promise<T> promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var buffer = new StreamBuffer<T>(StreamSourceKind.Push);
        var stream = new LwtStream<T>(buffer);
        // The callbacks hold the buffer, not the stream: a stream dropped by its readers is
        // not kept alive by a promise that never resolves.
        promise.OnAny(
            value =>
            {
                buffer.Append(value);
                buffer.End();
            },
            _ => buffer.End());
        return stream;
    }

    /// <summary>
    /// A stream of the elements of <paramref name="seq"/>, enumerated lazily as the stream is read.
    /// <para>Lwt: <c>Lwt_stream.of_seq</c></para>
    /// </summary>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtStream<T> OfSeq<T>(IEnumerable<T> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        IEnumerator<T>? e = null;
        return FromDirect(() =>
        {
            e ??= seq.GetEnumerator();
            if (e.MoveNext()) return Option<T>.Some(e.Current);
            e.Dispose();
            return Option<T>.None;
        });
    }

    /// <summary>
    /// A stream of the elements of the async sequence <paramref name="seq"/>, pulled lazily.
    /// <para>Lwt: <c>Lwt_stream.of_lwt_seq</c></para>
    /// </summary>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtStream<T> OfLwtSeq<T>(LwtSeq<T> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        var current = seq;
        return From(() => current.Force().Map(node =>
        {
            if (!node.HasValue) return Option<T>.None;
            current = node.Value.Tail;
            return Option<T>.Some(node.Value.Head);
        }));
    }

    /// <summary>
    /// The pairs of items of both streams, read in step; ends when either ends.
    /// <para>Lwt: <c>Lwt_stream.combine</c></para>
    /// </summary>
    /// <param name="s1">The first stream.</param>
    /// <param name="s2">The second stream.</param>
    /// <typeparam name="T1">The type of the first items.</typeparam>
    /// <typeparam name="T2">The type of the second items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtStream<(T1, T2)> Combine<T1, T2>(LwtStream<T1> s1, LwtStream<T2> s2)
    {
        ArgumentNullException.ThrowIfNull(s1);
        ArgumentNullException.ThrowIfNull(s2);
        return From(() =>
        {
            var t1 = s1.Get();
            var t2 = s2.Get();
            return t1.Bind(n1 => t2.Map(n2 =>
                n1.HasValue && n2.HasValue ? Option.Some((n1.Value, n2.Value)) : Option<(T1, T2)>.None));
        });
    }

    /// <summary>The items of <paramref name="s1"/>, then those of <paramref name="s2"/>.<para>Lwt: <c>Lwt_stream.append</c></para></summary>
    /// <param name="s1">The first stream.</param>
    /// <param name="s2">The second stream.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtStream<T> Append<T>(LwtStream<T> s1, LwtStream<T> s2)
    {
        ArgumentNullException.ThrowIfNull(s1);
        ArgumentNullException.ThrowIfNull(s2);
        var current = s1;
        async Promise<Option<T>> Next()
        {
            while (true)
            {
                var x = await current.Get();
                if (x.HasValue || ReferenceEquals(current, s2)) return x;
                current = s2;
            }
        }
        return From(Next);
    }

    /// <summary>
    /// The items of each stream of <paramref name="streams"/>, one stream after the other. A null
    /// stream among them rejects the read that reaches it with
    /// <see cref="InvalidOperationException"/>; the next read goes on with the stream after it.
    /// <para>Lwt: <c>Lwt_stream.concat</c></para>
    /// </summary>
    /// <param name="streams">A stream of streams.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="streams"/> is null.</exception>
    public static LwtStream<T> Concat<T>(LwtStream<LwtStream<T>> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        LwtStream<T>? current = null;
        async Promise<Option<T>> Next()
        {
            while (true)
            {
                if (current is not null)
                {
                    var x = await current.Get();
                    if (x.HasValue) return x;
                }
                var s = await streams.Get();
                if (!s.HasValue) return Option<T>.None;
                current = s.Value ?? throw new InvalidOperationException(
                    "LwtStream.Concat read a null stream from its stream of streams; push an empty stream (LwtStream.OfList) instead.");
            }
        }
        return From(Next);
    }

    /// <summary>
    /// The elements of each collection of <paramref name="stream"/>, in order. A null collection
    /// rejects the read that reaches it with <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt_stream.flatten</c></para>
    /// </summary>
    /// <param name="stream">A stream of collections.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public static LwtStream<T> Flatten<T>(LwtStream<IEnumerable<T>> stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.MapList(static l => l);
    }

    /// <summary>
    /// The items of all the streams, in the order they become available; ends when all have.
    /// <para>Lwt: <c>Lwt_stream.choose</c></para>
    /// </summary>
    /// <param name="streams">The streams.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="streams"/> or one of them is null.</exception>
    public static LwtStream<T> Choose<T>(IEnumerable<LwtStream<T>> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        // Lwt's list of (stream, read) pairs, as two lists kept in step: keys[i] is the
        // stream that sources[i] reads.
        var keys = new List<LwtStream<T>>();
        var sources = new List<Promise<(LwtStream<T>, Option<T>)>>();
        static Promise<(LwtStream<T>, Option<T>)> Source(LwtStream<T> s) => s.Get().Map(x => (s, x));
        foreach (var s in streams)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(streams));
            keys.Add(s);
            sources.Add(Source(s));
        }
        async Promise<Option<T>> Next()
        {
            while (sources.Count != 0)
            {
                var (s, x) = await Promise.Choose(sources);
                // As Lwt's List.remove_assq: only the first entry of s goes. A stream listed
                // twice has a second read in flight, whose item must not be dropped with it.
                int i = 0;
                while (!ReferenceEquals(keys[i], s)) i++;
                keys.RemoveAt(i);
                sources.RemoveAt(i);
                if (x.HasValue)
                {
                    keys.Add(s);
                    sources.Add(Source(s));
                    return x;
                }
            }
            return Option<T>.None;
        }
        return From(Next);
    }

    /// <inheritdoc cref="Choose{T}(IEnumerable{LwtStream{T}})"/>
    public static LwtStream<T> Choose<T>(params LwtStream<T>[] streams) => Choose((IEnumerable<LwtStream<T>>)streams);

    /// <summary>Reads a stream of characters to its end, as a string.<para>Lwt: <c>Lwt_stream.to_string</c></para></summary>
    /// <param name="stream">The stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public static Promise<string> ToString(LwtStream<char> stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var sb = new System.Text.StringBuilder();
        return stream.Iter(c => sb.Append(c)).Map(() => sb.ToString());
    }

    /// <summary>
    /// A stream of the lines of a hexdump of <paramref name="stream"/>, sixteen bytes a line,
    /// in the format of <c>hexdump -C</c>: the offset in eight hexadecimal digits, the bytes
    /// in two groups of eight, then the printable ones (other bytes as <c>.</c>) between bars.
    /// <c>"abc"</c> gives one line, <c>00000000|  61 62 63</c>, padding, <c> |abc|</c>.
    /// Characters must be bytes (U+0000 to U+00FF), as OCaml's are: a larger one rejects the
    /// read of its line with <see cref="ArgumentException"/>.
    /// <para>Lwt: <c>Lwt_stream.hexdump</c></para>
    /// </summary>
    /// <param name="stream">The bytes, as characters.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public static LwtStream<string> Hexdump(LwtStream<char> stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        int offset = 0;
        return From(async () =>
        {
            var chunk = await stream.NGet(16);
            if (chunk.Count == 0) return Option<string>.None;
            var line = HexdumpLine(offset, chunk);
            offset += 16;
            return Option.Some(line);
        });
    }

    // One line: "%08x|  ", then each byte as "%02x " with one more space before the ninth,
    // the missing bytes of a short last line as blanks of the same width (so the text column
    // lines up), then " |", the printable ASCII bytes (others as '.') and "|".
    private static string HexdumpLine(int offset, IReadOnlyList<char> chunk)
    {
        var sb = new System.Text.StringBuilder(80);
        sb.Append(offset.ToString("x8")).Append("|  ");
        for (int i = 0; i < 16; i++)
        {
            if (i == 8) sb.Append(' ');
            if (i < chunk.Count)
            {
                char c = chunk[i];
                if (c > '\xff')
                    throw new ArgumentException(
                        $"Hexdump dumps bytes, but U+{(int)c:X4} at offset {offset + i} is not one (0 to 255): encode the text to bytes (e.g. Latin-1 or UTF-8) first.",
                        "stream");
                sb.Append(((int)c).ToString("x2")).Append(' ');
            }
            else sb.Append("   ");
        }
        sb.Append(" |");
        foreach (char c in chunk) sb.Append(c >= '\x20' && c <= '\x7e' ? c : '.');
        return sb.Append('|').ToString();
    }
}
