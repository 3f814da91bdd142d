namespace Lwt.Tests.Library;

/// <summary>
/// LwtStream.Return and ReturnLwt (Lwt_stream.return, return_lwt): a stream of one value,
/// closed right after it; a rejected promise gives a closed stream with no item.
/// </summary>
public class LwtStreamReturnTests
{
    private sealed class Boom : Exception
    {
    }

    [Fact]
    public void ReturnHoldsTheValueAndIsAlreadyClosed()
    {
        var s = LwtStream.Return("a");
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
        Assert.False(s.IsEmpty().Value);
        Assert.Equal(Option.Some("a"), s.Get().Value);
        Assert.Equal(Option<string>.None, s.Get().Value); // the end, at once: no waiting
        Assert.True(s.IsEmpty().Value);
    }

    [Fact]
    public void ReturnOfNullIsOneItem()
    {
        var s = LwtStream.Return<string?>(null);
        Assert.Equal(new string?[] { null }, s.ToList().Value);
    }

    [Fact]
    public void ClonesOfAReturnedStreamEachSeeTheValue()
    {
        var s = LwtStream.Return(7);
        var c = s.Clone();
        Assert.Equal(new[] { 7 }, s.ToList().Value);
        Assert.Equal(new[] { 7 }, c.ToList().Value);
    }

    [Fact]
    public void ReturnLwtOfAFulfilledPromiseIsReturn()
    {
        var s = LwtStream.ReturnLwt(Promise.Return(5));
        Assert.True(s.IsClosed);
        Assert.Equal(new[] { 5 }, s.ToList().Value);
    }

    [Fact]
    public void ReturnLwtOfARejectedPromiseIsClosedAndEmptyAndDropsTheException()
    {
        var s = LwtStream.ReturnLwt(Promise.Fail<int>(new Boom()));
        Assert.True(s.IsClosed);
        var next = s.Get();
        Assert.True(next.IsFulfilled); // the end, not the exception
        Assert.Equal(Option<int>.None, next.Value);
        Assert.Empty(s.ToList().Value);
    }

    [Fact]
    public void ReturnLwtOfAPendingPromiseWaitsThenGivesTheValueThenTheEnd()
    {
        var (p, r) = Promise.Create<string>();
        var s = LwtStream.ReturnLwt(p);
        Assert.False(s.IsClosed);
        var first = s.Get();
        var all = s.Clone().ToList();
        Assert.True(first.IsPending);
        Assert.True(all.IsPending);
        Assert.True(s.Closed().IsPending);

        r.ResolveNow("late");
        Assert.Equal(Option.Some("late"), first.Value);
        Assert.True(s.IsClosed);
        Assert.True(s.Closed().IsFulfilled);
        Assert.Equal(Option<string>.None, s.Get().Value);
        Assert.Equal(new[] { "late" }, all.Value);
    }

    [Fact]
    public void ReturnLwtOfAPendingPromiseThatIsRejectedEndsTheWaitingReaders()
    {
        var (p, r) = Promise.Create<int>();
        var s = LwtStream.ReturnLwt(p);
        var next = s.Get();
        var all = s.Clone().ToList();
        r.RejectNow(new Boom());
        Assert.Equal(Option<int>.None, next.Value);
        Assert.Empty(all.Value);
        Assert.True(s.IsClosed);
    }

    [Fact]
    public void ReturnLwtOfACanceledPromiseIsClosedAndEmpty()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        var s = LwtStream.ReturnLwt(p);
        var next = s.Get();
        p.Cancel();
        Assert.Equal(Option<int>.None, next.Value);
        Assert.True(s.IsClosed);
    }

    [Fact]
    public void ReadingTheStreamDoesNotCancelThePromise()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        var s = LwtStream.ReturnLwt(p);
        var next = s.Get();
        next.Cancel(); // a reader giving up
        Assert.True(p.IsPending);
        r.ResolveNow(3);
        Assert.Equal(Option.Some(3), s.Get().Value);
    }

    [Fact]
    public void ReturnLwtRefusesNull() =>
        Assert.Throws<ArgumentNullException>("promise", () => LwtStream.ReturnLwt<int>(null!));
}
