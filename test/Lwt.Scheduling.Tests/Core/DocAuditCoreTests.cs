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
}
