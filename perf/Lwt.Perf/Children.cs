using System.Diagnostics;
using System.Reflection;

namespace Lwt.Perf;

/// <summary>`workloads`: one fresh child process (this executable) per workload.</summary>
internal static class Children
{
    /// <summary>Same safety limit as the anchors' run.sh (timeout 300).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);

    internal static int RunAll(IReadOnlyList<string> names)
    {
        int rc = 0;
        foreach (var name in names)
        {
            int code = RunChild(name);
            if (code != 0)
            {
                Console.Error.WriteLine($"workload {name}: exit code {code}");
                rc = code;
            }
        }
        return rc;
    }

    private static int RunChild(string name)
    {
        var psi = new ProcessStartInfo { UseShellExecute = false };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        psi.FileName = self;
        // Started as `dotnet Lwt.Perf.dll`: run the dll again through the same host.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            psi.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        psi.ArgumentList.Add("workload");
        psi.ArgumentList.Add(name);
        // stdout/stderr are inherited: the child's WORKLOAD line goes straight through.
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + self);
        if (!child.WaitForExit(Timeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            Console.Error.WriteLine($"workload {name}: timed out after {Timeout.TotalSeconds} s");
            return 124;
        }
        return child.ExitCode;
    }
}
