// LwtFd: a file descriptor as the event loop sees it (Lwt_unix.file_descr).
//
// Two kinds of descriptors, chosen when the wrapper is made (Lwt's ~blocking):
//  - non-blocking (sockets, pipes: what the kernel can report readiness for).
//    O_NONBLOCK is set on the fd. An operation first tries its system call; on
//    EAGAIN it becomes a pending operation (an FdOp, which is itself the
//    cancelable promise returned to the caller) queued on the fd's read or
//    write queue, and the fd is registered with the loop's engine. When the
//    engine reports readiness, the queued operations are retried in FIFO order
//    until one gets EAGAIN again.
//  - blocking (regular files, terminals, devices, and the standard descriptors
//    whatever they are). Operations run as jobs on LwtPreemptive's pool and
//    resolve on the loop. As in Lwt, a job starts only once a zero-timeout poll
//    says the fd is ready, otherwise after a wait in the engine (a WaitOp on the
//    queue), so that a read of an idle pipe or terminal never parks a worker,
//    and canceling it before data comes consumes nothing. A file that poll
//    always reports ready (a regular file, a directory, a block device: epoll
//    refuses those) skips the poll: its kind is read once with statx and kept
//    (AlwaysReady), so a regular file's read costs no more than its job. A
//    pipe that poll reports ready makes its call at once, on the loop thread,
//    instead of a job (IsPipe; LwtUnix.Fd.cs says why and what that risks).
//    The socket calls (recv, send, recvfrom, sendto, accept, recv_msg,
//    send_msg) are Lwt's wrap_syscall whatever the mode: made on the loop
//    thread, a blocking descriptor's only once a poll says the call will not
//    block, otherwise after a wait in the engine (LwtUnix.AttemptOrWait); its
//    dispatch polls again before each queued call after the first.
//
// Lwt's guess (guess_blocking, for FromFd without blocking:) is by file type:
// a FIFO or a socket is non-blocking, anything else blocking. The standard
// descriptors are blocking without a guess, and their flags are never touched
// (LwtUnix.Descriptors.cs).
//
// Engine registrations. The read side keeps its engine event registered after
// the queue empties ("lazy stop"): a connection that reads, answers and reads
// again (the common request/response shape) then costs no epoll_ctl at all.
// The event is stopped the first time it fires with an empty queue (one
// spurious wake-up at most), when a cancellation empties the queue, and on
// Close. The write side is almost always ready, so it stops as soon as its
// queue empties (otherwise a level-triggered writable fd would wake the loop
// at every iteration).
//
// Invariants:
//  - an FdOp is in a queue <=> its promise is pending. Dispatch unlinks an
//    operation before resolving it; cancellation (OnCanceledLeaf) unlinks it
//    before any callback runs; Close unlinks everything and then rejects.
//  - an FdOp holds the pins of its buffers (LwtUnix.Fd.cs) until it is over:
//    Deliver, FailWith and OnCanceledLeaf end them, so an operation that waits
//    here keeps a mapping that was unmapped meanwhile until it completes, is
//    canceled, or its descriptor is closed or aborted.
//  - a dispatch only retries the operations that were queued when it began:
//    an operation queued by a callback it ran has just tried its call itself.
//  - after Close, every operation (pending or new) rejects with EBADF, as
//    Lwt_unix's check_descriptor does: nothing waits on a closed fd.
//  - after Abort (LwtUnix.Abort), every operation (pending or new) rejects with
//    the abort's exception instead, until Close, which still works and closes.

