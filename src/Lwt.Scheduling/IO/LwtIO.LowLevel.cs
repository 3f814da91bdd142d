// LwtIO: low-level access to a channel's buffer (Buffered, Block, DirectAccess)
// and the bigstring names of ReadInto/WriteFrom. FlushAll is in LwtIO.FlushAll.cs.
//
// The buffer as these functions show it. The channel keeps Buffer[Ptr..Max) as
// its live bytes in both directions (LwtChannel.cs): unread bytes for input,
// bytes not yet written out for output; an output channel appends at Max. Lwt's
// output buffer is laid out differently (pending bytes at [0..ptr), free space
// [ptr..max) with max the buffer's length), and its da_ptr/da_max speak of that
// free space. So DirectAccess shows each direction as Lwt does: for input
// [Ptr, Max) are the unread bytes; for output [Ptr, Max) is the free space at the
// end of the buffer, Ptr being the channel's Max and Max the buffer's length.
// Everything is translated back when the function is done.
//
// Block and DirectAccess hold the channel's turn (they are primitives, as in
// lwt_io.ml) from the call until the promise of their function resolves: the
// function works on the live buffer, and no other operation may move it
// meanwhile. Their function may itself wait (it returns a promise); operations
// on the same channel called from inside it queue behind it, so it must use the
// buffer, not the channel.
//
using System.Runtime.ExceptionServices;

namespace Lwt;

/// <summary>
/// Direct access to a channel's buffer, given by <see cref="LwtIO.DirectAccess{T}"/> to its
/// function. For an input channel, <c>Buffer[Ptr..Max)</c> are the bytes read from the
/// backend and not yet consumed: read some and advance <see cref="Ptr"/> past them. For an
/// output channel, <c>Buffer[Ptr..Max)</c> is the free space at the end of the buffer:
/// write there and advance <see cref="Ptr"/> past what was written. When the function's
/// promise is fulfilled, the channel takes <see cref="Ptr"/> as its new position: the bytes
/// before it are consumed (input) or count as written (output). <see cref="Perform"/> makes
/// more bytes (input) or more room (output) available, and updates <see cref="Ptr"/> and
/// <see cref="Max"/>.
/// <para>Lwt: <c>Lwt_io.direct_access</c></para>
/// </summary>
public sealed class DirectAccess
{
    private readonly LwtChannel _channel;
    private bool _active = true;

    internal DirectAccess(LwtChannel channel)
    {
        _channel = channel;
        var c = channel.Core;
        Buffer = c.Buffer;
        Sync();
    }

    /// <summary>
    /// The channel's buffer (the whole of it: the bytes that matter are between
    /// <see cref="Ptr"/> and <see cref="Max"/>). It stays the same object for the whole call,
    /// <see cref="Perform"/> included.
    /// <para>Lwt: <c>Lwt_io.direct_access.da_buffer</c></para>
    /// </summary>
    public Memory<byte> Buffer { get; }

    /// <summary>
    /// Input: the first unread byte. Output: the first free byte. Advance it past what the
    /// function read or wrote; it must stay between its value at the start (or after the
    /// last <see cref="Perform"/>) and <see cref="Max"/>.
    /// <para>Lwt: <c>Lwt_io.direct_access.da_ptr</c></para>
    /// </summary>
    public int Ptr { get; set; }

    /// <summary>
    /// Input: the end of the unread bytes. Output: the end of the free space (the buffer's
    /// length). Set by the channel and by <see cref="Perform"/>; the function must leave it
    /// as it finds it (it is settable because Lwt's field is mutable; a changed value is
    /// refused when the function ends).
    /// <para>Lwt: <c>Lwt_io.direct_access.da_max</c></para>
    /// </summary>
    public int Max { get; set; }

    /// <summary>True while the function runs; a <see cref="Perform"/> outside it is refused.</summary>
    internal bool IsActive => _active;

    /// <summary>The <see cref="Perform"/> still running, if any.</summary>
    internal Promise<int>? Performing { get; private set; }

    internal LwtChannel Channel => _channel;

