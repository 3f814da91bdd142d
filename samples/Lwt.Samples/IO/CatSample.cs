// cat [FILE...]: Lwt_io's copy loop. Each file (or stdin, for none or "-")
// is read into a buffer with ReadInto and written with WriteFromExactly to
// LwtIO.Stdout. A regular file is read by jobs on the worker pool (the kernel
// has no readiness for files); a pipe or a terminal waits in the epoll
// engine. Like cat, a file that cannot be read is reported and skipped, and
// the exit code is 1. When the reader of stdout goes away (`cat FILE | head`),
// the copy ends quietly: cat is killed by SIGPIPE there without a word, but
// .NET ignores SIGPIPE, so the write fails with EPIPE instead; that ends the
// copy with no message and the exit code of what went before (0 unless a file
// could not be read), as a broken pipe is the reader's choice, not an error.

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
        try
        {
            foreach (string file in files)
            {
                try
                {
                    if (file == "-") await Copy(LwtIO.Stdin, output);
                    else await LwtIO.WithFile(LwtIO.Input, file, ic => Copy(ic, output));
                }
                catch (IOException e) when (e is not ChannelClosedException && !IsBrokenPipe(e))
                {
                    status = 1;
                    await output.Flush();   // what was copied before the error comes first
                    await Cli.Complain($"cat: {file}: {e.Message}");
                }
            }

            await output.Flush();
        }
        catch (IOException e) when (IsBrokenPipe(e))
        {
            // The reader of the output went away: a quiet end (see the file comment). Nothing
            // more can be written, so the rest of the files are not read either.
        }

        return status;
    }

    /// <summary>
    /// A write to the output found its reader gone (EPIPE, OCaml's <c>Unix_error (EPIPE, _, _)</c>).
    /// Only writes fail with EPIPE (a read of a pipe whose writer is gone is end of file), so
    /// this is never an input file's error.
    /// </summary>
    private static bool IsBrokenPipe(IOException e) => e is UnixErrorException { Error: UnixError.EPIPE };

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/> until end of file.</summary>
    internal static async Promise Copy(InputChannel input, OutputChannel output)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await input.ReadInto(buffer)) > 0) await output.WriteFromExactly(buffer.AsMemory(0, n));
    }
}
