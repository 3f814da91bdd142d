using Lwt.Tests.Loop;

namespace Lwt.Tests.Core;

/// <summary>Claims of the core's XML docs that the doc audit found untrue, checked after the fix.</summary>
public class DocAuditCoreTests
{
    [Fact]
    public void A_null_Error_names_the_result_parameter()
    {
        // OfResult and ResolveResult have no parameter called "exception": the
        // ArgumentNullException their docs promise names the one they have.
        var error = Result<int, Exception>.Error(null!);
        Assert.Equal("result", Assert.Throws<ArgumentNullException>(() => Promise.OfResult(error)).ParamName);
        var (p, r) = Promise.Create<int>();
        Assert.Equal("result", Assert.Throws<ArgumentNullException>(() => r.ResolveResult(error)).ParamName);
        Assert.Equal("result", Assert.Throws<ArgumentNullException>(() => r.ResolveResultNow(error)).ParamName);
        Assert.True(p.IsPending);
    }

    [Fact]
    public void Attaching_to_a_pending_promise_of_a_loop_on_another_thread_throws_InvalidOperationException()
    {
        // The <exception> tags of Protected, NoCancel, WrapInCancelable, the combinators, the
        // handlers and Async/DontWait/IgnoreResult: they attach to the pending input, which a
        // thread other than the loop's may not do.
        var refused = new List<string>();
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var (c, _) = Promise.CreateCancelable<int>();
                var other = new Thread(() =>
                {
                    void Check(string name, Action a)
                    {
                        try { a(); }
                        catch (InvalidOperationException) { refused.Add(name); }
                    }
                    Check("Protected", () => c.Protected());
                    Check("NoCancel", () => c.NoCancel());
                    Check("WrapInCancelable", () => c.WrapInCancelable());
                    Check("Join", () => Promise.Join(c));
                    Check("&", () => { _ = c & Promise.ReturnUnit; });
                    Check("Both", () => Promise.Both(c, Promise.Return(1)));
                    Check("All", () => Promise.All(c));
                    Check("Pick", () => Promise.Pick(c));
                    Check("Choose", () => Promise.Choose((Promise)c));
                    Check("NPick", () => Promise.NPick(c));
                    Check("NChoose", () => Promise.NChoose(c));
                    Check("NChooseSplit", () => Promise.NChooseSplit(c));
                    Check("Catch", () => Promise.Catch(() => c, _ => Promise.Return(0)));
                    Check("Finally", () => Promise.Finally(() => c, () => Promise.ReturnUnit));
                    Check("TryBind", () => Promise.TryBind(() => c, Promise.Return, _ => Promise.Return(0)));
                    Check("Async", () => Promise.Async(() => c));
                    Check("DontWait", () => Promise.DontWait(() => c, _ => { }));
#pragma warning disable CS0618 // IgnoreResult is obsolete, as Lwt's ignore_result
                    Check("IgnoreResult", () => Promise.IgnoreResult(c));
#pragma warning restore CS0618
                });
                other.Start();
                other.Join();
                return Promise.ReturnUnit;
            });
        });
        Assert.Equal(18, refused.Count);
    }
}

/// <summary>A race that throws at the call leaves nothing behind (a loop on another thread).</summary>
[Collection(LoopGlobalState.Name)]
public class DocAuditCoreRaceThreadTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_Pick_refused_for_an_input_of_a_loop_on_another_thread_does_not_cancel_it_later(bool npick)
    {
        // The InvalidOperationException of Pick/NPick is thrown at the call: the race must not
        // have attached itself to the inputs before it, where, once one of them resolved, the
        // orphaned race would still cancel the others, the foreign input included.
        using var other = new Lwt.Tests.Interop.LoopThread();
        var foreign = other.Run(() => Promise.CreateCancelable<int>().Promise);
        var (local, r) = Promise.CreateCancelable<int>();
        Assert.Throws<InvalidOperationException>(() =>
        {
            if (npick) Promise.NPick(local, foreign);
            else Promise.Pick(local, foreign);
        });
        r.Resolve(1);
        // A cancel of the foreign input would be posted to its loop: this runs after it.
        Assert.Equal(PromiseState.Pending, other.Run(() => foreign.State));
    }
}

