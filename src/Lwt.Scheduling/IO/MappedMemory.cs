// MappedMemory: the memory of a file mapped with mmap(2), as a MemoryManager<byte>, so that
// LwtBytes.MapFile can hand out a plain Memory<byte> like every other LwtBytes buffer.
//
// Why no finalizer, where OCaml's GC unmaps a mapped Bigarray. A Span<byte> is a raw pointer
// that keeps nothing alive: in `var s = LwtBytes.MapFile(fd, false).Span;` the Memory, and
// so the manager, is garbage at once while s is still read. A finalizer that unmapped would
// turn that ordinary line into a segmentation fault some time later (the analyzer's CA2015).
// So the mapping lives until LwtBytes.Unmap (or Dispose on the manager) and at worst leaks
// address space until the process exits, which is the safe failure.
//
// Pins are counted, so that an unmap never pulls the pages from under a system call: every
// native use of the buffer (the LwtUnix I/O calls, madvise, mincore, WaitMincore's worker)
// goes through Pin, and a Dispose while pins are out only marks the manager disposed; the
// last Unpin unmaps. An LwtUnix call holds its pin for the operation's whole life, not just
// one system call (LwtUnix.Fd.cs, "Pins"): a read waiting for data on a non-blocking
// descriptor, or running as a job for a blocking one, when Unmap comes, completes normally
// into the pages, which go when it is over (completed, canceled, or its descriptor closed).
// So an Unmap under a read that never completes keeps the address space until it is canceled. The protocol, with both sides on Interlocked (full fences): Pin counts
// itself first, then looks at _disposed; Dispose sets _disposed first, then looks at the
// count. Whatever the interleaving, one of the two sees the other, and Release runs once
// (its own flag) however many of them get there. After Dispose, GetSpan and Pin throw
// ObjectDisposedException; Spans taken before are dangling, as with any native memory.
//
// The mapping starts on a page boundary (mmap's rule) but the buffer starts at the requested
// file position: _delta bytes into the first page. An empty buffer maps nothing (mmap refuses
// a zero length) and still is a mapping for LwtBytes.Mapped, as an empty mapped Bigarray is.

using System.Buffers;

namespace Lwt;

/// <summary>A region mapped with mmap(2), unmapped when disposed (see the file comment).</summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly byte* _base;
    private readonly nuint _mapLength;
    private readonly int _delta;
    private readonly int _length;
    private int _pins;
    private int _disposed;
    private int _released;

    /// <summary>Takes ownership of the mapping at <paramref name="mapBase"/> (null for an empty buffer).</summary>
    internal MappedMemory(byte* mapBase, nuint mapLength, int delta, int length)
    {
        _base = mapBase;
        _mapLength = mapLength;
        _delta = delta;
        _length = length;
    }

    /// <summary>The buffer's bytes; throws <see cref="ObjectDisposedException"/> once unmapped.</summary>
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new Span<byte>(_base + _delta, _length);
    }

    /// <summary>A pointer to byte <paramref name="elementIndex"/>; the mapping stays until the handle is disposed.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        Interlocked.Increment(ref _pins);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Unpin();
            throw new ObjectDisposedException(nameof(MappedMemory));
        }

        return new MemoryHandle(_base + _delta + elementIndex, default, this);
    }

    /// <summary>Ends a <see cref="Pin"/>; the last one after a dispose unmaps.</summary>
    public override void Unpin()
    {
        if (Interlocked.Decrement(ref _pins) == 0 && Volatile.Read(ref _disposed) != 0) Release();
    }

    /// <summary>Unmaps now, or at the last <see cref="Unpin"/> if pins are out; later calls do nothing.</summary>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (Volatile.Read(ref _pins) == 0) Release();
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0 || _base == null) return;
        // munmap fails only for an invalid range, which this one is not; nothing to report.
        _ = LibC.MUnmap(_base, _mapLength);
    }
}
