// LwtFmt (Lwt_fmt): formatted printing whose text goes to Lwt_io channels without
// blocking: each printing function returns a promise instead of writing on the spot.
//
// How it works. A formatter is a synchronous writer plus a commit function. Printing
// formats into the writer, which turns the text into orders (LwtFmt.Order: write this
// string, or flush) and keeps them; then it calls commit, whose promise it returns. A
// channel formatter (OfChannel, Stdout, Stderr) queues its orders and its commit carries
// them out, in order, on the channel: so FPrintf's promise resolves once the text is in
// the channel (its buffer, which LwtIO writes out at the next pause or when full), not
// when it is flushed; Flush adds a Flush order and commits, which flushes the channel.
// MakeStream's formatter pushes its orders into a stream instead, and commits nothing.
// MakeFormatter pairs any writer with any commit.
//
// .NET forms.
// - OCaml's format strings are .NET composite format strings: FPrintf(f, "{0} items", n).
//   They are formatted with the invariant culture, as LwtIO.Printf, so that what a program
//   prints does not depend on the culture of the machine it runs on. There are no overloads
//   taking a plain string: with no arguments, Printf("{0}") and a plain "{0}" would print
//   different things under the same name; print text as an argument, Printf("{0}", text).
//   A bad format string throws FormatException at the call, before anything is queued.
// - Format.formatter is a TextWriter (GetFormatter): write to it to add text without
//   committing, as Lwt's %t and %a printers write to the underlying formatter.
// - Lwt_fmt.order is LwtFmt.Order and Lwt_fmt.formatter is LwtFmt.Formatter
//   (LwtFmt.Formatter.cs); the writer of the formatters made here is LwtFmt.OrderWriter.cs.
// - The formatter-first functions are extension methods too: f.FPrintf("..."), f.Flush().
//
// Differences from Lwt.
// - No pretty-printing engine: OCaml's Format holds text in its queue of boxes and breaks
//   until a flush or the right margin; here the writer passes each printf's text on at
//   once, as one order. So a printf's text is written by its own commit, without waiting
//   for a flush, and orders are whole strings (offset 0).
// - Orders are ranges of chars, not of bytes, so one can end inside a surrogate pair (a
//   writer fed char by char, Order.String(emoji, 0, 1)) where Lwt's can end inside a UTF-8
//   sequence. WriteOrder keeps such a high surrogate back, per channel, until the next
//   order completes the pair, so that the channel gets the bytes of the whole text as in
//   Lwt; a Flush order writes one still kept back as U+FFFD, as StreamWriter.Flush does
//   (see "surrogate pairs cut between orders" below).
// - What commit throws, or a null promise from it, rejects the printing function's promise
//   instead of escaping from the call: the promise is the one channel of failures.
// - MakeStream's stream ends when the formatter's writer is disposed, and also, as in Lwt,
//   after the writer is garbage-collected (LwtGC.Finalise), so that a reader does not wait
//   for ever on a formatter nobody can reach.

using System.Globalization;
using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// Formatted printing on Lwt channels: the printing functions return a promise that resolves
/// once the text is written to the channel.
/// <para>Lwt: <c>Lwt_fmt</c></para>
/// </summary>
public static partial class LwtFmt
{
    // ---- formatters ----------------------------------------------------------------

    /// <summary>
    /// A formatter whose orders are pushed into a stream, in the order they are made; its
    /// commit does nothing (the orders are in the stream already). The stream ends when the
    /// formatter's writer (<see cref="GetFormatter"/>) is disposed, or after it is
    /// garbage-collected.
    /// <para>Lwt: <c>Lwt_fmt.make_stream</c></para>
    /// </summary>
    public static (LwtStream<Order> Stream, Formatter Formatter) MakeStream()
    {
        var (stream, push) = LwtStream.Create<Order>();
        var writer = new OrderWriter(order => push(Option.Some(order)), () => push(Option<Order>.None));
        // Registered on the writer, not the formatter: the writer can outlive its formatter
        // (GetFormatter hands it out), and orders can come as long as it is reachable.
        LwtGC.Finalise(static w => { w.Dispose(); return Promise.ReturnUnit; }, writer);
        return (stream, new Formatter(static () => Promise.ReturnUnit, writer));
    }

