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
}
