namespace Lwt.Tests.Core;

/// <summary>
/// Lwt's shorthands for resolved promises and results (return_nil, return_ok, return_error,
/// fail_with, fail_invalid_arg, of_result, wakeup_later_result, wakeup_result, wrap1..wrap7).
/// </summary>
public class ShorthandTests
{
    [Fact]
    public void ReturnNil_is_fulfilled_with_an_empty_list_shared_per_type()
    {
        var p = Promise.ReturnNil<int>();
        Assert.Equal(PromiseState.Fulfilled, p.State);
        Assert.Empty(p.Value);
        Assert.Same(p, Promise.ReturnNil<int>());
        Assert.Empty(Promise.ReturnNil<string>().Value);
    }

    [Fact]
    public void ReturnOk_and_ReturnError_are_fulfilled_with_the_result()
    {
        var ok = Promise.ReturnOk<int, string>(3);
        var error = Promise.ReturnError<int, string>("bad");
        Assert.Equal(Result<int, string>.Ok(3), ok.Value);
        // return_error is a *fulfilled* promise holding Error, not a rejection.
        Assert.Equal(PromiseState.Fulfilled, error.State);
        Assert.Equal(Result<int, string>.Error("bad"), error.Value);
    }

    [Fact]
    public void FailWith_rejects_with_a_plain_exception_carrying_the_message()
    {
        var p = Promise.FailWith<int>("went wrong");
        Assert.Equal(PromiseState.Rejected, p.State);
        Assert.Equal(typeof(Exception), p.Exception!.GetType());
        Assert.Equal("went wrong", p.Exception.Message);
        Assert.Equal("untyped", Promise.FailWith("untyped").Exception!.Message);
        Assert.Throws<ArgumentNullException>(() => Promise.FailWith<int>(null!));
    }

    [Fact]
    public void FailInvalidArg_rejects_with_an_ArgumentException_carrying_the_message()
    {
        var p = Promise.FailInvalidArg<int>("Lwt_stream.parse");
        Assert.Equal(PromiseState.Rejected, p.State);
        var e = Assert.IsType<ArgumentException>(p.Exception);
        Assert.Equal("Lwt_stream.parse", e.Message);
        Assert.IsType<ArgumentException>(Promise.FailInvalidArg("x").Exception);
        Assert.Throws<ArgumentNullException>(() => Promise.FailInvalidArg(null!));
    }

    [Fact]
    public void OfResult_fulfils_with_Ok_and_rejects_with_Error()
    {
        var boom = new Boom();
        Assert.Equal(5, Promise.OfResult(Result<int, Exception>.Ok(5)).Value);
        var rejected = Promise.OfResult(Result<int, Exception>.Error(boom));
        Assert.Equal(PromiseState.Rejected, rejected.State);
        Assert.Same(boom, rejected.Exception);
        Assert.Throws<ArgumentNullException>(() => Promise.OfResult(Result<int, Exception>.Error(null!)));
    }

    [Fact]
    public void ResolveResult_fulfils_or_rejects_and_refuses_a_second_resolution()
    {
        var (p, r) = Promise.Create<int>();
        r.ResolveResult(Result<int, Exception>.Ok(7));
        Assert.Equal(7, p.Value);
        Assert.Throws<InvalidOperationException>(() => r.ResolveResult(Result<int, Exception>.Ok(8)));

        var boom = new Boom();
        var (q, rq) = Promise.Create<int>();
        rq.ResolveResult(Result<int, Exception>.Error(boom));
        Assert.Same(boom, q.Exception);
        Assert.Throws<InvalidOperationException>(() => rq.ResolveResult(Result<int, Exception>.Error(new Boom())));
        Assert.Same(boom, q.Exception);
    }

    [Fact]
    public void ResolveResultNow_fulfils_or_rejects_and_refuses_a_second_resolution()
    {
        var (p, r) = Promise.Create<string>();
        string? seen = null;
        p.OnSuccess(v => seen = v);
        r.ResolveResultNow(Result<string, Exception>.Ok("v"));
        Assert.Equal("v", seen);
        Assert.Throws<InvalidOperationException>(() => r.ResolveResultNow(Result<string, Exception>.Ok("w")));

        var boom = new Boom();
        var (q, rq) = Promise.Create<string>();
        Exception? failed = null;
        q.OnFailure(e => failed = e);
        rq.ResolveResultNow(Result<string, Exception>.Error(boom));
        Assert.Same(boom, failed);
    }

    [Fact]
    public void ResolveResult_on_a_canceled_promise_does_nothing()
    {
        // As wakeup_later on a canceled task: no Invalid_argument, the cancellation stays.
        var (p, r) = Promise.CreateCancelable<int>();
        p.Cancel();
        r.ResolveResult(Result<int, Exception>.Ok(1));
        r.ResolveResultNow(Result<int, Exception>.Error(new Boom()));
        Assert.IsType<CanceledException>(p.Exception);
    }

