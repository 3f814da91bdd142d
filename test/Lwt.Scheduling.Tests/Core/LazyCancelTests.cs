namespace Lwt.Tests.Core;

// Promise.Cancellation.cs: a promise canceled with nothing attached gets its CanceledException
// on first look. Whoever looks, and however often, sees one and the same object.
public class LazyCancelTests
{
    [Fact]
    public void Unobserved_cancel_allocates_nothing()
    {
        const int n = 64;
        var (perOp, tasks) = AllocationMeter.PerOp(n,
            static () => Enumerable.Range(0, n).Select(_ => Promise.CreateCancelable<int>().Promise).ToArray(),
            static (promises, i) => promises[i].Cancel());
        Assert.Equal(0, perOp);
        for (int i = 0; i < tasks.Length; i++) Assert.True(tasks[i].IsCanceled);
    }

    [Fact]
    public void Every_observer_sees_the_same_exception()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        p.Cancel();
        Assert.True(p.IsCanceled);
        Assert.True(p.IsRejected);
        Assert.Equal(PromiseState.Rejected, p.State);
        var e = Assert.IsType<CanceledException>(p.Exception);
        Assert.Same(e, p.Exception);

        Exception? failure = null, caught = null, thrown = null;
        p.OnFailure(x => failure = x);
        Promise.Catch(() => p, x => { caught = x; return Promise.Return(0); });
        var bound = p.Bind(x => Promise.Return(x));
        var mapped = p.Map(x => x);
        try
        {
            p.GetAwaiter().GetResult();
        }
        catch (Exception x)
        {
            thrown = x;
        }
        Assert.Same(e, failure);
        Assert.Same(e, caught);
        Assert.Same(e, thrown);
        Assert.Same(e, bound.Exception);
        Assert.Same(e, mapped.Exception);
    }

    [Fact]
    public void Distinct_promises_get_distinct_exceptions()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        a.Cancel();
        b.Cancel();
        Assert.NotSame(a.Exception, b.Exception);
    }

    [Fact]
    public void First_look_through_a_dependent_promise_is_the_promise_exception()
    {
        var (p, _) = Promise.CreateCancelable<Unit>();
        p.Cancel();
        var joined = Promise.Join(p, Promise.ReturnUnit);
        var both = Promise.Both(p, Promise.Return(1));
        Assert.Same(p.Exception, joined.Exception);
        Assert.Same(p.Exception, both.Exception);
    }

    [Fact]
    public void Cancel_with_callbacks_attached_gives_them_the_promise_exception()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        Exception? seen = null;
        p.OnFailure(x => seen = x);
        p.Cancel();
        Assert.NotNull(seen);
        Assert.Same(p.Exception, seen);
    }

    [Fact]
    public void Pick_loser_is_canceled_and_its_exception_is_stable()
    {
        var (t, _) = Promise.CreateCancelable<int>();
        var r = Promise.Pick(t, Promise.Return(7));
        Assert.Equal(7, r.Value);
        Assert.True(t.IsCanceled);
        Assert.Same(t.Exception, t.Exception);
    }

    [Fact]
    public void Concurrent_first_looks_agree()
    {
        for (int round = 0; round < 200; round++)
        {
            var (p, _) = Promise.CreateCancelable<int>();
            p.Cancel();
            var seen = new Exception?[4];
            Parallel.For(0, seen.Length, i => seen[i] = p.Exception);
            for (int i = 1; i < seen.Length; i++) Assert.Same(seen[0], seen[i]);
        }
    }
}
