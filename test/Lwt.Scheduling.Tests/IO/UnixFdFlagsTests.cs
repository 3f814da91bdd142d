using System.Runtime.Versioning;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.Blocking, SetBlocking, SetCloseOnExec and ClearCloseOnExec (Lwt_unix.blocking,
/// set_blocking, set_close_on_exec, clear_close_on_exec), checked against the kernel's view of
/// the descriptor (/proc/self/fdinfo) and against how reads then behave.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixFdFlagsTests
{
    private const int EBADF = 9, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    /// <summary>The descriptor's file status flags as the kernel shows them (the octal "flags:" line of fdinfo).</summary>
    private static int KernelFlags(LwtFd fd)
    {
        foreach (var line in File.ReadLines($"/proc/self/fdinfo/{fd.Fd}"))
            if (line.StartsWith("flags:", StringComparison.Ordinal))
                return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
        throw new InvalidOperationException("no flags line");
    }

    // A pipe's read end switched to blocking I/O loses O_NONBLOCK and reads through the pool;
    // switched back it waits in the engine again (a read with nothing to read stays pending
    // and is fulfilled by a write). Without setFlags only Lwt's mode changes.
    [SkippableFact]
    public void SetBlockingChangesLwtsModeAndTheKernelFlag()
    {
        InTempDir(async _ =>
        {
            var (r, w) = LwtUnix.Pipe();
            try
            {
                Assert.False(await LwtUnix.Blocking(r));
                Assert.NotEqual(0, KernelFlags(r) & O_NONBLOCK);

                LwtUnix.SetBlocking(r, true);
                Assert.True(await LwtUnix.Blocking(r));
                Assert.True(r.IsBlocking);
                Assert.Equal(0, KernelFlags(r) & O_NONBLOCK);
                await LwtUnix.Write(w, "ab"u8.ToArray());
                var buffer = new byte[4];
                Assert.Equal(2, await LwtUnix.Read(r, buffer));
                Assert.Equal(0, r.PendingReads); // the read ran as a job, not queued in the engine

                LwtUnix.SetBlocking(r, false);
                Assert.False(await LwtUnix.Blocking(r));
                Assert.NotEqual(0, KernelFlags(r) & O_NONBLOCK);
                var read = LwtUnix.Read(r, buffer);
                Assert.True(read.IsPending);
                Assert.Equal(1, r.PendingReads);

                // A read waits for readiness: the mode cannot change under it.
                var refused = Assert.Throws<InvalidOperationException>(() => LwtUnix.SetBlocking(r, true));
                Assert.Contains("cancel", refused.Message, StringComparison.Ordinal);
                Assert.False(r.IsBlocking);
                Assert.NotEqual(0, KernelFlags(r) & O_NONBLOCK);

                await LwtUnix.Write(w, "c"u8.ToArray());
                Assert.Equal(1, await read);

                LwtUnix.SetBlocking(w, true, setFlags: false);
                Assert.True(await LwtUnix.Blocking(w));
                Assert.NotEqual(0, KernelFlags(w) & O_NONBLOCK);
            }
            finally
            {
                await r.Close();
                await w.Close();
            }

            Assert.Throws<UnixErrorException>(() => LwtUnix.SetBlocking(r, true));
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.Blocking(r))).Errno);
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.SetBlocking(null!, true));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Blocking(null!));
    }

    [SkippableFact]
    public void CloseOnExecIsSetAndCleared()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            Assert.NotEqual(0, KernelFlags(fd) & O_CLOEXEC); // OpenFile opens close-on-exec
            LwtUnix.ClearCloseOnExec(fd);
            Assert.Equal(0, KernelFlags(fd) & O_CLOEXEC);
            LwtUnix.ClearCloseOnExec(fd);
            Assert.Equal(0, KernelFlags(fd) & O_CLOEXEC);
            LwtUnix.SetCloseOnExec(fd);
            Assert.NotEqual(0, KernelFlags(fd) & O_CLOEXEC);
            await fd.Close();
            var closed = Assert.Throws<UnixErrorException>(() => LwtUnix.SetCloseOnExec(fd));
            Assert.Equal(EBADF, closed.Errno);
            Assert.Equal("set_close_on_exec", closed.Function);
            Assert.Equal(EBADF, Assert.Throws<UnixErrorException>(() => LwtUnix.ClearCloseOnExec(fd)).Errno);
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.SetCloseOnExec(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.ClearCloseOnExec(null!));
    }
}
