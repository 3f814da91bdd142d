namespace Lwt.Tests;

/// <summary>
/// Bytes allocated on the calling thread, for the allocation tests: the best of three
/// measured rounds, after a warm-up.
/// <para>
/// Why the best of three: under the parallel suite the runtime has been seen to allocate a
/// few KB on a test's thread once, at a moment of its choosing (6,448 B in the first
/// measured round, then 0, 0, 0, 0). An allocation by the code under test happens on every
/// call, so it shows in every round; the minimum is exact for it and immune to the one-off.
/// Why a warm-up: the first calls JIT-compile and fill lazily made members and pools.
/// </para>
/// <para>
/// The operation is a delegate; invoking it allocates nothing. Give it a <c>static</c>
/// lambda (with <paramref name="prepare"/>'s state) or a lambda made once before the call,
/// never one that captures a loop variable.
/// </para>
/// </summary>
internal static class AllocationMeter
{
    private const int Rounds = 3;

    /// <summary>
    /// Bytes per call of <paramref name="op"/>, run <paramref name="n"/> times a round after
    /// <paramref name="warmup"/> unmeasured calls. For operations that need no fresh input.
    /// </summary>
    internal static long PerOp(int n, Action op, int warmup = 100)
    {
        for (int i = 0; i < warmup; i++) op();
        long best = long.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < n; i++) op();
            best = Math.Min(best, (GC.GetAllocatedBytesForCurrentThread() - before) / n);
        }
        return best;
    }

    /// <summary>
    /// Bytes per call of <paramref name="op"/> on fresh input: each round (the warm-up round
    /// too) first calls <paramref name="prepare"/> unmeasured, then <c>op(state, i)</c> for
    /// i in 0..n-1. The last round's state is returned so that the test can check the results.
    /// </summary>
    internal static (long PerOp, TState LastState) PerOp<TState>(int n, Func<TState> prepare, Action<TState, int> op)
    {
        var state = prepare();
        for (int i = 0; i < n; i++) op(state, i);
        long best = long.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            state = prepare();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < n; i++) op(state, i);
            best = Math.Min(best, (GC.GetAllocatedBytesForCurrentThread() - before) / n);
        }
        return (best, state);
    }

    /// <summary>Bytes allocated by one run of <paramref name="body"/>, after one unmeasured run.</summary>
    internal static long Total(Action body)
    {
        body();
        long best = long.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }
}
