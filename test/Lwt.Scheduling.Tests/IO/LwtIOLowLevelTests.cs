using System.Text;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtIO's low-level access (Buffered, Block, DirectAccess) and the bigstring names of
/// ReadInto/WriteFrom, over in-memory backends.
/// </summary>
[Collection("IO")]
public class LwtIOLowLevelTests
{
    private sealed class Boom : Exception
    {
    }

    private static byte[] Seq(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    /// <summary>An input channel over <paramref name="data"/> whose backend gives at most <paramref name="chunk"/> bytes a read.</summary>
    private static InputChannel Source(byte[] data, int chunk, Action? onRead = null, int bufferSize = 16)
    {
        int pos = 0;
        return LwtIO.MakeInput(
            m =>
            {
                onRead?.Invoke();
                int n = Math.Min(Math.Min(chunk, m.Length), data.Length - pos);
                data.AsSpan(pos, n).CopyTo(m.Span);
                pos += n;
                return Promise.Return(n);
            },
            bufferSize: bufferSize);
    }

    /// <summary>An output channel into <paramref name="sink"/> whose backend takes at most <paramref name="perWrite"/> bytes a write.</summary>
    private static OutputChannel Sink(List<byte> sink, int perWrite = int.MaxValue, int bufferSize = 16) =>
        LwtIO.MakeOutput(
            m =>
            {
                int n = Math.Min(perWrite, m.Length);
                sink.AddRange(m[..n].ToArray());
                return Promise.Return(n);
            },
            bufferSize: bufferSize);

    private static string Text(List<byte> sink) => Encoding.ASCII.GetString(sink.ToArray());

    // ---- buffered -------------------------------------------------------------------------

    [Fact]
    public void BufferedCountsReadAheadBytesAndUnflushedBytes()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Encoding.ASCII.GetBytes("hello world"), chunk: 100);
            Assert.Equal(0, ic.Buffered()); // nothing read ahead yet
            Assert.Equal('h', await ic.ReadChar());
            Assert.Equal(10, ic.Buffered()); // the refill read the rest ahead
            Assert.Equal(Encoding.ASCII.GetBytes("ello"), await ic.Read(4));
            Assert.Equal(6, ic.Buffered());
            await ic.Read();
            Assert.Equal(0, ic.Buffered());

            var sink = new List<byte>();
            var oc = Sink(sink, perWrite: 3);
            Assert.Equal(0, oc.Buffered());
            await oc.Write("12345");
            Assert.Equal(5, oc.Buffered()); // written into the channel, not flushed
            Assert.Empty(sink);
            await oc.Flush();
            Assert.Equal(0, oc.Buffered());
            Assert.Equal("12345", Text(sink));

