namespace Lwt.Tests.IO;

/// <summary>
/// Claims of the XML docs of LwtIO, LwtFmt and LwtBytes that the code did not keep, checked
/// against lwt_io.mli / lwt_io.ml 5.6.1.
/// </summary>
[Collection("IO")]
public class DocAuditIOTests
{
    // LwtIO.CheckBufferSize: "the functions that open a descriptor and then make a channel
    // over it check it first, so that a bad size never leaves that descriptor open". Pipe
    // made the pipe, then OfFd refused the size: both ends stayed open.
    [SkippableFact]
    public void PipeRefusesABadBufferSizeBeforeMakingThePipe()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() =>
        {
            var before = OpenDescriptors.Take();
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtIO.Pipe(bufferSize: 8));
            before.AssertNoneOpenedSince();
            return Promise.ReturnUnit;
        });
    }
}
