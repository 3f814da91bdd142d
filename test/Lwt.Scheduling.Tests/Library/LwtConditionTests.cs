namespace Lwt.Tests.Library;

public class LwtConditionTests
{
    [Fact]
    public void SignalWakesFirstWaiterOnly()
    {
        var c = LwtCondition<int>.Create();
        var a = c.Wait();
        var b = c.Wait();
        c.Signal(1);
        Assert.Equal(1, a.Value);
        Assert.True(b.IsPending);
        c.Signal(2);
        Assert.Equal(2, b.Value);
    }

    [Fact]
    public void SignalWithoutWaitersIsLost()
    {
        var c = new LwtCondition<int>();
        c.Signal(1);
        var a = c.Wait();
        Assert.True(a.IsPending);
    }

    [Fact]
    public void BroadcastWakesAllCurrentWaiters()
    {
        var c = new LwtCondition<string>();
        var a = c.Wait();
        var b = c.Wait();
        Promise<string>? late = null;
        a.Map(_ => late = c.Wait());
        c.Broadcast("x");
        Assert.Equal("x", a.Value);
        Assert.Equal("x", b.Value);
        Assert.NotNull(late);
        Assert.True(late!.IsPending);
    }

    [Fact]
    public void BroadcastExnRejectsAll()
    {
        var c = new LwtCondition<int>();
        var a = c.Wait();
        var b = c.Wait();
        var e = new FormatException();
        c.BroadcastExn(e);
        Assert.Same(e, a.Exception);
        Assert.Same(e, b.Exception);
        Assert.Throws<ArgumentNullException>(() => c.BroadcastExn(null!));
    }

    [Fact]
    public void CanceledWaiterIsSkipped()
    {
        var c = new LwtCondition<int>();
        var a = c.Wait();
        var b = c.Wait();
        a.Cancel();
        c.Signal(5);
        Assert.True(a.IsCanceled);
        Assert.Equal(5, b.Value);
    }

    [Fact]
    public void WaitWithMutexUnlocksThenRelocks()
    {
        var m = new LwtMutex();
        var c = new LwtCondition<int>();
        m.Lock();
        var w = c.Wait(m);
        Assert.False(m.IsLocked);
        m.Lock();            // someone else takes the mutex and signals
        c.Signal(3);
        Assert.True(w.IsPending); // waits for the mutex
        m.Unlock();
        Assert.Equal(3, w.Value);
        Assert.True(m.IsLocked);
    }

    [Fact]
    public void WaitWithUnlockedMutexThrows()
    {
        var c = new LwtCondition<int>();
        Assert.Throws<InvalidOperationException>(() => c.Wait(new LwtMutex()));
    }
}
