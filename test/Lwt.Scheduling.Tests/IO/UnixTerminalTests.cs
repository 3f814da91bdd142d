using System.Runtime.Versioning;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.TcDrain, TcFlush, TcFlow and TcSendBreak (Lwt_unix.tcdrain, tcflush, tcflow,
/// tcsendbreak) on the master side of a pseudo-terminal, and on descriptors that are not
/// terminals.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixTerminalTests
{
    private const int EBADF = 9, ENOTTY = 25;

    [SkippableFact]
    public void TerminalCallsSucceedOnAPseudoTerminal()
    {
        Skip.IfNot(File.Exists("/dev/ptmx"), "no pseudo-terminal multiplexer (/dev/ptmx)");
        InTempDir(async _ =>
        {
            var pty = await LwtUnix.OpenFile("/dev/ptmx", OpenFlags.ReadWrite | OpenFlags.NoCtty);
            await LwtUnix.TcFlush(pty, FlushQueue.Input);
            await LwtUnix.TcFlush(pty, FlushQueue.Output);
            await LwtUnix.TcFlush(pty, FlushQueue.InputOutput);
            await LwtUnix.TcFlow(pty, FlowAction.OutputOff);
            await LwtUnix.TcFlow(pty, FlowAction.OutputOn);
            await LwtUnix.TcDrain(pty);
            await LwtUnix.TcSendBreak(pty, 0);
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.TcFlush(pty, (FlushQueue)3));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.TcFlow(pty, (FlowAction)(-1)));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.TcSendBreak(pty, -1));
            await pty.Close();
            var closed = Unix(await Record(LwtUnix.TcDrain(pty)));
            Assert.Equal(EBADF, closed.Errno);
            Assert.Equal("tcdrain", closed.Function);
        });
    }

    [SkippableFact]
    public void NonTerminalsGiveEnotty()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var file = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            var (r, w) = LwtUnix.Pipe();
            foreach (var fd in new[] { file, r })
            {
                Assert.Equal(ENOTTY, Unix(await Record(LwtUnix.TcDrain(fd))).Errno);
                Assert.Equal(ENOTTY, Unix(await Record(LwtUnix.TcFlush(fd, FlushQueue.Input))).Errno);
                Assert.Equal(ENOTTY, Unix(await Record(LwtUnix.TcFlow(fd, FlowAction.OutputOn))).Errno);
                var brk = Unix(await Record(LwtUnix.TcSendBreak(fd, 0)));
                Assert.Equal(ENOTTY, brk.Errno);
                Assert.Equal("tcsendbreak", brk.Function);
            }

            await file.Close();
            await r.Close();
            await w.Close();
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcDrain(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcFlush(null!, FlushQueue.Input));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcFlow(null!, FlowAction.OutputOn));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcSendBreak(null!, 0));
    }
}
