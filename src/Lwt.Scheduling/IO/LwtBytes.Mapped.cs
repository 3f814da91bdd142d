// LwtBytes' memory-mapped files (the "Memory mapped files" group of Lwt_bytes): MapFile,
// Mapped, Madvise, Mincore, WaitMincore.
//
// A mapping is a Memory<byte> whose manager is a MappedMemory (MappedMemory.cs: pins, and
// why it is unmapped by Unmap and never by the GC), so it slices, pins and goes to LwtUnix as
// any buffer does, and Mapped is a type test on the manager. MapFile follows Bigarray.Array1.map_file, which
// Lwt_bytes.map_file calls: read-write pages, MAP_SHARED (writes reach the file) or
// MAP_PRIVATE (copy-on-write, the file never changes); the whole file from the position
// when no size is given; a file shorter than position + size grown to it first (which needs
// write access, even for a private mapping, as OCaml does).
//
// The page rules are the kernel's, and Lwt checks only part of them: Madvise checks its range,
// Mincore that its offset is a multiple of the page size and that its pages start inside
// the buffer. Both pass the address of buffer[offset] to the kernel, which wants it on a page
// boundary: true of a mapping from position 0 (mmap's pages) at a page-multiple offset, not
// of an array or of most slices, where the kernel's EINVAL comes back as UnixErrorException,
// as Lwt's Unix_error does. Argument errors are thrown at the call (Lwt's Invalid_argument).
//
// WaitMincore is Lwt's: ask mincore about the page holding the byte; if it is out, a worker
// thread reads the byte (the page fault blocks that thread, not the loop) and the promise
// resolves when it is in. The buffer stays pinned for the job, so a mapping disposed meanwhile
// is unmapped only after it.

using System.Buffers;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// Advice to the kernel about how a range of memory will be used (see madvise(2)).
/// <para>Lwt: <c>Lwt_bytes.advice</c></para>
/// </summary>
public enum Advice
{
    /// <summary>MADV_NORMAL: no special treatment.</summary>
    Normal,

    /// <summary>MADV_RANDOM: pages will be used in random order (read ahead less).</summary>
    Random,

    /// <summary>MADV_SEQUENTIAL: pages will be used in order (read ahead more, free soon after).</summary>
    Sequential,

    /// <summary>MADV_WILLNEED: the pages will be needed soon (start reading them).</summary>
    WillNeed,

    /// <summary>MADV_DONTNEED: the pages will not be needed soon (the kernel may drop them).</summary>
    DontNeed,

    /// <summary>MADV_MERGEABLE: candidate for kernel same-page merging (needs CONFIG_KSM).</summary>
    Mergeable,

    /// <summary>MADV_UNMERGEABLE: undoes <see cref="Mergeable"/>.</summary>
    Unmergeable,

    /// <summary>MADV_HUGEPAGE: back the range with transparent huge pages where possible.</summary>
    HugePage,

    /// <summary>MADV_NOHUGEPAGE: do not back the range with huge pages.</summary>
    NoHugePage,
}

public static partial class LwtBytes
{
    /// <summary>
    /// Maps the file open on <paramref name="fd"/> into memory, from <paramref name="position"/>,
    /// for <paramref name="size"/> bytes (by default up to the end of the file). The pages are
    /// readable and writable: with <paramref name="shared"/>, writes reach the file (and other
    /// mappings of it); without, they stay private to this buffer. A file shorter than
    /// <paramref name="position"/> + <paramref name="size"/> is first grown to that length.
    /// The mapping stays until <see cref="Unmap"/> (the garbage collector does not undo it: a
    /// <see cref="Span{T}"/> of it would not keep it alive).
    /// <para>Lwt: <c>Lwt_bytes.map_file</c></para>
    /// </summary>
    /// <param name="fd">An open file (read-write for a shared mapping or to grow the file).</param>
    /// <param name="shared">Whether writes to the buffer are written to the file.</param>
    /// <param name="size">The buffer's length; null for the rest of the file from <paramref name="position"/>.</param>
    /// <param name="position">Where in the file the buffer starts (any offset; the mapping itself starts on the page below).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> or <paramref name="position"/> is negative;
    /// or, without <paramref name="size"/>, <paramref name="position"/> is past the end of the file or the rest of the
    /// file is longer than a Memory can be (<see cref="int.MaxValue"/> bytes).</exception>
    /// <exception cref="UnixErrorException">fstat, ftruncate or mmap failed (EBADF for a closed <paramref name="fd"/>,
    /// EACCES for a shared mapping of a read-only descriptor, EINVAL from ftruncate for a pipe or socket given a
    /// <paramref name="size"/>...). Without <paramref name="size"/>, a pipe or socket (whose size is 0) gives an
    /// empty mapping, as Lwt's does.</exception>
    public static unsafe Memory<byte> MapFile(LwtFd fd, bool shared, int? size = null, long position = 0)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (size < 0) throw new ArgumentOutOfRangeException(nameof(size), size, "The size must not be negative (null maps the rest of the file).");
        if (!fd.TryGetFd("map_file", out int raw, out var error)) throw error!;

