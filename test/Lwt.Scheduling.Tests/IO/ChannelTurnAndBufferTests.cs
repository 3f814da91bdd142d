using System.Text;

namespace Lwt.Tests.IO;

/// <summary>
/// The channel's turn around Close, the auto-flush of data written inside an Atomic block or
/// after <see cref="Promise.AbandonPaused"/>, and the buffer's layout (partial reads of a
/// number, partial writes, long lines), each against what lwt_io.ml does (named per test).
/// </summary>
[Collection("IO")]
public class ChannelTurnAndBufferTests
{
    private static async Promise Pauses(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    /// <summary>An output channel whose backend appends to <paramref name="sink"/> at once.</summary>
    private static OutputChannel SinkOutput(List<byte> sink, int? bufferSize = null) =>
        LwtIO.MakeOutput(m =>
        {
            sink.AddRange(m.ToArray());
            return Promise.Return(m.Length);
        }, bufferSize: bufferSize);

    /// <summary>An output channel whose backend writes to <paramref name="sink"/> only once <paramref name="gate"/> is fulfilled.</summary>
    private static OutputChannel GatedOutput(List<byte> sink, Promise<Unit> gate) =>
        LwtIO.MakeOutput(m =>
        {
            var copy = m.ToArray();
            return gate.Map(_ =>
            {
                sink.AddRange(copy);
                return copy.Length;
            });
        });

    /// <summary>An input channel over <paramref name="text"/> (Latin-1), delivering at most <paramref name="chunk"/> bytes a read.</summary>
    private static InputChannel InputOf(string text, int chunk = int.MaxValue, int? bufferSize = null)
    {
        var data = Encoding.Latin1.GetBytes(text);
        int pos = 0;
        return LwtIO.MakeInput(m =>
        {
            int n = Math.Min(Math.Min(chunk, m.Length), data.Length - pos);
            data.AsSpan(pos, n).CopyTo(m.Span);
            pos += n;
            return Promise.Return(n);
        }, bufferSize: bufferSize);
    }

    private static string Text(List<byte> bytes) => Encoding.Latin1.GetString(bytes.ToArray());

    // ---- Close: flush and close in one turn ------------------------------------------

    // lwt_io.ml close (Output): primitive (fun ch -> flush ch >> abort wrapper): the channel is
    // closed before the next queued operation runs, which then fails with Channel_closed.
    [SkippableFact]
    public void An_operation_queued_behind_Close_fails_and_its_bytes_are_not_taken()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var (gate, open) = Promise.Create<Unit>();
            var oc = GatedOutput(sink, gate);
            await oc.Write("a");
            var flushing = oc.Flush();                  // holds the turn, waiting in the backend
            var closing = oc.Close();                   // queued; its own flush has nothing left
            var write = oc.Write("b");                  // queued behind the close
            var number = LwtIO.BE.WriteInt32(oc, 7);    // likewise
            var flush = oc.Flush();                     // likewise
            open.Resolve(default);
            await flushing;
            await closing;
            await Pauses(2);
            Assert.True(oc.IsClosed);
            Assert.IsType<ChannelClosedException>(write.Exception);
            Assert.IsType<ChannelClosedException>(number.Exception);
            Assert.IsType<ChannelClosedException>(flush.Exception);
            Assert.Equal("a", Text(sink));
        });
    }

    [SkippableFact]
    public void Close_still_flushes_what_was_queued_before_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var (gate, open) = Promise.Create<Unit>();
            var oc = GatedOutput(sink, gate);
            await oc.Write("a");
            var flushing = oc.Flush();
            var write = oc.Write("b");  // queued before the close: in the buffer the close flushes
            var closing = oc.Close();
            open.Resolve(default);
            await flushing;
            await write;
            await closing;
            Assert.Equal("ab", Text(sink));
        });
    }

    // An Abort while the close waits for its turn: the close resolves like the close
    // function's result (here fulfilled), not with the ChannelClosedException of its wait.
    [SkippableFact]
    public void A_close_waiting_for_its_turn_resolves_like_the_backend_close_after_an_Abort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int closes = 0;
            var (never, _) = Promise.Create<int>();
            var oc = LwtIO.MakeOutput(_ => never, close: () =>
            {
                closes++;
                return Promise.ReturnUnit;
            });
            await oc.Write("a");
            var flushing = oc.Flush();
            var closing = oc.Close();
            await oc.Abort();
            await Pauses(2);
            Assert.IsType<ChannelClosedException>(flushing.Exception);
            Assert.True(closing.IsFulfilled);
            Assert.Equal(1, closes);
        });
    }

    // ---- auto-flush -------------------------------------------------------------------

    // lwt_io.mli: channels are "automatically flushed when there is nothing else to do";
    // lwt_io.ml unlock launches the auto-flusher on the channel (its main wrapper) when an
    // atomic block releases it.
    [SkippableFact]
    public void Data_written_in_an_Atomic_block_is_auto_flushed_after_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = SinkOutput(sink);
            int result = await LwtIO.Atomic(oc, w => w.Write("hello").Map(() => 42));
            Assert.Equal(42, result);
            await Pauses(3);
            Assert.Equal("hello", Text(sink));
            Assert.Equal(0, oc.Buffered());
        });
    }

    [SkippableFact]
    public void Data_written_in_nested_Atomic_blocks_is_auto_flushed_after_them()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = SinkOutput(sink);
            await LwtIO.Atomic(oc, w => LwtIO.Atomic(w, w2 => w2.Write("in").Map(() => 0)));
            await Pauses(3);
            Assert.Equal("in", Text(sink));
        });
    }

    // Lwt.abandon_paused leaves the pauses taken so far pending for good: the channels whose
    // auto-flush waited on one keep it pending (as Lwt's auto_flushing flag stays set), and a
    // channel written to afterwards is auto-flushed as usual.
    [SkippableFact]
    public void After_AbandonPaused_a_channel_written_to_is_auto_flushed_again()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var first = new List<byte>();
            var second = new List<byte>();
            var oc1 = SinkOutput(first);
            var oc2 = SinkOutput(second);
            await oc1.Write("a");
            Promise.AbandonPaused();
            await oc2.Write("b");
            await Pauses(3);
            Assert.Equal("b", Text(second));
            Assert.Empty(first); // its auto-flush was abandoned, as in Lwt
            await oc1.Flush();
            Assert.Equal("a", Text(first));
        });
    }

    /// <summary>An output channel whose backend takes everything at once and logs "<paramref name="name"/> wrote N".</summary>
    private static OutputChannel NamedOutput(List<string> log, string name) =>
        LwtIO.MakeOutput(m =>
        {
            log.Add(name + " wrote " + m.Length);
            return Promise.Return(m.Length);
        });

    // lwt_io.ml auto_flush begins with its own Lwt.pause per channel, so a channel written to
    // by a callback of the round that wakes another channel's auto-flush is flushed in the
    // next round, after the promises paused before it (differential lwtio, FAMILIES=numbers,
    // seed 2469 prog 193: Lwt 5.6.1 "A wrote 1; m; B wrote 2"). Ours joined B to the pause
    // shared with A, which was still to come in that round: B was flushed before m.
    [SkippableFact]
    public void A_channel_written_while_another_channels_auto_flush_is_being_woken_is_flushed_in_the_next_round()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var log = new List<string>();
        LwtMain.Run(async () =>
        {
            var a = NamedOutput(log, "A");
            var b = NamedOutput(log, "B");
            Promise.Async(() => Promise.Pause().Bind(() => { log.Add("P1 writes B"); return b.Write("xx"); }));
            Promise.Async(() => { log.Add("write A"); return a.Write("y"); });
            Promise.Async(() => Promise.Pause().Bind(() => { log.Add("m"); return Promise.ReturnUnit; }));
            await Pauses(4);
        });
        Assert.Equal(new[] { "write A", "P1 writes B", "A wrote 1", "m", "B wrote 2" }, log);
    }

    // The same in one round: a channel written to after another pause was taken is flushed
    // after that paused promise, as its own pause (lwt_io.ml auto_flush) comes after it.
    [SkippableFact]
    public void A_channel_written_after_another_pause_is_auto_flushed_after_that_paused_promise()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var log = new List<string>();
        LwtMain.Run(async () =>
        {
            var a = NamedOutput(log, "A");
            var b = NamedOutput(log, "B");
            await a.Write("y");
            Promise.Async(() => Promise.Pause().Bind(() => { log.Add("m"); return Promise.ReturnUnit; }));
            await b.Write("xx");
            await Pauses(3);
        });
        Assert.Equal(new[] { "A wrote 1", "m", "B wrote 2" }, log);
    }

    // Channels written to one after the other with no pause between share one pause and
    // are flushed in the order written, as their own pauses would be.
    [SkippableFact]
    public void Channels_written_one_after_the_other_are_auto_flushed_in_that_order()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var log = new List<string>();
        LwtMain.Run(async () =>
        {
            var a = NamedOutput(log, "A");
            var b = NamedOutput(log, "B");
            await a.Write("y");
            await b.Write("xx");
            Promise.Async(() => Promise.Pause().Bind(() => { log.Add("m"); return Promise.ReturnUnit; }));
            await Pauses(3);
        });
        Assert.Equal(new[] { "A wrote 1", "B wrote 2", "m" }, log);
    }

    /// <summary>An output channel (buffer of 16) whose backend takes everything at once and logs each write's length.</summary>
    private static OutputChannel LoggedOutput(List<string> log) =>
        LwtIO.MakeOutput(m =>
        {
            log.Add("backend write " + m.Length);
            return Promise.Return(m.Length);
        }, bufferSize: 16);

    // lwt_io.ml auto_flush: after its pause, a channel found busy (Busy_primitive or
    // Waiting_for_busy) drops the auto-flush ("It will be restarted when the channel returns
    // to the [Idle] state"): the busy operation's unlock starts a new one, after another pause.
    // So the channel is free when the operation ends, and a write made then joins the buffered
    // bytes, flushed together. Lwt 5.6.1 printed this trace for the same program.
    [SkippableFact]
    public void An_auto_flush_that_finds_the_channel_busy_is_dropped_not_queued()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var log = new List<string>();
        LwtMain.Run(async () =>
        {
            var oc = LoggedOutput(log);
            await oc.Write("ab");
            await oc.DirectAccess<Unit>(async _ =>
            {
                await Promise.Pause();
                await Promise.Pause();
                return default;
            });
            log.Add($"after direct_access: buffered={oc.Buffered()} busy={oc.IsBusy}");
            await oc.Write("cd");
            log.Add($"after write: buffered={oc.Buffered()}");
            await Promise.Pause();
            log.Add($"after one pause: buffered={oc.Buffered()}");
        });
        Assert.Equal(
            new[]
            {
                "after direct_access: buffered=2 busy=False",
                "after write: buffered=4",
                "backend write 4",
                "after one pause: buffered=0",
            },
            log);
    }

    // lwt_io.ml auto_flush flushes through deepest_wrapper: while an atomic block holds the
    // channel and its own channel is free, the auto-flush runs in the block's channel, during
    // the block. Lwt 5.6.1 printed this trace for the same program.
    [SkippableFact]
    public void The_auto_flush_goes_to_the_channel_of_a_running_Atomic_block()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var log = new List<string>();
        LwtMain.Run(async () =>
        {
            var oc = LoggedOutput(log);
            await LwtIO.Atomic<OutputChannel, Unit>(oc, async w =>
            {
                await w.Write("ab");
                await Promise.Pause();
                log.Add($"in block after one pause: buffered={w.Buffered()}");
                await w.Write("cd");
                return default;
            });
            log.Add($"after block: buffered={oc.Buffered()}");
            await Promise.Pause();
            log.Add($"after one pause: buffered={oc.Buffered()}");
        });
        Assert.Equal(
            new[]
            {
                "backend write 2",
                "in block after one pause: buffered=0",
                "after block: buffered=2",
                "backend write 2",
                "after one pause: buffered=0",
            },
            log);
    }

    // The auto-flush runs in an Atomic block's channel (deepest_wrapper). If the block ends
    // while that flush waits for the backend, lwt_io.ml frees the channel under it, and the
    // next queued operation runs beside the flush (Lwt 5.6.1 then loses bytes: the
    // differential run's seed 11 prog 14). Here the channel stays busy until the flush is done.
    [SkippableFact]
    public void An_Atomic_block_ending_during_its_auto_flush_keeps_the_channel_until_the_flush_ends()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                var copy = m[..Math.Min(4, m.Length)].ToArray(); // 4 bytes a call, each after a pause
                return Promise.Pause().Map(() =>
                {
                    sink.AddRange(copy);
                    return copy.Length;
                });
            }, bufferSize: 16);
            Promise later = null!;
            await LwtIO.Atomic<OutputChannel, Unit>(oc, async w =>
            {
                await w.Write("01234567");
                await Promise.Pause(); // the auto-flush starts writing through w
                later = oc.Write("abcdefgh"); // queued behind the block
                return default;
            });
            await later;
            await oc.Flush();
            Assert.Equal("01234567abcdefgh", Text(sink));
            Assert.Equal(0, oc.Buffered());
            Assert.Equal(16, oc.Position());
        });
    }

    // lwt_io.ml primitive runs a queued operation in Lwt.finalize (f channel) (unlock), whose
    // promise resolves after the unlock: the caller's callbacks find the channel free. A
    // queued operation that waited for its backend released its turn only after them (the
    // promise the caller held was made a proxy of the operation's, whose callbacks run after
    // the proxy's), so the caller saw the channel busy and the auto-flush started a turn late
    // (differential seed 11 prog 56). Lwt 5.6.1 prints busy=false for the same program.
    [SkippableFact]
    public void A_queued_operation_frees_the_channel_before_its_callers_callbacks_run()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                var copy = m.ToArray();
                return Promise.Pause().Map(() =>
                {
                    sink.AddRange(copy);
                    return copy.Length;
                });
            }, bufferSize: 16);
            var first = oc.Write("0123456789abcdefXYZ"); // fills the buffer: waits for the backend
            bool? busyAfterFlush = null, busyAfterAtomic = null;
            await oc.Flush().Map(() => busyAfterFlush = oc.IsBusy); // queued, then waits for the backend
            await first;
            var second = oc.Write("0123456789abcdefXYZ");
            await LwtIO.Atomic<OutputChannel, Unit>(oc, async w =>
            {
                await w.Write("!");
                await w.Flush();
                return default;
            }).Map(_ => busyAfterAtomic = oc.IsBusy);                  // queued behind the write
            await second;
            Assert.False(busyAfterFlush);
            Assert.False(busyAfterAtomic);
            await oc.Flush();
            Assert.Equal("0123456789abcdefXYZ0123456789abcdefXYZ!", Text(sink));
        });
    }

    // lwt_io.ml primitive: an operation queued on an atomic block's channel that gets its turn
    // after the block ended finds the channel Invalid and fails with invalid_channel (Lwt 5.6.1
    // printed "1.2:write_char ! FAIL" for this program). Ours ran it, writing its byte.
    [SkippableFact]
    public void An_operation_queued_on_an_Atomic_blocks_channel_fails_once_the_block_is_over()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                var copy = m[..Math.Min(4, m.Length)].ToArray();
                return Promise.Pause().Map(() =>
                {
                    sink.AddRange(copy);
                    return copy.Length;
                });
            }, bufferSize: 16);
            Promise running = null!, queued = null!;
            await LwtIO.Atomic<OutputChannel, Unit>(oc, w =>
            {
                running = w.Write("0123456789abcdefXYZ"); // waits for the backend past the block
                queued = w.WriteChar('q');                // queued on the block's channel
                return Promise.Return(default(Unit));
            });
            await running;
            await Promise.Catch(() => queued, _ => Promise.ReturnUnit);
            Assert.IsType<InvalidOperationException>(queued.Exception);
            await oc.Flush();
            Assert.Equal("0123456789abcdefXYZ", Text(sink));
        });
    }

    // lwt_io.ml perform_io (Input) moves the unread bytes to the front of the buffer before
    // every read and asks for the rest of the buffer (length - unread). Ours read only into
    // the free end, asking for fewer bytes (differential seed 12 prog 43: Lwt R14 then 2
    // bytes buffered more than ours at the end).
    [SkippableFact]
    public void A_refill_moves_the_unread_bytes_to_the_front_and_asks_for_the_rest_of_the_buffer()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var data = Encoding.Latin1.GetBytes("0123456789abcdefghijklmnopqrstuv");
            int pos = 0, calls = 0;
            var asked = new List<int>();
            var ic = LwtIO.MakeInput(m =>
            {
                asked.Add(m.Length);
                int n = Math.Min(calls++ == 0 ? 3 : m.Length, data.Length - pos); // 3 bytes first
                data.AsSpan(pos, n).CopyTo(m.Span);
                pos += n;
                return Promise.Return(n);
            }, bufferSize: 16);
            Assert.Equal('0', await ic.ReadChar());            // reads 3, 2 left unread
            Assert.Equal(0x34333231, await LwtIO.LE.ReadInt32(ic)); // needs a refill
            Assert.Equal(new[] { 16, 14 }, asked);
            Assert.Equal(12, ic.Buffered());
        });
    }

    // An operation started on an Atomic block's channel and not waited for may still run
    // when the block ends. lwt_io.ml frees the channel under it and the next operation runs
    // beside it, both moving the buffer's positions (Lwt 5.6.1 wrote bytes twice or lost
    // them: differential seed 11 progs 25, 63, 66; ours even left Buffered() at -4).
    // Deliberately not Lwt's, as for the auto-flush above: the channel the block held stays
    // busy until the block's channel is free.
    [SkippableFact]
    public void An_Atomic_block_ending_while_its_own_operation_runs_keeps_the_channel_until_it_ends()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                var copy = m[..Math.Min(3, m.Length)].ToArray(); // 3 bytes a call, each after a pause
                return Promise.Pause().Map(() =>
                {
                    sink.AddRange(copy);
                    return copy.Length;
                });
            }, bufferSize: 16);
            Promise inBlock = null!;
            await LwtIO.Atomic<OutputChannel, Unit>(oc, w =>
            {
                inBlock = w.Write("0123456789abcdefXYZ"); // not waited for: runs past the block
                return Promise.Return(default(Unit));
            });
            Assert.True(oc.IsBusy);
            var after = oc.Write("ABCDEFGHIJKLMNOPQRSTU"); // queued behind the block's write
            var number = LwtIO.LE.WriteInt32(oc, 0x34333231);
            await inBlock;
            await after;
            await number;
            await oc.Flush();
            Assert.Equal("0123456789abcdefXYZABCDEFGHIJKLMNOPQRSTU1234", Text(sink));
            Assert.Equal(0, oc.Buffered());
            Assert.Equal(44, oc.Position());
        });
    }

    // lwt_io.ml da_perform on an output channel is perform_io, which calls the write function
    // even with nothing buffered (len 0), and over an of_bytes channel fails ("cannot flush").
    // Ours answered 0 without a call (differential seed 12 prog 189: Lwt's trace has W0=0).
    [SkippableFact]
    public void Perform_on_an_empty_output_buffer_still_calls_the_backend()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var asked = new List<int>();
            var oc = LwtIO.MakeOutput(m =>
            {
                asked.Add(m.Length);
                return Promise.Return(m.Length);
            }, bufferSize: 16);
            int n = await oc.DirectAccess<int>(async da => await da.Perform());
            Assert.Equal(0, n);
            Assert.Equal(new[] { 0 }, asked);
            var bytes = LwtIO.OfBytes(LwtIO.Output, new byte[4]);
            var failed = bytes.DirectAccess<int>(async da => await da.Perform());
            await Promise.Catch(() => failed, _ => Promise.Return(0));
            Assert.IsType<InvalidOperationException>(failed.Exception);
        });
    }

    // lwt_io.ml read ~count:0 goes to unsafe_read_into, which refills an empty buffer: the
    // backend is called (and a read of a pipe waits for input). Ours answered "" at once
    // (differential seed 12 prog 194: Lwt's trace has R16=0 for "read 0").
    [SkippableFact]
    public void Read_of_count_0_refills_an_empty_buffer()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf("abc", chunk: 2);
            Assert.Empty(await ic.Read(0));
            Assert.Equal(2, ic.Buffered());
            Assert.Empty(await ic.Read(0)); // buffered bytes: no refill
            Assert.Equal(2, ic.Buffered());
            Assert.Equal("ab", Encoding.Latin1.GetString(await ic.Read(5)));
        });
    }

    // lwt_io.ml write_from_string is a primitive whatever the length: a write of 0 chars
    // waits for its turn behind the queued operations and fails on a closed channel (Lwt 5.6.1
    // in the differential run, seed 11 progs 74 and 194). WriteFromString answered 0 at once.
    [SkippableFact]
    public void WriteFromString_of_no_chars_takes_its_turn_and_fails_on_a_closed_channel()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var log = new List<string>();
            var sink = new List<byte>();
            var gate = Promise.Create<Unit>();
            var oc = GatedOutput(sink, gate.Item1);
            var first = oc.Write(new string('x', 5000)).Map(() => { log.Add("write"); return 0; });
            var empty = oc.WriteFromString("abc", 1, 0).Map(n => { log.Add("empty " + n); return n; });
            Assert.True(empty.IsPending);
            gate.Item2.Resolve(default);
            await Promise.Join(first, empty);
            Assert.Equal(new[] { "write", "empty 0" }, log);
            await oc.Close();
            var closed = oc.WriteFromString("abc", 0, 0);
            Assert.IsType<ChannelClosedException>(closed.Exception);
        });
    }

    // lwt_io.ml primitive runs the operation under Lwt.finalize: a read function that raises
    // fails the read (a rejected promise) and unlock frees the channel. ReadInto's fast path
    // (a free, empty channel and a request at least the buffer's size, read straight into the
    // caller's memory) let the exception escape with the channel's turn still taken, so every
    // later operation waited for good (found by the Lwt_io differential run, b12 prog 197).
    [SkippableFact]
    public void A_read_function_that_throws_fails_ReadInto_and_frees_the_channel()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int calls = 0;
            var ic = LwtIO.MakeInput(m =>
            {
                if (calls++ == 0) throw new InvalidOperationException("backend");
                m.Span[0] = (byte)'x';
                return Promise.Return(1);
            }, bufferSize: 16);
            Promise<int> read = null!;
            var escaped = Record.Exception(() => read = ic.ReadInto(new byte[32]));
            Assert.Null(escaped);
            Assert.IsType<InvalidOperationException>(read.Exception);
            Assert.False(ic.IsBusy);
            var next = ic.ReadChar();
            await Promise.Pick(new[] { next.Map(_ => default(Unit)), Pauses(20).Bind(() => Promise.Fail<Unit>(new TimeoutException("ReadChar never ran"))) });
            Assert.Equal('x', next.Value);
        });
    }

    // ---- the buffer ---------------------------------------------------------------------

    // lwt_io.ml read_block_unsafe: refill until the bytes are there, or fail with End_of_file
    // leaving the partial bytes unread.
    [SkippableFact]
    public void A_number_cut_short_by_end_of_input_consumes_nothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var bytes = LwtIO.OfBytes(LwtIO.Input, "abc"u8.ToArray());
            var read = LwtIO.BE.ReadInt32(bytes);
            await Pauses(1);
            Assert.IsType<EndOfStreamException>(read.Exception);
            Assert.Equal(0, bytes.Position());
            Assert.Equal('a', (await bytes.ReadCharOpt()).Value);

            var chunked = InputOf("xyz", chunk: 1, bufferSize: 16);
            var read64 = LwtIO.LE.ReadInt64(chunked);
            await Pauses(1);
            Assert.IsType<EndOfStreamException>(read64.Exception);
            Assert.Equal("xyz", Encoding.Latin1.GetString(await chunked.Read()));
        });
    }

    // lwt_io.ml write_block_unsafe (every write_int*/write_float*): flush until the whole number
    // fits, then write it; a failed flush leaves nothing of the number in the buffer. An OfBytes
    // channel's flush always fails. Found by the Lwt_io differential run (seed 11 progs 10, 45:
    // Lwt's array ended 610a630d after a failed LE.write_int64 -1 and a write of "a\nc\r...",
    // ours ffffffff).
    [SkippableFact]
    public void A_number_that_does_not_fit_writes_none_of_its_bytes_when_the_flush_fails()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var array = new byte[4];
            var bytes = LwtIO.OfBytes(LwtIO.Output, array);
            var write = LwtIO.LE.WriteInt64(bytes, -1L);
            await Pauses(1);
            Assert.True(write.IsRejected);
            Assert.Equal(0, bytes.Buffered());
            Assert.Equal(new byte[4], array);
            var text = bytes.Write("a\nc\rzz");
            await Pauses(1);
            Assert.True(text.IsRejected);
            Assert.Equal("a\nc\r", Encoding.Latin1.GetString(array));

            var at = LwtIO.OfBytes(LwtIO.Output, new byte[19]);
            await at.SetPosition(12);
            var write64 = LwtIO.BE.WriteFloat64(at, 3.4e38);
            await Pauses(1);
            Assert.True(write64.IsRejected);
            Assert.Equal(12, at.Buffered());
            await at.WriteChar('x');
            Assert.Equal(13, at.Position());

            var failing = LwtIO.MakeOutput(_ => Promise.Fail<int>(new IOException("backend")), bufferSize: 16);
            await failing.Write("0123456789ab");
            var write64b = LwtIO.BE.WriteInt64(failing, 0x4142434445464748);
            await Pauses(1);
            Assert.IsType<IOException>(write64b.Exception);
            Assert.Equal(12, failing.Buffered());
        });
    }

    [SkippableFact]
    public void A_number_arriving_a_byte_at_a_time_is_read_whole()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            // 15 bytes first, so that the number straddles the end of the 16-byte buffer.
            var ic = InputOf(new string('.', 15) + "\u0000\u0000\u0001\u0002" + "\u0003\u0004", chunk: 1, bufferSize: 16);
            await ic.ReadIntoExactly(new byte[15]);
            Assert.Equal(0x0102, await LwtIO.BE.ReadInt32(ic));
            Assert.Equal((short)0x0403, await LwtIO.LE.ReadInt16(ic));
            Assert.Equal(21, ic.Position());
        });
    }

    // Our doc of WriteFrom: "at least one byte unless it is empty". lwt_io.ml moves the bytes a
    // partial write left to the front of the buffer, so the room it made is usable at once.
    [SkippableFact]
    public void WriteFrom_takes_bytes_after_each_partial_flush()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                int n = Math.Min(4, m.Length); // a backend that takes 4 bytes a call
                sink.AddRange(m[..n].ToArray());
                return Promise.Return(n);
            }, bufferSize: 16);
            var data = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
            int offset = 0;
            var taken = new List<int>();
            while (offset < data.Length)
            {
                int n = await oc.WriteFrom(data.AsMemory(offset));
                taken.Add(n);
                offset += n;
            }

            Assert.All(taken, n => Assert.True(n >= 1));
            Assert.Equal(16, taken[0]);
            await oc.Flush();
            Assert.Equal(data, sink.ToArray());
        });
    }

    // lwt_io.ml read_line collects the line in a buffer of its own; the channel's buffer_size
    // changes only through resize_buffer. Here the buffer grows to hold the line, and comes
    // back once the line is read.
    [SkippableFact]
    public void A_line_longer_than_the_buffer_leaves_the_buffer_size_as_it_was()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf(new string('a', 100) + "\nxy\n" + new string('b', 40), chunk: 7, bufferSize: 16);
            Assert.Equal(new string('a', 100), await ic.ReadLine());
            Assert.Equal(16, ic.BufferSize);
            Assert.Equal(16, ic.Core.Buffer.Length);
            Assert.Equal("xy", await ic.ReadLine());
            Assert.Equal(new string('b', 40), await ic.ReadLine()); // the last line, without a newline
            Assert.Equal(16, ic.BufferSize);
            Assert.Equal(16, ic.Core.Buffer.Length);
            Assert.Equal(144, ic.Position());
        });
    }

    // A read_line canceled while it waits for the end of a long line keeps the bytes it
    // scanned buffered here (lwt_io.ml loses them: test/differential/README.md,
    // readline-cancel). The buffer it grew for them comes back to its size at the first refill
    // after they are read; it stayed grown for the channel's life, and every refill asked the
    // backend for all of it (differential lwtiopipe MODE=cancel: buffered 65522 on a 16-byte
    // channel).
    [SkippableFact]
    public void A_long_line_canceled_half_way_gives_its_grown_buffer_back_once_its_bytes_are_read()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var line = Encoding.Latin1.GetBytes(new string('a', 100));
            int pos = 0;
            var asked = new List<int>();
            Resolver<int>? waiting = null;
            var ic = LwtIO.MakeInput(m =>
            {
                asked.Add(m.Length);
                if (pos == line.Length)
                {
                    (var p, waiting) = Promise.CreateCancelable<int>(); // the rest of the line is late
                    pos++;
                    return p;
                }
                if (pos > line.Length)
                {
                    "xy\n"u8.CopyTo(m.Span);
                    return Promise.Return(3);
                }
                int n = Math.Min(Math.Min(7, m.Length), line.Length - pos);
                line.AsSpan(pos, n).CopyTo(m.Span);
                pos += n;
                return Promise.Return(n);
            }, bufferSize: 16);

            var read = ic.ReadLine();
            Assert.True(read.IsPending);
            Assert.NotNull(waiting);
            Assert.True(ic.Core.Buffer.Length > 16);
            read.Cancel();
            Assert.True(read.IsCanceled);
            Assert.Equal(100, ic.Buffered());

            Assert.Equal(line, await ic.Read(100));
            Assert.Equal(0, ic.Buffered());
            asked.Clear();
            Assert.Equal("xy", await ic.ReadLine());
            Assert.Equal(16, ic.Core.Buffer.Length);
            Assert.Equal([16], asked); // the refill asked for the buffer's size, not the grown one's
            Assert.Equal(16, ic.BufferSize);
        });
    }

    [SkippableFact]
    public void ResizeBuffer_sets_the_size_a_long_line_comes_back_to()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf(new string('a', 100) + "\n", chunk: 7, bufferSize: 16);
            await LwtIO.ResizeBuffer(ic, 32);
            Assert.Equal(new string('a', 100), await ic.ReadLine());
            Assert.Equal(32, ic.BufferSize);
            Assert.Equal(32, ic.Core.Buffer.Length);
        });
    }

    // lwt_io.ml's write_from (unsafe_write_from'): data that does not fit fills the buffer, then
    // one partial flush; it goes on with the rest only if that flush emptied the buffer, else it
    // returns what it copied, 0 when the buffer was already full. So the count follows the
    // backend: Lwt 5.6.1 gives 0, 3 and 20 below (checked against it), where "flush if full,
    // then copy what fits" gave 3, 3 and 16.
    [SkippableFact]
    public void WriteFrom_counts_as_lwt_io_does_around_a_partial_flush()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            int limit = 3;
            var oc = LwtIO.MakeOutput(m =>
            {
                int n = Math.Min(limit, m.Length);
                sink.AddRange(m[..n].ToArray());
                return Promise.Return(n);
            }, bufferSize: 16);
            var data = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
            await oc.WriteFromExactly(data.AsMemory(0, 16)); // fits exactly: the buffer is full, nothing written yet
            Assert.Empty(sink);
            Assert.Equal(0, await oc.WriteFrom(data.AsMemory(16, 4))); // one partial flush (3 bytes), nothing copied
            Assert.Equal(3, sink.Count);
            Assert.Equal(3, await oc.WriteFromString("wxyz", 0, 4)); // the 3 bytes of room, then a partial flush
            Assert.Equal(6, sink.Count);

            limit = int.MaxValue;
            await oc.Flush();
            sink.Clear();
            Assert.Equal(20, await oc.WriteFrom(data)); // the flush emptied the buffer: the rest follows
            Assert.Equal(data[..16], sink.ToArray());
            await oc.Flush();
            Assert.Equal(data, sink.ToArray());
        });
    }

    // ---- backend counts out of range ------------------------------------------------------

    /// <summary>An input channel whose backend answers <paramref name="counts"/> in turn (a count up to the size asked copies that many bytes of "abcdef..." first), then fills what it is asked.</summary>
    private static InputChannel InputAnswering(params int[] counts)
    {
        int call = 0, pos = 0;
        return LwtIO.MakeInput(m =>
        {
            int n = call < counts.Length ? counts[call++] : m.Length;
            if (n <= m.Length)
            {
                for (int i = 0; i < n; i++) m.Span[i] = (byte)('a' + pos++ % 26);
            }
            return Promise.Return(n);
        }, bufferSize: 16);
    }

    // lwt_io.ml perform_io ("never trust user functions"): a count below 0 or above the bytes
    // asked for fails the operation with Failure "Lwt_io.perform_io: invalid result of the
    // [read] function" and leaves the channel's positions as they were. Ours took the count:
    // a negative one read as neither data nor end of input, and ReadLine refilled for ever,
    // growing its buffer until the process ran out of memory (differential lwtio
    // FAMILIES=faults, seed 2470 prog 92); one too large moved the buffer's end past the bytes
    // read.
    [SkippableTheory]
    [InlineData(-1)]
    [InlineData(17)]
    public void A_read_function_answering_a_count_out_of_range_fails_the_read_and_moves_nothing(int count)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputAnswering(count);
            var c = ic.ReadChar();
            await Promise.Pick(new[] { Promise.Catch(() => c.Map(_ => default(Unit)), _ => Promise.Return(default(Unit))), Pauses(20).Bind(() => Promise.Fail<Unit>(new TimeoutException("ReadChar never ended"))) });
            Assert.IsType<InvalidOperationException>(c.Exception);
            Assert.Equal(0L, ic.Position());
            Assert.Equal(0, ic.Buffered());
            Assert.False(ic.IsBusy);
            Assert.Equal('a', await ic.ReadChar()); // the next call's bytes, from the start of the buffer
        });
    }

    // The same for a read straight into the caller's memory (ReadInto of a buffer at least the
    // channel's size, which lwt_io.ml reads through its buffer: the same check applies).
    [SkippableTheory]
    [InlineData(-1)]
    [InlineData(33)]
    public void A_read_function_answering_a_count_out_of_range_fails_a_direct_ReadInto(int count)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() =>
        {
            var ic = InputAnswering(count);
            var read = ic.ReadInto(new byte[32]);
            Assert.IsType<InvalidOperationException>(read.Exception);
            Assert.Equal(0L, ic.Position());
            Assert.False(ic.IsBusy);
            return Promise.ReturnUnit;
        });
    }

    // lwt_io.ml perform_io, for a write function: the same Failure, the buffer as it was.
    // Ours moved its read pointer past the bytes buffered (a count too large) and then failed
    // with whatever slicing the buffer threw, or took a negative count as "wrote nothing".
    [SkippableTheory]
    [InlineData(-1)]
    [InlineData(4)]
    public void A_write_function_answering_a_count_out_of_range_fails_the_flush_and_keeps_the_bytes(int count)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int calls = 0;
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m =>
            {
                if (calls++ == 0) return Promise.Return(count);
                sink.AddRange(m.ToArray());
                return Promise.Return(m.Length);
            }, bufferSize: 16);
            await oc.Write("abc");
            var flush = oc.Flush();
            Assert.IsType<InvalidOperationException>(flush.Exception);
            Assert.Equal(3L, oc.Position());
            Assert.Equal(3, oc.Buffered());
            await oc.Flush();
            Assert.Equal("abc", Text(sink));
        });
    }

    // lwt_io.ml abort: the channel is closed, the call waiting in the backend fails
    // (abort_wakener), then the close function is forced (a lazy). A Close whose final flush
    // was that call goes on at once to its own abort, which forces the lazy first: Close gets
    // the close function's result, and Abort the same. Ours called the close function only
    // after the failed call's callbacks, so the Close found the channel closed and no result
    // yet, and resolved with unit although the close function failed (differential lwtio
    // FAMILIES=faults, seed 2471 prog 51).
    [SkippableFact]
    public void Abort_during_the_final_flush_of_Close_gives_both_the_close_functions_failure()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (never, _) = Promise.Create<int>();
            int closes = 0;
            var failure = new IOException("close function");
            var oc = LwtIO.MakeOutput(_ => never, () => { closes++; return Promise.Fail(failure); }, bufferSize: 16);
            await oc.Write("abc");
            var closing = oc.Close(); // its flush waits in the backend for ever
            Assert.True(closing.IsPending);
            var abort = oc.Abort();
            await Pauses(3);
            Assert.Same(failure, abort.Exception);
            Assert.Same(failure, closing.Exception);
            Assert.Equal(1, closes);
            Assert.True(oc.IsClosed);
        });
    }

    // lwt_io.ml perform_io (Output) shifts the bytes left to the front after every write, so
    // after a flush that wrote part of the buffer and then failed, write_from finds all the
    // room made (unsafe_write_from': avail = length - ptr). Ours left them in place after a
    // FlushAll's partial write, so the room was only what followed them and WriteFrom took
    // fewer bytes (differential lwtio FAMILIES=faults, seed 2473 prog 187).
    [SkippableFact]
    public void After_a_flush_that_failed_half_way_WriteFrom_takes_all_the_room_made()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            int call = 0;
            var oc = LwtIO.MakeOutput(m =>
            {
                switch (call++)
                {
                    case 0:
                        sink.AddRange(m[..3].ToArray());
                        return Promise.Return(3);
                    case 1:
                        return Promise.Fail<int>(new IOException("backend"));
                    default:
                        sink.AddRange(m[..1].ToArray());
                        return Promise.Return(1);
                }
            }, bufferSize: 16);
            await oc.Write("abcdefghij");
            var flush = oc.Flush();
            Assert.IsType<IOException>(flush.Exception);
            Assert.Equal(7, oc.Buffered());
            // 9 bytes of room: Lwt copies them, flushes part (1 byte) and returns 9
            Assert.Equal(9, await oc.WriteFrom(Encoding.Latin1.GetBytes("0123456789AB")));
            Assert.Equal(19L, oc.Position());
            Assert.Equal("abcd", Text(sink));
        });
    }
    // ---- a seek function answering another offset ----------------------------------------

    // lwt_io.ml do_seek: "if offset <> pos then Lwt.fail (Failure \"Lwt_io.set_position: seek
    // failed\")" (and "Lwt_io.length: seek failed" when length seeks back). Lwt's Failure is
    // ours InvalidOperationException, as for a read function's count out of range; ours
    // rejected with IOException (differential lwtio FAMILIES=faults2, seed 2501 prog 72:
    // Lwt 5.6.1 prints FAIL for both).
    [SkippableFact]
    public void A_seek_function_answering_another_offset_fails_SetPosition_and_Length_with_InvalidOperationException()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = LwtIO.MakeInput(m => Promise.Return(0), bufferSize: 16, seek: (p, origin) => Promise.Return(origin == SeekOrigin.End ? 10L : p + 7));
            var set = ic.SetPosition(5);
            var length = ic.Length();
            await Pauses(3);
            Assert.IsType<InvalidOperationException>(set.Exception);
            Assert.IsType<InvalidOperationException>(length.Exception);
            Assert.Equal(0L, ic.Position());
            Assert.False(ic.IsBusy);
        });
    }
    // ---- abort of an operation waiting in the backend -------------------------------------

    // lwt_io.ml perform_io: Lwt.pick [ch.abort_waiter; perform ...]; Lwt.pick cancels the
    // other promises before it resolves its own (lwt.ml pick's callback: List.iter cancel ps,
    // then resolve), so the callbacks of an operation that Abort fails find the backend's call
    // already canceled. Ours rejected the operation first and canceled the call after its
    // callbacks had run (differential lwtio FAMILIES=faults2, seed 2502 prog 7: a brej run by
    // the failed read's callback found the backend's Lwt.task still pending).
    [SkippableFact]
    public void Abort_cancels_the_backend_call_before_the_waiting_operation_fails()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (call, _) = Promise.CreateCancelable<int>();
            var ic = LwtIO.MakeInput(_ => call, bufferSize: 16);
            var read = ic.ReadChar();
            bool? callPendingThen = null;
            read.OnFailure(_ => callPendingThen = call.IsPending);
            await ic.Abort();
            await Pauses(2);
            Assert.IsType<ChannelClosedException>(read.Exception);
            Assert.True(call.IsCanceled);
            Assert.False(callPendingThen);
        });
    }
    // lwt_io.ml races only the backend's reads and writes against an abort (perform_io's
    // Lwt.pick); set_position and length call the seek function directly, so a seek that
    // fails after the channel was aborted fails the operation with the seek's own error
    // (Lwt 5.6.1: a seek failing after a pause, abort meanwhile: set_position ! Boom). Ours
    // turned it into ChannelClosedException (differential lwtio FAMILIES=faults2, seed 2505
    // prog 70).
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_seek_failing_after_an_abort_fails_SetPosition_and_Length_with_its_own_error(bool input)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            foreach (var useLength in new[] { false, true })
            {
                var (seeking, seeker) = Promise.Create<long>();
                Func<long, SeekOrigin, Promise<long>> seek = (_, _) => seeking;
                LwtChannel ch = input
                    ? LwtIO.MakeInput(_ => Promise.Return(0), bufferSize: 16, seek: seek)
                    : LwtIO.MakeOutput(m => Promise.Return(m.Length), bufferSize: 16, seek: seek);
                Promise op = useLength ? ch.Length() : ch.SetPosition(5);
                await ch.Abort();
                var boom = new TimeoutException("seek");
                seeker.RejectNow(boom);
                await Pauses(2);
                Assert.Same(boom, op.Exception);
            }
        });
    }
}
