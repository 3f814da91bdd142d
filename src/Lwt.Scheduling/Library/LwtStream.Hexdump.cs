namespace Lwt;

/*
 * Lwt_stream.hexdump: the lines of a classic hex dump of a stream of bytes
 * (chars 0..255, Lwt's chars), sixteen bytes a line. The format is Lwt's, to
 * the space, so that dumps compare with those of OCaml programs:
 *
 *   00000000|  68 65 6c 6c 6f 0a                                |hello.|
 *
 * the offset in eight hex digits and "|  ", each byte as two hex digits and a
 * space with one more space before the ninth, three blanks per missing byte
 * (four for the ninth), then " |", the bytes as ASCII ('.' outside 0x20..0x7e)
 * and "|". A stream that is empty gives no line.
 */

public static partial class LwtStream
{
    /// <summary>
    /// The lines of a hex dump of <paramref name="bytes"/> (sixteen bytes a line, in Lwt's
    /// format, see the file's comment). Each char is a byte (0..255); a char above 255 makes
    /// the stream fail with <see cref="ArgumentOutOfRangeException"/>.
    /// <para>Lwt: <c>Lwt_stream.hexdump</c></para>
    /// </summary>
    /// <param name="bytes">The bytes, as chars.</param>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is null.</exception>
    public static LwtStream<string> Hexdump(LwtStream<char> bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        long offset = 0;
        return From(() => bytes.NGet(16).Map(line =>
        {
            if (line.Count == 0) return Option<string>.None;
            string text = HexdumpLine(offset, line);
            offset += 16;
            return Option<string>.Some(text);
        }));
    }

    /// <summary>One line of <see cref="Hexdump"/>: at most sixteen bytes at <paramref name="offset"/>.</summary>
    internal static string HexdumpLine(long offset, IReadOnlyList<char> line)
    {
        var sb = new System.Text.StringBuilder(80);
        sb.Append(offset.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append("|  ");
        for (int pos = 0; pos < 16; pos++)
        {
            if (pos < line.Count)
            {
                char c = line[pos];
                if (c > 255) throw new ArgumentOutOfRangeException(nameof(line), (int)c, "Lwt_stream.hexdump: a char above 255 is not a byte.");
                if (pos == 8) sb.Append(' ');
                sb.Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
            }
            else
            {
                sb.Append(pos == 8 ? "    " : "   ");
            }
        }

        sb.Append(" |");
        foreach (char c in line) sb.Append(c >= '\x20' && c <= '\x7e' ? c : '.');
        return sb.Append('|').ToString();
    }
}