using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// A file descriptor used through the event loop: non-blocking descriptors wait for
/// readiness in the loop's engine, blocking ones (regular files) run their calls on the
/// worker pool. Use it from the loop's thread.
/// <para>Lwt: <c>Lwt_unix.file_descr</c></para>
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class LwtFd : IDisposable
{
    private int _fd;
    private bool _blocking;
    private Readiness _readiness;
    private SafeHandle? _handle;
    private Socket? _socket;
    private bool _closed;
    private Exception? _aborted; // non-null: aborted (and not closed since)

    /// <summary>The native address family of a socket created or accepted here (0: unknown).</summary>
    internal int Family;

    private IFdOp? _readHead, _readTail, _writeHead, _writeTail;
    private LwtEvent? _readEvent, _writeEvent;
    private Action<LwtEvent>? _onReadable, _onWritable;

    private LwtFd(int fd, bool blocking, Readiness readiness = Readiness.Unknown)
    {
        _fd = fd;
        _blocking = blocking;
        _readiness = readiness;
    }

    /// <summary>What poll can say of the file (file comment): the kind is the file's, so it survives a change of blocking mode.</summary>
    private enum Readiness : byte
    {
        /// <summary>Not read yet: <see cref="AlwaysReady"/> reads it (statx) at its first use.</summary>
        Unknown,

        /// <summary>A regular file, a directory or a block device: poll always reports it ready.</summary>
        Always,

        /// <summary>Anything else (or a kind statx could not tell): ask poll.</summary>
        Polled,

        /// <summary>A pipe (FIFO): ask poll, and once it says ready make the call at once (<see cref="IsPipe"/>).</summary>
        Pipe,
    }

    /// <summary>
    /// The descriptor number (-1 once closed).
    /// <para>Lwt: <c>Lwt_unix.unix_file_descr</c></para>
    /// </summary>
    public int Fd => _closed ? -1 : _fd;

    /// <summary>
    /// True if operations run as jobs on the worker pool, each once the descriptor is ready
    /// (regular files, terminals, the standard descriptors), false if they try their call
    /// first and wait for readiness in the engine when it would block (sockets, pipes).
    /// <para>Lwt: <c>Lwt_unix.blocking</c></para>
    /// </summary>
    public bool IsBlocking => _blocking;

    /// <summary>
    /// True if poll always reports the file ready (a regular file, a directory, a block device):
    /// a blocking operation then starts its job without polling. Read once (statx) at the first
    /// use unless the wrapper was made knowing it; a kind statx cannot tell counts as false, which
    /// only costs a poll. Use on an open descriptor, on the loop's thread.
    /// </summary>
    internal bool AlwaysReady => KnownReadiness == Readiness.Always;

    /// <summary>
    /// True if the file is a pipe (FIFO). For a pipe that poll reports ready, a read returns at
    /// once, and so does a write of at most PIPE_BUF bytes (POLLOUT means a free page in the
    /// pipe): a blocking operation then makes its call on the loop thread rather than as a job
    /// (LwtUnix.Fd.cs says why and what it risks). Read as <see cref="AlwaysReady"/> is.
    /// </summary>
    internal bool IsPipe => KnownReadiness == Readiness.Pipe;

    private Readiness KnownReadiness
    {
        get
        {
            if (_readiness == Readiness.Unknown) _readiness = ReadinessOf(FileType(_fd, out _));
            return _readiness;
        }
    }

    /// <summary>
    /// Whether the last read showed the descriptor drained (EAGAIN, or fewer bytes than asked
    /// for from a byte stream, <see cref="ShortReadMeansDrained"/>): the next read then waits
    /// for readiness instead of trying first, which would almost surely cost a failed system
    /// call (a request/response peer has not answered yet).
    /// A read that fills its buffer clears it, so a stream of data is read without waiting.
    /// Level-triggered readiness keeps this safe: data that is already there is reported at
    /// once. Lwt tries the call first every time; so a read of data that arrived since the
    /// short read resolves one loop iteration later here than in Lwt (a known difference,
    /// test/differential/README.md). Trying first measured 5% slower per round trip in
    /// io-roundtrip/unix and 12% in io-roundtrip/lwt_io (session 18).
    /// </summary>
    internal bool ReadDrained;

    /// <summary>
    /// Updates <see cref="ReadDrained"/> after a read of <paramref name="asked"/> bytes with the
    /// recv <paramref name="flags"/> returned <paramref name="count"/> (not -1). A peek (MSG_PEEK)
    /// leaves what it saw in the socket, so it never shows the descriptor drained: the read that
    /// follows it makes its call at once, as Lwt's (which always tries first) does.
    /// </summary>
    internal void NoteRead(nint count, int asked, int flags) =>
        ReadDrained = count > 0 && count < asked && (flags & LibC.MSG_PEEK) == 0 && ShortReadMeansDrained;

    /// <summary>
    /// Whether a read that returned fewer bytes than asked shows the descriptor drained: true
    /// for a byte stream (a pipe, a stream socket, a terminal), false for a socket that keeps
    /// message boundaries (datagram, seqpacket), where nearly every read is short and says
    /// nothing of the next message, already there or not. Asked of the socket (SO_TYPE) at the
    /// first short read, then kept: the type is the file's, as the readiness kind is.
    /// </summary>
    private bool ShortReadMeansDrained
    {
        get
        {
            if (_shortReads == ShortReads.Unknown) _shortReads = ShortReadsOf(_fd);
            return _shortReads == ShortReads.Drained;
        }
    }

    private static unsafe ShortReads ShortReadsOf(int fd)
    {
        int type = 0, length = sizeof(int);
        // Not a socket (ENOTSOCK) or no answer: a byte stream.
        if (LibC.GetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_TYPE, &type, &length) != 0) return ShortReads.Drained;
        return type == LibC.SOCK_STREAM ? ShortReads.Drained : ShortReads.MessageBoundary;
    }

    /// <summary>What a short read says of the file (<see cref="ShortReadMeansDrained"/>).</summary>
    private enum ShortReads : byte
    {
        /// <summary>Not asked yet.</summary>
        Unknown,

        /// <summary>A byte stream: what a short read did not get was not there.</summary>
        Drained,

        /// <summary>Messages (datagram, seqpacket): a short read got one message, more may be there.</summary>
        MessageBoundary,
    }

    private ShortReads _shortReads;

    /// <summary>
    /// True once <see cref="Close"/> (or <see cref="Dispose"/>) was called.
    /// <para>Lwt: <c>Lwt_unix.state fd = Closed</c></para>
    /// </summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Whether the descriptor is open, closed, or aborted (<see cref="LwtUnix.Abort"/>; the
    /// exception is <see cref="AbortException"/>).
    /// <para>Lwt: <c>Lwt_unix.state</c></para>
    /// </summary>
    public LwtFdState State => _closed ? LwtFdState.Closed : _aborted is null ? LwtFdState.Opened : LwtFdState.Aborted;

    /// <summary>
    /// The exception that every use of an aborted descriptor fails with; null unless
    /// <see cref="State"/> is <see cref="LwtFdState.Aborted"/>.
    /// <para>Lwt: <c>Lwt_unix.state</c> (the exception of <c>Aborted exn</c>)</para>
    /// </summary>
    public Exception? AbortException => _closed ? null : _aborted;

    /// <summary>Pending operations waiting for readability (for tests and the debugger).</summary>
    internal int PendingReads => Count(_readHead);

    /// <summary>Pending operations waiting for writability.</summary>
    internal int PendingWrites => Count(_writeHead);

    /// <summary>
    /// Wraps a raw descriptor. Unless <paramref name="blocking"/> says otherwise, the kind is
    /// guessed from the file's type as Lwt guesses it: a FIFO (pipe) or a socket is used in
    /// non-blocking mode (its calls wait for readiness in the engine), anything else (a regular
    /// file, a terminal, a device) in blocking mode (its calls run as jobs on the worker pool,
    /// each once a poll or the engine says the descriptor is ready); a type that cannot be read
    /// counts as blocking, as in Lwt. With <paramref name="setFlags"/> the kernel descriptor's
    /// O_NONBLOCK flag is made to match. That flag belongs to the open file, which other
    /// processes may share (a terminal, a pipeline): pass <c>setFlags: false</c> and
    /// <c>blocking: true</c> for a descriptor the program does not own alone, as
    /// <see cref="LwtUnix.Stdin"/> does. The wrapper owns the descriptor: closing it closes
    /// the fd.
    /// <para>Lwt: <c>Lwt_unix.of_unix_file_descr</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="blocking">Force the kind of descriptor (null: guess, as above).</param>
    /// <param name="setFlags">Set or clear O_NONBLOCK on the fd to match (Lwt's <c>?set_flags</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="UnixErrorException">fcntl failed (e.g. the fd is not open).</exception>
    public static LwtFd FromFd(int fd, bool? blocking = null, bool setFlags = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        if (blocking is { } forced)
        {
            // The kind of file is read only if a blocking operation needs it (AlwaysReady).
            if (setFlags) SetNonBlocking(fd, !forced);
            return new LwtFd(fd, forced);
        }

        int type = FileType(fd, out _);
        bool isBlocking = GuessBlocking(fd, type);
        if (setFlags) SetNonBlocking(fd, !isBlocking);
        return new LwtFd(fd, isBlocking, ReadinessOf(type));
    }

    /// <summary>
    /// fd 0, 1 or 2 as Lwt wraps them: blocking, and their flags left as they are. The open
    /// files are shared with the shell, the rest of a pipeline or the terminal, where
    /// O_NONBLOCK would stay set after this process and make the others' calls fail with
    /// EAGAIN (and .NET's Console in this one). The file's kind is read at once, which
    /// checks that the descriptor is open.
    /// </summary>
    /// <exception cref="UnixErrorException">The descriptor is not open (EBADF).</exception>
    internal static LwtFd Standard(int fd)
    {
        int type = FileType(fd, out int errno);
        if (errno == LibC.EBADF) throw new UnixErrorException(errno, "fstat");
        return new LwtFd(fd, true, ReadinessOf(type));
    }

    // statx's STATX_TYPE and struct statx's u16 stx_mode at offset 28 (IO/Native/Statx.cs).
    private const uint StatxType = 0x1;
    private const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFSOCK = 0xC000;

    /// <summary>The S_IFMT bits of the file open on <paramref name="fd"/>, or -1 (with its errno, 0 when statx is missing) if statx cannot tell.</summary>
    private static unsafe int FileType(int fd, out int errno)
    {
        byte* buffer = stackalloc byte[256];
        errno = 0;
        try
        {
            if (LibC.Statx(fd, string.Empty, LibC.AT_EMPTY_PATH, StatxType, buffer) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return -1;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }

        return *(ushort*)(buffer + 28) & S_IFMT;
    }

    /// <summary>
    /// Lwt's guess_blocking: non-blocking for a FIFO or a socket, blocking otherwise, and
    /// blocking when fstat fails. Without statx (an old libc or kernel) the type is unknown:
    /// what cannot seek and is no terminal is taken for a pipe or socket.
    /// </summary>
    private static bool GuessBlocking(int fd, int type) =>
        type >= 0 ? type is not (S_IFIFO or S_IFSOCK) : LibC.LSeek(fd, 0, LibC.SEEK_CUR) >= 0 || LibC.IsAtty(fd) == 1;

    private static Readiness ReadinessOf(int type) =>
        type is S_IFREG or S_IFDIR or S_IFBLK ? Readiness.Always : type == S_IFIFO ? Readiness.Pipe : Readiness.Polled;

    /// <summary>
    /// Wraps the descriptor of <paramref name="socket"/> (made non-blocking). Closing the
    /// wrapper disposes the socket. Use the socket only to configure it: its own
    /// asynchronous methods must not be used on a wrapped socket.
    /// <para>Lwt: <c>Lwt_unix.of_unix_file_descr</c> (on a socket)</para>
    /// </summary>
    /// <param name="socket">The socket; the wrapper takes ownership.</param>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    public static LwtFd FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Blocking = false;
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        SetNonBlocking(fd, true);
        return new LwtFd(fd, false, Readiness.Polled)
        {
            _socket = socket,
            Family = socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 or AddressFamily.Unix
                ? SocketAddresses.ToNative(socket.AddressFamily) : 0,
        };
    }

    /// <summary>
    /// Wraps the descriptor held by <paramref name="handle"/> (a <c>SafeFileHandle</c>, a
    /// <c>SafePipeHandle</c>, a process's redirected stream handle...). The wrapper takes
    /// ownership: closing it disposes the handle. <paramref name="blocking"/> as in
    /// <see cref="FromFd"/>.
    /// <para>Lwt: <c>Lwt_unix.of_unix_file_descr</c></para>
    /// </summary>
    /// <param name="handle">The handle (not closed, not invalid).</param>
    /// <param name="blocking">Force the kind of descriptor (null: guess).</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentException">The handle is closed or invalid.</exception>
    public static LwtFd FromSafeHandle(SafeHandle handle, bool? blocking = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed || handle.IsInvalid) throw new ArgumentException("The handle is closed or invalid.", nameof(handle));
        var fd = FromFd((int)handle.DangerousGetHandle(), blocking);
        fd._handle = handle;
        return fd;
    }

    /// <summary>Sets or clears O_NONBLOCK.</summary>
    internal static void SetNonBlocking(int fd, bool nonBlocking)
    {
        int flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
        if (flags < 0) throw UnixErrorException.FromLastError("fcntl");
        int wanted = nonBlocking ? flags | LibC.O_NONBLOCK : flags & ~LibC.O_NONBLOCK;
        if (wanted != flags && LibC.Fcntl(fd, LibC.F_SETFL, wanted) < 0) throw UnixErrorException.FromLastError("fcntl");
    }

    /// <summary>
    /// Switches the kind of descriptor (LwtUnix.SetBlocking). Refused while operations wait in
    /// the engine: they were queued for readiness and would be retried there by a descriptor
    /// that no longer waits for it (a non-blocking call queued after EAGAIN would run on the
    /// loop thread with O_NONBLOCK cleared, and block it). Asking for the current mode changes
    /// nothing, so it is never refused. The read side's lazily kept registration (file comment)
    /// is dropped, and the drained hint with it: a blocking descriptor has no drained hint.
    /// </summary>
    internal void SetBlockingMode(bool blocking)
    {
        if (blocking == _blocking) return;
        if (_readHead is not null || _writeHead is not null)
            throw new InvalidOperationException($"fd {_fd} has {PendingReads} read(s) and {PendingWrites} write(s) waiting for readiness: let them finish or cancel them before changing its blocking mode.");
        StopRead();
        _blocking = blocking;
        ReadDrained = false;
    }

    /// <summary>
    /// LwtUnix.Dup2 is about to make this descriptor's number name another file. Nothing may
    /// wait on the old file then (refused, as <see cref="SetBlockingMode"/> refuses): a waiting
    /// operation would be retried on a file it was never meant for. The engine events are
    /// stopped first, the read side's lazily kept one included: epoll would drop them with the
    /// old file, and the descriptor would believe them still registered.
    /// </summary>
    internal void PrepareToBeReplaced()
    {
        if (_readHead is not null || _writeHead is not null)
            throw new InvalidOperationException($"fd {_fd} has {PendingReads} read(s) and {PendingWrites} write(s) waiting: let them finish or cancel them before making it a copy of another descriptor.");
        StopRead();
        StopWrite();
        ReadDrained = false;
    }

    /// <summary>After LwtUnix.Dup2: this number now names <paramref name="source"/>'s file, so it is used as that one is.</summary>
    internal void BecomeCopyOf(LwtFd source)
    {
        _blocking = source._blocking;
        _readiness = source._readiness;
        _shortReads = source._shortReads;
        Family = source.Family;
    }

    /// <summary>
    /// For tests of the worker pool: this blocking descriptor's jobs start at once, without a
    /// readiness check, as a regular file's do. On a pipe's read end that makes a read a job
    /// that blocks its worker until data comes, which no descriptor does otherwise.
    /// </summary>
    internal void AssumeAlwaysReady() => _readiness = Readiness.Always;

    /// <summary>A new wrapper for <paramref name="fd"/>, a duplicate of this descriptor (LwtUnix.Dup): the same kind and family.</summary>
    internal LwtFd Duplicate(int fd) => new(fd, _blocking, _readiness) { Family = Family };

    /// <summary>Wraps an fd this layer created non-blocking (socket, accept4, pipe2): a file poll reports on.</summary>
    internal static LwtFd OwnNonBlocking(int fd, int family = 0) => new(fd, false, Readiness.Polled) { Family = family };

    /// <summary>
    /// Closes the descriptor. Every operation pending on it is rejected with
    /// <see cref="UnixErrorException"/> (EBADF), and so is every later one; its engine
    /// registrations are removed at once. Closing an already closed descriptor rejects with
    /// EBADF. As in Lwt, a call already running on the worker pool (a blocking descriptor's
    /// read or write job) is no longer pending: it is not stopped, and its promise gets what
    /// its system call returns.
    /// <para>Lwt: <c>Lwt_unix.close</c></para>
    /// </summary>
    public Promise Close()
    {
        if (_closed) return Promise.Fail(BadDescriptor("close"));
        int rc = CloseCore();
        return rc == 0 ? Promise.ReturnUnit : Promise.Fail(new UnixErrorException(rc, "close"));
    }

    /// <summary>
    /// Closes the descriptor if it is open (as <see cref="Close"/>, errors ignored).
    /// <para>Lwt: <c>Lwt_unix.close</c> (ignoring its errors)</para>
    /// </summary>
    public void Dispose()
    {
        if (!_closed) CloseCore();
    }

    /// <summary>Marks closed, drops the registrations, closes the fd, then rejects the pending operations; returns 0 or an errno.</summary>
    private int CloseCore()
    {
        _closed = true;
        _aborted = null;
        var (reads, writes) = DetachAll();

        int errno = 0;
        if (_socket is { } socket)
        {
            socket.Dispose();
        }
        else if (_handle is { } handle)
        {
            handle.Dispose();
        }
        else if (LibC.Close(_fd) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
        }

        // The queue was detached first: a callback of these rejections sees a clean, closed fd.
        FailAll(reads, null);
        FailAll(writes, null);
        return errno;
    }

    /// <summary>Stops both engine events and empties both queues, returning what they held.</summary>
    private (IFdOp? Reads, IFdOp? Writes) DetachAll()
    {
        StopRead();
        StopWrite();
        IFdOp? reads = _readHead, writes = _writeHead;
        _readHead = _readTail = _writeHead = _writeTail = null;
        return (reads, writes);
    }

    /// <summary>Rejects a detached queue's operations in order, with <paramref name="exception"/> or (null) EBADF.</summary>
    private static void FailAll(IFdOp? op, Exception? exception)
    {
        while (op is not null)
        {
            IFdOp? next = op.Next;
            op.Next = op.Prev = null;
            op.FailWith(exception ?? BadDescriptor(op.Name));
            op = next;
        }
    }

    /// <summary>
    /// LwtUnix.Abort: from now on every operation fails with <paramref name="exception"/>, and
    /// so do those waiting now (their queues are detached first, as in Close, so a callback of
    /// these rejections sees a clean descriptor). A closed descriptor stays closed; a second
    /// abort replaces the exception.
    /// </summary>
    internal void Abort(Exception exception)
    {
        if (_closed) return;
        _aborted = exception;
        var (reads, writes) = DetachAll();
        FailAll(reads, exception);
        FailAll(writes, exception);
    }

    /// <summary>The error of an operation on a closed descriptor (Lwt's check_descriptor).</summary>
    internal static UnixErrorException BadDescriptor(string function) => new(LibC.EBADF, function);

    /// <summary>The raw fd for an operation, or its error: EBADF when closed, the abort's exception when aborted (Lwt's check_descriptor).</summary>
    internal bool TryGetFd(string function, out int fd, out Exception? error)
    {
        fd = _fd;
        if (_closed || _aborted is not null)
        {
            error = _closed ? BadDescriptor(function) : _aborted;
            return false;
        }

        error = null;
        return true;
    }

    // ---- queues ----------------------------------------------------------

    /// <summary>
    /// Queues <paramref name="op"/> (whose call just got EAGAIN) until the fd is ready, and
    /// makes sure the engine watches that direction. Returns <paramref name="op"/> as its promise.
    /// </summary>
    internal Promise<T> Enqueue<T>(FdOp<T> op)
    {
        if (_closed || _aborted is not null)
        {
            op.FailWith(_aborted ?? BadDescriptor(op.Name));
            return op;
        }

        bool write = op.IsWrite;
        ref IFdOp? head = ref write ? ref _writeHead : ref _readHead;
        ref IFdOp? tail = ref write ? ref _writeTail : ref _readTail;
        op.Prev = tail;
        if (tail is null) head = op;
        else tail.Next = op;
        tail = op;

        try
        {
            if (write)
            {
                if (_writeEvent is null || _writeEvent.IsStopped)
                    _writeEvent = LwtEngine.Current.OnWritable(_fd, _onWritable ??= _ => Dispatch(write: true));
            }
            else if (_readEvent is null || _readEvent.IsStopped)
            {
                _readEvent = LwtEngine.Current.OnReadable(_fd, _onReadable ??= _ => Dispatch(write: false));
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Unlink(op);
            // EPERM: epoll does not watch this kind of file (a regular file or a directory
            // made non-blocking by the user, as Lwt allows). Such a file is always ready, so
            // the call is made now, as Lwt makes it before waiting for anything; only a call
            // that would still block fails with the engine's error. (A read gets here without
            // trying first when ReadDrained is set.)
            if (e.NativeErrorCode == LibC.EPERM && op.Attempt()) op.Deliver();
            else op.FailWith(new UnixErrorException(e.NativeErrorCode, op.Name));
        }

        return op;
    }

    /// <summary>Removes a canceled operation; the last reader or writer leaving drops the registration at once.</summary>
    internal void Remove(IFdOp op)
    {
        if (!Unlink(op)) return;
        if (op.IsWrite ? _writeHead is null : _readHead is null)
        {
            if (op.IsWrite) StopWrite();
            else StopRead();
        }
    }

    /// <summary>Unlinks <paramref name="op"/> from its queue; false if it was in none.</summary>
    private bool Unlink(IFdOp op)
    {
        bool write = op.IsWrite;
        ref IFdOp? head = ref write ? ref _writeHead : ref _readHead;
        ref IFdOp? tail = ref write ? ref _writeTail : ref _readTail;
        if (op.Prev is null && head != op) return false;
        if (op.Prev is null) head = op.Next;
        else op.Prev.Next = op.Next;
        if (op.Next is null) tail = op.Prev;
        else op.Next.Prev = op.Prev;
        op.Next = op.Prev = null;
        return true;
    }

    /// <summary>
    /// The engine callback: retries, in order, each operation that was queued when it began.
    /// One that would still block keeps its place and the next one is tried, as Lwt calls
    /// every hook of the descriptor on a readiness event (lwt_unix.ml register_readable):
    /// a wait_read queued behind a read that takes all the data is fulfilled by the event,
    /// where stopping at the first operation that would block left it waiting for more data.
    /// </summary>
    private void Dispatch(bool write)
    {
        ref IFdOp? head = ref write ? ref _writeHead : ref _readHead;
        IFdOp? last = write ? _writeTail : _readTail;
        if (head is null)
        {
            // Lazy stop (file comment): ready, but nobody is waiting any more.
            if (write) StopWrite();
            else StopRead();
            return;
        }

        IFdOp? kept = null; // the last operation of this dispatch that would block: it keeps its place
        bool covered = true, ready = true;
        while (!_closed && _aborted is null)
        {
            // A callback run by Deliver may have canceled the kept operation: start again from
            // the head then (the operations before it would block; trying them again is harmless).
            IFdOp? op = kept is not null && (kept.Prev is not null || head == kept) ? kept.Next : head;
            if (op is null) break;
            bool wasLast = op == last;
            bool done;
            if (op.IsPureWait)
            {
                // WaitRead/WaitWrite make no call: the event is what they wait for (Lwt's hook is ignore).
                done = true;
            }
            else
            {
                // A blocking descriptor's call blocks where a non-blocking one says EAGAIN: the
                // engine's readiness covers the first call; each further one waits for a poll that
                // says it will not block (the first may have taken all the data, or the room).
                if (!covered && _blocking && ready) ready = LwtUnix.StillReady(_fd, write);
                covered = false;
                done = ready && op.Attempt();
            }

            if (done)
            {
                Unlink(op);
                op.Deliver();
            }
            else
            {
                kept = op;
            }

            if (wasLast) break;
        }

        if (write && _writeHead is null) StopWrite();
    }

    private void StopRead()
    {
        _readEvent?.Stop();
        _readEvent = null;
    }

    private void StopWrite()
    {
        _writeEvent?.Stop();
        _writeEvent = null;
    }

    private static int Count(IFdOp? op)
    {
        int n = 0;
        for (; op is not null; op = op.Next) n++;
        return n;
    }

    private string DebuggerDisplay =>
        $"fd {_fd}{(_closed ? " (closed)" : string.Empty)}{(_blocking ? " blocking" : string.Empty)}, {PendingReads} readers, {PendingWrites} writers";
}

