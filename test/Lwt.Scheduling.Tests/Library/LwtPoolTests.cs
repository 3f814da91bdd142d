namespace Lwt.Tests.Library;

public class LwtPoolTests
{
    private sealed class Counters
    {
        public int Created, Disposed, Validated;
    }

    private static LwtPool<int> MakePool(Counters c, int max = 2, Func<int, bool>? valid = null, bool checkOk = true)
    {
        return LwtPool<int>.Create(
            max,
            () => Promise.Return(++c.Created),
            validate: x => { c.Validated++; return Promise.Return(valid?.Invoke(x) ?? true); },
            check: (_, ok) => ok(checkOk),
            dispose: _ => { c.Disposed++; return Promise.ReturnUnit; });
    }

    [Fact]
    public void ReusesMembers()
    {
        var c = new Counters();
        var pool = MakePool(c);
        Assert.Equal(1, pool.Use(x => Promise.Return(x)).Value);
        Assert.Equal(1, pool.Use(x => Promise.Return(x)).Value);
        Assert.Equal(1, c.Created);
        Assert.Equal(1, c.Validated);   // validated on reuse only
    }

    [Fact]
    public void WaitsWhenExhaustedFifo()
    {
        var c = new Counters();
        var pool = MakePool(c, max: 1);
        var (p, r) = Promise.Create<int>();
        var first = pool.Use(_ => p);
        var order = new List<string>();
        var second = pool.Use(x => { order.Add("second"); return Promise.Return(x); });
        var third = pool.Use(x => { order.Add("third"); return Promise.Return(x); });
        Assert.Equal(2, pool.WaitQueueLength);
        r.Resolve(0);
        Assert.True(first.IsFulfilled && second.IsFulfilled && third.IsFulfilled);
        Assert.Equal(["second", "third"], order);
        Assert.Equal(0, pool.WaitQueueLength);
        Assert.Equal(1, c.Created);
    }

    [Fact]
    public void CanceledWaiterLeavesQueue()
    {
        var c = new Counters();
        var pool = MakePool(c, max: 1);
        var (p, r) = Promise.Create<int>();
        pool.Use(_ => p);
        var a = pool.Use(x => Promise.Return(x));
        var b = pool.Use(x => Promise.Return(x * 10));
        Assert.Equal(2, pool.WaitQueueLength);
        a.Cancel();
        Assert.True(a.IsCanceled);
        Assert.Equal(1, pool.WaitQueueLength);
        r.Resolve(0);
        Assert.Equal(10, b.Value);
    }

    [Fact]
    public void InvalidMemberIsDisposedAndReplaced()
    {
        var c = new Counters();
        var pool = MakePool(c, valid: x => x != 1);
        pool.Use(x => Promise.Return(x));
        var v = pool.Use(x => Promise.Return(x)).Value;
        Assert.Equal(2, v);
        Assert.Equal(1, c.Disposed);
        Assert.Equal(2, c.Created);
    }

    [Fact]
    public void FailingCallbackRunsCheck()
    {
        var c = new Counters();
        var pool = MakePool(c, checkOk: false);
        var failed = pool.Use<int>(_ => throw new FormatException());
        Assert.IsType<FormatException>(failed.Exception);
        Assert.Equal(1, c.Disposed);
        Assert.Equal(2, pool.Use(x => Promise.Return(x)).Value);

        var c2 = new Counters();
        var pool2 = MakePool(c2, checkOk: true);
        Assert.True(pool2.Use<int>(_ => Promise.Fail<int>(new FormatException())).IsRejected);
        Assert.Equal(0, c2.Disposed);
        Assert.Equal(1, pool2.Use(x => Promise.Return(x)).Value);
    }

    [Fact]
    public void ClearDisposesIdleAndInUseWhenReturned()
    {
        var c = new Counters();
        var pool = MakePool(c, max: 3);
        var (p, r) = Promise.Create<int>();
        pool.Use(x => Promise.Return(x));            // member 1, idle afterwards
        var busy = pool.Use(_ => p);                 // member 1 again, in use
        pool.Use(x => Promise.Return(x));            // member 2, idle
        Assert.True(pool.Clear().IsFulfilled);
        Assert.Equal(1, c.Disposed);                 // the idle one
        r.Resolve(0);
        Assert.True(busy.IsFulfilled);
        Assert.Equal(2, c.Disposed);                 // the one in use, when returned
        Assert.Equal(3, pool.Use(x => Promise.Return(x)).Value); // fresh member
    }

    [Fact]
    public void CreationFailureDoesNotLeakCount()
    {
        int attempts = 0;
        var pool = LwtPool<int>.Create(1, () => ++attempts == 1 ? Promise.Fail<int>(new FormatException()) : Promise.Return(attempts));
        Assert.IsType<FormatException>(pool.Use(x => Promise.Return(x)).Exception);
        Assert.Equal(2, pool.Use(x => Promise.Return(x)).Value);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtPool<int>.Create(0, () => Promise.Return(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtPool<int>.Create(-1, () => Promise.Return(1)));
        Assert.Throws<ArgumentNullException>(() => LwtPool<int>.Create(1, null!));
        var pool = LwtPool<int>.Create(1, () => Promise.Return(1));
        Assert.Throws<ArgumentNullException>(() => pool.Use((Func<int, Promise<int>>)null!));
    }
}
