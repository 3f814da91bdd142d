// File status (Lwt_unix.stat, lstat, fstat): jobs on LwtPreemptive's pool, as
// Lwt runs them.
//
// On Linux each answer is one statx(2) call (IO/Native/Statx.cs): every field
// of FileStats comes from the same instant of the same inode, and the errno is
// the kernel's (ENOENT, ENOTDIR, ELOOP, EACCES...). Where statx is unavailable
// (not Linux, an old libc or kernel) the answer is pieced together from .NET's
// FileSystemInfo instead: kind, size, permissions and two times, with zeros
// for what it cannot tell (device, inode, links, owner), and a missing path as
// ENOENT.

namespace Lwt;

/// <summary>
/// The kind of a file.
/// <para>Lwt: <c>Unix.file_kind</c></para>
/// </summary>
public enum FileKind
{
    /// <summary>S_REG.</summary>
    Regular,

    /// <summary>S_DIR.</summary>
    Directory,

    /// <summary>S_LNK (only from <see cref="LwtUnix.LStat"/>).</summary>
    SymbolicLink,

    /// <summary>Anything else (device, FIFO, socket).</summary>
    Other,
}

/// <summary>
/// What <see cref="LwtUnix.Stat"/>, <see cref="LwtUnix.LStat"/> and <see cref="LwtUnix.FStat"/>
/// tell about a file. The fields after <see cref="LastModification"/> are 0 (or
/// <see cref="DateTime.MinValue"/>) where the system gives no statx(2) and .NET's file
/// information stands in.
/// <para>Lwt: <c>Unix.stats</c> (<c>Lwt_unix.stats</c>)</para>
/// </summary>
/// <param name="Kind">The kind of file. Lwt: <c>st_kind</c>.</param>
/// <param name="Size">The size in bytes, as stat gives it (a directory's is its file system's, a symbolic link's the length of its target). Lwt: <c>st_size</c>.</param>
/// <param name="Permissions">The permission bits (setuid, setgid and sticky included). Lwt: <c>st_perm</c>.</param>
/// <param name="LastAccess">The last access time (UTC). Lwt: <c>st_atime</c>.</param>
/// <param name="LastModification">The last modification time (UTC). Lwt: <c>st_mtime</c>.</param>
/// <param name="Device">The device holding the file. Lwt: <c>st_dev</c>.</param>
/// <param name="Inode">The inode number. Lwt: <c>st_ino</c>.</param>
/// <param name="LinkCount">The number of hard links. Lwt: <c>st_nlink</c>.</param>
/// <param name="UserId">The owner's user id. Lwt: <c>st_uid</c>.</param>
/// <param name="GroupId">The owner's group id. Lwt: <c>st_gid</c>.</param>
/// <param name="RawDevice">The device a device file stands for (0 for others). Lwt: <c>st_rdev</c>.</param>
/// <param name="LastStatusChange">The last status change time (UTC). Lwt: <c>st_ctime</c>.</param>
public readonly record struct FileStats(
    FileKind Kind,
    long Size,
    UnixFileMode Permissions,
    DateTime LastAccess,
    DateTime LastModification,
    long Device = 0,
    long Inode = 0,
    int LinkCount = 0,
    long UserId = 0,
    long GroupId = 0,
    long RawDevice = 0,
    DateTime LastStatusChange = default);

public static partial class LwtUnix
{
    /// <summary>
    /// Information about a file, following symbolic links (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.stat</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<FileStats> Stat(string path) => StatPath(path, follow: true);

    /// <summary>
    /// Information about a file, not following a final symbolic link (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.lstat</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<FileStats> LStat(string path) => StatPath(path, follow: false);

    /// <summary>
    /// Information about the file open on a descriptor (a job on the worker pool); EBADF if the
    /// descriptor is closed.
    /// <para>Lwt: <c>Lwt_unix.fstat</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise<FileStats> FStat(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("fstat", out int raw, out var error)) return Promise.Fail<FileStats>(error!);
        return Job(() =>
            Statx.TryStat(raw, string.Empty, LibC.AT_EMPTY_PATH, "fstat", string.Empty)
            // Without statx: the file behind the descriptor, as /dev/fd shows it (Linux, macOS, BSDs).
            ?? ManagedStat($"/dev/fd/{raw}", follow: null, "fstat"));
    }

    private static Promise<FileStats> StatPath(string path, bool follow)
    {
        CheckPath(path);
        string function = follow ? "stat" : "lstat";
        return Job(() =>
            Statx.TryStat(LibC.AT_FDCWD, path, follow ? 0 : LibC.AT_SYMLINK_NOFOLLOW, function, path)
            ?? ManagedStat(path, follow, function));
    }

    /// <summary>
    /// The fallback without statx: .NET's FileSystemInfo. It cannot tell a FIFO or socket from a
    /// regular file unless the attributes say Device. <paramref name="follow"/>: resolve a
    /// symbolic link's target (stat), report the link (lstat), or null for a /dev/fd entry
    /// (fstat): its target, or Other when the target names no path (Linux's "pipe:[...]").
    /// </summary>
    private static FileStats ManagedStat(string path, bool? follow, string function)
    {
        FileSystemInfo info = new FileInfo(path);
        bool isLink = info.LinkTarget is not null;
        if (isLink && follow != false)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || (!target.Exists && !Directory.Exists(target.FullName)))
            {
                if (follow == true) throw new UnixErrorException(LibC.ENOENT, function, path);
                return new FileStats(FileKind.Other, 0, info.UnixFileMode, info.LastAccessTimeUtc, info.LastWriteTimeUtc);
            }

            info = target;
            isLink = false;
        }

        // A missing path's Attributes are -1 (every flag, Directory included): test
        // existence only, a FileInfo of a directory being "missing" too.
        if (!info.Exists && !isLink)
        {
            var dir = new DirectoryInfo(info.FullName);
            if (!dir.Exists) throw new UnixErrorException(LibC.ENOENT, function, path);
            info = dir;
        }

        FileKind kind = isLink ? FileKind.SymbolicLink
            : (info.Attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
            : (info.Attributes & FileAttributes.Device) != 0 ? FileKind.Other
            : FileKind.Regular;
        long size = kind == FileKind.Regular && info is FileInfo f ? f.Length : 0;
        return new FileStats(kind, size, info.UnixFileMode, info.LastAccessTimeUtc, info.LastWriteTimeUtc);
    }
}
