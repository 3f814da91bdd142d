// One statx(2) call makes a whole FileStats (Unix.stats), for LwtUnix.Stat,
// LStat and FStat.
//
// Why statx and not stat/lstat/fstat: struct stat differs between
// architectures (field order and widths on x86-64, arm64, i386, riscv...),
// and glibc's stat entry points were versioned wrappers (__xstat) until 2.33,
// while struct statx is the kernel's own and has one layout everywhere. The
// offsets below are those of <linux/stat.h>:
//
//     0 u32 mask          4 u32 blksize       8 u64 attributes
//    16 u32 nlink        20 u32 uid          24 u32 gid          28 u16 mode
//    32 u64 ino          40 u64 size         48 u64 blocks       56 u64 attributes_mask
//    64 atime  80 btime  96 ctime  112 mtime  (each: s64 seconds, u32 nanoseconds, pad)
//   128 u32 rdev_major  132 u32 rdev_minor  136 u32 dev_major   140 u32 dev_minor
//
// The device numbers come back split; they are joined as glibc's makedev
// joins them, so that Device and RawDevice equal stat(2)'s st_dev and st_rdev.
//
// "Unavailable" (null from TryStat, remembered once seen) is: not Linux, a libc
// without statx (glibc < 2.28: EntryPointNotFoundException), or a kernel without
// it (< 4.11: ENOSYS; some container seccomp profiles answered EPERM, an errno
// that stat(2) itself never gives). The caller then falls back to .NET's
// FileSystemInfo. Every other errno is the answer, thrown as stat would.

namespace Lwt;

/// <summary>statx(2) into a <see cref="FileStats"/>.</summary>
internal static unsafe class Statx
{
    private const int Size = 256;

    /// <summary>STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks.</summary>
    private const uint BasicStats = 0x7ff;

    private const int S_IFMT = 0xF000;
    private const int S_IFREG = 0x8000;
    private const int S_IFDIR = 0x4000;
    private const int S_IFLNK = 0xA000;

    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>
    /// statx(<paramref name="dirfd"/>, <paramref name="path"/>, <paramref name="flags"/>): the
    /// stats, or null when statx is unavailable. Throws <see cref="UnixErrorException"/>
    /// (<paramref name="function"/>, <paramref name="argument"/>) for any other failure.
    /// </summary>
    internal static FileStats? TryStat(int dirfd, string path, int flags, string function, string argument)
    {
        if (s_unavailable) return null;
        byte* b = stackalloc byte[Size];
        int rc;
        try
        {
            rc = LibC.Statx(dirfd, path, flags, BasicStats, b);
        }
        catch (EntryPointNotFoundException)
        {
            s_unavailable = true;
            return null;
        }

        if (rc != 0)
        {
            var error = UnixErrorException.FromLastError(function, argument);
            if (error.Errno is not (LibC.ENOSYS or LibC.EPERM)) throw error;
            s_unavailable = true;
            return null;
        }

        int mode = *(ushort*)(b + 28);
        var kind = (mode & S_IFMT) switch
        {
            S_IFREG => FileKind.Regular,
            S_IFDIR => FileKind.Directory,
            S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        return new FileStats(
            kind,
            *(long*)(b + 40),
            (UnixFileMode)(mode & 0xFFF),
            Time(b + 64),
            Time(b + 112),
            Device(*(uint*)(b + 136), *(uint*)(b + 140)),
            *(long*)(b + 32),
            (int)*(uint*)(b + 16),
            *(uint*)(b + 20),
            *(uint*)(b + 24),
            Device(*(uint*)(b + 128), *(uint*)(b + 132)),
            Time(b + 96));
    }

    /// <summary>A struct statx_timestamp as a UTC DateTime (to the 100 ns tick; clamped to DateTime's range).</summary>
    private static DateTime Time(byte* timestamp)
    {
        long seconds = *(long*)timestamp;
        uint nanoseconds = *(uint*)(timestamp + 8);
        long maxSeconds = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
        long minSeconds = -DateTime.UnixEpoch.Ticks / TimeSpan.TicksPerSecond;
        if (seconds >= maxSeconds) return DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
        if (seconds < minSeconds) return DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);
        return DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + nanoseconds / 100);
    }

    /// <summary>glibc's makedev: the dev_t that stat(2) gives for a major and minor number.</summary>
    private static long Device(uint major, uint minor) =>
        (long)((((ulong)major & 0xfffff000) << 32) | (((ulong)major & 0xfff) << 8)
            | (((ulong)minor & 0xffffff00) << 12) | ((ulong)minor & 0xff));
}
