using System.Net.Sockets;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtSys (Lwt_sys): the features this implementation has on this system, the byte order,
/// Windows, and Not_available.
/// </summary>
[Collection("IO")]
public class LwtSysTests
{
    [Fact]
    public void ByteOrderAndWindowsDescribeThisMachine()
    {
        Assert.Equal(BitConverter.IsLittleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian, LwtSys.ByteOrder);
        Assert.Equal(LwtIO.SystemByteOrder, LwtSys.ByteOrder);
        Assert.Equal(OperatingSystem.IsWindows(), LwtSys.Windows);
    }

    [Fact]
    public void HaveAnswersForThisImplementation()
    {
        bool linux = OperatingSystem.IsLinux();
        foreach (var f in new[] { Feature.Wait4, Feature.RecvMsg, Feature.SendMsg, Feature.FdPassing, Feature.GetCredentials, Feature.FDataSync, Feature.GetCpu, Feature.GetAffinity, Feature.SetAffinity, Feature.MinCore, Feature.MAdvise })
            Assert.Equal(linux, LwtSys.Have(f));

        // No libev engine here.
        foreach (var f in new[] { Feature.LibEv })
            Assert.False(LwtSys.Have(f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtSys.Have((Feature)99));
    }

    [Fact]
    public void NamesAreLwtsAndNotAvailableCarriesThem()
    {
        Assert.Equal("fd_passing", LwtSys.Name(Feature.FdPassing));
        Assert.Equal("get_credentials", LwtSys.Name(Feature.GetCredentials));
        Assert.Equal("libev", LwtSys.Name(Feature.LibEv));
        foreach (Feature f in Enum.GetValues<Feature>()) Assert.DoesNotContain(' ', LwtSys.Name(f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtSys.Name((Feature)(-1)));

        var e = new NotAvailableException("fd_passing");
        Assert.Equal("fd_passing", e.Feature);
        Assert.Contains("fd_passing", e.Message);
        Assert.IsAssignableFrom<PlatformNotSupportedException>(e);
        Assert.Throws<ArgumentNullException>(() => new NotAvailableException(null!));
    }

    // What Have promises, the functions keep: each feature it reports works.
    [SkippableFact]
    public void TheFeaturesReportedAvailableWork()
    {
        Skip.IfNot(LwtSys.Have(Feature.FdPassing) && LwtSys.Have(Feature.GetCredentials), "fd passing and credentials are Linux's here");
        InTempDir(async _ =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            Assert.Equal(Environment.ProcessId, LwtUnix.GetCredentials(a).Pid);
            Assert.Equal(1, await LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { new byte[1] }, new[] { a.Fd }));
            var (_, fds) = await LwtUnix.RecvMsg(b, new Memory<byte>[] { new byte[1] });
            Assert.Single(fds);
            fds[0].Dispose();
            await a.Close();
            await b.Close();
        });
    }
}
