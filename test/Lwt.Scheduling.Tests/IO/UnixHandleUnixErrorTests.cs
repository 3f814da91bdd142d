using Lwt.Tests.Loop;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// HandleUnixError with its exit and its output replaced (a real exit would end the test run):
/// a Unix error prints OCaml's message and exits with 2; anything else passes through. The
/// replacements are process-wide, hence the collection that runs alone.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class UnixHandleUnixErrorTests
{
    /// <summary>Runs <paramref name="body"/> on a loop with the exit and the output recorded; returns the exit codes and the output.</summary>
    private static (List<int> Exits, string Output) Recorded(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux errno values and messages");
        var exits = new List<int>();
        var output = new StringWriter();
        LwtUnix.UnixErrorOutput = output;
        LwtUnix.UnixErrorExit = exits.Add;
        try
        {
            LwtMain.Run(body);
        }
        finally
        {
            LwtUnix.UnixErrorOutput = null;
            LwtUnix.UnixErrorExit = null;
        }

        return (exits, output.ToString());
    }

    private static string Program => Environment.GetCommandLineArgs()[0];

    [SkippableFact]
    public void AUnixErrorPrintsTheFunctionTheArgumentAndTheMessageThenExitsWith2()
    {
        string missing = Path.Combine(Path.GetTempPath(), "lwt-missing-" + Guid.NewGuid().ToString("N"));
        Exception? seen = null;
        var (exits, output) = Recorded(async () => seen = await Record(LwtUnix.HandleUnixError(() => LwtUnix.Stat(missing))));

        Assert.Equal(new[] { 2 }, exits);
        var e = Unix(seen); // after the (replaced) exit, the promise is rejected with the error
        Assert.Equal(2 /* ENOENT */, e.Errno);
        Assert.Equal($"{Program}: \"{e.Function}\" failed on \"{missing}\": No such file or directory{Environment.NewLine}", output);
        Assert.Equal("stat", e.Function);
    }

    [SkippableFact]
    public void AnErrorWithoutArgumentHasNoOnPart()
    {
        Exception? seen = null;
        var (exits, output) = Recorded(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            w.Dispose();
            r.Dispose();
            seen = await Record(LwtUnix.HandleUnixError<LwtFd, int>(fd => LwtUnix.Read(fd, new byte[1]), r));
        });

        Assert.Equal(new[] { 2 }, exits);
        Assert.Equal(9 /* EBADF */, Errno(seen));
        Assert.Equal($"{Program}: \"read\" failed: Bad file descriptor{Environment.NewLine}", output);
    }

    [SkippableFact]
    public void AUnixErrorThrownAtTheCallIsHandledToo()
    {
        var thrown = new UnixErrorException(13 /* EACCES */, "open", "/secret");
        Exception? seen = null;
        var (exits, output) = Recorded(async () => seen = await Record(LwtUnix.HandleUnixError(() => throw thrown)));

        Assert.Equal(new[] { 2 }, exits);
        Assert.Same(thrown, seen);
        Assert.Equal($"{Program}: \"open\" failed on \"/secret\": Permission denied{Environment.NewLine}", output);
    }

    [SkippableFact]
    public void ValuesAndOtherExceptionsPassThroughUnchanged()
    {
        var other = new InvalidOperationException("not a Unix error");
        var canceled = new CanceledException();
        var (exits, output) = Recorded(async () =>
        {
            Assert.Equal(5, await LwtUnix.HandleUnixError(() => Promise.Return(5)));
            Assert.Equal("x!", await LwtUnix.HandleUnixError(s => Promise.Return(s + "!"), "x"));
            await LwtUnix.HandleUnixError(() => LwtUnix.Sleep(0));
            await LwtUnix.HandleUnixError(d => LwtUnix.Sleep(d), 0.0);
            Assert.Same(other, await Record(LwtUnix.HandleUnixError<int>(() => Promise.Fail<int>(other))));
            Assert.Same(other, await Record(LwtUnix.HandleUnixError(() => throw other)));
            Assert.Same(canceled, await Record(LwtUnix.HandleUnixError(() => Promise.Fail(canceled))));
        });

        Assert.Empty(exits);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public void ANullFunctionThrowsAtTheCall()
    {
        Assert.Throws<ArgumentNullException>(() => LwtUnix.HandleUnixError((Func<Promise<int>>)null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.HandleUnixError((Func<Promise>)null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.HandleUnixError((Func<int, Promise<int>>)null!, 1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.HandleUnixError((Func<int, Promise>)null!, 1));
    }
}
