namespace Lwt.Tests.Interop;

/// <summary>
/// <see cref="Promise.Cancel"/> on promises of no loop while another thread resolves them,
/// attaches to them, or resolves what they wait on (Core/Promise.Shared.cs, "Cancel"). A
/// cancel and a resolution of the same promise never both win: its callbacks run once, and
/// its final state is the one they saw. An attach racing a cancel is never lost. A bind
/// canceled while another thread hands it the promise its callback returned cancels that
/// promise, whichever comes first. A search that reaches a promise of a running loop from
/// another thread cancels it on that loop. Each round starts both threads together, as in
/// <see cref="TwoThreadRounds"/>.
/// </summary>
[Collection(Loop.LoopGlobalState.Name)]
public class UnownedCancelRaceTests
{
    private const int Rounds = TwoThreadRounds.Rounds;
    private static readonly TimeSpan Hang = TwoThreadRounds.Hang;

    [Fact]
    public void Cancel_racing_the_resolution_of_a_promise_of_no_loop_lets_exactly_one_of_them_win()
    {
        var pairs = new (Promise<int> Promise, Resolver<int> Resolver)[Rounds];
        var calls = new int[Rounds];
        var seen = new string[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            pairs[i] = Promise.CreateCancelable<int>(); // off any loop: of no loop
            int round = i;
            pairs[i].Promise.OnAny(
                v => { Interlocked.Increment(ref calls[round]); seen[round] = $"fulfilled {v}"; },
                e => { Interlocked.Increment(ref calls[round]); seen[round] = e is CanceledException ? "canceled" : e.GetType().Name; });
        }
        TwoThreadRounds.Run(
            i => pairs[i].Promise.Cancel(),
            i => pairs[i].Resolver.Resolve(i), // does nothing to a canceled promise
            i =>
            {
                var p = pairs[i].Promise;
                Assert.True(calls[i] == 1, $"round {i}: the callback ran {calls[i]} times");
                string state = p.IsFulfilled ? $"fulfilled {p.Value}" : p.IsCanceled ? "canceled" : p.State.ToString();
                Assert.True(seen[i] == state, $"round {i}: the callback saw '{seen[i]}', the promise ended {state}");
            });
    }

    [Fact]
    public void An_attach_racing_Cancel_of_a_promise_of_no_loop_always_runs()
    {
        var promises = new Promise<int>[Rounds];
        var mapped = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++) promises[i] = Promise.CreateCancelable<int>().Promise;
        TwoThreadRounds.Run(
            i => mapped[i] = promises[i].Map(x => x + 1),
            i => promises[i].Cancel(),
            i => Assert.True(mapped[i].IsCanceled, $"round {i}: the map is {mapped[i].State}"));
    }

    [Fact]
    public void A_bind_of_no_loop_canceled_while_another_thread_resolves_its_input_is_always_canceled()
    {
        // p3 = p1 >>= fun _ -> p2, all three cancelable and of no loop. Canceled before p1
        // resolves, the cancel rejects p1; after p2 became a proxy for p3, it rejects p2;
        // in between (the callback is running on the other thread) p3 remembers the cancel
        // and hands it to p2 as soon as it has it (CancelOnceWaiting). p3 is canceled in
        // every order; were the cancel lost in between, p3 would wait on p2 for ever.
        var first = new Resolver<int>[Rounds];
        var binds = new Promise<int>[Rounds];
        var seconds = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> p1;
            (p1, first[i]) = Promise.CreateCancelable<int>();
            var p2 = seconds[i] = Promise.CreateCancelable<int>().Promise;
            binds[i] = p1.Bind(_ => p2);
        }
        TwoThreadRounds.Run(
            i => binds[i].Cancel(),
            i => first[i].Resolve(i),
            i => Assert.True(binds[i].IsCanceled, $"round {i}: the bind is {binds[i].State}, the promise its callback returned {seconds[i].State}"));
    }

    [Fact]
    public void A_catch_and_a_finally_of_no_loop_canceled_while_another_thread_rejects_their_input_always_resolve()
    {
        // The same window for the handovers that do not make a proxy: Catch's handler
        // returning a promise of another type (followed), and Finally's cleanup. Canceled
        // first, p1 is rejected with CanceledException, and the handler and the cleanup
        // return resolved promises (a cancel does not reach what they return after it);
        // rejected first by the other thread, they return pending cancelable ones, which the
        // cancel must reach, whether it comes before they return them or after.
        var first = new Resolver<int>[Rounds];
        var results = new Promise[Rounds];
        var parts = new (Promise Caught, Promise Finalized)[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> p1;
            (p1, first[i]) = Promise.CreateCancelable<int>();
            var caught = Promise.Catch(
                () => p1,
                e => e is CanceledException ? Promise.Return("canceled first") : Promise.CreateCancelable<string>().Promise);
            var finalized = Promise.Finally(
                () => p1,
                () => p1.IsCanceled ? Promise.Return("canceled first") : Promise.CreateCancelable<string>().Promise);
            results[i] = Promise.Join(caught, finalized);
            parts[i] = (caught, finalized);
        }
        TwoThreadRounds.Run(
            i => results[i].Cancel(),
            i => first[i].Reject(new InvalidOperationException("rejected first")),
            i => Assert.True(!results[i].IsPending, $"round {i}: the join is pending (catch {parts[i].Caught.State}, finally {parts[i].Finalized.State})"));
    }

    [Fact]
    public void A_cancel_from_another_thread_that_reaches_a_promise_of_a_running_loop_cancels_it_on_that_loop()
    {
        // The leaf belongs to a loop; the join over it was made off any loop while that loop
        // was stopped, so it belongs to none. Canceling the join from this thread while the
        // loop runs again must not touch the leaf here: the loop cancels it on its thread.
        EventLoop? loop = null;
        Promise<int>? leaf = null;
        int cancelThread = 0;
        using var stopped = new ManualResetEventSlim();
        using var joined = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var (stop, stopResolver) = Promise.Create();
        var loopThread = new Thread(() =>
        {
            LwtMain.Run(() =>
            {
                leaf = Promise.CreateCancelable<int>().Promise;
                leaf.OnCancel(() => cancelThread = Environment.CurrentManagedThreadId);
                return Promise.ReturnUnit; // stops with the leaf pending
            });
            stopped.Set();
            joined.Wait();
            LwtMain.Run(() =>
            {
                loop = EventLoop.Current;
                started.Set();
                return stop;
            });
        }) { IsBackground = true };
        loopThread.Start();
        Assert.True(stopped.Wait(Hang), "the loop did not run");
        var theLeaf = leaf!;
        var join = Promise.Join(theLeaf, Promise.Create().Promise); // of no loop: the loop is stopped
        joined.Set();
        Assert.True(started.Wait(Hang), "the loop did not start again");
        join.Cancel();
        var deadline = DateTime.UtcNow + Hang;
        while (theLeaf.IsPending)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("the leaf was never canceled");
            Thread.Yield();
        }
        loop!.Post(() => stopResolver.Resolve(Unit.Value));
        Assert.True(loopThread.Join(Hang), "the loop did not stop");
        Assert.True(theLeaf.IsCanceled);
        Assert.Equal(loopThread.ManagedThreadId, cancelThread);
    }
}
