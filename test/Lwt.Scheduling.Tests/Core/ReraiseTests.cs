using System.Runtime.CompilerServices;

namespace Lwt.Tests.Core;

/// <summary>Promise.Reraise (Lwt.reraise): throws an exception again, keeping its original stack trace.</summary>
public class ReraiseTests
{
    private sealed class Boom : Exception
    {
        public Boom() : base("boom") { }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFromHere() => throw new Boom();

    private static Exception Caught(Action a)
    {
        try
        {
            a();
        }
        catch (Exception e)
        {
            return e;
        }

        throw new InvalidOperationException("nothing was thrown");
    }

    [Fact]
    public void RethrowsTheSameExceptionWithItsOriginalThrowSiteKept()
    {
        var first = Caught(ThrowFromHere);
        Assert.Contains(nameof(ThrowFromHere), first.StackTrace);

        var again = Caught(() => Promise.Reraise(first));
        Assert.Same(first, again);
        Assert.Contains(nameof(ThrowFromHere), again.StackTrace); // a plain 'throw first;' would lose it
    }

    [Fact]
    public void ReraisesARejectionReadFromAPromise()
    {
        var e = Caught(ThrowFromHere);
        var p = Promise.Fail<int>(e);
        var handled = Promise.Catch(() => p, x => x is Boom ? Promise.Return(1) : Promise.Return(0));
        Assert.Equal(1, handled.Value);

        // A handler that declines: the promise it makes is rejected with the same exception and trace.
        var declined = Promise.Catch<int>(() => p, x => { Promise.Reraise(x); return Promise.Return(0); });
        Assert.True(declined.IsRejected);
        Assert.Same(e, declined.Exception);
        Assert.Contains(nameof(ThrowFromHere), declined.Exception!.StackTrace);
    }

    [Fact]
    public void AnExceptionNeverThrownGetsItsTraceFromTheCall()
    {
        var fresh = new Boom();
        Assert.Null(fresh.StackTrace);
        var thrown = Caught(() => Promise.Reraise(fresh));
        Assert.Same(fresh, thrown);
        Assert.NotNull(thrown.StackTrace);
    }

    [Fact]
    public void NullIsRefused() =>
        Assert.Throws<ArgumentNullException>("exception", () => Promise.Reraise(null!));
}