/// <summary>A join refused at the call attaches to none of its inputs (a loop on another thread).</summary>
[Collection(LoopGlobalState.Name)]
public class DocAuditCoreJoinThreadTests
{
    [Theory]
    [InlineData("join")]
    [InlineData("both")]
    [InlineData("all")]
    public void A_join_refused_for_an_input_of_a_loop_on_another_thread_leaves_no_callback_on_the_others(string kind)
    {
        // Attached to the local input before reaching the foreign one, the join whose call
        // threw would stay among the local input's callbacks until it resolved.
        using var other = new Lwt.Tests.Interop.LoopThread();
        var foreign = other.Run(() => Promise.CreateCancelable<int>().Promise);
        var (local, r) = Promise.CreateCancelable<int>();
        Assert.Throws<InvalidOperationException>(() =>
        {
            switch (kind)
            {
                case "join": Promise.Join(local, foreign); break;
                case "both": Promise.Both(local, foreign); break;
                default: Promise.All(local, foreign); break;
            }
        });
        Assert.Equal(0, CallbackStore.Count(local.Underlying()._callbacks));
        r.Resolve(1);
        Assert.Equal(PromiseState.Pending, other.Run(() => foreign.State));
    }
}

/// <summary>What the handlers' and Async's docs say of a null promise and of a throwing handler.</summary>
[Collection(SerialCollection.Name)]
public class DocAuditCoreHandlerTests
{
    [Fact]
    public void A_null_promise_from_f_counts_as_a_rejection_with_InvalidOperationException()
    {
        Exception? caught = null;
        Assert.True(Promise.Catch<int>(() => null!, e => { caught = e; return Promise.Return(1); }).IsFulfilled);
        Assert.IsType<InvalidOperationException>(caught);
        Assert.IsType<InvalidOperationException>(Promise.Finally<int>(() => null!, () => Promise.ReturnUnit).Exception);
        Assert.IsType<InvalidOperationException>(Promise.Finally<int>(() => Promise.Return(1), () => null!).Exception);
        Assert.IsType<InvalidOperationException>(Promise.TryBind<int, int>(() => null!, Promise.Return, _ => null!).Exception);
        Exception? handled = null;
        Promise.DontWait(() => null!, e => handled = e);
        Assert.IsType<InvalidOperationException>(handled);
        using var hook = new HookCapture();
        Promise.Async(() => null!);
        var boom = new Boom();
        Promise.DontWait(() => Promise.Fail(new Boom("first")), _ => throw boom);
        Assert.Equal(2, hook.Seen.Count);
        Assert.IsType<InvalidOperationException>(hook.Seen[0]);
        Assert.Same(boom, hook.Seen[1]);
    }
}

/// <summary>The resolver from another thread (replaces the async exception hook).</summary>
[Collection(SerialCollection.Name)]
public class DocAuditCoreResolverThreadTests
{
    [Fact]
    public void Resolve_and_Reject_from_another_thread_of_a_resolved_promise_do_nothing_and_TryResolve_returns_true()
    {
        // Resolver remarks: from another thread, while the loop runs, a resolution is posted;
        // one that finds the promise resolved already does nothing (no throw at the call,
        // nothing to the hook), and the Try forms return true (queued); a canceled promise is
        // left alone by all of them.
        using var hook = new HookCapture();
        bool tryResolved = false, tryRejected = false;
        Promise<int>? resolved = null, canceled = null;
        LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(() =>
            {
                var (p, r) = Promise.Create<int>();
                var (c, rc) = Promise.CreateCancelable<int>();
                var (done, rd) = Promise.Create();
                resolved = p;
                canceled = c;
                r.Resolve(1);
                c.Cancel();
                var other = new Thread(() =>
                {
                    r.Resolve(2);
                    r.RejectNow(new Boom());
                    tryResolved = r.TryResolve(3);
                    tryRejected = r.TryReject(new Boom());
                    rc.Resolve(4);
                    rc.Reject(new Boom());
                    rd.Resolve(); // posted after the others: the loop has done them when it stops
                });
                other.Start();
                return done;
            });
        });
        Assert.True(tryResolved);
        Assert.True(tryRejected);
        Assert.Equal(1, resolved!.Value);
        Assert.True(canceled!.IsCanceled);
        Assert.Empty(hook.Seen);
    }
}
