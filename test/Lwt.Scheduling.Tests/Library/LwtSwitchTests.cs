namespace Lwt.Tests.Library;

public class LwtSwitchTests
{
    [Fact]
    public void HooksRunOnceMostRecentFirst()
    {
        var sw = LwtSwitch.Create();
        var order = new List<int>();
        sw.AddHook(() => { order.Add(1); return Promise.ReturnUnit; });
        LwtSwitch.AddHook(sw, () => { order.Add(2); return Promise.ReturnUnit; });
        Assert.True(sw.IsOn);
        Assert.True(sw.TurnOff().IsFulfilled);
        Assert.False(sw.IsOn);
        Assert.Equal([2, 1], order);
        Assert.True(sw.TurnOff().IsFulfilled);
        Assert.Equal([2, 1], order);
    }

    [Fact]
    public void TurnOffWaitsForAllHooksAndReportsFailure()
    {
        var sw = new LwtSwitch();
        var (p, r) = Promise.Create();
        bool otherRan = false;
        sw.AddHook(() => { otherRan = true; return Promise.ReturnUnit; });
        sw.AddHook(() => throw new FormatException());
        sw.AddHook(() => p);
        var off = sw.TurnOff();
        Assert.True(otherRan);
        Assert.True(off.IsPending);
        r.Resolve();
        Assert.IsType<FormatException>(off.Exception);
    }

    [Fact]
    public void CheckAndAddHookOnOffSwitch()
    {
        var sw = new LwtSwitch();
        sw.Check();
        LwtSwitch.Check(null);
        sw.TurnOff();
        Assert.Throws<LwtSwitch.OffException>(sw.Check);
        Assert.Throws<LwtSwitch.OffException>(() => LwtSwitch.Check(sw));
        Assert.Throws<LwtSwitch.OffException>(() => sw.AddHook(() => Promise.ReturnUnit));
        LwtSwitch.AddHook(null, () => Promise.ReturnUnit);
        Assert.Throws<ArgumentNullException>(() => sw.AddHook(null!));
    }

    [Fact]
    public void AddHookOrExec()
    {
        var sw = new LwtSwitch();
        int runs = 0;
        Assert.True(sw.AddHookOrExec(() => { runs++; return Promise.ReturnUnit; }).IsFulfilled);
        Assert.Equal(0, runs);
        sw.TurnOff();
        Assert.Equal(1, runs);
        var (p, _) = Promise.Create();
        Assert.Same(p, sw.AddHookOrExec(() => { runs++; return p; }));
        Assert.Equal(2, runs);
        Assert.True(LwtSwitch.AddHookOrExec(null, () => throw new Exception()).IsFulfilled);
    }

    [Fact]
    public void WithSwitchTurnsOffAfterScope()
    {
        LwtSwitch? seen = null;
        int hooks = 0;
        var (p, r) = Promise.Create<int>();
        var result = LwtSwitch.WithSwitch(sw =>
        {
            seen = sw;
            sw.AddHook(() => { hooks++; return Promise.ReturnUnit; });
            return p;
        });
        Assert.True(seen!.IsOn);
        r.Resolve(4);
        Assert.Equal(4, result.Value);
        Assert.False(seen.IsOn);
        Assert.Equal(1, hooks);

        var failed = LwtSwitch.WithSwitch(sw => { seen = sw; return Promise.Fail(new FormatException()); });
        Assert.IsType<FormatException>(failed.Exception);
        Assert.False(seen.IsOn);
        Assert.Throws<ArgumentNullException>(() => LwtSwitch.WithSwitch((Func<LwtSwitch, Promise>)null!));
    }

    // Lwt 5.6.1 (differential test): add_hook h1 (fails E8), h2 (fine), h3 (fails E16);
    // turn_off is rejected with E16, the most recently added of the hooks that fail at once,
    // because Lwt.join goes through the newest-first hook list.
    [Fact]
    public void TurnOffWithSeveralFailingHooksRejectsWithTheNewestOnesException()
    {
        var sw = LwtSwitch.Create();
        var first = new FormatException();
        var last = new InvalidCastException();
        sw.AddHook(() => throw first);
        sw.AddHook(() => Promise.ReturnUnit);
        sw.AddHook(() => Promise.Fail(last));
        Assert.Same(last, sw.TurnOff().Exception);
    }

    // A hook that fails later does not win over one that had already failed when turn_off joined.
    [Fact]
    public void TurnOffPrefersAHookThatFailedAtOnceOverOneThatFailsLater()
    {
        var sw = LwtSwitch.Create();
        var (pending, r) = Promise.Create();
        var atOnce = new FormatException();
        sw.AddHook(() => Promise.Fail(atOnce));
        sw.AddHook(() => pending);
        var off = sw.TurnOff();
        Assert.True(off.IsPending);
        r.Reject(new InvalidCastException());
        Assert.Same(atOnce, off.Exception);
    }

    [Fact]
    public async Task DisposeAsyncTurnsOff()
    {
        int hooks = 0;
        var sw = new LwtSwitch();
        await using (sw)
        {
            sw.AddHook(() => { hooks++; return Promise.ReturnUnit; });
        }
        Assert.False(sw.IsOn);
        Assert.Equal(1, hooks);
    }
}
