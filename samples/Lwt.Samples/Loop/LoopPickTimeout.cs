using System.Diagnostics;

namespace Lwt.Samples.Loop;

/// <summary>
/// Lwt's README example, without the network: <c>Pick</c> of some work against a timeout.
/// Whichever finishes first wins, and the loser is canceled (its timer is removed at once).
/// <para>Lwt: <c>Lwt_main.run (Lwt.pick [request; timeout])</c>, <c>Lwt_unix.with_timeout</c></para>
/// </summary>
public sealed class LoopPickTimeout : ISample
{
    public string Name => "loop-pick-timeout";

    public string Description => "Pick of work against a timeout; the loser is canceled";

    public int Run(string[] args)
    {
        Race(workSeconds: 0.2, timeoutSeconds: 0.5);
        Race(workSeconds: 2.0, timeoutSeconds: 0.3);

        // The same with LwtUnix.WithTimeout, which rejects with TimeoutException.
        try
        {
            LwtMain.Run(() => LwtUnix.WithTimeout(0.1, () => Work(1.0)));
        }
        catch (TimeoutException e)
        {
            Console.WriteLine($"  WithTimeout(0.1 s) of a 1 s job: {e.GetType().Name}");
        }
        return 0;
    }

    private static void Race(double workSeconds, double timeoutSeconds)
    {
        var sw = Stopwatch.StartNew();
        Promise<string?>? work = null;
        string? result = LwtMain.Run(() =>
        {
            work = Work(workSeconds);
            var timeout = LwtUnix.Sleep(timeoutSeconds).Map(() => (string?)null);
            return Promise.Pick(work, timeout);
        });
        Console.WriteLine(result is null
            ? $"  work of {workSeconds} s vs timeout of {timeoutSeconds} s: timed out after {sw.Elapsed.TotalSeconds:F2} s (work canceled: {work!.IsCanceled})"
            : $"  work of {workSeconds} s vs timeout of {timeoutSeconds} s: \"{result}\" after {sw.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Stands for a request: some waiting, then a response.</summary>
    private static Promise<string?> Work(double seconds) =>
        LwtUnix.Sleep(seconds).Map(() => (string?)$"response after {seconds} s");
}
