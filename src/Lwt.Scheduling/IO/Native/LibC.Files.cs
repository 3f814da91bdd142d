// The libc functions behind LwtUnix's file-system calls (LwtUnix.FileSystem.cs),
// descriptor flags (LwtUnix.FdFlags.cs) and directory handles
// (LwtUnix.DirHandles.cs). Same conventions as LibC.IO.cs: LibraryImport,
// SetLastError (the generated stub clears errno before the call, which readdir
// relies on to tell the end of a directory from an error), paths marshalled as
// UTF-8, Linux's constants.

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    internal const int EACCES = 13;
    internal const int ENOTDIR = 20;
    internal const int ENOTTY = 25;

    // fcntl record locks (LwtUnix.LockF).
    internal const int F_GETLK = 5;
    internal const int F_SETLK = 6;
    internal const int F_SETLKW = 7;
    internal const short F_RDLCK = 0;
    internal const short F_WRLCK = 1;
    internal const short F_UNLCK = 2;

    /// <summary>
    /// struct flock of LP64 Linux (x86-64, arm64, riscv64...): two shorts, then the 64-bit
    /// start and length at offsets 8 and 16, then the pid. 32-bit targets have another
    /// layout (and need fcntl64); LwtUnix.LockF refuses to run there.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Flock
    {
        internal short Type;
        internal short Whence;
        internal long Start;
        internal long Length;
        internal int Pid;
    }

    /// <summary>struct timespec (time_t and long are both the native word on Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        internal nint Seconds;
        internal nint Nanoseconds;
    }

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int FcntlLock(int fd, int cmd, Flock* lck);

    [LibraryImport(Lib, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chmod(string path, int mode);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int FChmod(int fd, int mode);

    [LibraryImport(Lib, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chown(string path, int uid, int gid);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int FChown(int fd, int uid, int gid);

    [LibraryImport(Lib, EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Symlink(string target, string linkPath);

    [LibraryImport(Lib, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint Readlink(string path, byte* buffer, nuint size);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Link(string from, string to);

    [LibraryImport(Lib, EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Access(string path, int mode);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UtimensAt(int dirfd, string path, TimeSpec* times, int flags);

    [LibraryImport(Lib, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mkfifo(string path, int mode);

    [LibraryImport(Lib, EntryPoint = "truncate", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Truncate(string path, long length);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int FTruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int FSync(int fd);

    [LibraryImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int FDataSync(int fd);

    [LibraryImport(Lib, EntryPoint = "isatty", SetLastError = true)]
    internal static partial int IsAtty(int fd);

    [LibraryImport(Lib, EntryPoint = "getcwd", SetLastError = true)]
    internal static partial byte* GetCwd(byte* buffer, nuint size);

    [LibraryImport(Lib, EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ChDir(string path);

    [LibraryImport(Lib, EntryPoint = "chroot", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ChRoot(string path);

    // Directory streams. readdir64's struct dirent64 has one layout on every Linux target
    // and libc (glibc and musl alike): d_ino (8), d_off (8), d_reclen (2), d_type (1), then
    // the NUL-terminated d_name at offset 19. Plain readdir's layout differs on 32-bit glibc.
    internal const int DirentNameOffset = 19;

    [LibraryImport(Lib, EntryPoint = "opendir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OpenDir(string path);

    [LibraryImport(Lib, EntryPoint = "readdir64", SetLastError = true)]
    internal static partial byte* ReadDir64(nint dir);

    [LibraryImport(Lib, EntryPoint = "rewinddir")]
    internal static partial void RewindDir(nint dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    internal static partial int CloseDir(nint dir);
}
