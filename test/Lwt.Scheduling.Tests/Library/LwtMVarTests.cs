namespace Lwt.Tests.Library;

public class LwtMVarTests
{
    [Fact]
    public void CreateFullAndEmpty()
    {
        var full = LwtMVar<int>.Create(1);
        Assert.False(full.IsEmpty);
        var empty = LwtMVar<int>.CreateEmpty();
        Assert.True(empty.IsEmpty);
        Assert.Equal(Option<int>.None, empty.TakeAvailable());
        Assert.Equal(Option.Some(1), full.TakeAvailable());
        Assert.True(full.IsEmpty);
    }

    [Fact]
    public void PutIntoEmptyThenTake()
    {
        var v = LwtMVar<int>.CreateEmpty();
        Assert.True(v.Put(7).IsFulfilled);
        Assert.False(v.IsEmpty);
        Assert.Equal(7, v.Take().Value);
        Assert.True(v.IsEmpty);
    }

    [Fact]
    public void TakersServedFifo()
    {
        var v = LwtMVar<int>.CreateEmpty();
        var a = v.Take();
        var b = v.Take();
        v.Put(1);
        Assert.Equal(1, a.Value);
        Assert.True(b.IsPending);
        Assert.True(v.IsEmpty);
        v.Put(2);
        Assert.Equal(2, b.Value);
    }

    [Fact]
    public void PuttersServedFifo()
    {
        var v = LwtMVar<int>.Create(0);
        var p1 = v.Put(1);
        var p2 = v.Put(2);
        Assert.True(p1.IsPending && p2.IsPending);
        Assert.Equal(0, v.Take().Value);
        Assert.True(p1.IsFulfilled);
        Assert.True(p2.IsPending);
        Assert.Equal(1, v.Take().Value);
        Assert.True(p2.IsFulfilled);
        Assert.Equal(Option.Some(2), v.TakeAvailable());
        Assert.True(v.IsEmpty);
    }

    [Fact]
    public void CanceledTakerLeavesQueue()
    {
        var v = LwtMVar<int>.CreateEmpty();
        var a = v.Take();
        var b = v.Take();
        a.Cancel();
        Assert.True(a.IsCanceled);
        v.Put(3);
        Assert.Equal(3, b.Value);
        Assert.True(v.IsEmpty);
    }

    [Fact]
    public void CanceledPutterValueIsDropped()
    {
        var v = LwtMVar<int>.Create(0);
        var p1 = v.Put(1);
        var p2 = v.Put(2);
        p1.Cancel();
        Assert.True(p1.IsCanceled);
        Assert.Equal(0, v.Take().Value);
        Assert.True(p2.IsFulfilled);
        Assert.Equal(2, v.Take().Value);
    }

    [Fact]
    public void ManyCanceledTakersDoNotAccumulate()
    {
        var v = LwtMVar<int>.CreateEmpty();
        for (int i = 0; i < 100_000; i++) v.Take().Cancel();
        var t = v.Take();
        v.Put(1);
        Assert.Equal(1, t.Value);
    }

    private static async Promise Producer(LwtMVar<int> v, int n)
    {
        for (int i = 0; i < n; i++) await v.Put(i);
    }

    private static async Promise<long> Consumer(LwtMVar<int> v, int n)
    {
        long sum = 0;
        for (int i = 0; i < n; i++) sum += await v.Take();
        return sum;
    }

    [Fact]
    public void ProducerConsumerLoops()
    {
        var v = LwtMVar<int>.CreateEmpty();
        var c = Consumer(v, 1000);
        var p = Producer(v, 1000);
        Assert.True(p.IsFulfilled);
        Assert.Equal(999L * 1000 / 2, c.Value);
    }

    [Fact]
    public void HandOffAllocatesAtMostOneObject()
    {
        var v = LwtMVar<int>.CreateEmpty();
        // Warm up the queues and the JIT.
        for (int i = 0; i < 1000; i++) { v.Take(); v.Put(i); v.Put(i); v.Take(); }
        const int n = 10_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            var t = v.Take();   // waits: one waiter promise
            v.Put(i);           // hands off directly, returns the shared unit promise
            if (!t.IsFulfilled) throw new InvalidOperationException();
        }
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.True(perOp <= 64, $"{perOp} bytes per hand-off");

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            v.Put(i);           // into the empty box: nothing allocated
            var t = v.Take();   // one fulfilled promise
            if (!t.IsFulfilled) throw new InvalidOperationException();
        }
        perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.True(perOp <= 64, $"{perOp} bytes per hand-off");
    }
}
