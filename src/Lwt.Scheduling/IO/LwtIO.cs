// LwtIO (Lwt_io): buffered channels and what is built on them. The channel
// objects and their invariants are in LwtChannel.cs; this file holds the
// operations (reading, writing, formatting), the constructors (OfFd,
// OfUnixFd, OfStream, Make, Pipe, OpenFile, the standard channels) and Atomic.
// Connections and servers are in LwtIO.Servers.cs.
//
// Every operation is also an extension method, so both LwtIO.ReadLine(ic) (as
// in Lwt) and ic.ReadLine() work. Each has a synchronous fast path when the
// channel is free and the buffer can serve it (no allocation but the result
// promise); otherwise it takes the channel's turn (LwtChannel.Locked) and runs
// its slow path, which may wait for the backend.
//
// Lwt's strings are bytes; here text is UTF-8 (ReadLine, Write(string)) and
// bytes are byte arrays or Memory<byte>. ReadChar/WriteChar move one byte,
// as a char in 0..255 (Lwt's char).

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Lwt;

/// <summary>
/// Buffered byte channels over file descriptors, streams and custom backends: reading
/// lines and bytes, writing, formatting, servers and connections.
/// <para>Lwt: <c>Lwt_io</c></para>
/// </summary>
public static partial class LwtIO
{
    /// <summary>
    /// The initial default size of channel buffers (4096 bytes), as Lwt's. The default in
    /// force is <see cref="GetDefaultBufferSize"/>: a channel made without a buffer size
    /// gets that one. (Lwt's function <c>default_buffer_size ()</c> cannot be a method named
    /// DefaultBufferSize next to this constant, which callers already use.)
    /// <para>Lwt: <c>Lwt_io.default_buffer_size</c> (its initial value)</para>
    /// </summary>
    public const int DefaultBufferSize = 4096;

    /// <summary>The input direction.<para>Lwt: <c>Lwt_io.input</c></para></summary>
    public static readonly ChannelMode<InputChannel> Input = new(isInput: true);

    /// <summary>The output direction.<para>Lwt: <c>Lwt_io.output</c></para></summary>
    public static readonly ChannelMode<OutputChannel> Output = new(isInput: false);

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    // ---- making channels -------------------------------------------------------------

