namespace Lwt.Tests.Core;

/// <summary>
/// <c>p.Catch(handler)</c>: Lwt's <c>Lwt.catch (fun () -> p) handler</c> for a promise already
/// made (user trial 8 looked for it). It behaves as the static <c>Promise.Catch</c> of
/// <c>() => p</c>; these tests pin that.
/// </summary>
public class InstanceCatchTests
{
    [Fact]
    public void Fulfilled_IsReturnedAsItIs_AndTheHandlerIsNotCalled()
    {
        var p = Promise.Return(5);
        bool called = false;
        Promise<int> r = p.Catch(_ => { called = true; return Promise.Return(0); });
        Assert.Same(p, r);
        Assert.False(called);
    }

    [Fact]
    public void AlreadyRejected_CallsTheHandlerAtOnce_WithTheException()
    {
        var boom = new FormatException("boom");
        Exception? seen = null;
        var r = Promise.Fail<int>(boom).Catch(e => { seen = e; return Promise.Return(7); });
        Assert.Same(boom, seen);
        Assert.Equal(7, r.Value);
    }

    [Fact]
    public void PendingThenRejected_BecomesTheHandlersPromise()
    {
        var (p, resolver) = Promise.Create<int>();
        var (h, hr) = Promise.Create<int>();
        var r = p.Catch(_ => h);
        Assert.True(r.IsPending);
        resolver.Reject(new FormatException());
        Assert.True(r.IsPending); // waits for the handler's promise
        hr.Resolve(3);
        Assert.Equal(3, r.Value);
    }

    [Fact]
    public void PendingThenFulfilled_FollowsThePromise()
    {
        var (p, resolver) = Promise.Create<int>();
        bool called = false;
        var r = p.Catch(_ => { called = true; return Promise.Return(0); });
        resolver.Resolve(4);
        Assert.Equal(4, r.Value);
        Assert.False(called);
    }

    [Fact]
    public void AThrowingHandler_RejectsTheResult()
    {
        var thrown = new ArgumentException("from the handler");
        var r = Promise.Fail<int>(new FormatException()).Catch(_ => throw thrown);
        Assert.Same(thrown, r.Exception);
    }

    [Fact]
    public void CancelingTheResult_CancelsThePromise_AndTheHandlerSeesTheCancel()
    {
        var (p, _) = Promise.CreateCancelable<int>();
        Exception? seen = null;
        var r = p.Catch(e => { seen = e; return Promise.Return(-1); });
        r.Cancel();
        Assert.True(p.IsCanceled);
        Assert.IsType<CanceledException>(seen);
        Assert.Equal(-1, r.Value);
    }

    [Fact]
    public void SameAsTheStaticForm_OnEveryInput()
    {
        var inputs = new Func<Promise<int>>[]
        {
            () => Promise.Return(1),
            () => Promise.Fail<int>(new FormatException("f")),
        };
        foreach (var make in inputs)
        {
            var a = make().Catch(e => Promise.Return(e.Message.Length));
            var b = Promise.Catch(make, e => Promise.Return(e.Message.Length));
            Assert.Equal(b.Value, a.Value);
        }
    }

    [Fact]
    public void Untyped_HandlesARejection()
    {
        Promise p = Promise.Fail(new FormatException());
        Exception? seen = null;
        Promise r = p.Catch(e => { seen = e; return Promise.ReturnUnit; });
        Assert.True(r.IsFulfilled);
        Assert.IsType<FormatException>(seen);
        Promise ok = Promise.ReturnUnit;
        Assert.Same(ok, ok.Catch(_ => Promise.ReturnUnit));
    }

    [Fact]
    public void NullHandler_Throws()
    {
        Assert.Throws<ArgumentNullException>("handler", () => Promise.Return(1).Catch(null!));
        Assert.Throws<ArgumentNullException>("handler", () => ((Promise)Promise.ReturnUnit).Catch(null!));
    }
}
