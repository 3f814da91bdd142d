namespace Lwt.Tests.Library;

/*
 * A pool slot freed in any way (a member dropped after a failed check, after a Clear, or
 * because its dispose failed; a creation that failed) goes to the oldest waiting Use, which
 * gets a fresh member, before any later Use (ocsigen/lwt PR #1121, "no starvation for
 * waiters if pool member fails", for the failed check). A check that throws and a dispose
 * that fails do not lose the slot.
 */
public class LwtPoolSlotTests
{
    private sealed class Boom : Exception;

    private sealed class Log
    {
        public int Created;
        public readonly List<int> Disposed = [];
    }

    private static LwtPool<int> Pool(Log log, int max = 1, Action<int, Action<bool>>? check = null, Func<int, Promise>? dispose = null) =>
        LwtPool<int>.Create(
            max,
            () => Promise.Return(++log.Created),
            check: check,
            dispose: m =>
            {
                log.Disposed.Add(m);
                return dispose?.Invoke(m) ?? Promise.ReturnUnit;
            });

    [Fact]
    public void CheckFalseGivesTheWaiterAFreshMember()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => ok(false));
        var (body, end) = Promise.Create<int>();
        var holder = pool.Use(_ => body);
        var waiter = pool.Use(m => Promise.Return(m));
        Assert.Equal(1, pool.WaitQueueLength);
        end.Reject(new Boom());
        Assert.IsType<Boom>(holder.Exception);
        Assert.Equal(2, waiter.Value);
        Assert.Equal([1], log.Disposed);
        Assert.Equal(0, pool.WaitQueueLength);
    }

    [Fact]
    public void CheckFalseServesTheWaitersInOrderBeforeALaterUse()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => ok(false));
        var (body, end) = Promise.Create<int>();
        var (body2, end2) = Promise.Create<int>();
        var order = new List<string>();
        var holder = pool.Use(_ => body);
        var first = pool.Use(m => { order.Add($"first {m}"); return body2; });
        var second = pool.Use(m => { order.Add($"second {m}"); return Promise.Return(m); });
        end.Reject(new Boom());
        Assert.Equal(["first 2"], order);       // the slot went to the oldest waiter only
        var later = pool.Use(m => { order.Add($"later {m}"); return Promise.Return(m); });
        Assert.Equal(2, pool.WaitQueueLength);  // the later Use queues behind `second`
        end2.Resolve(7);
        Assert.Equal(7, first.Value);
        Assert.Equal(2, second.Value);
        Assert.Equal(2, later.Value);
        Assert.Equal(["first 2", "second 2", "later 2"], order);
        Assert.Equal(2, log.Created);
    }

    [Fact]
    public void CheckFalseSkipsACanceledWaiter()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => ok(false));
        var (body, end) = Promise.Create<int>();
        pool.Use(_ => body);
        var canceled = pool.Use(m => Promise.Return(m));
        var waiter = pool.Use(m => Promise.Return(m * 10));
        canceled.Cancel();
        end.Reject(new Boom());
        Assert.True(canceled.IsCanceled);
        Assert.Equal(20, waiter.Value);
        Assert.Equal(2, log.Created);
    }

    [Fact]
    public void ClearWhileInUseGivesTheWaiterAFreshMemberWhenTheHolderSucceeds()
    {
        var log = new Log();
        var pool = Pool(log);
        var (body, end) = Promise.Create<int>();
        var holder = pool.Use(_ => body);
        var waiter = pool.Use(m => Promise.Return(m));
        Assert.True(pool.Clear().IsFulfilled);
        end.Resolve(5);
        Assert.Equal(5, holder.Value);
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, waiter.Value);
    }

    [Fact]
    public void ClearWhileInUseGivesTheWaiterAFreshMemberWhenTheHolderFails()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => ok(true));
        var (body, end) = Promise.Create<int>();
        var holder = pool.Use(_ => body);
        var waiter = pool.Use(m => Promise.Return(m));
        pool.Clear();
        end.Reject(new Boom());                 // check says good, but the pool was cleared
        Assert.IsType<Boom>(holder.Exception);
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, waiter.Value);
    }

    [Fact]
    public void UseAfterClearWhoseDisposalIsPendingGetsAFreshMember()
    {
        // lwt_pool.mli, clear: "the next call to use p after clear p guarantees a freshly
        // created pool element".
        var log = new Log();
        var (disposal, disposed) = Promise.Create();
        var pool = Pool(log, dispose: _ => disposal);
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
        var cleared = pool.Clear();
        var next = pool.Use(m => Promise.Return(m));
        Assert.True(next.IsPending);            // member 1 still holds the only slot
        Assert.Equal(1, pool.WaitQueueLength);
        disposed.Resolve(default);
        Assert.True(cleared.IsFulfilled);
        Assert.Equal(2, next.Value);
        Assert.Equal(0, pool.WaitQueueLength);
    }

    [Fact]
    public void CreateRejectedWhileAUseWaitsGivesTheWaiterACreationOfItsOwn()
    {
        int calls = 0;
        var (creating, create) = Promise.Create<int>();
        var pool = LwtPool<int>.Create(1, () => calls++ == 0 ? creating : Promise.Return(42));
        var first = pool.Use(m => Promise.Return(m));
        var waiter = pool.Use(m => Promise.Return(m));
        Assert.Equal(1, pool.WaitQueueLength);
        create.Reject(new Boom());
        Assert.IsType<Boom>(first.Exception);
        Assert.Equal(42, waiter.Value);
        Assert.Equal(2, calls);
        Assert.Equal(42, pool.Use(m => Promise.Return(m)).Value); // reused: still one member
        Assert.Equal(2, calls);
    }

    [Fact]
    public void WaiterWhoseOwnCreationFailsIsRejectedWithThatErrorAndTheSlotIsKept()
    {
        int calls = 0;
        var (creating, create) = Promise.Create<int>();
        var errors = new List<Exception>();
        var pool = LwtPool<int>.Create(1, () =>
        {
            int i = calls++;
            if (i == 0) return creating;
            if (i == 1)
            {
                var e = new FormatException();
                errors.Add(e);
                return Promise.Fail<int>(e);
            }
            return Promise.Return(i);
        });
        var first = pool.Use(m => Promise.Return(m));
        var waiter = pool.Use(m => Promise.Return(m));
        var second = pool.Use(m => Promise.Return(m));
        create.Reject(new Boom());
        Assert.IsType<Boom>(first.Exception);
        Assert.Same(errors[0], waiter.Exception); // its own creation's error
        Assert.Equal(2, second.Value);            // then the slot went on to the next waiter
        Assert.Equal(3, calls);
        Assert.Equal(0, pool.WaitQueueLength);
    }

    [Fact]
    public void UseMadeWhenAWaiterIsRejectedQueuesBehindTheOtherWaiters()
    {
        // The failure of the first waiter's creation frees the slot again; a Use made from
        // that waiter's rejection must not take the slot ahead of the second waiter.
        int calls = 0;
        var (creating, create) = Promise.Create<int>();
        var pool = LwtPool<int>.Create(1, () => calls++ switch
        {
            0 => creating,
            1 => Promise.Fail<int>(new FormatException()),
            var i => Promise.Return(i),
        });
        var order = new List<string>();
        var (body, end) = Promise.Create<int>();
        var first = pool.Use(m => Promise.Return(m));
        var waiter1 = pool.Use(m => Promise.Return(m));
        var waiter2 = pool.Use(m => { order.Add($"waiter2 {m}"); return body; });
        Promise<int>? late = null;
        waiter1.OnFailure(_ => late = pool.Use(m => { order.Add($"late {m}"); return Promise.Return(m); }));
        create.Reject(new Boom());
        Assert.IsType<FormatException>(waiter1.Exception);
        Assert.NotNull(late);
        Assert.Equal(["waiter2 2"], order);
        Assert.True(late.IsPending);
        end.Resolve(9);
        Assert.Equal(9, waiter2.Value);
        Assert.Equal(2, late.Value);
        Assert.Equal(["waiter2 2", "late 2"], order);
    }

    [Fact]
    public void CreateThatAlwaysFailsRejectsALongQueueOfWaitersWithoutDeepNesting()
    {
        const int n = 20_000;
        int calls = 0;
        var (creating, create) = Promise.Create<int>();
        var pool = LwtPool<int>.Create(1, () => calls++ == 0 ? creating : Promise.Fail<int>(new FormatException()));
        var first = pool.Use(m => Promise.Return(m));
        var waiters = new Promise<int>[n];
        for (int i = 0; i < n; i++) waiters[i] = pool.Use(m => Promise.Return(m));
        create.Reject(new Boom());
        Assert.IsType<Boom>(first.Exception);
        Assert.All(waiters, w => Assert.IsType<FormatException>(w.Exception));
        Assert.Equal(n + 1, calls);
        Assert.Equal(0, pool.WaitQueueLength);
    }

    [Fact]
    public void ThrowingCheckDropsAndDisposesTheMember()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, _) => throw new InvalidCastException());
        var failed = pool.Use<int>(_ => throw new FormatException());
        Assert.IsType<InvalidCastException>(failed.Exception); // as Lwt: check's exception
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void ThrowingCheckAfterSayingGoodStillDropsTheMemberAndServesTheWaiter()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => { ok(true); throw new InvalidCastException(); });
        var (body, end) = Promise.Create<int>();
        var holder = pool.Use(_ => body);
        var waiter = pool.Use(m => Promise.Return(m));
        end.Reject(new Boom());
        Assert.IsType<InvalidCastException>(holder.Exception);
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, waiter.Value);
    }

    [Fact]
    public void ThrowingCheckWhoseDisposalFailsRejectsWithChecksException()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, _) => throw new InvalidCastException(), dispose: _ => Promise.Fail(new Boom()));
        var failed = pool.Use<int>(_ => throw new FormatException());
        Assert.IsType<InvalidCastException>(failed.Exception);
        Assert.Equal(2, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void FailingDisposeAfterCheckFalseFreesTheSlot()
    {
        var log = new Log();
        var pool = Pool(log, check: (_, ok) => ok(false), dispose: _ => throw new InvalidCastException());
        var (body, end) = Promise.Create<int>();
        var holder = pool.Use(_ => body);
        var waiter = pool.Use(m => Promise.Return(m));
        end.Reject(new Boom());
        Assert.IsType<InvalidCastException>(holder.Exception); // as Lwt: dispose's failure
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, waiter.Value);
    }

    [Fact]
    public void FailingDisposeOfAnInvalidMemberFreesTheSlot()
    {
        var log = new Log();
        var pool = LwtPool<int>.Create(
            1,
            () => Promise.Return(++log.Created),
            validate: m => Promise.Return(m != 1),
            dispose: m => { log.Disposed.Add(m); return Promise.Fail(new Boom()); });
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
        var failed = pool.Use(m => Promise.Return(m)); // member 1 is invalid, its disposal fails
        Assert.IsType<Boom>(failed.Exception);
        Assert.Equal([1], log.Disposed);
        Assert.Equal(2, pool.Use(m => Promise.Return(m)).Value);
    }

    [Fact]
    public void ClearDisposesEveryIdleMemberWhenADisposalFailsAndRejectsWithTheFirstFailure()
    {
        var log = new Log();
        var failures = new Dictionary<int, Exception> { [3] = new FormatException(), [1] = new InvalidCastException() };
        var pool = Pool(log, max: 3, dispose: m => failures.TryGetValue(m, out var e) ? Promise.Fail(e) : Promise.ReturnUnit);
        var (body, end) = Promise.Create<int>();
        pool.Use(_ => body);
        pool.Use(_ => body);
        pool.Use(_ => body);
        end.Resolve(0);                           // idle: 1, 2, 3
        var cleared = pool.Clear();
        Assert.Equal([3, 2, 1], log.Disposed);     // all of them, the last returned first
        Assert.Same(failures[3], cleared.Exception);
        var (hold, _) = Promise.Create<int>();
        var uses = Enumerable.Range(0, 3).Select(_ => pool.Use(_ => hold)).ToList();
        Assert.All(uses, u => Assert.True(u.IsPending));
        Assert.Equal(0, pool.WaitQueueLength);    // the three slots are free again
        Assert.Equal(6, log.Created);
    }

    [Fact]
    public void ClearGoesOnAfterADisposalThatFailsLater()
    {
        var log = new Log();
        var disposals = new Dictionary<int, Resolver<Unit>>();
        var pool = Pool(log, max: 2, dispose: m =>
        {
            var (p, r) = Promise.Create();
            disposals[m] = r;
            return p;
        });
        var (body, end) = Promise.Create<int>();
        pool.Use(_ => body);
        pool.Use(_ => body);
        end.Resolve(0);
        var cleared = pool.Clear();
        Assert.Equal([2], log.Disposed);           // one after the other
        var (hold, _) = Promise.Create<int>();
        int got1 = 0;
        var waiter1 = pool.Use(m => { got1 = m; return hold; });
        var waiter2 = pool.Use(m => Promise.Return(m));
        Assert.Equal(2, pool.WaitQueueLength);
        var failure = new FormatException();
        disposals[2].Reject(failure);
        Assert.Equal([2, 1], log.Disposed);
        Assert.Equal(3, got1);                     // member 2's slot, freed though its disposal failed
        Assert.True(waiter1.IsPending && waiter2.IsPending);
        disposals[1].Resolve(default);
        Assert.Equal(4, waiter2.Value);
        Assert.Same(failure, cleared.Exception);
    }
}
