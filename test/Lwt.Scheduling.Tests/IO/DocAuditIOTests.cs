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

    // lwt_io.ml check_buffer_size: Invalid_argument for a size above Sys.max_string_length,
    // at the call (set_default_buffer_size, make, resize_buffer). A size above
    // Array.MaxLength was taken by SetDefaultBufferSize (every channel made after then threw
    // OutOfMemoryException), threw OutOfMemoryException from MakeInput, and rejected
    // ResizeBuffer's promise with it.
    [Fact]
    public void BufferSizesAboveTheLargestArrayAreRefusedAtTheCall()
    {
        int tooBig = Array.MaxLength + 1;
        int before = LwtIO.GetDefaultBufferSize();
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtIO.SetDefaultBufferSize(tooBig));
        Assert.Equal(before, LwtIO.GetDefaultBufferSize());
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtIO.MakeInput(_ => Promise.Return(0), bufferSize: tooBig));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtIO.MakeOutput(m => Promise.Return(m.Length), bufferSize: int.MaxValue));
        var oc = LwtIO.MakeOutput(m => Promise.Return(m.Length), bufferSize: 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => oc.ResizeBuffer(int.MaxValue));
        Assert.Equal(16, oc.BufferSize);
    }

    // IsIdle's Lwt is is_busy negated, which is false for a Closed channel (lwt_io.ml:
    // "Idle | Closed -> false"); IsBusy said it was IsIdle's negation. An output channel
    // whose close function was still pending stayed not idle (and not busy) after it was
    // closed, even after Close's promise had resolved.
    [Fact]
    public void AClosedOutputChannelIsIdleWhileItsCloseFunctionRuns()
    {
        LwtMain.Run(async () =>
        {
            var (closing, done) = Promise.Create<Unit>();
            var oc = LwtIO.MakeOutput(m => Promise.Return(m.Length), close: () => closing);
            await oc.Write("x");
            var closed = oc.Close();
            await Promise.Pause();
            Assert.True(oc.IsClosed);
            Assert.False(oc.IsBusy);
            Assert.True(oc.IsIdle);
            done.Resolve(default);
            await closed;
            Assert.True(oc.IsIdle);
        });
    }
}
