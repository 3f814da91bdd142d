namespace Lwt.Tests;

/// <summary>
/// A null argument is an <see cref="ArgumentNullException"/> that names the caller's own
/// parameter, at the call. Found by a reflective audit (every public method and constructor,
/// one non-nullable reference parameter null at a time): these members let the null reach a
/// helper that named its own parameter, or turned a null array into an empty one.
/// </summary>
public class NullArgumentNameTests
{
    private static void Names(string param, Action call) =>
        Assert.Equal(param, Assert.Throws<ArgumentNullException>(call).ParamName);

    [Fact]
    public void PickAndChoose_OfANullArray_AreNullNotEmpty()
    {
        // Before: the array converted to an empty span, "Pick needs at least one promise".
        Names("promises", () => Promise.Pick((Promise<int>[])null!));
        Names("promises", () => Promise.Pick((Promise[])null!));
        Names("promises", () => Promise.Choose((Promise<int>[])null!));
        Names("promises", () => Promise.Choose((Promise[])null!));
        // and an empty array is still the ArgumentException of Lwt's Invalid_argument
        Assert.IsNotType<ArgumentNullException>(Assert.ThrowsAny<ArgumentException>(() => Promise.Pick(Array.Empty<Promise<int>>())));
    }

    [Fact]
    public void StreamAndSeqConstructors_NameTheirOwnParameter()
    {
        Names("array", () => LwtStream.OfArray<int>(null!));
        Names("s", () => LwtStream.OfString(null!));
        Names("seqs", () => LwtSeq.Concat<int>(null!));
        var s = LwtStream.OfList([1, 2]);
        Names("other", () => s.Append(null!));
        Names("other", () => s.Combine<int>(null!));
    }

    [Fact]
    public void HexdumpStream_OfANullStream_IsAtTheCall()
    {
        var oc = LwtIO.OfBytes(LwtIO.Output, new byte[64]);
        Names("bytes", () => oc.HexdumpStream(null!));
    }

    [Fact]
    public void MethodBuilders_SetStateMachine_ChecksForNull_AsTheRuntimesDo()
    {
        var untyped = PromiseMethodBuilder.Create();
        Names("stateMachine", () => untyped.SetStateMachine(null!));
        var typed = PromiseMethodBuilder<int>.Create();
        Names("stateMachine", () => typed.SetStateMachine(null!));
    }
}
