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
        Assert.True(v.Put(1).IsFulfilled); // handed straight to the first taker
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
        // One object: the bytes of one Promise<int>, measured here.
        var keep = new Promise<int>[1000];
        long b0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < keep.Length; i++) keep[i] = Promise.Return(i);
        long one = (GC.GetAllocatedBytesForCurrentThread() - b0) / keep.Length;
        GC.KeepAlive(keep);
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
        Assert.True(perOp <= one, $"{perOp} bytes per hand-off, one promise is {one}");

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            v.Put(i);           // into the empty box: nothing allocated
            var t = v.Take();   // one fulfilled promise
            if (!t.IsFulfilled) throw new InvalidOperationException();
        }
        perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.True(perOp <= one, $"{perOp} bytes per hand-off, one promise is {one}");
    }

    [Fact]
    public void AsyncLoopsAllocateOneObjectPerHandOff()
    {
        // The shape of the mvar/async workload: the taker waits, every put hands off to it
        // and returns the shared unit promise; the taker's await registers its box, no node.
        var keep = new Promise<int>[1000];
        long b0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < keep.Length; i++) keep[i] = Promise.Return(i);
        long one = (GC.GetAllocatedBytesForCurrentThread() - b0) / keep.Length;
        GC.KeepAlive(keep);

        var warm = LwtMVar<int>.CreateEmpty();
        var wc = Consumer(warm, 1000);
        Assert.True(Producer(warm, 1000).IsFulfilled);
        Assert.True(wc.IsFulfilled);

        const int n = 10_000;
        var v = LwtMVar<int>.CreateEmpty();
        var c = Consumer(v, n);         // suspended on its first take
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
            if (!v.Put(i).IsFulfilled) throw new InvalidOperationException();
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.Equal((long)n * (n - 1) / 2, c.Value);
        Assert.True(perOp <= one, $"{perOp} bytes per hand-off, one promise is {one}");
    }
}
