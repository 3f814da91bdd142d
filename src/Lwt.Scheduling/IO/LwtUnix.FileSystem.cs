// Metadata and names of files (Lwt_unix.chmod, fchmod, chown, fchown, link,
// symlink, readlink, access, file_exists, utimes, mkfifo, truncate, ftruncate).
//
// Every call may touch the disk (or a network file system) and so may block:
// each one is a job on LwtPreemptive's worker pool, resolved on the calling
// loop, as Lwt runs them as jobs. Arguments are checked on the caller's thread,
// before any job starts: a null is an ArgumentNullException thrown at the call,
// a value no system call could accept (a negative length, permission bits
// beyond 0o7777, a NaN time) an ArgumentOutOfRangeException. What only the
// kernel can tell (a missing file, a denied permission) rejects the promise with
// a UnixErrorException carrying the kernel's errno, the function's name and the
// path, as Lwt's Unix_error does.
//
// A descriptor's calls take the raw fd when they are made: a closed LwtFd
// rejects with EBADF at once (Lwt's check_descriptor), as FStat does.

using System.Runtime.InteropServices;
using System.Text;

namespace Lwt;

/// <summary>
/// What <see cref="LwtUnix.Access"/> checks (Linux values). <see cref="Exists"/> is 0: the
/// empty set asks only whether the file exists, as an empty list does in Lwt.
/// <para>Lwt: <c>Lwt_unix.access_permission</c></para>
/// </summary>
[Flags]
public enum AccessPermissions
{
    /// <summary>F_OK: the file exists (checks nothing else).</summary>
    Exists = 0,

    /// <summary>X_OK: the caller may execute the file (search a directory).</summary>
    Execute = 1,

    /// <summary>W_OK: the caller may write the file.</summary>
    Write = 2,

    /// <summary>R_OK: the caller may read the file.</summary>
    Read = 4,
}

public static partial class LwtUnix
{
    /// <summary>The largest permission value: rwx for all three, setuid, setgid and sticky (0o7777).</summary>
    private const int MaxPermissions = 0b111_111_111_111;

    /// <summary>
    /// Changes the permissions of a file, following symbolic links (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.chmod</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="permissions">The new permission bits, 0 to 0o7777 (e.g. 0o644 = 420).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permissions"/> is outside 0..0o7777.</exception>
    public static Promise Chmod(string path, int permissions)
    {
        CheckPath(path);
        CheckPermissions(permissions);
        return PathJob(() => LibC.Chmod(path, permissions), "chmod", path);
    }

    /// <summary>
    /// Changes the permissions of the file open on a descriptor (a job on the worker pool);
    /// EBADF if the descriptor is closed.
    /// <para>Lwt: <c>Lwt_unix.fchmod</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="permissions">The new permission bits, 0 to 0o7777.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permissions"/> is outside 0..0o7777.</exception>
    public static Promise FChmod(LwtFd fd, int permissions)
    {
        ArgumentNullException.ThrowIfNull(fd);
        CheckPermissions(permissions);
        return FdJob(fd, raw => LibC.FChmod(raw, permissions), "fchmod");
    }

    /// <summary>
    /// Changes the owner and group of a file, following symbolic links (a job on the worker
    /// pool). -1 leaves that id as it is. Only a privileged process may give a file away
    /// (EPERM otherwise); an owner may change the group to one of its own groups.
    /// <para>Lwt: <c>Lwt_unix.chown</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="userId">The new owner, or -1 to keep it.</param>
    /// <param name="groupId">The new group, or -1 to keep it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is below -1.</exception>
    public static Promise Chown(string path, int userId, int groupId)
    {
        CheckPath(path);
        CheckOwner(userId, groupId);
        return PathJob(() => LibC.Chown(path, userId, groupId), "chown", path);
    }

    /// <summary>
    /// Changes the owner and group of the file open on a descriptor (a job on the worker
    /// pool); -1 keeps that id; EBADF if the descriptor is closed.
    /// <para>Lwt: <c>Lwt_unix.fchown</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="userId">The new owner, or -1 to keep it.</param>
    /// <param name="groupId">The new group, or -1 to keep it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is below -1.</exception>
    public static Promise FChown(LwtFd fd, int userId, int groupId)
    {
        ArgumentNullException.ThrowIfNull(fd);
        CheckOwner(userId, groupId);
        return FdJob(fd, raw => LibC.FChown(raw, userId, groupId), "fchown");
    }

    /// <summary>
    /// Creates a hard link: <paramref name="to"/> becomes another name of the file
    /// <paramref name="from"/> (a job on the worker pool); EEXIST if <paramref name="to"/>
    /// exists. A failure's <see cref="UnixErrorException.Argument"/> is <paramref name="from"/>,
    /// as Lwt's link job reports its first path (OCaml's Unix.link reports the second).
    /// <para>Lwt: <c>Lwt_unix.link</c></para>
    /// </summary>
    /// <param name="from">The existing file.</param>
    /// <param name="to">The new name.</param>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    /// <exception cref="ArgumentException">A path contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise Link(string from, string to)
    {
        CheckPath(from);
        CheckPath(to);
        return PathJob(() => LibC.Link(from, to), "link", from);
    }

