// Messages with descriptors attached (Lwt_unix.recv_msg, send_msg, send_msgto): recvmsg and
// sendmsg over I/O vectors, with the descriptors in one SCM_RIGHTS control message.
//
// The I/O vectors are the ones ReadV/WriteV take (a list of Memory slices; Lwt's
// IO_vectors.t), pinned for the one call and, as there, only the first IOV_MAX (1024) go to
// the kernel; those of a MemoryManager (a mapping) stay pinned for the whole operation
// (LwtUnix.Fd.cs, "Pins"). The call is tried at once and, on EAGAIN, waits in the engine
// like Recv/Send (an FdOp, cancelable); a descriptor wrapped as blocking makes it at once
// only when poll says it is ready, else after the wait (Lwt's wrap_syscall: AttemptOrWait).
//
// Descriptor passing. sendmsg duplicates the sent descriptors into the message when it
// succeeds: the caller keeps its own and may close them once the promise resolves. The
// receiver gets new descriptors, made close-on-exec (MSG_CMSG_CLOEXEC) so that none leaks
// into a child process, and owned by SafeFileHandles so that none leaks at all if dropped.
// Linux carries at most SCM_MAX_FD (253) descriptors in one message; the control buffer of
// RecvMsg has room for that many, so the kernel never drops descriptors for want of space
// (MSG_CTRUNC) except when a sender attached several control messages.

