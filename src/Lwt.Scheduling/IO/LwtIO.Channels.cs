// LwtIO: the channels' own properties: positions and seeking, buffer sizes,
// and the channels that need no descriptor (Zero, Null, OfBytes).
//
// Position is bookkeeping (ChannelCore.Offset, see LwtChannel.cs) and works on
// any channel. SetPosition and Length need the channel's seek function: a
// channel over a descriptor has lseek (a pipe or socket then fails with
// ESPIPE, as Lwt_unix.lseek does), a channel over a seekable Stream has
// Stream.Seek, and a channel made by MakeInput/MakeOutput has the seek it was
// given, if any; without one they reject with InvalidOperationException, as
// Lwt's no_seek fails. Both run in the channel's turn, as Lwt's primitives.

namespace Lwt;

public static partial class LwtIO
{
    private static int s_defaultBufferSize = DefaultBufferSize;

    /// <summary>
    /// The buffer size a channel gets when it is made without one: <see cref="DefaultBufferSize"/>
    /// until <see cref="SetDefaultBufferSize"/> changes it. (Named Get... because the
    /// constant already holds Lwt's name.)
    /// <para>Lwt: <c>Lwt_io.default_buffer_size</c></para>
    /// </summary>
    public static int GetDefaultBufferSize() => Volatile.Read(ref s_defaultBufferSize);

    /// <summary>
    /// Changes the buffer size of the channels made from now on without one (for the whole
    /// process, as Lwt's is global). Channels already made keep theirs.
    /// <para>Lwt: <c>Lwt_io.set_default_buffer_size</c></para>
    /// </summary>
    /// <param name="size">The new default, from 16 to <see cref="Array.MaxLength"/> bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static void SetDefaultBufferSize(int size)
    {
        ChannelCore.CheckSize(size, nameof(size));
        Volatile.Write(ref s_defaultBufferSize, size);
    }

