namespace Lwt.Tests.Library;

// The "Must show" list, where the per-module test files left gaps: FIFO with a
// canceled waiter in the middle of a queue (nothing else disturbed), exact pool
// validation/disposal counts, switch hooks once and in order, bad input, and the same
// behaviours under the event loop (LwtMain.Run).
public class LibraryMustShowTests
{
    private static Option<T> Some<T>(T x) => Option.Some(x);

    // ---------------------------------------------------------------- mvar

    [Fact]
    public void MVarCanceledTakerInTheMiddleLeavesOthersUndisturbed()
    {
        var v = LwtMVar<int>.CreateEmpty();
        var a = v.Take();
        var b = v.Take();
        var c = v.Take();
        b.Cancel();
        Assert.True(b.IsCanceled);
        Assert.True(v.Put(1).IsFulfilled);
        Assert.True(v.Put(2).IsFulfilled);
        Assert.Equal(1, a.Value);
        Assert.Equal(2, c.Value);
        Assert.True(v.IsEmpty);
    }

    [Fact]
    public void MVarCanceledPutterInTheMiddleLeavesOthersUndisturbed()
    {
        var v = LwtMVar<int>.Create(0);
        var p1 = v.Put(1);
        var p2 = v.Put(2);
        var p3 = v.Put(3);
        p2.Cancel();
        Assert.Equal(0, v.Take().Value);
        Assert.True(p1.IsFulfilled && p3.IsPending);
        Assert.Equal(1, v.Take().Value);
        Assert.True(p3.IsFulfilled);
        Assert.Equal(3, v.Take().Value);
        Assert.True(p2.IsCanceled);
        Assert.True(v.IsEmpty);
    }

    private static async Promise<List<int>> Taker(LwtMVar<int> v, int count)
    {
        var got = new List<int>();
        for (int i = 0; i < count; i++) got.Add(await v.Take());
        return got;
    }

    [Fact]
    public void MVarUnderTheLoopIsFifoAcrossTakers()
    {
        var (a, b) = LwtMain.Run(() =>
        {
            var v = LwtMVar<int>.CreateEmpty();
            var ta = Taker(v, 3);
            var tb = Taker(v, 3);
            async Promise Producer()
            {
                for (int i = 0; i < 6; i++)
                {
                    await v.Put(i);
                    await Promise.Pause();
                }
            }
            return Promise.Join(Producer(), ta, tb).Bind(() => Promise.Return((ta.Value, tb.Value)));
        });
        // The takers alternate: each one re-queues behind the other after being served.
        Assert.Equal([0, 2, 4], a);
        Assert.Equal([1, 3, 5], b);
    }

    // ---------------------------------------------------------------- mutex / condition

    [Fact]
    public void MutexFifoUnderTheLoopWithACanceledWaiter()
    {
        var order = LwtMain.Run(() =>
        {
            var m = LwtMutex.Create();
            var order = new List<int>();
            var first = m.Lock();
            var waiters = Enumerable.Range(1, 4).Select(i => m.Lock().Map(() => { order.Add(i); m.Unlock(); return Unit.Value; })).ToList();
            var canceled = m.Lock();
            var last = m.Lock().Map(() => { order.Add(6); m.Unlock(); return Unit.Value; });
            canceled.Cancel();
            return LwtUnix.Sleep(0.01).Bind(() =>
            {
                m.Unlock();
                return Promise.Join(waiters.Append<Promise>(last)).Map(() => order);
            });
        });
        Assert.Equal([1, 2, 3, 4, 6], order);
    }

    [Fact]
    public void ConditionSignalIsFifoAndSkipsACanceledWaiter()
    {
        var c = LwtCondition<int>.Create();
        var w1 = c.Wait();
        var w2 = c.Wait();
        var w3 = c.Wait();
        w2.Cancel();
        c.Signal(1);
        Assert.Equal(1, w1.Value);
        Assert.True(w3.IsPending);
        c.Signal(3);
        Assert.Equal(3, w3.Value);
        Assert.True(w2.IsCanceled);
    }

    // ---------------------------------------------------------------- pool

    private sealed class Counters
    {
        public int Created, Validated, Checked, Disposed;
    }

