namespace Lwt.Tests.Core;

/// <summary>
/// Memory stays flat in long loops; GC.GetTotalMemory is process-wide, so these run serially.
/// The bounds are loose: a leak of one small object per iteration exceeds them by far.
/// </summary>
[Collection(SerialCollection.Name)]
public class MemoryTests
{
    private const long Bound = 20 * 1024 * 1024;

    private static Promise PauseLoop(int n) => n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(() => PauseLoop(n - 1));

    [Fact]
    public void Bind_loop_through_pause_runs_in_constant_memory()
    {
        Threads.Run(() =>
        {
            const int n = 1_200_000;
            var p = PauseLoop(n);
            long mid = 0, end = 0;
            int ticks = 0;
            while (p.IsPending)
            {
                Promise.WakeupPaused();
                ticks++;
                if (ticks == 200_000) mid = GC.GetTotalMemory(true);
                if (ticks == 1_150_000) end = GC.GetTotalMemory(true);
            }
            Assert.True(p.IsFulfilled);
            Assert.True(end - mid < Bound, $"grew by {(end - mid) / 1024} KB");
        });
    }

    private sealed class Counter { public long Mid; public long End; }

    private static async Promise AsyncPauseLoop(int n, Counter c)
    {
        for (int i = 1; i <= n; i++)
        {
            await Promise.Pause();
            if (i == 200_000) c.Mid = GC.GetTotalMemory(true);
            if (i == 950_000) c.End = GC.GetTotalMemory(true);
        }
    }

    [Fact]
    public void Async_pause_loop_runs_in_constant_memory()
    {
        Threads.Run(() =>
        {
            var c = new Counter();
            var p = AsyncPauseLoop(1_000_000, c);
            while (p.IsPending) Promise.WakeupPaused();
            Assert.True(p.IsFulfilled);
            Assert.True(c.End - c.Mid < Bound, $"grew by {(c.End - c.Mid) / 1024} KB");
        });
    }

    // The same loop recursing as an async method, each level ending with Promise.ReturnFrom: its
    // promise becomes the next level's, so a level is garbage once it has handed over. (With a
    // plain `await AsyncRecursion(...)` every level waits for the next: about 100 bytes a
    // level, 90 MB between the two measures, as `async Task` keeps them too.)
    private static async Promise AsyncRecursion(int n, Counter c, int total)
    {
        if (n == 0) return;
        await Promise.Pause();
        int i = total - n + 1;
        if (i == 100_000) c.Mid = GC.GetTotalMemory(true);
        if (i == 950_000) c.End = GC.GetTotalMemory(true);
        await Promise.ReturnFrom(AsyncRecursion(n - 1, c, total));
    }

    [Fact]
    public void Async_recursion_through_pause_ending_with_ReturnFrom_runs_in_constant_memory()
    {
        Threads.Run(() =>
        {
            var c = new Counter();
            var p = AsyncRecursion(1_000_000, c, 1_000_000);
            while (p.IsPending) Promise.WakeupPaused();
            Assert.True(p.IsFulfilled);
            Assert.True(c.End - c.Mid < Bound, $"grew by {(c.End - c.Mid) / 1024} KB");
        });
    }

    /// <summary>Runs <paramref name="iteration"/> a million times and checks the heap does not grow.</summary>
    private static void Flat(Action iteration, int n = 1_000_000)
    {
        long mid = 0;
        for (int i = 0; i < n; i++)
        {
            iteration();
            if (i == n / 10) mid = GC.GetTotalMemory(true);
        }
        long end = GC.GetTotalMemory(true);
        Assert.True(end - mid < Bound, $"grew by {(end - mid) / 1024} KB");
    }

    [Fact]
    public void Choose_against_a_long_lived_pending_promise_does_not_grow()
    {
        var (p, rp) = Promise.Create<int>();
        Flat(() =>
        {
            var (q, rq) = Promise.Create<int>();
            var r = Promise.Choose(p, q);
            rq.Resolve(1);
            if (r.Value != 1) throw new Exception("wrong winner");
        });
        // still works afterwards
        var last = Promise.Choose(p, Promise.Create<int>().Promise);
        int seen = 0;
        p.OnSuccess(v => seen = v);
        rp.Resolve(5);
        Assert.Equal(5, last.Value);
        Assert.Equal(5, seen);
    }

