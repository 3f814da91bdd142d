// Lwt_unix's low-level interaction with descriptors: wrap_syscall, register_action,
// check_descriptor, the Retry exceptions and io_event, for code that makes its own
// non-blocking system calls (a protocol library's recvmmsg, an ioctl, a .NET Socket call on
// a wrapped socket) and wants them to wait in the loop as LwtUnix.Read does.
//
// No second readiness mechanism. An action that has to wait becomes an ActionOp: an FdOp
// (LwtFd.cs) queued on the descriptor's read or write queue, so it waits, is retried in FIFO
// order with the descriptor's other operations, is canceled (unlinked at once, the engine
// registration dropped with the last waiter) and is rejected with EBADF by Close exactly as
// a pending LwtUnix.Read is. The op is also the cancelable promise given to the caller.
//
// "Would block" is what Lwt says it is: the action throws RetryException (wait again for the
// same event), RetryReadException or RetryWriteException (wait for that event instead: the op
// leaves its queue for the other one, as a TLS read that needs to write first does), or a
// UnixErrorException with EAGAIN/EWOULDBLOCK (the same value on Linux) or EINTR. .NET's own
// form of those errors counts too: a SocketException with WouldBlock or Interrupted, which a
// non-blocking Socket.Receive/Send on the wrapped socket throws, so such a call can be the
// action as it is. Any other exception rejects the promise; a value fulfills it.
//
// Blocking descriptors. As in Lwt, WrapSyscall runs the action at once on a non-blocking
// descriptor, and on a blocking one only if poll says it is ready for the event (otherwise the
// action would block the loop): a regular file always is. A blocking descriptor that is not
// ready (a pipe wrapped with blocking: true) waits in the engine like any other. A regular
// file cannot wait there (epoll refuses it): an action that asks to retry on one is rejected
// with the engine's EPERM rather than retried forever.
//
// A closed descriptor rejects the promise with UnixErrorException (EBADF), as every LwtUnix
// operation does; Lwt raises from check_descriptor instead, before making a promise. The
// synchronous CheckDescriptor throws that same exception.
//
// The action is user code: an exception Promise.ExceptionFilter refuses escapes (from the
// call, or from the loop's dispatch of the descriptor's events) instead of rejecting.

using System.Net.Sockets;

namespace Lwt;

/// <summary>
/// The readiness an action waits for.
/// <para>Lwt: <c>Lwt_unix.io_event</c></para>
/// </summary>
public enum IoEvent
{
    /// <summary>The descriptor is readable.<para>Lwt: <c>Lwt_unix.Read</c></para></summary>
    Read,

    /// <summary>The descriptor is writable.<para>Lwt: <c>Lwt_unix.Write</c></para></summary>
    Write,
}

public static partial class LwtUnix
{
    /// <summary>
    /// Thrown by an action of <see cref="WrapSyscall"/> or <see cref="RegisterAction"/> that
    /// would block: it is queued again until the descriptor is ready for the same event.
    /// <para>Lwt: <c>Lwt_unix.Retry</c></para>
    /// </summary>
    public sealed class RetryException : Exception
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_unix.Retry</c></para></summary>
        public RetryException() : base("The action would block: retry it when the descriptor is ready.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_unix.Retry</c></para></summary>
        /// <param name="message">The message.</param>
        public RetryException(string message) : base(message) { }
    }

    /// <summary>
    /// Thrown by an action of <see cref="WrapSyscall"/> or <see cref="RegisterAction"/> that
    /// must wait until the descriptor is readable, whatever event it was waiting for.
    /// <para>Lwt: <c>Lwt_unix.Retry_read</c></para>
    /// </summary>
    public sealed class RetryReadException : Exception
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_unix.Retry_read</c></para></summary>
        public RetryReadException() : base("The action would block: retry it when the descriptor is readable.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_unix.Retry_read</c></para></summary>
        /// <param name="message">The message.</param>
        public RetryReadException(string message) : base(message) { }
    }

