namespace Lwt.Tests.Loop;

/// <summary>The loop's multi-producer, single-consumer inbox (in the non-parallel collection: it holds
/// a million items at once, which would disturb the memory checks of tests running beside it).</summary>
[Collection(LoopGlobalState.Name)]
public class InboxTests
{
    [Fact]
    public void Single_thread_fifo_across_segments()
    {
        var q = new Inbox<int>();
        Assert.True(q.IsEmpty);
        Assert.False(q.TryDequeue(out _));
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 5000; i++) q.Enqueue(i);
            Assert.False(q.IsEmpty);
            Assert.Equal(5000, q.CountUpperBound());
            for (int i = 0; i < 5000; i++)
            {
                Assert.True(q.TryDequeue(out int v));
                Assert.Equal(i, v);
            }
            Assert.True(q.IsEmpty);
            Assert.Equal(0, q.CountUpperBound());
        }
    }

    [Fact]
    public void Many_producers_one_consumer_lose_nothing_and_keep_each_producers_order()
    {
        const int Producers = 6, PerProducer = 200_000;
        var q = new Inbox<(int Producer, int Seq)>();
        var threads = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerProducer; i++) q.Enqueue((p, i));
        })).ToArray();
        foreach (var t in threads) t.Start();
        var next = new int[Producers];
        int total = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (total < Producers * PerProducer)
        {
            if (q.TryDequeue(out var item))
            {
                Assert.Equal(next[item.Producer], item.Seq);
                next[item.Producer]++;
                total++;
            }
            else
            {
                Assert.True(DateTime.UtcNow < deadline, "items went missing");
                Thread.Yield();
            }
        }
        foreach (var t in threads) t.Join();
        Assert.True(q.IsEmpty);
        Assert.All(next, n => Assert.Equal(PerProducer, n));
    }
}
