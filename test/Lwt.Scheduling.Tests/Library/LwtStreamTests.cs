namespace Lwt.Tests.Library;

public class LwtStreamTests
{
    private static Option<T> Some<T>(T x) => Option.Some(x);

    [Fact]
    public void PushThenGetInOrder()
    {
        var (s, push) = LwtStream.Create<int>();
        for (int i = 0; i < 100; i++) push(Some(i));
        for (int i = 0; i < 100; i++) Assert.Equal(Some(i), s.Get().Value);
        Assert.True(s.Get().IsPending);
    }

    [Fact]
    public void WaitingReaderWokenByPush()
    {
        var (s, push) = LwtStream.Create<string>();
        var g = s.Get();
        Assert.True(g.IsPending);
        push(Some("a"));
        Assert.Equal(Some("a"), g.Value);
    }

    [Fact]
    public void ClosingWakesWaitingReadersWithEndOfStream()
    {
        var (s, push) = LwtStream.Create<int>();
        var c = s.Clone();
        var g1 = s.Get();
        var g2 = c.Get();
        var p = s.Peek();
        Assert.False(s.IsClosed);
        push(Option<int>.None);
        Assert.Equal(Option<int>.None, g1.Value);
        Assert.Equal(Option<int>.None, g2.Value);
        Assert.Equal(Option<int>.None, p.Value);
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
        Assert.Throws<LwtStream.ClosedException>(() => push(Some(1)));
        Assert.True(s.IsEmpty().Value);
    }

    [Fact]
    public void CanceledGetLeavesItemForNextReader()
    {
        var (s, push) = LwtStream.Create<int>();
        var g1 = s.Get();
        g1.Cancel();
        Assert.True(g1.IsCanceled);
        var g2 = s.Get();
        push(Some(5));
        Assert.Equal(Some(5), g2.Value);
        push(Some(6));
        Assert.Equal(Some(6), s.Get().Value);
    }

    [Fact]
    public void TwoPendingGetsOnOneStreamSeeTheSameItem()
    {
        // As in Lwt: both reads wait at the same position; the item is consumed once.
        var (s, push) = LwtStream.Create<int>();
        var a = s.Get();
        var b = s.Get();
        push(Some(1));
        push(Some(2));
        Assert.Equal(Some(1), a.Value);
        Assert.Equal(Some(1), b.Value);
        Assert.Equal(Some(2), s.Get().Value);
    }

    [Fact]
    public void CanceledWaiterDoesNotMakeAPushWakeReadersOutOfTurn()
    {
        // Each push wakes the readers waiting at that moment, in order; a woken reader that
        // needs more waits again at the back (Lwt: it re-registers on the next push signal).
        // A canceled read in the queue once made the push also wake, out of turn, the
        // IsEmpty re-queued during that wake-up, which then went behind the NGet: the next
        // push let the NGet take the item first and IsEmpty stayed pending.
        var (s, push) = LwtStream.Create<int>();
        var canceled = s.Get();
        canceled.Cancel();
        var get = s.Get();
        var isEmpty = s.IsEmpty();
        var nget = s.NGet(2);
        push(Some(0));
        Assert.Equal(Some(0), get.Value);
        Assert.True(isEmpty.IsPending); // the Get took item 0 first
        push(Some(1));
        Assert.False(isEmpty.Value);    // woken before the NGet, it sees item 1
        Assert.Equal([0, 1], nget.Value);
    }

    [Fact]
    public void ClonesShareItemsAndReadIndependently()
    {
        var (s, push) = LwtStream.Create<int>();
        push(Some(1));
        var c = s.Clone();
        push(Some(2));
        Assert.Equal(Some(1), s.Get().Value);
        Assert.Equal(Some(2), s.Get().Value);
        Assert.Equal(Some(1), c.Get().Value);
        Assert.Equal(Some(2), c.Get().Value);
        var waitS = s.Get();
        var waitC = c.Get();
        push(Some(3));
        Assert.Equal(Some(3), waitS.Value);
        Assert.Equal(Some(3), waitC.Value);
    }

    [Fact]
    public void ManyItemsAcrossChunks()
    {
        var (s, push) = LwtStream.Create<int>();
        var c = s.Clone();
        for (int i = 0; i < 10_000; i++) push(Some(i));
        push(Option<int>.None);
        Assert.Equal(Enumerable.Range(0, 10_000), s.ToList().Value);
        Assert.Equal(49_995_000L, c.Fold((x, acc) => acc + x, 0L).Value);
    }

