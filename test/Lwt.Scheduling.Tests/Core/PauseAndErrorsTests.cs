namespace Lwt.Tests.Core;

/// <summary>Pause state is per thread; each test starts by abandoning what an earlier test on this thread left.</summary>
public class PauseTests
{
    [Fact]
    public void Paused_count_and_wakeup()
    {
        Promise.AbandonPaused();
        Assert.Equal(0, Promise.PausedCount);
        var a = Promise.Pause();
        var b = Promise.Pause();
        Assert.True(a.IsPending && b.IsPending);
        Assert.Equal(2, Promise.PausedCount);
        Promise.WakeupPaused();
        Assert.True(a.IsFulfilled && b.IsFulfilled);
        Assert.Equal(0, Promise.PausedCount);
    }

    [Fact]
    public void Wakeup_wakes_only_those_paused_before_the_call()
    {
        Promise.AbandonPaused();
        Promise? second = null;
        var first = Promise.Pause();
        first.OnTermination(() => second = Promise.Pause());
        Promise.WakeupPaused();
        Assert.True(first.IsFulfilled);
        Assert.NotNull(second);
        Assert.True(second!.IsPending);
        Assert.Equal(1, Promise.PausedCount);
        Promise.WakeupPaused();
        Assert.True(second.IsFulfilled);
    }

    [Fact]
    public void Wakeup_in_pause_order()
    {
        Promise.AbandonPaused();
        var log = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            int j = i;
            Promise.Pause().OnTermination(() => log.Add(j));
        }
        Promise.WakeupPaused();
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, log);
    }

    [Fact]
    public void Abandon_leaves_them_pending_forever()
    {
        Promise.AbandonPaused();
        var a = Promise.Pause();
        Promise.AbandonPaused();
        Assert.Equal(0, Promise.PausedCount);
        Promise.WakeupPaused();
        Assert.True(a.IsPending);
    }

    [Fact]
    public void Pause_notifier_receives_the_count()
    {
        Promise.AbandonPaused();
        var counts = new List<int>();
        Promise.RegisterPauseNotifier(counts.Add);
        try
        {
            Promise.Pause();
            Promise.Pause();
            Promise.Pause();
            Promise.WakeupPaused();
            Promise.Pause();
            Assert.Equal(new[] { 1, 2, 3, 1 }, counts);
        }
        finally
        {
            Promise.RegisterPauseNotifier(_ => { });
            Promise.AbandonPaused();
        }
    }

    [Fact]
    public void Pause_is_cancelable()
    {
        Promise.AbandonPaused();
        var a = Promise.Pause();
        a.Cancel();
        Assert.True(a.IsCanceled);
        Promise.WakeupPaused();
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void Pause_is_per_thread()
    {
        Promise.AbandonPaused();
        var a = Promise.Pause();
        int otherCount = -1;
        Threads.Run(() =>
        {
            otherCount = Promise.PausedCount;
            Promise.WakeupPaused();
        });
        Assert.Equal(0, otherCount);
        Assert.True(a.IsPending);
        Promise.WakeupPaused();
        Assert.True(a.IsFulfilled);
    }
}

