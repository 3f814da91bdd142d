using System.Text;
using Order = Lwt.LwtFmt.Order;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtFmt and text split inside a surrogate pair: the bytes a channel receives through
/// WriteOrder are those of the whole text, as a StreamWriter (one encoder across writes)
/// produces, however the text was cut into writes and orders.
/// </summary>
[Collection("IO")]
public class LwtFmtSurrogateTests
{
    private const string Smiley = "\U0001F600"; // U+1F600, two chars: D83D DE00
    private const char High = '\uD83D';
    private const char Low = '\uDE00';

    /// <summary>The recording channel of <see cref="LwtFmtTests"/>.</summary>
    private static OutputChannel Recording(List<byte> sink, bool slow = false, int? bufferSize = null) =>
        LwtFmtTests.Recording(sink, slow, bufferSize);

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static string Hex(IEnumerable<byte> bytes) => Convert.ToHexString(bytes.ToArray());

    private static string Utf8Hex(string text) => Convert.ToHexString(s_utf8.GetBytes(text));

    /// <summary>What a StreamWriter gives for the same writes, with Flush where a flush order stands (null).</summary>
    private static string StreamWriterHex(IEnumerable<string?> writes)
    {
        var ms = new MemoryStream();
        using (var sw = new StreamWriter(ms, s_utf8, leaveOpen: true))
        {
            foreach (var piece in writes)
            {
                if (piece is null) sw.Flush();
                else sw.Write(piece);
            }

            sw.Flush();
        }

        return Convert.ToHexString(ms.ToArray());
    }

