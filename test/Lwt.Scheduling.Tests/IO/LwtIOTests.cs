using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lwt.Tests.IO;

/// <summary>LwtIO channels and servers over real loopback sockets, pipes and files.</summary>
[Collection("IO")]
public class LwtIOTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    [SkippableFact]
    public void LinesSplitAcrossWritesAndAPeerThatClosesMidLine()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe(bufferSize: 16);
            var reading = ic.ReadLine();
            await oc.Write("hel");
            await oc.Flush();
            Assert.True(reading.IsPending);
            await oc.Write("lo\r\nsecond line longer than the buffer\nthird without newline");
            await oc.Close(); // flushes, then the peer is gone mid-line
            Assert.Equal("hello", await reading);
            Assert.Equal("second line longer than the buffer", await ic.ReadLine());
            Assert.Equal("third without newline", await ic.ReadLine()); // partial line at end of input
            Assert.False((await ic.ReadLineOpt()).HasValue);
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.ReadLine());
            await ic.Close();
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await ic.ReadLine());
        });
    }

    [SkippableFact]
    public void CharsBytesAndExactReads()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe();
            await oc.WriteFromExactly(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
            await oc.WriteChar('A');
            await oc.Flush();
            Assert.Equal((char)1, await ic.ReadChar());
            Assert.Equal(new byte[] { 2, 3 }, await ic.Read(2));
            var exact = new byte[4];
            await ic.ReadIntoExactly(exact);
            Assert.Equal(new byte[] { 4, 5, 6, 7 }, exact);
            var some = new byte[10];
            Assert.Equal(3, await ic.ReadInto(some));
            await oc.Close();
            Assert.False((await ic.ReadCharOpt()).HasValue);
            Assert.Empty(await ic.Read(5));
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await ic.ReadIntoExactly(new byte[1]));
        });
    }

    [SkippableFact]
    public void LargeWritesAndReadAllThroughAPipe()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var data = new byte[1 << 20];
        new Random(2).NextBytes(data);
        byte[] got = LwtMain.Run(() =>
        {
            var (ic, oc) = LwtIO.Pipe();
            var writer = oc.WriteFromExactly(data).Bind(() => oc.Close());
            return Promise.Both(writer.Map(() => 0), ic.Read()).Map(t => t.Item2);
        });
        Assert.Equal(data, got);
    }

    [SkippableFact]
    public void AReadCanceledByPickAgainstATimeoutLeavesTheChannelUsable()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var engine = LwtEngine.Current;
            int before = engine.ReadableCount;
            var (ic, oc) = LwtIO.Pipe();
            await oc.Write("par");
            await oc.Flush();
            for (int i = 0; i < 3; i++)
            {
                var line = ic.ReadLine().Map(l => (string?)l);
                var winner = await Promise.Pick(line, LwtUnix.Sleep(0.02).Map(() => (string?)null));
                Assert.Null(winner);
                Assert.True(line.IsCanceled);
                Assert.True(ic.IsIdle);
            }

            await oc.Write("tial\nnext\n");
            await oc.Flush();
            Assert.Equal("partial", await ic.ReadLine()); // nothing lost
            Assert.Equal("next", await ic.ReadLine());
            await oc.Close();
            await ic.Close();
            Assert.Equal(before, engine.ReadableCount);
        });
    }

    [SkippableFact]
    public void ClosingAChannelUnderAPendingReadRejectsIt()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe();
            var reading = ic.ReadLine();
            var queued = ic.ReadChar();
            await ic.Abort();
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await reading);
            await Assert.ThrowsAsync<ChannelClosedException>(async () => await queued);
            await oc.Close();
        });
    }

    [SkippableFact]
    public void AtomicKeepsASequenceTogether()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string text = LwtMain.Run(async () =>
        {
            var (ic, oc) = LwtIO.Pipe();
            var atomic = LwtIO.Atomic(oc, async w =>
            {
                await w.Write("a");
                await LwtUnix.Sleep(0.01);
                await w.Write("b");
                return 0;
            });
            var other = oc.Write("x");
            await Promise.Join(atomic, other);
            await oc.Close();
            return Encoding.ASCII.GetString(await ic.Read());
        });
        Assert.Equal("abx", text);
    }

    [SkippableFact]
    public void StreamsAndFiles()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.Combine(Path.GetTempPath(), $"lwt-io-{Guid.NewGuid():N}.txt");
        LwtMain.Run(async () =>
        {
            var ms = new MemoryStream(Encoding.UTF8.GetBytes("one\ntwo\nthree"));
            var lines = await LwtIO.OfStream(LwtIO.Input, ms).ReadLines().ToList();
            Assert.Equal(new[] { "one", "two", "three" }, lines);

            await LwtIO.WithFile(LwtIO.Output, path, oc => oc.FPrintlf("{0} + {1} = {2}", 1, 2.5, 3.5).Bind(() => oc.WriteLine("é")));
            var read = await LwtIO.WithFile(LwtIO.Input, path, ic => ic.ReadLines().ToList());
            Assert.Equal(new[] { "1 + 2.5 = 3.5", "é" }, read);

            var sink = new MemoryStream();
            var so = LwtIO.OfStream(LwtIO.Output, sink, leaveOpen: true);
            await so.Write("to a stream");
            await so.Close();
            Assert.Equal("to a stream", Encoding.UTF8.GetString(sink.ToArray()));
        });
        File.Delete(path);
    }

    private static Promise<LwtServer> EchoLines(EndPoint address) =>
        LwtIO.EstablishServer(address, async (_, ic, oc) =>
        {
            while ((await ic.ReadLineOpt()) is { HasValue: true } line)
            {
                await oc.WriteLine(line.Value);
                await oc.Flush();
            }
        });

    [SkippableFact]
    public void AServerWithAHundredConcurrentClients()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var server = await EchoLines(AnyLoopback);
            async Promise<int> Client(int i)
            {
                var (ic, oc) = await LwtIO.OpenConnection(server.Address);
                int ok = 0;
                for (int k = 0; k < 10; k++)
                {
                    await oc.WriteLine($"client {i} line {k}");
                    await oc.Flush();
                    if (await ic.ReadLine() == $"client {i} line {k}") ok++;
                }

                await oc.Close();
                return ok;
            }

            var results = await Promise.All(Enumerable.Range(0, 100).Select(Client));
            Assert.All(results, ok => Assert.Equal(10, ok));
            await LwtIO.ShutdownServer(server);
            Assert.Equal(0, server.ActiveConnections);
        });
    }

    [SkippableFact]
    public void ShutdownServerStopsAcceptingAndWaitsForTheHandlers()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var server = await EchoLines(AnyLoopback);
            var clients = new List<(InputChannel Ic, OutputChannel Oc)>();
            for (int i = 0; i < 3; i++)
            {
                var c = await LwtIO.OpenConnection(server.Address);
                await c.Output.WriteLine("hi");
                await c.Output.Flush();
                Assert.Equal("hi", await c.Input.ReadLine());
                clients.Add(c);
            }

            Assert.Equal(3, server.ActiveConnections);
            var shutdown = LwtIO.ShutdownServer(server);
            Assert.True(shutdown.IsPending);
            await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtIO.OpenConnection(server.Address));

            // The connected clients are still served until they leave.
            await clients[0].Oc.WriteLine("still there");
            await clients[0].Oc.Flush();
            Assert.Equal("still there", await clients[0].Ic.ReadLine());
            foreach (var (ic, oc) in clients)
            {
                await oc.Close();
                await ic.Close();
            }

            await shutdown;
            Assert.Equal(0, server.ActiveConnections);
        });
    }

    [SkippableFact]
    public void UnixDomainServerAndWithConnection()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.Combine(Path.GetTempPath(), $"lwt-srv-{Guid.NewGuid():N}.sock");
        string answer = LwtMain.Run(async () =>
        {
            var server = await EchoLines(new UnixDomainSocketEndPoint(path));
            string reply = await LwtIO.WithConnection(new UnixDomainSocketEndPoint(path), async (ic, oc) =>
            {
                await oc.WriteLine("over unix");
                await oc.Flush();
                return await ic.ReadLine();
            });
            await server.Shutdown();
            return reply;
        });
        Assert.Equal("over unix", answer);
        Assert.False(File.Exists(path));
    }

    [SkippableFact]
    public void TenThousandConnectionsDoNotLeakDescriptors()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        static int OpenFds() => OpenDescriptors.Take().Count;
        int before = 0, after = 0;
        LwtMain.Run(async () =>
        {
            var server = await LwtIO.EstablishServer(AnyLoopback, (_, ic, _) => ic.ReadCharOpt(), backlog: 1024);
            before = OpenFds();
            async Promise Worker(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    var (ic, oc) = await LwtIO.OpenConnection(server.Address);
                    await oc.Close();
                    await ic.Close();
                }
            }

            await Promise.Join(Enumerable.Range(0, 50).Select(_ => Worker(200)));
            while (server.ActiveConnections > 0) await LwtUnix.Sleep(0.01);
            after = OpenFds();
            await server.Shutdown();
        });
        Assert.InRange(after, 0, before + 20);
    }
}
