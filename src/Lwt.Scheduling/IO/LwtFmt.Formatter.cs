// The two types of Lwt_fmt: the orders a formatter's writer produces (LwtFmt.Order,
// Lwt_fmt.order) and the formatter itself (LwtFmt.Formatter, Lwt_fmt.formatter).
//
// Order is a class rather than a struct so that it has no meaningless default value
// (default(Order) would be neither a String nor a Flush). It compares by value, as OCaml's
// structural equality does on the variant, which is what a reader of MakeStream's stream
// (and a test) wants. A String order names its range in chars of the text; the bytes that
// reach a channel are that range's UTF-8 (LwtIO.WriteFromStringExactly). A range may cut a
// surrogate pair, as Lwt's byte ranges may cut a UTF-8 sequence: WriteOrder joins the two
// halves again on the channel (LwtFmt.cs).
//
// A Formatter is Lwt's record of two fields, a commit function and the synchronous
// formatter (a TextWriter here), with nothing public: everything is done through LwtFmt's
// functions, as in Lwt, where the record is abstract.

using System.Diagnostics;

namespace Lwt;

public static partial class LwtFmt
{
    /// <summary>
    /// One instruction of a formatter: write part of a string (<see cref="String"/>), or flush
    /// (<see cref="Flush"/>). <see cref="MakeStream"/> hands them out;
    /// <see cref="WriteOrder"/> carries one out on a channel.
    /// <para>Lwt: <c>Lwt_fmt.order</c></para>
    /// </summary>
    [DebuggerDisplay("{ToString(),nq}")]
    public sealed class Order : IEquatable<Order>
    {
        private readonly string? _text; // null for Flush
        private readonly int _offset;
        private readonly int _length;

        private Order(string? text, int offset, int length)
        {
            _text = text;
            _offset = offset;
            _length = length;
        }

        /// <summary>
        /// The order to write <c>text[offset..offset+length)</c>. The range may cut a surrogate
        /// pair: <see cref="WriteOrder"/> writes the pair whole when the next order to the
        /// channel holds its other half.
        /// <para>Lwt: <c>Lwt_fmt.String (s, off, len)</c></para>
        /// </summary>
        /// <param name="text">The string.</param>
        /// <param name="offset">The first char to write.</param>
        /// <param name="length">The number of chars.</param>
        /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="text"/>.</exception>
        public static Order String(string text, int offset, int length)
        {
            LwtIO.CheckRange(text, offset, length); // the range WriteOrder will hand to WriteFromStringExactly
            return new Order(text, offset, length);
        }

        /// <summary>The whole of a string the writer was given (no range to check).</summary>
        internal static Order Whole(string text) => new(text, 0, text.Length);

        /// <summary>The order to flush.<para>Lwt: <c>Lwt_fmt.Flush</c></para></summary>
        public static Order Flush { get; } = new(null, 0, 0);

        /// <summary>Whether this is a <see cref="String"/> order.<para>Lwt: <c>Lwt_fmt.String _</c></para></summary>
        public bool IsString => _text is not null;

        /// <summary>Whether this is the <see cref="Flush"/> order.<para>Lwt: <c>Lwt_fmt.Flush</c></para></summary>
        public bool IsFlush => _text is null;

        /// <summary>The string of a <see cref="String"/> order (the whole string, not only the range).<para>Lwt: <c>s</c> in <c>Lwt_fmt.String (s, off, len)</c></para></summary>
        /// <exception cref="InvalidOperationException">The order is <see cref="Flush"/>.</exception>
        public string Text => _text ?? throw NotAString();

        /// <summary>The first char of the range of a <see cref="String"/> order.<para>Lwt: <c>off</c> in <c>Lwt_fmt.String (s, off, len)</c></para></summary>
        /// <exception cref="InvalidOperationException">The order is <see cref="Flush"/>.</exception>
        public int Offset => _text is not null ? _offset : throw NotAString();

        /// <summary>The number of chars in the range of a <see cref="String"/> order.<para>Lwt: <c>len</c> in <c>Lwt_fmt.String (s, off, len)</c></para></summary>
        /// <exception cref="InvalidOperationException">The order is <see cref="Flush"/>.</exception>
        public int Length => _text is not null ? _length : throw NotAString();

        private static InvalidOperationException NotAString() =>
            new("The order is Flush; check IsString before reading Text, Offset or Length.");

        /// <summary>
        /// Whether both are <see cref="Flush"/>, or both are <see cref="String"/> with equal
        /// strings, offsets and lengths.
        /// <para>Lwt: <c>(=)</c> on <c>Lwt_fmt.order</c></para>
        /// </summary>
        /// <param name="other">The other order.</param>
        public bool Equals(Order? other) =>
            other is not null && string.Equals(_text, other._text, StringComparison.Ordinal)
            && _offset == other._offset && _length == other._length;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as Order);

        /// <inheritdoc/>
        public override int GetHashCode() => _text is null ? 0 : HashCode.Combine(_text, _offset, _length);

        /// <summary>
        /// <c>Flush</c>, or <c>String("text", offset, length)</c> with the whole string.
        /// <para>Lwt: none (for debugging and messages)</para>
        /// </summary>
        public override string ToString() =>
            _text is null ? "Flush" : $"String(\"{_text}\", {_offset}, {_length})";
    }

    /// <summary>
    /// A formatter whose printing functions return promises: a <see cref="TextWriter"/> that
    /// collects the text (<see cref="GetFormatter"/>) and a commit function that writes what
    /// it collected. Made by <see cref="OfChannel"/>, <see cref="MakeStream"/> and
    /// <see cref="MakeFormatter"/>. Use it from one thread, as the channel it writes to.
    /// <para>Lwt: <c>Lwt_fmt.formatter</c></para>
    /// </summary>
    public sealed class Formatter
    {
        private readonly Func<Promise> _commit;

        internal Formatter(Func<Promise> commit, TextWriter writer)
        {
            _commit = commit;
            Writer = writer;
        }

        internal TextWriter Writer { get; }

        /// <summary>
        /// Calls the commit function. What it throws (unless <see cref="Promise.ExceptionFilter"/>
        /// refuses it), or a null promise, becomes a rejected promise: the printing functions
        /// report failures one way, through their promise.
        /// </summary>
        internal Promise Commit()
        {
            try
            {
                return ThrowHelper.NullAsRejected(_commit());
            }
            catch (Exception e)
            {
                Promise.ExceptionFilter.RethrowIfRefused(e);
                return Promise.Fail(e);
            }
        }
    }
}