    [Fact]
    public void ResolveResult_with_a_null_error_throws_at_the_call_and_leaves_the_promise_pending()
    {
        var (p, r) = Promise.Create<int>();
        Assert.Throws<ArgumentNullException>(() => r.ResolveResult(Result<int, Exception>.Error(null!)));
        Assert.Throws<ArgumentNullException>(() => r.ResolveResultNow(Result<int, Exception>.Error(null!)));
        Assert.Equal(PromiseState.Pending, p.State);
    }

    [Fact]
    public void Wrap1_to_Wrap7_pass_their_arguments_in_order()
    {
        Assert.Equal("a", Promise.Wrap1(x => x, "a").Value);
        Assert.Equal("ab", Promise.Wrap2((a, b) => a + b, "a", "b").Value);
        Assert.Equal("abc", Promise.Wrap3((a, b, c) => a + b + c, "a", "b", "c").Value);
        Assert.Equal("abcd", Promise.Wrap4((a, b, c, d) => a + b + c + d, "a", "b", "c", "d").Value);
        Assert.Equal("abcde", Promise.Wrap5((a, b, c, d, e) => a + b + c + d + e, "a", "b", "c", "d", "e").Value);
        Assert.Equal("abcdef", Promise.Wrap6((a, b, c, d, e, f) => a + b + c + d + e + f, "a", "b", "c", "d", "e", "f").Value);
        Assert.Equal("abcdefg", Promise.Wrap7((a, b, c, d, e, f, g) => a + b + c + d + e + f + g, "a", "b", "c", "d", "e", "f", "g").Value);
        Assert.Equal(3, Promise.Wrap2((int a, double b) => a + (int)b, 1, 2.0).Value);
    }

    [Fact]
    public void Wrap1_to_Wrap7_turn_a_throw_into_a_rejection()
    {
        var boom = new Boom();
        Assert.Same(boom, Promise.Wrap1<int, int>(_ => throw boom, 1).Exception);
        Assert.Same(boom, Promise.Wrap2<int, int, int>((_, _) => throw boom, 1, 2).Exception);
        Assert.Same(boom, Promise.Wrap3<int, int, int, int>((_, _, _) => throw boom, 1, 2, 3).Exception);
        Assert.Same(boom, Promise.Wrap4<int, int, int, int, int>((_, _, _, _) => throw boom, 1, 2, 3, 4).Exception);
        Assert.Same(boom, Promise.Wrap5<int, int, int, int, int, int>((_, _, _, _, _) => throw boom, 1, 2, 3, 4, 5).Exception);
        Assert.Same(boom, Promise.Wrap6<int, int, int, int, int, int, int>((_, _, _, _, _, _) => throw boom, 1, 2, 3, 4, 5, 6).Exception);
        Assert.Same(boom, Promise.Wrap7<int, int, int, int, int, int, int, int>((_, _, _, _, _, _, _) => throw boom, 1, 2, 3, 4, 5, 6, 7).Exception);
    }

    [Fact]
    public void Wrap1_to_Wrap7_throw_at_the_call_for_a_null_function()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap1<int, int>(null!, 1));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap2<int, int, int>(null!, 1, 2));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap3<int, int, int, int>(null!, 1, 2, 3));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap4<int, int, int, int, int>(null!, 1, 2, 3, 4));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap5<int, int, int, int, int, int>(null!, 1, 2, 3, 4, 5));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap6<int, int, int, int, int, int, int>(null!, 1, 2, 3, 4, 5, 6));
        Assert.Throws<ArgumentNullException>(() => Promise.Wrap7<int, int, int, int, int, int, int, int>(null!, 1, 2, 3, 4, 5, 6, 7));
    }
}

/// <summary>The deprecated <c>Lwt.ignore_result</c>: the hook is process-wide, so serial.</summary>
[Collection(SerialCollection.Name)]
public class IgnoreResultTests
{
#pragma warning disable CS0618 // IgnoreResult is obsolete, as Lwt.ignore_result is deprecated
    [Fact]
    public void IgnoreResult_throws_at_once_for_an_already_rejected_promise()
    {
        using var hook = new HookCapture();
        var boom = new Boom();
        Assert.Same(boom, Assert.Throws<Boom>(() => Promise.IgnoreResult(Promise.Fail<int>(boom))));
        Assert.Empty(hook.Seen);
    }

    [Fact]
    public void IgnoreResult_sends_a_later_rejection_to_the_hook_and_ignores_values()
    {
        using var hook = new HookCapture();
        Promise.IgnoreResult(Promise.Return(1));
        var (ok, rok) = Promise.Create<int>();
        Promise.IgnoreResult(ok);
        rok.Resolve(2);
        Assert.Empty(hook.Seen);

        var boom = new Boom();
        var (p, r) = Promise.Create<int>();
        Promise.IgnoreResult(p);
        Assert.Empty(hook.Seen);
        r.Reject(boom);
        Assert.Equal(new Exception[] { boom }, hook.Seen);
    }

    [Fact]
    public void IgnoreResult_rejects_null()
    {
        Assert.Throws<ArgumentNullException>(() => Promise.IgnoreResult(null!));
    }
#pragma warning restore CS0618
}
