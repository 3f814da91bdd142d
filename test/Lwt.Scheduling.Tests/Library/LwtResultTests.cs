namespace Lwt.Tests.Library;

public class LwtResultTests
{
    private static Promise<Result<int, string>> Ok(int x) => LwtResult.Return<int, string>(x);
    private static Promise<Result<int, string>> Err(string e) => LwtResult.Fail<int, string>(e);

    [Fact]
    public void ResultStruct()
    {
        var ok = Result<int, string>.Ok(1);
        var err = Result<int, string>.Error("e");
        Assert.True(ok.IsOk);
        Assert.Equal(1, ok.Value);
        Assert.True(err.IsError);
        Assert.Equal("e", err.ErrorValue);
        Assert.Throws<InvalidOperationException>(() => err.Value);
        Assert.Throws<InvalidOperationException>(() => ok.ErrorValue);
        Assert.Equal("Ok 1", ok.ToString());
        Assert.Equal("Error e", err.ToString());
        Assert.Equal(Result<int, string>.Ok(1), ok);
        Assert.NotEqual(ok, err);
        Assert.Equal(2, ok.Match(x => x + 1, _ => 0));
    }

    [Fact]
    public void Constructors()
    {
        Assert.Equal(Result<int, string>.Ok(1), Ok(1).Value);
        Assert.Equal(Result<int, string>.Error("x"), Err("x").Value);
        Assert.Equal(Result<int, string>.Ok(2), LwtResult.Lift(Result<int, string>.Ok(2)).Value);
        Assert.Equal(Result<int, string>.Ok(3), LwtResult.Ok<int, string>(Promise.Return(3)).Value);
        Assert.Equal(Result<int, string>.Error("y"), LwtResult.Error<int, string>(Promise.Return("y")).Value);
    }

    [Fact]
    public void CatchAndGetExn()
    {
        var e = new FormatException();
        Assert.Same(e, LwtResult.Catch<int>(() => throw e).Value.ErrorValue);
        Assert.Equal(4, LwtResult.Catch(() => Promise.Return(4)).Value.Value);
        Assert.Same(e, LwtResult.GetExn(Promise.Return(Result<int, Exception>.Error(e))).Exception);
        Assert.Equal(5, LwtResult.GetExn(Promise.Return(Result<int, Exception>.Ok(5))).Value);
    }

    [Fact]
    public void MapsAndBinds()
    {
        Assert.Equal(2, LwtResult.Map(x => x * 2, Ok(1)).Value.Value);
        Assert.Equal("e", LwtResult.Map(x => x * 2, Err("e")).Value.ErrorValue);
        Assert.Equal(1, LwtResult.MapError(e => e.Length, Err("e")).Value.ErrorValue);
        Assert.Equal(3, LwtResult.Bind(Ok(1), x => Ok(x + 2)).Value.Value);
        Assert.Equal("e", LwtResult.Bind(Err("e"), x => Ok(x + 2)).Value.ErrorValue);
        Assert.Equal(3, LwtResult.BindLwt(Ok(1), x => Promise.Return(x + 2)).Value.Value);
        Assert.Equal(9, LwtResult.BindError(Err("e"), _ => LwtResult.Return<int, int>(9)).Value.Value);
        Assert.Equal(1, LwtResult.BindLwtError(Err("e"), e => Promise.Return(e.Length)).Value.ErrorValue);
        Assert.Equal(5, LwtResult.BindResult(Ok(1), x => Result<int, string>.Ok(x + 4)).Value.Value);
        var rejected = LwtResult.Map(x => x, Promise.Fail<Result<int, string>>(new FormatException()));
        Assert.IsType<FormatException>(rejected.Exception);
    }

    [Fact]
    public void BothKeepsFirstErrorInTime()
    {
        var (p1, r1) = Promise.Create<Result<int, string>>();
        var (p2, r2) = Promise.Create<Result<int, string>>();
        var both = LwtResult.Both(p1, p2);
        r2.Resolve(Result<int, string>.Error("second"));
        Assert.True(both.IsPending);
        r1.Resolve(Result<int, string>.Error("first"));
        Assert.Equal("second", both.Value.ErrorValue);
        Assert.Equal((1, 2), LwtResult.Both(Ok(1), Ok(2)).Value.Value);
    }

