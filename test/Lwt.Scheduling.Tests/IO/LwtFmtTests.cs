using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Formatter = Lwt.LwtFmt.Formatter;
using Lwt.Tests.Loop;
using Order = Lwt.LwtFmt.Order;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtFmt (Lwt_fmt): the orders a formatter makes, channel formatters over in-memory
/// channels and pipes, formatters of one's own, the printing variants and bad input.
/// </summary>
[Collection("IO")]
public class LwtFmtTests
{
    /// <summary>An output channel whose backend appends to <paramref name="sink"/> (optionally a pause before each write).</summary>
    internal static OutputChannel Recording(List<byte> sink, bool slow = false, int? bufferSize = null) =>
        LwtIO.MakeOutput(m =>
        {
            var bytes = m.ToArray();
            if (!slow)
            {
                sink.AddRange(bytes);
                return Promise.Return(bytes.Length);
            }

            return Promise.Pause().Map(() =>
            {
                sink.AddRange(bytes);
                return bytes.Length;
            });
        }, bufferSize: bufferSize);

    private static string Text(List<byte> sink) => Encoding.UTF8.GetString(sink.ToArray());

    /// <summary>Records the format provider it is formatted with.</summary>
    private sealed class ProviderProbe : IFormattable
    {
        public IFormatProvider? Seen { get; private set; }

        public int Calls { get; private set; }

        public string ToString(string? format, IFormatProvider? formatProvider)
        {
            Seen = formatProvider;
            Calls++;
            return "probe";
        }

        public override string ToString() => ToString(null, null);
    }

    // ---- make_stream ---------------------------------------------------------------

    [Fact]
    public void MakeStream_printf_pushes_one_string_order_and_flush_a_flush_order()
    {
        var orders = LwtMain.Run(async () =>
        {
            var (stream, f) = LwtFmt.MakeStream();
            var printed = f.FPrintf("{0} + {1} = {2:D2}", 1, 2, 3);
            Assert.True(printed.IsFulfilled); // the stream's commit has nothing to wait for
            Assert.Equal(new[] { Order.String("1 + 2 = 03", 0, 10) }, stream.GetAvailable());

            await LwtFmt.FPrintf(f, "né{0}", '!');
            await f.Flush();
            f.GetFormatter().Dispose(); // ends the stream
            return await stream.ToList();
        });

        Assert.Equal(new[] { Order.String("né!", 0, 3), Order.Flush }, orders);
        Assert.Equal(3, orders[0].Length);
        Assert.Equal(0, orders[0].Offset);
        Assert.Equal("né!", orders[0].Text);
        Assert.True(orders[1].IsFlush);
    }