/// <summary>
/// The state of an <see cref="LwtFd"/>.
/// <para>Lwt: <c>Lwt_unix.state</c></para>
/// </summary>
public enum LwtFdState
{
    /// <summary>Open and usable.<para>Lwt: <c>Opened</c></para></summary>
    Opened,

    /// <summary>Closed by <see cref="LwtFd.Close"/> or <see cref="LwtFd.Dispose"/>: every use fails with EBADF.<para>Lwt: <c>Closed</c></para></summary>
    Closed,

    /// <summary>Aborted by <see cref="LwtUnix.Abort"/>: every use but closing fails with <see cref="LwtFd.AbortException"/>.<para>Lwt: <c>Aborted exn</c></para></summary>
    Aborted,
}

/// <summary>An operation queued on an <see cref="LwtFd"/> (see the file comment of LwtFd.cs).</summary>
internal interface IFdOp
{
    /// <summary>Neighbours in the fd's queue.</summary>
    IFdOp? Next { get; set; }

    /// <summary>Neighbours in the fd's queue.</summary>
    IFdOp? Prev { get; set; }

    /// <summary>True for the write queue.</summary>
    bool IsWrite { get; }

    /// <summary>The system call, for error messages.</summary>
    string Name { get; }

    /// <summary>True for a wait that makes no call (WaitRead, WaitWrite): any readiness event fulfills it.</summary>
    bool IsPureWait { get; }

