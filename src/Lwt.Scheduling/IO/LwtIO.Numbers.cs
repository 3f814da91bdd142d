// LwtIO: binary numbers on channels (Lwt_io's NumberIO): LwtIO.LE and
// LwtIO.BE read and write in little- and big-endian order, and the same
// functions directly on LwtIO (also as extension methods) use the machine's
// order, SystemByteOrder, as Lwt_io includes the module of Lwt_sys.byte_order.
//
// Widths are Lwt's: ReadInt/WriteInt move 4 bytes (a signed 32-bit value),
// ReadInt16 2 (signed), ReadInt32 4, ReadInt64 8, ReadFloat32 4 (IEEE single),
// ReadFloat64 8. Lwt's int16 functions take and give an OCaml int; here a
// short, whose range is exactly what they read and keep.
//
// Fast path as the other operations: a free channel whose buffer holds the
// bytes (or has room for them) decodes (encodes) in place with no allocation
// but the result promise. Otherwise a read takes the channel's turn and reads
// through BlockIn (Lwt_io.block: refill until the bytes are buffered; at end of
// input nothing is consumed, as Lwt's read_block_unsafe), and a write through
// BlockOut (flush until the whole number fits, then encode it in place, as
// Lwt's write_block_unsafe: a failed flush leaves none of it in the buffer).

using System.Buffers.Binary;

namespace Lwt;

/// <summary>
/// The order of the bytes of a number.
/// <para>Lwt: <c>Lwt_io.byte_order</c> (<c>Lwt_sys.byte_order</c>)</para>
/// </summary>
public enum ByteOrder
{
    /// <summary>Least significant byte first.</summary>
    LittleEndian,

    /// <summary>Most significant byte first.</summary>
    BigEndian,
}

public static partial class LwtIO
{
    /// <summary>
    /// The byte order of this machine: the order of the number functions of <see cref="LwtIO"/> itself.
    /// <para>Lwt: <c>Lwt_io.system_byte_order</c></para>
    /// </summary>
    public static ByteOrder SystemByteOrder { get; } = BitConverter.IsLittleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian;

    private static readonly bool s_systemIsLittle = BitConverter.IsLittleEndian;

    /// <summary>
    /// Numbers in little-endian order.
    /// <para>Lwt: <c>Lwt_io.LE</c></para>
    /// </summary>
    public static class LE
    {
        /// <summary>
        /// Reads a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_int</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<int> ReadInt(InputChannel ic) => ReadNumber(ic, 4, true, s_decodeInt32);

        /// <summary>
        /// Reads a 16-bit signed integer (an <c>int</c> in Lwt), least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_int16</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<short> ReadInt16(InputChannel ic) => ReadNumber(ic, 2, true, s_decodeInt16);

        /// <summary>
        /// Reads a 32-bit signed integer, least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_int32</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<int> ReadInt32(InputChannel ic) => ReadNumber(ic, 4, true, s_decodeInt32);

        /// <summary>
        /// Reads a 64-bit signed integer, least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_int64</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<long> ReadInt64(InputChannel ic) => ReadNumber(ic, 8, true, s_decodeInt64);

        /// <summary>
        /// Reads an IEEE 754 single-precision float, least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_float32</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<float> ReadFloat32(InputChannel ic) => ReadNumber(ic, 4, true, s_decodeFloat32);

        /// <summary>
        /// Reads an IEEE 754 double-precision float, least significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.LE.read_float64</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<double> ReadFloat64(InputChannel ic) => ReadNumber(ic, 8, true, s_decodeFloat64);

        /// <summary>
        /// Writes a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_int</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt(OutputChannel oc, int value) => WriteNumber(oc, 4, value, true, s_encodeInt32);

        /// <summary>
        /// Writes a 16-bit signed integer (an <c>int</c> in Lwt), least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_int16</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt16(OutputChannel oc, short value) => WriteNumber(oc, 2, value, true, s_encodeInt16);