    /// <summary>
    /// A formatter that writes to <paramref name="oc"/>: printing queues the text and writes
    /// the queue into the channel; <see cref="Flush"/> also flushes the channel.
    /// <para>Lwt: <c>Lwt_fmt.of_channel</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Formatter OfChannel(OutputChannel oc)
    {
        ArgumentNullException.ThrowIfNull(oc);
        var pending = new Queue<Order>();
        return new Formatter(() => WriteOrders(oc, pending), new OrderWriter(pending.Enqueue, onClose: null));
    }

    // Each commit takes the orders queued so far, one at a time; a commit made while an
    // earlier one waits takes the later orders, and the channel's FIFO turn keeps the writes
    // in queue order. After a failure the orders not yet taken stay for the next commit.
    private static Promise WriteOrders(OutputChannel oc, Queue<Order> pending)
    {
        while (pending.TryDequeue(out var order))
        {
            var written = WriteOrder(oc, order);
            if (written.IsPending) return written.Bind(() => WriteOrders(oc, pending));
            if (written.IsRejected) return written;
        }

        return Promise.ReturnUnit;
    }

    // One formatter per standard channel for the whole process, whichever thread asks first
    // (LazyInitializer publishes one): two would each keep a queue of their own, and their
    // orders could interleave.
    private static Formatter? s_stdout, s_stderr;

    /// <summary>The formatter of <see cref="LwtIO.Stdout"/>.<para>Lwt: <c>Lwt_fmt.stdout</c></para></summary>
    public static Formatter Stdout => LazyInitializer.EnsureInitialized(ref s_stdout, static () => OfChannel(LwtIO.Stdout));

    /// <summary>The formatter of <see cref="LwtIO.Stderr"/>.<para>Lwt: <c>Lwt_fmt.stderr</c></para></summary>
    public static Formatter Stderr => LazyInitializer.EnsureInitialized(ref s_stderr, static () => OfChannel(LwtIO.Stderr));


    /// <summary>
    /// A formatter over a writer of your own: printing writes the text into
    /// <paramref name="fmt"/> and then calls <paramref name="commit"/>, whose promise it
    /// returns; <see cref="Flush"/> flushes <paramref name="fmt"/> and then commits. What
    /// <paramref name="commit"/> throws rejects that promise.
    /// <para>Lwt: <c>Lwt_fmt.make_formatter</c></para>
    /// </summary>
    /// <param name="commit">Carries out what the writer holds (Lwt's <c>~commit</c>).</param>
    /// <param name="fmt">The writer the text is formatted into (Lwt's <c>~fmt</c>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Formatter MakeFormatter(Func<Promise> commit, TextWriter fmt)
    {
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(fmt);
        return new Formatter(commit, fmt);
    }

    /// <summary>
    /// The writer the formatter's text goes into. Text written to it directly is committed by
    /// the next printing function, <see cref="WritePending"/> or <see cref="Flush"/>.
    /// <para>Lwt: <c>Lwt_fmt.get_formatter</c></para>
    /// </summary>
    /// <param name="formatter">The formatter.</param>
    /// <exception cref="ArgumentNullException"><paramref name="formatter"/> is null.</exception>
    public static TextWriter GetFormatter(this Formatter formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        return formatter.Writer;
    }

    // ---- printing ------------------------------------------------------------------

    /// <summary>
    /// Formats (composite format, invariant culture) to <see cref="Stdout"/>; the promise
    /// resolves once the text is in <see cref="LwtIO.Stdout"/> (not flushed).
    /// <para>Lwt: <c>Lwt_fmt.printf</c></para>
    /// </summary>
    /// <param name="format">A composite format string ("{0} items").</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="format"/> or <paramref name="args"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="format"/> is invalid.</exception>
    public static Promise Printf(string format, params object?[] args) => FPrintf(Stdout, format, args);

    /// <summary>
    /// Formats (composite format, invariant culture) to <see cref="Stderr"/>; the promise
    /// resolves once the text is in <see cref="LwtIO.Stderr"/> (not flushed).
    /// <para>Lwt: <c>Lwt_fmt.eprintf</c></para>
    /// </summary>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="format"/> or <paramref name="args"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="format"/> is invalid.</exception>
    public static Promise EPrintf(string format, params object?[] args) => FPrintf(Stderr, format, args);

