namespace Lwt.Tests.Library;

/// <summary>
/// The waiting readers of a push stream (LwtStream.Buffer.cs): each Get waiter's queue entry
/// carries its reader and position, and is served when the buffer grows, including when a
/// woken reader pushes or reads again from inside the wake-up.
/// </summary>
public class LwtStreamWaiterTests
{
    private static Option<T> Some<T>(T x) => Option.Some(x);

    [Fact]
    public void NestedPushFromAWokenReaderStillGivesTheOthersTheirOwnItem()
    {
        // push 1 wakes the clone's reader first (the later Get, as in Lwt); its callback pushes
        // 2 at once (nested): `s`'s reader, not served yet, must still get 1, the item it
        // waited for, and not be served twice.
        var (s, push) = LwtStream.Create<int>();
        var c = s.Clone();
        var order = new List<string>();
        var gs = s.Get().Map(x =>
        {
            order.Add($"s:{x.Value}");
            return x;
        });
        var gc = c.Get().Map(x =>
        {
            order.Add($"c:{x.Value}");
            push(Some(2));
            return x;
        });
        push(Some(1));
        Assert.Equal(Some(1), gs.Value);
        Assert.Equal(Some(1), gc.Value);
        Assert.Equal(["c:1", "s:1"], order);
        Assert.Equal(Some(2), s.Get().Value);
        Assert.Equal(Some(2), c.Get().Value);
        Assert.True(s.Get().IsPending);
    }

    [Fact]
    public void ReaderQueuedDuringAWakeUpWaitsForTheNextItem()
    {
        // A canceled waiter ahead in the queue makes the wake-up's count include one entry too
        // many: the reader queued by the callback is reached, and must wait on, not take 1 again.
        var (s, push) = LwtStream.Create<int>();
        var dead = s.Clone().Get();
        dead.Cancel();
        Promise<Option<int>>? next = null;
        var first = s.Get().Map(x =>
        {
            next = s.Get();
            return x;
        });
        push(Some(1));
        Assert.Equal(Some(1), first.Value);
        Assert.NotNull(next);
        Assert.True(next!.IsPending);
        push(Some(2));
        Assert.Equal(Some(2), next.Value);
    }

    // Lwt 5.6.1 gives 4,3,2,1,0: its readers wait on one push signal and Lwt runs a
    // promise's callbacks newest first.
    [Fact]
    public void WaitingReadersAreServedMostRecentGetFirst()
    {
        var (s, push) = LwtStream.Create<int>();
        var readers = Enumerable.Range(0, 5).Select(_ => s.Clone()).ToArray();
        var order = new List<int>();
        var gets = readers.Select((r, i) => r.Get().Map(x =>
        {
            order.Add(i);
            return x;
        })).ToArray();
        push(Some(9));
        Assert.Equal([4, 3, 2, 1, 0], order);
        Assert.All(gets, g => Assert.Equal(Some(9), g.Value));
    }

    // Differential test against Lwt 5.6.1: junk then is_empty wait on an empty push stream;
    // push 1 wakes is_empty first (the later reader), which sees the item (false), then junk
    // consumes it. Served oldest first, junk consumed the item and is_empty waited on.
    [Fact]
    public void ALaterReaderIsWokenBeforeAnEarlierOneAsInLwt()
    {
        var (s, push) = LwtStream.Create<int>();
        var order = new List<string>();
        var junk = s.Junk();
        var isEmpty = s.IsEmpty();
        junk.OnTermination(() => order.Add("junk"));
        isEmpty.OnTermination(() => order.Add("is_empty"));
        push(Some(1));
        Assert.Equal(["is_empty", "junk"], order);
        Assert.False(isEmpty.Value);
        Assert.True(s.Get().IsPending); // junk consumed the item
    }

    [Fact]
    public void CanceledReaderLeavesTheQueueAndTheOthersStillGetTheItem()
    {
        var (s, push) = LwtStream.Create<int>();
        var c1 = s.Clone();
        var c2 = s.Clone();
        var g1 = c1.Get();
        var g2 = c2.Get();
        var g = s.Get();
        g1.Cancel();
        push(Some(4));
        Assert.True(g1.IsCanceled);
        Assert.Equal(Some(4), g2.Value);
        Assert.Equal(Some(4), g.Value);
        Assert.Equal(Some(4), c1.Get().Value);   // the canceled read consumed nothing
    }

    [Fact]
    public void ReaderThatMovedBackWithParseStillGetsTheItemItWaitedFor()
    {
        // Parse puts a stream back where it was when its parser fails; a Get waiting meanwhile
        // read at its own position, and consumed nothing once the stream had moved.
        var (s, push) = LwtStream.Create<int>();
        push(Some(1));
        Promise<Option<int>>? waiting = null;
        var parsed = s.Parse<int>(st =>
        {
            Assert.Equal(Some(1), st.Get().Value);
            waiting = st.Get();
            return Promise.Fail<int>(new InvalidOperationException("no"));
        });
        Assert.True(parsed.IsRejected);
        Assert.True(waiting!.IsPending);
        push(Some(2));
        Assert.Equal(Some(2), waiting.Value);
        Assert.Equal(Some(1), s.Get().Value);   // rewound: 1 again, then 2
        Assert.Equal(Some(2), s.Get().Value);
    }

    [Fact]
    public void FeedWaitersAndGetWaitersShareTheQueue()
    {
        // Peek and NGet wait with feed waiters; Get with Get waiters; one push serves them all.
        var (s, push) = LwtStream.Create<int>();
        var peek = s.Peek();
        var get = s.Clone().Get();
        var two = s.NGet(2);
        push(Some(1));
        Assert.Equal(Some(1), peek.Value);
        Assert.Equal(Some(1), get.Value);
        Assert.True(two.IsPending);
        push(Some(2));
        Assert.Equal([1, 2], two.Value);
    }
}