        /// <summary>
        /// Writes a 32-bit signed integer, least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_int32</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt32(OutputChannel oc, int value) => WriteNumber(oc, 4, value, true, s_encodeInt32);

        /// <summary>
        /// Writes a 64-bit signed integer, least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_int64</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt64(OutputChannel oc, long value) => WriteNumber(oc, 8, value, true, s_encodeInt64);

        /// <summary>
        /// Writes an IEEE 754 single-precision float, least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_float32</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteFloat32(OutputChannel oc, float value) => WriteNumber(oc, 4, value, true, s_encodeFloat32);

        /// <summary>
        /// Writes an IEEE 754 double-precision float, least significant byte first.
        /// <para>Lwt: <c>Lwt_io.LE.write_float64</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteFloat64(OutputChannel oc, double value) => WriteNumber(oc, 8, value, true, s_encodeFloat64);

    }

    /// <summary>
    /// Numbers in big-endian (network) order.
    /// <para>Lwt: <c>Lwt_io.BE</c></para>
    /// </summary>
    public static class BE
    {
        /// <summary>
        /// Reads a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_int</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<int> ReadInt(InputChannel ic) => ReadNumber(ic, 4, false, s_decodeInt32);

        /// <summary>
        /// Reads a 16-bit signed integer (an <c>int</c> in Lwt), most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_int16</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<short> ReadInt16(InputChannel ic) => ReadNumber(ic, 2, false, s_decodeInt16);

        /// <summary>
        /// Reads a 32-bit signed integer, most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_int32</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<int> ReadInt32(InputChannel ic) => ReadNumber(ic, 4, false, s_decodeInt32);

        /// <summary>
        /// Reads a 64-bit signed integer, most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_int64</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<long> ReadInt64(InputChannel ic) => ReadNumber(ic, 8, false, s_decodeInt64);

        /// <summary>
        /// Reads an IEEE 754 single-precision float, most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_float32</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<float> ReadFloat32(InputChannel ic) => ReadNumber(ic, 4, false, s_decodeFloat32);

        /// <summary>
        /// Reads an IEEE 754 double-precision float, most significant byte first; rejects with <see cref="EndOfStreamException"/> if the
        /// input ends first.
        /// <para>Lwt: <c>Lwt_io.BE.read_float64</c></para>
        /// </summary>
        /// <param name="ic">The channel.</param>
        /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
        public static Promise<double> ReadFloat64(InputChannel ic) => ReadNumber(ic, 8, false, s_decodeFloat64);

        /// <summary>
        /// Writes a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_int</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt(OutputChannel oc, int value) => WriteNumber(oc, 4, value, false, s_encodeInt32);

        /// <summary>
        /// Writes a 16-bit signed integer (an <c>int</c> in Lwt), most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_int16</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt16(OutputChannel oc, short value) => WriteNumber(oc, 2, value, false, s_encodeInt16);

        /// <summary>
        /// Writes a 32-bit signed integer, most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_int32</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt32(OutputChannel oc, int value) => WriteNumber(oc, 4, value, false, s_encodeInt32);

        /// <summary>
        /// Writes a 64-bit signed integer, most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_int64</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteInt64(OutputChannel oc, long value) => WriteNumber(oc, 8, value, false, s_encodeInt64);

        /// <summary>
        /// Writes an IEEE 754 single-precision float, most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_float32</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteFloat32(OutputChannel oc, float value) => WriteNumber(oc, 4, value, false, s_encodeFloat32);

        /// <summary>
        /// Writes an IEEE 754 double-precision float, most significant byte first.
        /// <para>Lwt: <c>Lwt_io.BE.write_float64</c></para>
        /// </summary>
        /// <param name="oc">The channel.</param>
        /// <param name="value">The number.</param>
        /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
        public static Promise WriteFloat64(OutputChannel oc, double value) => WriteNumber(oc, 8, value, false, s_encodeFloat64);

    }