    [Fact]
    public void OfChannel_writer_char_by_char_gives_the_bytes_of_the_whole_text()
    {
        const string text = "a" + Smiley + "b" + Smiley + Smiley + "é";
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var f = LwtFmt.OfChannel(Recording(sink));
            var w = f.GetFormatter();
            foreach (char c in text) w.Write(c);
            await f.Flush();
        });

        Assert.Equal(Utf8Hex(text), Hex(sink));
        Assert.Equal(StreamWriterHex(text.Select(c => (string?)c.ToString())), Hex(sink));
        Assert.Equal(text, s_utf8.GetString(sink.ToArray()));
    }

    [Fact]
    public void OfChannel_writer_given_a_StringBuilder_whose_chunks_cut_a_pair_writes_it_whole()
    {
        var sb = new StringBuilder(2); // a first chunk of two chars: "a" and the high surrogate
        sb.Append("a" + Smiley + "b");
        var chunks = new List<string>();
        foreach (var chunk in sb.GetChunks()) chunks.Add(chunk.ToString());
        Assert.True(chunks.Count >= 2 && chunks[0] == "a" + High, "the chunks do not cut the pair: " + string.Join("|", chunks));

        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var f = LwtFmt.OfChannel(Recording(sink));
            f.GetFormatter().Write(sb); // one write per chunk
            await f.Flush();
        });

        Assert.Equal(Utf8Hex("a" + Smiley + "b"), Hex(sink));
    }

    [Fact]
    public void WriteOrder_joins_a_pair_cut_between_two_string_orders()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            await LwtFmt.WriteOrder(oc, Order.String("x" + Smiley, 0, 2));  // "x" and the high surrogate
            Assert.Equal(1, oc.Position());                                   // the high surrogate waits for what follows
            await LwtFmt.WriteOrder(oc, Order.String(Smiley, 1, 1));          // the low surrogate
            await LwtFmt.WriteOrder(oc, Order.String("", 0, 0));              // nothing: changes nothing
            await LwtFmt.WriteOrder(oc, Order.String(Smiley + "y", 0, 1));    // a high surrogate alone
            await LwtFmt.WriteOrder(oc, Order.String("", 0, 0));              // an empty order does not release it
            await LwtFmt.WriteOrder(oc, Order.String(Smiley + "y", 1, 2));    // its low surrogate and "y"
            await LwtFmt.WriteOrder(oc, Order.Flush);
        });

        Assert.Equal(Utf8Hex("x" + Smiley + Smiley + "y"), Hex(sink));
    }

    [Fact]
    public void A_high_surrogate_is_held_across_commits_and_written_as_a_replacement_char_by_flush()
    {
        // The writes, null for a Flush; the expected bytes are StreamWriter's for the same writes:
        // a commit (WritePending, a printf) keeps the high surrogate, as StreamWriter's own
        // buffering does; Flush writes it as U+FFFD, as StreamWriter.Flush does, and a low
        // surrogate after it is then alone (U+FFFD too).
        string?[] writes = ["a" + High, Low + "b" + High, null, Low + "c" + High, High.ToString(), Low + "d" + High + "e"];
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            var f = LwtFmt.OfChannel(oc);
            foreach (var piece in writes)
            {
                if (piece is null)
                {
                    await f.Flush();
                }
                else
                {
                    await f.FPrintf("{0}", piece);
                    await f.WritePending();
                }
            }

            await f.Flush();
        });

        Assert.Equal(StreamWriterHex(writes), Hex(sink));
        Assert.Equal(
            Utf8Hex("a" + Smiley + "b\uFFFD\uFFFDc\uFFFD" + Smiley + "d\uFFFDe"),
            Hex(sink));
    }

    [Fact]
    public void A_held_high_surrogate_is_not_written_by_a_commit_but_by_the_write_that_completes_it()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            var f = LwtFmt.OfChannel(oc);
            await f.FPrintf("{0}", "a" + High);
            await LwtIO.Flush(oc);                     // the channel is flushed, the formatter is not
            Assert.Equal(Utf8Hex("a"), Hex(sink));    // no U+FFFD for a pair not yet complete
            await f.FPrintf("{0}", Low + "b");
            await f.Flush();
        });

        Assert.Equal(Utf8Hex("a" + Smiley + "b"), Hex(sink));
    }

    [Fact]
    public void Split_pairs_stay_in_order_with_printfs_made_while_a_write_waits()
    {
        var expected = new StringBuilder();
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink, slow: true, bufferSize: 16);
            var f = LwtFmt.OfChannel(oc);
            var w = f.GetFormatter();
            var printed = new List<Promise>();
            for (int i = 0; i < 20; i++)
            {
                string piece = i + Smiley + new string((char)('a' + i), 7);
                expected.Append(piece);
                foreach (char c in piece) w.Write(c);   // char by char: every pair is cut
                printed.Add(f.FPrintf("{0}", "|" + High)); // a commit that ends inside a pair...
                w.Write(Low);                              // ...completed by the next write
                expected.Append('|').Append(Smiley);
            }

            Assert.True(printed.Count(p => p.IsPending) > 1); // the 16-byte buffer makes the later printfs queue
            await Promise.Join(printed);
            await f.Flush();
        });

        Assert.Equal(Utf8Hex(expected.ToString()), Hex(sink));
    }

    [Fact]
    public void MakeStream_orders_keep_the_writes_and_WriteOrder_rejoins_them()
    {
        var sink = new List<byte>();
        var orders = LwtMain.Run(async () =>
        {
            var (stream, f) = LwtFmt.MakeStream();
            var w = f.GetFormatter();
            foreach (char c in "a" + Smiley) w.Write(c);
            await f.Flush();
            w.Dispose();

            var oc = Recording(sink);
            var all = await stream.ToList();
            foreach (var order in all) await LwtFmt.WriteOrder(oc, order);
            return all;
        });

        // The stream has the writes as they were made, one order each, as Lwt's orders are
        // the pieces Format gave; the channel has the whole text.
        Assert.Equal(new[]
        {
            Order.String("a", 0, 1), Order.String(High.ToString(), 0, 1), Order.String(Low.ToString(), 0, 1), Order.Flush,
        }, orders);
        Assert.Equal(Utf8Hex("a" + Smiley), Hex(sink));
    }

    [Fact]
    public void A_high_surrogate_held_for_one_channel_does_not_touch_another()
    {
        var sinkA = new List<byte>();
        var sinkB = new List<byte>();
        LwtMain.Run(async () =>
        {
            var a = Recording(sinkA);
            var b = Recording(sinkB);
            await LwtFmt.WriteOrder(a, Order.String(Smiley, 0, 1));
            await LwtFmt.WriteOrder(b, Order.String("x" + Smiley, 0, 1));
            await LwtFmt.WriteOrder(b, Order.Flush);
            await LwtFmt.WriteOrder(a, Order.String(Smiley, 1, 1));
            await LwtFmt.WriteOrder(a, Order.Flush);
        });

        Assert.Equal(Utf8Hex(Smiley), Hex(sinkA));
        Assert.Equal(Utf8Hex("x"), Hex(sinkB));
    }

    [Fact]
    public void An_Atomic_wrapper_completes_a_pair_its_channel_began()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            await LwtFmt.WriteOrder(oc, Order.String("a" + Smiley, 0, 2));
            int done = await LwtIO.Atomic(oc, async w =>
            {
                Assert.NotSame(oc, w);
                await LwtFmt.WriteOrder(w, Order.String(Smiley + "b", 1, 2));
                return 1;
            });
            Assert.Equal(1, done);
            await LwtFmt.WriteOrder(oc, Order.Flush);
        });

        Assert.Equal(Utf8Hex("a" + Smiley + "b"), Hex(sink));
    }
}
