using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtIO checked against lwt_io.mli and, where it is terse, lwt_io.ml (the comments name the
/// source of each expectation).
/// </summary>
[Collection("IO")]
public class IOAuditTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static InputChannel InputOf(string s) =>
        LwtIO.OfStream(LwtIO.Input, new MemoryStream(Encoding.UTF8.GetBytes(s)), bufferSize: 16);

    private static async Promise Pauses(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    // ---- close, abort and atomic, as lwt_io.ml does them ------------------------------

    // lwt_io.mli abort: "abort current operations and close the channel immediately."
    // lwt_io.ml perform_io: Lwt.pick [ch.abort_waiter; perform]; abort: wakeup_exn abort_wakener (Channel_closed)
    [SkippableFact]
    public void AbortRejectsAReadPendingInACustomBackend()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (never, _) = Promise.Create<int>();
            var ic = LwtIO.MakeInput(_ => never);
            var reading = ic.ReadLine();
            await ic.Abort();
            await Pauses(3);
            Assert.False(reading.IsPending);
            Assert.IsType<ChannelClosedException>(reading.Exception);
            Assert.True(ic.IsIdle); // lwt_io.ml is_busy: Idle | Closed -> false
        });
    }

    [SkippableFact]
    public void AbortRejectsAFlushPendingInACustomBackend()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (never, _) = Promise.Create<int>();
            var oc = LwtIO.MakeOutput(_ => never);
            await oc.Write("abc");
            var flushing = oc.Flush();
            await oc.Abort();
            await Pauses(3);
            Assert.False(flushing.IsPending);
            Assert.IsType<ChannelClosedException>(flushing.Exception);
        });
    }

    [SkippableFact]
    public void ClosingAnInputChannelRejectsAReadPendingInACustomBackend()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (never, _) = Promise.Create<int>();
            var ic = LwtIO.MakeInput(_ => never);
            var reading = ic.Read(10);
            await ic.Close();
            await Pauses(3);
            Assert.IsType<ChannelClosedException>(reading.Exception);
        });
    }

    // lwt_io.mli close: "[close] returns the result of the close function of the channel."
    // lwt_io.ml close (Output): primitive (fun channel -> safe_flush_total channel >>= fun () -> abort wrapper)
    //   where safe_flush_total = Lwt.catch (fun () -> flush_total oc) (fun _ -> Lwt.return_unit)
    [SkippableFact]
    public void CloseOfAnOutputIgnoresAFailingFlushAndReturnsTheCloseFunctionsResult()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int closes = 0;
            var oc = LwtIO.MakeOutput(
                _ => Promise.Pause().Bind(() => Promise.Fail<int>(new IOException("write failed"))),
                () => { closes++; return Promise.ReturnUnit; });
            await oc.Write("abc");
            var closing = oc.Close();
            await Pauses(5);
            Assert.False(closing.IsPending);
            Assert.Equal(1, closes);
            Assert.True(oc.IsClosed);
            await closing; // Lwt: resolves (the close function's result); here: rejects with "write failed"
        });
    }

    // lwt_io.mli close: "Multiple calls to [close] will return exactly the same value." / abort:
    // "close the channel immediately". lwt_io.ml: an abort during close makes the pending flush fail
    // (abort_waiter), safe_flush_total swallows it, abort returns Lazy.force close: close resolves.
    [SkippableFact]
    public void CloseResolvesWhenAbortedWhileItsFlushIsPending()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (write, writer) = Promise.Create<int>();
            var oc = LwtIO.MakeOutput(m => write);
            await oc.Write("abc");
            var closing = oc.Close(); // flush pending in the backend
            var aborting = oc.Abort();
            await aborting;
            writer.Resolve(3); // the backend completes the write after all
            await Pauses(5);
            Assert.False(closing.IsPending, "Close never resolves: its promise waits on itself");
        });
    }

    // lwt_io.ml close (Output): Lwt.catch (fun () -> primitive (...) wrapper) (fun _ -> abort wrapper);
    // abort on a Closed channel: "Double close, just returns the same thing as before" (Lazy.force close).
    [SkippableFact]
    public void CloseQueuedBehindAPendingFlushThenAbortedResolves()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int closes = 0;
            var (never, _) = Promise.Create<int>();
            var oc = LwtIO.MakeOutput(_ => never, () => { closes++; return Promise.ReturnUnit; });
            await oc.Write("abc");
            var flushing = oc.Flush();   // holds the channel, pending in the backend
            var closing = oc.Close();    // queued behind it
            await oc.Abort();
            await Pauses(3);
            Assert.Equal(1, closes);
            Assert.False(closing.IsPending);
            await closing; // Lwt: resolves with the close function's result; here: ChannelClosedException
        });
    }

    // lwt_io.mli close: "Note: you cannot use [close] on channels obtained with {!atomic}."
    // lwt_io.ml close: if channel.main != wrapper then Lwt.fail (Failure "Lwt_io.close: cannot close a channel obtained via Lwt_io.atomic")
    [SkippableFact]
    public void CloseOfAnAtomicWrapperFails()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var oc = LwtIO.MakeOutput(m => Promise.Return(m.Length));
            var r = LwtIO.Atomic(oc, w => w.Close().Map(() => 0));
            await Pauses(3);
            Assert.False(oc.IsClosed, "closing the temporary atomic channel closed the real channel");
            await Assert.ThrowsAnyAsync<Exception>(async () => await r);
        });
    }

    // lwt_io.mli atomic: "the channel passed to [f] is invalid after [f] terminates".
    // lwt_io.ml abort: | Invalid -> Lwt.fail (invalid_channel wrapper.channel)
    [SkippableFact]
    public void AbortOfAnInvalidAtomicWrapperFailsAndLeavesTheChannelOpen()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf("abc\n");
            InputChannel? saved = null;
            await LwtIO.Atomic(ic, w => { saved = w; return Promise.Return(0); });
            var p = saved!.Abort();
            Assert.False(ic.IsClosed, "Abort of an invalid temporary channel closed the real channel");
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await p);
            Assert.Equal("abc", await ic.ReadLine());
        });
    }

    // lwt_io.ml establish_server_with_client_address: "Not using Lwt.finalize here, to make sure that
    // exceptions from [f] reach !Lwt.async_exception_hook before exceptions from closing the channels."
    // (catch f -> async_exception_hook; then best_effort_close input; then output)
    [SkippableFact]
    public void ServerHandlerExceptionReachesTheHookBeforeTheChannelsAreClosed()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var saved = Promise.AsyncExceptionHook;
        var seen = new List<(Exception E, bool InputClosed, bool OutputClosed)>();
        try
        {
            LwtMain.Run(async () =>
            {
                InputChannel? sic = null;
                OutputChannel? soc = null;
                Promise.AsyncExceptionHook = e => seen.Add((e, sic!.IsClosed, soc!.IsClosed));
                var server = await LwtIO.EstablishServer(AnyLoopback, (_, ic, oc) =>
                {
                    sic = ic;
                    soc = oc;
                    return ic.ReadLine().Bind(_ => Promise.Fail(new InvalidOperationException("handler")));
                });
                var (cic, coc) = await LwtIO.OpenConnection(server.Address);
                await coc.WriteLine("x");
                await coc.Flush();
                Assert.False((await cic.ReadLineOpt()).HasValue); // the server closed its side
                await coc.Close();
                await cic.Close();
                await server.Shutdown();
            });
        }
        finally
        {
            Promise.AsyncExceptionHook = saved;
        }

        var (e, inputClosed, outputClosed) = Assert.Single(seen);
        Assert.Equal("handler", e.Message);
        Assert.False(inputClosed, "the input channel was closed before the hook saw the handler's exception");
        Assert.False(outputClosed, "the output channel was closed before the hook saw the handler's exception");
    }

    // lwt_io.mli read_line: "End of line is either "\n" or "\r\n"" (lwt_io.ml keeps a lone '\r').
    [SkippableFact]
    public void ReadLineCrHandling()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf("a\rb\n\r\nx\r\r\nlast\r");
            Assert.Equal("a\rb", await ic.ReadLine());
            Assert.Equal("", await ic.ReadLine());
            Assert.Equal("x\r", await ic.ReadLine());
            Assert.Equal("last\r", await ic.ReadLine()); // lwt: '\r' before EOF is kept
            Assert.False((await ic.ReadLineOpt()).HasValue);
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.ReadLine());
        });
    }

    // "\r\n" split across two backend reads.
    [SkippableFact]
    public void CrLfSplitAcrossRefills()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var chunks = new Queue<byte[]>(new[] { "ab\r"u8.ToArray(), "\ncd\n"u8.ToArray() });
            var ic = LwtIO.MakeInput(m =>
            {
                if (!chunks.TryDequeue(out var c)) return Promise.Return(0);
                c.CopyTo(m);
                return Promise.Return(c.Length);
            });
            Assert.Equal("ab", await ic.ReadLine());
            Assert.Equal("cd", await ic.ReadLine());
            Assert.Empty(await ic.ReadLines().ToList());
        });
    }

    // read ~count: "reads at most [~count] bytes ... resolves with "" if the input channel is already at the end".
    [SkippableFact]
    public void ReadCountAtMostAndEmptyAtEnd()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf("0123456789abcdefXYZ");
            var a = await ic.Read(100);
            Assert.InRange(a.Length, 1, 100);
            var rest = await ic.Read();
            Assert.Equal("0123456789abcdefXYZ", Encoding.ASCII.GetString(a.Concat(rest).ToArray()));
            Assert.Empty(await ic.Read(5));
            Assert.Empty(await ic.Read());
            Assert.Equal(0, await ic.ReadInto(new byte[4]));
        });
    }

    // read_into_exactly: "@raise End_of_file on end of input" (short input).
    [SkippableFact]
    public void ReadIntoExactlyShort()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var ic = InputOf("abc");
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.ReadIntoExactly(new byte[10]));
            var big = InputOf(new string('z', 40));
            var buf = new byte[40];
            await big.ReadIntoExactly(buf);
            Assert.All(buf, b => Assert.Equal((byte)'z', b));
        });
    }

    // Channel_closed on write/flush/read/atomic after close; close idempotent (same promise), close function once.
    [SkippableFact]
    public void ClosedChannelOperationsAndIdempotentClose()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int closes = 0;
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m => { sink.AddRange(m.ToArray()); return Promise.Return(m.Length); }, () => { closes++; return Promise.ReturnUnit; });
            await oc.Write("data");
            var c1 = oc.Close();
            var c2 = oc.Close();
            Assert.Same(c1, c2);
            await c1;
            Assert.Same(c1, oc.Close());
            Assert.Same(c1, oc.Abort());
            Assert.Equal(1, closes);
            Assert.Equal("data", Encoding.ASCII.GetString(sink.ToArray()));
            var e = await Assert.ThrowsAsync<ChannelClosedException>(async () => await oc.Write("x"));
            Assert.Equal("output", e.Channel);
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await oc.WriteChar('x'));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await oc.Flush());
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await oc.WriteFrom(new byte[1]));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await LwtIO.Atomic(oc, _ => Promise.Return(0)));

            var ic = InputOf("abc");
            var i1 = ic.Close();
            Assert.Same(i1, ic.Close());
            var ie = await Assert.ThrowsAsync<ChannelClosedException>(async () => await ic.ReadChar());
            Assert.Equal("input", ie.Channel);
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await ic.Read(1));
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await ic.ReadInto(new byte[1]));
        });
    }

    // abort does not flush; close after pending writes performs them ("performs all pending actions").
    [SkippableFact]
    public void AbortDoesNotFlushCloseRunsPendingActions()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m => { sink.AddRange(m.ToArray()); return Promise.Return(m.Length); });
            await oc.Write("lost");
            await oc.Abort();
            await Pauses(3);
            Assert.Empty(sink);

            var sink2 = new List<byte>();
            var (gate, opener) = Promise.Create<int>();
            bool first = true;
            var oc2 = LwtIO.MakeOutput(m =>
            {
                var data = m.ToArray();
                if (first) { first = false; return gate.Map(_ => { sink2.AddRange(data); return data.Length; }); }
                sink2.AddRange(data);
                return Promise.Return(data.Length);
            }, bufferSize: 16);
            await oc2.Write("0123456789");
            var f = oc2.Flush();          // pending in the backend
            var w = oc2.Write("abc");     // queued
            var c = oc2.Close();          // queued after the write
            opener.Resolve(10);
            await c;
            await f;
            await w;
            Assert.Equal("0123456789abc", Encoding.ASCII.GetString(sink2.ToArray()));
        });
    }

    // "byte channels of this module are automatically flushed when there is nothing else to do".
    [SkippableFact]
    public void AutoFlush()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe();
            await oc.WriteLine("no explicit flush");
            Assert.Equal("no explicit flush", await ic.ReadLine());
            await oc.WriteChar('z');
            Assert.Equal('z', await ic.ReadChar());
            await oc.Close();
            await ic.Close();
        });
    }

    // atomic: invalid after f; nested atomic; is_busy during atomic; write_line not interleaved.
    [SkippableFact]
    public void AtomicDetails()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m => Promise.Pause().Map(() => { sink.AddRange(m.ToArray()); return m.Length; }), bufferSize: 16);
            OutputChannel? saved = null;
            var a = LwtIO.Atomic(oc, w => { saved = w; return LwtIO.Atomic(w, w2 => w2.Write("nested-").Bind(() => Promise.Pause()).Bind(() => w2.Write("ok;")).Map(() => 1)); });
            Assert.False(oc.IsIdle);
            var other = oc.WriteLine("a line longer than the sixteen byte buffer");
            var other2 = oc.WriteLine("second line longer than the buffer too");
            Assert.Equal(1, await a);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await saved!.Write("x"));
            await Promise.Join(other, other2);
            await oc.Close();
            Assert.Equal("nested-ok;a line longer than the sixteen byte buffer\nsecond line longer than the buffer too\n", Encoding.ASCII.GetString(sink.ToArray()));
        });
    }

    // set_default_buffer_size: "@raise Invalid_argument if the given size is smaller than [16]".
    [Fact]
    public void BufferSizeLimits()
    {
        Assert.ThrowsAny<ArgumentException>(() => LwtIO.MakeInput(_ => Promise.Return(0), bufferSize: 15));
        Assert.ThrowsAny<ArgumentException>(() => LwtIO.MakeOutput(m => Promise.Return(m.Length), bufferSize: 0));
        Assert.Equal(16, LwtIO.MakeInput(_ => Promise.Return(0), bufferSize: 16).BufferSize);
    }

    // write_from: "writes up to [length] bytes ... returns the number of bytes actually written".
    [SkippableFact]
    public void WriteFromReturnsAtMostLength()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = LwtIO.MakeOutput(m => { sink.AddRange(m.ToArray()); return Promise.Return(m.Length); }, bufferSize: 16);
            var data = Encoding.ASCII.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz");
            int total = 0;
            while (total < data.Length)
            {
                int n = await oc.WriteFrom(data.AsMemory(total));
                Assert.InRange(n, 1, data.Length - total);
                total += n;
            }

            Assert.Equal(0, await oc.WriteFrom(ReadOnlyMemory<byte>.Empty));
            await oc.Close();
            Assert.Equal(data, sink.ToArray());
        });
    }

    // establish_server: "The channels are closed automatically when the promise returned by [f] resolves.
    // To avoid this behavior, pass [~no_close:true]."
    [SkippableFact]
    public void ServerClosesChannelsUnlessNoClose()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            OutputChannel? kept = null;
            var server = await LwtIO.EstablishServer(AnyLoopback, (_, _, oc) => oc.WriteLine("bye"));
            var (ic, oc) = await LwtIO.OpenConnection(server.Address);
            Assert.Equal("bye", await ic.ReadLine());
            Assert.False((await ic.ReadLineOpt()).HasValue);
            await oc.Close();
            await ic.Close();
            await server.Shutdown();

            var server2 = await LwtIO.EstablishServer(AnyLoopback, (_, _, o) => { kept = o; return o.WriteLine("hi").Bind(() => o.Flush()); }, noClose: true);
            var (ic2, oc2) = await LwtIO.OpenConnection(server2.Address);
            Assert.Equal("hi", await ic2.ReadLine());
            await Pauses(5);
            Assert.False(kept!.IsClosed);
            await kept.WriteLine("still open");
            Assert.Equal("still open", await ic2.ReadLine());
            await kept.Close();
            await oc2.Close();
            await ic2.Close();
            await server2.Shutdown();
        });
    }

    // open_connection ?fd: "If [fd] is not specified, a fresh one will be used": given, the
    // caller's socket is the one connected (here bound first, so the server sees its port);
    // a failed connect closes it, as lwt_io.ml's catch does (Lwt_unix.close fd).
    [SkippableFact]
    public void OpenConnectionWithASocketConnectsThatSocketAndClosesItOnFailure()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            EndPoint? seen = null;
            var server = await LwtIO.EstablishServer(AnyLoopback, (client, _, oc) => { seen = client; return oc.WriteLine("hi"); });
            var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Bind(fd, new IPEndPoint(IPAddress.Loopback, 0));
            var local = (IPEndPoint)LwtUnix.GetSockName(fd);
            var (ic, oc) = await LwtIO.OpenConnection(fd, server.Address, bufferSize: 64);
            Assert.Equal("hi", await ic.ReadLine());
            Assert.Equal(local, seen);
            Assert.Equal(64, ic.BufferSize);
            await oc.Close();
            await ic.Close();
            Assert.True(fd.IsClosed); // the channels own it
            await server.Shutdown();

            // nothing listens at the server's old address now: the connect fails, fd is closed
            var fd2 = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtIO.OpenConnection(fd2, server.Address));
            Assert.Equal(LwtFdState.Closed, fd2.State);

            // with_connection ~fd: the same socket, closed with the channels
            var server3 = await LwtIO.EstablishServer(AnyLoopback, (client, _, oc) => oc.WriteLine(client.ToString()!));
            var fd3 = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Bind(fd3, new IPEndPoint(IPAddress.Loopback, 0));
            var local3 = LwtUnix.GetSockName(fd3).ToString();
            Assert.Equal(local3, await LwtIO.WithConnection(fd3, server3.Address, (ic3, _) => ic3.ReadLine()));
            Assert.True(fd3.IsClosed);
            await server3.Shutdown();

            Assert.Throws<ArgumentNullException>(() => LwtIO.OpenConnection(null!, server.Address));
            Assert.Throws<ArgumentNullException>(() => LwtIO.OpenConnection(fd2, null!));
        });
    }

    // with_close_connection: "makes sure that [ic] and [oc] are closed, whether [f] returns or fails ...
    // Does not fail if [ic] or [oc] is already closed."
    [SkippableFact]
    public void WithConnectionClosesAndToleratesClosedChannels()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var server = await LwtIO.EstablishServer(AnyLoopback, (_, ic, oc) => ic.ReadLineOpt().Map(_ => 0));
            InputChannel? ci = null;
            OutputChannel? co = null;
            await LwtIO.WithConnection(server.Address, async (ic, oc) =>
            {
                ci = ic; co = oc;
                await oc.Close();
                await ic.Close();
            });
            await Assert.ThrowsAsync<InvalidOperationException>(async () =>
                await LwtIO.WithConnection(server.Address, (ic, oc) => { ci = ic; co = oc; return Promise.Fail(new InvalidOperationException("f")); }));
            Assert.True(ci!.IsClosed);
            Assert.True(co!.IsClosed);
            await server.Shutdown();
        });
    }
}