    /// <summary>
    /// Creates a symbolic link at <paramref name="linkPath"/> whose content is
    /// <paramref name="target"/> (a job on the worker pool). The target is stored as given
    /// (relative to the link's directory if relative) and need not exist. A failure's
    /// <see cref="UnixErrorException.Argument"/> is <paramref name="target"/>, as Lwt's symlink
    /// job reports its first path.
    /// <para>Lwt: <c>Lwt_unix.symlink</c></para>
    /// </summary>
    /// <param name="target">What the link points to.</param>
    /// <param name="linkPath">The link to create (EEXIST if it exists).</param>
    /// <param name="toDirectory">Lwt's <c>?to_dir</c>: tells Windows that the target is a
    /// directory; POSIX links have no such kind, so it changes nothing here.</param>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    /// <exception cref="ArgumentException">A path contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise Symlink(string target, string linkPath, bool toDirectory = false)
    {
        CheckPath(target);
        CheckPath(linkPath);
        _ = toDirectory;
        return PathJob(() => LibC.Symlink(target, linkPath), "symlink", target);
    }

    /// <summary>
    /// The content of a symbolic link (a job on the worker pool): its target as stored,
    /// decoded as UTF-8. EINVAL if the path is not a symbolic link.
    /// <para>Lwt: <c>Lwt_unix.readlink</c></para>
    /// </summary>
    /// <param name="path">The link.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<string> Readlink(string path)
    {
        CheckPath(path);
        return Job(() => ReadlinkNow(path));
    }