public class BadInputTests
{
    [Fact]
    public void Null_delegates_throw_argument_null_at_the_call()
    {
        var p = Promise.Return(1);
        var u = (Promise)Promise.ReturnUnit;
        var (pending, _) = Promise.Create<int>();
        foreach (var q in new[] { p, pending })
        {
            Assert.Throws<ArgumentNullException>(() => q.Bind((Func<int, Promise<int>>)null!));
            Assert.Throws<ArgumentNullException>(() => q.Bind((Func<int, Promise>)null!));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Bind((Func<Promise>)null!));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Bind((Func<Promise<int>>)null!));
            Assert.Throws<ArgumentNullException>(() => q.Map((Func<int, int>)null!));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Map((Func<int>)null!));
            Assert.Throws<ArgumentNullException>(() => q.Bind((Func<int, string, Promise<int>>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => q.Bind((Func<int, string, Promise>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Bind((Func<string, Promise>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Bind((Func<string, Promise<int>>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => q.Map((Func<int, string, int>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => ((Promise)q).Map((Func<string, int>)null!, "state"));
            Assert.Throws<ArgumentNullException>(() => q.Select((Func<int, int>)null!));
            Assert.Throws<ArgumentNullException>(() => q.SelectMany((Func<int, Promise<int>>)null!, (a, b) => a + b));
            Assert.Throws<ArgumentNullException>(() => q.SelectMany(x => Promise.Return(x), (Func<int, int, int>)null!));
            Assert.Throws<ArgumentNullException>(() => q.OnSuccess(null!));
            Assert.Throws<ArgumentNullException>(() => q.OnAny(null!, _ => { }));
            Assert.Throws<ArgumentNullException>(() => q.OnAny(_ => { }, null!));
            Assert.Throws<ArgumentNullException>(() => q.OnFailure(null!));
            Assert.Throws<ArgumentNullException>(() => q.OnTermination(null!));
            Assert.Throws<ArgumentNullException>(() => q.OnCancel(null!));
        }
        Assert.Throws<ArgumentNullException>(() => Promise.Catch<int>(null!, _ => p));
        Assert.Throws<ArgumentNullException>(() => Promise.Catch(() => p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Catch(null!, _ => u));
        Assert.Throws<ArgumentNullException>(() => Promise.Catch(() => u, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Finally<int>(null!, () => u));
        Assert.Throws<ArgumentNullException>(() => Promise.Finally(() => p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Finally(null!, () => u));
        Assert.Throws<ArgumentNullException>(() => Promise.Finally(() => u, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.TryBind<int, int>(null!, x => p, _ => p));
        Assert.Throws<ArgumentNullException>(() => Promise.TryBind<int, int>(() => p, null!, _ => p));
        Assert.Throws<ArgumentNullException>(() => Promise.TryBind<int, int>(() => p, x => p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap<int>(null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap((Action)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Async(null!));
        Assert.Throws<ArgumentNullException>(() => Promise.DontWait(null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => Promise.DontWait(() => u, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.RegisterPauseNotifier(null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Fail<int>(null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Fail(null!));
    }

    [Fact]
    public void Null_promises_throw_argument_null_at_the_call()
    {
        var p = Promise.Return(1);
        Assert.Throws<ArgumentNullException>(() => Promise.Join((Promise[])null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Join((IEnumerable<Promise>)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Join(p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Both<int, int>(null!, p));
        Assert.Throws<ArgumentNullException>(() => Promise.Both<int, int>(p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.All((IEnumerable<Promise<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.All(p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Pick((IEnumerable<Promise<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Pick(p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Pick(new Promise[] { p, null! }));
        Assert.Throws<ArgumentNullException>(() => Promise.Choose((IEnumerable<Promise<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Choose(null!, p));
        Assert.Throws<ArgumentNullException>(() => Promise.Choose(new List<Promise> { null! }));
        Assert.Throws<ArgumentNullException>(() => Promise.NPick(p, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.NChoose((IEnumerable<Promise<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => Promise.NChooseSplit(p, null!));
        Assert.Throws<ArgumentNullException>(() => p | null!);
        Assert.Throws<ArgumentNullException>(() => null! | p);
        Assert.Throws<ArgumentNullException>(() => (Promise)p & null!);
    }

    [Fact]
    public void Null_in_race_with_pending_inputs_attaches_nothing()
    {
        var (a, ra) = Promise.Create<int>();
        Assert.Throws<ArgumentNullException>(() => Promise.Choose(a, null!));
        Assert.Throws<ArgumentNullException>(() => Promise.Join(a, null!));
        // Nothing was left attached: resolving works and nothing else happens.
        ra.Resolve(1);
        Assert.Equal(1, a.Value);
    }

    [Fact]
    public void Resolving_twice_throws_invalid_operation()
    {
        var (p, r) = Promise.Create<int>();
        r.Resolve(1);
        Assert.Throws<InvalidOperationException>(() => r.Resolve(2));
        Assert.Throws<InvalidOperationException>(() => r.ResolveNow(2));
        Assert.Throws<InvalidOperationException>(() => r.Reject(new Boom()));
        Assert.Throws<InvalidOperationException>(() => r.RejectNow(new Boom()));
        Assert.Equal(1, p.Value);

        var (q, rq) = Promise.Create<int>();
        rq.Reject(new Boom());
        Assert.Throws<InvalidOperationException>(() => rq.Resolve(2));
        Assert.Throws<InvalidOperationException>(() => rq.Reject(new Boom()));

        var (u, ru) = Promise.Create();
        ru.Resolve();
        Assert.Throws<InvalidOperationException>(() => ru.Resolve());
        Assert.Throws<InvalidOperationException>(() => ru.ResolveNow());
    }

    [Fact]
    public void Try_resolve_and_try_reject_return_false_when_not_pending()
    {
        var (p, r) = Promise.Create<int>();
        Assert.True(r.TryResolve(1));
        Assert.False(r.TryResolve(2));
        Assert.False(r.TryReject(new Boom()));
        Assert.Equal(1, p.Value);
        var (q, rq) = Promise.Create<int>();
        var e = new Boom();
        Assert.True(rq.TryReject(e));
        Assert.False(rq.TryResolve(1));
        Assert.Same(e, q.Exception);
    }

    [Fact]
    public void Resolving_a_canceled_promise_does_nothing()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        p.Cancel();
        var ex = Record.Exception(() =>
        {
            r.Resolve(1);
            r.ResolveNow(1);
            r.Reject(new Boom());
            r.RejectNow(new Boom());
        });
        Assert.Null(ex);
        Assert.True(p.IsCanceled);
        Assert.False(r.TryResolve(1));
        Assert.False(r.TryReject(new Boom()));

        var (u, ru) = Promise.CreateCancelable();
        u.Cancel();
        Assert.Null(Record.Exception(() => ru.Resolve()));
        Assert.True(u.IsCanceled);

        var (m, rm) = Promise.Create<int>(); // canceled through its resolver
        rm.Reject(new CanceledException());
        Assert.Null(Record.Exception(() => rm.Resolve(1)));
    }

    [Fact]
    public void Reject_with_null_throws_argument_null()
    {
        var (_, r) = Promise.Create<int>();
        Assert.Throws<ArgumentNullException>(() => r.Reject(null!));
        Assert.Throws<ArgumentNullException>(() => r.RejectNow(null!));
        Assert.Throws<ArgumentNullException>(() => r.TryReject(null!));
    }

    [Fact]
    public void Value_of_pending_or_rejected_throws_invalid_operation()
    {
        var (p, _) = Promise.Create<int>();
        Assert.Throws<InvalidOperationException>(() => p.Value);
        Assert.Throws<InvalidOperationException>(() => Promise.Fail<int>(new Boom()).Value);
        Assert.Null(p.Exception);
    }

    [Fact]
    public void Option_none_value_throws_invalid_operation()
    {
        Assert.Throws<InvalidOperationException>(() => Option<int>.None.Value);
        Assert.False(Option<int>.None.HasValue);
        Assert.Equal(3, Option<int>.Some(3).Value);
        Assert.True(Option<string?>.Some(null).HasValue);
        Assert.Equal(Option<int>.Some(1), Option.Some(1));
        Assert.NotEqual(Option<int>.Some(0), Option<int>.None);
        Assert.Equal(Option<int>.None, default);
    }

    [Fact]
    public void Resolve_without_value_on_non_unit_resolver_throws_invalid_operation()
    {
        var (p, r) = Promise.Create<int>();
        Assert.Throws<InvalidOperationException>(() => r.Resolve());
        Assert.Throws<InvalidOperationException>(() => r.ResolveNow());
        Assert.Throws<InvalidOperationException>(() => ((Resolver)r).Resolve());
        Assert.True(p.IsPending);
    }

    [Fact]
    public void Resolver_exposes_its_promise()
    {
        var (p, r) = Promise.Create<int>();
        Assert.Same(p, r.Promise);
        Assert.Same(p, ((Resolver)r).Promise);
    }

    [Fact]
    public void Getting_result_of_pending_promise_through_awaiter_throws()
    {
        var (p, _) = Promise.Create<int>();
        Assert.False(p.GetAwaiter().IsCompleted);
        var e = Assert.Throws<InvalidOperationException>(() => p.GetAwaiter().GetResult());
        Assert.Contains("AsTask()", e.Message); // Task's GetResult blocks; the message says what does here
    }
}

public class PauseReentrancyTests
{
    [Fact]
    public void Nested_wakeup_from_a_woken_callback_keeps_rounds_and_count_right()
    {
        // Lwt's wakeup_paused transfers the paused promises before waking them: a pause made after
        // a nested wakeup_paused belongs to the next round, and paused_count counts only the pending ones.
        Promise.AbandonPaused();
        Promise? later = null, c = null;
        int countAfterNestedWakeup = -1;
        var a = Promise.Pause();
        var b = Promise.Pause();
        a.OnTermination(() =>
        {
            c = Promise.Pause();
            Promise.WakeupPaused(); // nested: wakes c only
            countAfterNestedWakeup = Promise.PausedCount;
            later = Promise.Pause();
        });
        Promise.WakeupPaused();
        Assert.True(a.IsFulfilled && b.IsFulfilled && c!.IsFulfilled);
        Assert.Equal(0, countAfterNestedWakeup);
        Assert.NotNull(later);
        Assert.True(later!.IsPending); // paused during the outer wake-up: next round
        Assert.Equal(1, Promise.PausedCount);
        Promise.WakeupPaused();
        Assert.True(later.IsFulfilled);
        Assert.Equal(0, Promise.PausedCount);
    }
}
