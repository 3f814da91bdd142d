namespace Lwt.Tests.Library;

/// <summary>
/// What the docs of LwtStream, BoundedPush, LwtSeq and LwtList promise, where an audit
/// found the code and the docs apart (or pinned a claim no test held).
/// </summary>
public class DocAuditStreamTests
{
    private static LwtStream<int> Three() => LwtStream.OfList([1, 2, 3]);

    public static TheoryData<string> NullCallbackCases() =>
    [
        "MapS", "FilterS", "FilterMapS", "MapListS", "FoldS", "IterS", "FindS", "FindMapS", "GetWhileS", "JunkWhileS",
    ];

    private static Promise RunWithNullCallback(string name) => name switch
    {
        "MapS" => Three().MapS<int>(_ => null!).Get(),
        "FilterS" => Three().FilterS(_ => null!).Get(),
        "FilterMapS" => Three().FilterMapS<int>(_ => null!).Get(),
        "MapListS" => Three().MapListS<int>(_ => null!).Get(),
        "FoldS" => Three().FoldS<int>((_, _) => null!, 0),
        "IterS" => Three().IterS(_ => null!),
        "FindS" => Three().FindS(_ => null!),
        "FindMapS" => Three().FindMapS<int>(_ => null!),
        "GetWhileS" => Three().GetWhileS(_ => null!),
        "JunkWhileS" => Three().JunkWhileS(_ => null!),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // The stream functions whose callback returns a promise rejected their result with the
    // NullReferenceException of binding or awaiting null when the callback returned null;
    // From, IterP, IterN, Parse, and every LwtSeq and LwtList function, reject with
    // ThrowHelper's InvalidOperationException, as ThrowHelper.NullAsRejected's doc says
    // every function taking a promise-returning callback does.
    [Theory]
    [MemberData(nameof(NullCallbackCases))]
    public void A_stream_callback_returning_null_rejects_with_InvalidOperationException(string name)
    {
        var result = RunWithNullCallback(name);
        Assert.True(result.IsRejected);
        Assert.IsType<InvalidOperationException>(result.Exception);
    }
}
