// Positional reads and writes (Lwt_unix.pread, pwrite, pwrite_string): the bytes at a
// given offset from the start of the file, without moving the descriptor's position.
//
// They are meant for descriptors that can seek, that is regular files, which are blocking
// descriptors here: the call runs as a job on LwtPreemptive's pool, as Read and Write do
// for them and as Lwt runs its pread/pwrite jobs. A non-blocking descriptor takes the
// readiness path of Read/Write (try at once, wait in the engine on EAGAIN), as Lwt's
// wrap_syscall does; for a pipe, socket or terminal the kernel then answers ESPIPE at once,
// which rejects the promise, so nothing ever waits there in practice.
//
// The position is untouched: a job of pread/pwrite needs no lock against a concurrent
// Read/Write on the same descriptor, unlike an lseek-then-read pair would. As with Read
// and Write, the caller keeps the buffer alive and unchanged until the promise resolves, and
// a buffer of a MemoryManager (a mapping) is pinned for the whole operation (LwtUnix.Fd.cs).

using System.Runtime.InteropServices;
using System.Text;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// Reads at most <c>buffer.Length</c> bytes from the file, starting <paramref name="fileOffset"/>
    /// bytes from its beginning; the descriptor's position does not move. The promise gives the
    /// number of bytes read (0 at or past the end of the file). Runs as a job on the worker pool
    /// for a regular file; ESPIPE for a descriptor that cannot seek (pipe, socket), EBADF once
    /// closed or if not open for reading.
    /// <para>Lwt: <c>Lwt_unix.pread</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="fileOffset">Where to read in the file, in bytes from its beginning.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> PRead(LwtFd fd, Memory<byte> buffer, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(fileOffset);
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, fileOffset), static (a, pinned) => PRead(a.fd, pinned, a.fileOffset));
        if (!fd.TryGetFd("pread", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return PReadBlocking(raw, buffer, fileOffset);
        var op = new PositionalOp(fd, buffer, default, fileOffset, write: false);
        return op.Attempt() ? Deliver(op) : fd.Enqueue(op);
    }

    /// <summary>
    /// Writes at most <c>buffer.Length</c> bytes into the file, starting <paramref name="fileOffset"/>
    /// bytes from its beginning (past the end, the gap reads as zeros); the descriptor's position
    /// does not move. The promise gives the number of bytes written, which may be fewer than
    /// asked. Runs as a job on the worker pool for a regular file; ESPIPE for a descriptor that
    /// cannot seek, EBADF once closed or if not open for writing. On a descriptor opened with
    /// <see cref="OpenFlags.Append"/>, Linux appends the bytes at the end whatever the offset.
    /// <para>Lwt: <c>Lwt_unix.pwrite</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="fileOffset">Where to write in the file, in bytes from its beginning.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> PWrite(LwtFd fd, ReadOnlyMemory<byte> buffer, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(fileOffset);
        if (NeedsPin(buffer)) return WithPin(buffer, (fd, fileOffset), static (a, pinned) => PWrite(a.fd, pinned, a.fileOffset));
        if (!fd.TryGetFd("pwrite", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return PWriteBlocking(raw, buffer, fileOffset);
        var op = new PositionalOp(fd, default, buffer, fileOffset, write: true);
        return op.Attempt() ? Deliver(op) : fd.Enqueue(op);
    }

    /// <summary>
    /// Writes the UTF-8 encoding of <paramref name="text"/> at <paramref name="fileOffset"/>, as
    /// <see cref="PWrite(LwtFd, ReadOnlyMemory{byte}, long)"/> writes a buffer: the promise gives the number of bytes written, which
    /// may be fewer than the encoding's.
    /// <para>Lwt: <c>Lwt_unix.pwrite_string</c> (the whole string)</para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="text">The text.</param>
    /// <param name="fileOffset">Where to write in the file, in bytes from its beginning.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/> is negative.</exception>
    public static Promise<int> PWriteString(LwtFd fd, string text, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(text);
        return PWrite(fd, Encoding.UTF8.GetBytes(text), fileOffset);
    }

    /// <summary>
    /// Writes part of the UTF-8 encoding of <paramref name="text"/> at <paramref name="fileOffset"/>,
    /// as <see cref="PWrite(LwtFd, ReadOnlyMemory{byte}, long)"/> does. As for <see cref="WriteString(LwtFd, string, int, int)"/>,
    /// <paramref name="offset"/> and <paramref name="length"/> count bytes of the UTF-8 encoding
    /// (an OCaml string is bytes), not chars, and may cut a character's encoding in two. The
    /// promise gives the number of bytes written, which may be fewer than <paramref name="length"/>:
    /// continue with <c>offset + written</c> at <c>fileOffset + written</c>.
    /// <para>Lwt: <c>Lwt_unix.pwrite_string</c></para>
    /// </summary>
    /// <param name="fd">The descriptor (a regular file).</param>
    /// <param name="text">The text.</param>
    /// <param name="fileOffset">Where to write in the file, in bytes from its beginning.</param>
    /// <param name="offset">The first byte of the encoding to write.</param>
    /// <param name="length">How many bytes of the encoding to write, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fileOffset"/>, <paramref name="offset"/> or
    /// <paramref name="length"/> is negative, or <paramref name="offset"/> and <paramref name="length"/> reach
    /// past the end of the encoding.</exception>
    public static Promise<int> PWriteString(LwtFd fd, string text, long fileOffset, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(fileOffset);
        return PWrite(fd, Utf8Range(text, offset, length), fileOffset);
    }

    // Separate methods for the same reason as ReadBlocking/WriteBlocking: the lambda's
    // closure would otherwise be allocated on every call, the non-blocking ones included.
    // As there, the job ends the buffer's pin on the worker, after the call.

    private static Promise<int> PReadBlocking(int raw, Memory<byte> buffer, long fileOffset) =>
        PinnedJob(PinOf(buffer), () => Check(SysPositional(raw, buffer.Span, fileOffset, write: false), "pread"));

    private static Promise<int> PWriteBlocking(int raw, ReadOnlyMemory<byte> buffer, long fileOffset) =>
        PinnedJob(PinOf(buffer), () => Check(SysPositional(raw, MemoryMarshal.AsMemory(buffer).Span, fileOffset, write: true), "pwrite"));

    /// <summary>One pread or pwrite (EINTR retried); -1 with errno on failure.</summary>
    private static unsafe nint SysPositional(int fd, Span<byte> buffer, long fileOffset, bool write)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do
            {
                n = write ? LibC.PWrite(fd, p, (nuint)buffer.Length, fileOffset) : LibC.PRead(fd, p, (nuint)buffer.Length, fileOffset);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            return n;
        }
    }

    /// <summary>A pread or pwrite on a non-blocking descriptor, retried on readiness after EAGAIN.</summary>
    private sealed class PositionalOp(LwtFd fd, Memory<byte> reads, ReadOnlyMemory<byte> writes, long fileOffset, bool write) : CountOp(fd)
    {
        public override bool IsWrite => write;

        public override string Name => write ? "pwrite" : "pread";

        protected override bool Run() =>
            Finish(SysPositional(Owner.Fd, write ? MemoryMarshal.AsMemory(writes).Span : reads.Span, fileOffset, write));

        internal override void ReleasePins()
        {
            ReleasePin(reads);
            ReleasePin(writes);
        }
    }
}
