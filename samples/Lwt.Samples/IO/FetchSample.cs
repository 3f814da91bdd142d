// fetch URL [--timeout S]: the Lwt README's first program. A request races a
// sleep with Promise.Pick: whichever resolves first wins and the other is
// canceled (a canceled request closes its connection; a canceled sleep
// leaves the timer wheel).
//
//   let request = ... Lwt_io.with_connection addr (fun (ic, oc) -> ...) in
//   let timeout = Lwt_unix.sleep 5. >>= fun () -> Lwt.return None in
//   match Lwt_main.run (Lwt.pick [request; timeout]) with ...
//
// The request is HTTP/1.0 with "Connection: close" over our own sockets
// (LwtUnix.GetAddrInfo, LwtIO.WithConnection): http:// only, no TLS, no
// redirects, no chunked bodies (HTTP/1.0 servers send the body and close).

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lwt.Samples.IO;

/// <summary>The <c>fetch</c> command: an HTTP GET with a timeout.</summary>
public sealed class FetchSample : ISample
{
    /// <inheritdoc/>
    public string Name => "fetch";

    /// <inheritdoc/>
    public string Description => "HTTP/1.0 GET raced against a sleep (Lwt README; http:// only)";

    /// <summary>The command line.</summary>
    internal const string Usage = "fetch URL [--timeout S]";

    /// <inheritdoc/>
    public bool InTour => false;

    /// <summary>An HTTP response: its status line, its headers and its body.</summary>
    internal sealed record Response(string StatusLine, IReadOnlyList<string> Headers, byte[] Body);

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args)
    {
        // --timeout before or after the URL, as the usage shows it; `--` ends the options.
        double timeout = Cli.TakeDouble(ref args, "--timeout", 5);
        args = Cli.Operands(args);
        if (args.Length != 1) throw new UsageException("one URL expected.");
        if (!Uri.TryCreate(args[0], UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            throw new UsageException($"'{args[0]}' is not an http:// URL.");

        return LwtMain.Run(async () =>
        {
            try
            {
                var response = await Fetch(uri, timeout);
                if (response is null)
                {
                    await Cli.Complain($"Request timed out (after {timeout.ToString(CultureInfo.InvariantCulture)} s)");
                    return 1;
                }

                await Cli.Say(response.StatusLine);
                foreach (var h in response.Headers) await Cli.Say("  " + h);
                await Cli.Say($"body: {response.Body.Length} bytes");
                return 0;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                await Cli.Complain($"fetch: {uri}: {e.Message}");
                return 2;
            }
        });
    }

    /// <summary>The request raced against the timeout: the response, or null if the time ran out first.</summary>
    internal static Promise<Response?> Fetch(Uri uri, double timeoutSeconds)
    {
        var request = Request(uri);
        var timeout = LwtUnix.Sleep(timeoutSeconds).Map(() => (Response?)null);
        return Promise.Pick(request, timeout);
    }

    /// <summary>Resolves the host, connects, sends a GET and reads the whole response.</summary>
    private static async Promise<Response?> Request(Uri uri)
    {
        var addresses = await LwtUnix.GetAddrInfo(uri.DnsSafeHost, uri.Port.ToString(CultureInfo.InvariantCulture), socketType: SocketType.Stream);
        if (addresses.Count == 0) throw new IOException($"{uri.Host}: no address");
        EndPoint server = addresses[0].Address;

        return await LwtIO.WithConnection(server, async (ic, oc) =>
        {
            await oc.Write($"GET {uri.PathAndQuery} HTTP/1.0\r\nHost: {uri.Authority}\r\nUser-Agent: Lwt.Samples\r\nConnection: close\r\n\r\n");
            await oc.Flush();
            string statusLine = await ic.ReadLine();
            var headers = new List<string>();
            while (await ic.ReadLineOpt() is { HasValue: true } line && line.Value.Length != 0) headers.Add(line.Value);
            byte[] body = await ic.Read();
            return (Response?)new Response(statusLine, headers, body);
        });
    }

    /// <summary>The body as text (for the tour).</summary>
    internal static string BodyText(Response r) => Encoding.UTF8.GetString(r.Body);
}