    /// <summary>
    /// readlink(2) does not say how long the target is and truncates silently: a result that
    /// fills the buffer may have been cut, so the call is repeated with twice the room until
    /// it does not.
    /// </summary>
    private static unsafe string ReadlinkNow(string path)
    {
        for (int size = 256; ; size *= 2)
        {
            byte[] buffer = new byte[size];
            nint n;
            fixed (byte* p = buffer) n = LibC.Readlink(path, p, (nuint)size);
            if (n < 0) throw UnixErrorException.FromLastError("readlink", path);
            if (n < size) return Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    /// <summary>
    /// Checks that the calling process may access a file as asked (a job on the worker pool):
    /// the promise is fulfilled if every permission asked for is granted, and rejected with
    /// EACCES (or ENOENT, ENOTDIR...) otherwise. The check uses the real user and group ids.
    /// <para>Lwt: <c>Lwt_unix.access</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="permissions">What to check; <see cref="AccessPermissions.Exists"/> (none)
    /// checks only that the file exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permissions"/> has bits
    /// other than Read, Write and Execute.</exception>
    public static Promise Access(string path, AccessPermissions permissions)
    {
        CheckPath(path);
        const AccessPermissions all = AccessPermissions.Read | AccessPermissions.Write | AccessPermissions.Execute;
        if ((permissions & ~all) != 0)
            throw new ArgumentOutOfRangeException(nameof(permissions), permissions, "Combine only Read, Write and Execute (or pass Exists alone).");
        return PathJob(() => LibC.Access(path, (int)permissions), "access", path);
    }

    /// <summary>
    /// Whether a directory entry of that name exists (a job on the worker pool), following
    /// symbolic links: true if <see cref="Stat"/> would succeed. As in Lwt (and OCaml's
    /// <c>Sys.file_exists</c>), every case in which stat would fail with a system error gives
    /// false, not only ENOENT: a dangling link, a path through a file (ENOTDIR), a directory
    /// the caller may not search (EACCES), a loop of links (ELOOP).
    /// <para>Lwt: <c>Lwt_unix.file_exists</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<bool> FileExists(string path)
    {
        CheckPath(path);
        return Job(() =>
        {
            try
            {
                _ = Statx.TryStat(LibC.AT_FDCWD, path, 0, "stat", path) ?? ManagedStat(path, follow: true, "stat");
                return true;
            }
            catch (UnixErrorException)
            {
                return false;
            }
        });
    }

    /// <summary>
    /// Sets the last access and last modification times of a file, following symbolic links
    /// (a job on the worker pool). Times are seconds since 1970-01-01 UTC, fractions kept to
    /// the nanosecond. As in Lwt, passing 0 for both sets both to the current time (which only
    /// needs write access to the file, not ownership).
    /// <para>Lwt: <c>Lwt_unix.utimes</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="accessTime">The new access time (seconds since the epoch).</param>
    /// <param name="modificationTime">The new modification time (seconds since the epoch).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A time is NaN or infinite.</exception>
    public static Promise Utimes(string path, double accessTime, double modificationTime)
    {
        CheckPath(path);
        CheckTime(accessTime, nameof(accessTime));
        CheckTime(modificationTime, nameof(modificationTime));
        bool now = accessTime == 0 && modificationTime == 0;
        return PathJob(() => UtimesNow(path, now, accessTime, modificationTime), "utimes", path);
    }

    private static unsafe int UtimesNow(string path, bool now, double accessTime, double modificationTime)
    {
        LibC.TimeSpec* times = stackalloc LibC.TimeSpec[2];
        times[0] = ToTimeSpec(accessTime);
        times[1] = ToTimeSpec(modificationTime);
        return LibC.UtimensAt(LibC.AT_FDCWD, path, now ? null : times, 0);
    }

    /// <summary>Seconds as a timespec: the floor and the nanoseconds above it (so -1.5 is -2 s + 0.5e9 ns).</summary>
    private static LibC.TimeSpec ToTimeSpec(double seconds)
    {
        double whole = Math.Floor(seconds);
        long nanoseconds = Math.Min((long)Math.Round((seconds - whole) * 1e9), 999_999_999);
        return new LibC.TimeSpec { Seconds = (nint)whole, Nanoseconds = (nint)nanoseconds };
    }

    /// <summary>
    /// Creates a named pipe (FIFO) (a job on the worker pool); EEXIST if the path exists. The
    /// permissions are filtered by the process's umask, as for any created file.
    /// <para>Lwt: <c>Lwt_unix.mkfifo</c></para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="permissions">Its permissions, 0 to 0o7777 (e.g. 0o600 = 384).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permissions"/> is outside 0..0o7777.</exception>
    public static Promise Mkfifo(string path, int permissions)
    {
        CheckPath(path);
        CheckPermissions(permissions);
        return PathJob(() => LibC.Mkfifo(path, permissions), "mkfifo", path);
    }

    /// <summary>
    /// Sets the size of a file (a job on the worker pool): bytes past <paramref name="length"/>
    /// are dropped, a file made longer reads as zeros up to it. EISDIR for a directory.
    /// <para>Lwt: <c>Lwt_unix.truncate</c> (and <c>Lwt_unix.LargeFile.truncate</c>)</para>
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="length">The new size in bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static Promise Truncate(string path, long length)
    {
        CheckPath(path);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return PathJob(() => LibC.Truncate(path, length), "truncate", path);
    }

    /// <summary>
    /// Sets the size of the file open on a descriptor, which must be open for writing (EINVAL
    /// or EBADF otherwise) (a job on the worker pool). The descriptor's position is unchanged.
    /// <para>Lwt: <c>Lwt_unix.ftruncate</c> (and <c>Lwt_unix.LargeFile.ftruncate</c>)</para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="length">The new size in bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static Promise FTruncate(LwtFd fd, long length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return FdJob(fd, raw => LibC.FTruncate(raw, length), "ftruncate");
    }

    /// <summary>
    /// A call on a descriptor as a job on the worker pool: EBADF at once if the descriptor is
    /// closed, otherwise <paramref name="call"/> on the raw fd, whose -1 rejects with errno.
    /// </summary>
    private static Promise FdJob(LwtFd fd, Func<int, int> call, string function)
    {
        if (!fd.TryGetFd(function, out int raw, out var error)) return Promise.Fail(error!);
        return Job(() =>
        {
            if (call(raw) != 0) throw new UnixErrorException(Marshal.GetLastPInvokeError(), function);
        });
    }

    /// <summary>
    /// Refuses a null path, and one with a NUL character: marshaled to C, the path would end
    /// there, and the call would act on another file (Unlink("a\0b") removing "a"), as Lwt's
    /// jobs do (they copy the string with strdup). OCaml's own Unix functions refuse such a
    /// path (ENOENT); here it is an ArgumentException at the call, as for the names of the
    /// system databases and the arguments of LwtProcess.
    /// </summary>
    internal static void CheckPath(string path, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(path))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path, name);
        if (path.Contains('\0')) throw new ArgumentException("A path cannot contain a NUL character: the system would see only the part before it.", name);
    }

    private static void CheckPermissions(int permissions, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(permissions))] string? name = null)
    {
        if ((uint)permissions > MaxPermissions)
            throw new ArgumentOutOfRangeException(name, permissions, "Permissions are bits 0 to 0o7777 (4095): rwx for owner, group and others, with setuid, setgid and sticky.");
    }

    private static void CheckOwner(int userId, int groupId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(userId, -1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupId, -1);
    }

    private static void CheckTime(double seconds, string name)
    {
        if (!double.IsFinite(seconds))
            throw new ArgumentOutOfRangeException(name, seconds, "A time is a finite number of seconds since 1970-01-01 UTC (0 for both: now).");
    }
}
