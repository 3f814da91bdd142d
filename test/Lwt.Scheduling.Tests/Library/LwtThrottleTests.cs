namespace Lwt.Tests.Library;

public class LwtThrottleTests
{
    [Fact]
    public void BadInputThrows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtThrottle.Create<string>(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtThrottle.Create<string>(1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtThrottle.Create<string>(1, 1, -1));
        var t = LwtThrottle.Create<string>(1, 1, 0);
        Assert.Throws<ArgumentNullException>(() => t.Wait(null!));
    }

    [Fact]
    public void UpToRatePerKeyAtOnceThenWaitOrRefuse()
    {
        LwtMain.Run(() =>
        {
            var t = LwtThrottle.Create<string>(rate: 2, max: 3, n: 4);
            Assert.True(t.Wait("a").Value);
            Assert.True(t.Wait("a").Value);
            var a3 = t.Wait("a");                 // over the rate: waits for the next second
            Assert.True(a3.IsPending);
            Assert.True(t.Wait("b").Value);       // another key has its own rate
            var a4 = t.Wait("a");
            var a5 = t.Wait("a");
            Assert.True(a4.IsPending && a5.IsPending);
            var refused = t.Wait("b").Bind(_ => t.Wait("b"));   // b's 2nd passes, 3rd: max (3) are waiting
            Assert.True(refused.IsFulfilled);
            Assert.False(((Promise<bool>)refused).Value);
            return a3.Bind(ok3 => Promise.Pause().Map(() => ok3)).Bind(ok3 =>
            {
                Assert.True(ok3);
                // The second window lets `rate` (2) waiters through, first come first served.
                Assert.True(a4.IsFulfilled && a4.Value);
                Assert.True(a5.IsPending);
                return a5.Map(ok5 =>
                {
                    Assert.True(ok5);
                    return Unit.Value;
                });
            });
        });
    }

    [Fact]
    public void CanceledWaiterLeavesTheQueueAndFreesItsPlace()
    {
        LwtMain.Run(() =>
        {
            var t = LwtThrottle.Create<int>(rate: 1, max: 2, n: 0);
            Assert.True(t.Wait(1).Value);
            var w2 = t.Wait(1);
            var w3 = t.Wait(1);
            Assert.False(t.Wait(1).Value);        // 2 waiting: refused
            w2.Cancel();
            Assert.True(w2.IsCanceled);
            var w5 = t.Wait(1);                   // w2's place is free again
            Assert.True(w5.IsPending);
            return w3.Bind(ok3 => Promise.Pause().Map(() => ok3)).Bind(ok3 =>
            {
                // The window let one call through: w3, not the canceled w2.
                Assert.True(ok3);
                Assert.True(w5.IsPending);
                return w5.Map(ok5 =>
                {
                    Assert.True(ok5);
                    return Unit.Value;
                });
            });
        });
    }

    [Fact]
    public void AWindowNotBeforeOneSecond()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ok = LwtMain.Run(() =>
        {
            var t = LwtThrottle.Create<string>(1, 10, 0, StringComparer.OrdinalIgnoreCase);
            Assert.True(t.Wait("K").Value);
            return t.Wait("k");                   // same key by the comparer
        });
        Assert.True(ok);
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1), $"{sw.Elapsed}");
    }
}
