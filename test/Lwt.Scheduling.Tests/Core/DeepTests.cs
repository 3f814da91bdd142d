namespace Lwt.Tests.Core;

/// <summary>Recursion and long chains: no stack overflow, run on threads with a normal 1.5 MB stack.</summary>
public class DeepTests
{
    private static Promise Loop(int n) => n == 0 ? Promise.ReturnUnit : Promise.ReturnUnit.Bind(() => Loop(n - 1));

    [Fact]
    public void Bind_loop_on_resolved_promises_ten_million()
    {
        Threads.Run(() =>
        {
            var p = Loop(10_000_000);
            Assert.True(p.IsFulfilled);
        });
    }

    private static Promise<int> TypedLoop(int n) => n == 0 ? Promise.Return(42) : Promise.Return(n).Bind(x => TypedLoop(x - 1));

    [Fact]
    public void Typed_bind_loop_on_resolved_promises()
    {
        Threads.Run(() => Assert.Equal(42, TypedLoop(3_000_000).Value));
    }

    private static Promise UntypedResultLoop(int n) =>
        n == 0 ? Promise.ReturnUnit : Promise.Return(n).Bind((int x) => UntypedResultLoop(x - 1));

    [Fact]
    public void Value_to_untyped_bind_loop_on_resolved_promises()
    {
        Threads.Run(() => Assert.True(UntypedResultLoop(3_000_000).IsFulfilled));
    }

    // The state-passing forms trampoline exactly as the closure forms do (StatePassing.cs).
    private static Promise StateLoop(int n) => n == 0 ? Promise.ReturnUnit : Promise.ReturnUnit.Bind(static k => StateLoop(k), n - 1);

    private static Promise<int> TypedStateLoop(int n) =>
        n == 0 ? Promise.Return(42) : Promise.Return(n).Bind(static (x, step) => TypedStateLoop(x - step), 1);

    private static Promise TypedToUntypedStateLoop(int n) =>
        n == 0 ? Promise.ReturnUnit : Promise.Return(n).Bind(static (int x, int step) => TypedToUntypedStateLoop(x - step), 1);

    private static Promise<int> UntypedToTypedStateLoop(int n) =>
        n == 0 ? Promise.Return(42) : Promise.ReturnUnit.Bind(static k => UntypedToTypedStateLoop(k), n - 1);

    [Fact]
    public void State_passing_bind_loops_on_resolved_promises()
    {
        Threads.Run(() =>
        {
            Assert.True(StateLoop(10_000_000).IsFulfilled);
            Assert.Equal(42, TypedStateLoop(3_000_000).Value);
            Assert.True(TypedToUntypedStateLoop(3_000_000).IsFulfilled);
            Assert.Equal(42, UntypedToTypedStateLoop(3_000_000).Value);
        });
    }

    private static Promise StatePauseLoop(int n) => n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(static k => StatePauseLoop(k), n - 1);

    [Fact]
    public void State_passing_bind_loop_through_pause()
    {
        Threads.Run(() =>
        {
            var p = StatePauseLoop(1_000_000);
            int ticks = 0;
            while (p.IsPending) { Promise.WakeupPaused(); ticks++; }
            Assert.True(p.IsFulfilled);
            Assert.Equal(1_000_000, ticks);
        });
    }

