// http-server [--host H] [--port N]: a tiny HTTP/1.0 server, enough for
// `fetch` to have something local to talk to (the tour runs one on
// 127.0.0.1:0). Built on LwtIO.EstablishServer like the echo server:
//   GET /      200, a line of text
//   GET /slow  answers after 30 s, or stops as soon as the client goes away
//              (what a client's timeout does): the handler races a sleep
//              against end of file on the connection
//   other      404

using System.Net;
using System.Text;

namespace Lwt.Samples.IO;

/// <summary>The <c>http-server</c> command, and the server the tour fetches from.</summary>
public sealed class HttpServerSample : ISample
{
    /// <inheritdoc/>
    public string Name => "http-server";

    /// <inheritdoc/>
    public string Description => "a tiny HTTP/1.0 server for fetch (/, /slow)";

    /// <summary>The command line.</summary>
    internal const string Usage = "http-server [--host H] [--port N]";

    /// <inheritdoc/>
    public bool InTour => false;

    internal const string Greeting = "Hello from the Lwt.Samples HTTP server!\n";

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args)
    {
        var at = EchoServerSample.ParseAddress(ref args, defaultPort: 8080);
        if (args.Length != 0) throw new UsageException($"unexpected '{args[0]}'.");
        return LwtMain.Run(async () =>
        {
            var server = await Start(at);
            await Cli.Say($"http-server: listening on http://{server.Address}/ (Ctrl+C to stop)");
            await EchoServerSample.ServeUntilSignal(server, "http-server");
            return 0;
        });
    }

    /// <summary>Starts the server on <paramref name="at"/> (port 0: any free port).</summary>
    internal static Promise<LwtServer> Start(IPEndPoint at) => LwtIO.EstablishServer(at, (_, ic, oc) => Serve(ic, oc));

    private static async Promise Serve(InputChannel ic, OutputChannel oc)
    {
        try
        {
            if (await ic.ReadLineOpt() is not { HasValue: true } requestLine) return;
            while (await ic.ReadLineOpt() is { HasValue: true } header && header.Value.Length != 0)
            {
            }

            string[] parts = requestLine.Value.Split(' ');
            string path = parts.Length >= 2 ? parts[1] : "/";
            if (path == "/slow")
            {
                // Whichever comes first: the 30 s, or the client hanging up (end of file).
                int winner = await Promise.Pick(LwtUnix.Sleep(30).Map(() => 0), ic.ReadCharOpt().Map(_ => 1));
                if (winner == 1) return;
            }

            (string status, string body) = path is "/" or "/slow" ? ("200 OK", Greeting) : ("404 Not Found", $"No {path} here.\n");
            int length = Encoding.UTF8.GetByteCount(body);
            await oc.Write($"HTTP/1.0 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}");
            await oc.Flush();
        }
        catch (IOException)
        {
            // The client went away mid-request: nothing to answer.
        }
    }
}
