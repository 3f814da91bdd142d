// Lwt.Perf: the performance harness of Lwt for .NET.
//
//   Lwt.Perf workload <name> [N]       run one workload in this process, print one WORKLOAD line
//   Lwt.Perf workloads [names...]      run each (default: every implemented one) in a fresh
//                                      child process (this same executable), so peak RSS is
//                                      per workload
//   Lwt.Perf tcp-echo-server <port-file> <expected-connections> [unix|lwt_io]
//                                      the tcp-echo server (TcpEcho.cs), for echo-load/drive.sh
//   Lwt.Perf list                      print the implemented workloads, one per line
//   Lwt.Perf bench [BenchmarkDotNet args, e.g. --filter *]
//                                      the BenchmarkDotNet micro benchmarks (Micro.cs)
//
// Workloads and the output format: shared/anchors/WORKLOADS.md; method: shared/anchors/RESULTS.md.

using System.Globalization;
using BenchmarkDotNet.Running;

namespace Lwt.Perf;

public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length < 1) return Usage();
        switch (args[0])
        {
            case "workload":
                if (args.Length < 2) return Usage();
                return Workloads.RunOne(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : (int?)null);
            case "workloads":
                return Children.RunAll(args.Length > 1 ? args[1..] : Workloads.Implemented);
            case "tcp-echo-server":
                return TcpEcho.Server(args[1..]);
            case "list":
                foreach (var w in Workloads.Implemented) Console.WriteLine(w);
                return 0;
            case "bench":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
                return 0;
            default:
                return Usage();
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Lwt.Perf workload <name> [N] | workloads [names...] | list | bench [--filter *]");
        Console.Error.WriteLine("workloads: " + string.Join(' ', Workloads.Implemented) +
                                " (not implemented yet: " + string.Join(' ', Workloads.Stubs) + ")");
        return 2;
    }
}
