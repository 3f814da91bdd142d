using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.TcGetAttr and TcSetAttr (Lwt_unix.tcgetattr, tcsetattr) on the slave side of a
/// fresh pseudo-terminal (posix_openpt, grantpt, unlockpt, ptsname), and on descriptors
/// that are not terminals.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixTerminalIOTests
{
    private const int EBADF = 9, ENOTTY = 25, O_RDWR = 2, O_NOCTTY = 0x100;

    [DllImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static extern int PosixOpenPt(int flags);

    [DllImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static extern int GrantPt(int fd);

    [DllImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static extern int UnlockPt(int fd);

    [DllImport("libc", EntryPoint = "ptsname", SetLastError = true)]
    private static extern IntPtr PtsName(int fd);

    private static bool Mapped =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Opens a pseudo-terminal: its master (as a raw descriptor) and the path of its slave.</summary>
    private static (LwtFd Master, string SlavePath) OpenPty()
    {
        var (master, slave) = OpenRawPty();
        return (LwtFd.FromFd(master), slave);
    }

    /// <summary>Opens a pseudo-terminal: its master as a raw descriptor, and the path of its slave (skips where there is none).</summary>
    internal static (int Master, string SlavePath) OpenRawPty()
    {
        Skip.IfNot(File.Exists("/dev/ptmx"), "no pseudo-terminal multiplexer (/dev/ptmx)");
        int master = PosixOpenPt(O_RDWR | O_NOCTTY);
        Skip.If(master < 0, $"posix_openpt failed (errno {Marshal.GetLastPInvokeError()})");
        Assert.Equal(0, GrantPt(master));
        Assert.Equal(0, UnlockPt(master));
        return (master, Marshal.PtrToStringUTF8(PtsName(master))!);
    }

    [SkippableFact]
    public void AttributesAreReadChangedAndReadBack()
    {
        Skip.IfNot(Mapped, "struct termios is mapped for Linux on x86-64 and arm64 only");
        Skip.IfNot(File.Exists("/dev/ptmx"), "no pseudo-terminal multiplexer (/dev/ptmx)");
        InTempDir(async _ =>
        {
            var (master, slavePath) = OpenPty();
            var slave = await LwtUnix.OpenFile(slavePath, OpenFlags.ReadWrite | OpenFlags.NoCtty);

            // A fresh pseudo-terminal has Linux's defaults: a cooked, echoing line at 38400 bps.
            var before = await LwtUnix.TcGetAttr(slave);
            Assert.True(before.Echo);
            Assert.True(before.ICanon);
            Assert.True(before.ISig);
            Assert.Equal(3, before.VIntr);
            Assert.Equal(8, before.CSize);
            Assert.Equal(38400, before.OBaud);

            // (Not CSize or ParEnb: Linux's pty driver forces CS8 and no parity on every set.)
            var changed = before with { Echo = false, ICanon = false, VIntr = 7, VMin = 0, VTime = 5, CStopB = 2, OBaud = 9600, IBaud = 9600, IXoff = true };
            await LwtUnix.TcSetAttr(slave, SetattrWhen.Now, changed);
            var after = await LwtUnix.TcGetAttr(slave);
            Assert.Equal(changed, after);
            Assert.NotEqual(before, after);

            // The master sees the same terminal's settings; Drain and Flush work too.
            Assert.Equal(after, await LwtUnix.TcGetAttr(master));
            await LwtUnix.TcSetAttr(slave, SetattrWhen.Drain, before);
            await LwtUnix.TcSetAttr(slave, SetattrWhen.Flush, before);
            Assert.Equal(before, await LwtUnix.TcGetAttr(slave));

            // Bad input is refused before the terminal is touched.
            Assert.Throws<ArgumentNullException>(() => LwtUnix.TcSetAttr(slave, SetattrWhen.Now, null!));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.TcSetAttr(slave, (SetattrWhen)3, before));
            foreach (var bad in new[]
            {
                before with { OBaud = 9601 }, before with { IBaud = -1 }, before with { CSize = 4 },
                before with { CSize = 9 }, before with { CStopB = 0 }, before with { VMin = 256 },
                before with { VTime = -1 },
            })
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.TcSetAttr(slave, SetattrWhen.Now, bad));
            Assert.Equal(before, await LwtUnix.TcGetAttr(slave));

            await slave.Close();
            var closed = Unix(await Record(LwtUnix.TcGetAttr(slave)));
            Assert.Equal(EBADF, closed.Errno);
            Assert.Equal("tcgetattr", closed.Function);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.TcSetAttr(slave, SetattrWhen.Now, before))).Errno);
            await master.Close();
        });
    }

    [SkippableFact]
    public void NonTerminalsGiveEnotty()
    {
        Skip.IfNot(Mapped, "struct termios is mapped for Linux on x86-64 and arm64 only");
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var file = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            var (r, w) = LwtUnix.Pipe();
            foreach (var fd in new[] { file, r })
            {
                var get = Unix(await Record(LwtUnix.TcGetAttr(fd)));
                Assert.Equal(ENOTTY, get.Errno);
                Assert.Equal("tcgetattr", get.Function);
                var set = Unix(await Record(LwtUnix.TcSetAttr(fd, SetattrWhen.Now, new TerminalIO { CSize = 8, CStopB = 1 })));
                Assert.Equal(ENOTTY, set.Errno);
                Assert.Equal("tcsetattr", set.Function);
            }

            await file.Close();
            await r.Close();
            await w.Close();
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcGetAttr(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.TcSetAttr(null!, SetattrWhen.Now, new TerminalIO()));
    }

    [SkippableFact]
    public void ElsewhereTheyAreNotSupported()
    {
        Skip.If(Mapped, "struct termios is mapped on this platform");
        InTempDir(async dir =>
        {
            var (r, w) = LwtUnix.Pipe();
            Assert.Throws<PlatformNotSupportedException>(() => LwtUnix.TcGetAttr(r));
            Assert.Throws<PlatformNotSupportedException>(() => LwtUnix.TcSetAttr(r, SetattrWhen.Now, new TerminalIO { CSize = 8, CStopB = 1 }));
            await r.Close();
            await w.Close();
        });
    }
}
