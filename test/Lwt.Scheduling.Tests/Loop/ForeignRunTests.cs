namespace Lwt.Tests.Loop;

/// <summary>
/// Waiting, from another thread, for a promise whose loop stops before it runs the callback
/// attach posted to it (ClaimablePost). In the global-state collection: the tests watch the
/// async exception hook.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class ForeignRunTests
{
    /// <summary>
    /// Loop A owns p. <paramref name="wait"/> starts waiting for p on another thread while A
    /// is blocked in a timer callback (after its iteration drained the inbox), so the attach
    /// it posts stays in A's inbox; A then stops. p, now anyone's, is resolved directly, and
    /// A runs once more, which drains its inbox. Returns what <paramref name="wait"/> gave,
    /// and asserts that A stopped with the post queued, that it never ran the post twice
    /// (that would resolve the waiter twice: an InvalidOperationException in the hook).
    /// </summary>
    private static int WaitForAPromiseWhoseLoopStops(Func<Promise<int>, Task<int>> wait)
    {
        Promise<int>? p = null;
        Resolver<int>? r = null;
        EventLoop? a = null;
        var blocked = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var runAgain = new ManualResetEventSlim();
        var hooked = new List<Exception>();
        int v = 0;
        LoopTest.WithExceptionHook(e => { lock (hooked) hooked.Add(e); }, () =>
        {
            var aThread = Task.Run(() => LoopTest.OnFreshThread(() =>
            {
                LwtMain.Run(() =>
                {
                    (p, r) = Promise.Create<int>();
                    a = EventLoop.Current;
                    return LwtUnix.Sleep(0).Bind(() =>
                    {
                        blocked.Set();
                        release.Wait();
                        return Promise.ReturnUnit;
                    });
                });
                runAgain.Wait();
                LwtMain.Run(() => Promise.Pause()); // drains the inbox: the stale post comes out
            }));
            blocked.Wait();
            var waiting = wait(p!);
            Assert.True(SpinWait.SpinUntil(() => a!.InboxCount != 0, 10_000), "the attach was not posted to the owner");
            release.Set();
            Assert.True(SpinWait.SpinUntil(() => !a!.IsRunning, 10_000));
            Assert.NotEqual(0, a!.InboxCount); // the owner never ran the post
            Assert.False(waiting.IsCompleted);
            r!.Resolve(5); // the owner is stopped: resolved here, directly
            Assert.True(waiting.Wait(10_000), "the waiter never heard of the resolution");
            v = waiting.Result;
            runAgain.Set();
            Assert.True(aThread.Wait(10_000));
            Assert.Equal(0, a.InboxCount);
        });
        Assert.Empty(hooked);
        return v;
    }

    [Fact]
    public void Run_on_another_thread_returns()
    {
        var v = WaitForAPromiseWhoseLoopStops(p =>
        {
            var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            new Thread(() =>
            {
                try
                {
                    done.SetResult(LwtMain.Run(p));
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                finally
                {
                    LwtEngine.Current.Dispose();
                }
            }).Start();
            return done.Task;
        });
        Assert.Equal(5, v);
    }

    [Fact]
    public void An_await_on_the_thread_pool_resumes()
    {
        var v = WaitForAPromiseWhoseLoopStops(p => Task.Run(async () => await p));
        Assert.Equal(5, v);
    }

    [Fact]
    public void AsTask_completes()
    {
        var v = WaitForAPromiseWhoseLoopStops(p => Lwt.Interop.PromiseInterop.AsTask(p));
        Assert.Equal(5, v);
    }
}
