// LwtIO: streams of lines and chars over channels, writes from part of a
// string, Lwt's other names for printing, and hex dumps.
//
// Chars are bytes here as in Lwt (0..255: ReadChar, WriteChar); strings are
// UTF-8 text (Write, WriteLine). So WriteFromString counts in the string's
// chars and writes their UTF-8 bytes, and Hexdump(oc, string) dumps the bytes
// Write(oc, string) would write.

using System.Text.Unicode;

namespace Lwt;

public static partial class LwtIO
{
    /// <summary>
    /// Writes each line of <paramref name="lines"/> followed by "\n", in order, until the
    /// stream ends; resolves then (the channel is not flushed nor closed).
    /// <para>Lwt: <c>Lwt_io.write_lines</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="lines">The lines.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise WriteLines(this OutputChannel oc, LwtStream<string> lines)
    {
        ArgumentNullException.ThrowIfNull(oc);
        ArgumentNullException.ThrowIfNull(lines);
        return lines.IterS(line => WriteLine(oc, line));
    }

    /// <summary>
    /// The bytes of the channel as a stream of chars (0..255), ending at end of input.
    /// <para>Lwt: <c>Lwt_io.read_chars</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static LwtStream<char> ReadChars(this InputChannel ic)
    {
        ArgumentNullException.ThrowIfNull(ic);
        return LwtStream.From(() => ReadCharOpt(ic));
    }

    /// <summary>
    /// Writes each char of <paramref name="chars"/> as one byte (see <see cref="WriteChar"/>)
    /// until the stream ends.
    /// <para>Lwt: <c>Lwt_io.write_chars</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="chars">The bytes, as chars (0..255).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise WriteChars(this OutputChannel oc, LwtStream<char> chars)
    {
        ArgumentNullException.ThrowIfNull(oc);
        ArgumentNullException.ThrowIfNull(chars);
        return chars.IterS(c => WriteChar(oc, c));
    }

    /// <summary>
    /// Writes some of the chars <c>text[offset..offset+length)</c> (as UTF-8), as
    /// <see cref="WriteFrom"/> does with bytes: all of them if they fit in the buffer;
    /// otherwise as many whole chars as fit, then part of the buffer is written out and, only
    /// if that emptied it, the rest follows. The number of chars taken (0 when the buffer was
    /// full and the backend took only part of it, as in Lwt). A surrogate pair is never split.
    /// <para>Lwt: <c>Lwt_io.write_from_string</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The string.</param>
    /// <param name="offset">The first char to write.</param>
    /// <param name="length">The number of chars.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="text"/>.</exception>
    public static Promise<int> WriteFromString(this OutputChannel oc, string text, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(oc);
        CheckRange(text, offset, length);
        // No shortcut for length 0: Lwt's write_from_string is a primitive whatever the
        // length, so it waits for its turn (after the operations queued) and fails on a
        // closed channel.
        return oc.Locked(ch => WriteSomeChars((OutputChannel)ch, text.AsMemory(offset, length)));
    }

    private static async Promise<int> WriteSomeChars(OutputChannel oc, ReadOnlyMemory<char> chars)
    {
        // As WriteSome (LwtIO.cs), Lwt's write_from: copy the whole chars that fit; if some are
        // left, flush part of the buffer and go on only if that emptied it.
        var c = oc.Core;
        int total = 0;
        while (true)
        {
            // FromUtf16 stops at the last whole scalar that fits, so nothing is cut in two.
            Utf8.FromUtf16(chars.Span[total..], c.Buffer.AsSpan(c.Max), out int taken, out int written, replaceInvalidSequences: true, isFinalBlock: true);
            c.Max += written;

            total += taken;
            if (total == chars.Length) return total;
            await Guard(c, c.FlushSome());
            if (c.Max != c.Ptr) return total;
        }
    }

    /// <summary>
    /// Writes the chars <c>text[offset..offset+length)</c> (as UTF-8), all of them.
    /// <para>Lwt: <c>Lwt_io.write_from_string_exactly</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The string.</param>
    /// <param name="offset">The first char to write.</param>
    /// <param name="length">The number of chars.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="text"/>.</exception>
    public static Promise WriteFromStringExactly(this OutputChannel oc, string text, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(oc);
        CheckRange(text, offset, length);
        return WriteFromExactly(oc, s_utf8.GetBytes(text, offset, length));
    }

    /// <summary>The checks of a (text, offset, length) range of chars: null text, negative or out-of-range bounds (also LwtFmt.Order.String).</summary>
    internal static void CheckRange(string text, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, text.Length - offset);
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="oc"/>: <see cref="Write"/> under Lwt's printing name.<para>Lwt: <c>Lwt_io.fprint</c></para></summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise FPrint(this OutputChannel oc, string text) => Write(oc, text);

    /// <summary>Writes <paramref name="text"/> and a newline to <paramref name="oc"/>: <see cref="WriteLine"/> under Lwt's printing name.<para>Lwt: <c>Lwt_io.fprintl</c></para></summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise FPrintl(this OutputChannel oc, string text) => WriteLine(oc, text);

    /// <summary>
    /// Formats (C# composite format, invariant culture) and writes to <see cref="Stderr"/>.
    /// <para>Lwt: <c>Lwt_io.eprintf</c></para>
    /// </summary>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    public static Promise EPrintf(string format, params object?[] args) => Write(Stderr, Format(format, args));

    /// <summary>
    /// Formats, writes to <see cref="Stderr"/>, and adds a newline.
    /// <para>Lwt: <c>Lwt_io.eprintlf</c></para>
    /// </summary>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    public static Promise EPrintlf(string format, params object?[] args) => WriteLine(Stderr, Format(format, args));

    /// <summary>
    /// Writes a hex dump of the bytes (chars 0..255) of <paramref name="bytes"/>, one line of
    /// sixteen bytes at a time, in Lwt's format (<see cref="LwtStream.Hexdump"/>).
    /// <para>Lwt: <c>Lwt_io.hexdump_stream</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="bytes">The bytes, as chars.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise HexdumpStream(this OutputChannel oc, LwtStream<char> bytes)
    {
        ArgumentNullException.ThrowIfNull(oc);
        ArgumentNullException.ThrowIfNull(bytes);
        return WriteLines(oc, LwtStream.Hexdump(bytes));
    }

    /// <summary>
    /// Writes a hex dump of the UTF-8 bytes of <paramref name="text"/> (what
    /// <see cref="Write"/> would write), in Lwt's format.
    /// <para>Lwt: <c>Lwt_io.hexdump</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise Hexdump(this OutputChannel oc, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Hexdump(oc, s_utf8.GetBytes(text));
    }

    /// <summary>
    /// Writes a hex dump of <paramref name="bytes"/>, in Lwt's format.
    /// <para>Lwt: <c>Lwt_io.hexdump</c> (over bytes)</para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="bytes">The bytes.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise Hexdump(this OutputChannel oc, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(oc);
        ArgumentNullException.ThrowIfNull(bytes);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = (char)bytes[i];
        return HexdumpStream(oc, LwtStream.OfArray(chars));
    }
}