using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// Receives bytes into the slices of <paramref name="ioVectors"/>, in order, with the
    /// descriptors that came with them. The promise gives the number of bytes received (0: the
    /// peer shut down) and the received descriptors, new ones owned by the caller (close-on-exec;
    /// wrap one with <see cref="LwtFd.FromSafeHandle"/> to use it through the loop). Waits while
    /// nothing is there. Cancelable.
    /// <para>Lwt: <c>Lwt_unix.recv_msg</c></para>
    /// </summary>
    /// <param name="socket">The socket (usually a Unix-domain one, to receive descriptors).</param>
    /// <param name="ioVectors">The buffers (only the first 1024 are used, the system's IOV_MAX).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException">The memory of one of the buffers was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<(int Count, IReadOnlyList<SafeFileHandle> Fds)> RecvMsg(LwtFd socket, IReadOnlyList<Memory<byte>> ioVectors)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(ioVectors);
        if (NeedsPins(ioVectors)) return WithPins(ioVectors, socket, static (socket, pinned) => RecvMsg(socket, pinned));
        if (!socket.TryGetFd("recv_msg", out int raw, out var error)) return Promise.Fail<(int, IReadOnlyList<SafeFileHandle>)>(error!);
        return AttemptOrWait(socket, raw, new RecvMsgOp(socket, ioVectors));
    }

    /// <summary>
    /// Sends the bytes of the slices of <paramref name="ioVectors"/>, in order, with the
    /// descriptors <paramref name="fds"/> attached (none: a plain message). The promise gives
    /// the number of bytes sent. The receiver gets copies of the descriptors; the caller keeps
    /// its own. Never raises SIGPIPE (a closed peer gives EPIPE). Waits while the socket is not
    /// writable. Cancelable.
    /// <para>Lwt: <c>Lwt_unix.send_msg</c></para>
    /// </summary>
    /// <param name="socket">The socket (a Unix-domain one, to send descriptors).</param>
    /// <param name="ioVectors">The buffers (only the first 1024 are used). Send at least one byte with
    /// descriptors: a stream socket carries them with data only.</param>
    /// <param name="fds">Raw descriptors to pass (Lwt's <c>Unix.file_descr list</c>, e.g. <see cref="LwtFd.Fd"/>);
    /// they must stay open until the promise resolves.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fds"/> holds a negative descriptor, or more than 253 (Linux's SCM_MAX_FD).</exception>
    /// <exception cref="NotAvailableException"><paramref name="fds"/> is not empty and the system cannot pass descriptors (<c>fd_passing</c>).</exception>
    /// <exception cref="ObjectDisposedException">The memory of one of the buffers was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> SendMsg(LwtFd socket, IReadOnlyList<ReadOnlyMemory<byte>> ioVectors, IReadOnlyList<int> fds) =>
        SendMsgCore(socket, ioVectors, fds, null, "send_msg");

    /// <summary>
    /// <see cref="SendMsg"/> to the address <paramref name="destination"/>, for a socket that is
    /// not connected (a Unix-domain or UDP datagram socket).
    /// <para>Lwt: <c>Lwt_unix.send_msgto</c></para>
    /// </summary>
    /// <param name="socket">The socket.</param>
    /// <param name="ioVectors">The buffers (only the first 1024 are used).</param>
    /// <param name="fds">Raw descriptors to pass; they must stay open until the promise resolves.</param>
    /// <param name="destination">Where to send (an <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fds"/> holds a negative descriptor, or more than 253.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is neither an <see cref="System.Net.IPEndPoint"/> nor a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>.</exception>
    /// <exception cref="ObjectDisposedException">The memory of one of the buffers was released (a mapping after <see cref="LwtBytes.Unmap"/>).</exception>
    public static Promise<int> SendMsgTo(LwtFd socket, IReadOnlyList<ReadOnlyMemory<byte>> ioVectors, IReadOnlyList<int> fds, EndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(destination);
        SocketAddresses.Check(destination, nameof(destination));
        return SendMsgCore(socket, ioVectors, fds, destination, "send_msgto");
    }

    private static Promise<int> SendMsgCore(LwtFd socket, IReadOnlyList<ReadOnlyMemory<byte>> ioVectors, IReadOnlyList<int> fds, EndPoint? destination, string function)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(ioVectors);
        ArgumentNullException.ThrowIfNull(fds);
        if (fds.Count != 0) LwtSys.Require(Feature.FdPassing);
        if (fds.Count > LibC.ScmMaxFd)
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Count, $"Linux passes at most {LibC.ScmMaxFd} descriptors in one message: send them in several.");
        foreach (int d in fds)
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(fds), d, "A descriptor is not negative (a closed LwtFd's Fd is -1).");
        if (NeedsPins(ioVectors))
            return WithPins(ioVectors, (socket, fds, destination, function), static (a, pinned) => SendMsgCore(a.socket, pinned, a.fds, a.destination, a.function));
        if (!socket.TryGetFd(function, out int raw, out var error)) return Promise.Fail<int>(error!);
        return AttemptOrWait(socket, raw, new SendMsgOp(socket, ioVectors, fds, destination, function));
    }

    /// <summary>
    /// Pins the first IOV_MAX slices for one call: fills <paramref name="iov"/> and returns the
    /// handles to dispose after it.
    /// </summary>
    private static unsafe System.Buffers.MemoryHandle[] PinVectors<TMemory>(IReadOnlyList<TMemory> slices, LibC.IoVec* iov, int count, Func<TMemory, (System.Buffers.MemoryHandle, int)> pin)
    {
        var handles = new System.Buffers.MemoryHandle[count];
        for (int i = 0; i < count; i++)
        {
            var (handle, length) = pin(slices[i]);
            handles[i] = handle;
            iov[i].Base = handle.Pointer;
            iov[i].Length = (nuint)length;
        }

        return handles;
    }

    /// <summary>Releases the pins without disturbing the errno of the call made between.</summary>
    private static void Unpin(System.Buffers.MemoryHandle[]? handles)
    {
        if (handles is null) return;
        int saved = Marshal.GetLastPInvokeError();
        foreach (var h in handles) h.Dispose();
        Marshal.SetLastPInvokeError(saved);
    }

    /// <summary>One sendmsg (EINTR retried, no SIGPIPE); -1 with errno on failure.</summary>
    private static unsafe nint SysSendMsg(int fd, IReadOnlyList<ReadOnlyMemory<byte>> ioVectors, IReadOnlyList<int> fds, EndPoint? destination)
    {
        int count = Math.Min(ioVectors.Count, 1024);
        LibC.IoVec* iov = stackalloc LibC.IoVec[Math.Max(count, 1)];
        byte* address = stackalloc byte[SocketAddresses.MaxLength];
        int controlLength = fds.Count == 0 ? 0 : LibC.CMsgSpace(fds.Count * sizeof(int));
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        System.Buffers.MemoryHandle[]? handles = null;
        try
        {
            handles = PinVectors(ioVectors, iov, count, static m => (m.Pin(), m.Length));
            LibC.MsgHdr message = new() { Iov = iov, IovLength = (nuint)count };
            if (destination is not null)
            {
                message.Name = address;
                message.NameLength = SocketAddresses.Write(destination, new Span<byte>(address, SocketAddresses.MaxLength));
            }

            if (controlLength != 0)
            {
                new Span<byte>(control, controlLength).Clear();
                var header = (LibC.CMsgHdr*)control;
                header->Length = (nuint)LibC.CMsgLen(fds.Count * sizeof(int));
                header->Level = LibC.SOL_SOCKET;
                header->Type = LibC.SCM_RIGHTS;
                int* data = (int*)(control + LibC.CMsgAlign(sizeof(LibC.CMsgHdr)));
                for (int i = 0; i < fds.Count; i++) data[i] = fds[i];
                message.Control = control;
                message.ControlLength = (nuint)controlLength;
            }

            nint n;
            do
            {
                n = LibC.SendMsg(fd, &message, LibC.MSG_NOSIGNAL);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            return n;
        }
        finally
        {
            Unpin(handles);
        }
    }

    /// <summary>
    /// One recvmsg (EINTR retried); -1 with errno on failure. The descriptors it received are
    /// owned by <paramref name="fds"/> at once, so that none leaks whatever happens next.
    /// </summary>
    private static unsafe nint SysRecvMsg(int fd, IReadOnlyList<Memory<byte>> ioVectors, out IReadOnlyList<SafeFileHandle> fds)
    {
        fds = Array.Empty<SafeFileHandle>();
        int count = Math.Min(ioVectors.Count, 1024);
        LibC.IoVec* iov = stackalloc LibC.IoVec[Math.Max(count, 1)];
        int controlLength = LibC.CMsgSpace(LibC.ScmMaxFd * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        System.Buffers.MemoryHandle[]? handles = null;
        try
        {
            handles = PinVectors(ioVectors, iov, count, static m => (m.Pin(), m.Length));
            LibC.MsgHdr message;
            nint n;
            do
            {
                message = new() { Iov = iov, IovLength = (nuint)count, Control = control, ControlLength = (nuint)controlLength };
                n = LibC.RecvMsg(fd, &message, LibC.MSG_CMSG_CLOEXEC);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            if (n < 0) return n;

            // Walk the control messages as CMSG_FIRSTHDR/CMSG_NXTHDR do: each header, then its
            // data, padded to size_t; the kernel sets ControlLength to what it wrote.
            List<SafeFileHandle>? received = null;
            int headerSize = LibC.CMsgAlign(sizeof(LibC.CMsgHdr));
            int offset = 0, used = (int)message.ControlLength;
            while (offset + headerSize <= used)
            {
                var header = (LibC.CMsgHdr*)(control + offset);
                int length = (int)header->Length;
                if (length < headerSize || offset + length > used) break;
                if (header->Level == LibC.SOL_SOCKET && header->Type == LibC.SCM_RIGHTS)
                {
                    int* data = (int*)(control + offset + headerSize);
                    int fdCount = (length - headerSize) / sizeof(int);
                    received ??= new List<SafeFileHandle>(fdCount);
                    for (int i = 0; i < fdCount; i++) received.Add(new SafeFileHandle(data[i], ownsHandle: true));
                }

                offset += LibC.CMsgAlign(length);
            }

            if (received is not null) fds = received;
            return n;
        }
        finally
        {
            Unpin(handles);
        }
    }

    private sealed class RecvMsgOp(LwtFd fd, IReadOnlyList<Memory<byte>> ioVectors) : FdOp<(int, IReadOnlyList<SafeFileHandle>)>(fd)
    {
        public override bool IsWrite => false;

        public override string Name => "recv_msg";

        protected override bool Run()
        {
            nint n = SysRecvMsg(Owner.Fd, ioVectors, out var fds);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EAGAIN) return false;
                SetErrno(errno);
                return true;
            }

            Result = ((int)n, fds);
            return true;
        }

        internal override void ReleasePins() => LwtUnix.ReleasePins(ioVectors);
    }

    private sealed class SendMsgOp(LwtFd fd, IReadOnlyList<ReadOnlyMemory<byte>> ioVectors, IReadOnlyList<int> fds, EndPoint? destination, string name) : CountOp(fd)
    {
        public override bool IsWrite => true;

        public override string Name => name;

        protected override bool Run() => Finish(SysSendMsg(Owner.Fd, ioVectors, fds, destination));

        internal override void ReleasePins() => LwtUnix.ReleasePins(ioVectors);
    }
}
