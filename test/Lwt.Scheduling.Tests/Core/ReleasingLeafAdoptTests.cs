namespace Lwt.Tests.Core;

/// <summary>
/// A callback that returns a pending read or sleep itself (<c>gate.Bind(() =&gt; LwtUnix.Read(..))</c>):
/// canceling the callback's result must release what the read or sleep holds, as canceling
/// the read or sleep directly does (lwt_unix's on_cancel, which Lwt's proxies carry along).
/// Such leaves are followed instead of made proxies (Promise.ReleasesOnCancel). Found by an
/// audit; these tests failed before.
/// </summary>
[Collection(SerialCollection.Name)]
public class ReleasingLeafAdoptTests
{
    private static async Promise Pauses(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    [SkippableFact]
    public void Canceling_a_Bind_whose_callback_returned_a_read_leaves_the_data_for_the_next_read()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            var (gate, open) = Promise.Create();
            var bound = gate.Bind(() => LwtUnix.Read(r, new byte[16]));
            open.Resolve();
            Assert.True(bound.IsPending);
            Assert.Equal(1, r.PendingReads);
            bound.Cancel();
            Assert.True(bound.IsCanceled);
            Assert.Equal(0, r.PendingReads); // the read left the descriptor's queue

            await LwtUnix.Write(w, "abc"u8.ToArray());
            await Pauses(3); // a read still queued would consume the bytes here
            var buffer = new byte[16];
            Assert.Equal(3, await LwtUnix.Read(r, buffer));
            Assert.Equal("abc"u8.ToArray(), buffer[..3]);
            r.Dispose();
            w.Dispose();
        });
    }

    [SkippableFact]
    public void A_Bind_whose_callback_returned_a_read_still_gives_the_read_result()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            var (gate, open) = Promise.Create();
            var buffer = new byte[16];
            var bound = gate.Bind(() => LwtUnix.Read(r, buffer)).Map(n => n * 10);
            open.Resolve();
            Assert.True(bound.IsPending);
            await LwtUnix.Write(w, "xy"u8.ToArray());
            Assert.Equal(20, await bound);
            r.Dispose();
            w.Dispose();
        });
    }

    [Fact]
    public void Canceling_Binds_whose_callbacks_returned_sleeps_empties_the_timer_wheel()
    {
        LwtMain.Run(() =>
        {
            var wheel = EventLoop.Current!.Timers;
            int before = wheel.Count;
            var (gate, open) = Promise.Create();
            var bound = new List<Promise>();
            for (int i = 0; i < 1000; i++) bound.Add(gate.Bind(() => LwtUnix.Sleep(3600)));
            open.Resolve();
            Assert.Equal(before + 1000, wheel.Count);
            foreach (var p in bound) p.Cancel();
            Assert.All(bound, p => Assert.True(p.IsCanceled));
            Assert.Equal(before, wheel.Count);
            return Promise.ReturnUnit;
        });
    }

    // The everyday shape: a read after a delay, raced against a timeout by Pick.
    [SkippableFact]
    public void A_bound_read_that_loses_a_Pick_does_not_take_the_next_data()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            var (gate, open) = Promise.Create();
            var (timeout, fire) = Promise.Create<int>();
            var race = Promise.Pick(gate.Bind(() => LwtUnix.Read(r, new byte[16])), timeout);
            open.Resolve();
            fire.Resolve(-1);
            Assert.Equal(-1, await race);
            Assert.Equal(0, r.PendingReads);
            await LwtUnix.Write(w, "abc"u8.ToArray());
            await Pauses(3);
            Assert.Equal(3, await LwtUnix.Read(r, new byte[16]));
            r.Dispose();
            w.Dispose();
        });
    }
}