    /// <summary>
    /// Thrown by an action of <see cref="WrapSyscall"/> or <see cref="RegisterAction"/> that
    /// must wait until the descriptor is writable, whatever event it was waiting for.
    /// <para>Lwt: <c>Lwt_unix.Retry_write</c></para>
    /// </summary>
    public sealed class RetryWriteException : Exception
    {
        /// <summary>Creates the exception.<para>Lwt: <c>Lwt_unix.Retry_write</c></para></summary>
        public RetryWriteException() : base("The action would block: retry it when the descriptor is writable.") { }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_unix.Retry_write</c></para></summary>
        /// <param name="message">The message.</param>
        public RetryWriteException(string message) : base(message) { }
    }

    /// <summary>
    /// The descriptor number of <paramref name="fd"/> (the same as <see cref="LwtFd.Fd"/>): -1
    /// once it is closed, where Lwt answers the old number (which the system may have given to
    /// another file since).
    /// <para>Lwt: <c>Lwt_unix.unix_file_descr</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static int UnixFileDescr(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return fd.Fd;
    }

    /// <summary>
    /// Wraps a descriptor number: <see cref="LwtFd.FromFd"/> under Lwt's name (a socket or
    /// FIFO is used non-blocking, anything else through the worker pool, unless
    /// <paramref name="blocking"/> says; the wrapper owns the descriptor).
    /// <para>Lwt: <c>Lwt_unix.of_unix_file_descr</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="blocking">Force the kind of descriptor (Lwt's <c>?blocking</c>; null: guess).</param>
    /// <param name="setFlags">Set or clear O_NONBLOCK on the fd to match (Lwt's <c>?set_flags</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="UnixErrorException">fcntl failed (e.g. the fd is not open).</exception>
    public static LwtFd OfUnixFileDescr(int fd, bool? blocking = null, bool setFlags = true) => LwtFd.FromFd(fd, blocking, setFlags);

    /// <summary>
    /// Throws if <paramref name="fd"/> is closed or aborted; does nothing if it is open. An
    /// aborted descriptor throws the exception given to <see cref="Abort"/> (Lwt raises
    /// <c>Aborted</c>'s exception).
    /// <para>Lwt: <c>Lwt_unix.check_descriptor</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF, function <c>check_descriptor</c>).</exception>
    public static void CheckDescriptor(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("check_descriptor", out _, out var error)) throw error!;
    }

    /// <summary>
    /// Runs <paramref name="action"/> (a non-blocking call on <paramref name="fd"/>) now if it
    /// can, otherwise when the descriptor is ready. The action runs at once on a non-blocking
    /// descriptor, and on a blocking one when poll reports it ready for <paramref name="ioEvent"/>.
    /// If it throws <see cref="RetryException"/>, a <see cref="UnixErrorException"/> with
    /// EAGAIN/EWOULDBLOCK or EINTR, or a <see cref="SocketException"/> with
    /// <see cref="SocketError.WouldBlock"/> or <see cref="SocketError.Interrupted"/>, it is queued and run again each time the descriptor becomes
    /// ready for <paramref name="ioEvent"/>, until it returns or throws something else;
    /// <see cref="RetryReadException"/> and <see cref="RetryWriteException"/> make it wait for
    /// readability or writability instead. Its value fulfills the promise, any other exception
    /// rejects it. Canceling the waiting promise removes the action: it does not run again.
    /// Closing the descriptor rejects it with <see cref="UnixErrorException"/> (EBADF).
    /// <para>Lwt: <c>Lwt_unix.wrap_syscall</c></para>
    /// </summary>
    /// <param name="ioEvent">What the action needs: <see cref="IoEvent.Read"/> or <see cref="IoEvent.Write"/>.</param>
    /// <param name="fd">The descriptor.</param>
    /// <param name="action">The call; it runs on the loop thread and must not block.</param>
    /// <typeparam name="T">The type of the action's result.</typeparam>
    /// <returns>The action's result: resolved at once when it did not have to wait, else a cancelable pending promise.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="action"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ioEvent"/> is not a defined value.</exception>
    public static Promise<T> WrapSyscall<T>(IoEvent ioEvent, LwtFd fd, Func<T> action)
    {
        CheckAction(ioEvent, fd, action);
        if (!fd.TryGetFd("wrap_syscall", out int raw, out var error)) return Promise.Fail<T>(error!);
        IoEvent wait = ioEvent;
        try
        {
            if (!fd.IsBlocking || PollRaw(raw, ioEvent == IoEvent.Read ? LibC.POLLIN : LibC.POLLOUT, "wrap_syscall"))
                return Promise.Return(action());
        }
        catch (Exception e) when (ActionOp<T>.WouldBlock(e, ioEvent) is { } retry)
        {
            wait = retry;
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail<T>(e);
        }

        return fd.Enqueue(new ActionOp<T>(fd, wait, action, "wrap_syscall"));
    }

    /// <summary>
    /// Runs <paramref name="action"/> when <paramref name="fd"/> becomes ready for
    /// <paramref name="ioEvent"/>, without trying it first, and again at each readiness while it
    /// throws a retry exception (as in <see cref="WrapSyscall"/>, which is usually what you
    /// want). Canceling the promise removes the action. On a closed descriptor the promise is
    /// rejected with <see cref="UnixErrorException"/> (EBADF).
    /// <para>Lwt: <c>Lwt_unix.register_action</c></para>
    /// </summary>
    /// <param name="ioEvent">The readiness to wait for.</param>
    /// <param name="fd">The descriptor.</param>
    /// <param name="action">The call; it runs on the loop thread and must not block.</param>
    /// <typeparam name="T">The type of the action's result.</typeparam>
    /// <returns>A cancelable promise of the action's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="action"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ioEvent"/> is not a defined value.</exception>
    public static Promise<T> RegisterAction<T>(IoEvent ioEvent, LwtFd fd, Func<T> action)
    {
        CheckAction(ioEvent, fd, action);
        return fd.Enqueue(new ActionOp<T>(fd, ioEvent, action, "register_action"));
    }

    private static void CheckAction(IoEvent ioEvent, LwtFd fd, Delegate action)
    {
        if (ioEvent is not (IoEvent.Read or IoEvent.Write)) throw new ArgumentOutOfRangeException(nameof(ioEvent), ioEvent, "Expected IoEvent.Read or IoEvent.Write.");
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(action);
    }

    /// <summary>A queued action (file comment): waits on the queue of its current event, and moves to the other queue when the action asks.</summary>
    private sealed class ActionOp<T>(LwtFd fd, IoEvent ioEvent, Func<T> action, string name) : FdOp<T>(fd)
    {
        private IoEvent _event = ioEvent;

        /// <summary>The queue to move to, set by an attempt that asked for the other event.</summary>
        private IoEvent? _moveTo;

        public override bool IsWrite => _event == IoEvent.Write;

        public override string Name => name;

        /// <summary>The event to wait for if <paramref name="e"/> means "would block" while waiting for <paramref name="current"/>; null if it is a real failure.</summary>
        internal static IoEvent? WouldBlock(Exception e, IoEvent current) => e switch
        {
            RetryException => current,
            RetryReadException => IoEvent.Read,
            RetryWriteException => IoEvent.Write,
            // EWOULDBLOCK is EAGAIN on Linux.
            UnixErrorException { Errno: LibC.EAGAIN or LibC.EINTR } => current,
            SocketException { SocketErrorCode: SocketError.WouldBlock or SocketError.Interrupted } => current,
            _ => null,
        };

        protected override bool Run()
        {
            try
            {
                Result = action();
                return true;
            }
            catch (Exception e) when (WouldBlock(e, _event) is { } wait)
            {
                if (wait == _event) return false; // stay first in this queue
                // The other event: leave this queue now (the dispatcher unlinks a finished
                // attempt, reading IsWrite, so _event changes only in Deliver).
                _moveTo = wait;
                return true;
            }
            catch (Exception e)
            {
                Promise.ExceptionFilter.RethrowIfRefused(e);
                SetError(e);
                return true;
            }
        }

        public override void Deliver()
        {
            if (_moveTo is { } wait)
            {
                _moveTo = null;
                // Canceled (or failed by a Close) while the action ran: it must not wait again.
                if (UnderlyingT()._status != Status.Pending) return;
                _event = wait;
                Owner.Enqueue(this);
                return;
            }

            base.Deliver();
        }
    }
}
