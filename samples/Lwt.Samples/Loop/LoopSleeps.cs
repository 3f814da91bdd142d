using System.Diagnostics;

namespace Lwt.Samples.Loop;

/// <summary>
/// Two sleeps run concurrently on one thread: the total is about the longer one, not the sum.
/// <para>Lwt: <c>Lwt_main.run (Lwt.join [sleep 1. >|= ...; sleep 0.6 >|= ...])</c></para>
/// </summary>
public sealed class LoopSleeps : ISample
{
    public string Name => "loop-sleeps";

    public string Description => "two sleeps run concurrently: total ~ max, not sum";

    public int Run(string[] args)
    {
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() => Promise.Join(
            Nap("A", 0.6, sw),
            Nap("B", 0.4, sw)));
        Console.WriteLine($"both done after {sw.Elapsed.TotalSeconds:F2} s (0.6 + 0.4 = 1.0 s if they had run one after the other)");
        return 0;
    }

    private static async Promise Nap(string who, double seconds, Stopwatch sw)
    {
        Console.WriteLine($"  {who}: sleeping {seconds} s (thread {Environment.CurrentManagedThreadId})");
        await LwtUnix.Sleep(seconds);
        Console.WriteLine($"  {who}: woke up at {sw.Elapsed.TotalSeconds:F2} s (thread {Environment.CurrentManagedThreadId})");
    }
}