    /// <summary>
    /// Input: keeps the bytes before <see cref="Ptr"/> as consumed, then reads more from the
    /// backend; the number of bytes read (0 at end of input). Output: takes the bytes before
    /// <see cref="Ptr"/> as written, then writes part of the buffer out to the backend to
    /// make room; the number of bytes written out (0 if nothing was pending). Either way
    /// <see cref="Ptr"/> and <see cref="Max"/> are updated: read them again. Rejected with
    /// <see cref="InvalidOperationException"/> once the function's promise has resolved,
    /// while another Perform runs, if <see cref="Ptr"/> or <see cref="Max"/> is out of its
    /// range, and (input) if the buffer is full of unread bytes (consume some first).
    /// <para>Lwt: <c>Lwt_io.direct_access.da_perform</c></para>
    /// </summary>
    public Promise<int> Perform()
    {
        if (!_active)
        {
            return Promise.Fail<int>(new InvalidOperationException(
                "Lwt_io.direct_access.da_perform: called after the function given to LwtIO.DirectAccess has resolved; call it only from that function, before its promise resolves."));
        }

        if (Performing is { IsPending: true })
        {
            return Promise.Fail<int>(new InvalidOperationException(
                "Lwt_io.direct_access.da_perform: another Perform is still running; wait for its promise before calling Perform again."));
        }

        if (Invalid("da_perform") is { } invalid) return Promise.Fail<int>(invalid);
        var p = LwtIO.PerformDirect(this);
        Performing = p.IsPending ? p : null;
        return p;
    }

    /// <summary>
    /// Why <see cref="Ptr"/> and <see cref="Max"/> cannot be taken by the channel now, or null
    /// (lwt_io's check: Max unchanged, Ptr between the channel's position and Max).
    /// </summary>
    internal InvalidOperationException? Invalid(string function)
    {
        var c = _channel.Core;
        int low = c.IsInput ? c.Ptr : c.Max;
        int max = c.IsInput ? c.Max : c.Buffer.Length;
        if (Max == max && Ptr >= low && Ptr <= max) return null;
        return new InvalidOperationException(
            $"Lwt_io.direct_access{(function.Length == 0 ? "" : "." + function)}: Ptr is {Ptr} and Max is {Max}, but Ptr must be between {low} and {max} and Max must stay {max}. "
            + $"Advance Ptr past the bytes {(c.IsInput ? "read" : "written")} and leave Max as the channel or Perform set it.");
    }

    /// <summary>Reads the channel's positions into <see cref="Ptr"/> and <see cref="Max"/> (the file comment's translation).</summary>
    internal void Sync()
    {
        var c = _channel.Core;
        if (c.IsInput) (Ptr, Max) = (c.Ptr, c.Max);
        else (Ptr, Max) = (c.Max, c.Buffer.Length);
    }

    /// <summary>Gives <see cref="Ptr"/> to the channel: input consumes up to it, output counts the bytes up to it as written.</summary>
    internal void Commit()
    {
        var c = _channel.Core;
        if (c.IsInput) c.Ptr = Ptr;
        else c.Max = Ptr;
    }

    /// <summary>The function's promise resolved: <see cref="Perform"/> is refused from now on.</summary>
    internal void End() => _active = false;
}

public static partial class LwtIO
{
    // ---- buffered -------------------------------------------------------------------------