    [Fact]
    public void Interleaved_races_on_a_long_lived_promise_do_not_grow()
    {
        // The first race's callback is not the newest one when it is detached.
        var (p, rp) = Promise.Create<int>();
        int seen = 0;
        p.OnSuccess(v => seen = v);
        Flat(() =>
        {
            var (q1, r1) = Promise.Create<int>();
            var (q2, r2) = Promise.Create<int>();
            var a = Promise.Choose(p, q1);
            var b = p | q2;
            r1.Resolve(1);
            r2.Resolve(2);
            if (a.Value != 1 || b.Value != 2) throw new Exception("wrong winner");
        }, 500_000);
        var c = Promise.NChoose(p, Promise.Create<int>().Promise);
        rp.Resolve(5);
        Assert.Equal(5, seen);
        Assert.Equal(new[] { 5 }, c.Value);
    }

    [Fact]
    public void Pick_and_n_races_against_a_long_lived_pending_promise_do_not_grow()
    {
        var (p, rp) = Promise.Create<int>(); // not cancelable: Pick leaves it alone
        Flat(() =>
        {
            var (q, rq) = Promise.Create<int>();
            var r = Promise.Pick(p, q);
            var n = Promise.NPick(p, q);
            var s = Promise.NChooseSplit(p, q);
            rq.Resolve(1);
            if (r.Value != 1 || n.Value.Count != 1 || s.Value.Pending.Count != 1) throw new Exception("wrong result");
        }, 500_000);
        rp.Resolve(2);
        Assert.Equal(2, p.Value);
    }

    [Fact]
    public void Canceled_protected_views_of_a_long_lived_promise_do_not_grow()
    {
        var (p, rp) = Promise.Create<int>();
        Flat(() =>
        {
            var v = p.Protected();
            v.Cancel();
        });
        rp.Resolve(1);
        Assert.Equal(1, p.Value);
    }
}

/// <summary>Allocation of the hot paths, measured on the current thread (no GC involvement).</summary>
public class AllocationTests
{
    private static readonly Promise<int> s_cached = Promise.Return(1);

    private static long Measure(Action a) => AllocationMeter.Total(a);

