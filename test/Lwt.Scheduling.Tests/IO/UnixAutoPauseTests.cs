using System.Diagnostics;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.AutoPause (Lwt_unix.auto_pause): a function that pauses once its timeout has
/// passed since its last pause, and answers resolved promises in between. Only "not before"
/// is asserted: a call is required to be resolved only when the test measured that less than
/// the timeout had passed, so a slow machine cannot make these fail.
/// </summary>
public class UnixAutoPauseTests
{
    [Fact]
    public void CallsBeforeTheTimeoutAreResolved()
    {
        LoopTest.OnFreshThread(() =>
        {
            foreach (double timeout in new[] { 3600.0, double.PositiveInfinity })
            {
                var next = LwtUnix.AutoPause(timeout);
                for (int i = 0; i < 1000; i++)
                    Assert.True(next().IsFulfilled);
                Assert.Equal(0, Promise.PausedCount);
            }
        });
    }

    [Fact]
    public void TheFirstCallAfterTheTimeoutPausesAndTheLoopResolvesIt()
    {
        const double Timeout = 0.3;
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var next = LwtUnix.AutoPause(Timeout);
            await LwtUnix.Sleep(Timeout + 0.1);

            var paused = next();
            var clock = Stopwatch.StartNew();
            Assert.True(paused.IsPending);
            Assert.Equal(1, Promise.PausedCount);
            await paused;
            Assert.True(paused.IsFulfilled);

            // The deadline moved to the time of that pause: the calls that follow at once
            // (measured, not assumed) do not pause.
            var after = next();
            if (clock.Elapsed.TotalSeconds < Timeout) Assert.True(after.IsFulfilled);
            await after;

            // And after another timeout, the next call pauses again.
            await LwtUnix.Sleep(Timeout + 0.1);
            var again = next();
            Assert.True(again.IsPending);
            await again;
        }));
    }

    [Fact]
    public void EachFunctionKeepsItsOwnDeadline()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var first = LwtUnix.AutoPause(0.2);
            var second = LwtUnix.AutoPause(0.2);
            await LwtUnix.Sleep(0.3);
            var p1 = first();
            var p2 = second(); // first's pause did not move second's deadline
            Assert.True(p1.IsPending);
            Assert.True(p2.IsPending);
            await Promise.Join(p1, p2);
        }));
    }

    [Fact]
    public void AZeroOrNegativeTimeoutPausesEveryCall()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            foreach (double timeout in new[] { 0.0, -1.0, double.NegativeInfinity })
            {
                var next = LwtUnix.AutoPause(timeout);
                for (int i = 0; i < 3; i++)
                {
                    var p = next();
                    Assert.True(p.IsPending);
                    await p;
                }
            }
        }));
    }

    [Fact]
    public void ANaNTimeoutIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.AutoPause(double.NaN));
        Assert.Equal("timeout", e.ParamName);
    }
}