    [Fact]
    public void PoolValidationAndDisposalCounts()
    {
        var c = new Counters();
        var invalid = new HashSet<int>();
        var pool = LwtPool<int>.Create(
            2,
            () => Promise.Return(++c.Created),
            validate: x => { c.Validated++; return Promise.Return(!invalid.Contains(x)); },
            check: (_, ok) => { c.Checked++; ok(false); },
            dispose: _ => { c.Disposed++; return Promise.ReturnUnit; });

        // Two users at once: two members created, none validated (fresh members are not).
        var (p1, r1) = Promise.Create<int>();
        var (p2, r2) = Promise.Create<int>();
        var u1 = pool.Use(_ => p1);
        var u2 = pool.Use(_ => p2);
        var u3 = pool.Use(x => Promise.Return(x));   // waits: max reached
        Assert.Equal((2, 0, 0), (c.Created, c.Validated, c.Disposed));
        Assert.Equal(1, pool.WaitQueueLength);

        // A returned member goes to the waiter, validated first.
        r1.Resolve(0);
        Assert.True(u1.IsFulfilled && u3.IsFulfilled);
        Assert.Equal((2, 1, 0), (c.Created, c.Validated, c.Disposed));

        // Both members idle; the next three uses reuse them, validating each time.
        r2.Resolve(0);
        for (int i = 0; i < 3; i++) Assert.True(pool.Use(x => Promise.Return(x)).IsFulfilled);
        Assert.Equal((2, 4, 0), (c.Created, c.Validated, c.Disposed));

        // Member 1 becomes invalid: disposed once and replaced when it is next picked.
        invalid.Add(1);
        var seen = new List<int>();
        for (int i = 0; i < 4; i++) pool.Use(x => { seen.Add(x); return Promise.Return(x); });
        Assert.DoesNotContain(1, seen);
        Assert.Equal(1, c.Disposed);
        Assert.Equal(3, c.Created);

        // A failing use runs check (which says "dispose"): one more disposal, none for success.
        Assert.True(pool.Use<int>(_ => Promise.Fail<int>(new FormatException())).IsRejected);
        Assert.Equal(1, c.Checked);
        Assert.Equal(2, c.Disposed);

        // Clear disposes every idle member exactly once.
        int before = c.Disposed;
        Assert.True(pool.Clear().IsFulfilled);
        int idleDisposed = c.Disposed - before;
        Assert.Equal(1, idleDisposed);   // members: 1 disposed, 3 disposed by check, 2 idle
        Assert.True(pool.Clear().IsFulfilled);
        Assert.Equal(before + 1, c.Disposed);
    }

    // ---------------------------------------------------------------- switch

    [Fact]
    public void SwitchHooksRunOnceInOrderEvenWhenTurnedOffTwiceWhilePending()
    {
        var sw = LwtSwitch.Create();
        var order = new List<string>();
        var (p, r) = Promise.Create();
        sw.AddHook(() => { order.Add("first added"); return Promise.ReturnUnit; });
        sw.AddHook(() => { order.Add("second added"); return p; });
        var off1 = sw.TurnOff();
        var off2 = sw.TurnOff();
        Assert.True(off1.IsPending);
        Assert.Equal(["second added", "first added"], order);
        r.Resolve();
        Assert.True(off1.IsFulfilled);
        Assert.True(off2.IsFulfilled);
        Assert.Equal(2, order.Count);
        Assert.Throws<LwtSwitch.OffException>(() => sw.Check());
        Assert.Throws<LwtSwitch.OffException>(() => sw.AddHook(() => Promise.ReturnUnit));
        bool ran = false;
        Assert.True(sw.AddHookOrExec(() => { ran = true; return Promise.ReturnUnit; }).IsFulfilled);
        Assert.True(ran);
    }

    [Fact]
    public void SwitchBadInput()
    {
        var sw = LwtSwitch.Create();
        Assert.Throws<ArgumentNullException>(() => sw.AddHook(null!));
        Assert.Throws<ArgumentNullException>(() => sw.AddHookOrExec(null!));
        Assert.Throws<ArgumentNullException>(() => LwtSwitch.WithSwitch((Func<LwtSwitch, Promise>)null!));
        LwtSwitch.Check(null);                 // no switch: nothing to check
        LwtSwitch.AddHook(null, () => throw new InvalidOperationException("never run"));
    }

    // ---------------------------------------------------------------- stream

