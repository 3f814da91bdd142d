// Files and directories (Lwt_unix.openfile, stat, lstat, unlink, rename,
// mkdir, rmdir, files_of_directory). The kernel has no readiness for regular
// files, so each call is a job on LwtPreemptive's worker pool, resolved on the
// calling loop, as Lwt runs them as jobs. Paths go to libc as UTF-8.

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// Flags of <see cref="LwtUnix.OpenFile"/> (Linux values).
/// <para>Lwt: <c>Unix.open_flag</c></para>
/// </summary>
[Flags]
public enum OpenFlags
{
    /// <summary>O_RDONLY.</summary>
    ReadOnly = 0,

    /// <summary>O_WRONLY.</summary>
    WriteOnly = 1,

    /// <summary>O_RDWR.</summary>
    ReadWrite = 2,

    /// <summary>O_CREAT.</summary>
    Create = 0x40,

    /// <summary>O_EXCL.</summary>
    Exclusive = 0x80,

    /// <summary>O_NOCTTY.</summary>
    NoCtty = 0x100,

    /// <summary>O_TRUNC.</summary>
    Truncate = 0x200,

    /// <summary>O_APPEND.</summary>
    Append = 0x400,

    /// <summary>O_NONBLOCK.</summary>
    NonBlock = 0x800,
}

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
/// What <see cref="LwtUnix.Stat"/> tells about a file.
/// <para>Lwt: <c>Unix.stats</c></para>
/// </summary>
/// <param name="Kind">The kind of file. Lwt: <c>st_kind</c>.</param>
/// <param name="Size">The size in bytes (0 for directories). Lwt: <c>st_size</c>.</param>
/// <param name="Permissions">The permission bits. Lwt: <c>st_perm</c>.</param>
/// <param name="LastAccess">The last access time (UTC). Lwt: <c>st_atime</c>.</param>
/// <param name="LastModification">The last modification time (UTC). Lwt: <c>st_mtime</c>.</param>
public readonly record struct FileStats(FileKind Kind, long Size, UnixFileMode Permissions, DateTime LastAccess, DateTime LastModification);

public static partial class LwtUnix
{
    /// <summary>
    /// Opens a file (a job on the worker pool). A regular file gives a blocking
    /// <see cref="LwtFd"/> whose reads and writes run on the pool; a FIFO or device that
    /// supports readiness gives a non-blocking one. Close-on-exec.
    /// <para>Lwt: <c>Lwt_unix.openfile</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Access mode and options.</param>
    /// <param name="permissions">Permissions of a created file (e.g. 0o644 = 420).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise<LwtFd> OpenFile(string path, OpenFlags flags, int permissions = 0b110_100_100)
    {
        ArgumentNullException.ThrowIfNull(path);
        return LwtPreemptive.Detach(() =>
        {
            int fd = LibC.Open(path, (int)flags | LibC.O_CLOEXEC, permissions);
            if (fd < 0) throw UnixErrorException.FromLastError("open", path);
            return fd;
        }).Map(fd => LibC.LSeek(fd, 0, LibC.SEEK_CUR) >= 0 ? LwtFd.OwnBlocking(fd) : LwtFd.FromFd(fd, blocking: false));
    }

