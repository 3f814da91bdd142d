// The libc functions of LwtBytes' memory-mapped files (LwtBytes.Mapped.cs): mmap,
// munmap, madvise, mincore. Same conventions as LibC.IO.cs: LibraryImport, SetLastError,
// Linux's constants, and a 64-bit off_t (the "mmap" symbol of LP64 glibc; as pread and
// lseek here, 32-bit targets would need the *64 entry points).

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;
    internal const int MAP_PRIVATE = 0x02;

    /// <summary>What mmap returns on failure: <c>(void *) -1</c>.</summary>
    internal static readonly void* MAP_FAILED = (void*)-1;

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int MUnmap(void* address, nuint length);

    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int MAdvise(void* address, nuint length, int advice);

    /// <summary>mincore(2): one byte per page of the range, bit 0 set when the page is resident.</summary>
    [LibraryImport(Lib, EntryPoint = "mincore", SetLastError = true)]
    internal static partial int MinCore(void* address, nuint length, byte* vector);
}
