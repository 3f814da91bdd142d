// The subcommand dispatcher of Lwt.Samples: a table of commands (name, usage,
// entry point), each implemented by one class in its own file. Adding a
// sample is adding one line here.

namespace Lwt.Samples;

/// <summary>The samples' subcommands.</summary>
internal static class Samples
{
    /// <summary>A subcommand: its name, a one-line usage, and its entry point (the exit code).</summary>
    internal sealed record Command(string Name, string Usage, Func<string[], int> Run);

    /// <summary>Every subcommand, in the order of the help text.</summary>
    internal static readonly Command[] All =
    [
        new("tour", "tour                           a tour of the samples below, all on 127.0.0.1 (the default)", TourSample.Run),
        new("fetch", "fetch URL [--timeout S]        HTTP/1.0 GET with a timeout (the Lwt README's example; http:// only)", IO.FetchSample.Run),
        new("echo-server", "echo-server [--host H] [--port N]  a line echo server (Lwt_io.establish_server); Ctrl+C stops it", IO.EchoServerSample.Run),
        new("http-server", "http-server [--host H] [--port N]  a tiny HTTP/1.0 server for fetch (/, /slow); Ctrl+C stops it", IO.HttpServerSample.Run),
        new("tcp-client", "tcp-client HOST PORT           send the lines of stdin, print the server's lines", IO.TcpClientSample.Run),
        new("cat", "cat [FILE...]                  copy files (or stdin, or -) to stdout with Lwt_io", IO.CatSample.Run),
        new("exec", "exec [--timeout S] CMD [ARG...]  run a command with Lwt_process, its output and status", IO.ExecSample.Run),
    ];

    /// <summary>Dispatches to the subcommand named by the first argument (the tour if none).</summary>
    internal static int Dispatch(string[] args)
    {
        string name = args.Length == 0 ? "tour" : args[0];
        if (name is "help" or "-h" or "--help")
        {
            PrintUsage(Console.Out);
            return 0;
        }

        var command = Array.Find(All, c => c.Name == name);
        if (command is null)
        {
            Console.Error.WriteLine($"Lwt.Samples: unknown command '{name}'.");
            PrintUsage(Console.Error);
            return 2;
        }

        try
        {
            return command.Run(args.Length == 0 ? args : args[1..]);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{command.Name}: {e.Message}");
            Console.Error.WriteLine($"usage: Lwt.Samples {command.Usage}");
            return 2;
        }
    }

    private static void PrintUsage(TextWriter w)
    {
        w.WriteLine("usage: dotnet run --project samples/Lwt.Samples [COMMAND [ARGS...]]");
        foreach (var c in All) w.WriteLine($"  {c.Usage}");
    }
}

/// <summary>Bad command-line arguments (the dispatcher prints the usage).</summary>
internal sealed class UsageException(string message) : Exception(message);