    [Fact]
    public void BoundedPushBlocksAndSecondPendingPushIsFull()
    {
        var (s, b) = LwtStream.CreateBounded<int>(2);
        Assert.Equal(2, b.Size);
        Assert.True(b.Push(1).IsFulfilled);
        Assert.True(b.Push(2).IsFulfilled);
        Assert.Equal(2, b.Count);
        var third = b.Push(3);
        Assert.True(third.IsPending);
        Assert.True(b.Blocked);
        var fourth = b.Push(4);
        Assert.IsType<LwtStream.FullException>(fourth.Exception);
        Assert.Equal(Some(1), s.Get().Value);
        Assert.True(third.IsFulfilled);
        Assert.False(b.Blocked);
        Assert.Equal(2, b.Count);
        Assert.Equal([2, 3], s.GetAvailable());
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void BoundedPush_SeveralProducersThroughAMutex_AreQueuedInsteadOfFull()
    {
        // CreateBounded's documented pattern: the mutex lets one push wait at a time.
        var (s, b) = LwtStream.CreateBounded<int>(1);
        var mutex = LwtMutex.Create();
        var pushes = Enumerable.Range(0, 4).Select(i => mutex.WithLock(() => b.Push(i))).ToArray();
        Assert.True(pushes[0].IsFulfilled);
        Assert.All(pushes.Skip(1), p => Assert.True(p.IsPending)); // none is Full
        for (int i = 0; i < 4; i++) Assert.Equal(Some(i), s.Get().Value);
        Assert.All(pushes, p => Assert.True(p.IsFulfilled));
    }

    [Fact]
    public void BoundedCloseRejectsPendingPushAndEndsReaders()
    {
        var (s, b) = LwtStream.CreateBounded<int>(0);
        var p = b.Push(1);
        Assert.True(p.IsPending);
        b.Close();
        Assert.True(b.Closed);
        Assert.IsType<LwtStream.ClosedException>(p.Exception);
        Assert.IsType<LwtStream.ClosedException>(b.Push(2).Exception);
        Assert.Equal(Option<int>.None, s.Get().Value);
    }

    [Fact]
    public void BoundedSizeZeroHandsOffToReader()
    {
        var (s, b) = LwtStream.CreateBounded<int>(0);
        var g = s.Get();
        var p = b.Push(7);
        Assert.True(p.IsPending);   // no room: waits for a read
        b.Resize(1);
        Assert.True(p.IsFulfilled);
        Assert.Equal(Some(7), g.Value);
    }

    [Fact]
    public void BoundedCanceledPushWithdrawsItem()
    {
        var (s, b) = LwtStream.CreateBounded<int>(1);
        b.Push(1);
        var p = b.Push(2);
        p.Cancel();
        Assert.True(p.IsCanceled);
        Assert.False(b.Blocked);
        Assert.True(b.Push(3).IsPending);
        Assert.Equal(Some(1), s.Get().Value);
        Assert.Equal(Some(3), s.Get().Value);
    }

    [Fact]
    public void BoundedBadInput()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtStream.CreateBounded<int>(-1));
        var (s, b) = LwtStream.CreateBounded<int>(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Resize(-1));
        Assert.Throws<InvalidOperationException>(() => s.Clone());
    }

    [Fact]
    public void FromAndFromDirect()
    {
        int n = 0;
        var s = LwtStream.From(() => Promise.Return(n < 3 ? Some(n++) : Option<int>.None));
        Assert.Equal([0, 1, 2], s.ToList().Value);
        Assert.True(s.IsClosed);
        int m = 0;
        var d = LwtStream.FromDirect(() => m < 3 ? Some(m++) : Option<int>.None);
        Assert.Equal([0, 1], d.NGet(2).Value);
        Assert.Equal([2], d.NGet(5).Value);
        Assert.Throws<ArgumentNullException>(() => LwtStream.From<int>(null!));
    }

    [Fact]
    public void FromSharesTheRequestInFlight()
    {
        int calls = 0;
        var (p, r) = Promise.Create<Option<int>>();
        var s = LwtStream.From(() => { calls++; return p; });
        var c = s.Clone();
        var g1 = s.Get();
        var g2 = c.Get();
        Assert.Equal(1, calls);
        r.Resolve(Some(9));
        Assert.Equal(Some(9), g1.Value);
        Assert.Equal(Some(9), g2.Value);
    }

    [Fact]
    public void FromFailureRejectsReadAndWrapExnTurnsItIntoError()
    {
        int n = 0;
        var s = LwtStream.From(() => n++ == 1 ? Promise.Fail<Option<int>>(new FormatException()) : Promise.Return(n < 4 ? Some(n) : Option<int>.None));
        Assert.Equal(Some(1), s.Get().Value);
        Assert.IsType<FormatException>(s.Get().Exception);
        Assert.Equal(Some(3), s.Get().Value);

        n = 0;
        var w = LwtStream.From(() => n++ == 1 ? Promise.Fail<Option<int>>(new FormatException()) : Promise.Return(n < 4 ? Some(n) : Option<int>.None)).WrapExn();
        var items = w.ToList().Value;
        Assert.Equal(3, items.Count);
        Assert.True(items[0].IsOk);
        Assert.IsType<FormatException>(items[1].ErrorValue);
        Assert.Equal(3, items[2].Value);
    }

    [Fact]
    public void OfListArrayStringSeq()
    {
        Assert.Equal([1, 2, 3], LwtStream.OfList(new List<int> { 1, 2, 3 }).ToList().Value);
        Assert.Equal([1, 2], LwtStream.OfArray(new[] { 1, 2 }).ToList().Value);
        Assert.Equal("abc", LwtStream.ToString(LwtStream.OfString("abc")).Value);
        Assert.Equal([0, 1, 2], LwtStream.OfSeq(Enumerable.Range(0, 3)).ToList().Value);
        Assert.True(LwtStream.OfList(Array.Empty<int>()).IsEmpty().Value);
        Assert.Equal([5, 6], LwtStream.OfLwtSeq(LwtSeq.OfList(new[] { 5, 6 })).ToList().Value);
    }

    [Fact]
    public void Consumers()
    {
        var s = LwtStream.OfList(Enumerable.Range(1, 10));
        Assert.Equal(Some(1), s.Peek().Value);
        Assert.Equal([1, 2, 3], s.NPeek(3).Value);
        Assert.Equal(1, s.Next().Value);
        Assert.True(s.Junk().IsFulfilled);                    // 2
        Assert.True(s.NJunk(2).IsFulfilled);                  // 3, 4
        Assert.Equal([5, 6], s.GetWhile(x => x < 7).Value);
        Assert.True(s.JunkWhile(x => x < 8).IsFulfilled);     // 7
        Assert.Equal([8], s.GetWhileS(x => Promise.Return(x < 9)).Value);
        Assert.True(s.JunkWhileS(x => Promise.Return(x < 10)).IsFulfilled);
        Assert.Equal([10], s.GetAvailableUpTo(5));
        Assert.IsType<LwtStream.EmptyException>(s.Next().Exception);
        Assert.IsType<LwtStream.EmptyException>(s.LastNew().Exception);
        Assert.Throws<ArgumentNullException>(() => s.GetWhile(null!));
    }

    [Fact]
    public void LastNewAndJunkOld()
    {
        var (s, push) = LwtStream.Create<int>();
        var waiting = s.LastNew();
        Assert.True(waiting.IsPending);
        push(Some(1));
        Assert.Equal(1, waiting.Value);
        push(Some(2)); push(Some(3)); push(Some(4));
        Assert.Equal(4, s.LastNew().Value);
        push(Some(5));
        Assert.True(s.JunkOld().IsFulfilled);
        Assert.Empty(s.GetAvailable());
    }

    [Fact]
    public void Transformers()
    {
        LwtStream<int> Src() => LwtStream.OfList(Enumerable.Range(1, 6));
        Assert.Equal([2, 4, 6, 8, 10, 12], Src().Map(x => x * 2).ToList().Value);
        Assert.Equal([2, 4, 6, 8, 10, 12], Src().MapS(x => Promise.Return(x * 2)).ToList().Value);
        Assert.Equal([2, 4, 6], Src().Filter(x => x % 2 == 0).ToList().Value);
        Assert.Equal([2, 4, 6], Src().FilterS(x => Promise.Return(x % 2 == 0)).ToList().Value);
        Assert.Equal(["1", "3", "5"], Src().FilterMap(x => x % 2 == 1 ? Some(x.ToString()) : Option<string>.None).ToList().Value);
        Assert.Equal(["1", "3", "5"], Src().FilterMapS(x => Promise.Return(x % 2 == 1 ? Some(x.ToString()) : Option<string>.None)).ToList().Value);
        Assert.Equal([1, 1, 2, 2], Src().MapList(x => x <= 2 ? new[] { x, x } : []).ToList().Value);
        Assert.Equal([1, 1], Src().MapListS(x => Promise.Return<IEnumerable<int>>(x == 1 ? new[] { x, x } : [])).ToList().Value);
        Assert.Equal(21, Src().FoldS((x, acc) => Promise.Return(x + acc), 0).Value);
        Assert.Equal(Some(4), Src().Find(x => x > 3).Value);
        Assert.Equal(Some(4), Src().FindS(x => Promise.Return(x > 3)).Value);
        Assert.Equal(Some("5"), Src().FindMap(x => x == 5 ? Some("5") : Option<string>.None).Value);
        Assert.Equal(Option<string>.None, Src().FindMapS(x => Promise.Return(Option<string>.None)).Value);
        Assert.Equal([(1, 1), (2, 2)], Src().Combine(LwtStream.OfList(new[] { 1, 2 })).ToList().Value);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], Src().Append(LwtStream.OfList(new[] { 7 })).ToList().Value);
        Assert.Equal([1, 2, 3], LwtStream.Concat(LwtStream.OfList(new[] { LwtStream.OfList(new[] { 1 }), LwtStream.OfList(new[] { 2, 3 }) })).ToList().Value);
        Assert.Equal([1, 2, 3], LwtStream.Flatten(LwtStream.OfList(new IEnumerable<int>[] { [1], [2, 3] })).ToList().Value);
        Assert.Throws<ArgumentNullException>(() => Src().Map<int>(null!));
    }

    [Fact]
    public void Iterations()
    {
        var seen = new List<int>();
        Assert.True(LwtStream.OfList(new[] { 1, 2 }).Iter(seen.Add).IsFulfilled);
        Assert.True(LwtStream.OfList(new[] { 3 }).IterS(x => { seen.Add(x); return Promise.ReturnUnit; }).IsFulfilled);
        Assert.Equal([1, 2, 3], seen);

        var gates = new List<Resolver<Unit>>();
        var p = LwtStream.OfList(new[] { 1, 2, 3 }).IterP(_ => { var (q, r) = Promise.Create(); gates.Add(r); return q; });
        Assert.Equal(3, gates.Count);   // all started
        foreach (var g in gates) g.Resolve();
        Assert.True(p.IsFulfilled);

        gates.Clear();
        int running = 0, most = 0;
        var n = LwtStream.OfList(Enumerable.Range(0, 10)).IterN(_ =>
        {
            running++; most = Math.Max(most, running);
            var (q, r) = Promise.Create();
            gates.Add(r);
            return q.Map(() => { running--; return Unit.Value; });
        }, maxConcurrency: 3);
        while (n.IsPending) gates.First(g => g.Promise.IsPending).Resolve();
        Assert.Equal(3, most);
        Assert.Equal(10, gates.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtStream.OfList(new[] { 1 }).IterN(_ => Promise.ReturnUnit, 0));
    }

    [Fact]
    public void ChooseInterleavesAvailableItems()
    {
        var (a, pushA) = LwtStream.Create<int>();
        var (b, pushB) = LwtStream.Create<int>();
        var c = LwtStream.Choose(a, b);
        var g = c.Get();
        pushB(Some(2));
        Assert.Equal(Some(2), g.Value);
        pushA(Some(1));
        Assert.Equal(Some(1), c.Get().Value);
        pushA(Option<int>.None);
        pushB(Option<int>.None);
        Assert.Equal(Option<int>.None, c.Get().Value);
    }

    [Fact]
    public void ParseRewindsOnFailure()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        var failed = s.Parse<int>(st => st.NGet(2).Bind(_ => Promise.Fail<int>(new FormatException())));
        Assert.IsType<FormatException>(failed.Exception);
        Assert.Equal([1, 2, 3], s.ToList().Value);
    }

    [Fact]
    public void CreateWithReference()
    {
        var (s, push, setRef) = LwtStream.CreateWithReference<int>();
        setRef(new object());
        push(Some(1));
        Assert.Equal(Some(1), s.Get().Value);
    }

    private static async Promise<long> Consume(LwtStream<int> s)
    {
        long sum = 0;
        while (true)
        {
            var x = await s.Get();
            if (!x.HasValue) return sum;
            sum += x.Value;
        }
    }

    [Fact]
    public void ProducerConsumer()
    {
        var (s, push) = LwtStream.Create<int>();
        var c = Consume(s);
        for (int i = 0; i < 1000; i++) push(Some(i));
        push(Option<int>.None);
        Assert.Equal(999L * 1000 / 2, c.Value);
    }

    /// <summary>The bytes of one promise of an item (Promise&lt;Option&lt;int&gt;&gt;), measured here.</summary>
    private static long OnePromiseBytes()
    {
        const int k = 1000;
        var keep = new Promise<Option<int>>[k];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < k; i++) keep[i] = Promise.Return(Some(i));
        long one = (GC.GetAllocatedBytesForCurrentThread() - before) / k;
        GC.KeepAlive(keep);
        return one;
    }

    // The chunks of the buffer add a few bytes per item, amortized (256 ints in 1 KB):
    // "at most one object" is one promise plus that, well under two promises.
    private const long ChunkShare = 8;

    [Fact]
    public void UnboundedItemAllocatesAtMostOneObject()
    {
        long one = OnePromiseBytes();
        var (s, push) = LwtStream.Create<int>();
        for (int i = 0; i < 1000; i++) { push(Some(i)); s.Get(); var w = s.Get(); push(Some(i)); }
        const int n = 10_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            push(Some(i));          // into the chunk
            var g = s.Get();        // one fulfilled promise
            if (!g.IsFulfilled) throw new InvalidOperationException();
        }
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.True(perOp <= one + ChunkShare, $"{perOp} bytes per item (available), one promise is {one}");

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            var g = s.Get();        // waits: the waiter is the promise, nothing else
            push(Some(i));          // wakes it
            if (!g.IsFulfilled) throw new InvalidOperationException();
        }
        perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Assert.True(perOp <= one + ChunkShare, $"{perOp} bytes per item (blocked reader), one promise is {one}");
    }

    [Fact]
    public void AsyncReaderLoopAllocatesOneObjectPerItem()
    {
        // The shape of the stream/async workload: an async reader woken by every push.
        long one = OnePromiseBytes();
        var (warm, warmPush) = LwtStream.Create<int>();
        var w = Consume(warm);
        for (int i = 0; i < 1000; i++) warmPush(Some(i));
        warmPush(Option<int>.None);
        Assert.True(w.IsFulfilled);

        var (s, push) = LwtStream.Create<int>();
        var c = Consume(s);     // suspended: its box is allocated here, once
        const int n = 10_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++) push(Some(i));
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        push(Option<int>.None);
        Assert.Equal((long)n * (n - 1) / 2, c.Value);
        Assert.True(perOp <= one + ChunkShare, $"{perOp} bytes per item, one promise is {one}");
    }

    private static async Promise BoundedProduce(BoundedPush<int> b, int n)
    {
        for (int i = 0; i < n; i++) await b.Push(i);
        b.Close();
    }

    [Fact]
    public void BoundedItemAllocatesAtMostOneObject()
    {
        // The shape of stream/bounded1024/async: the reader waits, every push wakes it; a
        // push with room returns the shared unit promise.
        long one = OnePromiseBytes();
        var (ws, wb) = LwtStream.CreateBounded<int>(16);
        var wc = Consume(ws);
        Assert.True(BoundedProduce(wb, 1000).IsFulfilled);
        Assert.True(wc.IsFulfilled);

        var (s, b) = LwtStream.CreateBounded<int>(16);
        var c = Consume(s);
        const int n = 10_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
            if (!b.Push(i).IsFulfilled) throw new InvalidOperationException();
        long perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        b.Close();
        Assert.Equal((long)n * (n - 1) / 2, c.Value);
        Assert.Equal(0, b.Count);
        Assert.True(perOp <= one + ChunkShare, $"{perOp} bytes per item, one promise is {one}");
    }

    [Fact]
    public void JunkAvailable_drops_what_is_buffered_without_waiting()
    {
        var (s, push) = LwtStream.Create<int>();
        var c = s.Clone();
        push(Some(1));
        push(Some(2));
        s.JunkAvailable();
        Assert.Empty(s.GetAvailable());
        var next = s.Get();
        Assert.True(next.IsPending); // nothing left, and JunkAvailable did not wait either
        push(Some(3));
        Assert.Equal(Some(3), next.Value);
        // A clone reads its own copy: junking through s took nothing from c.
        Assert.Equal([1, 2, 3], c.GetAvailable());
    }

    [Fact]
    public void JunkAvailable_on_an_empty_or_ended_stream_does_nothing()
    {
        var (s, push) = LwtStream.Create<int>();
        s.JunkAvailable();
        push(Option<int>.None);
        s.JunkAvailable();
        Assert.Equal(Option<int>.None, s.Get().Value);
    }

    [Fact]
    public void JunkAvailable_pulls_a_direct_source_to_its_end_and_a_from_source_until_it_would_wait()
    {
        int n = 0;
        var direct = LwtStream.FromDirect(() => n < 5 ? Some(n++) : Option<int>.None);
        direct.JunkAvailable();
        Assert.Equal(5, n);
        Assert.Equal(Option<int>.None, direct.Get().Value);

        var (pending, resolver) = Promise.Create<Option<int>>();
        int calls = 0;
        var from = LwtStream.From(() => ++calls == 1 ? Promise.Return(Some(10)) : pending);
        from.JunkAvailable();
        Assert.Equal(2, calls); // took 10, then asked again and stopped at the pending answer
        var next = from.Get();
        resolver.Resolve(Some(11));
        Assert.Equal(Some(11), next.Value);
    }

    [Fact]
    public void JunkAvailable_throws_what_a_direct_source_throws()
    {
        var boom = new InvalidDataException("source");
        var s = LwtStream.FromDirect<int>(() => throw boom);
        Assert.Same(boom, Assert.Throws<InvalidDataException>(() => s.JunkAvailable()));
    }

    [Fact]
    public void Hexdump_formats_full_lines_as_hexdump_C()
    {
        var lines = LwtStream.Hexdump(LwtStream.OfString("0123456789abcdefXY")).ToList().Value;
        Assert.Equal(2, lines.Count);
        Assert.Equal("00000000|  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|", lines[0]);
        // The short last line: offset 0x10, missing bytes as blanks so the text column lines up.
        Assert.Equal("00000010|  58 59 " + new string(' ', 43) + " |XY|", lines[1]);
        Assert.Equal(lines[0].IndexOf(" |", StringComparison.Ordinal), lines[1].IndexOf(" |", StringComparison.Ordinal));
    }

    [Fact]
    public void Hexdump_pads_past_the_middle_gap_and_shows_unprintable_bytes_as_dots()
    {
        var line = Assert.Single(LwtStream.Hexdump(LwtStream.OfString("a\n\x00\x7f\x80\xff~ b")).ToList().Value);
        Assert.Equal("00000000|  61 0a 00 7f 80 ff 7e 20  62 " + new string(' ', 21) + " |a.....~ b|", line);
    }

    [Fact]
    public void Hexdump_of_an_empty_stream_is_empty_and_it_reads_lazily()
    {
        Assert.Empty(LwtStream.Hexdump(LwtStream.OfString("")).ToList().Value);
        var (s, push) = LwtStream.Create<char>();
        var first = LwtStream.Hexdump(s).Get();
        foreach (char ch in "0123456789abcde") push(Some(ch));
        Assert.True(first.IsPending); // fifteen bytes: the line waits for the sixteenth or the end
        push(Option<char>.None);
        Assert.Equal(Some("00000000|  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65     |0123456789abcde|"), first.Value);
    }

    [Fact]
    public void Hexdump_rejects_characters_that_are_not_bytes_and_null()
    {
        var line = LwtStream.Hexdump(LwtStream.OfString("ok\u0100")).Get();
        var e = Assert.IsType<ArgumentException>(line.Exception);
        Assert.Contains("U+0100", e.Message);
        Assert.Throws<ArgumentNullException>(() => LwtStream.Hexdump(null!));
    }
}
