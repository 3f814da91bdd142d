namespace Lwt.Tests.Library;

/// <summary>
/// Lwt_stream, Lwt_mvar, Lwt_mutex, Lwt_condition, Lwt_pool, Lwt_switch and Lwt_list checked
/// against their .mli documentation and, where it is terse, lwt's own implementation (the
/// comments name the lwt source each expectation comes from).
/// </summary>
public class LibraryAuditTests
{
    private static Option<T> Some<T>(T x) => Option.Some(x);

    // ================================================================ ordering and failure details of lwt's implementation

    // lwt_list.ml: iter_p f l = let ts = List.rev_map (Lwt.apply f) l in Lwt.join ts
    // Lwt.join takes the first rejected promise in its (reversed) list: the last element's exception.
    [Fact]
    public void ListIterPSeveralRejectedLastElementWins()
    {
        var res = LwtList.IterP(new[] { 1, 2 }, x => Promise.Fail(x == 1 ? new FormatException() : new InvalidCastException()));
        Assert.IsType<InvalidCastException>(res.Exception);
    }

    // lwt_list.ml: map_p f l = let ts = List.rev_map (Lwt.apply f) l in _collect_rev [] ts
    // _collect_rev binds the LAST element's promise first: if it is rejected, map_p is rejected at once.
    [Fact]
    public void ListMapPRejectsAtOnceWhenLastElementRejects()
    {
        var (pending, _) = Promise.Create<int>();
        var res = LwtList.MapP(new[] { 1, 2 }, x => x == 1 ? pending : Promise.Fail<int>(new FormatException()));
        Assert.IsType<FormatException>(res.Exception);
    }

    // ... and a rejected earlier element is reached only once the later ones have fulfilled.
    [Fact]
    public void ListMapPFirstElementRejectedWaitsForTheLaterOnes()
    {
        var (pending, r) = Promise.Create<int>();
        var res = LwtList.MapP(new[] { 1, 2 }, x => x == 1 ? Promise.Fail<int>(new FormatException()) : pending);
        Assert.True(res.IsPending);
        r.Resolve(2);
        Assert.IsType<FormatException>(res.Exception);
    }

    // Same _collect_rev: with several rejected, the last element's exception wins.
    [Fact]
    public void ListMapPSeveralRejectedLastElementWins()
    {
        var res = LwtList.MapP(new[] { 1, 2 }, x => Promise.Fail<int>(x == 1 ? new FormatException() : new InvalidCastException()));
        Assert.IsType<InvalidCastException>(res.Exception);
    }

    // rev_map_p and for_all_p wait the same way.
    [Fact]
    public void ListRevMapPAndForAllPRejectAtOnceWhenLastElementRejects()
    {
        var (pending, _) = Promise.Create<int>();
        var rev = LwtList.RevMapP(new[] { 1, 2 }, x => x == 1 ? pending : Promise.Fail<int>(new FormatException()));
        Assert.IsType<FormatException>(rev.Exception);
        var (pendingBool, _) = Promise.Create<bool>();
        var all = LwtList.ForAllP(new[] { 1, 2 }, x => x == 1 ? pendingBool : Promise.Fail<bool>(new FormatException()));
        Assert.IsType<FormatException>(all.Exception);
    }

    // A chain of binds: Cancel() reaches the promise being waited for (the last pending one).
    [Fact]
    public void ListMapPCancelReachesThePromiseBeingWaitedFor()
    {
        var (first, _) = Promise.CreateCancelable<int>();
        var (second, _) = Promise.CreateCancelable<int>();
        var res = LwtList.MapP(new[] { 1, 2 }, x => x == 1 ? first : second);
        res.Cancel();
        Assert.True(second.IsCanceled);
        Assert.True(first.IsPending); // not reached yet, as in lwt
        Assert.True(res.IsCanceled);
    }

