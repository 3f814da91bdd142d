namespace Lwt.Tests.Interop;

/// <summary>
/// Resolving a promise of no loop on one thread while another thread resolves it too, makes
/// it a proxy (a Bind callback returned it), or reads it (Core/Promise.Shared.cs). Exactly
/// one of two resolutions wins and the other is told so; a resolution that meets a proxy
/// made meanwhile resolves what the proxy points to; a reader that sees the promise
/// rejected sees its exception (and so does one that reads a loop's promise from another
/// thread). Callbacks that return a promise of another owner have it followed, not proxied.
/// </summary>
[Collection(Loop.LoopGlobalState.Name)]
public class UnownedResolveRaceTests
{
    private const int Rounds = TwoThreadRounds.Rounds;

    [Fact]
    public void Two_threads_resolving_a_promise_of_no_loop_at_once_are_told_which_one_won()
    {
        var resolvers = new Resolver<int>[Rounds];
        var wonHere = new bool[Rounds];
        var wonThere = new bool[Rounds];
        for (int i = 0; i < Rounds; i++) resolvers[i] = Promise.Create<int>().Resolver;
        TwoThreadRounds.Run(
            i => wonHere[i] = resolvers[i].TryResolve(1),
            i => wonThere[i] = resolvers[i].TryReject(new InvalidOperationException("there")),
            i =>
            {
                Assert.True(wonHere[i] != wonThere[i], $"round {i}: TryResolve returned {wonHere[i]}, TryReject {wonThere[i]}");
                Assert.Equal(wonHere[i], resolvers[i].Promise.IsFulfilled);
            });
    }

    [Fact]
    public void The_thread_that_loses_a_race_to_Resolve_a_promise_of_no_loop_gets_InvalidOperationException()
    {
        var resolvers = new Resolver<int>[Rounds];
        var thrownHere = new bool[Rounds];
        var thrownThere = new bool[Rounds];
        for (int i = 0; i < Rounds; i++) resolvers[i] = Promise.Create<int>().Resolver;
        void ResolveOrNote(int i, int value, bool[] thrown)
        {
            try
            {
                resolvers[i].Resolve(value);
            }
            catch (InvalidOperationException)
            {
                thrown[i] = true;
            }
        }
        TwoThreadRounds.Run(
            i => ResolveOrNote(i, 1, thrownHere),
            i => ResolveOrNote(i, 2, thrownThere),
            i =>
            {
                Assert.True(thrownHere[i] != thrownThere[i], $"round {i}: threw here {thrownHere[i]}, there {thrownThere[i]}");
                Assert.Equal(thrownHere[i] ? 2 : 1, resolvers[i].Promise.Value);
            });
    }

