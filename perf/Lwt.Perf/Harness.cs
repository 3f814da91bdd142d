using System.Diagnostics;
using System.Globalization;

namespace Lwt.Perf;

/// <summary>
/// Measurement, the same policy as the anchors (shared/anchors/RESULTS.md, "Method"):
/// warm-up at N/warmupDiv repeated until at least 2 runs and 1 s (max 20), then
/// GC.Collect x2, then ONE measured run at N. alloc = GC.GetTotalAllocatedBytes(true) delta / N;
/// peak_rss_mb = VmHWM of this process (warm-up included).
/// </summary>
internal static class Harness
{
    /// <summary>
    /// Runs a workload's start function under the main run, as the anchors do with
    /// <c>Lwt_main.run</c> / the single-thread context: the calling thread's event loop runs
    /// until the promise resolves (so pause/loop-memory include the loop's iteration cost).
    /// </summary>
    internal static void RunMain(Func<Promise> start)
    {
        if (s_noLoop) RunWithoutLoop(start);
        else LwtMain.Run(start);
    }

    /// <summary>
    /// LWT_PERF_DRIVER=noloop: drive the promise by waking paused promises until it resolves,
    /// without the event loop (the core's cost alone, to isolate the loop's per-iteration
    /// cost in pause/loop-memory). Not for the comparison runs: the WORKLOAD line then names the
    /// workload <c>&lt;name&gt;/noloop</c>, so such a figure can never pass for a loop run
    /// (compare.sh also unsets the variable).
    /// </summary>
    private static readonly bool s_noLoop = Environment.GetEnvironmentVariable("LWT_PERF_DRIVER") == "noloop";

    private static void RunWithoutLoop(Func<Promise> start)
    {
        var p = start();
        while (p.IsPending)
        {
            if (Promise.PausedCount == 0)
                throw new InvalidOperationException("the workload's promise is pending and nothing is paused: it needs the event loop");
            Promise.WakeupPaused();
        }
        if (p.IsRejected) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(p.Exception!);
    }

    /// <summary>
    /// <paramref name="make"/>(n) does any untimed preparation and returns the body: a start
    /// function that returns the workload's promise.
    /// </summary>
    internal static void Measure(string name, int n, Func<int, Func<Promise>> make, int warmupDiv = 10)
    {
        if (s_noLoop) name += "/noloop";   // never printed under the plain name: not a loop run
        var wsw = Stopwatch.StartNew();
        for (int runs = 0; runs < 2 || (wsw.Elapsed.TotalSeconds < 1.0 && runs < 20); runs++)
            RunMain(make(Math.Max(1, n / warmupDiv)));
        var body = make(n);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long a0 = GC.GetTotalAllocatedBytes(true);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        var sw = Stopwatch.StartNew();
        RunMain(body);
        sw.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        // LWT_PERF_CPU=1: also the process CPU time per op (stderr), steadier than wall time on a
        // loaded machine for A/B comparisons of the same workload (never for the anchors table),
        // and the collections of each generation during the measured run.
        if (Environment.GetEnvironmentVariable("LWT_PERF_CPU") == "1")
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU {name} cpu_ns_per_op={cpu.TotalMilliseconds * 1e6 / n:F2} gcs={GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2}"));
        long a1 = GC.GetTotalAllocatedBytes(true);
        double totalMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"WORKLOAD {name} n={n} total_ms={totalMs:F3} ns_per_op={totalMs * 1e6 / n:F2} alloc_bytes_per_op={(double)(a1 - a0) / n:F2} peak_rss_mb={PeakRssMb():F1}"));
    }

    internal static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    internal static void Check(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException("check failed: " + what);
    }
}