    /// <summary>
    /// The channel's position: the number of bytes read from it (input) or written into it
    /// (output) since it was made or since the last <see cref="SetPosition"/>, counting the
    /// bytes still in the buffer as the user sees them. Not a promise: it only reads counters.
    /// <para>Lwt: <c>Lwt_io.position</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    public static long Position(this LwtChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var c = channel.Core;
        return c.IsInput ? c.Offset - (c.Max - c.Ptr) : c.Offset + (c.Max - c.Ptr);
    }

    /// <summary>
    /// Moves the channel to <paramref name="position"/> (from the start of the file). An
    /// output channel is flushed first; an input channel whose target is still in its buffer
    /// moves inside the buffer, otherwise its buffer is dropped. For an <see cref="OfBytes"/>
    /// channel, moves in the array (rejects past its end).
    /// <para>Lwt: <c>Lwt_io.set_position</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="position">The new position.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative.</exception>
    /// <remarks>
    /// Rejected with <see cref="InvalidOperationException"/> if the channel cannot seek, or if
    /// its seek function answers another offset than <paramref name="position"/> (Lwt's
    /// <c>Failure "Lwt_io.set_position: seek failed"</c>), with <see cref="UnixErrorException"/>
    /// (ESPIPE) for a pipe or socket.
    /// </remarks>
    public static Promise SetPosition(this LwtChannel channel, long position)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return channel.Locked(ch => SetPositionCore(ch.Core, position));
    }

    private static Promise<Unit> SetPositionCore(ChannelCore c, long position)
    {
        if (c.IsBytes)
        {
            if (position > c.Buffer.Length)
            {
                return Promise.Fail<Unit>(new ArgumentOutOfRangeException(nameof(position), position, $"Lwt_io.set_position: out of bounds (the array has {c.Buffer.Length} bytes)."));
            }

            if (c.IsInput) (c.Ptr, c.Max) = ((int)position, c.Buffer.Length);
            else c.Max = (int)position;
            return Promise.ReturnUnit;
        }

        if (c.IsInput)
        {
            // Still in the buffer: move there without a system call (as lwt_io.ml does).
            long bufferStart = c.Offset - (c.Max - c.Ptr);
            if (position >= bufferStart && position <= c.Offset)
            {
                c.Ptr = c.Max - (int)(c.Offset - position);
                return Promise.ReturnUnit;
            }

            // The seek is not guarded: lwt_io.ml races only the backend's reads and writes
            // against an abort, so a seek that fails after a close fails with its own error.
            return SeekTo(c, position, "set_position").Map(_ =>
            {
                c.Offset = position;
                c.Ptr = c.Max = 0;
                return default(Unit);
            });
        }

        return Guard(c, c.FlushAll()).Bind(_ => SeekTo(c, position, "set_position")).Map(_ =>
        {
            c.Offset = position;
            return default(Unit);
        });
    }

    /// <summary>Seeks the backend to <paramref name="position"/> and checks that it got there (lwt_io's do_seek).</summary>
    // Another offset fails as lwt_io.ml's do_seek does (Failure, ours InvalidOperationException,
    // as for a read or write function's count out of range): the seek function broke its
    // contract, which is not an I/O error of the file.
    private static Promise<Unit> SeekTo(ChannelCore c, long position, string function)
    {
        if (c.Seek is not { } seek) return Promise.Fail<Unit>(CannotSeek(function));
        return seek(position, SeekOrigin.Begin).Bind(got => got == position
            ? Promise.ReturnUnit
            : Promise.Fail<Unit>(new InvalidOperationException($"Lwt_io.{function}: seek failed (asked for {position}, got {got}).")));
    }

    private static InvalidOperationException CannotSeek(string function) =>
        new($"Lwt_io.{function}: this channel cannot seek. Use a channel over a file (OpenFile, OfFd) or over a seekable Stream, or give MakeInput/MakeOutput a seek function.");

    /// <summary>
    /// The length of what the channel reads or writes (the size of its file), found by seeking
    /// to the end and back; the channel's position does not change. For an
    /// <see cref="OfBytes"/> channel, the length of the array.
    /// <para>Lwt: <c>Lwt_io.length</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <remarks>
    /// Rejected with <see cref="InvalidOperationException"/> if the channel cannot seek, or if
    /// its seek function, asked to go back to the channel's offset, answers another one (Lwt's
    /// <c>Failure "Lwt_io.length: seek failed"</c>), with <see cref="UnixErrorException"/>
    /// (ESPIPE) for a pipe or socket.
    /// </remarks>
    public static Promise<long> Length(this LwtChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Locked(static ch =>
        {
            var c = ch.Core;
            if (c.IsBytes) return Promise.Return((long)c.Buffer.Length);
            if (c.Seek is not { } seek) return Promise.Fail<long>(CannotSeek("length"));
            // Not guarded, as SetPosition's seek: a failure after a close is the seek's own.
            return seek(0, SeekOrigin.End).Bind(length => SeekTo(c, c.Offset, "length").Map(_ => length));
        });
    }

    /// <summary>
    /// The length of a file in bytes; rejects with <see cref="UnixErrorException"/> (EISDIR)
    /// for a directory, (ENOENT) for a missing file.
    /// <para>Lwt: <c>Lwt_io.file_length</c></para>
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    public static Promise<long> FileLength(string path)
    {
        LwtUnix.CheckPath(path);
        return LwtUnix.Stat(path).Bind(stats => stats.Kind == FileKind.Directory
            ? Promise.Fail<long>(new UnixErrorException(EISDIR, "file_length", path))
            : WithFile(Input, path, static ic => Length(ic)));
    }

    private const int EISDIR = 21;

    /// <summary>
    /// Gives the channel a buffer of <paramref name="size"/> bytes, keeping what it holds: an
    /// output channel first flushes until its pending bytes fit; an input channel rejects
    /// with <see cref="InvalidOperationException"/> if it holds more unread bytes than that.
    /// An <see cref="OfBytes"/> channel rejects (its buffer is the user's array).
    /// <para>Lwt: <c>Lwt_io.resize_buffer</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="size">The new size, from 16 to <see cref="Array.MaxLength"/> bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise ResizeBuffer(this LwtChannel channel, int size)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ChannelCore.CheckSize(size, nameof(size));
        if (channel.Core.IsBytes)
        {
            return Promise.Fail(new InvalidOperationException("Lwt_io.resize_buffer: the buffer of a channel made by LwtIO.OfBytes is the array it was given; it cannot be resized."));
        }

        return channel.Locked(ch => ResizeCore(ch.Core, size));
    }

    private static async Promise<Unit> ResizeCore(ChannelCore c, int size)
    {
        if (c.IsInput && c.Max - c.Ptr > size)
        {
            throw new InvalidOperationException($"Lwt_io.resize_buffer: the channel holds {c.Max - c.Ptr} unread bytes, more than {size}; read them before making the buffer smaller.");
        }

        // Output: write out pending bytes until they fit (as lwt_io.ml's flush_partial loop).
        while (!c.IsInput && c.Max - c.Ptr > size) await Guard(c, c.FlushSome());
        var buffer = new byte[size];
        int held = c.Max - c.Ptr;
        c.Buffer.AsSpan(c.Ptr, held).CopyTo(buffer);
        c.Buffer = buffer;
        c.Size = size;
        c.Ptr = 0;
        c.Max = held;
        return default;
    }

    private static InputChannel? s_zero;
    private static OutputChannel? s_null;

    /// <summary>
    /// An input channel that reads zero bytes forever (Lwt's zero: a 16-byte buffer filled
    /// with 0). Shared, like <see cref="Stdin"/>: use it from one loop's thread.
    /// <para>Lwt: <c>Lwt_io.zero</c></para>
    /// </summary>
    public static InputChannel Zero => s_zero ??= MakeInput(
        static m =>
        {
            m.Span.Clear();
            return Promise.Return(m.Length);
        },
        bufferSize: ChannelCore.MinBufferSize);

    /// <summary>
    /// An output channel that discards what is written to it. Shared, like
    /// <see cref="Stdout"/>: use it from one loop's thread.
    /// <para>Lwt: <c>Lwt_io.null</c></para>
    /// </summary>
    public static OutputChannel Null => s_null ??= MakeOutput(static m => Promise.Return(m.Length), bufferSize: ChannelCore.MinBufferSize);

    /// <summary>
    /// A channel over an array, which is its buffer (no copy): an input channel reads the
    /// array then reaches end of input; an output channel writes into the array from its
    /// start, and rejects a write that does not fit (there is nowhere to flush to). Its
    /// <see cref="Position"/> is the index in the array; <see cref="SetPosition"/> moves it.
    /// <para>
    /// Lwt's takes an <c>Lwt_bytes.t</c>, so that there a file mapped with
    /// <c>Lwt_bytes.map_file</c> becomes a channel; this one takes a managed array only, and a
    /// mapping from <see cref="LwtBytes.MapFile"/> (a <see cref="Memory{T}"/>) cannot be given.
    /// Read a mapped file through its span directly, or through <see cref="OfFd"/> on the
    /// descriptor (or copy the mapping into an array, <see cref="LwtBytes.ToBytes"/>).
    /// </para>
    /// <para>Lwt: <c>Lwt_io.of_bytes</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="bytes">The array to read or fill.</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static TChannel OfBytes<TChannel>(ChannelMode<TChannel> mode, byte[] bytes)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(bytes);
        var core = new ChannelCore(bytes, mode.IsInput);
        return (TChannel)(mode.IsInput ? new InputChannel(core) : (LwtChannel)new OutputChannel(core));
    }
}
