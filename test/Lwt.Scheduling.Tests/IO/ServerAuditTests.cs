using System.Net;
using System.Net.Sockets;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// Servers, connections and files as the hosting audit found them: ShutdownServer's two
/// promises (the drain, and Lwt's listener-closed), buffer sizes refused at the call before
/// a descriptor is opened, Lwt's O_NONBLOCK default in OpenFile (FIFOs), and a caller's
/// socket left open when bind fails.
/// </summary>
[Collection("IO")]
public class ServerAuditTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private const int ENXIO = 6, ESPIPE = 29, ECONNREFUSED = 111, EADDRINUSE = 98;

    // ---- F1: ShutdownServer from a handler; ListenerClosed --------------------------

    [SkippableFact]
    public void AHandlerThatShutsTheServerDownResumesOnListenerClosedAndTheDrainFollowsIt()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var order = new List<string>();
        LwtMain.Run(async () =>
        {
            LwtServer? server = null;
            server = await LwtIO.EstablishServer(AnyLoopback, async (_, _, oc) =>
            {
                // The drain waits for this very handler: awaiting it here would never resume.
                var drained = LwtIO.ShutdownServer(server!);
                order.Add(drained.IsPending ? "drain pending" : "drain resolved");
                await server!.ListenerClosed;
                order.Add("listener closed");
                await oc.WriteLine("bye");
            });
            Assert.True(server.ListenerClosed.IsPending);

            var (ic, oc) = await LwtIO.OpenConnection(server.Address);
            Assert.Equal("bye", await ic.ReadLine());
            await server.Shutdown(); // the promise the handler started, now drained
            order.Add("drained");
            Assert.Equal(0, server.ActiveConnections);
            Assert.True(server.IsShutDown);
            Assert.Equal(ECONNREFUSED, Errno(await Record(LwtIO.OpenConnection(server.Address))));
            await oc.Close();
        });
        Assert.Equal(["drain pending", "listener closed", "drained"], order);
    }

    [SkippableFact]
    public void ListenerClosedDoesNotWaitForAnIdleClientAndTheUnixPathIsGoneByThen()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        string path = Path.Combine(dir, "server.sock");
        try
        {
            LwtMain.Run(async () =>
            {
                var (started, start) = Promise.Create();
                var server = await LwtIO.EstablishServer(new UnixDomainSocketEndPoint(path), (_, ic, _) =>
                {
                    start.Resolve(default);
                    return ic.ReadCharOpt().Map(_ => default(Unit)); // waits for its client
                });
                Assert.True(File.Exists(path));
                var (cic, coc) = await LwtIO.OpenConnection(server.Address);
                await started;

                var drained = server.Shutdown();
                Assert.Same(drained, LwtIO.ShutdownServer(server));
                await server.ListenerClosed;
                Assert.False(File.Exists(path));
                Assert.True(drained.IsPending);
                Assert.Equal(1, server.ActiveConnections);

                await coc.Close(); // the client leaves: its handler reads the end of input and returns
                await drained;
                Assert.Equal(0, server.ActiveConnections);
                await cic.Close();
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---- F2: buffer sizes refused at the call ---------------------------------------

    [SkippableFact]
    public void ABadBufferSizeIsRefusedAtTheCallBeforeAnyDescriptorOrFileIsMade()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        string existing = Path.Combine(dir, "existing");
        string created = Path.Combine(dir, "created");
        string temps = Path.Combine(dir, "temps");
        File.WriteAllText(existing, "x\n");
        Directory.CreateDirectory(temps);
        try
        {
            LwtMain.Run(async () =>
            {
                var server = await LwtIO.EstablishServerWithClientSocket(AnyLoopback, (_, _) => Promise.ReturnUnit);
                var before = OpenDescriptors.Take();

                void Refused(Func<object> call) => Assert.Equal("bufferSize", Assert.Throws<ArgumentOutOfRangeException>(call).ParamName);
                Refused(() => LwtIO.OpenConnection(server.Address, bufferSize: 8));
                Refused(() => LwtIO.WithConnection(server.Address, (_, _) => Promise.ReturnUnit, bufferSize: 8));
                Refused(() => LwtIO.WithConnection(server.Address, (_, _) => Promise.Return(1), bufferSize: 15));
                Refused(() => LwtIO.OpenFile(LwtIO.Input, existing, bufferSize: 8));
                Refused(() => LwtIO.OpenFile(LwtIO.Output, created, bufferSize: 0));
                Refused(() => LwtIO.WithFile(LwtIO.Input, existing, _ => Promise.ReturnUnit, bufferSize: -1));
                Refused(() => LwtIO.WithFile(LwtIO.Output, created, _ => Promise.Return(1), bufferSize: 8));
                Refused(() => LwtIO.OpenTempFile(tempDir: temps, bufferSize: 8));
                Refused(() => LwtIO.WithTempFile((_, _) => Promise.ReturnUnit, tempDir: temps, bufferSize: 8));
                Refused(() => LwtIO.EstablishServer(AnyLoopback, (_, _, _) => Promise.ReturnUnit, bufferSize: 8));
                Refused(() => LwtIO.EstablishServerWithClientAddress(AnyLoopback, (_, _, _) => Promise.ReturnUnit, bufferSize: 8));

                before.AssertNoneOpenedSince();
                Assert.False(File.Exists(created));
                Assert.Empty(Directory.GetFileSystemEntries(temps));
                Assert.Equal(0, server.ActiveConnections);

                // The smallest size is taken.
                var ic = await LwtIO.OpenFile(LwtIO.Input, existing, bufferSize: 16);
                Assert.Equal(16, ic.BufferSize);
                Assert.Equal("x", await ic.ReadLine());
                await ic.Close();
                await server.Shutdown();
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---- F3: OpenFile's defaults carry O_NONBLOCK, as Lwt's ----------------------------

    /// <summary>
    /// Runs <paramref name="body"/> on a loop with a FIFO no one has open. A guard fails the
    /// test if an open blocks (as it did without O_NONBLOCK); the FIFO is then opened
    /// read-write, which never blocks, so that a blocked open job returns.
    /// </summary>
    private static void WithFifo(Func<string, Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        string fifo = Path.Combine(dir, "fifo");
        try
        {
            LwtMain.Run(async () =>
            {
                await LwtUnix.Mkfifo(fifo, 0b110_000_000);
                await LwtUnix.WithTimeout(30, () => body(fifo).Map(() => default(Unit)));
            });
        }
        finally
        {
            int fd = LibC.Open(fifo, (int)(OpenFlags.ReadWrite | OpenFlags.NonBlock) | LibC.O_CLOEXEC, 0);
            if (fd >= 0) LibC.Close(fd);
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void AFifoOpensForInputAtOnceAndReadsWhatAWriterSends()
    {
        WithFifo(async fifo =>
        {
            var ic = await LwtIO.OpenFile(LwtIO.Input, fifo); // no writer: Lwt's open does not wait for one
            var oc = await LwtIO.OpenFile(LwtIO.Output, fifo); // a reader is there now
            await oc.WriteLine("through the fifo");
            await oc.Close();
            Assert.Equal("through the fifo", await ic.ReadLine());
            Assert.False((await ic.ReadCharOpt()).HasValue); // the writer has gone: end of input
            await ic.Close();
        });
    }

    [SkippableFact]
    public void AFifoWithoutAReaderRefusesOutputWithEnxioAndItsLengthIsEspipe()
    {
        WithFifo(async fifo =>
        {
            var before = OpenDescriptors.Take();
            Assert.Equal(ENXIO, Errno(await Record(LwtIO.OpenFile(LwtIO.Output, fifo))));
            Assert.Equal(ESPIPE, Errno(await Record(LwtIO.FileLength(fifo))));
            Assert.Equal(ESPIPE, Errno(await Record(LwtIO.WithFile(LwtIO.Input, fifo, ic => LwtIO.Length(ic).Map(_ => default(Unit))))));
            before.AssertNoneOpenedSince();
        });
    }

    [SkippableFact]
    public void ARegularFileOpenedWithTheNonBlockingDefaultsReadsAndWritesToItsEnd()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        string path = Path.Combine(dir, "data");
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        try
        {
            LwtMain.Run(async () =>
            {
                await LwtIO.WithFile(LwtIO.Output, path, oc => oc.WriteFromExactly(bytes));
                Assert.Equal(bytes.Length, await LwtIO.FileLength(path));
                var read = await LwtIO.WithFile(LwtIO.Input, path, async ic =>
                {
                    var buffer = new byte[bytes.Length + 10];
                    int n = 0, got;
                    while ((got = await ic.ReadInto(buffer.AsMemory(n))) > 0) n += got;
                    return buffer[..n];
                });
                Assert.Equal(bytes, read);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---- F4: a caller's socket stays open when bind fails ------------------------------

    [SkippableFact]
    public void AFailedBindLeavesTheCallersSocketOpenForAnotherTry()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var taken = await LwtIO.EstablishServer(AnyLoopback, (_, _, _) => Promise.ReturnUnit);

            var mine = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            Assert.Equal(EADDRINUSE, Errno(await Record(LwtIO.EstablishServer(taken.Address, (_, _, _) => Promise.ReturnUnit, fd: mine))));
            Assert.False(mine.IsClosed);
            var server = await LwtIO.EstablishServer(AnyLoopback, (_, _, oc) => oc.WriteLine("mine"), fd: mine);
            var answer = await LwtIO.WithConnection(server.Address, (ic, _) => ic.ReadLine());
            Assert.Equal("mine", answer);
            await server.Shutdown();
            Assert.True(mine.IsClosed); // the server's to close once it runs, as Lwt's shutdown does

            var mine2 = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            Assert.Equal(EADDRINUSE, Errno(await Record(LwtIO.EstablishServerWithClientSocket(taken.Address, (_, _) => Promise.ReturnUnit, serverFd: mine2))));
            Assert.False(mine2.IsClosed);
            await mine2.Close();

            // A socket made by the server itself is still closed when its bind fails.
            var before = OpenDescriptors.Take();
            Assert.Equal(EADDRINUSE, Errno(await Record(LwtIO.EstablishServer(taken.Address, (_, _, _) => Promise.ReturnUnit))));
            before.AssertNoneOpenedSince();
            await taken.Shutdown();
        });
    }

    // lwt_io.ml's establish_server makes a connection's channels with of_fd, whose seek is
    // Lwt_unix.lseek: Length and SetPosition fail with ESPIPE. open_connection makes the
    // client's with make and no seek (Failure: here InvalidOperationException). Ours gave the
    // server's channels no seek either (lwtiopipe differential, socket mode, seed 1: Lwt
    // "length ic ! Illegal seek", ours a failure without errno).
    [SkippableFact]
    public void A_servers_channels_seek_with_lseek_and_fail_with_ESPIPE_a_clients_have_no_seek()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            Exception? length = null, setPosition = null;
            var server = await LwtIO.EstablishServer(AnyLoopback, async (_, ic, oc) =>
            {
                length = await Record(ic.Length());
                setPosition = await Record(oc.SetPosition(0));
                await oc.WriteLine("done");
            });
            var (cic, coc) = await LwtIO.OpenConnection(server.Address);
            Assert.Equal("done", await cic.ReadLine());
            Assert.Equal(ESPIPE, Errno(length));
            Assert.Equal(ESPIPE, Errno(setPosition));
            Assert.IsType<InvalidOperationException>(await Record(cic.Length()));
            await coc.Close();
            await server.Shutdown();
        });
    }
}
