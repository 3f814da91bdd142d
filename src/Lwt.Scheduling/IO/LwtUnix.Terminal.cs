// Terminal line control (Lwt_unix.tcdrain, tcflush, tcflow, tcsendbreak).
//
// tcdrain waits until the terminal has sent all of its output, which on a slow serial line
// (or a pseudo-terminal whose other side does not read) can take any time, and
// tcsendbreak holds the line for a fraction of a second: like Lwt, all four run as jobs on
// the worker pool, so the loop never waits for the line. They work on any descriptor that
// is a terminal, whether the LwtFd is blocking or not; any other descriptor gets ENOTTY.
// tcgetattr/tcsetattr, with their record of 38 fields, are in LwtUnix.TerminalIO.cs.

namespace Lwt;

/// <summary>
/// Which queue of a terminal <see cref="LwtUnix.TcFlush"/> discards.
/// <para>Lwt: <c>Lwt_unix.flush_queue</c></para>
/// </summary>
public enum FlushQueue
{
    /// <summary>TCIFLUSH: the bytes received but not read yet.</summary>
    Input = 0,

    /// <summary>TCOFLUSH: the bytes written but not sent yet.</summary>
    Output = 1,

    /// <summary>TCIOFLUSH: both.</summary>
    InputOutput = 2,
}

/// <summary>
/// What <see cref="LwtUnix.TcFlow"/> does to the flow of a terminal.
/// <para>Lwt: <c>Lwt_unix.flow_action</c></para>
/// </summary>
public enum FlowAction
{
    /// <summary>TCOOFF: suspends output.</summary>
    OutputOff = 0,

    /// <summary>TCOON: restarts suspended output.</summary>
    OutputOn = 1,

    /// <summary>TCIOFF: sends a STOP character, asking the other end to stop sending.</summary>
    InputOff = 2,

    /// <summary>TCION: sends a START character, asking the other end to send again.</summary>
    InputOn = 3,
}

public static partial class LwtUnix
{
    /// <summary>
    /// Waits until all the output written to the terminal has been sent (a job on the worker
    /// pool; not cancelable). ENOTTY if the descriptor is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcdrain</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise TcDrain(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return FdJob(fd, LibC.TcDrain, "tcdrain");
    }

    /// <summary>
    /// Discards the bytes waiting in one or both queues of the terminal (a job on the worker
    /// pool). ENOTTY if the descriptor is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcflush</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <param name="queue">Which queue.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queue"/> is not a <see cref="FlushQueue"/>.</exception>
    public static Promise TcFlush(LwtFd fd, FlushQueue queue)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if ((uint)queue > (uint)FlushQueue.InputOutput)
            throw new ArgumentOutOfRangeException(nameof(queue), queue, "Pass one of the FlushQueue values.");
        return FdJob(fd, raw => LibC.TcFlush(raw, (int)queue), "tcflush");
    }

    /// <summary>
    /// Suspends or restarts the flow of the terminal's output, or asks the other end to (a job
    /// on the worker pool). ENOTTY if the descriptor is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcflow</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <param name="action">What to do.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="action"/> is not a <see cref="FlowAction"/>.</exception>
    public static Promise TcFlow(LwtFd fd, FlowAction action)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if ((uint)action > (uint)FlowAction.InputOn)
            throw new ArgumentOutOfRangeException(nameof(action), action, "Pass one of the FlowAction values.");
        return FdJob(fd, raw => LibC.TcFlow(raw, (int)action), "tcflow");
    }

    /// <summary>
    /// Sends a break (a stream of zero bits) on a serial line (a job on the worker pool). Linux
    /// ignores <paramref name="duration"/> and always sends 0.25 to 0.5 seconds of break; a
    /// terminal without a line (a pseudo-terminal) accepts the call and sends nothing. ENOTTY
    /// if the descriptor is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcsendbreak</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <param name="duration">The duration, in a unit the system defines (0: the default; ignored by Linux).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    public static Promise TcSendBreak(LwtFd fd, int duration)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(duration);
        return FdJob(fd, raw => LibC.TcSendBreak(raw, duration), "tcsendbreak");
    }
}
