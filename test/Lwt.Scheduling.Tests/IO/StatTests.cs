using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.Stat, LStat and FStat (Lwt_unix.stat, lstat, fstat: wrappers of Unix.stat, lstat,
/// fstat) against what the file system shows otherwise: what was written, coreutils' stat,
/// hard links, FIFOs and symbolic links.
/// </summary>
[Collection("IO")]
public class StatTests
{
    private const int ENOENT = 2, EBADF = 9, ENOTDIR = 20;

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, int mode);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string from, string to);

    // Unix.stat st_size: what was written; Lwt_unix.fstat of the open descriptor sees the same
    // file as the writes go on.
    [SkippableFact]
    public void SizeFollowsWhatWasWritten()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "f");
            LwtMain.Run(async () =>
            {
                var fd = await LwtUnix.OpenFile(path, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate);
                Assert.Equal(0, (await LwtUnix.FStat(fd)).Size);
                Assert.Equal(7, await LwtUnix.Write(fd, "1234567"u8.ToArray()));
                Assert.Equal(7, (await LwtUnix.FStat(fd)).Size);
                Assert.Equal(7, (await LwtUnix.Stat(path)).Size);
                Assert.Equal(3, await LwtUnix.Write(fd, "890"u8.ToArray()));
                var st = await LwtUnix.FStat(fd);
                Assert.Equal(10, st.Size);
                Assert.Equal(FileKind.Regular, st.Kind);
                Assert.Equal((await LwtUnix.Stat(path)).Inode, st.Inode);
                await fd.Close();
                Assert.Equal(EBADF, Errno(await Record(LwtUnix.FStat(fd))));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // st_kind of a directory, a regular file, a FIFO and a symbolic link (lstat), and stat
    // through the link; a pipe's descriptor (fstat) is Other too.
    [SkippableFact]
    public void KindsOfFiles()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        try
        {
            string file = Path.Combine(dir, "file"), fifo = Path.Combine(dir, "fifo"), link = Path.Combine(dir, "link");
            File.WriteAllText(file, "abc");
            Assert.Equal(0, MkFifo(fifo, 0b110_000_000));
            File.CreateSymbolicLink(link, fifo);
            LwtMain.Run(async () =>
            {
                Assert.Equal(FileKind.Directory, (await LwtUnix.LStat(dir)).Kind);
                Assert.Equal(FileKind.Regular, (await LwtUnix.LStat(file)).Kind);
                Assert.Equal(FileKind.Other, (await LwtUnix.LStat(fifo)).Kind);
                var linkStats = await LwtUnix.LStat(link);
                Assert.Equal(FileKind.SymbolicLink, linkStats.Kind);
                Assert.Equal(fifo.Length, linkStats.Size); // a link's size is its target's length
                var through = await LwtUnix.Stat(link);
                Assert.Equal(FileKind.Other, through.Kind);
                Assert.Equal((await LwtUnix.LStat(fifo)).Inode, through.Inode);
                Assert.NotEqual(linkStats.Inode, through.Inode);
                var (r, w) = LwtUnix.Pipe();
                Assert.Equal(FileKind.Other, (await LwtUnix.FStat(r)).Kind);
                await r.Close();
                await w.Close();
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // st_mtime moves with a write: a file whose mtime was set far in the past reads that time
    // back exactly, and after a write its mtime is not before the ctime that setting left
    // (both stamped by the kernel's clock, so no comparison with the process's clock).
    [SkippableFact]
    public void ModificationTimeFollowsAWrite()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "a");
            var past = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567);
            File.SetLastWriteTimeUtc(path, past);
            File.SetLastAccessTimeUtc(path, past);
            LwtMain.Run(async () =>
            {
                var before = await LwtUnix.Stat(path);
                Assert.Equal(past, before.LastModification);
                Assert.Equal(past, before.LastAccess);
                Assert.Equal(DateTimeKind.Utc, before.LastModification.Kind);
                Assert.True(before.LastStatusChange > past);
                var fd = await LwtUnix.OpenFile(path, OpenFlags.WriteOnly | OpenFlags.Append);
                await LwtUnix.Write(fd, "b"u8.ToArray());
                await fd.Close();
                var after = await LwtUnix.Stat(path);
                Assert.True(after.LastModification >= before.LastStatusChange, $"mtime {after.LastModification:o} before the recorded ctime {before.LastStatusChange:o}");
                Assert.Equal(File.GetLastWriteTimeUtc(path), after.LastModification);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // st_ino and st_nlink: a hard link is the same inode, counted twice; another file is not.
    [SkippableFact]
    public void AHardLinkHasTheSameInode()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        try
        {
            string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b"), c = Path.Combine(dir, "c");
            File.WriteAllText(a, "x");
            File.WriteAllText(c, "x");
            Assert.Equal(0, Link(a, b));
            LwtMain.Run(async () =>
            {
                var sa = await LwtUnix.Stat(a);
                var sb = await LwtUnix.Stat(b);
                var sc = await LwtUnix.Stat(c);
                Assert.Equal(sa.Inode, sb.Inode);
                Assert.Equal(sa.Device, sb.Device);
                Assert.Equal(2, sa.LinkCount);
                Assert.Equal(1, sc.LinkCount);
                Assert.NotEqual(sa.Inode, sc.Inode);
                Assert.Equal(sa.Device, sc.Device);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Every numeric field equals what coreutils' stat (stat(2)) prints: device and inode,
    // links, owner, the device numbers of /dev/null (st_rdev, 1:3), permissions.
    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void FieldsAgreeWithCoreutilsStat()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Skip.IfNot(File.Exists("/usr/bin/stat"), "no /usr/bin/stat on this machine");
        string dir = TempDir();
        try
        {
            string file = Path.Combine(dir, "f");
            File.WriteAllText(file, "hello");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.SetGroup);
            foreach (string path in new[] { file, dir, "/dev/null" })
            {
                var psi = new ProcessStartInfo("/usr/bin/stat", ["-c", "%d %i %h %u %g %t %T %s %a", path]) { RedirectStandardOutput = true };
                using var stat = Process.Start(psi)!;
                string[] f = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
                stat.WaitForExit();
                var st = LwtMain.Run(() => LwtUnix.Stat(path));
                Assert.Equal(long.Parse(f[0], CultureInfo.InvariantCulture), st.Device);
                Assert.Equal(long.Parse(f[1], CultureInfo.InvariantCulture), st.Inode);
                Assert.Equal(int.Parse(f[2], CultureInfo.InvariantCulture), st.LinkCount);
                Assert.Equal(long.Parse(f[3], CultureInfo.InvariantCulture), st.UserId);
                Assert.Equal(long.Parse(f[4], CultureInfo.InvariantCulture), st.GroupId);
                long major = long.Parse(f[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                long minor = long.Parse(f[6], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                Assert.Equal((major << 8) | minor, st.RawDevice);
                Assert.Equal(long.Parse(f[7], CultureInfo.InvariantCulture), st.Size);
                Assert.Equal(Convert.ToInt32(f[8], 8), (int)st.Permissions);
            }

            var devNull = LwtMain.Run(() => LwtUnix.Stat("/dev/null"));
            Assert.Equal(FileKind.Other, devNull.Kind);
            Assert.Equal((1 << 8) | 3, devNull.RawDevice);
            Assert.Equal(File.GetUnixFileMode(file), LwtMain.Run(() => LwtUnix.Stat(file)).Permissions);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Unix.stat's errors are the kernel's: ENOENT for a missing path (and a dangling link
    // followed), ENOTDIR for a path through a regular file.
    [SkippableFact]
    public void ErrorsAreTheKernels()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = TempDir();
        try
        {
            string file = Path.Combine(dir, "f");
            File.WriteAllText(file, "x");
            string dangling = Path.Combine(dir, "dangling");
            File.CreateSymbolicLink(dangling, Path.Combine(dir, "nowhere"));
            LwtMain.Run(async () =>
            {
                var missing = Assert.IsType<UnixErrorException>(await Record(LwtUnix.Stat(Path.Combine(dir, "missing"))));
                Assert.Equal((ENOENT, "stat"), (missing.Errno, missing.Function));
                var lmissing = Assert.IsType<UnixErrorException>(await Record(LwtUnix.LStat(Path.Combine(dir, "missing"))));
                Assert.Equal((ENOENT, "lstat"), (lmissing.Errno, lmissing.Function));
                Assert.Equal(ENOENT, Errno(await Record(LwtUnix.Stat(dangling))));
                Assert.Equal(FileKind.SymbolicLink, (await LwtUnix.LStat(dangling)).Kind);
                Assert.Equal(ENOTDIR, Errno(await Record(LwtUnix.Stat(Path.Combine(file, "below")))));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