    /// <summary>
    /// Formats (composite format, invariant culture) into the formatter's writer, then
    /// commits: for a channel formatter, the promise resolves once the text is in the channel
    /// (not flushed).
    /// <para>Lwt: <c>Lwt_fmt.fprintf</c></para>
    /// </summary>
    /// <param name="formatter">The formatter.</param>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="FormatException"><paramref name="format"/> is invalid.</exception>
    public static Promise FPrintf(this Formatter formatter, string format, params object?[] args) =>
        KFPrintf(static (_, written) => written, formatter, format, args);

    /// <summary>
    /// As <see cref="FPrintf"/>, then returns what <paramref name="k"/> makes of the formatter
    /// and the commit's promise.
    /// <para>Lwt: <c>Lwt_fmt.kfprintf</c></para>
    /// </summary>
    /// <param name="k">The continuation, given the formatter and the promise of the commit.</param>
    /// <param name="formatter">The formatter.</param>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    /// <typeparam name="T">What the continuation returns.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="FormatException"><paramref name="format"/> is invalid.</exception>
    public static T KFPrintf<T>(Func<Formatter, Promise, T> k, Formatter formatter, string format, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(args);
        formatter.Writer.Write(string.Format(CultureInfo.InvariantCulture, format, args));
        return k(formatter, formatter.Commit());
    }

    /// <summary>
    /// Formats nothing and writes nothing: a resolved promise, as
    /// <see cref="FPrintf"/>'s place-holder when printing is turned off. The arguments are not
    /// formatted (their ToString is not called).
    /// <para>Lwt: <c>Lwt_fmt.ifprintf</c></para>
    /// </summary>
    /// <param name="formatter">The formatter.</param>
    /// <param name="format">A composite format string (not read).</param>
    /// <param name="args">The arguments (not read).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IFPrintf(this Formatter formatter, string format, params object?[] args) =>
        IKFPrintf(static (_, done) => done, formatter, format, args);

