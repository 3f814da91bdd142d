namespace Lwt.Tests.Library;

public class LwtMutexTests
{
    [Fact]
    public void LockUnlockedIsImmediate()
    {
        var m = LwtMutex.Create();
        Assert.False(m.IsLocked);
        Assert.True(m.Lock().IsFulfilled);
        Assert.True(m.IsLocked);
        Assert.True(m.IsEmpty);
        m.Unlock();
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void WaitersAreServedFifo()
    {
        var m = new LwtMutex();
        m.Lock();
        var order = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            int k = i;
            m.Lock().Map(() => { order.Add(k); return Unit.Value; });
        }
        Assert.False(m.IsEmpty);
        for (int i = 0; i < 5; i++) m.Unlock();
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.True(m.IsLocked);
        Assert.True(m.IsEmpty);
        m.Unlock();
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void CanceledWaiterLeavesQueueOthersUndisturbed()
    {
        var m = new LwtMutex();
        m.Lock();
        var a = m.Lock();
        var b = m.Lock();
        var c = m.Lock();
        b.Cancel();
        Assert.True(b.IsCanceled);
        Assert.True(a.IsPending);
        Assert.True(c.IsPending);
        m.Unlock();
        Assert.True(a.IsFulfilled);
        Assert.True(c.IsPending);
        m.Unlock();
        Assert.True(c.IsFulfilled);
        Assert.True(m.IsEmpty);
        m.Unlock();
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void AllWaitersCanceledUnlockReleases()
    {
        var m = new LwtMutex();
        m.Lock();
        var a = m.Lock();
        a.Cancel();
        Assert.True(m.IsEmpty);
        m.Unlock();
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void UnlockWhenNotLockedThrows()
    {
        var m = new LwtMutex();
        var e = Assert.Throws<InvalidOperationException>(m.Unlock);
        Assert.Contains("not locked", e.Message);
    }

    [Fact]
    public void WithLockSerializesAndUnlocksOnFailure()
    {
        var m = new LwtMutex();
        var (p1, r1) = Promise.Create<int>();
        var first = m.WithLock(() => p1);
        bool secondRan = false;
        var second = m.WithLock(() => { secondRan = true; return Promise.Return(2); });
        Assert.False(secondRan);
        r1.Resolve(1);
        Assert.Equal(1, first.Value);
        Assert.True(secondRan);
        Assert.Equal(2, second.Value);
        Assert.False(m.IsLocked);

        var failed = m.WithLock(() => throw new InvalidTimeZoneException());
        Assert.IsType<InvalidTimeZoneException>(failed.Exception);
        Assert.False(m.IsLocked);
        var failed2 = m.WithLock(() => Promise.Fail(new FormatException()));
        Assert.IsType<FormatException>(failed2.Exception);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void NullFunctionThrows()
    {
        var m = new LwtMutex();
        Assert.Throws<ArgumentNullException>(() => m.WithLock((Func<Promise>)null!));
        Assert.Throws<ArgumentNullException>(() => m.WithLock((Func<Promise<int>>)null!));
    }

    [Fact]
    public void LongQueueDoesNotOverflowStack()
    {
        var m = new LwtMutex();
        m.Lock();
        int served = 0;
        for (int i = 0; i < 100_000; i++) m.Lock().Map(() => { served++; m.Unlock(); return Unit.Value; });
        m.Unlock();
        Assert.Equal(100_000, served);
        Assert.False(m.IsLocked);
    }
}
