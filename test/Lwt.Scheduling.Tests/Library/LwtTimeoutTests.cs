using System.Diagnostics;

namespace Lwt.Tests.Library;

// Timers: assert "not before", never "within N ms" (the machine is shared and noisy).
public class LwtTimeoutTests
{
    [Fact]
    public void BadInputThrows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtTimeout.Create(0, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtTimeout.Create(-1, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtTimeout.Create(double.NaN, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtTimeout.Create(double.PositiveInfinity, () => { }));
        Assert.Throws<ArgumentNullException>(() => LwtTimeout.Create(1, null!));
        Assert.Throws<ArgumentNullException>(() => LwtTimeout.SetExnHandler(null!));
        var t = LwtTimeout.Create(1, () => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Change(0));
        Assert.Equal(1, t.Seconds);
    }

    [Fact]
    public void NotStartedNeverRuns()
    {
        int runs = 0;
        LwtMain.Run(() =>
        {
            LwtTimeout.Create(0.02, () => runs++);
            return LwtUnix.Sleep(0.1);
        });
        Assert.Equal(0, runs);
    }

    [Fact]
    public void StartRunsOnceNotBeforeTheDelay()
    {
        int runs = 0;
        TimeSpan firedAt = default;
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
        {
            var t = LwtTimeout.Create(0.05, () => { runs++; firedAt = sw.Elapsed; });
            t.Start();
            Assert.True(t.IsStarted);
            return LwtUnix.Sleep(0.2).Map(() => { Assert.False(t.IsStarted); return Unit.Value; });
        });
        Assert.Equal(1, runs);
        Assert.True(firedAt >= TimeSpan.FromSeconds(0.05), $"fired at {firedAt}");
    }

    [Fact]
    public void StopPreventsTheAction()
    {
        int runs = 0;
        LwtMain.Run(() =>
        {
            var t = LwtTimeout.Create(0.05, () => runs++);
            t.Stop();            // not started: nothing happens
            t.Start();
            t.Stop();
            Assert.False(t.IsStarted);
            t.Stop();
            return LwtUnix.Sleep(0.15);
        });
        Assert.Equal(0, runs);
    }

    [Fact]
    public void StartAgainRestartsWithTheDelay()
    {
        int runs = 0;
        TimeSpan firedAt = default;
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
        {
            var t = LwtTimeout.Create(0.1, () => { runs++; firedAt = sw.Elapsed; });
            t.Start();
            return LwtUnix.Sleep(0.05).Bind(() =>
            {
                var restartedAt = sw.Elapsed;
                t.Start();   // restart: the action now runs 0.1 s after this, once
                return LwtUnix.Sleep(0.3).Map(() =>
                {
                    Assert.True(firedAt >= restartedAt + TimeSpan.FromSeconds(0.1), $"fired at {firedAt}, restarted at {restartedAt}");
                    return Unit.Value;
                });
            });
        });
        Assert.Equal(1, runs);
    }

    [Fact]
    public void ChangeRestartsAStartedTimeoutOnly()
    {
        int runsA = 0, runsB = 0;
        TimeSpan firedAt = default;
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
        {
            var a = LwtTimeout.Create(0.02, () => { runsA++; firedAt = sw.Elapsed; });
            a.Start();
            a.Change(0.15);  // started: restarted with the new delay
            Assert.Equal(0.15, a.Seconds);
            var b = LwtTimeout.Create(0.02, () => runsB++);
            b.Change(0.01);  // not started: stays stopped
            Assert.False(b.IsStarted);
            return LwtUnix.Sleep(0.08).Bind(() =>
            {
                Assert.Equal(0, runsA);
                return LwtUnix.Sleep(0.3);
            });
        });
        Assert.Equal(1, runsA);
        Assert.Equal(0, runsB);
        Assert.True(firedAt >= TimeSpan.FromSeconds(0.15), $"fired at {firedAt}");
    }

    [Fact]
    public void TheActionCanRestartItsTimeout()
    {
        int runs = 0;
        LwtMain.Run(() =>
        {
            var (done, r) = Promise.Create();
            LwtTimeout? t = null;
            t = LwtTimeout.Create(0.01, () =>
            {
                if (++runs < 3) t!.Start();
                else r.Resolve();
            });
            t.Start();
            return done;
        });
        Assert.Equal(3, runs);
    }

    [Fact]
    public void ExceptionsGoToTheHandler()
    {
        var seen = new List<Exception>();
        var boom = new InvalidOperationException("boom");
        LwtTimeout.SetExnHandler(seen.Add);
        try
        {
            int after = 0;
            LwtMain.Run(() =>
            {
                LwtTimeout.Create(0.01, () => throw boom).Start();
                LwtTimeout.Create(0.02, () => after++).Start();
                return LwtUnix.Sleep(0.1);
            });
            Assert.Same(boom, Assert.Single(seen));
            Assert.Equal(1, after);
        }
        finally
        {
            LwtTimeout.SetExnHandler(e => Promise.AsyncExceptionHook(e));
        }
    }
}
