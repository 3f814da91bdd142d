// The I/O part of the tour: everything the I/O commands do, against servers
// this process starts on 127.0.0.1 (port 0: any free port), so that it works
// on a machine with no network:
//   1. an echo server and a tiny HTTP server (LwtIO.EstablishServer);
//   2. tcp-client: a few lines to the echo server and back (LwtUnix sockets,
//      LwtIO channels, sending and receiving at once);
//   3. fetch: GET / with a 2 s timeout (the request wins the Pick), then
//      GET /slow with a 0.2 s timeout (the sleep wins, the request is
//      canceled and its connection closed);
//   4. Lwt_process: exec of a script that writes to both outputs, PMap
//      through `tr`, PReadLines, and a command killed by its timeout;
//   5. both servers shut down (graceful: they wait for their handlers).

using System.Net;
using System.Text;

namespace Lwt.Samples.IO;

/// <summary>The I/O tour (see the file comment); part of the default <c>tour</c>.</summary>
public sealed class IoTour : ISample
{
    /// <inheritdoc/>
    public string Name => "io-tour";

    /// <inheritdoc/>
    public string Description => "local echo and HTTP servers, tcp-client and fetch against them, Lwt_process";

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, "io-tour", () =>
    {
        if (args.Length != 0) throw new UsageException($"unexpected '{args[0]}'.");
        LwtMain.Run(Tour);
        return 0;
    });

    private static async Promise Tour()
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var echo = await EchoServerSample.Start(loopback);
        var http = await HttpServerSample.Start(loopback);
        await Cli.Say($"echo-server: listening on {echo.Address}");
        await Cli.Say($"http-server: listening on http://{http.Address}/");
        try
        {
            // tcp-client, with its "stdin" in memory.
            var lines = new MemoryStream(Encoding.UTF8.GetBytes("hello\nfrom the tcp client\n"));
            await Cli.Say($"$ tcp-client {((IPEndPoint)echo.Address).Address} {((IPEndPoint)echo.Address).Port}   (stdin: 2 lines)");
            await TcpClientSample.Converse(echo.Address, LwtIO.OfStream(LwtIO.Input, lines), reply => Cli.Say($"  echoed: {reply}"));

            // fetch, twice: the request wins, then the timeout wins.
            var root = new Uri($"http://{http.Address}/");
            await Cli.Say($"$ fetch {root} --timeout 2");
            var response = await FetchSample.Fetch(root, 2);
            await Cli.Say(response is null
                ? "  Request timed out"
                : $"  {response.StatusLine}, body: {response.Body.Length} bytes: {FetchSample.BodyText(response).TrimEnd()}");
            var slow = new Uri($"http://{http.Address}/slow");
            await Cli.Say($"$ fetch {slow} --timeout 0.2");
            var late = await FetchSample.Fetch(slow, 0.2);
            await Cli.Say(late is null ? "  Request timed out (as intended: /slow takes 30 s)" : $"  {late.StatusLine} (unexpected)");

            // Lwt_process.
            await Cli.Say("$ exec   (a shell script writing to stdout and stderr)");
            await ExecSample.Exec(ExecSample.Demo, timeout: null);
            string upper = await LwtProcess.PMap(ProcessCommand.Of("tr", "a-z", "A-Z"), "pmap through tr\n");
            await Cli.Say($"pmap [tr a-z A-Z] \"pmap through tr\" -> {upper.TrimEnd()}");
            var words = await LwtProcess.PReadLines(LwtProcess.Shell("printf 'one\\ntwo\\nthree\\n'")).ToList();
            await Cli.Say($"pread_lines [printf ...] -> [{string.Join("; ", words)}]");
            var killed = await LwtProcess.Exec(ProcessCommand.Of("sleep", "30"), timeout: 0.2);
            await Cli.Say($"exec [sleep 30] with a 0.2 s timeout -> {killed}");
        }
        finally
        {
            await Promise.Join(EchoServerSample.Shutdown(echo, graceSeconds: 1), EchoServerSample.Shutdown(http, graceSeconds: 1));
            await Cli.Say("servers shut down");
        }
    }
}
