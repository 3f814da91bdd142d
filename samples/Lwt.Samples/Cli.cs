// Small helpers shared by the samples: option parsing (--name value) and
// printing through Lwt_io's stdout, flushed line by line so that the samples'
// output interleaves correctly with anything else written to the terminal.

using System.Globalization;

namespace Lwt.Samples;

/// <summary>Command-line and output helpers of the samples.</summary>
internal static class Cli
{
    /// <summary>Runs a sample's body; bad arguments print the usage and exit 2.</summary>
    internal static int WithUsage(ISample sample, string usage, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{sample.Name}: {e.Message}");
            Console.Error.WriteLine($"usage: Lwt.Samples {usage}   ({sample.Description})");
            return 2;
        }
    }

    /// <summary>
    /// Removes <c>--name VALUE</c> from <paramref name="args"/> and returns VALUE (or null if
    /// absent). Options end at <c>--</c>; with <paramref name="beforeOperands"/> they also end
    /// at the first operand (an argument not starting with <c>--</c>), so that a command's own
    /// arguments (<c>exec CMD ARG...</c>) are never taken as the sample's options. Every option
    /// of the samples takes a value, which is how another option is skipped over.
    /// </summary>
    internal static string? TakeOption(ref string[] args, string name, bool beforeOperands = false)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--") return null;
            if (a == name)
            {
                if (i + 1 >= args.Length) throw new UsageException($"{name} needs a value.");
                string value = args[i + 1];
                args = [.. args[..i], .. args[(i + 2)..]];
                return value;
            }

            if (beforeOperands)
            {
                if (!a.StartsWith("--", StringComparison.Ordinal)) return null;
                i++;   // another option: skip its value too
            }
        }

        return null;
    }

    /// <summary>
    /// Once the known options are taken: the operands. Removes the <c>--</c> that ends the
    /// options, and rejects an option left before it (or, with <paramref name="beforeOperands"/>,
    /// before the first operand) as unknown. What follows stays as it is.
    /// </summary>
    internal static string[] Operands(string[] args, bool beforeOperands = false)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--") return [.. args[..i], .. args[(i + 1)..]];
            if (a.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option {a}.");
            if (beforeOperands) break;
        }

        return args;
    }

    /// <summary>A numeric option (seconds, a port...).</summary>
    internal static double TakeDouble(ref string[] args, string name, double fallback, bool beforeOperands = false)
    {
        string? s = TakeOption(ref args, name, beforeOperands);
        if (s is null) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= 0
            ? d
            : throw new UsageException($"{name}: '{s}' is not a non-negative number.");
    }

    /// <summary>A port option.</summary>
    internal static int TakePort(ref string[] args, string name, int fallback)
    {
        string? s = TakeOption(ref args, name);
        if (s is null) return fallback;
        return ParsePort(s);
    }

    /// <summary>A port number (0..65535).</summary>
    internal static int ParsePort(string s) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new UsageException($"'{s}' is not a port number.");

    /// <summary>Prints a line on Lwt_io's stdout and flushes it.</summary>
    internal static Promise Say(string line) => LwtIO.PrintLine(line).Bind(() => LwtIO.Stdout.Flush());

    /// <summary>Prints a line on Lwt_io's stderr and flushes it.</summary>
    internal static Promise Complain(string line) => LwtIO.EPrintLine(line).Bind(() => LwtIO.Stderr.Flush());
}

/// <summary>Bad command-line arguments (<see cref="Cli.WithUsage"/> prints the usage).</summary>
internal sealed class UsageException(string message) : Exception(message);
