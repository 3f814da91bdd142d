using System.Globalization;
using System.Runtime.Versioning;

using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's metadata and name functions (Lwt_unix.chmod, fchmod, chown, fchown, link,
/// symlink, readlink, access, file_exists, utimes, mkfifo, truncate, ftruncate) on real files
/// in a temporary directory, checked against what the file system shows afterwards, and their
/// error paths: the kernel's errno as a UnixErrorException, bad arguments at the call.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixFileSystemTests
{
    private const int ENOENT = 2, EBADF = 9, EACCES = 13, EEXIST = 17, EINVAL = 22, EPERM = 1, EISDIR = 21;

    [SkippableFact]
    public void ChmodAndFChmodSetThePermissionBits()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            await LwtUnix.Chmod(path, 0b111_101_000); // 0o750
            Assert.Equal((UnixFileMode)0b111_101_000, (await LwtUnix.Stat(path)).Permissions);
            Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(path));

            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            await LwtUnix.FChmod(fd, 0b100_000_000 | 0b1_000_000_000); // 0o400 + sticky
            Assert.Equal((UnixFileMode)0b1_100_000_000, (await LwtUnix.FStat(fd)).Permissions);
            await fd.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.FChmod(fd, 0b110_000_000))).Errno);

            var missing = Unix(await Record(LwtUnix.Chmod(Path.Combine(dir, "missing"), 0b110_000_000)));
            Assert.Equal(ENOENT, missing.Errno);
            Assert.Equal("chmod", missing.Function);
            Assert.EndsWith("missing", missing.Argument, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void BadArgumentsThrowAtTheCall()
    {
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Chmod(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Chmod("/tmp", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Chmod("/tmp", 0b1_000_000_000_000)); // 0o10000
        Assert.Throws<ArgumentNullException>(() => LwtUnix.FChmod(null!, 0));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Chown(null!, -1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Chown("/tmp", -2, -1));
        var (r, w) = LwtUnix.Pipe();
        using (r)
        using (w)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.FChown(r, -1, -2));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.FChmod(r, 0b10_000_000_000_000));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.FTruncate(r, -1));
        }

        Assert.Throws<ArgumentNullException>(() => LwtUnix.FChown(null!, -1, -1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Link(null!, "b"));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Link("a", null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Symlink(null!, "b"));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Symlink("a", null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Readlink(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Access(null!, AccessPermissions.Exists));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Access("/tmp", (AccessPermissions)8));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.FileExists(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Utimes(null!, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Utimes("/tmp", double.NaN, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Utimes("/tmp", 0, double.PositiveInfinity));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Mkfifo(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Mkfifo("/tmp/x", -5));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.Truncate(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Truncate("/tmp/x", -1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.FTruncate(null!, 0));
    }

    // Lwt_unix.chown as Unix.chown: root may give a file away (stat shows the new ids, -1
    // keeps one); anyone else gets EPERM for a user that is not theirs.
    [SkippableFact]
    public void ChownChangesOwnerWhenPrivilegedAndIsRefusedOtherwise()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            var before = await LwtUnix.Stat(path);
            if (IsRoot)
            {
                await LwtUnix.Chown(path, 4321, -1);
                var after = await LwtUnix.Stat(path);
                Assert.Equal(4321, after.UserId);
                Assert.Equal(before.GroupId, after.GroupId);
                var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
                await LwtUnix.FChown(fd, -1, 8765);
                after = await LwtUnix.FStat(fd);
                Assert.Equal(4321, after.UserId);
                Assert.Equal(8765, after.GroupId);
                await fd.Close();
                Assert.Equal(EBADF, Unix(await Record(LwtUnix.FChown(fd, 0, 0))).Errno);
            }
            else
            {
                Assert.Equal(EPERM, Unix(await Record(LwtUnix.Chown(path, (int)before.UserId + 1, -1))).Errno);
                var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
                Assert.Equal(EPERM, Unix(await Record(LwtUnix.FChown(fd, (int)before.UserId + 1, -1))).Errno);
                await fd.Close();
            }

            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Chown(Path.Combine(dir, "missing"), -1, -1))).Errno);
        });
    }

    [SkippableFact]
    public void LinkGivesTheSameFileASecondName()
    {
        InTempDir(async dir =>
        {
            string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
            File.WriteAllText(a, "shared");
            await LwtUnix.Link(a, b);
            var sa = await LwtUnix.Stat(a);
            Assert.Equal(sa.Inode, (await LwtUnix.Stat(b)).Inode);
            Assert.Equal(2, sa.LinkCount);
            Assert.Equal("shared", File.ReadAllText(b));
            Assert.Equal(EEXIST, Unix(await Record(LwtUnix.Link(a, b))).Errno);
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Link(Path.Combine(dir, "missing"), Path.Combine(dir, "c")))).Errno);
        });
    }

    // Lwt's link and symlink jobs (unix_link_job.c, unix_symlink_job.c) raise Unix_error with
    // their first path, oldpath: the existing file of link, the target of symlink, not the
    // name being created (found by differential fuzzing against Lwt 5.6.1).
    [SkippableFact]
    public void LinkAndSymlinkErrorsCarryTheFirstPath()
    {
        InTempDir(async dir =>
        {
            string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
            File.WriteAllText(a, "x");
            File.WriteAllText(b, "y");

            var exists = Unix(await Record(LwtUnix.Link(a, b)));
            Assert.Equal((EEXIST, "link", a), (exists.Errno, exists.Function, exists.Argument));
            string missing = Path.Combine(dir, "missing");
            var gone = Unix(await Record(LwtUnix.Link(missing, Path.Combine(dir, "c"))));
            Assert.Equal((ENOENT, "link", missing), (gone.Errno, gone.Function, gone.Argument));

            var taken = Unix(await Record(LwtUnix.Symlink("target", b)));
            Assert.Equal((EEXIST, "symlink", "target"), (taken.Errno, taken.Function, taken.Argument));
        });
    }

    // The target is stored as given (relative, dangling), readlink returns it byte for byte
    // (non-ASCII and longer than readlink's first buffer included).
    [SkippableFact]
    public void SymlinkStoresTheTargetAndReadlinkReturnsIt()
    {
        InTempDir(async dir =>
        {
            string file = Path.Combine(dir, "file"), link = Path.Combine(dir, "link");
            File.WriteAllText(file, "content");
            await LwtUnix.Symlink("file", link);
            Assert.Equal("file", await LwtUnix.Readlink(link));
            Assert.Equal(FileKind.SymbolicLink, (await LwtUnix.LStat(link)).Kind);
            Assert.Equal("content", File.ReadAllText(link));

            string dangling = Path.Combine(dir, "dangling");
            string target = "nowhere/é-" + new string('x', 600);
            await LwtUnix.Symlink(target, dangling, toDirectory: true);
            Assert.Equal(target, await LwtUnix.Readlink(dangling));
            Assert.Equal(target, new FileInfo(dangling).LinkTarget);

            Assert.Equal(EEXIST, Unix(await Record(LwtUnix.Symlink("file", link))).Errno);
            var notALink = Unix(await Record(LwtUnix.Readlink(file)));
            Assert.Equal(EINVAL, notALink.Errno);
            Assert.Equal("readlink", notALink.Function);
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Readlink(Path.Combine(dir, "missing")))).Errno);
        });
    }

    // access(2) with the real ids: existence, and execute on a file with no x bit at all,
    // which is refused even to root.
    [SkippableFact]
    public void AccessChecksExistenceAndPermissions()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
            await LwtUnix.Access(path, AccessPermissions.Exists);
            await LwtUnix.Access(path, AccessPermissions.Read | AccessPermissions.Write);
            var denied = Unix(await Record(LwtUnix.Access(path, AccessPermissions.Read | AccessPermissions.Execute)));
            Assert.Equal(EACCES, denied.Errno);
            Assert.Equal("access", denied.Function);
            File.SetUnixFileMode(path, (UnixFileMode)0b111_100_100);
            await LwtUnix.Access(path, AccessPermissions.Execute);
            await LwtUnix.Access(dir, AccessPermissions.Execute);
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Access(Path.Combine(dir, "missing"), AccessPermissions.Exists))).Errno);
        });
    }

    // Lwt_unix.file_exists: false whenever stat fails with a Unix error, not only ENOENT.
    [SkippableFact]
    public void FileExistsIsTrueForEntriesAndFalseWhereStatFails()
    {
        InTempDir(async dir =>
        {
            string file = Path.Combine(dir, "f"), dangling = Path.Combine(dir, "dangling");
            File.WriteAllText(file, "x");
            File.CreateSymbolicLink(dangling, "missing");
            Assert.True(await LwtUnix.FileExists(file));
            Assert.True(await LwtUnix.FileExists(dir));
            Assert.False(await LwtUnix.FileExists(Path.Combine(dir, "missing")));
            Assert.False(await LwtUnix.FileExists(dangling)); // stat follows the link: ENOENT
            Assert.False(await LwtUnix.FileExists(Path.Combine(file, "below"))); // ENOTDIR
        });
    }

    [SkippableFact]
    public void UtimesSetsBothTimesAndZeroMeansNow()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "x");
            await LwtUnix.Utimes(path, 1_000_000_000.25, 1_234_567_890.5);
            var st = await LwtUnix.Stat(path);
            Assert.Equal(DateTime.UnixEpoch.AddSeconds(1_000_000_000.25), st.LastAccess);
            Assert.Equal(DateTime.UnixEpoch.AddSeconds(1_234_567_890.5), st.LastModification);

            // 0, 0: the kernel's current time, which is what it also stamps as the change time.
            await LwtUnix.Utimes(path, 0, 0);
            st = await LwtUnix.Stat(path);
            Assert.True(st.LastModification.Year >= 2024, st.LastModification.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(st.LastStatusChange, st.LastModification);

            // Only one zero is the epoch itself, not "now".
            await LwtUnix.Utimes(path, 0, 86_400);
            st = await LwtUnix.Stat(path);
            Assert.Equal(DateTime.UnixEpoch, st.LastAccess);
            Assert.Equal(DateTime.UnixEpoch.AddDays(1), st.LastModification);

            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Utimes(Path.Combine(dir, "missing"), 1, 1))).Errno);
        });
    }

    [SkippableFact]
    public void MkfifoCreatesANamedPipe()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "fifo");
            await LwtUnix.Mkfifo(path, 0b110_000_000);
            var st = await LwtUnix.LStat(path);
            Assert.Equal(FileKind.Other, st.Kind);
            Assert.Equal((UnixFileMode)0b110_000_000, st.Permissions);
            Assert.Equal(EEXIST, Unix(await Record(LwtUnix.Mkfifo(path, 0b110_000_000))).Errno);
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Mkfifo(Path.Combine(dir, "no", "fifo"), 0b110_000_000))).Errno);
        });
    }

    [SkippableFact]
    public void TruncateAndFTruncateSetTheSize()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "0123456789");
            await LwtUnix.Truncate(path, 4);
            Assert.Equal("0123", File.ReadAllText(path));
            await LwtUnix.Truncate(path, 6);
            Assert.Equal("0123\0\0", File.ReadAllText(path));

            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            await LwtUnix.FTruncate(fd, 2);
            Assert.Equal(2, (await LwtUnix.FStat(fd)).Size);
            Assert.Equal("01", File.ReadAllText(path));
            await fd.Close();
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.FTruncate(fd, 0))).Errno);

            var ro = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            var refused = Unix(await Record(LwtUnix.FTruncate(ro, 0)));
            Assert.True(refused.Errno is EINVAL or EBADF, refused.Message);
            Assert.Equal("ftruncate", refused.Function);
            await ro.Close();

            Assert.Equal(EISDIR, Unix(await Record(LwtUnix.Truncate(dir, 0))).Errno);
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.Truncate(Path.Combine(dir, "missing"), 0))).Errno);
        });
    }
}
