namespace Lwt.Tests.Library;

// Claims of the XML docs of the library modules (mutex, condition, mvar, pool, switch,
// timeout, throttle, retry, result) that the code did not keep.
public class DocAuditLibraryTests
{
    // Every function taking a promise-returning callback rejects with ThrowHelper's
    // InvalidOperationException when the callback returns null (Use<U> did; Use did not:
    // it called Map on the null and was rejected with a NullReferenceException).
    [Fact]
    public void Pool_Use_of_a_callback_returning_null_is_rejected_as_the_typed_Use_is()
    {
        var pool = LwtPool<int>.Create(1, () => Promise.Return(1));
        var typed = pool.Use(m => (Promise<int>)null!);
        var untyped = pool.Use(m => (Promise)null!);
        Assert.IsType<InvalidOperationException>(typed.Exception);
        Assert.IsType<InvalidOperationException>(untyped.Exception);
        Assert.Equal(typed.Exception!.Message, untyped.Exception!.Message);
        // The member went back to the pool: the next Use gets it at once.
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value);
    }

    // The same convention for the let* of Lwt_result.Syntax: LwtResult.Bind rejects a null
    // from its callback with InvalidOperationException; the query form threw
    // ArgumentNullException ("promise") from the LwtResult.Map it called on the null.
    [Fact]
    public void ResultQuery_SelectMany_of_a_callback_returning_null_is_rejected_as_LwtResult_Bind_is()
    {
        var bind = LwtResult.Bind(LwtResult.Return<int, string>(1), x => (Promise<Result<int, string>>)null!);
        var query = from x in LwtResult.Return<int, string>(1).Query()
                    from y in (Promise<Result<int, string>>)null!
                    select x + y;
        var viaQuery = from x in LwtResult.Return<int, string>(1).Query()
                       from y in default(ResultQuery<int, string>)
                       select x + y;
        Assert.IsType<InvalidOperationException>(bind.Exception);
        Assert.IsType<InvalidOperationException>(query.Promise.Exception);
        Assert.IsType<InvalidOperationException>(viaQuery.Promise.Exception);
        Assert.Equal(bind.Exception!.Message, query.Promise.Exception!.Message);
    }

    // validate's doc said "false (or a failure) has it disposed and replaced" and "before each
    // reuse of an idle member". A failure disposes the member and rejects that Use (Lwt's
    // validate_and_return fails it too); validate also sees a member handed straight to a
    // waiting Use and one created for a waiting Use.
    [Fact]
    public void Pool_validate_failure_rejects_that_Use_and_validate_sees_members_made_for_waiters()
    {
        int created = 0;
        var log = new List<string>();
        var pool = LwtPool<int>.Create(1, () => Promise.Return(++created),
            validate: m =>
            {
                log.Add("validate " + m);
                return m == 1 && log.Count == 1 ? throw new FormatException("invalid") : Promise.ReturnTrue;
            },
            check: (m, ok) => ok(false),
            dispose: m => { log.Add("dispose " + m); return Promise.ReturnUnit; });
        Assert.Equal(1, pool.Use(m => Promise.Return(m)).Value); // created for itself: not validated
        Assert.Empty(log);
        var failed = pool.Use(m => Promise.Return(m));
        Assert.IsType<FormatException>(failed.Exception);        // not replaced: rejected
        Assert.Equal(["validate 1", "dispose 1"], log);
        log.Clear();

        var (held, release) = Promise.Create<int>();
        var first = pool.Use(m => held);                           // member 2, created for itself
        var waiting = pool.Use(m => Promise.Return(m * 10));
        release.RejectNow(new ArithmeticException("failed"));      // check: not good, dropped
        Assert.IsType<ArithmeticException>(first.Exception);
        Assert.Equal(30, waiting.Value);                           // member 3, made for the waiter
        Assert.Equal(["dispose 2", "validate 3"], log);
    }

    // LwtMVar's cost comment said a hand-off allocates at most one object; a putter that
    // waits for a full box and the Take that makes room allocate two (the putter's waiter,
    // and the fulfilled promise the Take returns). The comment now says so; this pins it,
    // in units of one Promise.Return: one object, or two, never more.
    [Fact]
    public void MVar_allocates_one_object_per_put_and_take_or_two_when_a_putter_waits()
    {
        var empty = LwtMVar<int>.CreateEmpty();
        var full = LwtMVar<int>.Create(0);
        long promise = AllocationMeter.PerOp(1000, static () => Promise.Return(1));
        long takerWaits = AllocationMeter.PerOp(1000, () => { empty.Take(); empty.Put(1); });
        long nobodyWaits = AllocationMeter.PerOp(1000, () => { empty.Put(1); empty.Take(); });
        long putterWaits = AllocationMeter.PerOp(1000, () => { full.Put(1); full.Take(); });
        Assert.Equal(promise, takerWaits);
        Assert.Equal(promise, nobodyWaits);
        Assert.InRange(putterWaits, promise + 1, 2 * promise);
    }

    // LwtCondition.Wait's doc said the mutex is locked again before the promise resolves,
    // canceled included. A cancel that comes while the relock waits cancels that Lock (the
    // backwards search of Lwt.finalize), so the Wait is rejected without the mutex, as in Lwt
    // 5.6.1 (checked there: the same steps leave the mutex unlocked after the other holder's
    // unlock). A cancel before the signal relocks first.
    [Fact]
    public void Condition_Wait_canceled_while_relocking_is_rejected_without_the_mutex()
    {
        var m = new LwtMutex();
        var c = new LwtCondition<int>();
        m.Lock();
        var before = c.Wait(m);
        var other = m.Lock();                 // Wait unlocked it: someone else takes it
        Assert.True(other.IsFulfilled);
        before.Cancel();                      // not yet signaled: waits to relock, then rejects
        Assert.True(before.IsPending);
        m.Unlock();
        Assert.True(before.IsCanceled);
        Assert.True(m.IsLocked);              // held for the canceled Wait's caller

        var during = c.Wait(m);
        var other2 = m.Lock();
        Assert.True(other2.IsFulfilled);
        c.Signal(1);                          // signaled: now waits to relock
        Assert.True(during.IsPending);
        during.Cancel();                      // cancels the relock
        Assert.True(during.IsCanceled);
        Assert.True(m.IsEmpty);
        m.Unlock();                           // the other holder's unlock
        Assert.False(m.IsLocked);             // nobody holds it for the canceled Wait
    }

    // LwtTimeout's TimeSpan overloads inherited the docs of the double ones, whose exception
    // names a parameter "seconds" they do not have, and the exception they threw named it too.
    [Fact]
    public void Timeout_TimeSpan_overloads_name_their_own_parameter()
    {
        var create = Assert.Throws<ArgumentOutOfRangeException>(() => LwtTimeout.Create(TimeSpan.Zero, () => { }));
        Assert.Equal("delay", create.ParamName);
        var t = LwtTimeout.Create(TimeSpan.FromSeconds(1), () => { });
        var change = Assert.Throws<ArgumentOutOfRangeException>(() => t.Change(TimeSpan.FromSeconds(-1)));
        Assert.Equal("delay", change.ParamName);
        Assert.Equal(1, t.Seconds);
        Assert.Throws<ArgumentNullException>(() => LwtTimeout.Create(TimeSpan.FromSeconds(1), null!));
    }

    // API.md: a null delegate argument throws ArgumentNullException at the call. Result.Match
    // called the delegate of its case only: a null for the other case went unnoticed, and a
    // null for its own case threw a NullReferenceException.
    [Fact]
    public void Result_Match_checks_both_delegates()
    {
        var ok = Result<int, string>.Ok(1);
        var error = Result<int, string>.Error("e");
        Assert.Throws<ArgumentNullException>(() => ok.Match(x => x, null!));
        Assert.Throws<ArgumentNullException>(() => ok.Match(null!, e => 0));
        Assert.Throws<ArgumentNullException>(() => error.Match(x => x, null!));
        Assert.Throws<ArgumentNullException>(() => error.Match(null!, e => 0));
        Assert.Equal(2, ok.Match(x => x + 1, e => 0));
        Assert.Equal(1, error.Match(x => x, e => e.Length));
    }
}
