namespace Lwt.Tests.Loop;

/// <summary>
/// <c>LwtMain.Run(start, token)</c>: the token cancels the run's promise (Lwt.cancel, on the
/// loop) from whatever thread fires it; a promise that is not cancelable ignores it.
/// </summary>
public class RunTokenTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30); // hang guard, not a timing

    /// <summary>Fires <paramref name="cts"/> from another thread once <paramref name="ready"/> is set.</summary>
    private static Thread CancelFromAnotherThread(CancellationTokenSource cts, ManualResetEventSlim ready)
    {
        var t = new Thread(() =>
        {
            if (ready.Wait(Guard)) cts.Cancel();
        }) { IsBackground = true };
        t.Start();
        return t;
    }

    [Fact]
    public void ATokenFiredOnAnotherThread_CancelsWhatTheRunWaitsFor()
    {
        using var cts = new CancellationTokenSource();
        using var ready = new ManualResetEventSlim();
        Promise? sleep = null;
        bool finallyRan = false;
        var canceller = CancelFromAnotherThread(cts, ready);
        try
        {
            var e = Assert.Throws<CanceledException>(() => LwtMain.Run(async () =>
            {
                try
                {
                    sleep = LwtUnix.Sleep(3600);
                    ready.Set();
                    await sleep;
                }
                finally
                {
                    finallyRan = true;
                }
            }, cts.Token));
            Assert.IsAssignableFrom<OperationCanceledException>(e);
            Assert.True(sleep!.IsCanceled); // the backwards search reached the sleep
            Assert.True(finallyRan);
        }
        finally
        {
            ready.Set();
            Assert.True(canceller.Join(Guard));
        }
    }

    [Fact]
    public void TheTypedForm_ReturnsTheValue_WhenTheTokenNeverFires()
    {
        using var cts = new CancellationTokenSource();
        Assert.Equal(42, LwtMain.Run(async () =>
        {
            await Promise.Pause();
            return 42;
        }, cts.Token));
        Assert.Equal(7, LwtMain.Run(() => Promise.Return(7), CancellationToken.None));
    }

    [Fact]
    public void AnAlreadyCanceledToken_CancelsThePromiseStartReturned()
    {
        bool started = false;
        var (p, _) = Promise.CreateCancelable<int>();
        Assert.Throws<CanceledException>(() => LwtMain.Run(() =>
        {
            started = true;
            return p;
        }, new CancellationToken(canceled: true)));
        Assert.True(started);
        Assert.True(p.IsCanceled);
    }

    [Fact]
    public void APromiseThatIsNotCancelable_IgnoresTheToken_AndTheRunGoesOn()
    {
        using var cts = new CancellationTokenSource();
        var loopSeen = new List<string>();
        int value = LwtMain.Run(() =>
        {
            var (p, r) = Promise.Create<int>(); // Lwt.wait: a cancel does not reach it
            var loop = EventLoop.Current!;
            var t = new Thread(() =>
            {
                cts.Cancel(); // posts the cancel to the loop, inside this call
                loop.Post(() =>
                {
                    loopSeen.Add(p.IsPending ? "still pending after the cancel" : "resolved");
                    r.Resolve(5);
                });
            }) { IsBackground = true };
            t.Start();
            return p;
        }, cts.Token);
        Assert.Equal(5, value);
        Assert.Equal(["still pending after the cancel"], loopSeen);
    }

    [Fact]
    public void ATokenFiredOnTheLoopItself_CancelsAtOnce()
    {
        using var cts = new CancellationTokenSource();
        var order = new List<string>();
        Assert.Throws<CanceledException>(() => LwtMain.Run(async () =>
        {
            var sleep = LwtUnix.Sleep(3600);
            sleep.OnCancel(() => order.Add("canceled"));
            Promise.Async(async () =>
            {
                await Promise.Pause();
                cts.Cancel();
                order.Add("after Cancel()");
            });
            await sleep;
        }, cts.Token));
        Assert.Equal(["canceled", "after Cancel()"], order);
    }

    [Fact]
    public void ATokenFiredAfterTheRun_LeavesNothingBehind()
    {
        using var cts = new CancellationTokenSource();
        var (p, r) = Promise.CreateCancelable<int>();
        Assert.Equal(1, LwtMain.Run(() =>
        {
            Promise.Async(async () =>
            {
                await Promise.Pause();
                r.Resolve(1);
            });
            return p;
        }, cts.Token));
        // From another thread (on this one a cancel would run inline): the registration is
        // gone, so nothing is posted to this thread's loop for its next run.
        var t = new Thread(() => cts.Cancel()) { IsBackground = true };
        t.Start();
        Assert.True(t.Join(Guard));
        Assert.False(EventLoop.Current!.HasWorkOnlyItCanRun());
        Assert.True(p.IsFulfilled);
    }

    [Fact]
    public void NullStart_IsAnArgumentNullException()
    {
        Assert.Equal("start", Assert.Throws<ArgumentNullException>(() => LwtMain.Run((Func<Promise>)null!, CancellationToken.None)).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentNullException>(() => LwtMain.Run((Func<Promise<int>>)null!, CancellationToken.None)).ParamName);
    }
}
