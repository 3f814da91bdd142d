using Lwt.Interop;
using static Lwt.Perf.Harness;

namespace Lwt.Perf;

/*
 * Interop round trips (issue 4, "Must show"), each on a real event loop (the harness's
 * LwtMain.Run), each iteration one hop through the loop's queue:
 *
 *   interop-tcs        baseline: a plain TaskCompletionSource completed by a posted action,
 *                      awaited in an async Task method on the loop.
 *   interop-astask     a pending promise resolved by a posted action, promise.AsTask()
 *                      awaited in the same kind of async Task method.
 *   interop-asvaluetask  as interop-astask with promise.AsValueTask() (an IValueTaskSource
 *                      node, no Task) awaited instead.
 *   interop-astask-token  as interop-astask with promise.AsTask(token), a live token that
 *                      never fires: the token node (TokenTaskSource) and its registration.
 *   interop-topromise  a plain TaskCompletionSource completed by a posted action,
 *                      task.ToPromise() awaited in an async Promise method.
 *   interop-promise    baseline: the pending promise awaited directly in an async Promise
 *                      method (what the adapters are compared against on the promise side).
 *
 * Goal: each adapter adds no more than one TaskCompletionSource's worth of time and
 * allocation. What an adapter adds is its round trip minus the same round trip without it:
 *   AsTask:   astask - promise  (the promise would otherwise be awaited directly)  <= tcs
 *   ToPromise: topromise - tcs  (the Task would otherwise be awaited directly)     <= tcs
 * i.e. astask <= promise + tcs and topromise <= 2 x tcs (asvaluetask: as astask).
 * The stricter reading "topromise <= promise + tcs" is also reported in the closing notes.
 */
internal static partial class Workloads
{
    private static readonly SendOrPostCallback s_setTcs = static s => ((TaskCompletionSource<int>)s!).SetResult(1);
    private static readonly SendOrPostCallback s_resolve = static s => ((Resolver<int>)s!).Resolve(1);

    private static int RunInterop(string name, int? n)
    {
        if (name == "interop-hops")
        {
            InteropHopProbe.Run();
            return 0;
        }
        Measure(name, n ?? 1_000_000, k => InteropBody(name, k));
        return 0;
    }

    /// <summary>One run of <paramref name="k"/> round trips on a loop (the interop-hops probe counts its loop iterations).</summary>
    internal static void RunInteropOnce(string name, int k) => LwtMain.Run(InteropBody(name, k));

    /// <summary>The start function of the workload <paramref name="name"/> at N = <paramref name="k"/>, to run under LwtMain.Run.</summary>
    private static Func<Promise> InteropBody(string name, int k) => name switch
    {
        "interop-tcs" => () => TcsLoop(k).ToPromise(),
        "interop-astask" => () => AsTaskLoop(k).ToPromise(),
        "interop-asvaluetask" => () => AsValueTaskLoop(k).ToPromise(),
        "interop-astask-token" => () => AsTaskTokenLoop(k).ToPromise(),
        "interop-topromise" => () => ToPromiseLoop(k),
        _ => () => PromiseLoop(k),
    };

    private static async Task TcsLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var tcs = new TaskCompletionSource<int>();
            sc.Post(s_setTcs, tcs);
            sum += await tcs.Task;
        }
        Check(sum == n, "interop-tcs: every round trip");
    }

    private static async Task AsTaskLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var (p, r) = Promise.Create<int>();
            sc.Post(s_resolve, r);
            sum += await p.AsTask();
        }
        Check(sum == n, "interop-astask: every round trip");
    }

    private static async Task AsTaskTokenLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        using var cts = new CancellationTokenSource();
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var (p, r) = Promise.Create<int>();
            sc.Post(s_resolve, r);
            sum += await p.AsTask(cts.Token);
        }
        Check(sum == n, "interop-astask-token: every round trip");
    }

    private static async Task AsValueTaskLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var (p, r) = Promise.Create<int>();
            sc.Post(s_resolve, r);
            sum += await p.AsValueTask();
        }
        Check(sum == n, "interop-asvaluetask: every round trip");
    }

    private static async Promise ToPromiseLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var tcs = new TaskCompletionSource<int>();
            sc.Post(s_setTcs, tcs);
            sum += await tcs.Task.ToPromise();
        }
        Check(sum == n, "interop-topromise: every round trip");
    }

    private static async Promise PromiseLoop(int n)
    {
        var sc = SynchronizationContext.Current!;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            var (p, r) = Promise.Create<int>();
            sc.Post(s_resolve, r);
            sum += await p;
        }
        Check(sum == n, "interop-promise: every round trip");
    }
}
internal static class InteropHopProbe
{
    internal static void Run()
    {
        long iterations = 0;
        var hook = LwtMain.EnterIterHooks.AddLast(() => iterations++);
        foreach (var name in new[] { "interop-tcs", "interop-astask", "interop-asvaluetask", "interop-topromise", "interop-promise" })
        {
            iterations = 0;
            Workloads.RunInteropOnce(name, 10_000);
            Console.WriteLine($"{name}: {iterations / 10_000.0:F2} loop iterations per round trip");
        }
    }
}