    /// <summary>
    /// Closes a descriptor.
    /// <para>Lwt: <c>Lwt_unix.close</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise Close(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return fd.Close();
    }

    /// <summary>
    /// Information about a file, following symbolic links (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.stat</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise<FileStats> Stat(string path) => StatCore(path, follow: true);

    /// <summary>
    /// Information about a file, not following a final symbolic link (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.lstat</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise<FileStats> LStat(string path) => StatCore(path, follow: false);

    private static Promise<FileStats> StatCore(string path, bool follow)
    {
        ArgumentNullException.ThrowIfNull(path);
        return LwtPreemptive.Detach(() =>
        {
            FileSystemInfo info = new FileInfo(path);
            if (info.LinkTarget is not null && follow)
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) ?? throw new UnixErrorException(LibC.ENOENT, "stat", path);
            }

            // A missing path's Attributes are -1 (every flag, Directory included): test
            // existence only, a FileInfo of a directory being "missing" too.
            if (!info.Exists && info.LinkTarget is null)
            {
                var dir = new DirectoryInfo(info.FullName);
                if (!dir.Exists) throw new UnixErrorException(LibC.ENOENT, follow ? "stat" : "lstat", path);
                info = dir;
            }

            FileKind kind = info.LinkTarget is not null ? FileKind.SymbolicLink
                : (info.Attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
                : NativeKind(info.FullName) ?? ((info.Attributes & FileAttributes.Device) != 0 ? FileKind.Other : FileKind.Regular);
            long size = kind == FileKind.Regular && info is FileInfo f ? f.Length : 0;
            return new FileStats(kind, size, info.UnixFileMode, info.LastAccessTimeUtc, info.LastWriteTimeUtc);
        });
    }

    /// <summary>
    /// The kind of a file that is neither a directory nor a link, from the kernel: .NET's
    /// attributes cannot tell a regular file from a FIFO or a socket. Null where statx(2) is
    /// not there (not Linux, an old kernel or libc): the attributes' guess then stands.
    /// </summary>
    private static unsafe FileKind? NativeKind(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        byte* buffer = stackalloc byte[LibC.StatxSize];
        try
        {
            if (LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_TYPE, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        int type = *(ushort*)(buffer + LibC.StatxModeOffset) & LibC.S_IFMT;
        return type switch
        {
            LibC.S_IFREG => FileKind.Regular,
            LibC.S_IFDIR => FileKind.Directory,
            LibC.S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
    }

    /// <summary>
    /// Removes a file (a job on the worker pool); ENOENT if it does not exist.
    /// <para>Lwt: <c>Lwt_unix.unlink</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise Unlink(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return PathJob(() => LibC.Unlink(path), "unlink", path);
    }

    /// <summary>
    /// Renames a file or directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.rename</c></para>
    /// </summary>
    /// <param name="from">The current path.</param>
    /// <param name="to">The new path (replaced if it exists).</param>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    public static Promise Rename(string from, string to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return PathJob(() => LibC.Rename(from, to), "rename", from);
    }

    /// <summary>
    /// Creates a directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.mkdir</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="permissions">Its permissions (e.g. 0o755 = 493).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise Mkdir(string path, int permissions = 0b111_101_101)
    {
        ArgumentNullException.ThrowIfNull(path);
        return PathJob(() => LibC.Mkdir(path, permissions), "mkdir", path);
    }

    /// <summary>
    /// Removes an empty directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.rmdir</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise Rmdir(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return PathJob(() => LibC.Rmdir(path), "rmdir", path);
    }

    /// <summary>
    /// The names in a directory, <c>.</c> and <c>..</c> included, as readdir gives them (a
    /// job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.readdir_n</c> (the whole directory)</para>
    /// </summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static Promise<IReadOnlyList<string>> ReadDir(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return LwtPreemptive.Detach<IReadOnlyList<string>>(() =>
        {
            if (!Directory.Exists(path)) throw new UnixErrorException(File.Exists(path) ? 20 /* ENOTDIR */ : LibC.ENOENT, "opendir", path);
            var names = new List<string> { ".", ".." };
            foreach (var entry in Directory.EnumerateFileSystemEntries(path)) names.Add(Path.GetFileName(entry));
            return names;
        });
    }

    /// <summary>
    /// The names in a directory as a stream (<c>.</c> and <c>..</c> included); the listing is
    /// read by a job on the worker pool when the stream is first read.
    /// <para>Lwt: <c>Lwt_unix.files_of_directory</c></para>
    /// </summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static LwtStream<string> FilesOfDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Promise<IReadOnlyList<string>>? listing = null;
        int next = 0;
        return LwtStream.From(() => (listing ??= ReadDir(path)).Map(names =>
            next < names.Count ? Option<string>.Some(names[next++]) : Option<string>.None));
    }

    private static Promise PathJob(Func<int> call, string function, string path) =>
        LwtPreemptive.Detach(() =>
        {
            if (call() != 0) throw new UnixErrorException(Marshal.GetLastPInvokeError(), function, path);
        });
}