    private static Promise<int> CatchLoop(int n) =>
        n == 0 ? Promise.Return(7) : Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => CatchLoop(n - 1));

    private static Promise<int> TryBindLoop(int n) =>
        n == 0 ? Promise.Return(7) : Promise.TryBind(() => Promise.Return(n), x => TryBindLoop(x - 1), _ => Promise.Return(-1));

    private static Promise<int> FinallyLoop(int n) =>
        n == 0 ? Promise.Return(7) : Promise.Finally(() => Promise.Return(n), () => FinallyLoop(n - 1));

    [Fact]
    public void Catch_loop_on_resolved_promises()
    {
        Threads.Run(() => Assert.Equal(7, CatchLoop(1_000_000).Value));
    }

    [Fact]
    public void TryBind_loop_on_resolved_promises()
    {
        Threads.Run(() => Assert.Equal(7, TryBindLoop(1_000_000).Value));
    }

    [Fact]
    public void Finally_loop_on_resolved_promises()
    {
        Threads.Run(() => Assert.Equal(1_000_000, FinallyLoop(1_000_000).Value));
    }

    private static Promise PauseLoop(int n) => n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(() => PauseLoop(n - 1));

    [Fact]
    public void Bind_loop_through_pause_one_million()
    {
        Threads.Run(() =>
        {
            var p = PauseLoop(1_000_000);
            int ticks = 0;
            while (p.IsPending) { Promise.WakeupPaused(); ticks++; }
            Assert.True(p.IsFulfilled);
            Assert.Equal(1_000_000, ticks);
        });
    }

    private static async Promise AsyncPauseLoop(int n, Box<int> count)
    {
        for (int i = 0; i < n; i++)
        {
            await Promise.Pause();
            count.Value++;
        }
    }

    public sealed class Box<T> { public T Value = default!; }

    [Fact]
    public void Async_method_looping_on_pause_one_million()
    {
        Threads.Run(() =>
        {
            var count = new Box<int>();
            var p = AsyncPauseLoop(1_000_000, count);
            while (p.IsPending) Promise.WakeupPaused();
            Assert.True(p.IsFulfilled);
            Assert.Equal(1_000_000, count.Value);
        });
    }

    [Fact]
    public void Chain_of_pending_promises_each_resolving_the_next_from_its_callback()
    {
        Threads.Run(() =>
        {
            const int n = 1_000_000;
            var resolvers = new Resolver<int>[n];
            var promises = new Promise<int>[n];
            for (int i = 0; i < n; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
            for (int i = 0; i < n - 1; i++)
            {
                var next = resolvers[i + 1];
                promises[i].OnSuccess(v => next.Resolve(v + 1));
            }
            resolvers[0].Resolve(0);
            Assert.Equal(n - 1, promises[n - 1].Value);
        });
    }

    [Fact]
    public void Chain_of_pending_promises_each_rejecting_the_next_from_its_callback()
    {
        Threads.Run(() =>
        {
            const int n = 1_000_000;
            var resolvers = new Resolver<int>[n];
            var promises = new Promise<int>[n];
            for (int i = 0; i < n; i++) (promises[i], resolvers[i]) = Promise.Create<int>();
            for (int i = 0; i < n - 1; i++)
            {
                var next = resolvers[i + 1];
                promises[i].OnFailure(e => next.Reject(e));
            }
            var e = new Boom();
            resolvers[0].Reject(e);
            Assert.Same(e, promises[n - 1].Exception);
        });
    }

    [Fact]
    public void Map_chain_of_one_million_on_one_pending_root()
    {
        Threads.Run(() =>
        {
            var (root, r) = Promise.Create<int>();
            Promise<int> p = root;
            for (int i = 0; i < 1_000_000; i++) p = p.Map(x => x + 1);
            r.Resolve(0);
            Assert.Equal(1_000_000, p.Value);
        });
    }

    [Fact]
    public void Bind_chain_of_one_million_on_one_pending_root()
    {
        Threads.Run(() =>
        {
            var (root, r) = Promise.Create<int>();
            Promise<int> p = root;
            for (int i = 0; i < 1_000_000; i++) p = p.Bind(x => Promise.Return(x + 1));
            r.Resolve(0);
            Assert.Equal(1_000_000, p.Value);
        });
    }

    [Fact]
    public void Bind_chain_of_one_million_rejected_root()
    {
        Threads.Run(() =>
        {
            var (root, r) = Promise.Create<int>();
            Promise<int> p = root;
            for (int i = 0; i < 1_000_000; i++) p = p.Bind(x => Promise.Return(x + 1));
            var e = new Boom();
            r.Reject(e);
            Assert.Same(e, p.Exception);
        });
    }

    [Fact]
    public void Cancel_through_a_chain_of_one_million_binds()
    {
        Threads.Run(() =>
        {
            var (root, _) = Promise.CreateCancelable<int>();
            Promise<int> p = root;
            for (int i = 0; i < 1_000_000; i++) p = p.Map(x => x + 1);
            p.Cancel();
            Assert.True(root.IsCanceled);
            Assert.True(p.IsCanceled);
        });
    }

    private static async Promise<int> Step(Promise<int> previous) => await previous + 1;

    [Fact]
    public void Chain_of_one_hundred_thousand_awaiting_async_methods_resolves_and_cancels()
    {
        Threads.Run(() =>
        {
            const int n = 100_000;
            var (root, r) = Promise.Create<int>();
            var p = root;
            for (int i = 0; i < n; i++) p = Step(p);
            r.Resolve(0);
            Assert.Equal(n, p.Value);

            // Canceling rethrows the CanceledException through every method; .NET's rethrow appends to the
            // exception's stack trace each time (quadratic, exactly as with Task), so this chain is shorter.
            var (croot, _) = Promise.CreateCancelable<int>();
            var c = croot;
            for (int i = 0; i < 2_000; i++) c = Step(c);
            c.Cancel();
            Assert.True(croot.IsCanceled);
            Assert.True(c.IsCanceled);
        });
    }

    // The recursion written as an async method with a plain `await` of the next level: every
    // level waits for the next (memory grows with the depth, as with `async Task`; ReturnFrom's
    // tests have the constant-memory form), but the builder trampolines the nested starts, so
    // the stack stays bounded, even on a thread with a 1 MB stack.
    private static async Promise AwaitingRecursion(int n)
    {
        if (n == 0) return;
        await Promise.ReturnUnit;
        await AwaitingRecursion(n - 1);
    }

    [Fact]
    public void Async_method_recursing_through_await_on_resolved_promises_one_million_deep()
    {
        Threads.Run(() => Assert.True(AwaitingRecursion(1_000_000).IsFulfilled), stackSize: 1024 * 1024);
    }

    [Fact]
    public void Many_callbacks_on_one_promise()
    {
        var (p, r) = Promise.Create<int>();
        int sum = 0;
        for (int i = 0; i < 100_000; i++) p.OnSuccess(v => sum += v);
        r.Resolve(1);
        Assert.Equal(100_000, sum);
    }

    [Fact]
    public void Join_of_one_hundred_thousand()
    {
        var rs = new List<Resolver<int>>();
        var ps = new List<Promise>();
        for (int i = 0; i < 100_000; i++)
        {
            var (p, r) = Promise.Create<int>();
            ps.Add(p);
            rs.Add(r);
        }
        var j = Promise.Join(ps);
        foreach (var r in rs) r.Resolve(1);
        Assert.True(j.IsFulfilled);
    }
}