    /// <summary>
    /// Formats nothing and writes nothing, then returns what <paramref name="k"/> makes of the
    /// formatter and a resolved promise.
    /// <para>Lwt: <c>Lwt_fmt.ikfprintf</c></para>
    /// </summary>
    /// <param name="k">The continuation, given the formatter and a resolved promise.</param>
    /// <param name="formatter">The formatter.</param>
    /// <param name="format">A composite format string (not read).</param>
    /// <param name="args">The arguments (not read).</param>
    /// <typeparam name="T">What the continuation returns.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static T IKFPrintf<T>(Func<Formatter, Promise, T> k, Formatter formatter, string format, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(args);
        return k(formatter, Promise.ReturnUnit);
    }

    // ---- committing ----------------------------------------------------------------

    /// <summary>
    /// Flushes the formatter's writer (which adds a <see cref="Order.Flush"/> order to the
    /// formatters made here), then commits: a channel formatter writes what is pending and
    /// flushes the channel.
    /// <para>Lwt: <c>Lwt_fmt.flush</c></para>
    /// </summary>
    /// <param name="formatter">The formatter.</param>
    /// <exception cref="ArgumentNullException"><paramref name="formatter"/> is null.</exception>
    public static Promise Flush(this Formatter formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        formatter.Writer.Flush();
        return formatter.Commit();
    }

    /// <summary>
    /// Commits what is pending, without flushing the writer or the channel: for a channel
    /// formatter, writes the queued orders into the channel. Low-level; <see cref="Flush"/>
    /// is what most callers want.
    /// <para>Lwt: <c>Lwt_fmt.write_pending</c></para>
    /// </summary>
    /// <param name="formatter">The formatter.</param>
    /// <exception cref="ArgumentNullException"><paramref name="formatter"/> is null.</exception>
    public static Promise WritePending(this Formatter formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        return formatter.Commit();
    }

    /// <summary>
    /// Carries out one order on a channel: a <see cref="Order.String"/> order writes its range
    /// of chars (as UTF-8, <see cref="LwtIO.WriteFromStringExactly"/>), <see cref="Order.Flush"/>
    /// flushes the channel (<see cref="LwtIO.Flush"/>). The orders written to one channel
    /// give the bytes of their text as a whole, as a StreamWriter does across its writes: a
    /// range that ends with a high surrogate keeps it back for the next order to the channel,
    /// which completes the pair; a <see cref="Order.Flush"/> writes a surrogate still kept
    /// back as U+FFFD, as StreamWriter.Flush does.
    /// <para>Lwt: <c>Lwt_fmt.write_order</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="order">The order.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise WriteOrder(OutputChannel oc, Order order)
    {
        ArgumentNullException.ThrowIfNull(oc);
        ArgumentNullException.ThrowIfNull(order);
        // The common case, whole strings and no channel keeping a surrogate back, is the plain
        // write; anything else takes the split-pair path.
        if (s_heldCount == 0)
        {
            if (order.IsFlush) return LwtIO.Flush(oc);
            string text = order.Text;
            int end = order.Offset + order.Length;
            if (order.Length == 0 || !char.IsHighSurrogate(text[end - 1]))
                return LwtIO.WriteFromStringExactly(oc, text, order.Offset, order.Length);
        }

        return WriteOrderAcrossPairs(oc, order);
    }

    // ---- surrogate pairs cut between orders ----------------------------------------
    //
    // Lwt's orders are byte ranges written verbatim, so a UTF-8 sequence cut between two
    // orders comes out whole. Here orders are chars and the channel takes UTF-8, which has no
    // bytes for half a surrogate pair: the cut pair must meet again before it is encoded. So
    // each channel has, as a StreamWriter's encoder, at most one high surrogate kept back: the
    // last char of a range, held until the next order to that channel. A String order puts it
    // in front of its own range (a low surrogate there completes the pair; anything else
    // leaves it unpaired, U+FFFD, as StreamWriter does); an empty order leaves it waiting; a
    // Flush order writes it, unpaired, before flushing, as StreamWriter.Flush does. A commit
    // alone does not: it is StreamWriter's buffering, which keeps the surrogate for the next
    // write. Text written to the channel other than by WriteOrder goes ahead of a surrogate
    // kept back, and one still kept back when the channel closes is dropped.
    //
    // The state hangs on the channel (not its formatter) because WriteOrder is the channel's
    // writer: two formatters on one channel, or a MakeStream consumer, write into the same
    // byte stream. It is keyed by the channel's core, the buffer and backend that the
    // wrapper an Atomic block is given shares with the channel itself. State changes happen at the call, in call order, which is the order the
    // channel's FIFO turn writes in, so printfs queued while a write waits stay in order. A
    // channel is used from one thread, so its Held needs no lock; s_heldCount, shared by
    // every thread, counts the channels keeping one back, so that WriteOrder looks nothing up
    // while none does. A channel collected while keeping one leaves the count above zero,
    // which only costs later calls the lookup.
    private sealed class Held
    {
        internal char High; // '\0' when nothing is kept back (a high surrogate is never '\0')
    }

    private static readonly ConditionalWeakTable<ChannelCore, Held> s_held = new();
    private static int s_heldCount;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise WriteOrderAcrossPairs(OutputChannel oc, Order order)
    {
        s_held.TryGetValue(oc.Core, out var held);
        char kept = held?.High ?? '\0';
        if (order.IsFlush)
        {
            if (kept == '\0') return LwtIO.Flush(oc);
            Keep(held!, '\0');
            // Both calls are made now: the channel's FIFO turn writes the surrogate before the flush.
            return Promise.Join(LwtIO.WriteFromStringExactly(oc, kept.ToString(), 0, 1), LwtIO.Flush(oc));
        }

        string text = order.Text;
        int offset = order.Offset, length = order.Length;
        // An empty range has nothing to complete a pair with: the surrogate keeps waiting.
        if (length == 0) return LwtIO.WriteFromStringExactly(oc, text, offset, 0);

        char last = text[offset + length - 1];
        int now = char.IsHighSurrogate(last) ? length - 1 : length;
        if (now < length) Keep(held ?? s_held.GetValue(oc.Core, static _ => new Held()), last);
        else if (kept != '\0') Keep(held!, '\0');

        if (kept == '\0') return LwtIO.WriteFromStringExactly(oc, text, offset, now);
        string joined = string.Concat(new ReadOnlySpan<char>(in kept), text.AsSpan(offset, now));
        return LwtIO.WriteFromStringExactly(oc, joined, 0, joined.Length);
    }

    private static void Keep(Held held, char high)
    {
        if (held.High == '\0' && high != '\0') Interlocked.Increment(ref s_heldCount);
        else if (held.High != '\0' && high == '\0') Interlocked.Decrement(ref s_heldCount);
        held.High = high;
    }
}
