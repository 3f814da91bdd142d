using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// What the adapters allocate for a pending promise or Task (perf workloads interop-*): the
/// objects each needs and no more. Bounds are per call, measured on the calling thread over
/// many calls, with the promises and Tasks made before the measurement.
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
        var promises = new Promise<int>[N];
        var resolvers = new Resolver<int>[N];
        for (int i = 0; i < N; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
        var tasks = new Task<int>[N];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < N; i++) tasks[i] = promises[i].AsTask();
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / N;
        Assert.True(perOp <= AsTaskBytes, $"AsTask of a pending promise allocated {perOp} B");
        for (int i = 0; i < N; i++) resolvers[i].Resolve(i);
        for (int i = 0; i < N; i++) Assert.Equal(i, tasks[i].Result);
    }

    [Fact]
    public void AsTask_Pending_OnLoop_NodeAndTaskOnly()
    {
        using var loop = new LoopThread();
        var (perOp, perOpUntyped) = loop.Run(() =>
        {
            // Two sets: a second callback on one promise would add the promise's callback list.
            var promises = new Promise<int>[N];
            var untypedPromises = new Promise[N];
            for (int i = 0; i < N; i++) promises[i] = Promise.Create<int>().Promise;
            for (int i = 0; i < N; i++) untypedPromises[i] = Promise.Create().Promise;
            var tasks = new Task[N];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < N; i++) tasks[i] = promises[i].AsTask();
            long typed = (GC.GetAllocatedBytesForCurrentThread() - before) / N;
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < N; i++) tasks[i] = untypedPromises[i].AsTask();
            long untyped = (GC.GetAllocatedBytesForCurrentThread() - before) / N;
            return (typed, untyped);
        });
        Assert.True(perOp <= AsTaskBytes, $"AsTask<T> of a pending promise on its loop allocated {perOp} B");
        Assert.True(perOpUntyped <= AsTaskBytes, $"AsTask of a pending promise on its loop allocated {perOpUntyped} B");
    }

    [Fact]
    public void ToPromise_Pending_OnLoop_PromiseDelegateAndContinuationOnly()
    {
        using var loop = new LoopThread();
        var (perOp, promises, sources) = loop.Run(() =>
        {
            var sources = new TaskCompletionSource<int>[N];
            for (int i = 0; i < N; i++) sources[i] = new TaskCompletionSource<int>();
            var promises = new Promise<int>[N];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < N; i++) promises[i] = sources[i].Task.ToPromise();
            return ((GC.GetAllocatedBytesForCurrentThread() - before) / N, promises, sources);
        });
        // The promise with its Task (56 B), its continuation delegate (64 B) and the runtime's
        // context continuation (48 B): FromTask's token source is not a field of it.
        Assert.True(perOp <= 168, $"ToPromise of a pending Task on the loop allocated {perOp} B");
        for (int i = 0; i < N; i++) sources[i].SetResult(i);
        Assert.True(SpinWait.SpinUntil(() => loop.Run(() => promises[N - 1].IsFulfilled), TimeSpan.FromSeconds(10)));
        loop.Run(() =>
        {
            for (int i = 0; i < N; i++) Assert.Equal(i, promises[i].Value);
        });
    }
}