        long fileSize = FileSize(raw);
        long length;
        if (size is int wanted)
        {
            length = wanted;
            if (fileSize < position + length && LibC.FTruncate(raw, position + length) != 0)
                throw UnixErrorException.FromLastError("map_file");
        }
        else
        {
            if (position > fileSize)
                throw new ArgumentOutOfRangeException(nameof(position), position, $"The position is past the end of the file ({fileSize} bytes).");
            length = fileSize - position;
            if (length > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(size), $"The rest of the file ({length} bytes) is longer than a Memory<byte> can be: pass a size.");
        }

        if (length == 0) return new MappedMemory(null, 0, 0, 0).Memory;
        int delta = (int)(position % PageSize);
        nuint mapLength = (nuint)(delta + length);
        void* address = LibC.MMap(null, mapLength, LibC.PROT_READ | LibC.PROT_WRITE, shared ? LibC.MAP_SHARED : LibC.MAP_PRIVATE, raw, position - delta);
        if (address == LibC.MAP_FAILED) throw UnixErrorException.FromLastError("map_file");
        return new MappedMemory((byte*)address, mapLength, delta, (int)length).Memory;
    }

    /// <summary>
    /// Whether <paramref name="buffer"/> is (a slice of) a buffer made by <see cref="MapFile"/>.
    /// It says where the buffer came from, not whether it is still mapped: it stays true after
    /// <see cref="Unmap"/>, an addition of this library (Lwt's mappings end with the garbage
    /// collector, and its <c>mapped</c> tells a mapped bigarray from another).
    /// <para>Lwt: <c>Lwt_bytes.mapped</c></para>
    /// </summary>
    public static bool Mapped(ReadOnlyMemory<byte> buffer) =>
        MemoryMarshal.TryGetMemoryManager<byte, MappedMemory>(buffer, out _);

    /// <summary>
    /// Undoes the mapping behind <paramref name="buffer"/> (a buffer of <see cref="MapFile"/> or
    /// a slice of one), once the system calls using it (pinned) are done; later uses of any
    /// Memory of it throw <see cref="ObjectDisposedException"/>, and Spans taken before must not
    /// be used. Unmapping twice does nothing. An <see cref="LwtUnix"/> operation on it that is
    /// still pending (a read waiting for data, a job of a blocking descriptor) keeps the pages
    /// until it is over: it completes normally, and the unmap happens when it completes, is
    /// canceled, or its descriptor is closed. A call given the buffer after the unmap throws
    /// <see cref="ObjectDisposedException"/> at once, blocking descriptor or not.
    /// <para>Lwt: none (OCaml's GC unmaps a mapped Bigarray; .NET's cannot safely, see <see cref="MapFile"/>)</para>
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is not a mapping (<see cref="Mapped"/> is false).</exception>
    public static void Unmap(ReadOnlyMemory<byte> buffer)
    {
        if (!MemoryMarshal.TryGetMemoryManager(buffer, out MappedMemory? manager))
            throw new ArgumentException("The buffer is not a mapping made by LwtBytes.MapFile.", nameof(buffer));
        ((IDisposable)manager).Dispose();
    }

    /// <summary>
    /// Tells the kernel how the <paramref name="length"/> bytes of <paramref name="buffer"/> from
    /// <paramref name="offset"/> will be used. The range's address must be on a page boundary
    /// (the kernel's rule: true of a mapping at a multiple of <see cref="PageSize"/>).
    /// <para>Lwt: <c>Lwt_bytes.madvise</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer, or <paramref name="advice"/> is not an <see cref="Lwt.Advice"/>.</exception>
    /// <exception cref="UnixErrorException">madvise failed (EINVAL for an address off a page boundary or advice the kernel lacks).</exception>
    /// <exception cref="NotAvailableException">Not on Linux.</exception>
    public static unsafe void Madvise(Memory<byte> buffer, int offset, int length, Advice advice)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        int native = advice switch
        {
            Advice.Normal => 0,
            Advice.Random => 1,
            Advice.Sequential => 2,
            Advice.WillNeed => 3,
            Advice.DontNeed => 4,
            Advice.Mergeable => 12,
            Advice.Unmergeable => 13,
            Advice.HugePage => 14,
            Advice.NoHugePage => 15,
            _ => throw new ArgumentOutOfRangeException(nameof(advice), advice, "Pass one of the Advice values."),
        };
        LwtSys.Require(Feature.MAdvise);
        using MemoryHandle pin = buffer.Slice(offset).Pin();
        if (LibC.MAdvise(pin.Pointer, (nuint)length, native) != 0) throw UnixErrorException.FromLastError("madvise");
    }

    /// <summary>
    /// Tells which pages from <paramref name="offset"/> are in memory: <paramref name="states"/>[i]
    /// becomes true when page i (<see cref="PageSize"/> bytes each) is resident. The first page
    /// must start on a page boundary (see <see cref="Madvise"/>) and every page must start inside
    /// the buffer. For a file mapping, Linux reports only pages that this process has mapped in
    /// (touched) or that it could write to the file.
    /// <para>Lwt: <c>Lwt_bytes.mincore</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="states"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative, or not all the pages start inside the buffer.</exception>
    /// <exception cref="ArgumentException"><paramref name="offset"/> is not a multiple of <see cref="PageSize"/>.</exception>
    /// <exception cref="UnixErrorException">mincore failed (EINVAL off a page boundary, ENOMEM for memory not mapped).</exception>
    /// <exception cref="NotAvailableException">Not on Linux.</exception>
    public static unsafe void Mincore(Memory<byte> buffer, int offset, bool[] states)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        int page = PageSize;
        if (offset % page != 0)
            throw new ArgumentException($"The offset ({offset}) must be a multiple of the page size ({page}).", nameof(offset));
        // Lwt's rule: the last page starts inside the buffer (it may run past its end).
        if (offset > buffer.Length || (states.Length > 0 && buffer.Length - offset < (long)(states.Length - 1) * page + 1))
            throw new ArgumentOutOfRangeException(nameof(states), states.Length, $"{states.Length} pages from offset {offset} do not all start inside the buffer of {buffer.Length} bytes.");
        LwtSys.Require(Feature.MinCore);

        Span<byte> vector = states.Length <= 256 ? stackalloc byte[states.Length] : new byte[states.Length];
        using (MemoryHandle pin = buffer.Slice(offset).Pin())
        {
            fixed (byte* v = vector)
            {
                if (LibC.MinCore(pin.Pointer, (nuint)((long)states.Length * page), v) != 0)
                    throw UnixErrorException.FromLastError("mincore");
            }
        }

        for (int i = 0; i < states.Length; i++) states[i] = (vector[i] & 1) != 0;
    }

    /// <summary>
    /// A promise resolved once the page holding byte <paramref name="offset"/> of
    /// <paramref name="buffer"/> is in memory: at once if <see cref="Mincore"/> says it is,
    /// otherwise after a worker thread has read that byte (taking the page fault off the loop).
    /// The buffer must start on a page boundary (as a mapping from position 0 does).
    /// <para>Lwt: <c>Lwt_bytes.wait_mincore</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is not in the buffer.</exception>
    /// <exception cref="NotAvailableException">Not on Linux.</exception>
    /// <remarks>mincore's failure (<see cref="UnixErrorException"/>) rejects the promise.</remarks>
    public static unsafe Promise WaitMincore(Memory<byte> buffer, int offset)
    {
        if ((uint)offset >= (uint)buffer.Length) ThrowIndex(offset, buffer.Length);
        var state = new bool[1];
        try
        {
            Mincore(buffer, offset - offset % PageSize, state);
        }
        catch (UnixErrorException e)
        {
            return Promise.Fail(e);
        }

        if (state[0]) return Promise.ReturnUnit;
        MemoryHandle pin = buffer.Slice(offset).Pin();
        return LwtUnix.Job(() =>
        {
            try
            {
                _ = Volatile.Read(ref *(byte*)pin.Pointer);
            }
            finally
            {
                pin.Dispose();
            }
        });
    }

    /// <summary>The size of the file open on <paramref name="fd"/>: statx, or lseek where statx is unavailable.</summary>
    private static long FileSize(int fd)
    {
        FileStats? stats = Statx.TryStat(fd, string.Empty, LibC.AT_EMPTY_PATH, "map_file", string.Empty);
        if (stats is FileStats s) return s.Size;
        long current = LibC.LSeek(fd, 0, LibC.SEEK_CUR);
        long end = current < 0 ? -1 : LibC.LSeek(fd, 0, LibC.SEEK_END);
        if (end < 0 || LibC.LSeek(fd, current, LibC.SEEK_SET) < 0) throw UnixErrorException.FromLastError("map_file");
        return end;
    }
}
