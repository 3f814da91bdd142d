using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// The small additions that stand for another function: the deprecated AutoYield and HasWait4,
/// LwtIO.OfUnixFd (OfFd over a raw descriptor) and LwtBytes.UnsafeFill (Fill).
/// </summary>
[Collection("IO")]
public class UnixAliasTests
{
#pragma warning disable CS0618 // the deprecated names are what is tested
    [Fact]
    public void AutoYieldIsAutoPause()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var never = LwtUnix.AutoYield(double.PositiveInfinity);
            for (int i = 0; i < 100; i++) Assert.True(never().IsFulfilled);

            var always = LwtUnix.AutoYield(0);
            var paused = always();
            Assert.True(paused.IsPending); // a pause: resolved by the loop
            await paused;
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.AutoYield(double.NaN));
        }));
    }

    [Fact]
    public void HasWait4IsLwtSysHaveWait4() => Assert.Equal(LwtSys.Have(Feature.Wait4), LwtUnix.HasWait4);
#pragma warning restore CS0618

    [SkippableFact]
    public void OfUnixFdMakesChannelsOverRawDescriptorsAndClosesThem()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes and fcntl");
        Span<int> fds = stackalloc int[2];
        Assert.Equal(0, LibC.Pipe2(fds, LibC.O_CLOEXEC)); // blocking: OfUnixFd makes them non-blocking
        int rfd = fds[0], wfd = fds[1];
        LwtMain.Run(async () =>
        {
            var ic = LwtIO.OfUnixFd(LwtIO.Input, rfd);
            var oc = LwtIO.OfUnixFd(LwtIO.Output, wfd, closeFd: false);
            Assert.NotEqual(0, LibC.Fcntl(rfd, LibC.F_GETFL, 0) & LibC.O_NONBLOCK);

            var line = ic.ReadLine();
            Assert.True(line.IsPending); // waits in the engine, not on a worker
            await oc.WriteLine("over a raw fd");
            await oc.Flush();
            Assert.Equal("over a raw fd", await line);

            await oc.Close();
            Assert.True(LibC.Fcntl(wfd, LibC.F_GETFD, 0) >= 0); // closeFd: false left it open
            await ic.Close();
            Assert.True(LibC.Fcntl(rfd, LibC.F_GETFD, 0) < 0); // the default closes it
        });
        Assert.Equal(0, LibC.Close(wfd));
    }

    [Fact]
    public void OfUnixFdChecksItsArguments()
    {
        Assert.Throws<ArgumentNullException>(() => LwtIO.OfUnixFd<InputChannel>(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtIO.OfUnixFd(LwtIO.Output, -1));
    }

    [Fact]
    public void UnsafeFillFillsTheRangeAsFillDoes()
    {
        var buffer = LwtBytes.Create(8);
        LwtBytes.UnsafeFill(buffer, 2, 3, 0xAB);
        Assert.Equal(new byte[] { 0, 0, 0xAB, 0xAB, 0xAB, 0, 0, 0 }, buffer.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeFill(buffer, 6, 3, 1));
    }
}
