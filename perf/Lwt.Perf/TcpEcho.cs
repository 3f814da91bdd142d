// tcp-echo (shared/anchors/WORKLOADS.md): the echo server, driven by the C load
// generator through shared/anchors/echo-load/drive.sh, like the anchors' run.sh.
//
//   Lwt.Perf tcp-echo-server <port-file> <expected-connections> [unix|lwt_io]
//       the server: listens on 127.0.0.1:0, writes the port file (tmp + rename),
//       echoes until <expected-connections> clients have come and gone, prints
//       "SERVER alloc_bytes=.. peak_rss_mb=..".
//         unix   : LwtUnix.Accept + LwtUnix.Read/Write on the fd (bench.ml's "unix")
//         lwt_io : LwtIO.EstablishServer + ReadInto / WriteFromExactly / Flush (bench.ml's "lwt_io")
//   Lwt.Perf workload tcp-echo | tcp-echo/lwt_io
//       runs drive.sh with this executable as the server (so `workloads` and
//       compare.sh get the WORKLOAD and LOAD lines like the other workloads').

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lwt.Perf;

internal static class TcpEcho
{
    internal static int Server(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Lwt.Perf tcp-echo-server <port-file> <expected-connections> [unix|lwt_io]");
            return 2;
        }

        string portFile = args[0];
        int expect = int.Parse(args[1], CultureInfo.InvariantCulture);
        string mode = args.Length > 2 ? args[2] : "unix";
        long a0 = GC.GetTotalAllocatedBytes(true);
        Promise main = mode switch
        {
            "unix" => UnixServer(portFile, expect),
            "lwt_io" => LwtIOServer(portFile, expect),
            _ => throw new ArgumentException("unknown server mode " + mode),
        };
        LwtMain.Run(Promise.Pick(main, LwtUnix.Sleep(300).Bind(() => Promise.Fail(new TimeoutException("echo server: timeout")))));
        long a1 = GC.GetTotalAllocatedBytes(true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SERVER alloc_bytes={a1 - a0} peak_rss_mb={Harness.PeakRssMb():F1}"));
        return 0;
    }

    private static void WritePortFile(string path, EndPoint address)
    {
        File.WriteAllText(path + ".tmp", ((IPEndPoint)address).Port.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static async Promise UnixServer(string portFile, int expect)
    {
        var finished = 0;
        var (allDone, allDoneResolver) = Promise.Create();
        using var sock = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
        LwtUnix.SetSockOpt(sock, SocketBoolOption.ReuseAddr, true);
        await LwtUnix.Bind(sock, new IPEndPoint(IPAddress.Loopback, 0));
        LwtUnix.Listen(sock, 1024);
        WritePortFile(portFile, LwtUnix.GetSockName(sock));

        async Promise Handle(LwtFd fd)
        {
            try
            {
                LwtUnix.SetSockOpt(fd, SocketBoolOption.TcpNoDelay, true);
                var buf = new byte[4096];
                while (true)
                {
                    int k = await LwtUnix.Read(fd, buf);
                    if (k == 0)
                    {
                        await fd.Close();
                        break;
                    }

                    int off = 0;
                    while (off < k) off += await LwtUnix.Write(fd, buf.AsMemory(off, k - off));
                }
            }
            finally
            {
                if (++finished == expect) allDoneResolver.Resolve();
            }
        }

        for (int accepted = 0; accepted < expect; accepted++)
        {
            var (fd, _) = await LwtUnix.Accept(sock);
            Promise.Async(() => Handle(fd));
        }

        await sock.Close();
        await allDone;
    }

    private static async Promise LwtIOServer(string portFile, int expect)
    {
        var finished = 0;
        var (allDone, allDoneResolver) = Promise.Create();

        // As bench.ml: TCP_NODELAY on the listening socket (Linux copies it to accepted ones).
        var fd = LwtUnix.Socket(AddressFamily.InterNetwork, SocketType.Stream);
        LwtUnix.SetSockOpt(fd, SocketBoolOption.TcpNoDelay, true);
        var server = await LwtIO.EstablishServer(new IPEndPoint(IPAddress.Loopback, 0), async (_, ic, oc) =>
        {
            try
            {
                await Workloads.EchoChannels(ic, oc);   // ReadInto, WriteFromExactly, Flush until end of input
            }
            finally
            {
                if (++finished == expect) allDoneResolver.Resolve();
            }
        }, backlog: 1024, fd: fd);
        WritePortFile(portFile, server.Address);
        await allDone;
        await LwtIO.ShutdownServer(server);
    }

    /// <summary>`workload tcp-echo[/lwt_io]`: drive.sh with this executable as the server.</summary>
    internal static int Drive(string name)
    {
        string mode = name == "tcp-echo/lwt_io" ? "lwt_io" : "unix";
        string anchors = Environment.GetEnvironmentVariable("SHARED") is { Length: > 0 } shared
            ? Path.Combine(shared, "anchors")
            : "/work/shared/anchors";
        string echoLoad = Path.Combine(anchors, "echo-load");
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");

        // build.sh prints the build directory (load and echo_epoll).
        string build = RunCapture(Path.Combine(echoLoad, "build.sh")).Trim();
        var psi = new ProcessStartInfo(Path.Combine(echoLoad, "drive.sh")) { UseShellExecute = false };
        psi.Environment["LOAD_BIN"] = Path.Combine(build, "load");
        foreach (var a in new[] { name, self })
            psi.ArgumentList.Add(a);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            psi.ArgumentList.Add(typeof(TcpEcho).Assembly.Location);
        foreach (var a in new[] { "tcp-echo-server", "{PORTFILE}", "{EXPECT}", mode })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start drive.sh");
        p.WaitForExit();
        return p.ExitCode;
    }

    private static string RunCapture(string file)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException(file + " failed");
        return output;
    }
}