    /// <summary>
    /// The number of bytes in the channel's buffer: for an input channel, the bytes read
    /// ahead from the backend and not consumed yet; for an output channel, the bytes written
    /// into the channel and not flushed yet. Not a promise: it only reads the buffer's
    /// counters.
    /// <para>Lwt: <c>Lwt_io.buffered</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    public static int Buffered(this LwtChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var c = channel.Core;
        return c.Max - c.Ptr;
    }

    // ---- block, direct_access ------------------------------------------------------------

    /// <summary>
    /// The largest block <see cref="Block{T}"/> may ask for: the smallest buffer a channel
    /// may have, so that any channel can hold it.
    /// </summary>
    private const int MaxBlockSize = ChannelCore.MinBufferSize;

    /// <summary>
    /// Gives <paramref name="f"/> the channel's buffer and an offset where <paramref name="size"/>
    /// bytes are: for an input channel, the next <paramref name="size"/> unread bytes (the
    /// buffer is refilled first if it holds fewer; rejected with
    /// <see cref="EndOfStreamException"/> if the input ends first), which are consumed; for an
    /// output channel, <paramref name="size"/> free bytes at the end of the pending ones (part
    /// of the buffer is flushed first if there is not that much room), which
    /// <paramref name="f"/> fills and which then count as written. As in Lwt, the bytes are
    /// consumed or counted before <paramref name="f"/> runs, whatever it does. The channel
    /// is held (no other operation runs on it) until the promise of <paramref name="f"/>
    /// resolves; <paramref name="f"/> must use the buffer, not the channel.
    /// <para>Lwt: <c>Lwt_io.block</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="size">The number of bytes, from 0 to 16.</param>
    /// <param name="f">Receives the buffer and the offset of the block in it.</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative or above 16.</exception>
    public static Promise<T> Block<T>(this LwtChannel channel, int size, Func<Memory<byte>, int, Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(f);
        if ((uint)size > MaxBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Lwt_io.block: the size must be between 0 and {MaxBlockSize}.");
        }

        return channel.Locked(ch => ch.Core.IsInput ? BlockIn(ch.Core, size, f) : BlockOut((OutputChannel)ch, size, f));
    }

    private static Promise<T> BlockIn<T>(ChannelCore c, int size, Func<Memory<byte>, int, Promise<T>> f)
    {
        while (c.Max - c.Ptr < size)
        {
            // The block is at most 16 bytes and a buffer at least 16 (an OfBytes array may be
            // smaller, but its refill gives 0): a refill always has room, never grows it.
            var refill = c.Refill();
            if (refill.IsPending) return refill.Bind(n => n == 0 ? Promise.Fail<T>(new EndOfStreamException()) : BlockIn(c, size, f));
            if (refill.IsRejected) return Promise.Fail<T>(refill.Exception!);
            if (refill.Value == 0) return Promise.Fail<T>(new EndOfStreamException());
        }

        int offset = c.Ptr;
        c.Ptr += size;
        return f(c.Buffer, offset);
    }

    private static Promise<T> BlockOut<T>(OutputChannel oc, int size, Func<Memory<byte>, int, Promise<T>> f)
    {
        var c = oc.Core;
        while (c.Buffer.Length - c.Max < size)
        {
            if (c.Ptr > 0)
            {
                // A failed or canceled flush left room before the pending bytes: move them to
                // the front (lwt_io keeps its pending bytes there after every write).
                c.CompactOutput();
                continue;
            }

            var flushed = Guard(c, c.FlushSome());
            if (flushed.IsPending) return flushed.Bind(_ => BlockOut(oc, size, f));
            if (flushed.IsRejected) return Promise.Fail<T>(flushed.Exception!);
        }

        int offset = c.Max;
        c.Max += size;
        return f(c.Buffer, offset);
    }

    /// <summary>
    /// Gives <paramref name="f"/> direct access to the channel's buffer (see
    /// <see cref="Lwt.DirectAccess"/>): <paramref name="f"/> reads the unread bytes (input) or
    /// writes into the free space (output), advances <see cref="Lwt.DirectAccess.Ptr"/> past
    /// them, and may call <see cref="Lwt.DirectAccess.Perform"/> to get more bytes or more
    /// room. When its promise is fulfilled, the bytes before <c>Ptr</c> are consumed (input)
    /// or count as written (output). If it is rejected, or leaves <c>Ptr</c> or <c>Max</c>
    /// out of range (rejected then with <see cref="InvalidOperationException"/>), the channel
    /// keeps its position from before the call or from the last <c>Perform</c>. The channel
    /// is held (no other operation runs on it) until the promise of <paramref name="f"/>
    /// resolves and any <c>Perform</c> it started has finished.
    /// <para>Lwt: <c>Lwt_io.direct_access</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="f">The function that works on the buffer.</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<T> DirectAccess<T>(this LwtChannel channel, Func<DirectAccess, Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(f);
        return channel.Locked(ch =>
        {
            var da = new DirectAccess(ch);
            Promise<T> p;
            try
            {
                p = f(da) ?? Promise.Fail<T>(new InvalidOperationException("The function given to LwtIO.DirectAccess returned null instead of a promise."));
            }
            catch (Exception e)
            {
                da.End();
                Promise.ExceptionFilter.RethrowIfRefused(e);
                p = Promise.Fail<T>(e);
            }

            return EndDirectAccess(p, da);
        });
    }

    /// <summary>
    /// Once <paramref name="work"/> resolves: no more Perform; waits for one still running
    /// (the channel is held until its backend call is done), then checks and commits the
    /// positions. The result is the function's, or the reason it could not be taken.
    /// </summary>
    private static async Promise<T> EndDirectAccess<T>(Promise<T> work, DirectAccess da)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        try
        {
            result = await work;
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }

        da.End();
        if (da.Performing is { IsPending: true } performing)
        {
            await Promise.Catch(() => performing, static _ => Promise.Return(0));
            failure ??= ExceptionDispatchInfo.Capture(new InvalidOperationException(
                "Lwt_io.direct_access: the function's promise resolved while its Perform was still running; wait for Perform's promise before resolving."));
        }

        failure?.Throw();
        if (da.Invalid("") is { } invalid) throw invalid;
        da.Commit();
        return result;
    }

    /// <summary>
    /// <see cref="Lwt.DirectAccess.Perform"/> once its checks passed: the refill (input) or
    /// partial flush (output), then the new positions into the access.
    /// </summary>
    internal static async Promise<int> PerformDirect(DirectAccess da)
    {
        var c = da.Channel.Core;
        try
        {
            if (c.IsInput)
            {
                // The bytes before Ptr are consumed, as lwt_io's perform sets ptr first.
                c.Ptr = da.Ptr;
                if (c.Ptr == 0 && c.Max == c.Buffer.Length && !c.IsBytes)
                {
                    // Lwt would ask its backend for 0 bytes and hand back the 0, which reads
                    // as end of input; growing the buffer would change da_buffer under f.
                    throw new InvalidOperationException(
                        "Lwt_io.direct_access.da_perform: the buffer is full of unread bytes, so there is no room to read more; consume some (advance Ptr) before calling Perform.");
                }

                return await c.Refill();
            }

            c.Max = da.Ptr; // the bytes f wrote count as written
            if (c.Ptr == c.Max)
            {
                // Nothing to write: still one backend call, of 0 bytes, as lwt_io.ml's
                // perform_io makes (over an OfBytes array: its failure). FlushSome would take
                // the 0 it answers for a backend that wrote nothing.
                int none = await Guard(c, c.UntilClosed(c.WriteBackend!(c.Buffer.AsMemory(c.Max, 0))));
                if (none != 0) throw ChannelCore.InvalidCount(none, 0, read: false); // as lwt_io.ml's perform_io
                return 0;
            }

            long before = c.Offset;
            await Guard(c, c.FlushSome()); // which moves what is left to the front: the room is at the end, where f writes
            return (int)(c.Offset - before);
        }
        finally
        {
            da.Sync();
        }
    }

    // ---- bigstring names -----------------------------------------------------------------

    // Lwt has a second set of read_into/write_from functions for Lwt_bytes.t (a Bigarray)
    // besides the ones over bytes. Here every buffer already is a Memory<byte> (the
    // existing ReadInto and WriteFrom take one), so these are the same functions under
    // Lwt's names, in Lwt's (buffer, offset, length) shape.

    /// <summary>
    /// <see cref="ReadInto"/> into <c>buffer[offset..offset+length)</c>: at most
    /// <paramref name="length"/> bytes (waiting only if none is buffered); the number read,
    /// 0 at end of input. Lwt's bigstring variant; here every buffer is a
    /// <see cref="Memory{T}"/>, so it is <see cref="ReadInto"/> on a slice.
    /// <para>Lwt: <c>Lwt_io.read_into_bigstring</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="offset">The first position in <paramref name="buffer"/>.</param>
    /// <param name="length">The most bytes to read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> ReadIntoBigstring(this InputChannel ic, Memory<byte> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(ic);
        return ReadInto(ic, LwtBytes.Range(buffer, offset, length));
    }

    /// <summary>
    /// <see cref="ReadIntoExactly"/> into <c>buffer[offset..offset+length)</c>: fills the
    /// range; rejects with <see cref="EndOfStreamException"/> if the input ends first. Lwt's
    /// bigstring variant; here it is <see cref="ReadIntoExactly"/> on a slice.
    /// <para>Lwt: <c>Lwt_io.read_into_exactly_bigstring</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="offset">The first position in <paramref name="buffer"/>.</param>
    /// <param name="length">The number of bytes to read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise ReadIntoExactlyBigstring(this InputChannel ic, Memory<byte> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(ic);
        return ReadIntoExactly(ic, LwtBytes.Range(buffer, offset, length));
    }

    /// <summary>
    /// <see cref="WriteFrom"/> from <c>buffer[offset..offset+length)</c>: writes some of it; the
    /// number of bytes taken, which may be 0 when the buffer was full and the backend took only
    /// part of it (as <see cref="WriteFrom"/>, and Lwt). Lwt's bigstring variant; here it is
    /// <see cref="WriteFrom"/> on a slice.
    /// <para>Lwt: <c>Lwt_io.write_from_bigstring</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first position in <paramref name="buffer"/>.</param>
    /// <param name="length">The most bytes to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise<int> WriteFromBigstring(this OutputChannel oc, ReadOnlyMemory<byte> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(oc);
        return WriteFrom(oc, LwtBytes.Range(buffer, offset, length));
    }

    /// <summary>
    /// <see cref="WriteFromExactly"/> from <c>buffer[offset..offset+length)</c>: writes all of
    /// it. Lwt's bigstring variant; here it is <see cref="WriteFromExactly"/> on a slice.
    /// <para>Lwt: <c>Lwt_io.write_from_exactly_bigstring</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first position in <paramref name="buffer"/>.</param>
    /// <param name="length">The number of bytes to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside <paramref name="buffer"/>.</exception>
    public static Promise WriteFromExactlyBigstring(this OutputChannel oc, ReadOnlyMemory<byte> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(oc);
        return WriteFromExactly(oc, LwtBytes.Range(buffer, offset, length));
    }
}
