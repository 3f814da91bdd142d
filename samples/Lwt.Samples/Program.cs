// Lwt for .NET samples: `dotnet run --project samples/Lwt.Samples [-- <sample> [args...]]`.
//
// Each sample is one class implementing ISample, in its own file (Loop/*.cs for the event
// loop examples). The dispatcher finds them by reflection, so adding a sample (fetch,
// echo-server, tcp-client, cat...) is adding a file: nothing here changes.
//
//   (no argument) | tour     run every sample that is part of the tour, one after the other
//   list | help              print the samples
//   <name> [args...]         run one sample

using System.Reflection;

namespace Lwt.Samples;

/// <summary>A subcommand of the samples program.</summary>
public interface ISample
{
    /// <summary>The subcommand name (e.g. <c>loop-sleeps</c>).</summary>
    string Name { get; }

    /// <summary>One line for <c>list</c>.</summary>
    string Description { get; }

    /// <summary>Whether <c>tour</c> runs it (samples that need the network or arguments say no).</summary>
    bool InTour => true;

    /// <summary>Runs the sample; returns the process exit code.</summary>
    int Run(string[] args);
}

public static class Program
{
    /// <summary>Every ISample of this assembly, by name.</summary>
    internal static IReadOnlyList<ISample> All { get; } = typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(ISample).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
        .Select(t => (ISample)Activator.CreateInstance(t)!)
        .OrderBy(s => s.Name, StringComparer.Ordinal)
        .ToArray();

    public static int Main(string[] args)
    {
        string command = args.Length == 0 ? "tour" : args[0];
        switch (command)
        {
            case "tour":
                return Tour();
            case "list" or "help" or "-h" or "--help":
                return List();
        }
        var sample = All.FirstOrDefault(s => s.Name == command);
        if (sample is null)
        {
            Console.Error.WriteLine($"unknown sample '{command}'");
            List();
            return 2;
        }
        return sample.Run(args[1..]);
    }

    private static int Tour()
    {
        foreach (var sample in All.Where(s => s.InTour))
        {
            Console.WriteLine($"== {sample.Name}: {sample.Description}");
            int rc = sample.Run([]);
            if (rc != 0) return rc;
            Console.WriteLine();
        }
        return 0;
    }

    private static int List()
    {
        Console.WriteLine("usage: Lwt.Samples [tour | list | <sample> [args...]]");
        foreach (var s in All) Console.WriteLine($"  {s.Name,-20} {s.Description}");
        return 0;
    }
}
