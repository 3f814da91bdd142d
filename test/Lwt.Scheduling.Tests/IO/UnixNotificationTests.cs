using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's notifications (lwt_unix.mli, "Notifications"): a send from any thread runs the
/// handler on the loop that made it; the id is looked up at delivery (stop drops, set
/// replaces, unknown ignored); once stops at the first delivery; set of an unknown id is
/// Not_found. Each test waits for a marker notification sent last: the loop's inbox is FIFO,
/// so what was sent before it has been delivered (or dropped) by then.
/// </summary>
public class UnixNotificationTests
{
    [Fact]
    public void ASendFromAnotherThreadRunsTheHandlerOnTheLoopThatMadeIt()
    {
        int loopThread = 0, handlerThread = 0;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            var (p, r) = Promise.Create();
            int id = LwtUnix.MakeNotification(() =>
            {
                handlerThread = Environment.CurrentManagedThreadId;
                r.Resolve();
            });
            var sender = new Thread(() => LwtUnix.SendNotification(id));
            sender.Start();
            return p.Bind(() =>
            {
                LwtUnix.StopNotification(id);
                return Promise.ReturnUnit;
            });
        }));
        Assert.NotEqual(0, loopThread);
        Assert.Equal(loopThread, handlerThread);
    }

    [Fact]
    public void EverySendFromManyThreadsIsOneCall()
    {
        const int Threads = 8, Sends = 500;
        int calls = 0;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            var (p, r) = Promise.Create();
            int id = LwtUnix.MakeNotification(() =>
            {
                if (++calls == Threads * Sends) r.Resolve();
            });
            var senders = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < Sends; i++) LwtUnix.SendNotification(id);
            })).ToList();
            senders.ForEach(t => t.Start());
            return p.Bind(() =>
            {
                LwtUnix.StopNotification(id);
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(Threads * Sends, calls);
    }

    [Fact]
    public void AOnceNotificationRunsAtItsFirstDeliveryOnlyAndIsThenGone()
    {
        int calls = 0;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int id = LwtUnix.MakeNotification(() => calls++, once: true);
            LwtUnix.SendNotification(id);
            LwtUnix.SendNotification(id);
            return AfterEverythingSent().Bind(() =>
            {
                Assert.Throws<KeyNotFoundException>(() => LwtUnix.SetNotification(id, () => { }));
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void AStopBeforeDeliveryDropsTheSendAndLaterSendsAreIgnored()
    {
        int calls = 0;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int id = LwtUnix.MakeNotification(() => calls++);
            LwtUnix.SendNotification(id);
            LwtUnix.StopNotification(id);
            LwtUnix.SendNotification(id);
            LwtUnix.StopNotification(id); // twice: ignored
            return AfterEverythingSent();
        }));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void SetNotificationReplacesTheHandlerOfSendsNotYetDelivered()
    {
        var seen = new List<string>();
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int id = LwtUnix.MakeNotification(() => seen.Add("old"));
            LwtUnix.SendNotification(id);
            LwtUnix.SetNotification(id, () => seen.Add("new"));
            return AfterEverythingSent().Bind(() =>
            {
                LwtUnix.StopNotification(id);
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(["new"], seen);
    }

    [Fact]
    public void AnUnknownIdIsIgnoredBySendStopAndCallAndIsNotFoundForSet()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int id = LwtUnix.MakeNotification(() => { });
            LwtUnix.StopNotification(id);
            LwtUnix.SendNotification(id);
            LwtUnix.StopNotification(id);
            LwtUnix.CallNotification(id);
            var e = Assert.Throws<KeyNotFoundException>(() => LwtUnix.SetNotification(id, () => { }));
            Assert.Contains("MakeNotification", e.Message);
            return AfterEverythingSent();
        }));
    }

    [Fact]
    public void CallNotificationRunsTheHandlerNowAndStopsAOnceNotification()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int calls = 0, onceCalls = 0;
            int id = LwtUnix.MakeNotification(() => calls++);
            int once = LwtUnix.MakeNotification(() => onceCalls++, once: true);
            LwtUnix.CallNotification(id);
            LwtUnix.CallNotification(id);
            Assert.Equal(2, calls);
            LwtUnix.SendNotification(once); // queued; the call below stops it first
            LwtUnix.CallNotification(once);
            LwtUnix.CallNotification(once);
            Assert.Equal(1, onceCalls);
            return AfterEverythingSent().Bind(() =>
            {
                Assert.Equal(1, onceCalls);
                LwtUnix.StopNotification(id);
                return Promise.ReturnUnit;
            });
        }));
    }

    [Fact]
    public void CallNotificationFromAnotherThreadThanItsLoopIsRefused()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int calls = 0;
            int id = LwtUnix.MakeNotification(() => calls++);
            Exception? error = null;
            var other = new Thread(() => error = Record.Exception(() => LwtUnix.CallNotification(id)));
            other.Start();
            Assert.True(other.Join(10_000), "the other thread did not finish");
            LwtUnix.StopNotification(id);
            var e = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("SendNotification", e.Message);
            Assert.Equal(0, calls);
            return Promise.ReturnUnit;
        }));
    }

    [Fact]
    public void SendsAreDeliveredInTheOrderTheyWereMadeWhateverTheThread()
    {
        // Lwt's pipe is FIFO: a send of the loop's thread made after another thread's send
        // (which it waited for) is delivered second (differential mainsys seed 2 prog 57).
        var order = new List<string>();
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int a = LwtUnix.MakeNotification(() => order.Add("a"));
            int b = LwtUnix.MakeNotification(() => order.Add("b"));
            int c = LwtUnix.MakeNotification(() => order.Add("c"));
            LwtUnix.SendNotification(a);
            var sender = new Thread(() => LwtUnix.SendNotification(b));
            sender.Start();
            sender.Join();
            LwtUnix.SendNotification(c);
            return AfterEverythingSent().Bind(() =>
            {
                LwtUnix.StopNotification(a);
                LwtUnix.StopNotification(b);
                LwtUnix.StopNotification(c);
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(["a", "b", "c"], order);
    }

    [Fact]
    public void NullHandlersAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => LwtUnix.MakeNotification(null!));
        LoopTest.OnFreshThread(() =>
        {
            int id = LwtUnix.MakeNotification(() => { });
            Assert.Throws<ArgumentNullException>(() => LwtUnix.SetNotification(id, null!));
            LwtUnix.StopNotification(id);
        });
    }

    /// <summary>A promise resolved by a once notification sent now, so after every send made before it.</summary>
    private static Promise AfterEverythingSent()
    {
        var (p, r) = Promise.Create();
        LwtUnix.SendNotification(LwtUnix.MakeNotification(r.Resolve, once: true));
        return p;
    }
}
