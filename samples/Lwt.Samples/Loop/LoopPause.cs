using System.Diagnostics;

namespace Lwt.Samples.Loop;

/// <summary>
/// Cooperative scheduling: a CPU-bound loop yields with <c>Promise.Pause()</c> every so
/// often, so another loop on the same thread (a ticker printing every 50 ms) keeps running.
/// Without the pauses the ticker would be silent until the computation ends.
/// <para>Lwt: <c>Lwt.pause</c></para>
/// </summary>
public sealed class LoopPause : ISample
{
    public string Name => "loop-pause";

    public string Description => "a CPU loop broken up with Pause while another loop prints";

    public int Run(string[] args)
    {
        var sw = Stopwatch.StartNew();
        bool done = false;
        int ticks = 0;
        var (primes, chunks) = LwtMain.Run(() =>
        {
            var ticker = Ticker(() => done, sw, () => ticks++);
            var work = CountPrimes(3_000_000, chunk: 50_000).Map(r =>
            {
                done = true;
                return r;
            });
            return Promise.Join(ticker, work).Map(() => work.Value);
        });
        Console.WriteLine($"  {primes} primes below 3,000,000 in {chunks} chunks, {ticks} ticks meanwhile, {sw.Elapsed.TotalSeconds:F2} s");
        return 0;
    }

    private static async Promise Ticker(Func<bool> done, Stopwatch sw, Action tick)
    {
        while (!done())
        {
            Console.WriteLine($"  tick at {sw.Elapsed.TotalSeconds:F2} s");
            tick();
            await LwtUnix.Sleep(0.05);
        }
    }

    private static async Promise<(int Primes, int Chunks)> CountPrimes(int below, int chunk)
    {
        int count = 0, chunks = 0;
        for (int start = 2; start < below; start += chunk)
        {
            int end = Math.Min(below, start + chunk);
            for (int n = start; n < end; n++)
                if (IsPrime(n)) count++;
            chunks++;
            await Promise.Pause(); // let the ticker (and any I/O) run
        }
        return (count, chunks);
    }

    private static bool IsPrime(int n)
    {
        if (n < 4) return n >= 2;
        if (n % 2 == 0) return false;
        for (int d = 3; d * d <= n; d += 2)
            if (n % d == 0) return false;
        return true;
    }
}
