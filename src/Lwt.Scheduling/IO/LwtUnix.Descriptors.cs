// The descriptor functions of Lwt_unix that act on the descriptor itself rather than
// move bytes: the standard descriptors, lseek, abort, dup and dup2.
//
// The standard descriptors are made once per process, whichever thread asks first
// (LazyInitializer publishes one with CompareExchange): two wrappers of fd 0 would each
// register it with the engine, and epoll refuses the second (EEXIST). A thread that loses
// the race leaves its wrapper unused, and the fd open: only the published one may close it.
// LwtIO.Stdin/Stdout/Stderr are channels over these, as Lwt_io's are over Lwt_unix's.
//
// As in Lwt (of_unix_file_descr ~set_flags:false ~blocking:true), they are blocking and
// their O_NONBLOCK flag is never touched: the flag belongs to the open file, which the shell,
// the rest of a pipeline or the terminal share with this process. Set, it would stay set
// after the process ends and make their reads and writes fail with EAGAIN (and .NET's
// Console in this process). Blocking costs no worker while nothing comes: each call waits
// for readiness in the engine first, then runs as a job (LwtUnix.Fd.cs).
//
// lseek never blocks (it only moves the offset that the kernel keeps), so it runs at once
// on the calling thread, where Lwt runs it as a job; the promise is already resolved.
//
// dup and dup2 leave their result inheritable unless asked for close-on-exec (the overloads
// with cloexec), as OCaml's Unix.dup and Unix.dup2 do without ?cloexec, where everything
// else this library opens is close-on-exec. Their common use is handing a descriptor to a
// child: dup2 onto fd 0, 1 or 2 to redirect a child's (or this process's) standard streams,
// which a close-on-exec copy would take away from every program started later. dup2 replaces the
// file behind an LwtFd the program still holds, so it refuses while operations wait on that
// descriptor (they were queued for the old file), and drops the descriptor's engine events
// before the switch (LwtFd.PrepareToBeReplaced).

namespace Lwt;

public static partial class LwtUnix
{
    private static LwtFd? s_stdin, s_stdout, s_stderr;

    /// <summary>
    /// The standard input, fd 0, wrapped once for the process, in blocking mode and with its
    /// flags left as they are (file comment): O_NONBLOCK is never set on a file the shell or a
    /// pipeline shares. A read waits for input in the engine, then runs as a job on the worker
    /// pool; canceling it while it waits consumes nothing. <see cref="LwtIO.Stdin"/> reads
    /// through it. Do not close it unless the program is done with standard input.
    /// <para>
    /// A program started with standard input closed (<c>prog &lt;&amp;-</c>) does not get the
    /// exception below: the .NET runtime opens descriptors of its own while it starts (before
    /// <c>Main</c>), and the first of them takes the free number 0. This property then wraps
    /// that descriptor (in practice the read end of one of the runtime's internal pipes):
    /// <see cref="IsAtty"/> is false, <see cref="TcGetAttr"/> fails with ENOTTY, and a read
    /// waits for ever, where an OCaml program would get EBADF. Start such a program with
    /// <c>&lt;/dev/null</c> instead, which gives end of input at once.
    /// </para>
    /// <para>Lwt: <c>Lwt_unix.stdin</c></para>
    /// </summary>
    /// <exception cref="UnixErrorException">fd 0 is not open (which a .NET process rarely sees: see above).</exception>
    public static LwtFd Stdin => LazyInitializer.EnsureInitialized(ref s_stdin, static () => LwtFd.Standard(0));

    /// <summary>
    /// The standard output, fd 1, wrapped once for the process, in blocking mode and with its
    /// flags left as they are (as <see cref="Stdin"/>). <see cref="LwtIO.Stdout"/> writes
    /// through it.
    /// <para>Lwt: <c>Lwt_unix.stdout</c></para>
    /// </summary>
    /// <exception cref="UnixErrorException">fd 1 is not open.</exception>
    public static LwtFd Stdout => LazyInitializer.EnsureInitialized(ref s_stdout, static () => LwtFd.Standard(1));

