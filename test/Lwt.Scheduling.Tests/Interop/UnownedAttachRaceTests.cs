namespace Lwt.Tests.Interop;

/// <summary>
/// Combinators attached to a promise of no loop on one thread while another thread resolves
/// it: Bind, Map, the On* callbacks, Protected and friends, Join/Pick/Choose, and an
/// <c>async Promise</c> method running off any loop. Each attach either lands before the
/// resolution (which then runs it) or finds the promise resolved (and runs it itself):
/// never neither, which would leave the combinator's promise pending for ever. The two
/// threads start each round together (a spin on a shared counter) so that the attach and
/// the resolution overlap as often as possible. Also: combinators of no loop told of two
/// inputs at once on two threads; callbacks a loop attaches, which run on the loop
/// (Core/LoopBoundCallback.cs) or, once it has stopped, where the promise resolves.
/// </summary>
[Collection(Loop.LoopGlobalState.Name)]
public class UnownedAttachRaceTests
{
    private const int Rounds = 20_000;

    // Fewer: with three threads on a small machine each round waits for the scheduler.
    private const int TwoResolverRounds = 10_000;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds: a fresh promise of no loop, resolved with the
    /// round's number by a second thread while this one calls <paramref name="attach"/> on
    /// it; then checks that what <paramref name="attach"/> returned ends with
    /// <paramref name="expected"/> of that number.
    /// </summary>
    private static void RunRounds(Func<Promise<int>, Promise<int>> attach, Func<int, int> expected, int rounds = Rounds)
    {
        var resolvers = new Resolver<int>[rounds];
        var promises = new Promise<int>[rounds];
        for (int i = 0; i < rounds; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
        int go = -1, done = -1;
        var resolving = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                while (Volatile.Read(ref go) < i) Thread.SpinWait(1);
                resolvers[i].Resolve(i);
                Volatile.Write(ref done, i);
            }
        }) { IsBackground = true };
        resolving.Start();
        var results = new Promise<int>[rounds];
        for (int i = 0; i < rounds; i++)
        {
            Volatile.Write(ref go, i);
            results[i] = attach(promises[i]);
            var deadline = DateTime.UtcNow + Hang;
            while (Volatile.Read(ref done) < i)
                if (DateTime.UtcNow > deadline) Assert.Fail($"round {i}: the resolving thread stopped");
        }
        Assert.True(resolving.Join(Hang), "the resolving thread did not finish");
        for (int i = 0; i < rounds; i++)
        {
            // Every round's callbacks have run by now, on one thread or the other, and the
            // Join above makes the resolving thread's writes visible here.
            Assert.False(results[i].IsPending, $"round {i}: the combinator's promise never resolved");
            Assert.Equal(expected(i), results[i].Value);
        }
    }

    [Fact]
    public void Map_attached_while_another_thread_resolves_always_runs() =>
        RunRounds(p => p.Map(x => x + 1), i => i + 1);

    [Fact]
    public void Bind_attached_while_another_thread_resolves_always_runs() =>
        RunRounds(p => p.Bind(x => Promise.Return(x * 2)), i => i * 2);

    [Fact]
    public void OnSuccess_attached_while_another_thread_resolves_always_runs() =>
        RunRounds(p =>
        {
            var (q, r) = Promise.Create<int>();
            p.OnSuccess(x => r.Resolve(x - 1));
            return q;
        }, i => i - 1);

    [Fact]
    public void Catch_and_TryBind_attached_while_another_thread_resolves_always_run() =>
        RunRounds(p => Promise.TryBind(() => Promise.Catch(() => p, _ => Promise.Return(-1)), x => Promise.Return(x + 3), _ => Promise.Return(-2)), i => i + 3);

    [Fact]
    public void Protected_NoCancel_and_WrapInCancelable_attached_while_another_thread_resolves_always_follow() =>
        RunRounds(p => p.Protected().NoCancel().WrapInCancelable(), i => i);

    [Fact]
    public void Join_attached_while_another_thread_resolves_always_resolves() =>
        RunRounds(p => Promise.Join(p, p.Map(_ => Unit.Value)).Bind(() => p), i => i);

    [Fact]
    public void All_attached_while_another_thread_resolves_always_resolves() =>
        RunRounds(p => Promise.All(p, p).Map(xs => xs[0] + xs[1]), i => 2 * i);

    [Fact]
    public void Pick_and_Choose_attached_while_another_thread_resolves_always_resolve() =>
        RunRounds(p =>
        {
            var never = Promise.Create<int>().Promise;
            return Promise.Pick(p, never) | Promise.Choose(never, p);
        }, i => i);

    [Fact]
    public void An_async_Promise_method_off_any_loop_awaiting_while_another_thread_resolves_always_resumes() =>
        RunRounds(AddOneAfter, i => i + 1);

    private static async Promise<int> AddOneAfter(Promise<int> p) => await p + 1;

    /// <summary>
    /// Rounds in which a combinator of no loop waits on two promises of no loop that two
    /// other threads resolve at the same moment: its callback runs on both threads at once.
    /// </summary>
    private static void RunTwoResolvers(Func<Promise<int>, Promise<int>, Promise> combine, Action<int, Promise> check, int rounds = TwoResolverRounds)
    {
        var first = new (Promise<int> Promise, Resolver<int> Resolver)[rounds];
        var second = new (Promise<int> Promise, Resolver<int> Resolver)[rounds];
        var results = new Promise[rounds];
        for (int i = 0; i < rounds; i++)
        {
            first[i] = Promise.Create<int>();
            second[i] = Promise.Create<int>();
            results[i] = combine(first[i].Promise, second[i].Promise);
        }
        int go = -1;
        Thread Resolving((Promise<int> Promise, Resolver<int> Resolver)[] pairs, int value) => new(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                var spin = new SpinWait(); // yields now and then: three threads may share two CPUs
                while (Volatile.Read(ref go) < i) spin.SpinOnce();
                pairs[i].Resolver.Resolve(value);
            }
        }) { IsBackground = true };
        var a = Resolving(first, 1);
        var b = Resolving(second, 2);
        a.Start();
        b.Start();
        for (int i = 0; i < rounds; i++)
        {
            Volatile.Write(ref go, i);
            // A round starts when both threads have finished the one before.
            var spin = new SpinWait();
            while (first[i].Promise.IsPending || second[i].Promise.IsPending) spin.SpinOnce();
        }
        Assert.True(a.Join(Hang) && b.Join(Hang), "a resolving thread did not finish");
        for (int i = 0; i < rounds; i++) check(i, results[i]);
    }

    [Fact]
    public void A_join_of_no_loop_whose_inputs_resolve_at_once_on_two_threads_always_resolves() =>
        RunTwoResolvers(
            (p, q) => Promise.Join(p, q),
            (i, join) => Assert.True(join.IsFulfilled, $"round {i}: the join is {join.State}"));

    [Fact]
    public void Both_and_All_of_no_loop_whose_inputs_resolve_at_once_on_two_threads_always_resolve() =>
        RunTwoResolvers(
            (p, q) => Promise.Both(p, q).Map(t => t.Item1 + t.Item2) & Promise.All(p, q),
            (i, both) => Assert.True(both.IsFulfilled, $"round {i}: the result is {both.State}"));

    [Fact]
    public void A_race_of_no_loop_that_two_threads_decide_at_once_is_decided_once()
    {
        int decided = 0;
        RunTwoResolvers(
            (p, q) =>
            {
                var race = Promise.Choose(p, q);
                race.OnSuccess(_ => Interlocked.Increment(ref decided));
                return race;
            },
            (i, race) => Assert.True(race.IsFulfilled, $"round {i}: the race is {race.State}"));
        Assert.Equal(TwoResolverRounds, Volatile.Read(ref decided));
    }

    [Fact]
    public void Callbacks_a_loop_attaches_to_a_promise_of_no_loop_run_on_the_loop_whatever_thread_resolves_it()
    {
        const int rounds = 2_000;
        long total = TwoThreadRounds.RunOnLoop(rounds, (p, here) =>
        {
            var mapped = p.Map(x => { here(); return x; });
            var bound = p.Bind(x => { here(); return Promise.Return(x); });
            var (side, sideResolver) = Promise.Create<int>();
            p.OnSuccess(x => { here(); sideResolver.Resolve(x); });
            return Promise.All(mapped, bound, side).Map(values => (long)values[0] + values[1] + values[2]);
        });
        Assert.Equal(3L * rounds * (rounds - 1) / 2, total);
    }

    [Fact]
    public void A_callback_a_loop_attached_runs_where_the_promise_resolves_once_the_loop_has_stopped()
    {
        var (p, r) = Promise.Create<int>(); // of no loop
        Promise<int>? mapped = null;
        int mapThread = 0;
        LwtMain.Run(() =>
        {
            mapped = p.Map(x =>
            {
                mapThread = Environment.CurrentManagedThreadId;
                return x + 1;
            });
            return Promise.ReturnUnit; // the loop stops with p still pending
        });
        var resolving = new Thread(() => r.Resolve(41));
        resolving.Start();
        Assert.True(resolving.Join(Hang));
        // The loop is not running: its callback ran on the resolving thread, at once.
        Assert.Equal(42, mapped!.Value);
        Assert.Equal(resolving.ManagedThreadId, mapThread);
    }

    [Fact]
    public void A_promise_of_no_loop_raced_many_times_on_a_loop_does_not_keep_the_races_callbacks()
    {
        var (p, _) = Promise.Create<int>(); // of no loop, pending throughout
        const int races = 10_000;
        LwtMain.Run(() =>
        {
            for (int i = 0; i < races; i++)
            {
                var (q, rq) = Promise.Create<int>();
                var race = Promise.Choose(p, q); // its node sits on p inside a LoopBoundCallback
                rq.Resolve(i);
                Assert.Equal(i, race.Value);
            }
            return Promise.ReturnUnit;
        });
        // Each race detached its node from p; the compaction sees through the wrapper.
        int stored = p._callbacks switch
        {
            null => 0,
            CallbackList list => list.Count,
            _ => 1,
        };
        Assert.True(stored < 100, $"p still holds {stored} callbacks after {races} races");
    }
}
