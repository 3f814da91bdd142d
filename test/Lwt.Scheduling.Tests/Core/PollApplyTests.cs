namespace Lwt.Tests.Core;

/// <summary>
/// Lwt.poll and Lwt.apply (lwt.mli's undocumented tail; behaviour as lwt.ml:
/// poll gives Some v / None / raises the rejection; apply turns f's exception into a rejection).
/// </summary>
public class PollApplyTests
{
    [Fact]
    public void Poll_of_a_fulfilled_promise_is_Some_of_its_value()
    {
        Assert.Equal(Option.Some(5), Promise.Return(5).Poll());
    }

    [Fact]
    public void Poll_of_a_pending_promise_is_None_and_Some_once_it_is_fulfilled()
    {
        var (p, r) = Promise.Create<string>();
        Assert.False(p.Poll().HasValue);
        r.ResolveNow("x");
        Assert.Equal(Option.Some("x"), p.Poll());
    }

    [Fact]
    public void Poll_of_a_rejected_promise_throws_its_exception_itself()
    {
        var e = new InvalidOperationException("boom");
        var thrown = Assert.Throws<InvalidOperationException>(() => Promise.Fail<int>(e).Poll());
        Assert.Same(e, thrown);
        var (p, _) = Promise.CreateCancelable<int>();
        p.Cancel();
        Assert.Throws<CanceledException>(() => p.Poll());
    }

    [Fact]
    public void Apply_returns_the_promise_of_f_applied_to_its_argument()
    {
        var (q, r) = Promise.Create<int>();
        var p = Promise.Apply(x => x == 2 ? q : Promise.Return(0), 2);
        Assert.True(p.IsPending);
        r.ResolveNow(7);
        Assert.Equal(7, p.Value);
        Assert.Equal(4, Promise.Apply((int x) => Promise.Return(x * 2), 2).Value);
    }

    [Fact]
    public void Apply_turns_what_f_throws_into_a_rejected_promise()
    {
        var e = new ArgumentException("bad");
        Promise<int> p = Promise.Apply<int, int>(_ => throw e, 1);
        Assert.Same(e, p.Exception);
        Promise u = Promise.Apply<string>(_ => throw e, "a");
        Assert.Same(e, u.Exception);
        Assert.True(Promise.Apply((string s) => (Promise)Promise.Return(s.Length), "ab").IsFulfilled);
        Assert.Throws<ArgumentNullException>(() => Promise.Apply<int, int>(null!, 1));
    }
}
