using Lwt.Tests.Core;

namespace Lwt.Tests.Loop;

/// <summary>
/// <c>LwtMain.Run(start, asyncExceptionHook)</c>: while the run runs, what would reach
/// <see cref="Promise.AsyncExceptionHook"/> on its thread goes to the run's hook; the thread's
/// previous hook is back when Run returns. Serial: each test also captures the process-wide
/// hook, to show that nothing reaches it (its default would end the test host).
/// </summary>
[Collection(SerialCollection.Name)]
public class RunHookTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30); // hang guard, not a timing

    [Fact]
    public void WhatNobodyReceives_GoesToTheRunsHook_NotToTheGlobalOne()
    {
        using var global = new HookCapture();
        var seen = new List<Exception>();
        var fromAsync = new Boom("async");
        var fromCallback = new Boom("on_success");
        var fromHandler = new Boom("dont_wait handler");
        var later = new Boom("rejected later in the run");
        LwtMain.Run(async () =>
        {
            Promise.Async(() => throw fromAsync);
            Promise.Return(1).OnSuccess(_ => throw fromCallback);
            Promise.DontWait(() => Promise.Fail(new Boom("handled")), _ => throw fromHandler);
            Promise.Async(async () =>
            {
                await Promise.Pause();
                throw later;
            });
            await Promise.Pause();
            await Promise.Pause();
        }, seen.Add);
        Assert.Equal(new Exception[] { fromAsync, fromCallback, fromHandler, later }, seen);
        Assert.Empty(global.Seen);
    }

    [Fact]
    public void TheTypedForm_ReturnsTheValue_AndReportsToItsHook()
    {
        using var global = new HookCapture();
        var seen = new List<Exception>();
        var e = new Boom();
        int v = LwtMain.Run(() =>
        {
            Promise.Async(() => throw e);
            return Promise.Return(42);
        }, seen.Add);
        Assert.Equal(42, v);
        Assert.Same(e, Assert.Single(seen));
        Assert.Empty(global.Seen);
    }

    [Fact]
    public void AfterRunReturns_TheThreadsPreviousHookIsInForce_EvenForACallbackAttachedDuringTheRun()
    {
        using var global = new HookCapture();
        var seen = new List<Exception>();
        var (p, r) = Promise.Create<int>();
        var e = new Boom();
        LwtMain.Run(() =>
        {
            p.OnSuccess(_ => throw e);
            return Promise.ReturnUnit;
        }, seen.Add);
        r.Resolve(1); // after the run, on the same thread
        Assert.Empty(seen);
        Assert.Same(e, Assert.Single(global.Seen));
    }

    [Fact]
    public void ParallelRuns_OnTwoThreads_EachReceiveOnlyTheirOwnFailures()
    {
        using var global = new HookCapture();
        var a = new Boom("a");
        var b = new Boom("b");
        var seenA = new List<Exception>();
        var seenB = new List<Exception>();
        using var bothRunning = new Barrier(2);
        (Thread, Func<Exception?>) Start(Boom e, List<Exception> seen) => StartThread(() => LwtMain.Run(async () =>
        {
            // Both runs are under way before either reports: their hooks overlap in time.
            await LwtPreemptive.Detach(() => Assert.True(bothRunning.SignalAndWait(Guard)));
            Promise.Async(() => throw e);
        }, seen.Add));
        var (ta, failedA) = Start(a, seenA);
        var (tb, failedB) = Start(b, seenB);
        Assert.True(ta.Join(Guard));
        Assert.True(tb.Join(Guard));
        Assert.Null(failedA());
        Assert.Null(failedB());
        Assert.Same(a, Assert.Single(seenA));
        Assert.Same(b, Assert.Single(seenB));
        Assert.Empty(global.Seen);
    }

    [Fact]
    public void AHookThatThrows_MakesRunThrowWhatItThrew()
    {
        using var global = new HookCapture();
        var thrown = new InvalidTimeZoneException();
        var ex = Assert.Throws<InvalidTimeZoneException>(() => LwtMain.Run(async () =>
        {
            await Promise.Pause();
            Promise.Async(() => throw new Boom());
            await LwtUnix.Sleep(3600); // never reached: the hook's throw ends the run
        }, _ => throw thrown));
        Assert.Same(thrown, ex);
        Assert.Empty(global.Seen);
        // The thread is usable again, with its previous hook.
        Assert.Equal(1, LwtMain.Run(() => Promise.Return(1)));
    }

    [Fact]
    public void ANestedRun_IsRefused_AndTheOuterRunKeepsItsHook()
    {
        using var global = new HookCapture();
        var seen = new List<Exception>();
        var inner = new List<Exception>();
        var e = new Boom();
        LwtMain.Run(() =>
        {
            Assert.Throws<InvalidOperationException>(() => LwtMain.Run(() => Promise.ReturnUnit, inner.Add));
            Promise.Async(() => throw e);
            return Promise.ReturnUnit;
        }, seen.Add);
        Assert.Same(e, Assert.Single(seen));
        Assert.Empty(inner);
        Assert.Empty(global.Seen);
    }

    [Fact]
    public void TheToken_StillCancelsTheRun()
    {
        using var global = new HookCapture();
        using var cts = new CancellationTokenSource();
        var seen = new List<Exception>();
        Assert.Throws<CanceledException>(() => LwtMain.Run(async () =>
        {
            cts.Cancel(); // on the loop's thread: the cancel is done at once
            await LwtUnix.Sleep(3600);
        }, seen.Add, cts.Token));
        Assert.Empty(seen); // the run's own rejection is Run's to throw, not the hook's
        Assert.Empty(global.Seen);
    }

    [Fact]
    public void NullArguments_AreRefused_ByName()
    {
        Action noStart = () => LwtMain.Run((Func<Promise>)null!, _ => { });
        Assert.Equal("start", Assert.Throws<ArgumentNullException>(noStart).ParamName);
        Action noHook = () => LwtMain.Run(() => Promise.ReturnUnit, (Action<Exception>)null!);
        Assert.Equal("asyncExceptionHook", Assert.Throws<ArgumentNullException>(noHook).ParamName);
        Action noTypedHook = () => LwtMain.Run(() => Promise.Return(1), (Action<Exception>)null!);
        Assert.Equal("asyncExceptionHook", Assert.Throws<ArgumentNullException>(noTypedHook).ParamName);
    }

    /// <summary>Runs <paramref name="body"/> on a thread of its own; what it throws is kept for the test to assert, not left to end the test host.</summary>
    private static (Thread Thread, Func<Exception?> Failure) StartThread(Action body)
    {
        Exception? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true };
        t.Start();
        return (t, () => failure);
    }
}