    /// <summary>
    /// Reads a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_int</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<int> ReadInt(this InputChannel ic) => ReadNumber(ic, 4, s_systemIsLittle, s_decodeInt32);

    /// <summary>
    /// Reads a 16-bit signed integer (an <c>int</c> in Lwt), in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_int16</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<short> ReadInt16(this InputChannel ic) => ReadNumber(ic, 2, s_systemIsLittle, s_decodeInt16);

    /// <summary>
    /// Reads a 32-bit signed integer, in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_int32</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<int> ReadInt32(this InputChannel ic) => ReadNumber(ic, 4, s_systemIsLittle, s_decodeInt32);

    /// <summary>
    /// Reads a 64-bit signed integer, in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_int64</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<long> ReadInt64(this InputChannel ic) => ReadNumber(ic, 8, s_systemIsLittle, s_decodeInt64);

    /// <summary>
    /// Reads an IEEE 754 single-precision float, in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_float32</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<float> ReadFloat32(this InputChannel ic) => ReadNumber(ic, 4, s_systemIsLittle, s_decodeFloat32);

    /// <summary>
    /// Reads an IEEE 754 double-precision float, in the machine's order (<see cref="SystemByteOrder"/>); rejects with <see cref="EndOfStreamException"/> if the
    /// input ends first.
    /// <para>Lwt: <c>Lwt_io.read_float64</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<double> ReadFloat64(this InputChannel ic) => ReadNumber(ic, 8, s_systemIsLittle, s_decodeFloat64);

    /// <summary>
    /// Writes a 32-bit signed integer (Lwt's <c>int</c>, 4 bytes), in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_int</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteInt(this OutputChannel oc, int value) => WriteNumber(oc, 4, value, s_systemIsLittle, s_encodeInt32);

    /// <summary>
    /// Writes a 16-bit signed integer (an <c>int</c> in Lwt), in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_int16</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteInt16(this OutputChannel oc, short value) => WriteNumber(oc, 2, value, s_systemIsLittle, s_encodeInt16);

    /// <summary>
    /// Writes a 32-bit signed integer, in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_int32</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteInt32(this OutputChannel oc, int value) => WriteNumber(oc, 4, value, s_systemIsLittle, s_encodeInt32);

    /// <summary>
    /// Writes a 64-bit signed integer, in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_int64</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteInt64(this OutputChannel oc, long value) => WriteNumber(oc, 8, value, s_systemIsLittle, s_encodeInt64);

    /// <summary>
    /// Writes an IEEE 754 single-precision float, in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_float32</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteFloat32(this OutputChannel oc, float value) => WriteNumber(oc, 4, value, s_systemIsLittle, s_encodeFloat32);

    /// <summary>
    /// Writes an IEEE 754 double-precision float, in the machine's order (<see cref="SystemByteOrder"/>).
    /// <para>Lwt: <c>Lwt_io.write_float64</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="value">The number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteFloat64(this OutputChannel oc, double value) => WriteNumber(oc, 8, value, s_systemIsLittle, s_encodeFloat64);

    private delegate T NumberDecoder<T>(ReadOnlySpan<byte> bytes, bool littleEndian);

    private delegate void NumberEncoder<T>(Span<byte> bytes, T value, bool littleEndian);