    // lwt_result.ml builds (map_error set_once a, map_error set_once b), which OCaml evaluates
    // right to left: with both already errors at the call, p2's error is the one noted first.
    [Fact]
    public void BothOfTwoErrorsAtTheCallGivesTheSecond()
    {
        Assert.Equal("second", LwtResult.Both(Err("first"), Err("second")).Value.ErrorValue);
        // One error at the call and one later: the one at the call came first.
        var (p2, r2) = Promise.Create<Result<int, string>>();
        var both = LwtResult.Both(Err("first"), p2);
        r2.Resolve(Result<int, string>.Error("second"));
        Assert.Equal("first", both.Value.ErrorValue);
    }

    [Fact]
    public void Iters()
    {
        int seen = 0;
        LwtResult.Iter(x => { seen += x; return Promise.ReturnUnit; }, Ok(2));
        LwtResult.Iter(x => { seen += 100; return Promise.ReturnUnit; }, Err("e"));
        LwtResult.IterError(e => { seen += e.Length; return Promise.ReturnUnit; }, Err("abc"));
        Assert.Equal(5, seen);
    }

    [Fact]
    public void QuerySyntax()
    {
        Promise<Result<int, string>> sum = from x in Ok(1).Query() from y in Ok(2) select x + y;
        Assert.Equal(3, sum.Value.Value);
        Promise<Result<int, string>> failed = from x in Ok(1).Query() from y in Err("no") select x + y;
        Assert.Equal("no", failed.Value.ErrorValue);
        Promise<Result<string, string>> mapped = from x in Ok(4).Query() select x.ToString();
        Assert.Equal("4", mapped.Value.Value);
    }

    [Fact]
    public void NullArguments()
    {
        Assert.Throws<ArgumentNullException>(() => LwtResult.Map<int, int, string>(null!, Ok(1)));
        Assert.Throws<ArgumentNullException>(() => LwtResult.Bind<int, int, string>(null!, x => Ok(x)));
        Assert.Throws<ArgumentNullException>(() => LwtResult.Catch<int>(null!));
    }

    // A continuation returning null instead of a promise rejects with the message every
    // other combinator gives (ThrowHelper.NullPromise), not a NullReferenceException.
    [Fact]
    public void BindLwt_and_BindLwtError_reject_a_null_promise_as_the_other_combinators_do()
    {
        var expected = LwtResult.Bind<int, int, string>(Ok(1), _ => null!).Exception;
        Assert.IsType<InvalidOperationException>(expected);
        var ok = LwtResult.BindLwt<int, int, string>(Ok(1), _ => null!).Exception;
        var error = LwtResult.BindLwtError<int, string, string>(Err("e"), _ => null!).Exception;
        Assert.Equal((typeof(InvalidOperationException), expected!.Message), (ok?.GetType(), ok?.Message));
        Assert.Equal((typeof(InvalidOperationException), expected.Message), (error?.GetType(), error?.Message));
    }

#pragma warning disable CS0618 // MapErr and BindLwtErr are obsolete, as Lwt deprecates map_err and bind_lwt_err
    [Fact]
    public void MapErr_is_MapError_under_its_deprecated_name()
    {
        Assert.Equal(3, LwtResult.MapErr(e => e.Length, Err("abc")).Value.ErrorValue);
        Assert.Equal(7, LwtResult.MapErr(e => e.Length, Ok(7)).Value.Value);
        Assert.Throws<ArgumentNullException>(() => LwtResult.MapErr<int, string, int>(null!, Err("e")));
        Assert.Throws<ArgumentNullException>(() => LwtResult.MapErr<int, string, int>(e => e.Length, null!));
    }

    [Fact]
    public void BindLwtErr_is_BindLwtError_under_its_deprecated_name()
    {
        var (p, r) = Promise.Create<int>();
        var mapped = LwtResult.BindLwtErr(Err("abcd"), e => p);
        Assert.True(mapped.IsPending);
        r.Resolve(4);
        Assert.Equal(4, mapped.Value.ErrorValue);
        int calls = 0;
        Assert.Equal(9, LwtResult.BindLwtErr(Ok(9), e => { calls++; return Promise.Return(0); }).Value.Value);
        Assert.Equal(0, calls);
        Assert.Throws<ArgumentNullException>(() => LwtResult.BindLwtErr<int, string, int>(Err("e"), null!));
    }
#pragma warning restore CS0618
}
