// exec [--timeout S] CMD [ARG...]: Lwt_process. The command runs with its
// three standard descriptors on pipes (LwtProcess.OpenProcessFull); its
// stdin is closed at once (it gets end of file), and its stdout and stderr
// are read at the same time, line by line, by two promises on the loop. Then
// Close waits for the status: exited with a code, or killed by a signal
// (with --timeout, the child is killed when the time runs out). The exit code
// is the child's, or 128 + the signal, as a shell reports it.
// Without CMD, runs a small shell script that uses both outputs. Options are
// read before CMD only (or up to a `--`): what follows CMD is its own, so
// `exec echo --timeout 1 hello` runs `echo --timeout 1 hello`.

using System.Globalization;

namespace Lwt.Samples.IO;

/// <summary>The <c>exec</c> command, and the process part of the tour.</summary>
public sealed class ExecSample : ISample
{
    /// <inheritdoc/>
    public string Name => "exec";

    /// <inheritdoc/>
    public string Description => "run a command with Lwt_process, its output and status";

    /// <summary>The command line.</summary>
    internal const string Usage = "exec [--timeout S] CMD [ARG...]";

    /// <inheritdoc/>
    public bool InTour => false;

    /// <summary>The command run without arguments.</summary>
    internal static readonly ProcessCommand Demo = LwtProcess.Shell("echo hello from a child process; echo and from its stderr >&2; exit 3");

    /// <inheritdoc/>
    public int Run(string[] args) => Cli.WithUsage(this, Usage, () => RunCore(args));

    private static int RunCore(string[] args)
    {
        double timeout = Cli.TakeDouble(ref args, "--timeout", 0, beforeOperands: true);
        args = Cli.Operands(args, beforeOperands: true);
        var command = args.Length == 0 ? Demo : ProcessCommand.Of(args[0], args[1..]);
        return LwtMain.Run(async () =>
        {
            try
            {
                var status = await Exec(command, timeout > 0 ? timeout : null);
                return status.Kind == ProcessStatusKind.Exited ? status.Code : 128 + status.Code;
            }
            catch (UnixErrorException e)
            {
                await Cli.Complain($"exec: {e.Message}");
                return 127;
            }
        });
    }

    /// <summary>Runs <paramref name="command"/>, printing its output lines tagged "out|" and "err|", then its status.</summary>
    internal static async Promise<ProcessStatus> Exec(ProcessCommand command, double? timeout)
    {
        var p = LwtProcess.OpenProcessFull(command, timeout);
        await Cli.Say($"exec: started pid {p.Pid.ToString(CultureInfo.InvariantCulture)}: {command}");
        await p.Stdin.Close();

        async Promise Pump(InputChannel ic, string tag)
        {
            try
            {
                while (await ic.ReadLineOpt() is { HasValue: true } line) await Cli.Say($"  {tag}| {line.Value}");
            }
            catch (IOException) when (p.TimedOut)
            {
                // The timeout killed the child and closed its pipes.
            }
        }

        await Promise.Join(Pump(p.Stdout, "out"), Pump(p.Stderr, "err"));
        var status = await p.Close();
        await Cli.Say($"exec: pid {p.Pid.ToString(CultureInfo.InvariantCulture)} {status}{(p.TimedOut ? " (timed out)" : string.Empty)}");
        return status;
    }
}
