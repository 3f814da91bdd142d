// echo-server [--host H] [--port N]: the Russian overview's TCP server,
// as a line echo server: LwtIO.EstablishServer calls the handler with each
// client's channels, and closes them when the handler's promise resolves.
//
// Stopping: Ctrl+C (SIGINT) or SIGTERM, through LwtUnix.OnSignal, which runs
// its handler on the loop (Lwt_unix.on_signal). The server then stops
// accepting (LwtIO.ShutdownServer) and waits a moment for the clients to
// finish; the ones still connected after that are aborted.

using System.Globalization;
using System.Net;

namespace Lwt.Samples.IO;

/// <summary>The <c>echo-server</c> command, and the echo server the tour talks to.</summary>
public sealed class EchoServerSample : ISample
{
    /// <inheritdoc/>
    public string Name => "echo-server";

    /// <inheritdoc/>
    public string Description => "a line echo server; Ctrl+C stops it";

    /// <summary>The command line.</summary>
    internal const string Usage = "echo-server [--host H] [--port N]";

    /// <inheritdoc/>
    public bool InTour => false;

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args)
    {
        var at = ParseAddress(ref args, defaultPort: 9000);
        if (args.Length != 0) throw new UsageException($"unexpected '{args[0]}'.");
        return LwtMain.Run(async () =>
        {
            var server = await Start(at);
            var port = ((IPEndPoint)server.Address).Port;
            await Cli.Say($"echo-server: listening on {server.Address}, port {port} (Ctrl+C to stop)");
            await ServeUntilSignal(server, "echo-server");
            return 0;
        });
    }

    /// <summary>The clients being served (by every server of this process), to abort the stragglers at shutdown.</summary>
    private static readonly HashSet<InputChannel> s_clients = [];

    /// <summary>Starts an echo server on <paramref name="at"/> (port 0: any free port).</summary>
    internal static Promise<LwtServer> Start(IPEndPoint at) => LwtIO.EstablishServer(at, (_, ic, oc) => Echo(ic, oc));

    /// <summary>Sends every line back, until the client closes its side.</summary>
    private static async Promise Echo(InputChannel ic, OutputChannel oc)
    {
        s_clients.Add(ic);
        try
        {
            while (await ic.ReadLineOpt() is { HasValue: true } line)
            {
                await oc.WriteLine(line.Value);
                await oc.Flush();
            }
        }
        catch (IOException)
        {
            // The client reset the connection, or the server aborted it at shutdown.
        }
        finally
        {
            s_clients.Remove(ic);
        }
    }

    /// <summary>--host H (default 127.0.0.1) and --port N.</summary>
    internal static IPEndPoint ParseAddress(ref string[] args, int defaultPort)
    {
        string host = Cli.TakeOption(ref args, "--host") ?? "127.0.0.1";
        int port = Cli.TakePort(ref args, "--port", defaultPort);
        if (!IPAddress.TryParse(host, out var address)) throw new UsageException($"--host: '{host}' is not an IP address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>Waits for SIGINT or SIGTERM, then shuts the server down (1 s of grace for the clients).</summary>
    internal static async Promise ServeUntilSignal(LwtServer server, string name)
    {
        var (stop, stopper) = Promise.Create<int>();
        using var sigint = LwtUnix.OnSignal(2, n => stopper.TryResolve(n));
        using var sigterm = LwtUnix.OnSignal(15, n => stopper.TryResolve(n));
        int signum = await stop;
        await Cli.Say($"{name}: got signal {signum.ToString(CultureInfo.InvariantCulture)}, shutting down ({server.ActiveConnections} client(s) connected)");
        await Shutdown(server, graceSeconds: 1);
        await Cli.Say($"{name}: stopped");
    }

    /// <summary>Stops accepting, waits up to <paramref name="graceSeconds"/> for the handlers, then aborts the clients left.</summary>
    internal static async Promise Shutdown(LwtServer server, double graceSeconds)
    {
        var drained = LwtIO.ShutdownServer(server);
        await Promise.Choose(drained, LwtUnix.Sleep(graceSeconds));
        if (drained.IsPending)
        {
            foreach (var ic in s_clients.ToArray()) await ic.Abort();
        }

        await drained;
    }
}
