// tcp-client HOST PORT: the Russian overview's TCP client (its second form,
// on LwtUnix sockets wrapped in channels with LwtIO.OfFd), made
// interactive: the lines of stdin go to the server while the server's lines
// are printed, both at once (two promises joined on one loop thread). At end
// of stdin the client shuts down its sending side (a TCP half-close) and
// waits for the server to finish; when the server closes first, the pending
// read of stdin is canceled.

using System.Net;
using System.Net.Sockets;

namespace Lwt.Samples.IO;

/// <summary>The <c>tcp-client</c> command.</summary>
public sealed class TcpClientSample : ISample
{
    /// <inheritdoc/>
    public string Name => "tcp-client";

    /// <inheritdoc/>
    public string Description => "send the lines of stdin, print the server's lines";

    /// <summary>The command line.</summary>
    internal const string Usage = "tcp-client HOST PORT";

    /// <inheritdoc/>
    public bool InTour => false;

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args)
    {
        if (args.Length != 2) throw new UsageException("HOST and PORT expected.");
        string host = args[0];
        int port = Cli.ParsePort(args[1]);
        return LwtMain.Run(async () =>
        {
            try
            {
                var addresses = await LwtUnix.GetAddrInfo(host, port.ToString(System.Globalization.CultureInfo.InvariantCulture), socketType: SocketType.Stream);
                if (addresses.Count == 0) throw new IOException($"{host}: no address");
                await Converse(addresses[0].Address, LwtIO.Stdin, Cli.Say);
                return 0;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                await Cli.Complain($"tcp-client: {host}:{port}: {e.Message}");
                return 1;
            }
        });
    }

    /// <summary>
    /// Connects to <paramref name="server"/>, sends the lines of <paramref name="input"/> and
    /// passes each line the server sends to <paramref name="onLine"/>, until the server closes.
    /// </summary>
    internal static async Promise Converse(EndPoint server, InputChannel input, Func<string, Promise> onLine)
    {
        // As the overview's Tcp_connection.create: a raw socket, connect, then channels over it.
        var fd = LwtUnix.Socket(server.AddressFamily, SocketType.Stream);
        try
        {
            await LwtUnix.Connect(fd, server);
            var ic = LwtIO.OfFd(LwtIO.Input, fd, closeFd: false);
            var oc = LwtIO.OfFd(LwtIO.Output, fd, closeFd: false);

            async Promise Send()
            {
                while (await input.ReadLineOpt() is { HasValue: true } line)
                {
                    await oc.WriteLine(line.Value);
                    await oc.Flush();
                }

                LwtUnix.Shutdown(fd, SocketShutdown.Send); // "no more lines": the server sees end of file
            }

            async Promise Receive()
            {
                while (await ic.ReadLineOpt() is { HasValue: true } line) await onLine(line.Value);
            }

            var sending = Send();
            await Receive();
            if (sending.IsPending) sending.Cancel(); // the server hung up first
            else await sending;
        }
        finally
        {
            await fd.Close();
        }
    }
}
