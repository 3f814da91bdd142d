// Flags of descriptors (Lwt_unix.blocking, set_blocking, set_close_on_exec,
// clear_close_on_exec). Each is one fcntl call that never waits, so it runs at
// once on the caller's thread, as Lwt runs them (no job).
//
// Lwt keeps two blocking modes apart: the mode Lwt uses for a descriptor (jobs
// on the worker pool once it is ready, or calls tried at once that wait for
// readiness in the engine on EAGAIN: LwtFd.IsBlocking)
// and the O_NONBLOCK flag of the kernel's descriptor. SetBlocking changes the
// first and, unless told not to, makes the second match; the two must agree
// for I/O to work (a "non-blocking" descriptor whose fd blocks would stall the
// loop, a "blocking" one whose fd does not would fail its jobs with EAGAIN).

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// Whether Lwt uses blocking I/O (jobs on the worker pool) with the descriptor, as
    /// <see cref="LwtFd.IsBlocking"/> tells; this may differ from the kernel descriptor's
    /// O_NONBLOCK flag if <see cref="SetBlocking"/> was told not to set it.
    /// <para>Lwt: <c>Lwt_unix.blocking</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise<bool> Blocking(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("blocking", out _, out var error)) return Promise.Fail<bool>(error!);
        return Promise.Return(fd.IsBlocking);
    }

    /// <summary>
    /// Makes Lwt use blocking I/O with the descriptor (its reads and writes run as jobs on the
    /// worker pool, each once a poll or the engine says the descriptor is ready) or
    /// non-blocking I/O (they try their call and wait for readiness in the engine when it would
    /// block, which needs a descriptor epoll accepts: a socket, pipe or terminal, not a regular
    /// file). With <paramref name="setFlags"/> (the default) the kernel descriptor's O_NONBLOCK
    /// flag is set to match; without, the change is Lwt's only and the caller must make the
    /// flag agree. Asking for the mode the descriptor already has changes nothing else, and is
    /// allowed while operations wait.
    /// <para>Lwt: <c>Lwt_unix.set_blocking</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="blocking">True for blocking I/O, false for non-blocking I/O.</param>
    /// <param name="setFlags">Also set or clear O_NONBLOCK (Lwt's <c>?set_flags</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), or fcntl failed.</exception>
    /// <exception cref="InvalidOperationException">The mode changes while reads or writes are
    /// waiting for readiness on the descriptor: let them finish or cancel them first.</exception>
    public static void SetBlocking(LwtFd fd, bool blocking, bool setFlags = true)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("set_blocking", out int raw, out var error)) throw error!;
        // Unchanged mode: the flag may still be set to match (the waiting operations already
        // expect that mode). A change is refused while operations wait, and then leaves the
        // flag alone.
        bool unchanged = blocking == fd.IsBlocking;
        if (setFlags && (unchanged || fd.PendingReads + fd.PendingWrites == 0)) LwtFd.SetNonBlocking(raw, !blocking);
        fd.SetBlockingMode(blocking);
    }

    /// <summary>
    /// Sets FD_CLOEXEC: the descriptor is closed in a program started by exec (every
    /// descriptor this library opens already has it).
    /// <para>Lwt: <c>Lwt_unix.set_close_on_exec</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), or fcntl failed.</exception>
    public static void SetCloseOnExec(LwtFd fd) => SetCloseOnExec(fd, true, "set_close_on_exec");

    /// <summary>
    /// Clears FD_CLOEXEC: the descriptor stays open, with the same number, in a program started
    /// by exec (to hand it to a child process).
    /// <para>Lwt: <c>Lwt_unix.clear_close_on_exec</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), or fcntl failed.</exception>
    public static void ClearCloseOnExec(LwtFd fd) => SetCloseOnExec(fd, false, "clear_close_on_exec");

    private static void SetCloseOnExec(LwtFd fd, bool on, string function)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd(function, out int raw, out var error)) throw error!;
        int flags = LibC.Fcntl(raw, LibC.F_GETFD, 0);
        if (flags < 0) throw UnixErrorException.FromLastError(function);
        int wanted = on ? flags | LibC.FD_CLOEXEC : flags & ~LibC.FD_CLOEXEC;
        if (wanted != flags && LibC.Fcntl(raw, LibC.F_SETFD, wanted) < 0) throw UnixErrorException.FromLastError(function);
    }
}
