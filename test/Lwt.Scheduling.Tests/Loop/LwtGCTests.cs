using System.Runtime.CompilerServices;

namespace Lwt.Tests.Loop;

/// <summary>
/// LwtGC (Lwt_gc.finalise, finalise_or_exit). In the global-state collection: the exit hooks
/// are process-wide, and the tests force full collections.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class LwtGCTests
{
    private sealed class Box(int value)
    {
        public int Value { get; } = value;
    }

    /// <summary>Registers on a fresh object that nothing else references (not inlined, so no local keeps it).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FinaliseFresh(int value, Func<Box, Promise> f, bool orExit = false)
    {
        var box = new Box(value);
        if (orExit) LwtGC.FinaliseOrExit(f, box);
        else LwtGC.Finalise(f, box);
    }

    /// <summary>Collects and lets the loop run until <paramref name="done"/>, at most 200 rounds.</summary>
    private static async Promise CollectUntil(Func<bool> done)
    {
        for (int i = 0; i < 200 && !done(); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await LwtUnix.Sleep(0.01);
        }
    }

    [Fact]
    public void Finalise_runs_f_on_the_collected_object_on_the_registering_loop()
    {
        var (value, onLoop) = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            int seen = 0;
            bool onLoopThread = false;
            EventLoop loop = EventLoop.Current!;
            FinaliseFresh(42, b => { seen = b.Value; onLoopThread = loop.IsOnLoopThread; return Promise.ReturnUnit; });
            await CollectUntil(() => seen != 0);
            return (seen, onLoopThread);
        }));
        Assert.Equal(42, value);
        Assert.True(onLoop);
    }

    [Fact]
    public void Each_function_registered_on_one_object_runs_once()
    {
        int[] calls = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var counts = new int[2];
            Register(counts);
            await CollectUntil(() => counts[0] != 0 && counts[1] != 0);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await LwtUnix.Sleep(0.01);
            }

            return counts;
        }));
        Assert.Equal(new[] { 1, 1 }, calls);

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void Register(int[] counts)
        {
            var box = new Box(1);
            LwtGC.Finalise(_ => { counts[0]++; return Promise.ReturnUnit; }, box);
            LwtGC.Finalise(_ => { counts[1]++; return Promise.ReturnUnit; }, box);
        }
    }

    [Fact]
    public void Nothing_runs_while_the_object_is_alive()
    {
        bool ran = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            bool called = false;
            var box = new Box(7);
            LwtGC.Finalise(_ => { called = true; return Promise.ReturnUnit; }, box);
            for (int i = 0; i < 5; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await LwtUnix.Sleep(0.005);
            }

            GC.KeepAlive(box);
            return called;
        }));
        Assert.False(ran);
    }

    [Fact]
    public void A_pending_promise_of_f_is_waited_for_at_exit_until_it_resolves()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (pending, resolver) = Promise.Create();
            int before = LwtMain.ExitHooks.Count;
            bool called = false;
            FinaliseFresh(1, _ => { called = true; return pending; });
            await CollectUntil(() => called);
            Assert.True(called);
            Assert.Equal(before + 1, LwtMain.ExitHooks.Count);
            resolver.ResolveNow(default); // from a callback (after an await), Resolve would wait for it to end
            Assert.Equal(before, LwtMain.ExitHooks.Count);
        }));
    }

    [Fact]
    public void FinaliseOrExit_runs_at_exit_when_the_object_is_alive_and_only_once()
    {
        int calls = 0;
        var box = new Box(5);
        LwtMain.ExitHooks.RemoveAll();
        LwtGC.FinaliseOrExit(b => { Interlocked.Add(ref calls, b.Value); return Promise.ReturnUnit; }, box);
        Assert.Equal(1, LwtMain.ExitHooks.Count);
        LwtMain.RunExitHooks();
        LwtMain.RunExitHooks();
        Assert.Equal(5, calls);
        GC.KeepAlive(box);
    }

    [Fact]
    public void FinaliseOrExit_runs_at_collection_and_drops_its_exit_hook()
    {
        LwtMain.ExitHooks.RemoveAll();
        int calls = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            int n = 0;
            FinaliseFresh(3, b => { n += b.Value; return Promise.ReturnUnit; }, orExit: true);
            Assert.Equal(1, LwtMain.ExitHooks.Count);
            await CollectUntil(() => n != 0);
            Assert.Equal(0, LwtMain.ExitHooks.Count);
            return n;
        }));
        Assert.Equal(3, calls);
        LwtMain.RunExitHooks(); // nothing left to run
        Assert.Equal(3, calls);
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        var box = new Box(0);
        Assert.Throws<ArgumentNullException>("f", () => LwtGC.Finalise<Box>(null!, box));
        Assert.Throws<ArgumentNullException>("x", () => LwtGC.Finalise<Box>(_ => Promise.ReturnUnit, null!));
        Assert.Throws<ArgumentNullException>("f", () => LwtGC.FinaliseOrExit<Box>(null!, box));
        Assert.Throws<ArgumentNullException>("x", () => LwtGC.FinaliseOrExit<Box>(_ => Promise.ReturnUnit, null!));
    }
}
