using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.FSync, FDataSync, LockF, WriteString and IsAtty (Lwt_unix.fsync, fdatasync, lockf,
/// write_string, isatty) on real files, pipes and a pseudo-terminal.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixFileDataTests
{
    private const int EBADF = 9, EACCES = 13, EAGAIN = 11, EINVAL = 22;

    // Open file description locks (F_OFD_SETLK, F_OFD_GETLK): they belong to an open file, not
    // to the process, so they conflict with this process's own POSIX record locks. That is
    // how a test in one process can hold a lock that LockF must respect, and see LockF's.
    private const int F_OFD_GETLK = 36, F_OFD_SETLK = 37;
    private const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int cmd, ref Flock lck);

    /// <summary>Sets an OFD lock of <paramref name="type"/> over the whole file on <paramref name="handle"/>'s open file.</summary>
    private static void OfdLock(SafeFileHandle handle, short type)
    {
        var lck = new Flock { Type = type };
        Assert.Equal(0, Fcntl((int)handle.DangerousGetHandle(), F_OFD_SETLK, ref lck));
    }

    /// <summary>The type of a lock that would stop a write lock on the whole file through <paramref name="handle"/> (F_UNLCK: none).</summary>
    private static short OfdConflict(SafeFileHandle handle)
    {
        var lck = new Flock { Type = F_WRLCK };
        Assert.Equal(0, Fcntl((int)handle.DangerousGetHandle(), F_OFD_GETLK, ref lck));
        return lck.Type;
    }

    [SkippableFact]
    public void FSyncAndFDataSyncSucceedOnFilesAndReportErrors()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.WriteOnly | OpenFlags.Create);
            await LwtUnix.Write(fd, "data"u8.ToArray());
            await LwtUnix.FSync(fd);
            await LwtUnix.FDataSync(fd);
            Assert.Equal("data", File.ReadAllText(path));
            await fd.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.FSync(fd))).Errno);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.FDataSync(fd))).Errno);

            var (r, w) = LwtUnix.Pipe();
            var pipe = Unix(await Record(LwtUnix.FSync(w)));
            Assert.Equal(EINVAL, pipe.Errno);
            Assert.Equal("fsync", pipe.Function);
            Assert.Equal(EINVAL, Unix(await Record(LwtUnix.FDataSync(w))).Errno);
            await r.Close();
            await w.Close();
        });
    }

    // A write lock from LockF is seen by another open file, and goes away with Unlock; a lock
    // held by another open file makes TryLock, TryReadLock and Test fail with EACCES/EAGAIN,
    // while a read lock there still allows a read lock here.
    [SkippableFact]
    public void LockFTakesTestsAndReleasesRecordLocks()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "0123456789");
            using var other = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            try
            {
                await LwtUnix.LockF(fd, LockCommand.TryLock, 0);
                Assert.Equal(F_WRLCK, OfdConflict(other));
                await LwtUnix.LockF(fd, LockCommand.Unlock, 0);
                Assert.Equal(F_UNLCK, OfdConflict(other));
                await LwtUnix.LockF(fd, LockCommand.Test, 0);

                OfdLock(other, F_WRLCK);
                Assert.Equal(EACCES, Unix(await Record(LwtUnix.LockF(fd, LockCommand.Test, 0))).Errno);
                var busy = Unix(await Record(LwtUnix.LockF(fd, LockCommand.TryLock, 5)));
                Assert.True(busy.Errno is EACCES or EAGAIN, busy.Message);
                Assert.Equal("lockf", busy.Function);
                var busyRead = Unix(await Record(LwtUnix.LockF(fd, LockCommand.TryReadLock, 5)));
                Assert.True(busyRead.Errno is EACCES or EAGAIN, busyRead.Message);

                OfdLock(other, F_RDLCK);
                await LwtUnix.LockF(fd, LockCommand.TryReadLock, 0);
                await LwtUnix.LockF(fd, LockCommand.ReadLock, 0);
                Assert.Equal(EACCES, Unix(await Record(LwtUnix.LockF(fd, LockCommand.Test, 0))).Errno);
                OfdLock(other, F_UNLCK);
                Assert.Equal(F_RDLCK, OfdConflict(other));
                await LwtUnix.LockF(fd, LockCommand.Unlock, 0);
                Assert.Equal(F_UNLCK, OfdConflict(other));
            }
            finally
            {
                await fd.Close();
            }
        });
    }

    // The region starts at the current position: a lock of 3 bytes from position 5 leaves
    // bytes 0..4 free and a negative length covers the bytes before the position.
    [SkippableFact]
    public void LockFRegionStartsAtThePosition()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "0123456789");
            using var other = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            try
            {
                await LwtUnix.Read(fd, new byte[5]); // position 5
                await LwtUnix.LockF(fd, LockCommand.Lock, 3); // bytes 5..7
                await LwtUnix.LockF(fd, LockCommand.Lock, -2); // bytes 3..4
                Assert.Equal(F_UNLCK, RegionConflict(other, 0, 3));
                Assert.Equal(F_WRLCK, RegionConflict(other, 3, 1));
                Assert.Equal(F_WRLCK, RegionConflict(other, 7, 1));
                Assert.Equal(F_UNLCK, RegionConflict(other, 8, 100));
            }
            finally
            {
                await fd.Close();
            }
        });
    }

    private static short RegionConflict(SafeFileHandle handle, long start, long length)
    {
        var lck = new Flock { Type = F_WRLCK, Start = start, Length = length };
        Assert.Equal(0, Fcntl((int)handle.DangerousGetHandle(), F_OFD_GETLK, ref lck));
        return lck.Type;
    }

    // Lock waits (in its job) while another open file holds the region and is fulfilled once
    // that lock goes.
    [SkippableFact]
    public void LockFWaitsForAConflictingLock()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var other = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            try
            {
                OfdLock(other, F_WRLCK);
                var waiting = LwtUnix.LockF(fd, LockCommand.Lock, 0);
                Assert.True(waiting.IsPending); // it cannot take the lock while `other` has it
                other.Dispose(); // releases the OFD lock
                await waiting;
                using var third = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                Assert.Equal(F_WRLCK, OfdConflict(third));
            }
            finally
            {
                other.Dispose();
                await fd.Close();
            }
        });
    }

    [SkippableFact]
    public void LockFErrorsAndArguments()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var ro = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.LockF(ro, LockCommand.TryLock, 0))).Errno); // write lock, read-only fd
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.LockF(ro, (LockCommand)6, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.LockF(ro, LockCommand.Lock, long.MinValue));
            await ro.Close();
            var wo = await LwtUnix.OpenFile(path, OpenFlags.WriteOnly);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.LockF(wo, LockCommand.TryReadLock, 0))).Errno); // read lock, write-only fd
            await wo.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.LockF(wo, LockCommand.Unlock, 0))).Errno);
            Assert.Throws<ArgumentNullException>(() => LwtUnix.LockF(null!, LockCommand.Lock, 0));
        });
    }

    // Offsets and lengths count UTF-8 bytes: "é" is two of them.
    [SkippableFact]
    public void WriteStringWritesUtf8BytesCountedInBytes()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.WriteOnly | OpenFlags.Create);
            Assert.Equal(6, await LwtUnix.WriteString(fd, "héllo"));
            Assert.Equal(3, await LwtUnix.WriteString(fd, "aébc", 1, 3)); // "éb"
            Assert.Equal(0, await LwtUnix.WriteString(fd, "abc", 3, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WriteString(fd, "é", 0, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WriteString(fd, "abc", 2, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WriteString(fd, "abc", -1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WriteString(fd, "abc", 1, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.WriteString(fd, "abc", int.MaxValue, 1));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.WriteString(fd, null!));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.WriteString(null!, "a", 0, 1));
            await fd.Close();
            Assert.Equal(Encoding.UTF8.GetBytes("hélloéb"), File.ReadAllBytes(path));
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.WriteString(fd, "x"))).Errno);

            var (r, w) = LwtUnix.Pipe();
            Assert.Equal(2, await LwtUnix.WriteString(w, "ü"));
            var buffer = new byte[8];
            Assert.Equal(2, await LwtUnix.Read(r, buffer));
            Assert.Equal("ü", Encoding.UTF8.GetString(buffer, 0, 2));
            await r.Close();
            await w.Close();
        });
    }

    [SkippableFact]
    public void IsAttyTellsTerminalsFromFilesAndPipes()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var file = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            Assert.False(await LwtUnix.IsAtty(file));
            await file.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.IsAtty(file))).Errno);
            var (r, w) = LwtUnix.Pipe();
            Assert.False(await LwtUnix.IsAtty(r));
            await r.Close();
            await w.Close();
            if (File.Exists("/dev/ptmx"))
            {
                // A pseudo-terminal's master side is a terminal device.
                var pty = await LwtUnix.OpenFile("/dev/ptmx", OpenFlags.ReadWrite | OpenFlags.NoCtty);
                Assert.True(await LwtUnix.IsAtty(pty));
                await pty.Close();
            }
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.IsAtty(null!));
    }
}