    [Fact]
    public void StreamClosingUnderTheLoopWakesEveryWaitingReader()
    {
        var results = LwtMain.Run(() =>
        {
            var (s, push) = LwtStream.Create<int>();
            var c = s.Clone();
            var readers = new[] { s.Get(), c.Get(), s.Peek(), c.NGet(3).Map(l => l.Count == 0 ? Option<int>.None : Some(l[0])) };
            var closed = s.Closed();
            Assert.True(readers.All(r => r.IsPending) && closed.IsPending);
            return LwtUnix.Sleep(0.01).Bind(() =>
            {
                push(Option<int>.None);
                Assert.True(closed.IsFulfilled);
                Assert.Throws<LwtStream.ClosedException>(() => push(Option<int>.None));
                return Promise.All(readers);
            });
        });
        Assert.All(results, r => Assert.False(r.HasValue));
    }

    [Fact]
    public void StreamBoundedPushBlocksFullThenResumesInOrder()
    {
        var (s, bp) = LwtStream.CreateBounded<int>(2);
        Assert.True(bp.Push(1).IsFulfilled);
        Assert.True(bp.Push(2).IsFulfilled);
        var blocked = bp.Push(3);
        Assert.True(blocked.IsPending && bp.Blocked);
        var full = bp.Push(4);
        Assert.IsType<LwtStream.FullException>(full.Exception);
        Assert.True(blocked.IsPending);                  // the Full push disturbed nothing
        Assert.Equal(2, bp.Count);
        Assert.Equal(Some(1), s.Get().Value);            // room: the blocked item goes in
        Assert.True(blocked.IsFulfilled && !bp.Blocked);
        Assert.Equal(2, bp.Count);
        Assert.True(bp.Push(5).IsPending);
        bp.Resize(4);                                     // room again: 5 goes in
        Assert.Equal(3, bp.Count);
        Assert.Equal([2, 3, 5], s.NGet(3).Value);
        bp.Close();
        Assert.IsType<LwtStream.ClosedException>(bp.Push(6).Exception);
        Assert.Equal(Option<int>.None, s.Get().Value);
    }

    [Fact]
    public void StreamBadInput()
    {
        var (s, _) = LwtStream.Create<int>();
        Assert.Throws<ArgumentNullException>(() => LwtStream.From<int>(null!));
        Assert.Throws<ArgumentNullException>(() => LwtStream.FromDirect<int>(null!));
        Assert.Throws<ArgumentNullException>(() => LwtStream.OfList<int>(null!));
        Assert.Throws<ArgumentNullException>(() => LwtStream.OfString(null!));
        Assert.Throws<ArgumentNullException>(() => s.Map<int>(null!));
        Assert.Throws<ArgumentNullException>(() => s.MapS<int>(null!));
        Assert.Throws<ArgumentNullException>(() => s.Filter(null!));
        Assert.Throws<ArgumentNullException>(() => s.FilterMap<int>(null!));
        Assert.Throws<ArgumentNullException>(() => s.Iter(null!));
        Assert.Throws<ArgumentNullException>(() => s.IterS(null!));
        Assert.Throws<ArgumentNullException>(() => s.IterP(null!));
        Assert.Throws<ArgumentNullException>(() => s.Fold<int>(null!, 0));
        Assert.Throws<ArgumentNullException>(() => s.Find(null!));
        Assert.Throws<ArgumentNullException>(() => s.GetWhile(null!));
        Assert.Throws<ArgumentNullException>(() => LwtStream.Append(s, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtStream.CreateBounded<int>(-1));
        Assert.Empty(s.NGet(-1).Value);                   // as Lwt: n <= 0 reads nothing
    }

    [Fact]
    public void StreamCanceledGetInTheMiddleLeavesOthersUndisturbed()
    {
        var (s, push) = LwtStream.Create<int>();
        var c1 = s.Clone();
        var c2 = s.Clone();
        var g1 = c1.Get();
        var g2 = s.Get();
        var g3 = c2.Get();
        g2.Cancel();
        push(Some(7));
        Assert.Equal(Some(7), g1.Value);
        Assert.Equal(Some(7), g3.Value);
        Assert.True(g2.IsCanceled);
        Assert.Equal(Some(7), s.Get().Value);              // s's item was not consumed by the canceled read
    }
}
