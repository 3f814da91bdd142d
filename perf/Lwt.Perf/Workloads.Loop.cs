using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/// <summary>The event loop's workloads (timers, cross-thread-post), as shared/anchors/ocaml-lwt/bench.ml writes them.</summary>
internal static partial class Workloads
{
    // ------------------------------------------------------------------ timers

    // fixed-seed durations, the same LCG as bench.ml and dotnet-task:
    // x <- (x * 1103515245 + 12345) mod 2^31, d = x / 2^31 * 0.1 s
    internal static double[] TimerDurations(int n)
    {
        long x = 42;
        var d = new double[n];
        for (int i = 0; i < n; i++)
        {
            x = (x * 1103515245L + 12345L) & 0x7fffffffL;
            d[i] = x / 2147483648.0 * 0.1;
        }
        return d;
    }

    // let timers durations n = Lwt.join (List.init n (fun i -> Lwt_unix.sleep durations.(i)))
    // Durations are computed untimed (make), the sleeps are started and joined timed.
    private static Func<Promise> Timers(int n)
    {
        var durations = TimerDurations(n);
        return () =>
        {
            var sleeps = new Promise[n];
            for (int i = 0; i < n; i++) sleeps[i] = LwtUnix.Sleep(durations[i]);
            return Promise.Join(sleeps);
        };
    }

    // ------------------------------------------------------------------ cross-thread-post

    // A thread-pool thread posts N callbacks to the loop (EventLoop.Post, the equivalent of
    // Lwt_unix.send_notification); the callback counts on the loop thread and resolves the
    // main promise at N (wakeup_later).
    private static Func<Promise> CrossThreadPost(int n) => () =>
    {
        var loop = EventLoop.Current ?? throw new InvalidOperationException("cross-thread-post runs under LwtMain.Run");
        var (fin, r) = Promise.Create();
        int count = 0; // only touched on the loop thread
        Action cb = () =>
        {
            if (++count == n) r.Resolve();
        };
        var poster = Task.Run(() =>
        {
            for (int i = 0; i < n; i++) loop.Post(cb);
        });
        return fin.Map(() =>
        {
            // Thread.join th: every post has run, so the poster is returning; do not block the loop on it.
            SpinWait.SpinUntil(() => poster.IsCompleted);
            Check(count == n && poster.IsCompletedSuccessfully, "cross-thread-post: every post ran once");
            return Unit.Value;
        });
    };
}
