namespace Lwt.Tests.Interop;

/// <summary>
/// Rounds of two actions run at the same moment on two threads, for the races on promises
/// of no loop: each round, the second thread spins until this one says go, so that the two
/// actions overlap as often as a machine allows. An exception on the second thread fails
/// the test at once, with its round.
/// </summary>
internal static class TwoThreadRounds
{
    /// <summary>Rounds per test: enough that every race the fixes close showed within it before.</summary>
    internal const int Rounds = 20_000;

    /// <summary>How long a round may wait for the other thread before the test calls it hung.</summary>
    internal static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of <paramref name="other"/> on a second thread
    /// at the same moment as <paramref name="here"/> on this one, then <paramref name="check"/>
    /// for every round once both threads are done.
    /// </summary>
    internal static void Run(Action<int> here, Action<int> other, Action<int> check, int rounds = Rounds)
    {
        int go = -1, done = -1;
        Exception? failure = null;
        var otherThread = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < rounds; i++)
                {
                    while (Volatile.Read(ref go) < i) Thread.SpinWait(1);
                    other(i);
                    Volatile.Write(ref done, i);
                }
            }
            catch (Exception e)
            {
                failure = e;
                Volatile.Write(ref done, int.MaxValue);
            }
        }) { IsBackground = true };
        otherThread.Start();
        for (int i = 0; i < rounds; i++)
        {
            Volatile.Write(ref go, i);
            here(i);
            var deadline = DateTime.UtcNow + Hang;
            while (Volatile.Read(ref done) < i)
                if (DateTime.UtcNow > deadline) Assert.Fail($"round {i}: the other thread stopped");
            if (failure is not null) throw new Xunit.Sdk.XunitException($"round {i}: the other thread threw {failure}");
        }
        Assert.True(otherThread.Join(Hang), "the other thread did not finish");
        for (int i = 0; i < rounds; i++) check(i);
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds on an event loop: in each, a promise of no loop
    /// that a pool thread resolves with the round's number while the loop hands it to
    /// <paramref name="round"/>, with an action that its callbacks call to say where they
    /// run. Fails if any ran off the loop thread; returns the sum of the rounds' results.
    /// </summary>
    internal static long RunOnLoop(int rounds, Func<Promise<int>, Action, Promise<long>> round)
    {
        var pairs = new (Promise<int> Promise, Resolver<int> Resolver)[rounds];
        for (int i = 0; i < rounds; i++) pairs[i] = Promise.Create<int>(); // off any loop: of no loop
        int offLoop = 0;
        long total = LwtMain.Run(async () =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            void Here()
            {
                if (Environment.CurrentManagedThreadId != loopThread) Interlocked.Increment(ref offLoop);
            }
            long sum = 0;
            for (int i = 0; i < rounds; i++)
            {
                var (p, r) = pairs[i];
                int v = i;
                ThreadPool.UnsafeQueueUserWorkItem(_ => r.Resolve(v), null); // races what round does with p
                sum += await round(p, Here);
            }
            return sum;
        });
        Assert.Equal(0, Volatile.Read(ref offLoop));
        return total;
    }
}