    [Fact]
    public void A_resolution_that_meets_a_proxy_made_meanwhile_on_another_thread_resolves_its_target()
    {
        // b = p0 >>= fun _ -> p: when the other thread resolves p0, b's callback returns p,
        // which becomes a proxy for b. This thread resolves p at the same moment: the value
        // must reach b, whichever comes first.
        var starters = new Resolver<int>[Rounds];
        var inners = new Resolver<int>[Rounds];
        var binds = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> p0, p;
            (p0, starters[i]) = Promise.Create<int>();
            (p, inners[i]) = Promise.Create<int>();
            binds[i] = p0.Bind(_ => p);
        }
        TwoThreadRounds.Run(
            i => inners[i].Resolve(i),
            i => starters[i].Resolve(-1),
            i =>
            {
                Assert.False(binds[i].IsPending, $"round {i}: the bind never resolved");
                Assert.Equal(i, binds[i].Value);
            });
    }

    [Fact]
    public void A_proxy_made_while_another_thread_resolves_the_inner_promise_keeps_its_value()
    {
        // The same race seen from the other side: p resolved by this thread just before the
        // other thread, holding a stale "pending", tries to make it a proxy.
        var starters = new Resolver<int>[Rounds];
        var inners = new Resolver<int>[Rounds];
        var binds = new Promise<int>[Rounds];
        var mapped = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> p0, p;
            (p0, starters[i]) = Promise.Create<int>();
            (p, inners[i]) = Promise.Create<int>();
            mapped[i] = p.Map(x => x + 1); // a callback on p, which the proxy must not lose
            binds[i] = p0.Bind(_ => p);
        }
        TwoThreadRounds.Run(
            i => starters[i].Resolve(-1),
            i => inners[i].Resolve(i),
            i =>
            {
                Assert.True(binds[i].IsFulfilled, $"round {i}: the bind is {binds[i].State}");
                Assert.Equal(i, binds[i].Value);
                Assert.Equal(i + 1, mapped[i].Value);
            });
    }

    /// <summary>
    /// Rounds in which <paramref name="dependent"/>, a promise that resolves when its input
    /// p0 does (a Map, an async method), is resolved on this thread while the other thread
    /// makes it a proxy (a Bind's callback returns it): the value must reach the Bind.
    /// </summary>
    private static void RunDependentAgainstProxy(Func<Promise<int>, Promise<int>> dependent)
    {
        var inputs = new Resolver<int>[Rounds];
        var starters = new Resolver<int>[Rounds];
        var binds = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> p0, q0;
            (p0, inputs[i]) = Promise.Create<int>();
            (q0, starters[i]) = Promise.Create<int>();
            var d = dependent(p0);
            binds[i] = q0.Bind(_ => d);
        }
        TwoThreadRounds.Run(
            i => inputs[i].Resolve(i),
            i => starters[i].Resolve(-1),
            i =>
            {
                Assert.False(binds[i].IsPending, $"round {i}: the bind never resolved");
                Assert.Equal(i + 1, binds[i].Value);
            });
    }

    [Fact]
    public void A_map_resolving_while_another_thread_makes_it_a_proxy_reaches_the_bind() =>
        RunDependentAgainstProxy(p0 => p0.Map(x => x + 1));

    [Fact]
    public void An_async_method_completing_while_another_thread_makes_it_a_proxy_reaches_the_bind() =>
        RunDependentAgainstProxy(AddOneAfter);

    private static async Promise<int> AddOneAfter(Promise<int> p) => await p + 1;

    [Fact]
    public void A_pending_promise_of_no_loop_that_another_thread_makes_a_proxy_never_reads_as_resolved()
    {
        // State, IsPending and an awaiter's IsCompleted, read while the other thread makes p a
        // proxy (a Bind's callback returns it): p stays pending throughout, so none of them
        // may say otherwise. Read as "the status of Underlying()", the Proxy status written
        // between the two reads passed for "not pending", and State turned it into Rejected.
        var starters = new Resolver<int>[Rounds];
        var inners = new Promise<int>[Rounds];
        var wrong = new string?[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Promise<int> q0;
            (q0, starters[i]) = Promise.Create<int>();
            var p = inners[i] = Promise.Create<int>().Promise;
            q0.Bind(_ => p);
        }
        TwoThreadRounds.Run(
            i =>
            {
                var p = inners[i];
                for (int k = 0; k < 64 && wrong[i] is null; k++)
                {
                    var state = p.State;
                    if (state != PromiseState.Pending) wrong[i] = $"State {state}";
                    else if (!p.IsPending) wrong[i] = "IsPending false";
                    else if (p.GetAwaiter().IsCompleted) wrong[i] = "IsCompleted";
                }
            },
            i => starters[i].Resolve(0),
            i => Assert.True(wrong[i] is null, $"round {i}: read {wrong[i]} of a pending promise"));
    }

    [Fact]
    public void A_thread_that_sees_a_promise_of_no_loop_rejected_sees_its_exception()
    {
        var pairs = new (Promise<int> Promise, Resolver<int> Resolver)[Rounds];
        var exceptions = new Exception[Rounds];
        var seen = new Exception?[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            pairs[i] = Promise.CreateCancelable<int>();
            exceptions[i] = new InvalidOperationException($"round {i}");
        }
        TwoThreadRounds.Run(
            i =>
            {
                var p = pairs[i].Promise;
                var spin = new SpinWait();
                while (p.IsPending) spin.SpinOnce(sleep1Threshold: -1);
                seen[i] = p.Exception; // read right after the state turned
            },
            i => pairs[i].Resolver.Reject(exceptions[i]),
            i => Assert.True(ReferenceEquals(exceptions[i], seen[i]), $"round {i}: saw {seen[i]?.GetType().Name ?? "null"}"));
    }

    [Fact]
    public void A_thread_that_sees_a_promise_of_a_loop_rejected_sees_its_exception()
    {
        // The same read of a loop's promise, which the loop rejects on its thread (without a
        // lock): the status is written after the exception (Promise.cs, "Representation").
        const int rounds = TwoThreadRounds.Rounds;
        var exceptions = new Exception[rounds];
        for (int i = 0; i < rounds; i++) exceptions[i] = new InvalidOperationException($"round {i}");
        var seen = new Exception?[rounds];
        Promise<int>[]? promises = null;
        int go = -1;
        using var created = new ManualResetEventSlim();
        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            var pairs = new (Promise<int> Promise, Resolver<int> Resolver)[rounds];
            for (int i = 0; i < rounds; i++) pairs[i] = Promise.Create<int>(); // the loop's
            promises = pairs.Select(pair => pair.Promise).ToArray();
            created.Set();
            for (int i = 0; i < rounds; i++)
            {
                while (Volatile.Read(ref go) < i) Thread.SpinWait(1);
                pairs[i].Resolver.Reject(exceptions[i]);
            }
            return Promise.ReturnUnit;
        })) { IsBackground = true };
        loopThread.Start();
        Assert.True(created.Wait(TwoThreadRounds.Hang), "the loop did not start");
        for (int i = 0; i < rounds; i++)
        {
            var p = promises![i];
            Volatile.Write(ref go, i);
            var spin = new SpinWait();
            while (p.IsPending) spin.SpinOnce(sleep1Threshold: -1);
            seen[i] = p.Exception; // read right after the state turned, off the loop
        }
        Assert.True(loopThread.Join(TwoThreadRounds.Hang), "the loop did not stop");
        for (int i = 0; i < rounds; i++)
            Assert.True(ReferenceEquals(exceptions[i], seen[i]), $"round {i}: saw {seen[i]?.GetType().Name ?? "null"}");
    }

    [Fact]
    public void A_loop_bind_whose_callback_returns_a_promise_of_no_loop_gets_its_value_on_the_loop()
    {
        // The pool thread resolves p about when the loop's callback returns it. Promises of two
        // owners are not proxied (PromiseOfT.cs): the bind, the loop's, follows p by a callback
        // bound to the loop, and so resolves, and runs its own callbacks, on the loop. (This
        // checks that path works; the race of a resolution with a proxy being made is caught
        // by the two tests above, on promises of no loop.)
        const int rounds = 2_000;
        long total = TwoThreadRounds.RunOnLoop(rounds, (p, here) =>
        {
            var bound = Promise.ReturnUnit.Bind(_ => p); // the callback runs now, on the loop
            return bound.Map(x => { here(); return (long)x; });
        });
        Assert.Equal((long)rounds * (rounds - 1) / 2, total);
    }

    [Fact]
    public void A_bind_of_no_loop_whose_callback_returns_a_promise_of_a_running_loop_follows_it_there()
    {
        // The reverse: a thread off any loop runs the callback of a bind of no loop, and it
        // returns a promise of a loop running elsewhere. The bind follows it, attached on
        // that loop (the loop's promise is not touched from here), and gets its value.
        EventLoop? loop = null;
        using var ready = new ManualResetEventSlim();
        var (stop, stopResolver) = Promise.Create();
        Resolver<int>? loopResolver = null;
        Promise<int>? loopPromise = null;
        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            loop = EventLoop.Current;
            (loopPromise, loopResolver) = Promise.Create<int>();
            ready.Set();
            return stop;
        })) { IsBackground = true };
        loopThread.Start();
        Assert.True(ready.Wait(TwoThreadRounds.Hang), "the loop did not start");
        var (input, inputResolver) = Promise.Create<int>(); // of no loop
        var bound = input.Bind(_ => loopPromise!);
        var resolving = new Thread(() => inputResolver.Resolve(0)); // runs the callback
        resolving.Start();
        Assert.True(resolving.Join(TwoThreadRounds.Hang));
        Assert.True(bound.IsPending);
        loop!.Post(() => loopResolver!.Resolve(42));
        var deadline = DateTime.UtcNow + TwoThreadRounds.Hang;
        while (bound.IsPending)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("the bind never followed the loop's promise");
            Thread.Yield();
        }
        Assert.Equal(42, bound.Value);
        loop.Post(() => stopResolver.Resolve(Unit.Value));
        Assert.True(loopThread.Join(TwoThreadRounds.Hang), "the loop did not stop");
    }
}
