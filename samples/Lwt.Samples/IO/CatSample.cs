// cat [FILE...]: Lwt_io's copy loop. Each file (or stdin, for none or "-")
// is read into a buffer with ReadInto and written with WriteFromExactly to
// LwtIO.Stdout. A regular file is read by jobs on the worker pool (the kernel
// has no readiness for files); a pipe or a terminal waits in the epoll
// engine. Like cat, a file that cannot be read is reported and skipped, and
// the exit code is 1.

namespace Lwt.Samples.IO;

/// <summary>The <c>cat</c> command.</summary>
public sealed class CatSample : ISample
{
    /// <inheritdoc/>
    public string Name => "cat";

    /// <inheritdoc/>
    public string Description => "copy files (or stdin, or -) to stdout with Lwt_io";

    /// <summary>The command line.</summary>
    internal const string Usage = "cat [FILE...]";

    /// <inheritdoc/>
    public bool InTour => false;

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args) => LwtMain.Run(() => Cat(args.Length == 0 ? ["-"] : args, LwtIO.Stdout));

    internal static async Promise<int> Cat(IReadOnlyList<string> files, OutputChannel output)
    {
        int status = 0;
        foreach (string file in files)
        {
            try
            {
                if (file == "-") await Copy(LwtIO.Stdin, output);
                else await LwtIO.WithFile(LwtIO.Input, file, ic => Copy(ic, output));
            }
            catch (IOException e) when (e is not ChannelClosedException)
            {
                await output.Flush();
                await Cli.Complain($"cat: {file}: {e.Message}");
                status = 1;
            }
        }

        await output.Flush();
        return status;
    }

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/> until end of file.</summary>
    internal static async Promise Copy(InputChannel input, OutputChannel output)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await input.ReadInto(buffer)) > 0) await output.WriteFromExactly(buffer.AsMemory(0, n));
    }
}
