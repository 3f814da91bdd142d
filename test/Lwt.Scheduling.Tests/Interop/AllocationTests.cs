using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// What the adapters allocate for a pending promise or Task (perf workloads interop-*): the
/// objects each needs and no more. Bounds are per call, measured on the calling thread over
/// many calls (AllocationMeter: best of three rounds), with the promises and Tasks made before
/// the measurement.
/// </summary>
public class AllocationTests
{
    private const int N = 1000;

    /// <summary>
    /// A Task&lt;int&gt; is 72 B, a callback node with one reference 24 B (no TaskCompletionSource,
    /// no closure, no flags on nodes that cannot be detached).
    /// </summary>
    private const long AsTaskBytes = 96;

    [Fact]
    public void AsTask_Pending_OffLoop_NodeAndTaskOnly()
    {
        var (perOp, last) = AllocationMeter.PerOp(N,
            static () =>
            {
                var promises = new Promise<int>[N];
                var resolvers = new Resolver<int>[N];
                for (int i = 0; i < N; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
                return (promises, resolvers, tasks: new Task<int>[N]);
            },
            static (s, i) => s.tasks[i] = s.promises[i].AsTask());
        Assert.True(perOp <= AsTaskBytes, $"AsTask of a pending promise allocated {perOp} B");
        for (int i = 0; i < N; i++) last.resolvers[i].Resolve(i);
        for (int i = 0; i < N; i++) Assert.Equal(i, last.tasks[i].Result);
    }

    [Fact]
    public void AsTask_Pending_OnLoop_NodeAndTaskOnly()
    {
        using var loop = new LoopThread();
        var (perOp, perOpUntyped) = loop.Run(() =>
        {
            // A fresh promise per call: a second callback on one promise would add the promise's callback list.
            long typed = AllocationMeter.PerOp(N,
                static () => (promises: Enumerable.Range(0, N).Select(_ => Promise.Create<int>().Promise).ToArray(), tasks: new Task[N]),
                static (s, i) => s.tasks[i] = s.promises[i].AsTask()).PerOp;
            long untyped = AllocationMeter.PerOp(N,
                static () => (promises: Enumerable.Range(0, N).Select(_ => (Promise)Promise.Create().Promise).ToArray(), tasks: new Task[N]),
                static (s, i) => s.tasks[i] = s.promises[i].AsTask()).PerOp;
            return (typed, untyped);
        });
        Assert.True(perOp <= AsTaskBytes, $"AsTask<T> of a pending promise on its loop allocated {perOp} B");
        Assert.True(perOpUntyped <= AsTaskBytes, $"AsTask of a pending promise on its loop allocated {perOpUntyped} B");
    }

    [Fact]
    public void ToPromise_Pending_OnLoop_PromiseDelegateAndContinuationOnly()
    {
        using var loop = new LoopThread();
        var (perOp, last) = loop.Run(() => AllocationMeter.PerOp(N,
            static () => (sources: Enumerable.Range(0, N).Select(_ => new TaskCompletionSource<int>()).ToArray(), promises: new Promise<int>[N]),
            static (s, i) => s.promises[i] = s.sources[i].Task.ToPromise()));
        var (sources, promises) = last;
        // The promise with its Task (56 B), its continuation's delegate (64 B) and the
        // runtime's context continuation (48 B): FromTask's token source is not a field of it.
        Assert.True(perOp <= 168, $"ToPromise of a pending Task on the loop allocated {perOp} B");
        for (int i = 0; i < N; i++) sources[i].SetResult(i);
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => promises[N - 1].IsFulfilled), TimeSpan.FromSeconds(10)));
        loop.Run(() =>
        {
            for (int i = 0; i < N; i++) Assert.Equal(i, promises[i].Value);
        });
    }
}
