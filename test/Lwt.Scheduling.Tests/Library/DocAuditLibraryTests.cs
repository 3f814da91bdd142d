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
}
