// LwtBytes: Lwt_bytes, byte buffers for I/O, as static functions over Memory<byte>.
//
// Why functions over Memory<byte> and not a buffer class. Lwt_bytes.t is a
// Bigarray: memory outside the OCaml heap, which the GC never moves, so it can
// be handed to the kernel without a copy, and a slice of it (proxy) shares its
// bytes. .NET's Memory<byte> already is that: a window on an array or native
// memory, sliced without copying, pinned for a syscall by the I/O layer, and
// what every .NET I/O API takes. A wrapper class would only stand between the
// user and Stream, Socket, Span and LwtUnix. So a buffer here is a
// Memory<byte>; Create allocates its array on the pinned object heap (the
// GC never moves it, as a Bigarray), and these functions add what Lwt_bytes
// adds: checked offsets (ArgumentOutOfRangeException where Lwt raises
// Invalid_argument, before anything is read or written), the blits between
// buffers, byte arrays and strings, and the LwtUnix I/O calls on a range.
//
// Strings. An OCaml string is a byte sequence; a .NET string is UTF-16 text.
// The string functions encode and decode UTF-8, what .NET users mean by the
// bytes of a text, and their offsets and lengths count bytes of that encoding,
// as in Lwt they count bytes of the string.

using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Lwt;

/// <summary>
/// Byte buffers for I/O: functions over <see cref="Memory{T}"/> of bytes, with Lwt's checked
/// offsets and the <see cref="LwtUnix"/> I/O calls on a range of a buffer.
/// <para>Lwt: <c>Lwt_bytes</c></para>
/// </summary>
public static partial class LwtBytes
{
    /// <summary>
    /// A new buffer of <paramref name="size"/> bytes, zeroed, on the pinned object heap (never
    /// moved by the GC, as Lwt's Bigarray buffers are outside the OCaml heap).
    /// <para>Lwt: <c>Lwt_bytes.create</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    public static Memory<byte> Create(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return GC.AllocateArray<byte>(size, pinned: true);
    }

    /// <summary>The number of bytes of <paramref name="buffer"/>.<para>Lwt: <c>Lwt_bytes.length</c></para></summary>
    public static int Length(ReadOnlyMemory<byte> buffer) => buffer.Length;

    /// <summary>The byte at <paramref name="index"/>.<para>Lwt: <c>Lwt_bytes.get</c></para></summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in the buffer.</exception>
    public static byte Get(ReadOnlyMemory<byte> buffer, int index)
    {
        if ((uint)index >= (uint)buffer.Length) ThrowIndex(index, buffer.Length);
        return buffer.Span[index];
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="index"/>.<para>Lwt: <c>Lwt_bytes.set</c></para></summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in the buffer.</exception>
    public static void Set(Memory<byte> buffer, int index, byte value)
    {
        if ((uint)index >= (uint)buffer.Length) ThrowIndex(index, buffer.Length);
        buffer.Span[index] = value;
    }

    /// <summary>A new buffer holding a copy of <paramref name="bytes"/>.<para>Lwt: <c>Lwt_bytes.of_bytes</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is null.</exception>
    public static Memory<byte> OfBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Memory<byte> buffer = Create(bytes.Length);
        bytes.CopyTo(buffer);
        return buffer;
    }

    /// <summary>A new buffer holding the UTF-8 bytes of <paramref name="text"/>.<para>Lwt: <c>Lwt_bytes.of_string</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static Memory<byte> OfString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Memory<byte> buffer = Create(Encoding.UTF8.GetByteCount(text));
        Encoding.UTF8.GetBytes(text, buffer.Span);
        return buffer;
    }

    /// <summary>A new byte array holding a copy of <paramref name="buffer"/>.<para>Lwt: <c>Lwt_bytes.to_bytes</c></para></summary>
    public static byte[] ToBytes(ReadOnlyMemory<byte> buffer) => buffer.ToArray();

    /// <summary>The text whose UTF-8 bytes are <paramref name="buffer"/> (invalid sequences become U+FFFD).<para>Lwt: <c>Lwt_bytes.to_string</c></para></summary>
    public static string ToString(ReadOnlyMemory<byte> buffer) => Encoding.UTF8.GetString(buffer.Span);

    /// <summary>
    /// Copies <paramref name="length"/> bytes of <paramref name="source"/> from
    /// <paramref name="sourceOffset"/> to <paramref name="destination"/> at
    /// <paramref name="destinationOffset"/>; the two may overlap (the result is as if the
    /// source were copied first).
    /// <para>Lwt: <c>Lwt_bytes.blit</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void Blit(ReadOnlyMemory<byte> source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length)
    {
        CheckRange(source.Length, sourceOffset, length, nameof(sourceOffset));
        CheckRange(destination.Length, destinationOffset, length, nameof(destinationOffset));
        source.Span.Slice(sourceOffset, length).CopyTo(destination.Span.Slice(destinationOffset, length));
    }

    /// <summary>
    /// As <see cref="Blit"/>, from the UTF-8 bytes of <paramref name="source"/> (offset and
    /// length count those bytes).
    /// <para>Lwt: <c>Lwt_bytes.blit_from_string</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void BlitFromString(string source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        byte[] bytes = Encoding.UTF8.GetBytes(source);
        Blit(bytes, sourceOffset, destination, destinationOffset, length);
    }

    /// <summary>As <see cref="Blit"/>, from a byte array.<para>Lwt: <c>Lwt_bytes.blit_from_bytes</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void BlitFromBytes(byte[] source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        Blit(source, sourceOffset, destination, destinationOffset, length);
    }

    /// <summary>As <see cref="Blit"/>, to a byte array.<para>Lwt: <c>Lwt_bytes.blit_to_bytes</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void BlitToBytes(ReadOnlyMemory<byte> source, int sourceOffset, byte[] destination, int destinationOffset, int length)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Blit(source, sourceOffset, destination, destinationOffset, length);
    }

    /// <summary>
    /// The <paramref name="length"/> bytes of <paramref name="buffer"/> from
    /// <paramref name="offset"/>, sharing its memory: a write through one is seen through the other.
    /// <para>Lwt: <c>Lwt_bytes.proxy</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public static Memory<byte> Proxy(Memory<byte> buffer, int offset, int length)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        return buffer.Slice(offset, length);
    }

    /// <summary>A new buffer holding a copy of the <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.<para>Lwt: <c>Lwt_bytes.extract</c></para></summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public static Memory<byte> Extract(ReadOnlyMemory<byte> buffer, int offset, int length)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        Memory<byte> copy = Create(length);
        buffer.Span.Slice(offset, length).CopyTo(copy.Span);
        return copy;
    }

    /// <summary>A new buffer holding a copy of <paramref name="buffer"/>.<para>Lwt: <c>Lwt_bytes.copy</c></para></summary>
    public static Memory<byte> Copy(ReadOnlyMemory<byte> buffer) => Extract(buffer, 0, buffer.Length);

    /// <summary>Sets the <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> to <paramref name="value"/>.<para>Lwt: <c>Lwt_bytes.fill</c></para></summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public static void Fill(Memory<byte> buffer, int offset, int length, byte value)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        buffer.Span.Slice(offset, length).Fill(value);
    }

    // Lwt's unsafe_ functions skip the bounds check of their checked twins, for speed: an
    // out-of-bounds index there reads or writes memory outside the Bigarray. A Memory<byte>
    // cannot be reached out of its bounds at all (its Span checks every access), so there is
    // no unchecked path to offer: these are Lwt's names for the checked functions, which
    // throw ArgumentOutOfRangeException where Lwt's would corrupt memory. The check costs a
    // comparison or two, nothing next to a copy.

    /// <summary>
    /// <see cref="Get"/> under Lwt's unchecked name: the index is checked (a
    /// <see cref="Memory{T}"/> cannot be read out of its bounds), so this is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_get</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in the buffer.</exception>
    public static byte UnsafeGet(ReadOnlyMemory<byte> buffer, int index) => Get(buffer, index);

    /// <summary>
    /// <see cref="Set"/> under Lwt's unchecked name: the index is checked (a
    /// <see cref="Memory{T}"/> cannot be written out of its bounds), so this is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_set</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in the buffer.</exception>
    public static void UnsafeSet(Memory<byte> buffer, int index, byte value) => Set(buffer, index, value);

    /// <summary>
    /// <see cref="Blit"/> under Lwt's unchecked name: the ranges are checked as
    /// <see cref="Blit"/> checks them, so this is only an alias (overlapping ranges are
    /// copied as <see cref="Blit"/> copies them).
    /// <para>Lwt: <c>Lwt_bytes.unsafe_blit</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void UnsafeBlit(ReadOnlyMemory<byte> source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length) =>
        Blit(source, sourceOffset, destination, destinationOffset, length);

    /// <summary>
    /// <see cref="BlitFromBytes"/> under Lwt's unchecked name: the ranges are checked, so
    /// this is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_blit_from_bytes</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void UnsafeBlitFromBytes(byte[] source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length) =>
        BlitFromBytes(source, sourceOffset, destination, destinationOffset, length);

    /// <summary>
    /// <see cref="BlitFromString"/> under Lwt's unchecked name (offset and length count
    /// UTF-8 bytes): the ranges are checked, so this is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_blit_from_string</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void UnsafeBlitFromString(string source, int sourceOffset, Memory<byte> destination, int destinationOffset, int length) =>
        BlitFromString(source, sourceOffset, destination, destinationOffset, length);

    /// <summary>
    /// <see cref="BlitToBytes"/> under Lwt's unchecked name: the ranges are checked, so this
    /// is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_blit_to_bytes</c></para>
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An offset or the length is negative, or a range leaves its buffer.</exception>
    public static void UnsafeBlitToBytes(ReadOnlyMemory<byte> source, int sourceOffset, byte[] destination, int destinationOffset, int length) =>
        BlitToBytes(source, sourceOffset, destination, destinationOffset, length);

    /// <summary>
    /// <see cref="Fill"/> under Lwt's unchecked name. Lwt skips the bounds check here; a
    /// <see cref="Memory{T}"/> cannot be written out of its bounds, so this checks them as
    /// <see cref="Fill"/> does (it costs two comparisons) and is only an alias.
    /// <para>Lwt: <c>Lwt_bytes.unsafe_fill</c></para>
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer.</exception>
    public static void UnsafeFill(Memory<byte> buffer, int offset, int length, byte value) => Fill(buffer, offset, length, value);

    /// <summary>Reads at most <paramref name="length"/> bytes from <paramref name="fd"/> into <paramref name="buffer"/> at <paramref name="offset"/>; see <see cref="LwtUnix.Read(LwtFd, Memory{byte})"/>.<para>Lwt: <c>Lwt_bytes.read</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<int> Read(LwtFd fd, Memory<byte> buffer, int offset, int length) =>
        LwtUnix.Read(fd, Range(buffer, offset, length));

    /// <summary>Writes at most <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> to <paramref name="fd"/>; see <see cref="LwtUnix.Write(LwtFd, ReadOnlyMemory{byte})"/>.<para>Lwt: <c>Lwt_bytes.write</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<int> Write(LwtFd fd, ReadOnlyMemory<byte> buffer, int offset, int length) =>
        LwtUnix.Write(fd, Range(buffer, offset, length));

    /// <summary>Receives at most <paramref name="length"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>; see <see cref="LwtUnix.Recv(LwtFd, Memory{byte}, SocketFlags)"/>.<para>Lwt: <c>Lwt_bytes.recv</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<int> Recv(LwtFd fd, Memory<byte> buffer, int offset, int length, SocketFlags flags = SocketFlags.None) =>
        LwtUnix.Recv(fd, Range(buffer, offset, length), flags);

    /// <summary>Sends at most <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>; see <see cref="LwtUnix.Send(LwtFd, ReadOnlyMemory{byte}, SocketFlags)"/>.<para>Lwt: <c>Lwt_bytes.send</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<int> Send(LwtFd fd, ReadOnlyMemory<byte> buffer, int offset, int length, SocketFlags flags = SocketFlags.None) =>
        LwtUnix.Send(fd, Range(buffer, offset, length), flags);

    /// <summary>Receives a datagram into <paramref name="buffer"/> at <paramref name="offset"/> (at most <paramref name="length"/> bytes) and its sender; see <see cref="LwtUnix.RecvFrom(LwtFd, Memory{byte}, SocketFlags)"/>.<para>Lwt: <c>Lwt_bytes.recvfrom</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<(int Count, EndPoint Address)> RecvFrom(LwtFd fd, Memory<byte> buffer, int offset, int length, SocketFlags flags = SocketFlags.None) =>
        LwtUnix.RecvFrom(fd, Range(buffer, offset, length), flags);

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> to <paramref name="address"/>; see <see cref="LwtUnix.SendTo(LwtFd, ReadOnlyMemory{byte}, EndPoint, SocketFlags)"/>.<para>Lwt: <c>Lwt_bytes.sendto</c></para></summary>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the buffer (raised at the call).</exception>
    /// <exception cref="ObjectDisposedException">The buffer is a mapping already unmapped (<see cref="Unmap"/>; raised at the call).</exception>
    public static Promise<int> SendTo(LwtFd fd, ReadOnlyMemory<byte> buffer, int offset, int length, EndPoint address, SocketFlags flags = SocketFlags.None) =>
        LwtUnix.SendTo(fd, Range(buffer, offset, length), address, flags);

    /// <summary>The size of a memory page, in bytes.<para>Lwt: <c>Lwt_bytes.page_size</c></para></summary>
    public static int PageSize => Environment.SystemPageSize;

    /// <summary>The bytes <c>[offset, offset + length)</c> of <paramref name="buffer"/>, after Lwt's range check (ArgumentOutOfRangeException at the call).</summary>
    internal static Memory<byte> Range(Memory<byte> buffer, int offset, int length)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        return buffer.Slice(offset, length);
    }

    /// <summary>The bytes <c>[offset, offset + length)</c> of <paramref name="buffer"/>, after Lwt's range check (ArgumentOutOfRangeException at the call).</summary>
    internal static ReadOnlyMemory<byte> Range(ReadOnlyMemory<byte> buffer, int offset, int length)
    {
        CheckRange(buffer.Length, offset, length, nameof(offset));
        return buffer.Slice(offset, length);
    }

    /// <summary>Lwt's check: offset and length non-negative and offset + length within the buffer (no overflow: both are non-negative ints).</summary>
    private static void CheckRange(int bufferLength, int offset, int length, string offsetName)
    {
        if (offset < 0 || length < 0 || offset > bufferLength - length) ThrowRange(bufferLength, offset, length, offsetName);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRange(int bufferLength, int offset, int length, string offsetName) =>
        throw new ArgumentOutOfRangeException(length < 0 ? "length" : offsetName, $"The range at offset {offset} of length {length} is not inside the buffer of {bufferLength} bytes.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndex(int index, int bufferLength) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be between 0 and {bufferLength - 1}.");
}
