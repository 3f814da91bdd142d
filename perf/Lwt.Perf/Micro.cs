using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Lwt.Perf;

/*
 * BenchmarkDotNet micro benchmarks of the promise core: `Lwt.Perf bench [--filter *]`.
 * Short job settings (ShortRun: 1 launch, 3 warm-ups, 3 iterations) so the whole set runs
 * in a few minutes. No event loop: everything runs on the benchmark thread, where a
 * pending promise has no owner and callbacks run inline (as on a loop).
 *
 * Reading them: CreateResolve is the floor of everything "pending"; *Pending minus
 * CreateResolve is the cost of attaching + running that callback.
 */

/// <summary>Bind / Map / await on resolved and pending promises, create + resolve.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PromiseMicro
{
    private static readonly Promise<int> s_resolved = Promise.Return(1);
    private static readonly Promise<int> s_result = Promise.Return(2);
    private static readonly Action<int> s_noop = static _ => { };

    /// <summary>Bind on a fulfilled promise, the callback returning a cached promise: the call itself.</summary>
    [Benchmark]
    public Promise<int> BindResolved() => s_resolved.Bind(static _ => s_result);

    private int _step = 1;

    /// <summary>Bind on a fulfilled promise with a lambda that captures a variable: the closure and delegate a per-call lambda costs.</summary>
    [Benchmark]
    public Promise<int> BindResolvedClosure()
    {
        int step = _step;
        return s_resolved.Bind(x => x + step == 2 ? s_result : s_resolved);
    }

    /// <summary>The same with the state-passing Bind: a static lambda and the variable as state.</summary>
    [Benchmark]
    public Promise<int> BindResolvedWithState() => s_resolved.Bind(static (x, step) => x + step == 2 ? s_result : s_resolved, _step);

    /// <summary>Create, a state-passing Bind on the pending promise, Resolve.</summary>
    [Benchmark]
    public Promise<int> BindPendingWithStateThenResolve()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.Bind(static (x, step) => x + step == 2 ? s_result : s_resolved, _step);
        r.Resolve(1);
        return q;
    }

    /// <summary>Map on a fulfilled promise (allocates the result promise).</summary>
    [Benchmark]
    public Promise<int> MapResolved() => s_resolved.Map(static x => x + 1);

    /// <summary>Create, Bind on the pending promise, Resolve (the callback returns a cached promise).</summary>
    [Benchmark]
    public Promise<int> BindPendingThenResolve()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.Bind(static _ => s_result);
        r.Resolve(1);
        return q;
    }

    /// <summary>Create, Map on the pending promise, Resolve.</summary>
    [Benchmark]
    public Promise<int> MapPendingThenResolve()
    {
        var (p, r) = Promise.Create<int>();
        var q = p.Map(static x => x + 1);
        r.Resolve(1);
        return q;
    }

    private static async Promise AwaitOnce(Promise<int> p) => await p;

    /// <summary>An async Promise method awaiting a fulfilled promise (completes synchronously).</summary>
    [Benchmark]
    public Promise AwaitResolved() => AwaitOnce(s_resolved);

    /// <summary>Create, an async Promise method awaiting it (suspends: box), Resolve (resumes it).</summary>
    [Benchmark]
    public Promise AwaitPendingThenResolve()
    {
        var (p, r) = Promise.Create<int>();
        var m = AwaitOnce(p);
        r.Resolve(1);
        return m;
    }

    /// <summary>Create, one OnSuccess callback, Resolve.</summary>
    [Benchmark]
    public Promise<int> ResolveWithOneCallback()
    {
        var (p, r) = Promise.Create<int>();
        p.OnSuccess(s_noop);
        r.Resolve(1);
        return p;
    }

    /// <summary>Create a pending promise and its resolver, Resolve with no callback.</summary>
    [Benchmark]
    public Promise<int> CreateResolve()
    {
        var (p, r) = Promise.Create<int>();
        r.Resolve(1);
        return p;
    }
}

/// <summary>
/// Resolve alone, of a promise prepared (untimed) with one callback: 1M promises are created
/// per iteration in IterationSetup, each invocation resolves the next one.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 5, invocationCount: Count)]
public class ResolvePrepared
{
    private const int Count = 1 << 20;
    private static readonly Action<int> s_noop = static _ => { };
    private readonly Resolver<int>[] _mapped = new Resolver<int>[Count];
    private readonly Resolver<int>[] _onSuccess = new Resolver<int>[Count];
    private int _next;

    [IterationSetup(Target = nameof(ResolveWithOneMap))]
    public void SetupMapped()
    {
        for (int i = 0; i < Count; i++)
        {
            var (p, r) = Promise.Create<int>();
            p.Map(static x => x + 1);
            _mapped[i] = r;
        }
        _next = 0;
    }

    [IterationSetup(Target = nameof(ResolveWithOneOnSuccess))]
    public void SetupOnSuccess()
    {
        for (int i = 0; i < Count; i++)
        {
            var (p, r) = Promise.Create<int>();
            p.OnSuccess(s_noop);
            _onSuccess[i] = r;
        }
        _next = 0;
    }

    /// <summary>Resolve a pending promise that has one Map attached (runs it, fulfils the map's promise).</summary>
    [Benchmark]
    public void ResolveWithOneMap() => _mapped[_next++].Resolve(1);

    /// <summary>Resolve a pending promise that has one OnSuccess callback.</summary>
    [Benchmark]
    public void ResolveWithOneOnSuccess() => _onSuccess[_next++].Resolve(1);
}

/// <summary>The same shapes with Task, for scale (not a goal by themselves).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TaskMicro
{
    private static readonly Task<int> s_resolved = Task.FromResult(1);

    private static async Task AwaitOnce(Task<int> t) => await t;

    [Benchmark]
    public Task TaskAwaitResolved() => AwaitOnce(s_resolved);

    [Benchmark]
    public Task TaskAwaitPendingThenSetResult()
    {
        var tcs = new TaskCompletionSource<int>();
        var m = AwaitOnce(tcs.Task);
        tcs.SetResult(1);
        return m;
    }

    [Benchmark]
    public Task<int> TcsCreateSetResult()
    {
        var tcs = new TaskCompletionSource<int>();
        tcs.SetResult(1);
        return tcs.Task;
    }
}
