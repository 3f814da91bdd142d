using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Lwt.Tests.IO;

/// <summary>LwtUnix over real pipes, sockets and files (no mocks).</summary>
[Collection("IO")]
public class LwtUnixTests
{
    [SkippableFact]
    public void LargeBuffersThroughAPipeArriveWhole()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var data = new byte[4 << 20];
        new Random(1).NextBytes(data);
        var received = new MemoryStream();
        int partialWrites = 0;
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            async Promise Writer()
            {
                int off = 0;
                while (off < data.Length)
                {
                    int n = await LwtUnix.Write(w, data.AsMemory(off, Math.Min(1 << 20, data.Length - off)));
                    if (n < Math.Min(1 << 20, data.Length - off)) partialWrites++;
                    off += n;
                }

                await w.Close();
            }

            async Promise Reader()
            {
                var buf = new byte[100_000];
                while (true)
                {
                    int n = await LwtUnix.Read(r, buf);
                    if (n == 0) break;
                    received.Write(buf, 0, n);
                }

                await r.Close();
            }

            await Promise.Join(Writer(), Reader());
        });
        Assert.True(partialWrites > 0, "a 1 MiB write into a 64 KiB pipe is partial");
        Assert.Equal(data, received.ToArray());
    }

    [SkippableFact]
    public void CancelingAPendingReadRemovesItsRegistrationAndKeepsTheFdUsable()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var engine = LwtEngine.Current;
            int before = engine.ReadableCount;
            var (r, w) = LwtUnix.Pipe();
            var buf = new byte[16];
            var read = LwtUnix.Read(r, buf);
            Assert.True(read.IsPending);
            Assert.Equal(before + 1, engine.ReadableCount);
            read.Cancel();
            Assert.True(read.IsCanceled);
            Assert.Equal(before, engine.ReadableCount);
            Assert.Equal(0, r.PendingReads);

            await LwtUnix.Write(w, Encoding.ASCII.GetBytes("hi"));
            Assert.Equal(2, await LwtUnix.Read(r, buf));
            Assert.Equal("hi", Encoding.ASCII.GetString(buf, 0, 2));
            r.Dispose();
            w.Dispose();
            Assert.Equal(before, engine.ReadableCount);
        });
    }

    [SkippableFact]
    public void ClosingAnFdRejectsItsPendingOperations()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int before = LwtEngine.Current.ReadableCount;
            var (r, w) = LwtUnix.Pipe();
            var read1 = LwtUnix.Read(r, new byte[4]);
            var read2 = LwtUnix.WaitRead(r);
            await r.Close();
            var e1 = await Assert.ThrowsAsync<UnixErrorException>(async () => await read1);
            Assert.Equal(9, e1.Errno); // EBADF, as Lwt_unix's check_descriptor
            await Assert.ThrowsAsync<UnixErrorException>(async () => await read2);
            await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.Read(r, new byte[4]));
            await Assert.ThrowsAsync<UnixErrorException>(async () => await r.Close());
            Assert.Equal(before, LwtEngine.Current.ReadableCount);
            w.Dispose();
        });
    }

    [SkippableFact]
    public void ReadVAndWriteVMoveSeveralBuffers()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            int n = await LwtUnix.WriteV(w, new ReadOnlyMemory<byte>[] { Encoding.ASCII.GetBytes("abc"), Encoding.ASCII.GetBytes("defg") });
            Assert.Equal(7, n);
            var a = new byte[2];
            var b = new byte[10];
            n = await LwtUnix.ReadV(r, new Memory<byte>[] { a, b });
            Assert.Equal(7, n);
            Assert.Equal("ab", Encoding.ASCII.GetString(a));
            Assert.Equal("cdefg", Encoding.ASCII.GetString(b, 0, 5));
            r.Dispose();
            w.Dispose();
        });
    }

    [SkippableFact]
    public void TcpAcceptConnectSendRecvAndOptions()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            using var listener = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            LwtUnix.SetSockOpt(listener, SocketBoolOption.ReuseAddr, true);
            Assert.True(LwtUnix.GetSockOpt(listener, SocketBoolOption.ReuseAddr));
            await LwtUnix.Bind(listener, new IPEndPoint(IPAddress.Loopback, 0));
            LwtUnix.Listen(listener, 16);
            var address = (IPEndPoint)LwtUnix.GetSockName(listener);
            Assert.NotEqual(0, address.Port);

            var accepting = LwtUnix.Accept(listener);
            Assert.True(accepting.IsPending);
            using var client = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            await LwtUnix.Connect(client, address);
            var (server, peer) = await accepting;
            Assert.Equal(LwtUnix.GetSockName(client), peer);
            LwtUnix.SetSockOpt(server, SocketBoolOption.TcpNoDelay, true);
            Assert.True(LwtUnix.GetSockOpt(server, SocketBoolOption.TcpNoDelay));
            LwtUnix.SetSockOpt(server, SocketIntOption.SndBuf, 65536);
            Assert.True(LwtUnix.GetSockOpt(server, SocketIntOption.SndBuf) >= 65536);

            var buf = new byte[16];
            var recv = LwtUnix.Recv(server, buf);
            Assert.True(recv.IsPending);
            Assert.Equal(5, await LwtUnix.Send(client, Encoding.ASCII.GetBytes("hello")));
            Assert.Equal(5, await recv);
            LwtUnix.Shutdown(client, SocketShutdown.Send);
            Assert.Equal(0, await LwtUnix.Recv(server, buf));
            await server.Close();
        });
    }

    [SkippableFact]
    public void ConnectToAClosedPortRejects()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            int port;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            using var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
            var e = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.Connect(fd, new IPEndPoint(IPAddress.Loopback, port)));
            Assert.Equal(111, e.Errno); // ECONNREFUSED
        });
    }

    [SkippableFact]
    public void UdpSendToAndRecvFrom()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            using var a = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            using var b = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Dgram);
            await LwtUnix.Bind(a, new IPEndPoint(IPAddress.Loopback, 0));
            await LwtUnix.Bind(b, new IPEndPoint(IPAddress.Loopback, 0));
            var buf = new byte[64];
            var pending = LwtUnix.RecvFrom(b, buf);
            Assert.True(pending.IsPending);
            await LwtUnix.SendTo(a, Encoding.ASCII.GetBytes("ping"), LwtUnix.GetSockName(b));
            var (n, from) = await pending;
            Assert.Equal(4, n);
            Assert.Equal(LwtUnix.GetSockName(a), from);
        });
    }

    [SkippableFact]
    public void UnixDomainSocketsAndSocketPairs()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.Combine(Path.GetTempPath(), $"lwt-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        LwtMain.Run(async () =>
        {
            using var listener = LwtUnix.Socket(AddressFamily.Unix, SocketType.Stream);
            await LwtUnix.Bind(listener, new UnixDomainSocketEndPoint(path));
            LwtUnix.Listen(listener, 4);
            Assert.Equal(path, LwtUnix.GetSockName(listener).ToString());
            using var client = LwtUnix.Socket(AddressFamily.Unix, SocketType.Stream);
            var accepting = LwtUnix.Accept(listener);
            await LwtUnix.Connect(client, new UnixDomainSocketEndPoint(path));
            var (server, peer) = await accepting;
            Assert.IsType<UnnamedUnixEndPoint>(peer);
            await LwtUnix.Write(client, Encoding.ASCII.GetBytes("x"));
            Assert.Equal(1, await LwtUnix.Read(server, new byte[4]));
            server.Dispose();

            var (p, q) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            await LwtUnix.Write(p, Encoding.ASCII.GetBytes("yz"));
            Assert.Equal(2, await LwtUnix.Read(q, new byte[4]));
            p.Dispose();
            q.Dispose();
        });
        File.Delete(path);
    }

    [SkippableFact]
    public void FileJobsRunOnThePool()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = Path.Combine(Path.GetTempPath(), $"lwt-files-{Guid.NewGuid():N}");
        LwtMain.Run(async () =>
        {
            await LwtUnix.Mkdir(dir);
            Assert.Equal(FileKind.Directory, (await LwtUnix.Stat(dir)).Kind);
            string file = Path.Combine(dir, "a.txt");
            var fd = await LwtUnix.OpenFile(file, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate);
            Assert.True(fd.IsBlocking);
            Assert.Equal(5, await LwtUnix.Write(fd, Encoding.ASCII.GetBytes("hello")));
            await fd.Close();
            var stats = await LwtUnix.Stat(file);
            Assert.Equal(FileKind.Regular, stats.Kind);
            Assert.Equal(5, stats.Size);

            await LwtUnix.Rename(file, Path.Combine(dir, "b.txt"));
            var names = await LwtUnix.ReadDir(dir);
            Assert.Equal(new[] { ".", "..", "b.txt" }, names.OrderBy(x => x, StringComparer.Ordinal));
            var streamed = await LwtUnix.FilesOfDirectory(dir).ToList();
            Assert.Contains("b.txt", streamed);

            var rd = await LwtUnix.OpenFile(Path.Combine(dir, "b.txt"), OpenFlags.ReadOnly);
            var buf = new byte[10];
            Assert.Equal(5, await LwtUnix.Read(rd, buf));
            Assert.Equal(0, await LwtUnix.Read(rd, buf));
            rd.Dispose();

            await LwtUnix.Unlink(Path.Combine(dir, "b.txt"));
            var missing = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.Unlink(Path.Combine(dir, "b.txt")));
            Assert.Equal(2, missing.Errno); // ENOENT
            await LwtUnix.Rmdir(dir);
            Assert.False(Directory.Exists(dir));
        });
    }

    [SkippableFact]
    public void GetAddrInfoResolvesLocalhost()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var infos = LwtMain.Run(() => LwtUnix.GetAddrInfo("127.0.0.1", "8080", socketType: SocketType.Stream));
        var info = Assert.Single(infos);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), info.Address);
        var (host, service) = LwtMain.Run(() => LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Loopback, 80)));
        Assert.False(string.IsNullOrEmpty(host));
        // getnameinfo(3) names the port from the services database ("http" in every /etc/services
        // that has port 80; ServiceNameTests covers a machine without one).
        Skip.IfNot(ServiceNameTests.Database.ContainsKey(("http", "tcp")), "no services database entry for http/tcp on this machine");
        Assert.Equal("http", service);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int sig);

    [SkippableFact]
    public void OnSignalRunsTheHandlerOnTheLoop()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        int got = 0;
        int loopThread = 0, handlerThread = 0;
        LwtMain.Run(() =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            var (p, r) = Promise.Create();
            var handler = LwtUnix.OnSignal(10 /* SIGUSR1 */, s =>
            {
                got = s;
                handlerThread = Environment.CurrentManagedThreadId;
                r.Resolve();
            });
            Kill(Environment.ProcessId, 10);
            return p.Bind(() =>
            {
                handler.Stop();
                return Promise.ReturnUnit;
            });
        });
        Assert.Equal(10, got);
        Assert.Equal(loopThread, handlerThread);
    }

    [SkippableFact]
    public void WaitPidNoHangOnANonChildRejects()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var e = await Assert.ThrowsAsync<UnixErrorException>(async () => await LwtUnix.WaitPid(1, WaitFlags.NoHang));
            Assert.Equal(10, e.Errno); // ECHILD
        });
    }
}
