using Lwt.Interop;
using Lwt.Tests.Interop;

namespace Lwt.Tests.Loop;

/// <summary>
/// Promises of a loop that has stopped (LwtMain.Run returned) are anyone's (LoopRegistry):
/// a resolver, a cancel or an await on another thread acts on them at once. Two threads
/// doing so at the same moment must meet as they do on a promise of no loop (Core/Promise.Shared.cs):
/// exactly one resolution wins, the other is told so, callbacks run once, and an await
/// attached meanwhile is not lost. Before, the resolution of such a promise took no lock:
/// two TryResolve both returned true and ran the callbacks twice, a TryResolve and a Cancel
/// both "won", and an AsTask attached under the lock could be dropped (the Task never ended).
/// </summary>
[Collection(LoopGlobalState.Name)]
public class StoppedLoopRaceTests
{
    private const int Rounds = TwoThreadRounds.Rounds;

    /// <summary>Makes <paramref name="count"/> promises in one run of this thread's loop, which then stops.</summary>
    private static (Promise<int> Promise, Resolver<int> Resolver)[] PromisesOfAStoppedLoop(int count, int[] callbacks)
    {
        var pairs = new (Promise<int>, Resolver<int>)[count];
        LwtMain.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                int round = i;
                pairs[i] = Promise.CreateCancelable<int>();
                pairs[i].Item1.OnTermination(() => Interlocked.Increment(ref callbacks[round]));
            }
            return Promise.ReturnUnit;
        });
        return pairs;
    }

    [Fact]
    public void Two_threads_resolving_a_promise_of_a_stopped_loop_are_told_which_one_won()
    {
        var callbacks = new int[Rounds];
        var pairs = PromisesOfAStoppedLoop(Rounds, callbacks);
        var wonHere = new bool[Rounds];
        var wonThere = new bool[Rounds];
        TwoThreadRounds.Run(
            i => wonHere[i] = pairs[i].Resolver.TryResolve(1),
            i => wonThere[i] = pairs[i].Resolver.TryResolve(2),
            i =>
            {
                Assert.True(wonHere[i] != wonThere[i], $"round {i}: TryResolve here returned {wonHere[i]}, there {wonThere[i]}");
                Assert.Equal(wonHere[i] ? 1 : 2, pairs[i].Promise.Value);
                Assert.Equal(1, callbacks[i]);
            });
    }

    [Fact]
    public void Resolve_and_Reject_or_Cancel_of_a_promise_of_a_stopped_loop_on_two_threads_have_one_winner()
    {
        var callbacks = new int[Rounds];
        var pairs = PromisesOfAStoppedLoop(Rounds, callbacks);
        var resolved = new bool[Rounds];
        var rejected = new bool[Rounds];
        TwoThreadRounds.Run(
            i => resolved[i] = pairs[i].Resolver.TryResolve(1),
            i =>
            {
                if (i % 2 == 0) pairs[i].Promise.Cancel();
                else rejected[i] = ((Resolver)pairs[i].Resolver).TryReject(new InvalidOperationException("there"));
            },
            i =>
            {
                var p = pairs[i].Promise;
                Assert.Equal(resolved[i], p.IsFulfilled);
                if (i % 2 == 0) Assert.Equal(!resolved[i], p.IsCanceled);
                else Assert.True(resolved[i] != rejected[i], $"round {i}: TryResolve returned {resolved[i]}, TryReject {rejected[i]}");
                Assert.Equal(1, callbacks[i]);
            });
    }

    [Fact]
    public void AsTask_of_a_promise_of_a_stopped_loop_while_another_thread_resolves_it_ends()
    {
        var callbacks = new int[Rounds];
        var pairs = PromisesOfAStoppedLoop(Rounds, callbacks);
        var tasks = new Task<int>[Rounds];
        TwoThreadRounds.Run(
            i => tasks[i] = pairs[i].Promise.AsTask(),
            i => pairs[i].Resolver.Resolve(i),
            i =>
            {
                Assert.True(tasks[i].Wait(TwoThreadRounds.Hang), $"round {i}: the Task never ended (the attach was lost)");
                Assert.Equal(i, tasks[i].Result);
            });
    }

    private static async Promise<int> PlusOneOffTheLoop(Task<int> task) => await task.ConfigureAwait(false) + 1;

    [Fact]
    public void An_async_method_of_a_stopped_loop_finishing_on_one_thread_while_another_awaits_it_ends_the_await()
    {
        var sources = new TaskCompletionSource<int>[Rounds];
        var methods = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++) sources[i] = new TaskCompletionSource<int>();
        LwtMain.Run(() =>
        {
            for (int i = 0; i < Rounds; i++) methods[i] = PlusOneOffTheLoop(sources[i].Task);
            return Promise.ReturnUnit;
        });
        var tasks = new Task<int>[Rounds];
        TwoThreadRounds.Run(
            i => tasks[i] = methods[i].AsTask(),
            i => sources[i].SetResult(i), // the method's end runs here, off its stopped loop
            i =>
            {
                Assert.True(tasks[i].Wait(TwoThreadRounds.Hang), $"round {i}: the Task never ended (the attach was lost)");
                Assert.Equal(i + 1, tasks[i].Result);
            });
    }

    [Fact]
    public void ToPromise_of_a_stopped_loop_whose_Task_completes_on_one_thread_while_another_awaits_it_ends_the_await()
    {
        var sources = new TaskCompletionSource<int>[Rounds];
        var promises = new Promise<int>[Rounds];
        for (int i = 0; i < Rounds; i++) sources[i] = new TaskCompletionSource<int>();
        LwtMain.Run(() =>
        {
            for (int i = 0; i < Rounds; i++) promises[i] = sources[i].Task.ToPromise();
            return Promise.ReturnUnit;
        });
        var tasks = new Task<int>[Rounds];
        TwoThreadRounds.Run(
            i => tasks[i] = promises[i].AsTask(),
            i => sources[i].SetResult(i), // the promise is resolved here, its loop having stopped
            i =>
            {
                Assert.True(tasks[i].Wait(TwoThreadRounds.Hang), $"round {i}: the Task never ended (the attach was lost)");
                Assert.Equal(i, tasks[i].Result);
            });
    }

    /// <summary>The ways to attach to a promise: each must take the callback or find the promise resolved.</summary>
    private static readonly Func<Promise<int>, Action, Promise?>[] Attaches =
    [
        (p, ran) => { p.OnSuccess(_ => ran()); return null; },
        (p, ran) => { p.OnTermination(ran); return null; },
        (p, _) => p.Map(v => v + 1),
        (p, _) => p.Bind(v => Promise.Return(v + 1)),
        (p, _) => p.Protected().Map(v => v + 1),
        (p, _) => p.NoCancel().Map(v => v + 1),
        (p, _) => Promise.Join(p, Promise.ReturnUnit),
        (p, _) => Promise.Pick([p, Promise.Create<int>().Promise]),
        (p, _) => Promise.Both(p, Promise.Return(1)),
    ];

    // Bind, Map, the On* callbacks and the combinators attach without a lock on their own
    // loop's thread (the hot path); off it, to a stopped loop's promise, they took none either,
    // so a resolution on another thread could take the callbacks before the attach was
    // visible to it: the callback was lost, and what waited on it stayed pending.
    [Fact]
    public void Callbacks_attached_to_a_promise_of_a_stopped_loop_while_another_thread_resolves_it_run_once()
    {
        var callbacks = new int[Rounds];
        var pairs = PromisesOfAStoppedLoop(Rounds, callbacks);
        var ran = new int[Rounds];
        var results = new Promise?[Rounds];
        TwoThreadRounds.Run(
            i => results[i] = Attaches[i % Attaches.Length](pairs[i].Promise, () => Interlocked.Increment(ref ran[i])),
            i => pairs[i].Resolver.TryResolve(1),
            i =>
            {
                if (results[i] is { } result) Assert.True(result.IsFulfilled, $"round {i} (attach {i % Attaches.Length}): its result is {result.State}");
                else Assert.Equal(1, ran[i]);
                Assert.Equal(1, callbacks[i]);
            });
    }

    /// <summary>Makes what <paramref name="make"/> makes, <paramref name="count"/> times, in one run of this thread's loop, which then stops.</summary>
    private static T[] MadeInAStoppedLoop<T>(int count, Func<T> make)
    {
        var made = new T[count];
        LwtMain.Run(() =>
        {
            for (int i = 0; i < count; i++) made[i] = make();
            return Promise.ReturnUnit;
        });
        return made;
    }

    private static async Promise<int> PlusOne(Promise<int> p) => await p + 1;

    // The promises that a stopped loop's callbacks resolve (a Map's, a Join's, a Bind's, an
    // async method's), on the thread that resolved what they wait on, were changed without a
    // lock: an attach, a second input or a handover on another thread at the same moment was
    // lost, and what waited stayed pending (about 1 round in 2,000 each). Only the resolvers,
    // cancels and attaches took the lock; now every change that a callback makes to such a
    // promise does (Promise.IsShared).
    [Fact]
    public void A_Map_of_a_stopped_loop_resolved_on_one_thread_keeps_the_callbacks_another_thread_attaches()
    {
        var made = MadeInAStoppedLoop(Rounds, () =>
        {
            var (p, r) = Promise.Create<int>();
            return (Resolver: r, Mapped: p.Map(v => v + 1));
        });
        var ran = new int[Rounds];
        TwoThreadRounds.Run(
            i => made[i].Resolver.Resolve(1),
            i =>
            {
                for (int k = 0; k < 4; k++) made[i].Mapped.OnSuccess(_ => Interlocked.Increment(ref ran[i]));
            },
            i => Assert.True(ran[i] == 4, $"round {i}: {ran[i]} of 4 callbacks ran"));
    }

    [Fact]
    public void A_Join_of_a_stopped_loop_whose_inputs_are_resolved_on_two_threads_at_once_is_fulfilled()
    {
        var made = MadeInAStoppedLoop(Rounds, () =>
        {
            var (p1, r1) = Promise.Create();
            var (p2, r2) = Promise.Create();
            return (R1: r1, R2: r2, Join: Promise.Join(p1, p2));
        });
        TwoThreadRounds.Run(
            i => made[i].R1.Resolve(),
            i => made[i].R2.Resolve(),
            i => Assert.True(made[i].Join.IsFulfilled, $"round {i}: the join is {made[i].Join.State}"));
    }

    [Fact]
    public void A_Bind_of_a_stopped_loop_whose_callback_returns_a_promise_another_thread_resolves_is_fulfilled()
    {
        var made = MadeInAStoppedLoop(Rounds, () =>
        {
            var (p, r) = Promise.Create<int>();
            var (second, r2) = Promise.Create<int>();
            return (R: r, R2: r2, Bound: p.Bind(_ => second));
        });
        TwoThreadRounds.Run(
            i => made[i].R.Resolve(1),
            i => made[i].R2.Resolve(2),
            i => Assert.True(made[i].Bound.IsFulfilled, $"round {i}: the bind is {made[i].Bound.State}"));
    }

    [Fact]
    public void An_async_method_of_a_stopped_loop_resumed_on_one_thread_keeps_the_callbacks_another_thread_attaches()
    {
        var made = MadeInAStoppedLoop(Rounds, () =>
        {
            var (p, r) = Promise.Create<int>();
            return (Resolver: r, Method: PlusOne(p));
        });
        var ran = new int[Rounds];
        TwoThreadRounds.Run(
            i => made[i].Resolver.Resolve(1),
            i =>
            {
                for (int k = 0; k < 4; k++) made[i].Method.OnSuccess(_ => Interlocked.Increment(ref ran[i]));
            },
            i => Assert.True(ran[i] == 4, $"round {i}: {ran[i]} of 4 callbacks ran"));
    }

    private static async Promise<int> RecordWhereItResumes(Promise<int> p, int[] threads, int round)
    {
        int v = await p;
        threads[round] = Environment.CurrentManagedThreadId;
        return v;
    }

    // An async Promise method running on loop B that awaits a pending promise of a stopped loop
    // attached its box to it unbound (AddCallbackSharedUnbound, with OffLoop = Inline): the
    // resolution on another thread then ran the rest of B's method there, beside B's own
    // thread, instead of posting it to B as every other attach made by a running loop is
    // (LoopBoundCallback); a promise of no loop goes through the loop's context.
    [Fact]
    public void An_async_method_of_a_running_loop_awaiting_a_promise_of_a_stopped_loop_resumes_on_its_loop()
    {
        var made = MadeInAStoppedLoop(Rounds, () => Promise.Create<int>());
        using var b = new EventLoopThread("B");
        int bThread = b.InvokeAsync(() => Promise.Return(Environment.CurrentManagedThreadId)).Result;
        var threads = new int[Rounds];
        var methods = new Promise<int>[Rounds];
        var ran = new int[Rounds];
        TwoThreadRounds.Run(
            i =>
            {
                // B's method is suspended on the pending promise before it is resolved here.
                b.InvokeAsync(() =>
                {
                    methods[i] = RecordWhereItResumes(made[i].Promise, threads, i);
                    return Promise.ReturnUnit;
                }).Wait();
                made[i].Resolver.Resolve(i);
            },
            i => made[i].Promise.OnSuccess(_ => Interlocked.Increment(ref ran[i])),
            i =>
            {
                Assert.True(b.InvokeAsync(() => methods[i]).Wait(TwoThreadRounds.Hang), $"round {i}: the method never ended");
                Assert.True(threads[i] == bThread, $"round {i}: resumed on thread {threads[i]}, not on B's ({bThread})");
                Assert.Equal(1, ran[i]);
            });
    }

    // With the await bound to B (not left to B's context), a cancel of B's method still reaches
    // the stopped loop's promise it awaits, as before.
    [Fact]
    public void Canceling_an_async_method_of_a_running_loop_cancels_the_promise_of_a_stopped_loop_it_awaits()
    {
        var made = MadeInAStoppedLoop(1, () => Promise.CreateCancelable<int>());
        using var b = new EventLoopThread("B");
        int bThread = b.InvokeAsync(() => Promise.Return(Environment.CurrentManagedThreadId)).Result;
        var threads = new int[1];
        Promise<int>? method = null;
        b.InvokeAsync(() =>
        {
            method = RecordWhereItResumes(made[0].Promise, threads, 0);
            method.Cancel();
            return Promise.ReturnUnit;
        }).Wait();
        Assert.True(made[0].Promise.IsCanceled, $"the awaited promise is {made[0].Promise.State}");
        Assert.True(b.InvokeAsync(() => method!.Catch(_ => Promise.Return(-1))).Wait(TwoThreadRounds.Hang));
        Assert.True(method!.IsCanceled, $"the method's promise is {method.State}");
    }
}
