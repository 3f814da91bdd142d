using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// <see cref="UnixError"/> and what <see cref="UnixErrorException"/> gives of it: OCaml's
/// <c>Unix.error</c> names, <c>Unix.error_message</c>, and the <c>Unix_error (err, fn, arg)</c>
/// pattern as a positional pattern.
/// </summary>
[Collection("IO")]
public class UnixErrorNameTests
{
    [SkippableFact]
    public void AFailedCallNamesItsError_AndMatchesAsOCamlDoes()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux errno values and messages");
        string missing = Path.Combine(Path.GetTempPath(), "lwt-missing-" + Guid.NewGuid().ToString("N"));
        Exception? seen = null;
        LwtMain.Run(async () => seen = await Record(LwtUnix.Stat(missing)));

        var e = Unix(seen);
        Assert.Equal(UnixError.ENOENT, e.Error);
        Assert.Equal("No such file or directory", e.ErrorMessage);
        Assert.True(e is (UnixError.ENOENT, "stat", _));
        Assert.False(e is (UnixError.EACCES, _, _));
        var (error, function, argument) = e;
        Assert.Equal((UnixError.ENOENT, "stat", missing), (error, function, argument));
    }

    [Fact]
    public void TheNamesAreOCamlsConstructors_WithLinuxErrnoValues()
    {
        // Unix.error of OCaml 4.14/5.x: 68 named constructors and EUNKNOWNERR.
        Assert.Equal(69, Enum.GetNames<UnixError>().Length);
        Assert.Equal(2, (int)UnixError.ENOENT);
        Assert.Equal(13, (int)UnixError.EACCES);
        Assert.Equal(32, (int)UnixError.EPIPE);
        Assert.Equal(104, (int)UnixError.ECONNRESET);
        Assert.Equal(111, (int)UnixError.ECONNREFUSED);
        Assert.Equal(75, (int)UnixError.EOVERFLOW);
        // One number on Linux: an EWOULDBLOCK from the system reads as EAGAIN, as in OCaml.
        Assert.Equal(UnixError.EAGAIN, UnixError.EWOULDBLOCK);
        Assert.Equal(UnixError.EAGAIN, new UnixErrorException(11, "read").Error);
    }

    [Fact]
    public void AnErrnoWithoutAName_IsEUNKNOWNERR_AndKeepsItsNumber()
    {
        var e = new UnixErrorException(200, "ioctl");
        Assert.Equal(UnixError.EUNKNOWNERR, e.Error);
        Assert.Equal(200, e.Errno);
        var odd = new UnixErrorException(-1, "weird"); // the enum's own EUNKNOWNERR value is never an errno
        Assert.Equal(UnixError.EUNKNOWNERR, odd.Error);
        Assert.Equal(-1, odd.Errno);
    }

    [Fact]
    public void EveryNameRoundTripsThroughItsErrno()
    {
        foreach (var name in Enum.GetValues<UnixError>().Where(v => v != UnixError.EUNKNOWNERR))
        {
            var e = new UnixErrorException(name, "f", "a");
            Assert.Equal((int)name, e.Errno);
            Assert.Equal(name, e.Error);
            Assert.Equal("f", e.Function);
            Assert.Equal("a", e.Argument);
            Assert.NotEmpty(e.ErrorMessage);
            Assert.Contains(e.ErrorMessage, e.Message);
        }
    }

    [Fact]
    public void ConstructingFromANameThatIsNoErrno_IsAnArgumentException()
    {
        var unknown = Assert.Throws<ArgumentException>(() => new UnixErrorException(UnixError.EUNKNOWNERR, "f"));
        Assert.Equal("error", unknown.ParamName);
        Assert.Contains("errno number", unknown.Message);
        Assert.Throws<ArgumentException>(() => new UnixErrorException((UnixError)12345, "f"));
    }

    [Fact]
    public void NullStrings_AreArgumentNullExceptions()
    {
        Assert.Equal("function", Assert.Throws<ArgumentNullException>(() => new UnixErrorException(2, null!)).ParamName);
        Assert.Equal("argument", Assert.Throws<ArgumentNullException>(() => new UnixErrorException(2, "open", null!)).ParamName);
        Assert.Equal("function", Assert.Throws<ArgumentNullException>(() => new UnixErrorException(UnixError.ENOENT, null!)).ParamName);
    }
}
