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
            var (fired, r) = Promise.Create();
            var t = LwtTimeout.Create(0.05, () => { runs++; firedAt = sw.Elapsed; r.TryResolve(Unit.Value); });
            t.Start();
            Assert.True(t.IsStarted);
            // After it fired, give it time to (wrongly) fire again.
            return fired.Bind(() => LwtUnix.Sleep(0.1)).Map(() => { Assert.False(t.IsStarted); return Unit.Value; });
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
        TimeSpan firedAt = default, restartedAt = default;
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
        {
            var (fired, r) = Promise.Create();
            var t = LwtTimeout.Create(0.1, () => { runs++; firedAt = sw.Elapsed; r.TryResolve(Unit.Value); });
            t.Start();
            return LwtUnix.Sleep(0.05).Bind(() =>
            {
                restartedAt = sw.Elapsed;
                t.Start();   // restart: the action now runs 0.1 s after this, once
                return fired.Bind(() => LwtUnix.Sleep(0.15));
            });
        });
        Assert.Equal(1, runs);
        Assert.True(firedAt >= restartedAt + TimeSpan.FromSeconds(0.1), $"fired at {firedAt}, restarted at {restartedAt}");
    }

    [Fact]
    public void ChangeRestartsAStartedTimeoutOnly()
    {
        int runsA = 0, runsB = 0;
        TimeSpan firedAt = default;
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
        {
            var (fired, r) = Promise.Create();
            var a = LwtTimeout.Create(0.02, () => { runsA++; firedAt = sw.Elapsed; r.TryResolve(Unit.Value); });
            a.Start();
            a.Change(0.15);  // started: restarted with the new delay (not 0.02 s any more)
            Assert.Equal(0.15, a.Seconds);
            var b = LwtTimeout.Create(0.02, () => runsB++);
            b.Change(0.01);  // not started: stays stopped
            Assert.False(b.IsStarted);
            return fired.Bind(() => LwtUnix.Sleep(0.1));
        });
        Assert.Equal(1, runsA);
        Assert.Equal(0, runsB);
        // Not before the new delay (the stopwatch started before Change, so this is conservative).
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

}