    // lwt_switch.ml (Lwt 5): turn_off = Lwt.join (List.map (fun hook -> Lwt.apply hook ()) hooks),
    // hooks newest-first; join takes the first already-rejected promise of its list -> the NEWEST
    // failing hook's exception. (Lwt 4's Lwt_list.iter_p joined in reverse: the oldest one's.)
    [Fact]
    public void SwitchTwoFailingHooksRejectWithNewestHooksException()
    {
        var sw = LwtSwitch.Create();
        sw.AddHook(() => throw new FormatException());      // added first
        sw.AddHook(() => throw new InvalidCastException()); // added last, called first
        Assert.IsType<InvalidCastException>(sw.TurnOff().Exception);
    }

    // lwt_stream.ml iter_p_rec: Lwt.join [f x; iter_p_rec node.next f s]
    // A source failure after f(1) started still waits for f(1).
    [Fact]
    public void StreamIterPWaitsForStartedCallsWhenSourceFails()
    {
        int n = 0;
        var s = LwtStream.From(() => n++ == 0 ? Promise.Return(Some(1)) : Promise.Fail<Option<int>>(new FormatException()));
        var (gate, r) = Promise.Create();
        var p = s.IterP(_ => gate);
        Assert.True(p.IsPending);
        r.Resolve();
        Assert.IsType<FormatException>(p.Exception);
    }