            var bytes = LwtIO.OfBytes(LwtIO.Input, new byte[] { 1, 2, 3 });
            Assert.Equal(3, bytes.Buffered()); // the whole array is the buffer
            await bytes.ReadChar();
            Assert.Equal(2, bytes.Buffered());
            Assert.Throws<ArgumentNullException>("channel", () => LwtIO.Buffered(null!));
        });
    }

    // ---- block ----------------------------------------------------------------------------

    [Fact]
    public void BlockOnInputReadsInPlaceConsumesAndRefillsAtTheBufferBoundary()
    {
        LwtMain.Run(async () =>
        {
            int reads = 0;
            var ic = Source(Seq(0, 40), chunk: 10, onRead: () => reads++);
            byte[] Copy(Memory<byte> buffer, int offset, int size) => buffer.Slice(offset, size).ToArray();

            Assert.Equal(Seq(0, 4), await ic.Block(4, (b, o) => Promise.Return(Copy(b, o, 4))));
            Assert.Equal(1, reads);
            Assert.Equal(6, ic.Buffered());
            await ic.ReadIntoExactly(new byte[4]); // 4..7; 8 and 9 are left, at the end of the data read
            Assert.Equal(2, ic.Buffered());

            // 16 bytes, 2 buffered: one refill fills the free end of the buffer (6 bytes), a
            // second one moves the 8 unread bytes to the front and reads 8 more.
            Assert.Equal(Seq(8, 16), await ic.Block(16, (b, o) => Promise.Return(Copy(b, o, 16))));
            Assert.Equal(3, reads);
            Assert.Equal(0, ic.Buffered());
            Assert.Equal(Seq(24, 16), await ic.Block(16, (b, o) => Promise.Return(Copy(b, o, 16))));

            // The input ends before the block: End_of_file.
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.Block(1, (_, _) => Promise.Return(0)));
        });
    }

    [Fact]
    public void BlockSizeIsFromZeroToSixteen()
    {
        LwtMain.Run(async () =>
        {
            int reads = 0;
            var ic = Source(Seq(0, 20), chunk: 100, onRead: () => reads++);
            // Size 0: f runs at once at the current position; nothing is read or consumed.
            int offset = await ic.Block(0, (_, o) => Promise.Return(o));
            Assert.Equal(0, offset);
            Assert.Equal(0, reads);
            Assert.Equal(Seq(0, 16), await ic.Block(16, (b, o) => Promise.Return(b.Slice(o, 16).ToArray())));

            Assert.Throws<ArgumentOutOfRangeException>("size", () => ic.Block(17, (_, _) => Promise.Return(0)));
            Assert.Throws<ArgumentOutOfRangeException>("size", () => ic.Block(-1, (_, _) => Promise.Return(0)));
            Assert.Throws<ArgumentNullException>("f", () => ic.Block<int>(1, null!));
            Assert.Throws<ArgumentNullException>("channel", () => LwtIO.Block<int>(null!, 1, (_, _) => Promise.Return(0)));
            Assert.Equal((char)16, await ic.ReadChar()); // the refused calls consumed nothing
        });
    }

    [Fact]
    public void BlockOnOutputMakesRoomByPartialFlushesAndItsBytesCountAsWritten()
    {
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = Sink(sink, perWrite: 3);
            await oc.WriteFromExactly(Seq(0, 10));

            // 6 bytes free, 8 wanted: a partial write of 3, then the pending bytes move to the front.
            await oc.Block(8, (b, o) =>
            {
                Seq(10, 8).CopyTo(b.Slice(o));
                return Promise.ReturnUnit;
            });
            Assert.Equal(Seq(0, 3), sink.ToArray());
            Assert.Equal(15, oc.Buffered());

            // A whole buffer: everything pending is written out first.
            await oc.Block(16, (b, o) =>
            {
                Seq(18, 16).CopyTo(b.Slice(o));
                return Promise.ReturnUnit;
            });
            Assert.Equal(16, oc.Buffered());
            Assert.Equal(0, await oc.Block(0, (_, _) => Promise.Return(0)));
            await oc.Flush();
            Assert.Equal(Seq(0, 34), sink.ToArray());
            Assert.Equal(34, oc.Position());
        });
    }

    [Fact]
    public void BlockHoldsTheChannelUntilItsFunctionResolves()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Seq(0, 10), chunk: 100);
            var (inner, done) = Promise.Create<int>();
            byte first = 0;
            var block = ic.Block(2, (b, o) =>
            {
                first = b.Span[o];
                return inner;
            });
            var next = ic.ReadChar();
            Assert.True(block.IsPending);
            Assert.True(next.IsPending); // queued behind the block
            Assert.True(ic.IsBusy);
            done.Resolve(7);
            Assert.Equal(7, await block);
            Assert.Equal((char)2, await next); // the block's two bytes were consumed
            Assert.Equal(0, first);
        });
    }

    [Fact]
    public void ABlockWhoseFunctionFailsStillConsumesItsBytesAndLeavesTheChannelUsable()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Seq(0, 10), chunk: 100);
            await Assert.ThrowsAsync<Boom>(async () => await ic.Block<int>(3, (_, _) => throw new Boom()));
            Assert.Equal((char)3, await ic.ReadChar()); // as in Lwt: consumed before f ran

            await ic.Close();
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await ic.Block(1, (_, _) => Promise.Return(0)));
        });
    }

    // ---- direct_access --------------------------------------------------------------------

    private static int IndexOfNewline(DirectAccess da) => da.Buffer.Span[da.Ptr..da.Max].IndexOf((byte)'\n');

    private static string Ascii(DirectAccess da, int from, int to) => Encoding.ASCII.GetString(da.Buffer.Span[from..to]);

    [Fact]
    public void DirectAccessOnInputReadsTheBufferRefillsWithPerformAndConsumesUpToPtr()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Encoding.ASCII.GetBytes("hello world\nrest"), chunk: 5);
            var performed = new List<int>();
            string line = await ic.DirectAccess<string>(async da =>
            {
                Assert.Equal(0, da.Ptr);
                Assert.Equal(0, da.Max); // nothing read ahead yet
                var text = new StringBuilder();
                while (true)
                {
                    int i = IndexOfNewline(da);
                    if (i >= 0)
                    {
                        text.Append(Ascii(da, da.Ptr, da.Ptr + i));
                        da.Ptr += i + 1;
                        return text.ToString();
                    }

                    text.Append(Ascii(da, da.Ptr, da.Max));
                    da.Ptr = da.Max;
                    int n = await da.Perform();
                    performed.Add(n);
                    if (n == 0) return text.ToString();
                }
            });
            Assert.Equal("hello world", line);
            Assert.Equal(new[] { 5, 5, 5 }, performed);
            Assert.Equal(3, ic.Buffered()); // "res": read ahead, not consumed
            Assert.Equal("rest", await ic.ReadLine());
        });
    }

    [Fact]
    public void PerformOnAFullInputBufferAsksToConsumeFirst()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Seq(0, 40), chunk: 100);
            int got = await ic.DirectAccess(async da =>
            {
                Assert.Equal(16, await da.Perform());
                Assert.Equal((0, 16), (da.Ptr, da.Max));
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await da.Perform());
                da.Ptr = 4; // consume 0..3: the 12 others move to the front, 4 more are read
                Assert.Equal(4, await da.Perform());
                Assert.Equal((0, 16), (da.Ptr, da.Max));
                return da.Buffer.Span[0];
            });
            Assert.Equal(4, got);
            Assert.Equal(16, ic.Buffered()); // Ptr was left at 0: nothing more consumed
            Assert.Equal((char)4, await ic.ReadChar());
        });
    }

    [Fact]
    public void DirectAccessOnOutputWritesIntoTheFreeSpaceAndPerformFlushesPartOfIt()
    {
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = Sink(sink, perWrite: 4);
            await oc.Write("ab");
            await oc.DirectAccess(async da =>
            {
                Assert.Equal((2, 16), (da.Ptr, da.Max)); // the free space after the pending "ab"
                Encoding.ASCII.GetBytes("cdefghijklmnop").CopyTo(da.Buffer.Span[da.Ptr..]);
                da.Ptr = da.Max;
                Assert.Equal(4, await da.Perform()); // "abcd" written out, the rest moved to the front
                Assert.Equal((12, 16), (da.Ptr, da.Max));
                Encoding.ASCII.GetBytes("qrst").CopyTo(da.Buffer.Span[da.Ptr..]);
                da.Ptr += 4;
                return 0;
            });
            Assert.Equal("abcd", Text(sink));
            Assert.Equal(16, oc.Buffered()); // the bytes f wrote count as written
            await oc.Flush();
            Assert.Equal("abcdefghijklmnopqrst", Text(sink));

            // Perform with nothing pending writes nothing.
            Assert.Equal(0, await oc.DirectAccess(da => da.Perform()));
        });
    }

    [Fact]
    public void APtrOrMaxOutOfRangeIsRefusedAndTheChannelKeepsItsPosition()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Encoding.ASCII.GetBytes("abcdef"), chunk: 100);
            Assert.Equal('a', await ic.ReadChar());
            Func<DirectAccess, Promise<int>>[] wrong =
            {
                da => { da.Ptr = da.Max + 1; return Promise.Return(0); },
                da => { da.Ptr -= 1; return Promise.Return(0); }, // before the channel's position
                da => { da.Ptr += 1; da.Max -= 1; return Promise.Return(0); },
            };
            foreach (var f in wrong)
            {
                var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await ic.DirectAccess(f));
                Assert.Contains("Ptr", e.Message);
                Assert.Equal(5, ic.Buffered());
            }

            // Perform refuses too, and the function may go on.
            Assert.Equal(2, await ic.DirectAccess(async da =>
            {
                da.Ptr = 99;
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await da.Perform());
                da.Ptr = 3; // "bc" consumed
                return 2;
            }));
            Assert.Equal('d', await ic.ReadChar());

            var sink = new List<byte>();
            var oc = Sink(sink);
            await oc.Write("xy");
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await oc.DirectAccess(da =>
            {
                da.Ptr = 1; // inside the pending bytes: not free space
                return Promise.Return(0);
            }));
            Assert.Equal(2, oc.Buffered());
            await oc.Flush();
            Assert.Equal("xy", Text(sink));
        });
    }

    [Fact]
    public void DirectAccessOnlyLastsAsLongAsItsFunction()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Encoding.ASCII.GetBytes("abc"), chunk: 100);
            DirectAccess? kept = null;
            await ic.DirectAccess(da =>
            {
                kept = da;
                return Promise.Return(0);
            });
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await kept!.Perform());

            // A function that throws: rejected with its exception, the channel stays usable.
            await Assert.ThrowsAsync<Boom>(async () => await ic.DirectAccess<int>(_ => throw new Boom()));
            Assert.Equal('a', await ic.ReadChar());
            Assert.Throws<ArgumentNullException>("f", () => ic.DirectAccess<int>(null!));
        });
    }

    [Fact]
    public void AFunctionThatResolvesBeforeItsPerformIsRefusedAndTheChannelWaitsForThePerform()
    {
        LwtMain.Run(async () =>
        {
            Resolver<int>? read = null;
            Memory<byte> target = default;
            var ic = LwtIO.MakeInput(
                m =>
                {
                    var (p, r) = Promise.Create<int>();
                    (read, target) = (r, m);
                    return p;
                },
                bufferSize: 16);
            Promise<int>? perform = null;
            var access = ic.DirectAccess(da =>
            {
                perform = da.Perform();
                return Promise.Return(1); // without waiting for it
            });
            var next = ic.ReadChar();
            Assert.True(access.IsPending); // held until the backend read is done
            Assert.True(next.IsPending);

            Encoding.ASCII.GetBytes("xyz").CopyTo(target);
            read!.Resolve(3);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await access);
            Assert.Equal(3, await perform!);
            Assert.Equal('x', await next); // the bytes read are in the channel, none consumed
            Assert.Equal(2, ic.Buffered());
        });
    }

    // ---- bigstring names ------------------------------------------------------------------

    [Fact]
    public void TheBigstringFunctionsReadAndWriteARangeOfAMemory()
    {
        LwtMain.Run(async () =>
        {
            var ic = Source(Seq(0, 20), chunk: 100);
            Memory<byte> buffer = LwtBytes.Create(10);
            Assert.Equal(3, await ic.ReadIntoBigstring(buffer, 2, 3));
            Assert.Equal(new byte[] { 0, 0, 0, 1, 2, 0, 0, 0, 0, 0 }, buffer.ToArray());
            await ic.ReadIntoExactlyBigstring(buffer, 5, 5);
            Assert.Equal(Seq(3, 5), buffer[5..].ToArray());
            Assert.Equal(0, await ic.ReadIntoBigstring(buffer, 10, 0));
            await ic.Read();
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.ReadIntoExactlyBigstring(buffer, 0, 1));
            Assert.Equal(0, await ic.ReadIntoBigstring(buffer, 0, 1)); // end of input

            Assert.Throws<ArgumentOutOfRangeException>(() => ic.ReadIntoBigstring(buffer, 8, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => ic.ReadIntoExactlyBigstring(buffer, -1, 1));
            Assert.Throws<ArgumentNullException>("ic", () => LwtIO.ReadIntoBigstring(null!, buffer, 0, 1));

            var sink = new List<byte>();
            var oc = Sink(sink);
            Memory<byte> data = Seq(0, 40);
            // As lwt_io's write_from: the buffer fills, the sink takes it all, the rest follows.
            Assert.Equal(30, await oc.WriteFromBigstring(data, 4, 30));
            await oc.WriteFromExactlyBigstring(data, 20, 20);
            await oc.Flush();
            Assert.Equal(Seq(4, 30).Concat(Seq(20, 20)).ToArray(), sink.ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => oc.WriteFromBigstring(data, 30, 11));
            Assert.Throws<ArgumentOutOfRangeException>(() => oc.WriteFromExactlyBigstring(data, 0, -1));
            Assert.Throws<ArgumentNullException>("oc", () => LwtIO.WriteFromExactlyBigstring(null!, data, 0, 1));
        });
    }
}
