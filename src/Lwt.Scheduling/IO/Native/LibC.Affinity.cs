// The libc functions of LwtUnix's CPU part (LwtUnix.Affinity.cs). Same conventions as
// LibC.IO.cs: LibraryImport, SetLastError, only ints and pointers cross the boundary.
// A cpu_set_t is an array of unsigned longs, CPU n being bit n % W of word n / W; on a
// little-endian machine that is the same memory as an array of 64-bit words whatever W, so
// it is declared as ulong*. Its size is passed in bytes, so the set can be larger than
// glibc's fixed 1024-bit cpu_set_t (the kernel accepts any multiple of the word size).

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    [LibraryImport(Lib, EntryPoint = "sched_getcpu", SetLastError = true)]
    internal static partial int SchedGetCpu();

    [LibraryImport(Lib, EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);
}