    // lwt_stream.ml iter_n: get stream >>= function Some elt -> loop (f elt :: running) ...
    // f raising stops the loop: f is not called on (and the stream not read for) the next item.
    [Fact]
    public void StreamIterNStopsWhenCallbackThrows()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        int calls = 0;
        var p = s.IterN(_ => { calls++; throw new FormatException(); }, maxConcurrency: 2);
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal(1, calls);
        Assert.Equal(Some(2), s.Get().Value);
    }

    // lwt_pool.ml clear: let elements = Queue.fold (fun l element -> element :: l) [] p.list
    // -> idle members are disposed last-released first.
    [Fact]
    public void PoolClearDisposesIdleMembersInReverseQueueOrder()
    {
        int next = 0;
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(2, () => Promise.Return(next++), dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        var (g0, r0) = Promise.Create();
        var (g1, r1) = Promise.Create();
        var u0 = pool.Use(_ => g0);
        var u1 = pool.Use(_ => g1);
        r0.Resolve(); // member 0 back first
        r1.Resolve(); // member 1 back second
        Assert.True(u0.IsFulfilled && u1.IsFulfilled);
        Assert.True(pool.Clear().IsFulfilled);
        Assert.Equal([1, 0], disposed);
    }

    // ================================================================ documented behaviour

    // lwt_stream.mli: "st2 = map f st1 ... the items read from st2 are removed from st1".
    [Fact]
    public void StreamTransformsAreDestructiveAsInTheMliExample()
    {
        var st1 = LwtStream.OfList(new[] { 1, 2, 3 });
        var st2 = st1.Map(x => x.ToString());
        Assert.Equal(1, st1.Next().Value);
        Assert.Equal("2", st2.Next().Value);
    }

    [Fact]
    public void StreamMapIsLazy()
    {
        int calls = 0;
        var s = LwtStream.From(() => { calls++; return Promise.Return(Some(1)); });
        var m = s.Map(x => x + 1);
        Assert.Equal(0, calls);
        Assert.Equal(Some(2), m.Get().Value);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void StreamCloneStartsAtCurrentPositionAndIsIndependent()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        Assert.Equal(1, s.Next().Value);
        var c = s.Clone();
        Assert.Equal(2, s.Next().Value);
        Assert.Equal(2, c.Next().Value);
        Assert.Equal([3], c.ToList().Value);
        Assert.Equal([3], s.ToList().Value);
    }

    [Fact]
    public void StreamOfListIsClosedAtOnce()
    {
        var s = LwtStream.OfList(new[] { 1 });
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
        Assert.True(LwtStream.OfString("ab").IsClosed);
        Assert.True(LwtStream.OfArray(new[] { 1 }).IsClosed);
    }

    [Fact]
    public void StreamFromClosedWhenFReturnsNone()
    {
        var (p, r) = Promise.Create<Option<int>>();
        var s = LwtStream.From(() => p);
        var g = s.Get();
        Assert.False(s.IsClosed);
        r.Resolve(Option<int>.None);
        Assert.Equal(Option<int>.None, g.Value);
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
    }

    [Fact]
    public void StreamFromFailureDoesNotEndTheStream()
    {
        int n = 0;
        var s = LwtStream.From(() => n++ == 0 ? Promise.Fail<Option<int>>(new FormatException()) : Promise.Return(Some(7)));
        Assert.IsType<FormatException>(s.Peek().Exception);
        Assert.False(s.IsClosed);
        Assert.Equal(Some(7), s.Get().Value);
    }

    [Fact]
    public void StreamFromDirectThrowIsForwarded()
    {
        int n = 0;
        var s = LwtStream.FromDirect(() => n++ == 0 ? throw new FormatException() : Some(3));
        Assert.IsType<FormatException>(s.Get().Exception);
        Assert.Equal(Some(3), s.Get().Value);
    }

    [Fact]
    public void StreamIsEmptyDoesNotConsumeAndWaits()
    {
        var (s, push) = LwtStream.Create<int>();
        var e = s.IsEmpty();
        Assert.True(e.IsPending);
        push(Some(1));
        Assert.False(e.Value);
        Assert.Equal(Some(1), s.Get().Value);
        var e2 = s.IsEmpty();
        push(Option<int>.None);
        Assert.True(e2.Value);
    }

    [Fact]
    public void StreamJunkWaitsOnPushStream()
    {
        var (s, push) = LwtStream.Create<int>();
        var j = s.Junk();
        Assert.True(j.IsPending);
        push(Some(1));
        push(Some(2));
        Assert.True(j.IsFulfilled);
        Assert.Equal(Some(2), s.Get().Value);
    }

    [Fact]
    public void StreamGetAvailableDrainsSynchronousFromStream()
    {
        int n = 0;
        var s = LwtStream.From(() => Promise.Return(n < 3 ? Some(n++) : Option<int>.None));
        Assert.Equal([0, 1, 2], s.GetAvailable());
        Assert.True(s.IsClosed);
    }

    [Fact]
    public void StreamGetAvailableUpToStopsAtN()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        Assert.Equal([1, 2], s.GetAvailableUpTo(2));
        Assert.Empty(s.GetAvailableUpTo(0));
        Assert.Equal([3], s.GetAvailable());
    }

    [Fact]
    public void StreamLastNewWithPendingFromReturnsLastAvailable()
    {
        var (p, _) = Promise.Create<Option<int>>();
        int n = 0;
        var s = LwtStream.From(() => n < 2 ? Promise.Return(Some(n++)) : p);
        Assert.Equal(1, s.LastNew().Value);
    }

    [Fact]
    public void StreamNPeekDoesNotConsume()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        Assert.Equal([1, 2], s.NPeek(2).Value);
        Assert.Equal([1, 2, 3], s.NPeek(10).Value);
        Assert.Empty(s.NPeek(0).Value);
        Assert.Equal([1, 2, 3], s.NGet(10).Value);
    }

    [Fact]
    public void StreamFindConsumesTheFoundItem()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        Assert.Equal(Some(2), s.Find(x => x == 2).Value);
        Assert.Equal(Some(3), s.Get().Value);
    }

    [Fact]
    public void StreamGetWhileLeavesFirstFailingItem()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        Assert.Equal([1], s.GetWhile(x => x < 2).Value);
        Assert.Equal(Some(2), s.Get().Value);
    }

    [Fact]
    public void StreamCombineEndsWhenEitherEnds()
    {
        var c = LwtStream.Combine(LwtStream.OfList(new[] { 1, 2, 3 }), LwtStream.OfList(new[] { "a" }));
        Assert.Equal([(1, "a")], c.ToList().Value);
    }

    [Fact]
    public void StreamChooseEndsWhenAllEnd()
    {
        var c = LwtStream.Choose(LwtStream.OfList(new[] { 1 }), LwtStream.OfList(new[] { 2 }));
        var all = c.ToList().Value.OrderBy(x => x).ToList();
        Assert.Equal([1, 2], all);
    }

    [Fact]
    public void StreamWrapExnOnPushStreamIsAllOk()
    {
        var w = LwtStream.OfList(new[] { 1, 2 }).WrapExn();
        var items = w.ToList().Value;
        Assert.All(items, i => Assert.True(i.IsOk));
    }

    [Fact]
    public void StreamBoundedResizeSmallerKeepsCountAndBlocks()
    {
        var (s, b) = LwtStream.CreateBounded<int>(2);
        b.Push(1); b.Push(2);
        b.Resize(1);
        var p = b.Push(3);
        Assert.True(p.IsPending);
        Assert.Equal(Some(1), s.Get().Value);
        Assert.True(p.IsFulfilled);    // notify_pusher: pending pushed, count unchanged
        Assert.Equal(2, b.Count);
        Assert.Equal(Some(2), s.Get().Value);
        Assert.Equal(1, b.Count);
        Assert.Equal(Some(3), s.Get().Value);
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void StreamBoundedResizeLargerReleasesPendingPush()
    {
        var (s, b) = LwtStream.CreateBounded<int>(1);
        b.Push(1);
        var p = b.Push(2);
        Assert.True(b.Blocked);
        b.Resize(3);
        Assert.True(p.IsFulfilled);
        Assert.Equal(2, b.Count);
        Assert.Equal([1, 2], s.GetAvailable());
    }

    [Fact]
    public void StreamBoundedCloseKeepsPushedItemsReadable()
    {
        var (s, b) = LwtStream.CreateBounded<int>(2);
        b.Push(1);
        b.Close();
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
        Assert.Equal([1], s.ToList().Value);
        b.Close(); // idempotent
    }

    [Fact]
    public void StreamBoundedParseThrows()
    {
        var (s, _) = LwtStream.CreateBounded<int>(1);
        Assert.ThrowsAny<Exception>(() => s.Parse(_ => Promise.Return(1)));
    }

    [Fact]
    public void StreamPushNoneTwiceThrowsClosed()
    {
        var (_, push) = LwtStream.Create<int>();
        push(Option<int>.None);
        Assert.Throws<LwtStream.ClosedException>(() => push(Option<int>.None));
    }

    [Fact]
    public void StreamIterSWaitsForEachCall()
    {
        var gates = new List<Resolver<Unit>>();
        var p = LwtStream.OfList(new[] { 1, 2 }).IterS(_ => { var (q, r) = Promise.Create(); gates.Add(r); return q; });
        Assert.Single(gates);
        gates[0].Resolve();
        Assert.Equal(2, gates.Count);
        gates[1].Resolve();
        Assert.True(p.IsFulfilled);
    }

    [Fact]
    public void StreamIterNRejectedCallbackStopsReading()
    {
        var s = LwtStream.OfList(new[] { 1, 2, 3 });
        int calls = 0;
        var p = s.IterN(_ => { calls++; return Promise.Fail(new FormatException()); }, maxConcurrency: 1);
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void StreamAppendConcatFlatten()
    {
        var (a, pushA) = LwtStream.Create<int>();
        var ap = a.Append(LwtStream.OfList(new[] { 9 }));
        var g = ap.Get();
        Assert.True(g.IsPending);
        pushA(Option<int>.None);
        Assert.Equal(Some(9), g.Value);
    }

    [Fact]
    public void MVarTakeAvailableRefillsFromWaitingPutter()
    {
        var m = LwtMVar<int>.Create(1);
        var p2 = m.Put(2);
        var p3 = m.Put(3);
        Assert.True(p2.IsPending);
        Assert.Equal(Some(1), m.TakeAvailable());
        Assert.True(p2.IsFulfilled);
        Assert.True(p3.IsPending);
        Assert.False(m.IsEmpty);
        Assert.Equal(2, m.Take().Value);
        Assert.Equal(3, m.Take().Value);
        Assert.True(m.IsEmpty);
        Assert.Equal(Option<int>.None, m.TakeAvailable());
    }

    [Fact]
    public void MutexUnlockWithWaitersKeepsItLocked()
    {
        var m = LwtMutex.Create();
        m.Lock();
        var w = m.Lock();
        Assert.False(m.IsEmpty);
        m.Unlock();
        Assert.True(w.IsFulfilled);
        Assert.True(m.IsLocked);
        Assert.True(m.IsEmpty);
        m.Unlock();
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void MutexWithLockUnlocksOnThrow()
    {
        var m = LwtMutex.Create();
        var p = m.WithLock<int>(() => throw new FormatException());
        Assert.IsType<FormatException>(p.Exception);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void ConditionBroadcastWakesAllInOrder()
    {
        var c = LwtCondition<int>.Create();
        var order = new List<int>();
        var w1 = c.Wait(); w1.OnSuccess(_ => order.Add(1));
        var w2 = c.Wait(); w2.OnSuccess(_ => order.Add(2));
        c.Broadcast(5);
        Assert.Equal([1, 2], order);
        Assert.Equal(5, w2.Value);
        c.Signal(6); // nobody waiting: lost
        var w3 = c.Wait();
        Assert.True(w3.IsPending);
    }

    [Fact]
    public void ConditionWaitWithMutexRelocksAfterSignal()
    {
        var m = LwtMutex.Create();
        var c = LwtCondition<int>.Create();
        m.Lock();
        var w = c.Wait(m);
        Assert.False(m.IsLocked);
        m.Lock();
        c.Signal(1);
        Assert.True(w.IsPending); // waiting to relock
        m.Unlock();
        Assert.Equal(1, w.Value);
        Assert.True(m.IsLocked);
    }

    [Fact]
    public void ConditionBroadcastExn()
    {
        var c = LwtCondition<int>.Create();
        var w = c.Wait();
        c.BroadcastExn(new FormatException());
        Assert.IsType<FormatException>(w.Exception);
    }

    [Fact]
    public void PoolUseFailureCallsCheckAndDisposesOnFalse()
    {
        int next = 0;
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(1, () => Promise.Return(next++),
            check: (_, ok) => ok(false),
            dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        var p = pool.Use<int>(_ => Promise.Fail<int>(new FormatException()));
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal([0], disposed);
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void PoolValidateFalseRecreates()
    {
        int next = 0;
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(1, () => Promise.Return(next++),
            validate: m => Promise.Return(m != 0),
            dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        Assert.Equal(0, pool.Use(m => Promise.Return(m)).Value); // fresh: not validated
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value); // 0 invalid -> disposed, 1 created
        Assert.Equal([0], disposed);
    }

    [Fact]
    public void PoolValidateThrowsRejectsUseAndDisposes()
    {
        int next = 0;
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(1, () => Promise.Return(next++),
            validate: m => m == 0 ? Promise.Fail<bool>(new FormatException()) : Promise.ReturnTrue,
            dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        pool.Use(m => Promise.Return(m));
        var p = pool.Use(m => Promise.Return(m));
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal([0], disposed);
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void PoolClearDisposesInUseMemberOnReturn()
    {
        int next = 0;
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(1, () => Promise.Return(next++), dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        var (g, r) = Promise.Create<int>();
        var u = pool.Use(_ => g);
        pool.Clear();
        Assert.Empty(disposed);
        r.Resolve(3);
        Assert.Equal(3, u.Value);
        Assert.Equal([0], disposed);
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void PoolWaitersServedFifo()
    {
        var pool = LwtPool<int>.Create(1, () => Promise.Return(0));
        var (g, r) = Promise.Create();
        pool.Use(_ => g);
        var order = new List<int>();
        var a = pool.Use(_ => { order.Add(1); return Promise.ReturnUnit; });
        var b = pool.Use(_ => { order.Add(2); return Promise.ReturnUnit; });
        Assert.Equal(2, pool.WaitQueueLength);
        r.Resolve();
        Assert.Equal([1, 2], order);
    }

    [Fact]
    public void SwitchAddHookOrExecOnOffSwitchRunsHook()
    {
        var sw = LwtSwitch.Create();
        sw.TurnOff();
        int runs = 0;
        sw.AddHookOrExec(() => { runs++; return Promise.ReturnUnit; });
        Assert.Equal(1, runs);
    }

    [Fact]
    public void ListIterPStartsAllBeforeWaitingAndWaitsForAll()
    {
        var gates = new List<Resolver<Unit>>();
        var p = LwtList.IterP(new[] { 1, 2, 3 }, _ => { var (q, r) = Promise.Create(); gates.Add(r); return q; });
        Assert.Equal(3, gates.Count);
        gates[0].Reject(new FormatException());
        Assert.True(p.IsPending);
        gates[1].Resolve(); gates[2].Resolve();
        Assert.IsType<FormatException>(p.Exception);
    }

    [Fact]
    public void ListFoldRightSOrder()
    {
        var seen = new List<int>();
        LwtList.FoldRightS((x, acc) => { seen.Add(x); return Promise.Return(acc); }, new[] { 1, 2, 3 }, 0);
        Assert.Equal([3, 2, 1], seen);
    }

    [Fact]
    public void ConditionWaitWithMutexCanceledRelocks()
    {
        var m = LwtMutex.Create();
        var c = LwtCondition<int>.Create();
        m.Lock();
        var w = c.Wait(m);
        Assert.False(m.IsLocked);
        w.Cancel();
        Assert.True(w.IsCanceled);
        Assert.True(m.IsLocked);
        c.Signal(1); // nobody left
    }

    [Fact]
    public void PoolCanceledWaitingUseLeavesQueue()
    {
        var pool = LwtPool<int>.Create(1, () => Promise.Return(0));
        var (g, r) = Promise.Create();
        pool.Use(_ => g);
        bool ran = false;
        var waiting = pool.Use(_ => { ran = true; return Promise.ReturnUnit; });
        Assert.Equal(1, pool.WaitQueueLength);
        waiting.Cancel();
        Assert.True(waiting.IsCanceled);
        Assert.Equal(0, pool.WaitQueueLength);
        r.Resolve();
        Assert.False(ran);
        Assert.Equal(0, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void StreamCanceledGetOnFromKeepsItemInFlight()
    {
        var (p, r) = Promise.Create<Option<int>>();
        int calls = 0;
        var s = LwtStream.From(() => { calls++; return p; });
        var g = s.Get();
        g.Cancel();
        Assert.True(g.IsCanceled);
        r.Resolve(Some(4));
        Assert.Equal(Some(4), s.Get().Value);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void StreamClosedPromiseIsNotCancelable()
    {
        var (s, push) = LwtStream.Create<int>();
        s.Closed().Cancel();
        Assert.True(s.Closed().IsPending);
        push(Option<int>.None);
        Assert.True(s.Closed().IsFulfilled);
    }

    [Fact]
    public void MutexWithLockRejectedSectionUnlocksAndHandsOver()
    {
        var m = LwtMutex.Create();
        var (g, r) = Promise.Create<int>();
        var a = m.WithLock(() => g);
        var b = m.WithLock(() => Promise.Return(2));
        Assert.True(b.IsPending);
        r.Reject(new FormatException());
        Assert.IsType<FormatException>(a.Exception);
        Assert.Equal(2, b.Value);
        Assert.False(m.IsLocked);
    }

    [Fact]
    public void SwitchWithSwitchHookFailureRejectsResult()
    {
        var res = LwtSwitch.WithSwitch(sw => { sw.AddHook(() => Promise.Fail(new FormatException())); return Promise.Return(1); });
        Assert.IsType<FormatException>(res.Exception);
    }
}