    /// <summary>
    /// The standard error, fd 2, wrapped once for the process, in blocking mode and with its
    /// flags left as they are (as <see cref="Stdin"/>). <see cref="LwtIO.Stderr"/> writes
    /// through it.
    /// <para>Lwt: <c>Lwt_unix.stderr</c></para>
    /// </summary>
    /// <exception cref="UnixErrorException">fd 2 is not open.</exception>
    public static LwtFd Stderr => LazyInitializer.EnsureInitialized(ref s_stderr, static () => LwtFd.Standard(2));

    /// <summary>
    /// Moves the descriptor's file offset: to <paramref name="offset"/> bytes from the start
    /// (<see cref="SeekOrigin.Begin"/>, Lwt's <c>SEEK_SET</c>), from the current offset
    /// (<see cref="SeekOrigin.Current"/>, <c>SEEK_CUR</c>) or from the end
    /// (<see cref="SeekOrigin.End"/>, <c>SEEK_END</c>). The promise gives the new offset from
    /// the start. It rejects with <see cref="UnixErrorException"/>: ESPIPE on a pipe, socket or
    /// terminal, EINVAL for a negative result, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.lseek</c> (and <c>Lwt_unix.LargeFile.lseek</c>: offsets are 64-bit)</para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="offset">The offset, relative to <paramref name="origin"/>.</param>
    /// <param name="origin">Where <paramref name="offset"/> counts from.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="origin"/> is not a <see cref="SeekOrigin"/> value.</exception>
    public static Promise<long> LSeek(LwtFd fd, long offset, SeekOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(fd);
        int whence = origin switch
        {
            SeekOrigin.Begin => LibC.SEEK_SET,
            SeekOrigin.Current => LibC.SEEK_CUR,
            SeekOrigin.End => LibC.SEEK_END,
            _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "Begin, Current or End."),
        };
        if (!fd.TryGetFd("lseek", out int raw, out var error)) return Promise.Fail<long>(error!);
        long result = LibC.LSeek(raw, offset, whence);
        return result < 0 ? Promise.Fail<long>(UnixErrorException.FromLastError("lseek")) : Promise.Return(result);
    }

    /// <summary>
    /// Makes every current and later use of <paramref name="fd"/> fail with
    /// <paramref name="exception"/>: the reads and writes waiting on it reject with it now (in
    /// the order they were made, reads first), and every later call rejects (or throws, for
    /// the functions that answer at once) with it. Only <see cref="LwtFd.Close"/> still works,
    /// and closes the descriptor. On a closed descriptor it does nothing; on an aborted one it
    /// replaces the exception. As in Lwt, a call already running on the worker pool (a
    /// blocking descriptor's read or write) is not stopped.
    /// <para>Lwt: <c>Lwt_unix.abort</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="exception">What every use fails with from now on.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void Abort(LwtFd fd, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(exception);
        fd.Abort(exception);
    }

    /// <summary>
    /// A new descriptor for the same open file (the lowest free number), used as
    /// <paramref name="fd"/> is (blocking or not). It is inheritable: a program started later
    /// gets it, as with OCaml's <c>Unix.dup</c> without <c>~cloexec</c> (use
    /// <see cref="Dup(LwtFd, bool)"/> for a close-on-exec copy). The two share the file offset
    /// and the file status flags; closing one leaves the other open.
    /// <para>Lwt: <c>Lwt_unix.dup</c></para>
    /// </summary>
    /// <param name="fd">The descriptor to copy.</param>
    /// <returns>The copy; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), or the process has no free descriptor (EMFILE).</exception>
    public static LwtFd Dup(LwtFd fd) => Dup(fd, cloexec: false);

    /// <summary>
    /// A new descriptor for the same open file (the lowest free number), used as
    /// <paramref name="fd"/> is (blocking or not); close-on-exec if <paramref name="cloexec"/>,
    /// else inheritable. The two share the file offset and the file status flags; closing one
    /// leaves the other open.
    /// <para>Lwt: <c>Lwt_unix.dup ?cloexec</c></para>
    /// </summary>
    /// <param name="fd">The descriptor to copy.</param>
    /// <param name="cloexec">Make the copy close-on-exec (Lwt's <c>?cloexec</c>; absent, it is false).</param>
    /// <returns>The copy; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="UnixErrorException">The descriptor is closed (EBADF), or the process has no free descriptor (EMFILE).</exception>
    public static LwtFd Dup(LwtFd fd, bool cloexec)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("dup", out int raw, out var error)) throw error!;
        int copy = LibC.Fcntl(raw, cloexec ? LibC.F_DUPFD_CLOEXEC : F_DUPFD, 0);
        if (copy < 0) throw UnixErrorException.FromLastError("dup");
        return fd.Duplicate(copy);
    }

    /// <summary>fcntl's F_DUPFD: dup's copy at the lowest free number, without FD_CLOEXEC.</summary>
    private const int F_DUPFD = 0;

    /// <summary>
    /// Makes <paramref name="target"/>'s number a copy of <paramref name="source"/>: the file it
    /// named is closed (if no other descriptor holds it) and the number then names
    /// <paramref name="source"/>'s open file, inheritable, as with OCaml's <c>Unix.dup2</c>
    /// without <c>~cloexec</c>: <c>Dup2(logFile, LwtUnix.Stdout)</c> redirects the output of
    /// this process and of the programs it starts (use <see cref="Dup2(LwtFd, LwtFd, bool)"/>
    /// for a close-on-exec copy). <paramref name="target"/> keeps its wrapper and is used as
    /// <paramref name="source"/> is from then on (blocking or not). Nothing may be waiting on
    /// <paramref name="target"/>. When both are the same number, nothing changes.
    /// <para>Lwt: <c>Lwt_unix.dup2</c></para>
    /// </summary>
    /// <param name="source">The descriptor to copy.</param>
    /// <param name="target">The descriptor whose number becomes the copy.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">Reads or writes are waiting on <paramref name="target"/>:
    /// let them finish or cancel them first.</exception>
    /// <exception cref="UnixErrorException">Either descriptor is closed (EBADF), or dup3 failed.</exception>
    public static void Dup2(LwtFd source, LwtFd target) => Dup2(source, target, cloexec: false);

    /// <summary>
    /// <see cref="Dup2(LwtFd, LwtFd)"/>, with the copy close-on-exec if
    /// <paramref name="cloexec"/>, else inheritable. When both are the same number, nothing
    /// changes (not even the close-on-exec flag, as with dup2).
    /// <para>Lwt: <c>Lwt_unix.dup2 ?cloexec</c></para>
    /// </summary>
    /// <param name="source">The descriptor to copy.</param>
    /// <param name="target">The descriptor whose number becomes the copy.</param>
    /// <param name="cloexec">Make the copy close-on-exec (Lwt's <c>?cloexec</c>; absent, it is false).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">Reads or writes are waiting on <paramref name="target"/>:
    /// let them finish or cancel them first.</exception>
    /// <exception cref="UnixErrorException">Either descriptor is closed (EBADF), or dup3 failed.</exception>
    public static void Dup2(LwtFd source, LwtFd target, bool cloexec)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!source.TryGetFd("dup2", out int from, out var error)) throw error!;
        if (!target.TryGetFd("dup2", out int to, out error)) throw error!;
        if (from == to) return; // dup3 refuses equal numbers; dup2 answers them with nothing to do
        target.PrepareToBeReplaced();
        if (LibC.Dup3(from, to, cloexec ? LibC.O_CLOEXEC : 0) < 0) throw UnixErrorException.FromLastError("dup2");
        target.BecomeCopyOf(source);
    }
}