    [Fact]
    public void Bind_on_fulfilled_promise_allocates_nothing()
    {
        long untyped = Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.ReturnUnit.Bind(static () => Promise.ReturnUnit);
        });
        Assert.Equal(0, untyped);
        long typed = Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) s_cached.Bind(static x => s_cached);
        });
        Assert.Equal(0, typed);
        long untypedToTyped = Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.ReturnUnit.Bind(static () => s_cached);
        });
        Assert.Equal(0, untypedToTyped);
        long typedToUntyped = Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) s_cached.Bind(static (int _) => (Promise)Promise.ReturnUnit);
        });
        Assert.Equal(0, typedToUntyped);
    }

    [Fact]
    public void State_passing_bind_and_map_on_fulfilled_promise_allocate_only_the_map_result()
    {
        // The point of the state-passing forms: a static lambda is cached by the compiler and
        // the state travels by value, so nothing is allocated but what the operation returns.
        Assert.Equal(0, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.ReturnUnit.Bind(static k => Promise.ReturnUnit, i);
        }));
        Assert.Equal(0, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.ReturnUnit.Bind(static k => s_cached, i);
        }));
        Assert.Equal(0, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) s_cached.Bind(static (x, k) => s_cached, (i, 2L));
        }));
        Assert.Equal(0, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) s_cached.Bind(static (int x, int k) => (Promise)Promise.ReturnUnit, i);
        }));
        // Map allocates its result, a Promise<int> (48 bytes), and nothing else.
        long promiseOfInt = Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.Return(i);
        }) / 1000;
        Assert.Equal(promiseOfInt, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) s_cached.Map(static (x, k) => x + k, i);
        }) / 1000);
        Assert.Equal(promiseOfInt, Measure(static () =>
        {
            for (int i = 0; i < 1000; i++) Promise.ReturnUnit.Map(static k => k, i);
        }) / 1000);
    }

    [Fact]
    public void A_unit_promise_is_a_40_byte_object()
    {
        // Promise.cs, "Representation": the base fields take 22 bytes, so that the runtime packs
        // a one-byte value (Unit, bool) into the same 24 and a unit promise is 16 + 24 = 40
        // bytes; a 4-byte value needs one more word. The resolver is 24 bytes (header and one
        // reference). Two more bytes of fields in Promise make the first two figures 8 bytes larger.
        long unit = AllocationMeter.PerOp(N, static () => Promise.Create());
        long boolean = AllocationMeter.PerOp(N, static () => Promise.Create<bool>());
        long int32 = AllocationMeter.PerOp(N, static () => Promise.Create<int>());
        Assert.Equal(40 + 24, unit);
        Assert.Equal(40 + 24, boolean);
        Assert.Equal(48 + 24, int32);
        long pause = AllocationMeter.Total(static () =>
        {
            for (int i = 0; i < N; i++) Promise.Pause();
            Promise.AbandonPaused(); // the paused list keeps its capacity: later rounds allocate only the promises
        }) / N;
        Assert.Equal(40, pause);
    }

    /// <summary>An object with as many fields as a bind's result promise (a promise plus a delegate and a context).</summary>
    private sealed class Similar
    {
#pragma warning disable CS0169, CS0649
        public object? A, B, C, D;
        public int E, F;
#pragma warning restore CS0169, CS0649
    }

    private const int N = 1000;

    private static long PerObjectOfSimilarSize()
    {
        var keep = new Similar[N];
        return Measure(() =>
        {
            for (int i = 0; i < N; i++) keep[i] = new Similar();
        }) / N;
    }

    [Fact]
    public void Bind_on_pending_promise_allocates_one_object()
    {
        long similar = PerObjectOfSimilarSize();
        const int smallestObject = 24;
        var pending = new Promise<int>[4 * N];
        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        var results = new Promise[N];
        int round = 0;
        void Attach(Func<Promise<int>, Promise> bind)
        {
            int start = (round++ % 4) * N;
            for (int i = 0; i < N; i++) results[i] = bind(pending[start + i]);
        }

        // Typed Bind.
        round = 0;
        long typed = Measure(() => Attach(static p => p.Bind(static x => s_cached))) / N;
        Assert.True(typed < similar + smallestObject, $"Bind: {typed} bytes per call; one object of similar size is {similar}");

        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        round = 0;
        long untyped = Measure(() => Attach(static p => ((Promise)p).Bind(static () => Promise.ReturnUnit))) / N;
        Assert.True(untyped < similar + smallestObject, $"untyped Bind: {untyped} bytes per call; similar object {similar}");

        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        round = 0;
        long map = Measure(() => Attach(static p => p.Map(static x => x + 1))) / N;
        Assert.True(map < similar + smallestObject, $"Map: {map} bytes per call; similar object {similar}");

        // The state-passing forms: the node holds the delegate and the state inline.
        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        round = 0;
        long typedState = Measure(() => Attach(static p => p.Bind(static (x, k) => s_cached, 1))) / N;
        Assert.True(typedState < similar + smallestObject, $"state Bind: {typedState} bytes per call; similar object {similar}");

        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        round = 0;
        long untypedState = Measure(() => Attach(static p => ((Promise)p).Bind(static k => Promise.ReturnUnit, 1))) / N;
        Assert.True(untypedState < similar + smallestObject, $"untyped state Bind: {untypedState} bytes per call; similar object {similar}");

        for (int i = 0; i < pending.Length; i++) pending[i] = Promise.Create<int>().Promise;
        round = 0;
        long mapState = Measure(() => Attach(static p => p.Map(static (x, k) => x + k, 1))) / N;
        Assert.True(mapState < similar + smallestObject, $"state Map: {mapState} bytes per call; similar object {similar}");
    }
}