    private static readonly NumberDecoder<short> s_decodeInt16 = static (b, le) => le ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b);
    private static readonly NumberDecoder<int> s_decodeInt32 = static (b, le) => le ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b);
    private static readonly NumberDecoder<long> s_decodeInt64 = static (b, le) => le ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b);
    private static readonly NumberDecoder<float> s_decodeFloat32 = static (b, le) => le ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b);
    private static readonly NumberDecoder<double> s_decodeFloat64 = static (b, le) => le ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b);

    private static readonly NumberEncoder<short> s_encodeInt16 = static (b, v, le) => { if (le) BinaryPrimitives.WriteInt16LittleEndian(b, v); else BinaryPrimitives.WriteInt16BigEndian(b, v); };
    private static readonly NumberEncoder<int> s_encodeInt32 = static (b, v, le) => { if (le) BinaryPrimitives.WriteInt32LittleEndian(b, v); else BinaryPrimitives.WriteInt32BigEndian(b, v); };
    private static readonly NumberEncoder<long> s_encodeInt64 = static (b, v, le) => { if (le) BinaryPrimitives.WriteInt64LittleEndian(b, v); else BinaryPrimitives.WriteInt64BigEndian(b, v); };
    private static readonly NumberEncoder<float> s_encodeFloat32 = static (b, v, le) => { if (le) BinaryPrimitives.WriteSingleLittleEndian(b, v); else BinaryPrimitives.WriteSingleBigEndian(b, v); };
    private static readonly NumberEncoder<double> s_encodeFloat64 = static (b, v, le) => { if (le) BinaryPrimitives.WriteDoubleLittleEndian(b, v); else BinaryPrimitives.WriteDoubleBigEndian(b, v); };

    /// <summary>Reads <paramref name="size"/> bytes and decodes them (file comment: fast path, else an array).</summary>
    private static Promise<T> ReadNumber<T>(InputChannel ic, int size, bool littleEndian, NumberDecoder<T> decode)
    {
        ArgumentNullException.ThrowIfNull(ic);
        var c = ic.Core;
        if (ic.CanRunNow && c.Max - c.Ptr >= size)
        {
            T value = decode(c.Buffer.AsSpan(c.Ptr, size), littleEndian);
            c.Ptr += size;
            return Promise.Return(value);
        }

        return ReadNumberAfterTurn(ic, size, littleEndian, decode);
    }

    // Apart from ReadNumber: its lambdas capture parameters (see LwtIO.cs, "after turn").
    // BlockIn (Lwt_io.block on an input channel) refills until the bytes are buffered and at
    // end of input fails with EndOfStreamException having consumed nothing, as lwt_io.ml's
    // read_block_unsafe leaves a partial number readable.
    private static Promise<T> ReadNumberAfterTurn<T>(InputChannel ic, int size, bool littleEndian, NumberDecoder<T> decode) =>
        ic.Locked(ch => BlockIn(ch.Core, size, (buffer, offset) => Promise.Return(decode(buffer.Span.Slice(offset, size), littleEndian))));

    /// <summary>Encodes <paramref name="value"/> in <paramref name="size"/> bytes and writes them (file comment).</summary>
    private static Promise WriteNumber<T>(OutputChannel oc, int size, T value, bool littleEndian, NumberEncoder<T> encode)
    {
        ArgumentNullException.ThrowIfNull(oc);
        var c = oc.Core;
        if (oc.CanRunNow && c.Buffer.Length - c.Max >= size)
        {
            encode(c.Buffer.AsSpan(c.Max, size), value, littleEndian);
            c.Max += size;
            ScheduleAutoFlush(oc);
            return Promise.ReturnUnit;
        }

        return WriteNumberAfterTurn(oc, size, value, littleEndian, encode);
    }

    // Apart from WriteNumber: its lambdas capture parameters (see LwtIO.cs, "after turn").
    // BlockOut (Lwt_io.block on an output channel) flushes until the whole number fits and
    // only then writes it, as lwt_io.ml's write_block_unsafe: if a flush fails (a backend
    // error, or an OfBytes channel, whose flush always fails) nothing of the number is in the
    // buffer. Writing it as bytes (WriteFromExactly) would leave the part that fitted.
    private static Promise WriteNumberAfterTurn<T>(OutputChannel oc, int size, T value, bool littleEndian, NumberEncoder<T> encode) =>
        oc.Locked(ch => BlockOut((OutputChannel)ch, size, (buffer, offset) =>
        {
            encode(buffer.Span.Slice(offset, size), value, littleEndian);
            return Promise.ReturnUnit;
        }));
}
