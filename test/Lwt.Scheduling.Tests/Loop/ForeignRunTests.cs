namespace Lwt.Tests.Loop;

/// <summary>
/// LwtMain.Run of a promise whose loop stops before it runs the callback attach that Run
/// posted to it. In the global-state collection: the test watches the async exception hook.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class ForeignRunTests
{
    [Fact]
    // The post waits in the stopped owner's inbox for a next run that may never come. The
    // waiting loop must attach the callback itself (the owner stopped, its promises are
    // anyone's) and return when the promise is resolved; and when the owner does run again,
    // its stale post must not attach a second callback (which would resolve the waiting
    // loop's promise twice, an InvalidOperationException in the hook).
    public void Run_of_a_promise_whose_loop_stops_before_running_the_attach_returns_when_it_is_resolved()
    {
        Promise<int>? p = null;
        Resolver<int>? r = null;
        EventLoop? a = null;
        var blocked = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var runAgain = new ManualResetEventSlim();
        var hooked = new List<Exception>();
        LoopTest.WithExceptionHook(e => { lock (hooked) hooked.Add(e); }, () =>
        {
            var aThread = Task.Run(() => LoopTest.OnFreshThread(() =>
            {
                LwtMain.Run(() =>
                {
                    (p, r) = Promise.Create<int>();
                    a = EventLoop.Current;
                    // A timer callback runs after its iteration drained the inbox. It blocks until
                    // the waiting loop's post is in the inbox, then ends the run with the post there.
                    return LwtUnix.Sleep(0).Bind(() =>
                    {
                        blocked.Set();
                        release.Wait();
                        return Promise.ReturnUnit;
                    });
                });
                runAgain.Wait();
                LwtMain.Run(() => Promise.Pause()); // drains the inbox: the stale post runs
            }));
            blocked.Wait();
            bool stoppedWithThePostQueued = false, attachedByTheWaiter = false;
            var v = LoopTest.OnFreshThread(() =>
            {
                Task.Run(() =>
                {
                    SpinWait.SpinUntil(() => a!.InboxCount != 0);
                    release.Set();
                    SpinWait.SpinUntil(() => !a!.IsRunning);
                    stoppedWithThePostQueued = a!.InboxCount != 0;
                    attachedByTheWaiter = SpinWait.SpinUntil(() => Volatile.Read(ref p!._callbacks) is not null, 10_000);
                    r!.Resolve(5); // the owner is stopped: resolved here, directly
                });
                return LwtMain.Run(p!);
            });
            runAgain.Set();
            aThread.Wait();
            Assert.True(stoppedWithThePostQueued);
            Assert.True(attachedByTheWaiter);
            Assert.Equal(5, v);
            Assert.Equal(0, a!.InboxCount);
        });
        Assert.Empty(hooked);
    }
}