    [Fact]
    public void MakeStream_writer_turns_each_write_into_an_order_and_disposal_ends_the_stream()
    {
        LwtMain.Run(async () =>
        {
            var (stream, f) = LwtFmt.MakeStream();
            var w = f.GetFormatter();
            Assert.Equal("\n", w.NewLine);
            Assert.Same(CultureInfo.InvariantCulture, w.FormatProvider);

            w.Write("");            // nothing to write, no order
            w.Write('a');
            w.Write("bc".ToCharArray(), 1, 1);
            w.WriteLine("line");    // text and newline in one order
            var t = w.WriteAsync("async");
            Assert.True(t.IsCompletedSuccessfully); // on the calling thread, not the pool
            await w.FlushAsync();

            Assert.False(stream.IsClosed);
            w.Dispose();
            Assert.True(stream.IsClosed);
            Assert.Throws<ObjectDisposedException>(() => w.Write("late"));
            Assert.Throws<ObjectDisposedException>(() => f.Flush());

            var orders = await stream.ToList();
            Assert.Equal(new[]
            {
                Order.String("a", 0, 1), Order.String("c", 0, 1), Order.String("line\n", 0, 5),
                Order.String("async", 0, 5), Order.Flush,
            }, orders);
        });
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static LwtStream<Order> StreamOfAnUnreachableFormatter()
    {
        var (stream, f) = LwtFmt.MakeStream();
        f.FPrintf("{0}", "kept");
        return stream;
    }

    [Fact]
    public void MakeStream_stream_ends_after_its_formatter_is_collected()
    {
        var orders = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var stream = StreamOfAnUnreachableFormatter();
            for (int i = 0; i < 200 && !stream.IsClosed; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await LwtUnix.Sleep(0.01);
            }

            Assert.True(stream.IsClosed, "the stream did not end after its formatter was collected");
            return await stream.ToList();
        }));
        Assert.Equal(new[] { Order.String("kept", 0, 4) }, orders);
    }

    // ---- channel formatters ----------------------------------------------------------

    [Fact]
    public void OfChannel_printf_puts_the_text_in_the_channel_and_flush_writes_it_out()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            var f = LwtFmt.OfChannel(oc);

            var printed = f.FPrintf("hello {0}", "world");
            Assert.True(printed.IsFulfilled);    // it fits in the buffer
            Assert.Equal(11, oc.Position());     // in the channel...
            Assert.Empty(sink);                  // ...but not flushed

            await f.Flush();
            Assert.Equal("hello world", Text(sink));
        });
    }

    [Fact]
    public void OfChannel_text_written_to_the_writer_waits_for_a_commit()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            var f = LwtFmt.OfChannel(oc);
            var w = LwtFmt.GetFormatter(f);

            w.Write("abc");
            w.Flush(); // only queues a Flush order
            Assert.Equal(0, oc.Position());
            Assert.Empty(sink);

            await LwtFmt.WritePending(f);
            Assert.Equal("abc", Text(sink)); // the queued Flush order flushed the channel

            w.Write("def");
            await f.WritePending();
            Assert.Equal(6, oc.Position());
            Assert.Equal("abc", Text(sink)); // write_pending does not flush
            await f.Flush();
            Assert.Equal("abcdef", Text(sink));
        });
    }

    [Fact]
    public void OfChannel_printf_resolves_only_once_the_text_is_in_the_channel()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink, slow: true, bufferSize: 16);
            var f = LwtFmt.OfChannel(oc);
            string text = new string('x', 40);

            var printed = f.FPrintf("{0}", text);
            Assert.True(printed.IsPending); // 40 bytes do not fit in 16: the backend must take some first
            await printed;
            Assert.Equal(40, oc.Position());
            Assert.True(sink.Count >= 24, $"only {sink.Count} bytes left the buffer");

            await f.Flush();
            Assert.Equal(text, Text(sink));
        });
    }

    [Fact]
    public void OfChannel_keeps_the_order_of_printfs_made_while_a_write_waits()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink, slow: true, bufferSize: 16);
            var f = LwtFmt.OfChannel(oc);
            var first = f.FPrintf("{0}|", new string('a', 30));
            var second = f.FPrintf("{0}|", new string('b', 30));
            var third = f.FPrintf("{0}", "c");
            Assert.True(first.IsPending);
            await Promise.Join(first, second, third);
            await f.Flush();
            Assert.Equal(new string('a', 30) + "|" + new string('b', 30) + "|c", Text(sink));
        });
    }

    [SkippableFact]
    public void OfChannel_over_a_pipe_reaches_the_reader_after_flush()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe();
            var f = LwtFmt.OfChannel(oc);
            await f.FPrintf("{0} is {1:F1}\n", "pi", 3.14159);
            await f.Flush();
            Assert.Equal("pi is 3.1", await ic.ReadLine());
            await oc.Close();
            await ic.Close();
        });
    }

    [Fact]
    public void Printing_to_a_closed_channel_rejects_as_the_channel_does()
    {
        LwtMain.Run(async () =>
        {
            var oc = Recording(new List<byte>());
            await oc.Close();
            var f = LwtFmt.OfChannel(oc);
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await f.FPrintf("{0}", 1));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await f.Flush());
        });
    }

    [Fact]
    public void Printf_formats_with_the_invariant_culture()
    {
        var probe = new ProviderProbe();
        var saved = CultureInfo.CurrentCulture;
        // A culture of our own (the tests run with invariant globalization: no named cultures).
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        CultureInfo.CurrentCulture = comma;
        try
        {
            LwtMain.Run(async () =>
            {
                var (stream, f) = LwtFmt.MakeStream();
                await f.FPrintf("<{0}> {1}", probe, 1.5);
                Assert.Equal(new[] { Order.String("<probe> 1.5", 0, 11) }, stream.GetAvailable());
            });
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        Assert.Same(CultureInfo.InvariantCulture, probe.Seen);
    }

    [Fact]
    public void Stdout_and_stderr_are_the_formatters_of_the_standard_channels()
    {
        Assert.Same(LwtFmt.Stdout, LwtFmt.Stdout);
        Assert.NotSame(LwtFmt.Stdout, LwtFmt.Stderr);
        LwtMain.Run(async () =>
        {
            // Empty text: nothing reaches the test's own output, but the path runs.
            await LwtFmt.Printf("{0}", "");
            await LwtFmt.EPrintf("");
            await LwtFmt.Stdout.WritePending();
        });
    }

    // ---- make_formatter ------------------------------------------------------------

    [Fact]
    public void MakeFormatter_writes_into_its_writer_then_calls_commit()
    {
        var sw = new StringWriter();
        var seenAtCommit = new List<string>();
        LwtMain.Run(async () =>
        {
            var f = LwtFmt.MakeFormatter(() => { seenAtCommit.Add(sw.ToString()); return Promise.ReturnUnit; }, sw);
            Assert.Same(sw, f.GetFormatter());

            await f.FPrintf("a{0}", 1);
            await f.WritePending();
            await f.Flush();
            await f.IFPrintf("ignored {0}", 2);
        });

        Assert.Equal(new[] { "a1", "a1", "a1" }, seenAtCommit);
        Assert.Equal("a1", sw.ToString());
    }

    [Fact]
    public void MakeFormatter_failures_of_commit_reject_the_promise()
    {
        LwtMain.Run(async () =>
        {
            var throwing = LwtFmt.MakeFormatter(() => throw new InvalidTimeZoneException("boom"), new StringWriter());
            var p = throwing.FPrintf("x");
            Assert.True(p.IsRejected);
            await Assert.ThrowsAsync<InvalidTimeZoneException>(async () => await p);

            var nulls = LwtFmt.MakeFormatter(() => null!, new StringWriter());
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await nulls.Flush());
        });
    }

    // ---- kfprintf, ifprintf, ikfprintf -----------------------------------------------

    [Fact]
    public void KFPrintf_gives_its_continuation_the_formatter_and_the_commit_promise()
    {
        LwtMain.Run(() =>
        {
            var (pending, resolver) = Promise.Create<Unit>();
            var sw = new StringWriter();
            var f = LwtFmt.MakeFormatter(() => pending, sw);

            Formatter? seen = null;
            Promise? promise = null;
            string result = LwtFmt.KFPrintf((g, p) => { seen = g; promise = p; return sw.ToString() + "!"; }, f, "{0}-{1}", "k", 7);

            Assert.Equal("k-7!", result); // the text was written before k ran
            Assert.Same(f, seen);
            Assert.Same(pending, promise);
            resolver.Resolve(default);
            return Promise.ReturnUnit;
        });
    }

    [Fact]
    public void IFPrintf_and_IKFPrintf_format_and_write_nothing()
    {
        var probe = new ProviderProbe();
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var (stream, sf) = LwtFmt.MakeStream();
            var oc = Recording(sink);
            var cf = LwtFmt.OfChannel(oc);

            var p = sf.IFPrintf("{0}", probe);
            Assert.True(p.IsFulfilled);
            await cf.IFPrintf("{0} {1}", probe, "x");
            int k = LwtFmt.IKFPrintf((g, done) => { Assert.Same(cf, g); Assert.True(done.IsFulfilled); return 42; }, cf, "{0}", probe);
            Assert.Equal(42, k);
            await cf.Flush();

            Assert.Empty(stream.GetAvailable());
            Assert.Equal(0, oc.Position());
        });
        Assert.Empty(sink);
        Assert.Equal(0, probe.Calls);
    }

    // ---- write_order and Order -----------------------------------------------------

    [Fact]
    public void WriteOrder_writes_exactly_the_slice_and_flush_flushes()
    {
        var sink = new List<byte>();
        LwtMain.Run(async () =>
        {
            var oc = Recording(sink);
            await LwtFmt.WriteOrder(oc, Order.String("abcdef", 2, 3));
            await LwtFmt.WriteOrder(oc, Order.String("héllo", 1, 2)); // chars, written as UTF-8
            await LwtFmt.WriteOrder(oc, Order.String("zzz", 3, 0));
            Assert.Empty(sink);
            await LwtFmt.WriteOrder(oc, Order.Flush);
        });
        Assert.Equal("cdeél", Text(sink));
        Assert.Equal(6, sink.Count);
    }

    [Fact]
    public void Orders_check_their_range_and_compare_by_value()
    {
        Assert.Throws<ArgumentNullException>(() => Order.String(null!, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Order.String("abc", -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Order.String("abc", 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Order.String("abc", 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Order.String("abc", 4, 0));

        var s = Order.String("abc", 1, 2);
        Assert.True(s.IsString);
        Assert.False(s.IsFlush);
        Assert.Equal(s, Order.String("abc", 1, 2));
        Assert.Equal(s.GetHashCode(), Order.String("abc", 1, 2).GetHashCode());
        Assert.NotEqual(s, Order.String("abc", 0, 2));
        Assert.NotEqual(s, Order.Flush);
        Assert.Equal("String(\"abc\", 1, 2)", s.ToString());

        Assert.True(Order.Flush.IsFlush);
        Assert.Equal("Flush", Order.Flush.ToString());
        Assert.Throws<InvalidOperationException>(() => Order.Flush.Text);
        Assert.Throws<InvalidOperationException>(() => Order.Flush.Offset);
        Assert.Throws<InvalidOperationException>(() => Order.Flush.Length);
    }

    // ---- bad input -----------------------------------------------------------------

    [Fact]
    public void Null_arguments_throw_at_the_call()
    {
        var f = LwtFmt.MakeFormatter(() => Promise.ReturnUnit, new StringWriter());
        var oc = LwtIO.Null;
        Func<Formatter, Promise, int> k = (_, _) => 0;

        Assert.Throws<ArgumentNullException>(() => LwtFmt.OfChannel(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.MakeFormatter(null!, new StringWriter()));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.MakeFormatter(() => Promise.ReturnUnit, null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.GetFormatter(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.Printf(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.EPrintf(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.FPrintf(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.FPrintf(f, null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.FPrintf(f, "x", (object?[])null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.KFPrintf<int>(null!, f, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.KFPrintf(k, null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.KFPrintf(k, f, null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.IFPrintf(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.IFPrintf(f, null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.IKFPrintf<int>(null!, f, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.IKFPrintf(k, null!, "x"));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.IKFPrintf(k, f, null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.Flush(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.WritePending(null!));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.WriteOrder(null!, Order.Flush));
        Assert.Throws<ArgumentNullException>(() => LwtFmt.WriteOrder(oc, null!));
    }

    [Fact]
    public void A_bad_format_throws_before_anything_is_queued()
    {
        LwtMain.Run(() =>
        {
            var (stream, f) = LwtFmt.MakeStream();
            Assert.Throws<FormatException>(() => f.FPrintf("{1}", "only one"));
            Assert.Throws<FormatException>(() => f.FPrintf("{"));
            Assert.Empty(stream.GetAvailable());
            return Promise.ReturnUnit;
        });
    }
}
