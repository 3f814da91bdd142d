using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Promises of no loop used as .NET code uses a TaskCompletionSource: made off any loop,
/// resolved on one pool thread, awaited on another. The attach and the resolution meet under
/// the promise's lock (Core/Promise.Shared.cs); without it the continuation was lost within a
/// few thousand rounds (the resolver form within a handful) and the awaiting code never
/// resumed. Bounded rounds; a hang fails the test instead of stalling the run.
/// </summary>
[Collection(Loop.LoopGlobalState.Name)]
public class UnownedPromiseRaceTests
{
    private const int Rounds = 20_000;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private static void RunRounds(Func<int, (Promise<int> Promise, Action Complete)> make, Func<Promise<int>, Task<int>> wait, int rounds = Rounds)
    {
        int round = 0;
        Promise<int>? current = null;
        var worker = Task.Run(async () =>
        {
            for (round = 0; round < rounds; round++)
            {
                var (p, complete) = make(round);
                current = p;
                ThreadPool.UnsafeQueueUserWorkItem(static c => ((Action)c!)(), complete, preferLocal: false);
                Assert.Equal(round, await wait(p));
            }
        });
        Assert.True(worker.Wait(Hang), $"round {round} never resumed; the promise is {current?.State}");
        worker.GetAwaiter().GetResult(); // rethrows a wrong value
    }

    [Fact]
    public void Awaiting_a_ToPromise_off_any_loop_while_the_task_completes_elsewhere_always_resumes() =>
        RunRounds(
            i =>
            {
                var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                return (tcs.Task.ToPromise(), () => tcs.SetResult(i));
            },
            static async p => await p,
            rounds: 3 * Rounds); // the Task's own machinery narrows the window: more rounds

    [Fact]
    public void Awaiting_a_resolvers_promise_off_any_loop_while_another_thread_resolves_it_always_resumes() =>
        RunRounds(
            i =>
            {
                var (p, r) = Promise.Create<int>();
                return (p, () => r.Resolve(i));
            },
            static async p => await p);

    [Fact]
    public void Awaiting_a_bind_whose_callback_returns_a_pending_promise_resolved_on_another_thread_always_resumes() =>
        // The other thread runs the callback, which makes q a proxy for the bind's promise
        // (its callbacks move over) while the await attaches: both under the locks. This
        // checks the whole path end to end; the window of the move itself is too narrow for
        // these rounds to catch reliably without the locks (the leaf cases above do catch theirs).
        RunRounds(
            i =>
            {
                var (p, rp) = Promise.Create<int>();
                var (q, rq) = Promise.Create<int>();
                q.OnSuccess(static _ => { }); // a callback for the proxying to move
                var bound = p.Bind(_ => q);
                return (bound, () =>
                {
                    rp.Resolve(0);
                    rq.Resolve(i);
                });
            },
            static async p => await p);

    [Fact]
    public void AsTask_of_a_promise_of_no_loop_resolved_on_another_thread_always_completes() =>
        RunRounds(
            i =>
            {
                var (p, r) = Promise.Create<int>();
                return (p, () => r.Resolve(i));
            },
            static p => p.AsTask());

    [Fact]
    public void A_rejection_on_another_thread_reaches_the_await_as_the_same_exception()
    {
        for (int i = 0; i < 2_000; i++)
        {
            var (p, r) = Promise.Create<int>();
            var boom = new InvalidOperationException(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var waiting = Task.Run(async () => await p);
            ThreadPool.UnsafeQueueUserWorkItem(_ => r.Reject(boom), null);
            Assert.True(((IAsyncResult)waiting).AsyncWaitHandle.WaitOne(Hang), $"round {i} never resumed");
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => waiting.GetAwaiter().GetResult()));
        }
    }
}