    /// <summary>
    /// An input channel over a read function: <paramref name="read"/> fills the memory it is
    /// given and returns how many bytes it put (0 at end of input). A count below 0 or above
    /// the memory's length fails the read with <see cref="InvalidOperationException"/> and
    /// takes nothing, as Lwt fails it (<c>Failure</c>).
    /// <para>Lwt: <c>Lwt_io.make ~mode:input</c></para>
    /// </summary>
    /// <param name="read">The backend's read.</param>
    /// <param name="close">Called once when the channel is closed (null: nothing).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>; null: <see cref="GetDefaultBufferSize"/>).</param>
    /// <param name="seek">Moves the backend to an offset and returns the new offset (Lwt's <c>?seek</c>); null: <see cref="SetPosition"/> and <see cref="Length"/> reject.</param>
    /// <exception cref="ArgumentNullException"><paramref name="read"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static InputChannel MakeInput(Func<Memory<byte>, Promise<int>> read, Func<Promise>? close = null, int? bufferSize = null, Func<long, SeekOrigin, Promise<long>>? seek = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new InputChannel(new ChannelCore(bufferSize ?? GetDefaultBufferSize(), read, null, close, seek));
    }

    /// <summary>
    /// An output channel over a write function: <paramref name="write"/> writes some of the
    /// memory it is given (at least one byte) and returns how many bytes it wrote. A count
    /// below 0 or above the memory's length fails the write with
    /// <see cref="InvalidOperationException"/> and takes nothing, as Lwt fails it
    /// (<c>Failure</c>); a count of 0 fails it with <see cref="IOException"/> (Lwt would call
    /// the function again). Until it is
    /// closed, the channel is tracked (weakly) for <see cref="FlushAll"/> on the calling thread.
    /// <para>Lwt: <c>Lwt_io.make ~mode:output</c></para>
    /// </summary>
    /// <param name="write">The backend's write.</param>
    /// <param name="close">Called once when the channel is closed, after the final flush (null: nothing).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>; null: <see cref="GetDefaultBufferSize"/>).</param>
    /// <param name="seek">Moves the backend to an offset and returns the new offset (Lwt's <c>?seek</c>); null: <see cref="SetPosition"/> and <see cref="Length"/> reject.</param>
    /// <exception cref="ArgumentNullException"><paramref name="write"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static OutputChannel MakeOutput(Func<ReadOnlyMemory<byte>, Promise<int>> write, Func<Promise>? close = null, int? bufferSize = null, Func<long, SeekOrigin, Promise<long>>? seek = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        var oc = new OutputChannel(new ChannelCore(bufferSize ?? GetDefaultBufferSize(), null, write, close, seek));
        OutputRegistry.ForCurrentThread().Add(oc); // for FlushAll, until it is closed
        return oc;
    }

    /// <summary>
    /// A channel of the given direction over one I/O function, as Lwt makes it: for an input
    /// channel <paramref name="performIO"/> is the read (<see cref="MakeInput"/>), for an
    /// output channel the write (<see cref="MakeOutput"/>, given the bytes to write as
    /// <see cref="Memory{T}"/>, which it must not change); everything else is theirs.
    /// <para>Lwt: <c>Lwt_io.make</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/> (Lwt's <c>~mode</c>).</param>
    /// <param name="performIO">Reads into, or writes from, the memory it is given and returns the byte count (Lwt's <c>perform_io</c>).</param>
    /// <param name="close">Called once when the channel is closed (null: nothing).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>; null: <see cref="GetDefaultBufferSize"/>).</param>
    /// <param name="seek">Moves the backend to an offset and returns the new offset (Lwt's <c>?seek</c>); null: <see cref="SetPosition"/> and <see cref="Length"/> reject.</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="mode"/> or <paramref name="performIO"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static TChannel Make<TChannel>(ChannelMode<TChannel> mode, Func<Memory<byte>, Promise<int>> performIO, Func<Promise>? close = null, int? bufferSize = null, Func<long, SeekOrigin, Promise<long>>? seek = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(performIO);
        return mode.IsInput
            ? (TChannel)(LwtChannel)MakeInput(performIO, close, bufferSize, seek)
            : (TChannel)(LwtChannel)MakeOutput(m => performIO(MemoryMarshal.AsMemory(m)), close, bufferSize, seek);
    }

    /// <summary>
    /// A channel over a file descriptor (socket, pipe, terminal, file). Closing the channel
    /// closes the descriptor unless <paramref name="closeFd"/> is false. For a process's pipe,
    /// wrap its handle with <see cref="LwtFd.FromSafeHandle"/> first.
    /// <para>Lwt: <c>Lwt_io.of_fd</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="fd">The descriptor.</param>
    /// <param name="closeFd">Close the descriptor when the channel is closed.</param>
    /// <param name="bufferSize">The buffer size.</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static TChannel OfFd<TChannel>(ChannelMode<TChannel> mode, LwtFd fd, bool closeFd = true, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(fd);
        Func<Promise>? close = closeFd ? () => fd.IsClosed ? Promise.ReturnUnit : fd.Close() : null;
        return Make(mode, fd, close, bufferSize);
    }

    /// <summary>
    /// A channel over a raw descriptor number: <see cref="OfFd"/> over
    /// <c>LwtFd.FromFd(fd)</c>, so a socket or pipe is made non-blocking, and anything else (a
    /// regular file, a terminal) is used in blocking mode, through the worker pool, as Lwt's
    /// guess_blocking decides. Closing the channel closes the descriptor unless
    /// <paramref name="closeFd"/> is false.
    /// <para>Lwt: <c>Lwt_io.of_unix_fd</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="fd">The open descriptor; the channel owns it when <paramref name="closeFd"/> is true.</param>
    /// <param name="closeFd">Close the descriptor when the channel is closed.</param>
    /// <param name="bufferSize">The buffer size.</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="mode"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/> (the descriptor is left as it was).</exception>
    /// <exception cref="UnixErrorException">The descriptor is not open (fcntl fails).</exception>
    public static TChannel OfUnixFd<TChannel>(ChannelMode<TChannel> mode, int fd, bool closeFd = true, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        CheckBufferSize(bufferSize); // before FromFd, which may make the caller's descriptor non-blocking
        return OfFd(mode, LwtFd.FromFd(fd), closeFd, bufferSize);
    }

    private static TChannel Make<TChannel>(ChannelMode<TChannel> mode, LwtFd fd, Func<Promise>? close, int? bufferSize)
        where TChannel : LwtChannel
    {
        // lseek never blocks, so it runs at once (LwtUnix.LSeek); no read or write of the channel
        // is in flight meanwhile: the caller holds the channel's turn. ESPIPE on a pipe or socket.
        Func<long, SeekOrigin, Promise<long>> seek = (offset, origin) => LwtUnix.LSeek(fd, offset, origin);
        LwtChannel ch = mode.IsInput
            ? MakeInput(m => LwtUnix.Read(fd, m), close, bufferSize, seek)
            : MakeOutput(m => LwtUnix.Write(fd, m), close, bufferSize, seek);
        return (TChannel)ch;
    }

    /// <summary>
    /// A channel over a <see cref="Stream"/> (its asynchronous methods; completions are
    /// resolved on the calling thread's loop). Closing the channel disposes the stream unless
    /// <paramref name="leaveOpen"/>.
    /// <para>Lwt: <c>Lwt_io.make</c> (over a .NET stream)</para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="stream">A readable or writable stream.</param>
    /// <param name="leaveOpen">Do not dispose the stream on close.</param>
    /// <param name="bufferSize">The buffer size.</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The stream cannot read (input) or write (output).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static TChannel OfStream<TChannel>(ChannelMode<TChannel> mode, Stream stream, bool leaveOpen = false, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(stream);
        Func<Promise>? close = leaveOpen ? null : () => FromValueTask(stream.DisposeAsync());
        // A seekable stream gives a seekable channel (SetPosition, Length); no read or write
        // of the channel is in flight while it seeks (the caller holds the channel's turn).
        Func<long, SeekOrigin, Promise<long>>? seek = stream.CanSeek ? (offset, origin) => Promise.Return(stream.Seek(offset, origin)) : null;
        if (mode.IsInput)
        {
            if (!stream.CanRead) throw new ArgumentException("The stream cannot be read.", nameof(stream));
            return (TChannel)(LwtChannel)MakeInput(m => FromValueTask(stream.ReadAsync(m)), close, bufferSize, seek);
        }

        if (!stream.CanWrite) throw new ArgumentException("The stream cannot be written.", nameof(stream));
        return (TChannel)(LwtChannel)MakeOutput(
            m => FromValueTask(stream.WriteAsync(m)).Bind(_ => FromValueTask(new ValueTask(stream.FlushAsync()))).Map(_ => m.Length),
            close,
            bufferSize,
            seek);
    }

    /// <summary>
    /// A pipe as a pair of channels.
    /// <para>Lwt: <c>Lwt_io.pipe</c></para>
    /// </summary>
    /// <param name="bufferSize">The buffer size of both channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/> (no pipe is made).</exception>
    /// <exception cref="UnixErrorException">pipe2 failed.</exception>
    public static (InputChannel Input, OutputChannel Output) Pipe(int? bufferSize = null)
    {
        CheckBufferSize(bufferSize); // before the pipe: a size refused after it left both descriptors open
        var (r, w) = LwtUnix.Pipe();
        return (OfFd(Input, r, bufferSize: bufferSize), OfFd(Output, w, bufferSize: bufferSize));
    }

    /// <summary>
    /// Opens a file as a channel: input opens it read-only; output creates or truncates it
    /// (permissions 0o666 before the umask) unless <paramref name="flags"/> says otherwise.
    /// Both defaults add <see cref="OpenFlags.NonBlock"/>, as Lwt's do: the open itself never
    /// waits, so a FIFO opens for input at once (reading it waits for data, and gives the end
    /// of input while no writer has it open), and for output fails with ENXIO while no reader
    /// has it open. A regular file reads and writes as without it.
    /// <para>Lwt: <c>Lwt_io.open_file</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="path">The file.</param>
    /// <param name="flags">Open flags instead of the defaults above.</param>
    /// <param name="permissions">Permissions of a created file, in either mode (Lwt defaults to 0 for an input channel, which would create a file nobody may open).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>).</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<TChannel> OpenFile<TChannel>(ChannelMode<TChannel> mode, string path, OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(mode);
        LwtUnix.CheckPath(path);
        CheckBufferSize(bufferSize);
        var f = flags ?? (mode.IsInput
            ? OpenFlags.ReadOnly | OpenFlags.NonBlock
            : OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate | OpenFlags.NonBlock);
        return LwtUnix.OpenFile(path, f, permissions).Map(fd => OfFd(mode, fd, bufferSize: bufferSize));
    }

    /// <summary>
    /// Refuses a buffer size out of bounds at the call, as <see cref="SetDefaultBufferSize"/>
    /// does: the functions that open a descriptor and then make a channel over it check it
    /// first, so that a bad size never leaves that descriptor open.
    /// </summary>
    internal static void CheckBufferSize(int? bufferSize)
    {
        if (bufferSize is { } size) ChannelCore.CheckSize(size, nameof(bufferSize));
    }

    /// <summary>
    /// Opens a file, runs <paramref name="f"/> on its channel, and closes the channel whatever
    /// happens (flushing an output channel). The close releases every POSIX record lock that
    /// this process holds on the file (<see cref="LwtUnix.LockF"/>), whichever descriptor took
    /// it: a process that locks a file must not open and close it elsewhere meanwhile.
    /// <para>Lwt: <c>Lwt_io.with_file</c></para>
    /// </summary>
    /// <param name="mode"><see cref="Input"/> or <see cref="Output"/>.</param>
    /// <param name="path">The file.</param>
    /// <param name="f">What to do with the channel.</param>
    /// <param name="flags">Open flags instead of the defaults.</param>
    /// <param name="permissions">Permissions of a created file, in either mode (Lwt defaults to 0 for an input channel, which would create a file nobody may open).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>).</param>
    /// <typeparam name="TChannel"><see cref="InputChannel"/> or <see cref="OutputChannel"/>.</typeparam>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<T> WithFile<TChannel, T>(ChannelMode<TChannel> mode, string path, Func<TChannel, Promise<T>> f, OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(f);
        return OpenFile(mode, path, flags, permissions, bufferSize).Bind(ch => Promise.Finally(() => f(ch), () => ch.Close()));
    }

    /// <inheritdoc cref="WithFile{TChannel, T}(ChannelMode{TChannel}, string, Func{TChannel, Promise{T}}, OpenFlags?, int, int?)"/>
    public static Promise WithFile<TChannel>(ChannelMode<TChannel> mode, string path, Func<TChannel, Promise> f, OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithFile<TChannel, Unit>(mode, path, ch => f(ch).Bind(() => Promise.ReturnUnit), flags, permissions, bufferSize);
    }

    // One channel per standard descriptor for the whole process, whichever thread asks first
    // (LazyInitializer publishes one): two would each buffer on their own, and their bytes
    // could interleave.
    private static InputChannel? s_stdin;
    private static OutputChannel? s_stdout, s_stderr;

    /// <summary>
    /// Standard input: a channel over <see cref="LwtUnix.Stdin"/> (fd 0 in blocking mode, its
    /// flags left as they are: the open file is shared with the shell or the pipeline), one
    /// for the process. Closing it does not close fd 0.
    /// <para>Lwt: <c>Lwt_io.stdin</c></para>
    /// </summary>
    public static InputChannel Stdin => LazyInitializer.EnsureInitialized(ref s_stdin, static () => OfFd(Input, LwtUnix.Stdin, closeFd: false));

    /// <summary>
    /// Standard output: a channel over <see cref="LwtUnix.Stdout"/> (fd 1), one for the
    /// process. Closing it does not close fd 1.
    /// <para>Lwt: <c>Lwt_io.stdout</c></para>
    /// </summary>
    public static OutputChannel Stdout => LazyInitializer.EnsureInitialized(ref s_stdout, static () => OfFd(Output, LwtUnix.Stdout, closeFd: false));

    /// <summary>
    /// Standard error: a channel over <see cref="LwtUnix.Stderr"/> (fd 2), one for the
    /// process. Closing it does not close fd 2.
    /// <para>Lwt: <c>Lwt_io.stderr</c></para>
    /// </summary>
    public static OutputChannel Stderr => LazyInitializer.EnsureInitialized(ref s_stderr, static () => OfFd(Output, LwtUnix.Stderr, closeFd: false));


    // ---- reading -------------------------------------------------------------------

    /// <summary>
    /// Reads one byte (as a char in 0..255); rejects with <see cref="EndOfStreamException"/>
    /// at end of input.
    /// <para>Lwt: <c>Lwt_io.read_char</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<char> ReadChar(this InputChannel ic) =>
        ReadCharOpt(ic).Bind(static c => c.HasValue ? Promise.Return(c.Value) : Promise.Fail<char>(new EndOfStreamException()));

    /// <summary>
    /// Reads one byte (as a char in 0..255), or None at end of input.
    /// <para>Lwt: <c>Lwt_io.read_char_opt</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<Option<char>> ReadCharOpt(this InputChannel ic)
    {
        ArgumentNullException.ThrowIfNull(ic);
        var c = ic.Core;
        if (ic.CanRunNow && c.Ptr < c.Max) return Promise.Return(Option<char>.Some((char)c.Buffer[c.Ptr++]));
        return ic.Locked(static ch => ReadCharCore(ch.Core));
    }

    private static Promise<Option<char>> ReadCharCore(ChannelCore c)
    {
        if (c.Ptr < c.Max) return Promise.Return(Option<char>.Some((char)c.Buffer[c.Ptr++]));
        return c.Refill().Map(n => n == 0 ? Option<char>.None : Option<char>.Some((char)c.Buffer[c.Ptr++]));
    }

    /// <summary>
    /// Reads one line, without its end ("\n" or "\r\n"), decoded as UTF-8. At end of input,
    /// returns the characters read so far if any, else rejects with
    /// <see cref="EndOfStreamException"/>. A canceled ReadLine consumes nothing.
    /// <para>Lwt: <c>Lwt_io.read_line</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<string> ReadLine(this InputChannel ic) =>
        ReadLineOpt(ic).Bind(static l => l.HasValue ? Promise.Return(l.Value) : Promise.Fail<string>(new EndOfStreamException()));

    /// <summary>
    /// Reads one line like <see cref="ReadLine"/>, or None at end of input.
    /// <para>Lwt: <c>Lwt_io.read_line_opt</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<Option<string>> ReadLineOpt(this InputChannel ic)
    {
        ArgumentNullException.ThrowIfNull(ic);
        if (ic.CanRunNow && TakeLine(ic.Core, 0) is { } line) return Promise.Return(Option<string>.Some(line));
        return ic.Locked(static ch => ReadLineCore(ch.Core));
    }

    /// <summary>The next complete line in the buffer (scanning from <paramref name="from"/> bytes after Ptr), consumed; or null.</summary>
    private static string? TakeLine(ChannelCore c, int from)
    {
        var span = c.Buffer.AsSpan(c.Ptr + from, c.Max - c.Ptr - from);
        int i = span.IndexOf((byte)'\n');
        if (i < 0) return null;
        int end = c.Ptr + from + i;
        int stop = end > c.Ptr && c.Buffer[end - 1] == (byte)'\r' ? end - 1 : end;
        string line = s_utf8.GetString(c.Buffer, c.Ptr, stop - c.Ptr);
        c.Ptr = end + 1;
        return line;
    }

    private static async Promise<Option<string>> ReadLineCore(ChannelCore c)
    {
        int scanned = 0;
        while (true)
        {
            if (TakeLine(c, scanned) is { } line)
            {
                c.ShrinkAfterLongLine();
                return Option<string>.Some(line);
            }

            scanned = c.Max - c.Ptr;
            int n = await c.Refill();
            if (n == 0)
            {
                if (c.Ptr == c.Max) return Option<string>.None;
                string rest = s_utf8.GetString(c.Buffer, c.Ptr, c.Max - c.Ptr);
                c.Ptr = c.Max;
                c.ShrinkAfterLongLine();
                return Option<string>.Some(rest);
            }
        }
    }

    /// <summary>
    /// The lines of the channel as a stream (ending at end of input).
    /// <para>Lwt: <c>Lwt_io.read_lines</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static LwtStream<string> ReadLines(this InputChannel ic)
    {
        ArgumentNullException.ThrowIfNull(ic);
        return LwtStream.From(() => ReadLineOpt(ic));
    }

    /// <summary>
    /// Reads at most <paramref name="count"/> bytes (waiting only if none is buffered); an empty
    /// array at end of input. Without a count, reads everything up to end of input.
    /// <para>Lwt: <c>Lwt_io.read</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <param name="count">The maximum number of bytes (null: all).</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static Promise<byte[]> Read(this InputChannel ic, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(ic);
        if (count is { } k)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(k);
            return ic.Locked(ch => ReadSome(ch.Core, k));
        }

        return ic.Locked(static ch => ReadAll(ch.Core));
    }

    private static Promise<byte[]> ReadSome(ChannelCore c, int count)
    {
        // A count of 0 is no shortcut: with nothing buffered it still refills (and waits for
        // input, on a pipe), as lwt_io.ml's read, which goes to unsafe_read_into whatever len.
        if (c.Ptr < c.Max) return Promise.Return(Take(c, count));
        return c.Refill().Map(n => n == 0 ? Array.Empty<byte>() : Take(c, count));
    }

    private static byte[] Take(ChannelCore c, int count)
    {
        int n = Math.Min(count, c.Max - c.Ptr);
        byte[] result = c.Buffer.AsSpan(c.Ptr, n).ToArray();
        c.Ptr += n;
        return result;
    }

    private static async Promise<byte[]> ReadAll(ChannelCore c)
    {
        var all = new MemoryStream();
        while (true)
        {
            all.Write(c.Buffer, c.Ptr, c.Max - c.Ptr);
            c.Ptr = c.Max;
            if (await c.Refill() == 0) return all.ToArray();
        }
    }

    /// <summary>
    /// Reads at most <c>buffer.Length</c> bytes into <paramref name="buffer"/> (waiting only if
    /// none is buffered); the number read, 0 at end of input.
    /// <para>Lwt: <c>Lwt_io.read_into</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise<int> ReadInto(this InputChannel ic, Memory<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(ic);
        var c = ic.Core;
        if (!ic.CanRunNow) return ReadIntoAfterTurn(ic, buffer);
        if (c.Ptr < c.Max || buffer.Length == 0) return Promise.Return(CopyOut(c, buffer.Span));

        // The channel is free but empty: the read waits (an echo server's every read).
        ic.TakeTurn();
        return ic.HoldUntil(ReadIntoCore(c, buffer));
    }

    // The "after turn" paths are methods of their own because their lambdas capture a
    // parameter: the compiler allocates such a closure on entry to the method that declares
    // the parameter, so inline they would cost every fast-path call a closure.

    private static Promise<int> ReadIntoAfterTurn(InputChannel ic, Memory<byte> buffer) =>
        ic.Locked(ch => ReadIntoCore(ch.Core, buffer));

    private static Promise<int> ReadIntoCore(ChannelCore c, Memory<byte> buffer)
    {
        if (c.Ptr < c.Max || buffer.Length == 0) return Promise.Return(CopyOut(c, buffer.Span));

        // Nothing buffered and a large request: read straight into the caller's memory.
        if (buffer.Length >= c.Buffer.Length) return ReadBackend(c, buffer);
        return RefillInto(c, buffer);
    }

    private static async Promise<int> RefillInto(ChannelCore c, Memory<byte> buffer)
    {
        int n = await c.Refill();
        return n == 0 ? 0 : CopyOut(c, buffer.Span);
    }

    private static int CopyOut(ChannelCore c, Span<byte> destination)
    {
        int n = Math.Min(destination.Length, c.Max - c.Ptr);
        c.Buffer.AsSpan(c.Ptr, n).CopyTo(destination);
        c.Ptr += n;
        return n;
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> completely; rejects with <see cref="EndOfStreamException"/>
    /// if the input ends first.
    /// <para>Lwt: <c>Lwt_io.read_into_exactly</c></para>
    /// </summary>
    /// <param name="ic">The channel.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ic"/> is null.</exception>
    public static Promise ReadIntoExactly(this InputChannel ic, Memory<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(ic);
        var c = ic.Core;
        if (!ic.CanRunNow) return ReadExactlyAfterTurn(ic, buffer);
        if (c.Max - c.Ptr >= buffer.Length)
        {
            CopyOut(c, buffer.Span);
            return Promise.ReturnUnit;
        }

        ic.TakeTurn();
        return ic.HoldUntil(ReadExactlyCore(c, buffer));
    }

    private static Promise<Unit> ReadExactlyAfterTurn(InputChannel ic, Memory<byte> buffer) =>
        ic.Locked(ch => ReadExactlyCore(ch.Core, buffer));

    private static async Promise<Unit> ReadExactlyCore(ChannelCore c, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n;
            if (c.Ptr < c.Max) n = CopyOut(c, buffer.Span);
            else if (buffer.Length >= c.Buffer.Length) n = await ReadBackend(c, buffer);
            else n = await c.Refill() == 0 ? 0 : CopyOut(c, buffer.Span);
            if (n == 0) throw new EndOfStreamException();
            buffer = buffer[n..];
        }

        return default;
    }

    /// <summary>
    /// A direct read (past the buffer, into the caller's memory): guarded as <see cref="Guard"/>
    /// does, and its bytes added to the channel's <see cref="ChannelCore.Offset"/>.
    /// </summary>
    private static Promise<int> ReadBackend(ChannelCore c, Memory<byte> buffer)
    {
        Promise<int> call;
        try
        {
            call = c.ReadBackend!(buffer);
        }
        catch (Exception e)
        {
            // A read function that throws fails the read, as in Lwt (its primitive runs the
            // read under Lwt.finalize): ReadInto's fast path took the channel's turn itself,
            // and an exception escaping it would never give the turn back.
            Promise.ExceptionFilter.RethrowIfRefused(e);
            call = Promise.Fail<int>(e);
        }

        var read = c.UntilClosed(call);
        if (read.IsPending) return GuardPendingRead(c, read, buffer.Length);
        if (read.IsFulfilled)
        {
            if ((uint)read.Value > (uint)buffer.Length) return Promise.Fail<int>(ChannelCore.InvalidCount(read.Value, buffer.Length, read: true));
            c.Offset += read.Value;
        }

        return read;
    }

    // Counting and guarding in one frame: one object (this method's box) for a read that
    // waits, where a Map for the count and Guard's Catch would take four.
    private static async Promise<int> GuardPendingRead(ChannelCore c, Promise<int> read, int asked)
    {
        try
        {
            int n = await read;
            ChannelCore.CheckCount(n, asked, read: true);
            c.Offset += n;
            return n;
        }
        catch (Exception e) when (c.IsClosedUnder(e))
        {
            throw c.ClosedError();
        }
    }

    /// <summary>
    /// <paramref name="p"/>, with a backend's error after the channel was closed under it
    /// turned into <see cref="ChannelClosedException"/> (<see cref="ChannelCore.IsClosedUnder"/>).
    /// </summary>
    private static Promise<T> Guard<T>(ChannelCore c, Promise<T> p) => p.IsPending ? GuardPending(c, p) : p;

    // Apart from Guard so that its closure is only allocated when there is something to guard.
    private static Promise<T> GuardPending<T>(ChannelCore c, Promise<T> p) =>
        Promise.Catch(() => p, e => Promise.Fail<T>(c.IsClosedUnder(e) ? c.ClosedError() : e));

    // ---- writing -------------------------------------------------------------------

    /// <summary>
    /// Writes a string (UTF-8) into the channel's buffer, flushing as needed.
    /// <para>Lwt: <c>Lwt_io.write</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise Write(this OutputChannel oc, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WriteFromExactly(oc, s_utf8.GetBytes(text));
    }

    /// <summary>
    /// Writes a string (UTF-8) and a "\n".
    /// <para>Lwt: <c>Lwt_io.write_line</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise WriteLine(this OutputChannel oc, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = new byte[s_utf8.GetByteCount(text) + 1];
        s_utf8.GetBytes(text, bytes);
        bytes[^1] = (byte)'\n';
        return WriteFromExactly(oc, bytes);
    }

    /// <summary>
    /// Writes one byte (a char in 0..255).
    /// <para>Lwt: <c>Lwt_io.write_char</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="c">The byte, as a char.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="c"/> is above 255.</exception>
    public static Promise WriteChar(this OutputChannel oc, char c)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(c, (char)255);
        return WriteFromExactly(oc, new[] { (byte)c });
    }

    /// <summary>
    /// Writes bytes: buffers them, flushing the buffer when full. The promise resolves once
    /// all are in the buffer or written out; the caller may reuse the memory then.
    /// <para>Lwt: <c>Lwt_io.write_from_exactly</c> (over a whole buffer)</para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="data">The bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise WriteFromExactly(this OutputChannel oc, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(oc);
        var c = oc.Core;
        if (oc.CanRunNow && data.Length <= c.Buffer.Length - c.Max)
        {
            data.Span.CopyTo(c.Buffer.AsSpan(c.Max));
            c.Max += data.Length;
            ScheduleAutoFlush(oc);
            return Promise.ReturnUnit;
        }

        return WriteAllAfterTurn(oc, data);
    }

    /// <summary>
    /// Writes some of <paramref name="data"/>, as Lwt's write_from does: all of it if it fits
    /// in the buffer; otherwise it fills the buffer, writes part of the buffer out, and goes
    /// on with the rest only if that emptied the buffer. The number of bytes taken, which may
    /// be 0 when the buffer was full and the backend took only part of it (as in Lwt).
    /// <para>Lwt: <c>Lwt_io.write_from</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="data">The bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise<int> WriteFrom(this OutputChannel oc, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(oc);
        return oc.Locked(ch => data.Length == 0 ? Promise.Return(0) : WriteSome((OutputChannel)ch, data, 0));
    }

    /// <summary>
    /// lwt_io.ml's unsafe_write_from: copy what fits; if something is left, the buffer is
    /// full: flush part of it, and only if that emptied it go on with the rest. So the count
    /// is what Lwt's is, for any backend (a write function that takes only part of the
    /// buffer stops the copy there).
    /// </summary>
    private static Promise<int> WriteSome(OutputChannel oc, ReadOnlyMemory<byte> data, int taken)
    {
        var c = oc.Core;
        while (true)
        {
            taken += CopyIn(oc, data.Span[taken..]);
            if (taken == data.Length) return Promise.Return(taken);
            var flushed = Guard(c, c.FlushSome());
            if (flushed.IsPending)
            {
                int sofar = taken;
                return flushed.Bind(_ => c.Max == c.Ptr ? WriteSome(oc, data, sofar) : Promise.Return(sofar));
            }

            if (flushed.IsRejected) return Promise.Fail<int>(flushed.Exception!);
            if (c.Max != c.Ptr) return Promise.Return(taken);
        }
    }

    private static int CopyIn(OutputChannel oc, ReadOnlySpan<byte> data)
    {
        var c = oc.Core;
        int n = Math.Min(data.Length, c.Buffer.Length - c.Max);
        data[..n].CopyTo(c.Buffer.AsSpan(c.Max));
        c.Max += n;
        return n;
    }

    private static Promise<Unit> WriteAllAfterTurn(OutputChannel oc, ReadOnlyMemory<byte> data) =>
        oc.Locked(ch => WriteAll((OutputChannel)ch, data));

    private static Promise<Unit> WriteAll(OutputChannel oc, ReadOnlyMemory<byte> data)
    {
        var c = oc.Core;
        while (true)
        {
            data = data[CopyIn(oc, data.Span)..];
            if (data.Length == 0) return Promise.ReturnUnit;
            var flushed = Guard(c, c.FlushSome());
            if (flushed.IsPending) return flushed.Bind(_ => WriteAll(oc, data));
            if (flushed.IsRejected) return flushed;
        }
    }

    /// <summary>
    /// Writes out everything buffered.
    /// <para>Lwt: <c>Lwt_io.flush</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="oc"/> is null.</exception>
    public static Promise Flush(this OutputChannel oc)
    {
        ArgumentNullException.ThrowIfNull(oc);
        var c = oc.Core;
        if (oc.CanRunNow && c.Ptr == c.Max)
        {
            ScheduleAutoFlush(oc); // as the unlock at the end of Lwt's flush primitive
            return Promise.ReturnUnit;
        }

        return oc.Locked(static ch => Guard(ch.Core, ch.Core.FlushAll()));
    }

    /// <summary>
    /// Lwt's auto-flush, started when an operation frees an output channel (lwt_io.ml's
    /// <c>unlock</c>; the fast paths, which take no turn, start it themselves): data left in
    /// the buffer is flushed after the current callbacks (at the next pause), once, whatever
    /// the number of operations meanwhile. Errors are dropped, as safe_flush_total does. The
    /// channels whose pauses would come one right after the other (no other pause taken
    /// between them) share one pause: a server writing to a hundred connections in one
    /// callback pays for one paused promise, not a hundred, and a channel flushed
    /// explicitly in the meantime costs nothing more. A channel scheduled after other
    /// pauses, or while the shared pause is being woken, takes a pause of its own, so its
    /// flush comes where Lwt's would (after those paused promises, in the next round).
    /// </summary>
    /// <remarks>
    /// When the pause comes, the flush goes to the channel an operation would use then
    /// (<see cref="LwtChannel.Deepest"/>: the wrapper of a running
    /// <see cref="Atomic{TChannel, T}"/> block, if any). If that channel is busy, the
    /// auto-flush is dropped, not queued behind the operation: the operation's end (its
    /// unlock) starts a new one, after another pause, as lwt_io.ml's auto_flush does. A pause that
    /// <see cref="Promise.AbandonPaused"/> forgot never comes: the channels it held keep
    /// their auto-flush pending for good, as Lwt's do, and the next channel starts a new
    /// list with a pause of its own.
    /// </remarks>
    internal static void ScheduleAutoFlush(LwtChannel oc)
    {
        var c = oc.Core;
        if (c.AutoFlushScheduled) return;
        c.AutoFlushScheduled = true;
        var paused = ResolutionLoop.Current.Paused;
        var list = t_autoFlush;
        // Join the list only while its pause is the last one taken (no wake-up, abandon or other
        // pause since): the channel's own pause would come right after it, so flushing it at
        // the list's pause is Lwt's order. Otherwise (the list's pause is being woken in this
        // round, or other paused promises come before this channel's turn) a new list with a
        // pause of its own, as lwt_io.ml's auto_flush takes one per channel.
        if (list is null || list.WakeCount != paused.WakeCount || list.Abandons != paused.AbandonCount
            || list.PausedCount != paused.Count)
        {
            list = t_spareAutoFlush ?? new AutoFlushList();
            t_spareAutoFlush = null;
            t_autoFlush = list;
            list.Abandons = paused.AbandonCount;
            Promise.Pause().OnTermination(list.Run);
            list.WakeCount = paused.WakeCount;
            list.PausedCount = paused.Count;
        }
        list.Channels.Add((OutputChannel)oc.Main);
    }

    /// <summary>The channels whose auto-flush waits for one pause (<see cref="ScheduleAutoFlush"/>).</summary>
    private sealed class AutoFlushList
    {
        internal readonly List<OutputChannel> Channels = new();

        /// <summary><see cref="Promise.AbandonedPauseCount"/>, wake-ups and paused count when its pause was taken.</summary>
        internal int Abandons, WakeCount, PausedCount;

        internal readonly Action Run;

        internal AutoFlushList() => Run = RunAutoFlush;

        private void RunAutoFlush()
        {
            // Close the list first: a channel written to by a flush's callbacks waits for the next pause.
            if (t_autoFlush == this) t_autoFlush = null;
            foreach (var oc in Channels)
            {
                var c = oc.Core;
                c.AutoFlushScheduled = false;
                if (c.State != ChannelState.Open) continue;
                var target = oc.Deepest();
                // Busy: dropped; the running operation's unlock starts the auto-flush again.
                if (!target.HoldsTurn && c.Max > c.Ptr) target.AutoFlushNow();
            }
            Channels.Clear();
            t_spareAutoFlush = this;
        }
    }

    /// <summary>The list a channel may join (<see cref="ScheduleAutoFlush"/>), or null.</summary>
    [ThreadStatic]
    private static AutoFlushList? t_autoFlush;

    /// <summary>A list whose pause came, kept for the next one: no allocation per round.</summary>
    [ThreadStatic]
    private static AutoFlushList? t_spareAutoFlush;

    // ---- printing ------------------------------------------------------------------

    /// <summary>Writes <paramref name="text"/> to <see cref="Stdout"/>.<para>Lwt: <c>Lwt_io.print</c></para></summary>
    /// <param name="text">The text.</param>
    public static Promise Print(string text) => Write(Stdout, text);

    /// <summary>Writes <paramref name="text"/> and a newline to <see cref="Stdout"/>.<para>Lwt: <c>Lwt_io.printl</c></para></summary>
    /// <param name="text">The text.</param>
    public static Promise PrintLine(string text) => WriteLine(Stdout, text);

    /// <summary>Writes <paramref name="text"/> to <see cref="Stderr"/>.<para>Lwt: <c>Lwt_io.eprint</c></para></summary>
    /// <param name="text">The text.</param>
    public static Promise EPrint(string text) => Write(Stderr, text);

    /// <summary>Writes <paramref name="text"/> and a newline to <see cref="Stderr"/>.<para>Lwt: <c>Lwt_io.eprintl</c></para></summary>
    /// <param name="text">The text.</param>
    public static Promise EPrintLine(string text) => WriteLine(Stderr, text);

    /// <summary>
    /// Writes <paramref name="text"/> and a newline to <see cref="Stdout"/>: the same as
    /// <see cref="PrintLine"/>, under Lwt's name.
    /// <para>Lwt: <c>Lwt_io.printl</c></para>
    /// </summary>
    /// <param name="text">The text.</param>
    public static Promise Printl(string text) => WriteLine(Stdout, text);

    /// <summary>
    /// Writes <paramref name="text"/> and a newline to <see cref="Stderr"/>: the same as
    /// <see cref="EPrintLine"/>, under Lwt's name (with the <c>E</c> of <see cref="EPrint"/>).
    /// <para>Lwt: <c>Lwt_io.eprintl</c></para>
    /// </summary>
    /// <param name="text">The text.</param>
    public static Promise EPrintl(string text) => WriteLine(Stderr, text);

    /// <summary>
    /// Formats (C# composite format, invariant culture) and writes to <see cref="Stdout"/>.
    /// <para>Lwt: <c>Lwt_io.printf</c></para>
    /// </summary>
    /// <param name="format">A composite format string ("{0} items").</param>
    /// <param name="args">The arguments.</param>
    public static Promise Printf(string format, params object?[] args) => Write(Stdout, Format(format, args));

    /// <summary>
    /// Formats, writes to <see cref="Stdout"/>, and adds a newline.
    /// <para>Lwt: <c>Lwt_io.printlf</c></para>
    /// </summary>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    public static Promise Printlf(string format, params object?[] args) => WriteLine(Stdout, Format(format, args));

    /// <summary>
    /// Formats (C# composite format, invariant culture) and writes to <paramref name="oc"/>.
    /// <para>Lwt: <c>Lwt_io.fprintf</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    public static Promise FPrintf(this OutputChannel oc, string format, params object?[] args) => Write(oc, Format(format, args));

    /// <summary>
    /// Formats, writes to <paramref name="oc"/>, and adds a newline.
    /// <para>Lwt: <c>Lwt_io.fprintlf</c></para>
    /// </summary>
    /// <param name="oc">The channel.</param>
    /// <param name="format">A composite format string.</param>
    /// <param name="args">The arguments.</param>
    public static Promise FPrintlf(this OutputChannel oc, string format, params object?[] args) => WriteLine(oc, Format(format, args));

    private static string Format(string format, object?[] args)
    {
        ArgumentNullException.ThrowIfNull(format);
        return string.Format(CultureInfo.InvariantCulture, format, args);
    }

    // ---- atomic, close -------------------------------------------------------------

    /// <summary>
    /// Gives <paramref name="f"/> exclusive use of the channel: <paramref name="f"/> receives a
    /// temporary channel over the same buffer, and no other operation on
    /// <paramref name="channel"/> runs until <paramref name="f"/>'s promise resolves. The
    /// temporary channel cannot be used afterwards.
    /// <para>
    /// Canceling the block (a <see cref="LwtUnix.WithTimeout{T}"/> or <see cref="Promise.Pick{T}(IEnumerable{Promise{T}})"/>
    /// around it) stops it where it is, as in Lwt: what was already written or flushed stays
    /// written, so a message written in the block (a length-prefixed frame) can be left half
    /// sent and the peer reads the next one out of step. Put deadlines on what is awaited after
    /// the write (the reply), or make the write uncancelable with
    /// <see cref="Promise{T}.Protected"/> (the deadline then ends the wait, not the write).
    /// </para>
    /// <para>Lwt: <c>Lwt_io.atomic</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="f">The sequence of operations.</param>
    /// <typeparam name="TChannel">The channel type.</typeparam>
    /// <typeparam name="T">The result.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<T> Atomic<TChannel, T>(TChannel channel, Func<TChannel, Promise<T>> f)
        where TChannel : LwtChannel
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(f);
        return channel.Locked(ch =>
        {
            var wrapper = (TChannel)ch.CreateWrapper();
            Promise<T> p;
            try
            {
                p = f(wrapper) ?? Promise.Fail<T>(new InvalidOperationException("The function returned null."));
            }
            catch (Exception e)
            {
                if (!Promise.ExceptionFilter.Run(e))
                {
                    wrapper.Invalidate(); // the block is over, escaping: its channel is no longer usable
                    Promise.ExceptionFilter.Rethrow(e);
                }
                p = Promise.Fail<T>(e);
            }

            if (p.IsPending) p.OnTermination(wrapper.Invalidate);
            else wrapper.Invalidate();
            return p;
        });
    }

    /// <summary>
    /// Closes a channel (flushing an output channel first).
    /// <para>Lwt: <c>Lwt_io.close</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    public static Promise Close(LwtChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Close();
    }

    /// <summary>
    /// Closes a channel at once, without flushing.
    /// <para>Lwt: <c>Lwt_io.abort</c></para>
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    public static Promise Abort(LwtChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Abort();
    }

    // ---- Task interop (minimal, for streams) ---------------------------------------

    /// <summary>A promise for a ValueTask, resolved on the calling thread's loop (no hop when already complete).</summary>
    internal static Promise<T> FromValueTask<T>(ValueTask<T> vt)
    {
        if (vt.IsCompletedSuccessfully) return Promise.Return(vt.Result);
        return FromTask(vt.AsTask());
    }

    internal static Promise<Unit> FromValueTask(ValueTask vt)
    {
        if (vt.IsCompletedSuccessfully) return Promise.ReturnUnit;
        return FromTask(vt.AsTask().ContinueWith(static t =>
        {
            t.GetAwaiter().GetResult();
            return default(Unit);
        }, TaskScheduler.Default));
    }

    private static Promise<T> FromTask<T>(Task<T> task)
    {
        var loop = EventLoop.ForCurrentThread();
        var (promise, resolver) = Promise.Create<T>();
        task.ContinueWith(t =>
        {
            Action deliver = () =>
            {
                if (t.IsCompletedSuccessfully) resolver.TryResolve(t.Result);
                else if (t.IsCanceled) resolver.TryReject(new CanceledException());
                else resolver.TryReject(t.Exception!.InnerExceptions.Count == 1 ? t.Exception.InnerException! : t.Exception);
            };
            // A loop whose thread has ended runs no post: the promise, anyone's now, is
            // resolved here, as LwtPreemptive.Detach's worker does.
            if (!loop.TryPostUnlessEnded(deliver)) deliver();
        }, TaskScheduler.Default);
        return promise;
    }
}