    /// <summary>Tries the call once more: false if it would block (stay queued), true if it is done (result kept).</summary>
    bool Attempt();

    /// <summary>Resolves the promise with the result of the successful <see cref="Attempt"/>.</summary>
    void Deliver();

    /// <summary>Rejects the promise (if still pending).</summary>
    void FailWith(Exception exception);
}

/// <summary>
/// A pending operation on a non-blocking fd; the object is also the cancelable promise
/// given to the caller (one allocation per operation that has to wait).
/// </summary>
internal abstract class FdOp<T> : Promise<T>, IFdOp
{
    protected readonly LwtFd Owner;
    private Exception? _error;
    protected T Result = default!;

    protected FdOp(LwtFd owner) : base(CancelMode.CancelThis) => Owner = owner;

    public IFdOp? Next { get; set; }

    public IFdOp? Prev { get; set; }

    public abstract bool IsWrite { get; }

    public abstract string Name { get; }

    public virtual bool IsPureWait => false;

    /// <summary>The system call: returns false on EAGAIN; otherwise sets <see cref="Result"/> or calls <see cref="SetError"/>.</summary>
    protected abstract bool Run();

    public bool Attempt() => Run();

    protected void SetError(Exception error) => _error = error;

    protected void SetErrno(int errno) => _error = new UnixErrorException(errno, Name);

    public virtual void Deliver()
    {
        ReleasePins();
        var p = UnderlyingT();
        if (p._status != Status.Pending) return;
        if (_error is { } e) p.RejectCore(e, allowDeferring: true);
        else p.FulfillCore(Result, allowDeferring: true);
    }

    public void FailWith(Exception exception)
    {
        ReleasePins();
        var p = UnderlyingT();
        if (p._status == Status.Pending) p.RejectCore(exception, allowDeferring: true);
    }

    /// <summary>
    /// The operation is over (delivered, failed, or canceled): end the pins it holds on its
    /// buffers (LwtUnix.Fd.cs, "Pins"), so that an unmap that waited for them happens now. The
    /// kernel touches the buffers only during <see cref="Run"/>, which is never called again.
    /// Called once or more (each end is idempotent); nothing for an operation without buffers.
    /// </summary>
    internal virtual void ReleasePins()
    {
    }

    /// <summary>Cancellation rejected this operation: leave the queue (and the engine) at once, and end its pins.</summary>
    internal override void OnCanceledLeaf()
    {
        Owner.Remove(this);
        ReleasePins();
    }

    /// <inheritdoc/>
    internal override bool ReleasesOnCancel => true;
}
