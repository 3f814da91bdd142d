// Files and directories (Lwt_unix.openfile, unlink, rename, mkdir, rmdir; stat,
// lstat and fstat are in LwtUnix.Stat.cs, files_of_directory with the directory
// streams it is built on in LwtUnix.DirHandles.cs). The
// kernel has no readiness for regular files, so each call is a job on
// LwtPreemptive's worker pool, resolved on the calling loop, as Lwt runs them
// as jobs. Paths go to libc as UTF-8.

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

public static partial class LwtUnix
{
    /// <summary>
    /// Opens a file (a job on the worker pool). A FIFO or a socket gives a non-blocking
    /// <see cref="LwtFd"/>; anything else (a regular file, a terminal, a device) a blocking one,
    /// whose reads and writes wait for readiness and then run on the pool, as Lwt's
    /// guess_blocking decides (<see cref="LwtFd.FromFd"/>). Close-on-exec.
    /// <para>Lwt: <c>Lwt_unix.openfile</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">Access mode and options.</param>
    /// <param name="permissions">Permissions of a created file (e.g. 0o644 = 420).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<LwtFd> OpenFile(string path, OpenFlags flags, int permissions = 0b110_100_100)
    {
        CheckPath(path);
        // The wrapper is made in the job, so that the result of an open aborted by AbortJobs is
        // an LwtFd, which the job closes (LwtUnix.Jobs.cs), rather than a bare number that leaks.
        return Job(() =>
        {
            int fd = LibC.Open(path, (int)flags | LibC.O_CLOEXEC, permissions);
            if (fd < 0) throw UnixErrorException.FromLastError("open", path);
            // Lwt's openfile wraps with of_unix_file_descr's guess: a FIFO or socket is
            // non-blocking, anything else (a regular file, a terminal, a device) blocking, and
            // O_NONBLOCK is set or cleared to match (the open file is this process's own).
            try
            {
                return LwtFd.FromFd(fd);
            }
            catch
            {
                LibC.Close(fd);
                throw;
            }
        });
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
    /// Removes a file (a job on the worker pool); ENOENT if it does not exist.
    /// <para>Lwt: <c>Lwt_unix.unlink</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise Unlink(string path)
    {
        CheckPath(path);
        return PathJob(() => LibC.Unlink(path), "unlink", path);
    }

    /// <summary>
    /// Renames a file or directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.rename</c></para>
    /// </summary>
    /// <param name="from">The current path.</param>
    /// <param name="to">The new path (replaced if it exists).</param>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    /// <exception cref="ArgumentException">A path contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise Rename(string from, string to)
    {
        CheckPath(from);
        CheckPath(to);
        return PathJob(() => LibC.Rename(from, to), "rename", from);
    }

    /// <summary>
    /// Creates a directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.mkdir</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="permissions">Its permissions, 0 to 0o7777 (e.g. 0o755 = 493), filtered by the process's umask.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permissions"/> is outside 0..0o7777 (nothing is created).</exception>
    public static Promise Mkdir(string path, int permissions = 0b111_101_101)
    {
        CheckPath(path);
        // As Chmod and Mkfifo: mkdir(2) would keep the low 12 bits of any int (-1 making a
        // setuid, setgid, sticky directory) instead of refusing it.
        CheckPermissions(permissions);
        return PathJob(() => LibC.Mkdir(path, permissions), "mkdir", path);
    }

    /// <summary>
    /// Removes an empty directory (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.rmdir</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise Rmdir(string path)
    {
        CheckPath(path);
        return PathJob(() => LibC.Rmdir(path), "rmdir", path);
    }

    private static Promise PathJob(Func<int> call, string function, string path) =>
        Job(() =>
        {
            if (call() != 0) throw new UnixErrorException(Marshal.GetLastPInvokeError(), function, path);
        });
}
