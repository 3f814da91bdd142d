// Reading, writing and waiting on descriptors (Lwt_unix.read, write, readv,
// writev, wait_read, wait_write, readable, writable, pipe).
//
// Non-blocking descriptors: try the call at once (no allocation beyond the
// result promise when it succeeds); on EAGAIN queue an FdOp that the engine
// retries when the fd is ready (LwtFd.cs). Blocking descriptors (regular
// files, terminals, the standard descriptors): the call runs as a job on
// LwtPreemptive's pool; the caller must keep the buffer alive and untouched
// until the promise resolves, as with Lwt. As Lwt's read does (wait_read, then
// the job), the job starts only once the descriptor is ready: at once when a
// zero-timeout poll says so (a regular file always is, and skips the poll:
// LwtFd.AlwaysReady), otherwise after a wait in the engine (AfterReady), so an
// idle pipe or terminal parks no worker, and a read canceled while it waits
// has consumed nothing. Once the job runs, canceling does nothing (a job
// cannot be stopped); the result comes when the call returns.
//
// A pipe (the standard descriptors in a pipeline, mostly) makes its call on
// the loop thread once poll says it is ready, without a job: a read of a pipe
// with data returns at once, and so does a write of at most PIPE_BUF bytes
// into a pipe with a free page (what POLLOUT means), which a channel's
// buffer-sized writes are. A job per read or write made `cat FILE | ...`
// through LwtIO.Stdout six times slower than the non-blocking calls it
// replaced. What this risks is another process sharing the pipe and taking
// the data (or the free page) between the poll and the call: the call then
// blocks the loop until the pipe moves, where Lwt's job blocks a worker. A
// terminal keeps the job: its output can be stopped for any time (Ctrl-S).
//
// Pins. A buffer backed by a MemoryManager (a mapping of LwtBytes.MapFile, a pool's native
// block) can be released by its owner while a call still uses it, where an OCaml Bigarray
// cannot: the GC frees one only when nothing, a pending job included, reaches it. So every
// call given such a buffer pins it at the call, for the operation's whole life: the queued
// FdOp releases the pin when it is over (delivered, failed by Close or Abort, or canceled),
// a job on its worker once the system call has returned (an AbortJobs rejects the promise
// earlier, while the kernel may still write), and a call that completes at once right away.
// MappedMemory defers its munmap until the last pin goes, so an Unmap meanwhile leaves the
// operation to finish normally, and the pages go after it. The operation itself uses a
// PinnedBuffer, a Memory over the pinned pointer, so the code of each path is the one it
// runs for an array. Arrays (and empty buffers) need none of this: the GC keeps them alive
// for whoever references them, and `fixed` around each call pins them against moves; their
// path costs one type test. A buffer already released fails the pin: the call throws
// ObjectDisposedException at once, as it throws its other argument errors, on every path.

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// Reads at most <c>buffer.Length</c> bytes; the promise gives the number read (0 at end
    /// of file). Waits (in the engine) while nothing is available; on a blocking descriptor
    /// (<see cref="LwtFd.IsBlocking"/>) the read then runs as a job on the worker pool.
    /// Cancelable while it waits: a canceled read consumes nothing and leaves the descriptor
    /// usable (a blocking descriptor's job, once started, is not stopped).
    /// <para>Lwt: <c>Lwt_unix.read</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> Read(LwtFd fd, Memory<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (NeedsPin(buffer)) return WithPin(buffer, fd, static (fd, pinned) => Read(fd, pinned));
        if (!fd.TryGetFd("read", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return ReadyNow(fd, raw, LibC.POLLIN) ? ReadReady(fd, raw, buffer) : ReadAfterReady(fd, buffer);

        return ReadNowOrWait(fd, raw, buffer, 0, recv: false);
    }

    /// <summary>
    /// <see cref="Read(LwtFd, Memory{byte})"/> and <see cref="Recv(LwtFd, Memory{byte}, System.Net.Sockets.SocketFlags)"/> on a non-blocking descriptor: the call at once,
    /// unless the last read left the descriptor drained (<see cref="LwtFd.ReadDrained"/>), and
    /// a wait for readiness when there is nothing to read yet.
    /// </summary>
    private static Promise<int> ReadNowOrWait(LwtFd fd, int raw, Memory<byte> buffer, int flags, bool recv)
    {
        // An empty read always makes the call: it returns 0 at once, ready or not, as Lwt's
        // read (which tries the call first) does, where a wait would last until data came.
        if (!fd.ReadDrained || buffer.IsEmpty)
        {
            nint n = SysRead(raw, buffer.Span, flags, recv);
            if (n >= 0)
            {
                fd.NoteRead(n, buffer.Length, flags);
                return Promise.Return((int)n);
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EAGAIN) return Promise.Fail<int>(new UnixErrorException(errno, recv ? "recv" : "read"));
        }
        return fd.Enqueue(new ReadOp(fd, buffer, flags, recv));
    }

    /// <summary>
    /// Writes at most <c>buffer.Length</c> bytes; the promise gives the number written (at
    /// least 1 unless the buffer is empty). Waits while the descriptor is not writable; on a
    /// blocking descriptor (<see cref="LwtFd.IsBlocking"/>) the write then runs as a job on the
    /// worker pool. Cancelable while it waits (nothing is written then).
    /// <para>Lwt: <c>Lwt_unix.write</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="buffer"/>'s memory was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> Write(LwtFd fd, ReadOnlyMemory<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (NeedsPin(buffer)) return WithPin(buffer, fd, static (fd, pinned) => Write(fd, pinned));
        if (!fd.TryGetFd("write", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return ReadyNow(fd, raw, LibC.POLLOUT) ? WriteReady(fd, raw, buffer) : WriteAfterReady(fd, buffer);

        nint n = SysWrite(raw, buffer.Span, 0, send: false);
        if (n >= 0) return Promise.Return((int)n);
        int errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.EAGAIN) return Promise.Fail<int>(new UnixErrorException(errno, "write"));
        return fd.Enqueue(new WriteOp(fd, buffer, 0, send: false));
    }

    // The blocking-descriptor paths are methods of their own: a lambda that captures a
    // parameter makes the compiler allocate its closure on entry to the method that declares
    // the parameter, so written inline it would cost every non-blocking call a closure.

    // Each job releases its buffer's pin (file comment) on the worker, after the call.

    /// <summary><see cref="Read(LwtFd, Memory{byte})"/> on a blocking descriptor that is ready: the call runs on a preemptive thread.</summary>
    private static Promise<int> ReadBlocking(int raw, Memory<byte> buffer) =>
        PinnedJob(PinOf(buffer), () => Check(SysRead(raw, buffer.Span, 0, recv: false), "read"));

    /// <summary><see cref="Write(LwtFd, ReadOnlyMemory{byte})"/> on a blocking descriptor that is ready: the call runs on a preemptive thread.</summary>
    private static Promise<int> WriteBlocking(int raw, ReadOnlyMemory<byte> buffer) =>
        PinnedJob(PinOf(buffer), () => Check(SysWrite(raw, buffer.Span, 0, send: false), "write"));

    /// <summary><see cref="Read(LwtFd, Memory{byte})"/> on a blocking descriptor that is not ready yet: the call once it is.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<int> ReadAfterReady(LwtFd fd, Memory<byte> buffer)
    {
        IPin? pin = PinOf(buffer);
        return AfterReady(fd, write: false, "read", pin, raw => Released(ReadAfterWait(fd, raw, buffer), pin));
    }

    /// <summary><see cref="Write(LwtFd, ReadOnlyMemory{byte})"/> on a blocking descriptor that is not ready yet: the call once it is.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<int> WriteAfterReady(LwtFd fd, ReadOnlyMemory<byte> buffer)
    {
        IPin? pin = PinOf(buffer);
        return AfterReady(fd, write: true, "write", pin, raw => Released(WriteAfterWait(fd, raw, buffer), pin));
    }

    // The engine ends every wait on a descriptor when it becomes ready, so several readers
    // (writers) of one pipe wake together, and the first one's call may take all the data (the
    // free page). A pipe's call is made on the loop thread (file comment), so each woken one
    // asks poll again first and, if the pipe is no longer ready, waits again: otherwise its
    // read (write) would block the loop until the pipe moved. A job (a terminal) needs no such
    // check: at worst it blocks its worker, as Lwt's does.

    /// <summary>The read of a blocking descriptor whose wait for readiness ended (see above).</summary>
    private static Promise<int> ReadAfterWait(LwtFd fd, int raw, Memory<byte> buffer) =>
        !fd.IsPipe ? ReadBlocking(raw, buffer)
        : StillReady(raw, write: false) ? ReadPipeNow(fd, raw, buffer)
        : ReadAfterReady(fd, buffer);

    /// <summary>The write of a blocking descriptor whose wait for readiness ended (see above).</summary>
    private static Promise<int> WriteAfterWait(LwtFd fd, int raw, ReadOnlyMemory<byte> buffer) =>
        buffer.Length > PipeBuf || !fd.IsPipe ? WriteBlocking(raw, buffer)
        : StillReady(raw, write: true) ? WritePipeNow(fd, raw, buffer)
        : WriteAfterReady(fd, buffer);

    /// <summary>The read of a blocking descriptor found ready: at once on a pipe (file comment), else a job.</summary>
    private static Promise<int> ReadReady(LwtFd fd, int raw, Memory<byte> buffer) =>
        fd.IsPipe ? ReadPipeNow(fd, raw, buffer) : ReadBlocking(raw, buffer);

    /// <summary>The write of a blocking descriptor found ready: at once on a pipe when it fits in <see cref="PipeBuf"/>, else a job.</summary>
    private static Promise<int> WriteReady(LwtFd fd, int raw, ReadOnlyMemory<byte> buffer) =>
        buffer.Length <= PipeBuf && fd.IsPipe ? WritePipeNow(fd, raw, buffer) : WriteBlocking(raw, buffer);

    /// <summary>Linux's PIPE_BUF: a write of at most this many bytes to a pipe poll reports writable does not block.</summary>
    private const int PipeBuf = 4096;

    /// <summary>
    /// A blocking pipe's read that poll reported ready, made on the loop thread (file comment):
    /// it returns at once. EAGAIN (the pipe is non-blocking, set so by another process sharing
    /// it, which also took the data first) waits again.
    /// </summary>
    private static Promise<int> ReadPipeNow(LwtFd fd, int raw, Memory<byte> buffer)
    {
        nint n = SysRead(raw, buffer.Span, 0, recv: false);
        if (n >= 0) return Promise.Return((int)n);
        int errno = Marshal.GetLastPInvokeError();
        return errno == LibC.EAGAIN ? ReadAfterReady(fd, buffer) : Promise.Fail<int>(new UnixErrorException(errno, "read"));
    }

    /// <summary>A blocking pipe's write of at most <see cref="PipeBuf"/> bytes that poll reported ready, made on the loop thread (as <see cref="ReadPipeNow"/>).</summary>
    private static Promise<int> WritePipeNow(LwtFd fd, int raw, ReadOnlyMemory<byte> buffer)
    {
        nint n = SysWrite(raw, buffer.Span, 0, send: false);
        if (n >= 0) return Promise.Return((int)n);
        int errno = Marshal.GetLastPInvokeError();
        return errno == LibC.EAGAIN ? WriteAfterReady(fd, buffer) : Promise.Fail<int>(new UnixErrorException(errno, "write"));
    }

    /// <summary>
    /// Ends <paramref name="pin"/> if <paramref name="call"/> is already over (made at once on
    /// the loop thread). A pending one ends it itself: a job on its worker, a new wait when it
    /// fails or through the call it makes.
    /// </summary>
    private static Promise<int> Released(Promise<int> call, IPin? pin)
    {
        if (!call.IsPending) pin?.Release();
        return call;
    }

    /// <summary>
    /// Whether a blocking descriptor's job may start now: at once for a file poll always
    /// reports ready (no system call), else what a zero-timeout poll says (an error or a
    /// hang-up counts as ready: the call reports it).
    /// </summary>
    private static bool ReadyNow(LwtFd fd, int raw, short events) =>
        fd.AlwaysReady || PollRaw(raw, events, events == LibC.POLLIN ? "wait_read" : "wait_write");

    /// <summary>
    /// A blocking descriptor's call that has to wait (file comment): a wait for readiness in
    /// the engine (Lwt's register_action with a no-op), then <paramref name="job"/> with the
    /// descriptor's number. The result is the bind of the two: canceling it while it waits
    /// cancels the wait (the job never starts), and once the job runs it follows the job. If
    /// the wait fails (canceled, the descriptor closed or aborted) the call never runs, so the
    /// buffers' pin ends here; otherwise the job ends it, on its worker.
    /// </summary>
    private static Promise<int> AfterReady(LwtFd fd, bool write, string name, IPin? pin, Func<int, Promise<int>> job)
    {
        Promise<Unit> ready = fd.Enqueue(new WaitOp(fd, write, name));
        if (pin is not null) ready.OnFailure(_ => pin.Release());
        return ready.Bind(_ =>
        {
            // Ready: the wait cannot have been fulfilled on a closed or aborted descriptor (both
            // reject their queues), but either may have happened before this callback ran.
            if (!fd.TryGetFd(name, out int raw, out var error))
            {
                pin?.Release();
                return Promise.Fail<int>(error!);
            }

            return job(raw);
        });
    }

    /// <summary><see cref="ReadV"/>/<see cref="WriteV"/> on a blocking descriptor: the job once the descriptor is ready (<see cref="AfterReady"/>).</summary>
    private static Promise<int> VectorBlocking(LwtFd fd, int raw, VectorOp op, string name, object buffers)
    {
        bool write = op.IsWrite;
        return ReadyNow(fd, raw, write ? LibC.POLLOUT : LibC.POLLIN) ? VectorJob(op, name) : VectorAfterReady(fd, write, op, name, buffers);
    }

    /// <summary><see cref="VectorBlocking"/> on a descriptor that is not ready yet (a method of its own: its closure would cost the ready path).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<int> VectorAfterReady(LwtFd fd, bool write, VectorOp op, string name, object buffers) =>
        AfterReady(fd, write, name, PinsOf(buffers), _ => VectorJob(op, name));

    /// <summary>The readv/writev job of a blocking descriptor that is ready.</summary>
    private static Promise<int> VectorJob(VectorOp op, string name) =>
        Job(() =>
        {
            try
            {
                return Check(op.Call(), name);
            }
            finally
            {
                op.ReleasePins();
            }
        });

    /// <summary>
    /// Reads into several buffers in order (one readv call); the promise gives the total
    /// number of bytes read (0 at end of file). Waits and runs as <see cref="Read(LwtFd, Memory{byte})"/> does.
    /// <para>Lwt: <c>Lwt_unix.readv</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffers">The buffers (only the first 1024 are used, the system's IOV_MAX).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The memory of one of the buffers was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> ReadV(LwtFd fd, IReadOnlyList<Memory<byte>> buffers)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffers);
        if (NeedsPins(buffers)) return WithPins(buffers, fd, static (fd, pinned) => ReadV(fd, pinned));
        var op = new VectorOp(fd, buffers, null);
        if (!fd.TryGetFd("readv", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return VectorBlocking(fd, raw, op, "readv", buffers);
        return op.Attempt() ? Deliver(op) : fd.Enqueue(op);
    }

    /// <summary>
    /// Writes several buffers in order (one writev call); the promise gives the total number
    /// of bytes written. Waits and runs as <see cref="Write(LwtFd, ReadOnlyMemory{byte})"/> does.
    /// <para>Lwt: <c>Lwt_unix.writev</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffers">The buffers (only the first 1024 are used, the system's IOV_MAX).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The memory of one of the buffers was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> WriteV(LwtFd fd, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(buffers);
        if (NeedsPins(buffers)) return WithPins(buffers, fd, static (fd, pinned) => WriteV(fd, pinned));
        var op = new VectorOp(fd, null, buffers);
        if (!fd.TryGetFd("writev", out int raw, out var error)) return Promise.Fail<int>(error!);
        if (fd.IsBlocking) return VectorBlocking(fd, raw, op, "writev", buffers);
        return op.Attempt() ? Deliver(op) : fd.Enqueue(op);
    }

    /// <summary>
    /// True if poll(2) with a zero timeout reports the descriptor readable (POLLIN). An error or
    /// a hang-up alone (POLLERR, POLLHUP: a pipe whose writers are gone and that holds nothing,
    /// a socket never connected) does not count, as in Lwt; <see cref="WaitRead"/> still
    /// resolves on it, through the engine.
    /// <para>Lwt: <c>Lwt_unix.readable</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed.</exception>
    public static bool Readable(LwtFd fd) => PollNow(fd, LibC.POLLIN, "readable");

    /// <summary>
    /// True if poll(2) with a zero timeout reports the descriptor writable (POLLOUT); an error
    /// or a hang-up alone does not count, as in Lwt.
    /// <para>Lwt: <c>Lwt_unix.writable</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed.</exception>
    public static bool Writable(LwtFd fd) => PollNow(fd, LibC.POLLOUT, "writable");

    /// <summary>
    /// A cancelable promise fulfilled when the descriptor is readable (at once if a zero-timeout
    /// poll says it is now), blocking descriptor or not: a pipe or terminal in blocking mode
    /// waits in the engine, and a regular file is always readable.
    /// <para>Lwt: <c>Lwt_unix.wait_read</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise WaitRead(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("wait_read", out _, out var error)) return Promise.Fail(error!);
        if (PollNow(fd, LibC.POLLIN, "wait_read")) return Promise.ReturnUnit;
        return fd.Enqueue(new WaitOp(fd, write: false));
    }

    /// <summary>
    /// A cancelable promise fulfilled when the descriptor is writable (at once if a zero-timeout
    /// poll says it is now), blocking descriptor or not: a pipe or terminal in blocking mode
    /// waits in the engine, and a regular file is always writable.
    /// <para>Lwt: <c>Lwt_unix.wait_write</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise WaitWrite(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("wait_write", out _, out var error)) return Promise.Fail(error!);
        if (PollNow(fd, LibC.POLLOUT, "wait_write")) return Promise.ReturnUnit;
        return fd.Enqueue(new WaitOp(fd, write: true));
    }

    /// <summary>
    /// A pipe whose two ends are used through the loop (both non-blocking, close-on-exec).
    /// <para>Lwt: <c>Lwt_unix.pipe</c></para>
    /// </summary>
    /// <returns>The read end and the write end.</returns>
    /// <exception cref="UnixErrorException">pipe2 failed.</exception>
    public static (LwtFd Reader, LwtFd Writer) Pipe()
    {
        var (r, w) = RawPipe(LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        return (LwtFd.OwnNonBlocking(r), LwtFd.OwnNonBlocking(w));
    }

    /// <summary>
    /// A pipe for input from another process: the read end is used through the loop, the
    /// write end is a plain blocking descriptor to hand over (close-on-exec: a process
    /// launcher must dup2 it into the child).
    /// <para>Lwt: <c>Lwt_unix.pipe_in</c></para>
    /// </summary>
    /// <exception cref="UnixErrorException">pipe2 failed.</exception>
    public static (LwtFd Reader, SafeFileHandle Writer) PipeIn()
    {
        var (r, w) = RawPipe(LibC.O_CLOEXEC);
        LwtFd.SetNonBlocking(r, true);
        return (LwtFd.OwnNonBlocking(r), new SafeFileHandle(w, ownsHandle: true));
    }

    /// <summary>
    /// A pipe for output to another process: the write end is used through the loop, the
    /// read end is a plain blocking descriptor to hand over (close-on-exec).
    /// <para>Lwt: <c>Lwt_unix.pipe_out</c></para>
    /// </summary>
    /// <exception cref="UnixErrorException">pipe2 failed.</exception>
    public static (SafeFileHandle Reader, LwtFd Writer) PipeOut()
    {
        var (r, w) = RawPipe(LibC.O_CLOEXEC);
        LwtFd.SetNonBlocking(w, true);
        return (new SafeFileHandle(r, ownsHandle: true), LwtFd.OwnNonBlocking(w));
    }

    private static (int Read, int Write) RawPipe(int flags)
    {
        Span<int> fds = stackalloc int[2];
        if (LibC.Pipe2(fds, flags) != 0) throw UnixErrorException.FromLastError("pipe");
        return (fds[0], fds[1]);
    }

    // ---- system calls ----------------------------------------------------

    internal static unsafe nint SysRead(int fd, Span<byte> buffer, int flags, bool recv)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do
            {
                n = recv ? LibC.Recv(fd, p, (nuint)buffer.Length, flags) : LibC.Read(fd, p, (nuint)buffer.Length);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            return n;
        }
    }

    internal static unsafe nint SysWrite(int fd, ReadOnlySpan<byte> buffer, int flags, bool send)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do
            {
                n = send ? LibC.Send(fd, p, (nuint)buffer.Length, flags | LibC.MSG_NOSIGNAL) : LibC.Write(fd, p, (nuint)buffer.Length);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            return n;
        }
    }

    /// <summary>A worker-pool call's result, or its errno as an exception.</summary>
    private static int Check(nint n, string function) =>
        n >= 0 ? (int)n : throw UnixErrorException.FromLastError(function);

    /// <summary>
    /// Lwt's readable/writable: poll with a zero timeout, whatever the blocking mode (a pipe or
    /// terminal in blocking mode is not always ready). A blocking descriptor on a file that poll
    /// always reports ready skips the call (<see cref="LwtFd.AlwaysReady"/>, read only for
    /// blocking descriptors: a non-blocking one is a socket or pipe, which costs no statx).
    /// </summary>
    private static bool PollNow(LwtFd fd, short events, string function)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd(function, out int raw, out var error)) throw error!;
        if (fd.IsBlocking && fd.AlwaysReady) return true;
        return PollRaw(raw, events, function, strict: true);
    }

    /// <summary>
    /// poll with a zero timeout on a raw descriptor: whether one of <paramref name="events"/>,
    /// or (unless <paramref name="strict"/>) an error or a hang-up, is reported.
    /// </summary>
    /// <remarks>
    /// Strict is Lwt's readable/writable (revents &amp; POLLIN): the public look, after which a
    /// hang-up alone is left to the engine, which wakes the waiters on it one turn later.
    /// Every look made once the engine has reported the descriptor is not strict: the engine
    /// reports a hang-up or an error as readiness (epoll always does), and the call that
    /// follows returns it (0 bytes, the errno); a strict look there would put the operation
    /// back to wait for an event the level-triggered engine reports again at once, a spin.
    /// </remarks>
    private static unsafe bool PollRaw(int raw, short events, string function, bool strict = false)
    {
        LibC.PollFd pfd = new() { Fd = raw, Events = events };
        int n;
        do
        {
            n = LibC.Poll(&pfd, 1, 0);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        if (n < 0) throw UnixErrorException.FromLastError(function);
        return n > 0 && (strict ? (pfd.Revents & events) != 0 : pfd.Revents != 0);
    }

    /// <summary>
    /// Lwt's wrap_syscall, for the calls made on the loop thread whatever the blocking mode (the
    /// socket calls): the call at once, and on EAGAIN a wait in the engine that makes it again
    /// once the descriptor is ready. A blocking descriptor never says EAGAIN, its call blocks
    /// instead, so it makes the call at once only when a zero-timeout poll says the call will
    /// not block, and otherwise waits first; the engine's dispatch then polls again before each
    /// further waiting call (LwtFd.Dispatch).
    /// </summary>
    private static Promise<T> AttemptOrWait<T>(LwtFd fd, int raw, FdOp<T> op)
    {
        if (fd.IsBlocking && !PollRaw(raw, op.IsWrite ? LibC.POLLOUT : LibC.POLLIN, op.Name)) return fd.Enqueue(op);
        return op.Attempt() ? Deliver(op) : fd.Enqueue(op);
    }

    /// <summary>
    /// Whether a blocking descriptor whose wait has ended is still ready for its call (for
    /// <see cref="LwtFd"/>'s dispatch, and a pipe's call after its wait). An error or a
    /// hang-up counts as ready, and so does a failed poll: the call reports what is wrong,
    /// where a throw here would skip the release of the call's pins or stop a dispatch.
    /// </summary>
    internal static bool StillReady(int raw, bool write)
    {
        try
        {
            return PollRaw(raw, write ? LibC.POLLOUT : LibC.POLLIN, write ? "wait_write" : "wait_read");
        }
        catch (UnixErrorException)
        {
            return true;
        }
    }

    /// <summary>An operation that succeeded on its first attempt: its own promise, resolved.</summary>
    private static Promise<T> Deliver<T>(FdOp<T> op)
    {
        op.Deliver();
        return op;
    }

    // ---- operations --------------------------------------------------------

    /// <summary>An operation whose system call returns a byte count, or -1 with errno.</summary>
    private abstract class CountOp(LwtFd fd) : FdOp<int>(fd)
    {
        /// <summary>
        /// Ends an attempt with the call's return value: a count is the result, EAGAIN means
        /// "not ready, wait again" (false), any other errno rejects the operation.
        /// </summary>
        protected bool Finish(nint n)
        {
            if (n >= 0)
            {
                Result = (int)n;
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EAGAIN) return false;
            SetErrno(errno);
            return true;
        }
    }

    private sealed class ReadOp(LwtFd fd, Memory<byte> buffer, int flags, bool recv) : CountOp(fd)
    {
        public override bool IsWrite => false;

        public override string Name => recv ? "recv" : "read";

        protected override bool Run()
        {
            nint n = SysRead(Owner.Fd, buffer.Span, flags, recv);
            if (n >= 0) Owner.NoteRead(n, buffer.Length, flags);
            return Finish(n);
        }

        internal override void ReleasePins() => ReleasePin(buffer);
    }

    private sealed class WriteOp(LwtFd fd, ReadOnlyMemory<byte> buffer, int flags, bool send) : CountOp(fd)
    {
        public override bool IsWrite => true;

        public override string Name => send ? "send" : "write";

        protected override bool Run()
        {
            return Finish(SysWrite(Owner.Fd, buffer.Span, flags, send));
        }

        internal override void ReleasePins() => ReleasePin(buffer);
    }

    /// <summary>A wait for readiness (WaitRead, WaitWrite, and a blocking descriptor's call before its job: <paramref name="name"/>, the call's name for its errors).</summary>
    private sealed class WaitOp(LwtFd fd, bool write, string? name = null) : FdOp<Unit>(fd)
    {
        public override bool IsWrite => write;

        public override string Name => name ?? (write ? "wait_write" : "wait_read");

        // A blocking descriptor's call waiting for its job (a name) is not a pure wait: its
        // dispatch polls first, so that its job never parks a worker on a descriptor that a
        // call before it in the queue drained.
        public override bool IsPureWait => name is null;

        protected override bool Run() => true;
    }

    private sealed class VectorOp(LwtFd fd, IReadOnlyList<Memory<byte>>? reads, IReadOnlyList<ReadOnlyMemory<byte>>? writes) : CountOp(fd)
    {
        internal const int IovMax = 1024;

        public override bool IsWrite => writes is not null;

        public override string Name => writes is not null ? "writev" : "readv";

        protected override bool Run()
        {
            return Finish(Call());
        }

        internal override void ReleasePins()
        {
            LwtUnix.ReleasePins(reads);
            LwtUnix.ReleasePins(writes);
        }

        /// <summary>One readv/writev over the pinned buffers (EINTR retried).</summary>
        internal unsafe nint Call()
        {
            // As Lwt (IO_vectors.system_limit): only the first IOV_MAX slices go to the call.
            int count = Math.Min(reads?.Count ?? writes!.Count, IovMax);
            var handles = new System.Buffers.MemoryHandle[count];
            LibC.IoVec* iov = stackalloc LibC.IoVec[Math.Max(count, 1)];
            try
            {
                for (int i = 0; i < count; i++)
                {
                    int length;
                    if (reads is not null)
                    {
                        handles[i] = reads[i].Pin();
                        length = reads[i].Length;
                    }
                    else
                    {
                        handles[i] = writes![i].Pin();
                        length = writes[i].Length;
                    }

                    iov[i].Base = handles[i].Pointer;
                    iov[i].Length = (nuint)length;
                }

                nint n;
                do
                {
                    n = reads is not null ? LibC.ReadV(Owner.Fd, iov, count) : LibC.WriteV(Owner.Fd, iov, count);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
                return n;
            }
            finally
            {
                int saved = Marshal.GetLastPInvokeError();
                foreach (var h in handles) h.Dispose();
                Marshal.SetLastPInvokeError(saved);
            }
        }
    }

    // ---- pins (file comment) -------------------------------------------------

    /// <summary>
    /// True if <paramref name="buffer"/> lives in a MemoryManager that is not already an
    /// operation's pin: the one type test the path of an array pays.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NeedsPin(ReadOnlyMemory<byte> buffer) =>
        MemoryMarshal.TryGetMemoryManager(buffer, out MemoryManager<byte>? manager) && manager is not PinnedBuffer;

    /// <summary>Whether one of the buffers an I/O-vector call passes to the kernel (the first <see cref="VectorOp.IovMax"/>) needs a pin.</summary>
    private static bool NeedsPins<TMemory>(IReadOnlyList<TMemory> buffers)
        where TMemory : struct
    {
        int count = Math.Min(buffers.Count, VectorOp.IovMax);
        for (int i = 0; i < count; i++)
        {
            if (NeedsPin(PinnedList<TMemory>.View(buffers[i]))) return true;
        }

        return false;
    }

    /// <summary>
    /// Runs <paramref name="call"/> (the public method itself) on a pin of <paramref name="buffer"/>.
    /// A promise still pending belongs to a queued operation or a job, which releases the pin
    /// when it is over; otherwise the call is over and nothing holds the pin but this.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The buffer's memory was released.</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<T> WithPin<TArg, T>(ReadOnlyMemory<byte> buffer, TArg arg, Func<TArg, Memory<byte>, Promise<T>> call)
    {
        Memory<byte> pinned = PinnedBuffer.Pin(buffer);
        Promise<T> promise;
        try
        {
            promise = call(arg, pinned);
        }
        catch
        {
            ReleasePin(pinned);
            throw;
        }

        if (!promise.IsPending) ReleasePin(pinned);
        return promise;
    }

    /// <summary><see cref="WithPin"/> for the I/O-vector calls: every buffer that needs one is pinned.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise<T> WithPins<TMemory, TArg, T>(IReadOnlyList<TMemory> buffers, TArg arg, Func<TArg, IReadOnlyList<TMemory>, Promise<T>> call)
        where TMemory : struct
    {
        var pinned = PinnedList<TMemory>.Pin(buffers);
        Promise<T> promise;
        try
        {
            promise = call(arg, pinned);
        }
        catch
        {
            pinned.Release();
            throw;
        }

        if (!promise.IsPending) pinned.Release();
        return promise;
    }

    /// <summary>Ends the pin <paramref name="buffer"/> is, if it is one (nothing for an array; twice does nothing).</summary>
    private static void ReleasePin(ReadOnlyMemory<byte> buffer)
    {
        if (MemoryMarshal.TryGetMemoryManager(buffer, out PinnedBuffer? pin)) pin.Release();
    }

    /// <summary>Ends the pins of an I/O-vector list made by <see cref="WithPins"/> (nothing for another list).</summary>
    private static void ReleasePins(object? buffers) => (buffers as IPin)?.Release();

    /// <summary>
    /// A blocking job whose call uses pinned buffers: <paramref name="pin"/> (the buffer's
    /// <see cref="PinOf"/>, a list's <see cref="PinsOf"/>) ends on the worker once the call has
    /// returned, not when the promise resolves (file comment). Without a pin, the plain job.
    /// </summary>
    private static Promise<T> PinnedJob<T>(IPin? pin, Func<T> call) =>
        pin is null ? Job(call) : Job(() =>
        {
            try
            {
                return call();
            }
            finally
            {
                pin.Release();
            }
        });

    /// <summary>The pin <paramref name="buffer"/> is (made by <see cref="WithPin"/>), or null (an array).</summary>
    private static IPin? PinOf(ReadOnlyMemory<byte> buffer) =>
        MemoryMarshal.TryGetMemoryManager(buffer, out PinnedBuffer? pin) ? pin : null;

    /// <summary>The pins of an I/O-vector list made by <see cref="WithPins"/>, or null (another list).</summary>
    private static IPin? PinsOf(object buffers) => buffers as IPin;

    /// <summary>
    /// An operation's pin on a buffer whose memory a MemoryManager owns, as a Memory over the
    /// pinned pointer (so a pending read keeps using it after an Unmap, which only the pin's
    /// end makes happen). A manager that cannot pin (its Pin throws NotSupportedException,
    /// as some over managed memory do) is used as before, through its own Span at each call.
    /// </summary>
    private sealed unsafe class PinnedBuffer : MemoryManager<byte>, IPin
    {
        private readonly ReadOnlyMemory<byte> _unpinnable;
        private MemoryHandle _handle;
        private readonly int _length;
        private int _released;

        private PinnedBuffer(MemoryHandle handle, int length, ReadOnlyMemory<byte> unpinnable)
        {
            _handle = handle;
            _length = length;
            _unpinnable = unpinnable;
        }

        /// <summary>A pin of <paramref name="buffer"/>, as a Memory of the same length.</summary>
        /// <exception cref="ObjectDisposedException">The memory was released.</exception>
        internal static Memory<byte> Pin(ReadOnlyMemory<byte> buffer)
        {
            MemoryHandle handle;
            try
            {
                handle = buffer.Pin();
            }
            catch (NotSupportedException)
            {
                return new PinnedBuffer(default, buffer.Length, buffer).Memory;
            }

            if (handle.Pointer == null && !buffer.IsEmpty)
            {
                // A pin without an address: the same as one that cannot pin.
                handle.Dispose();
                return new PinnedBuffer(default, buffer.Length, buffer).Memory;
            }

            return new PinnedBuffer(handle, buffer.Length, default).Memory;
        }

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
            if (_handle.Pointer == null && _length != 0) return MemoryMarshal.AsMemory(_unpinnable).Span;
            return new Span<byte>(_handle.Pointer, _length);
        }

        /// <summary>A pointer into the pinned memory: valid until <see cref="Release"/>, which the operation calls when it is over.</summary>
        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
            if (_handle.Pointer == null && _length != 0) return _unpinnable.Slice(elementIndex).Pin();
            return new MemoryHandle((byte*)_handle.Pointer + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => Release();

        /// <summary>Ends the pin (once, from the loop or a worker): an unmap waiting for it happens now.</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) _handle.Dispose();
        }
    }

    /// <summary>An operation's pins, on one buffer or on a list of I/O vectors, released as one.</summary>
    private interface IPin
    {
        /// <summary>Ends the pins (twice does nothing).</summary>
        void Release();
    }

    /// <summary>
    /// The first <see cref="VectorOp.IovMax"/> buffers of an I/O-vector call (the ones the
    /// kernel sees), those of a MemoryManager replaced by their pin. <typeparamref name="TMemory"/>
    /// is Memory&lt;byte&gt; or ReadOnlyMemory&lt;byte&gt;, which share their layout (MemoryMarshal.AsMemory relies on it).
    /// </summary>
    private sealed class PinnedList<TMemory>(TMemory[] items) : IReadOnlyList<TMemory>, IPin
        where TMemory : struct
    {
        public int Count => items.Length;

        public TMemory this[int index] => items[index];

        internal static ReadOnlyMemory<byte> View(TMemory buffer) => Unsafe.As<TMemory, ReadOnlyMemory<byte>>(ref buffer);

        /// <exception cref="ObjectDisposedException">A buffer's memory was released (the pins taken so far are released).</exception>
        internal static PinnedList<TMemory> Pin(IReadOnlyList<TMemory> buffers)
        {
            var items = new TMemory[Math.Min(buffers.Count, VectorOp.IovMax)];
            var list = new PinnedList<TMemory>(items);
            for (int i = 0; i < items.Length; i++) items[i] = buffers[i];
            try
            {
                for (int i = 0; i < items.Length; i++)
                {
                    if (!NeedsPin(View(items[i]))) continue;
                    Memory<byte> pinned = PinnedBuffer.Pin(View(items[i]));
                    items[i] = Unsafe.As<Memory<byte>, TMemory>(ref pinned);
                }
            }
            catch
            {
                list.Release();
                throw;
            }

            return list;
        }

        public void Release()
        {
            foreach (TMemory item in items) ReleasePin(View(item));
        }

        public IEnumerator<TMemory> GetEnumerator() => ((IEnumerable<TMemory>)items).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
