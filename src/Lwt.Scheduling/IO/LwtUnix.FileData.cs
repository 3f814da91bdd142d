// Data-side calls on descriptors (Lwt_unix.fsync, fdatasync, lockf, write_string,
// isatty).
//
// fsync, fdatasync and lockf wait for the disk or for another process, so they
// are jobs on LwtPreemptive's worker pool, as Lwt runs them. isatty asks the
// terminal driver a question it answers at once and runs inline. write_string
// is Write on the string's UTF-8 bytes.
//
// lockf is built, as OCaml's Unix.lockf is, on fcntl's POSIX record locks
// rather than on lockf(3): only fcntl has shared (read) locks, which Lwt's
// F_RLOCK and F_TRLOCK ask for. The region starts at the descriptor's current
// position. POSIX record locks belong to the process: a second lock of the same
// region from this process (through any descriptor) never conflicts, it
// replaces the first, and closing ANY descriptor of the file releases all of
// the process's locks on it. Only another process (or an open file description
// lock, F_OFD_SETLK) can make a lock wait or fail.

using System.Runtime.InteropServices;
using System.Text;

namespace Lwt;

/// <summary>
/// What <see cref="LwtUnix.LockF"/> does with the region.
/// <para>Lwt: <c>Lwt_unix.lock_command</c></para>
/// </summary>
public enum LockCommand
{
    /// <summary>F_ULOCK: unlocks the region.</summary>
    Unlock,

    /// <summary>F_LOCK: locks the region for writing, waiting while another process holds a lock on part of it.</summary>
    Lock,

    /// <summary>F_TLOCK: locks the region for writing, or fails at once (EACCES or EAGAIN) if another process holds a lock on part of it.</summary>
    TryLock,

    /// <summary>F_TEST: succeeds if the region could be locked for writing now, fails with EACCES if another process holds a lock on part of it; locks nothing.</summary>
    Test,

    /// <summary>F_RLOCK: locks the region for reading (shared), waiting while another process holds a write lock on part of it.</summary>
    ReadLock,

    /// <summary>F_TRLOCK: locks the region for reading, or fails at once (EACCES or EAGAIN) if another process holds a write lock on part of it.</summary>
    TryReadLock,
}

public static partial class LwtUnix
{
    /// <summary>
    /// Flushes the file's data and metadata to the storage device (a job on the worker pool);
    /// EBADF if the descriptor is closed, EINVAL for a descriptor that cannot be synced (a pipe).
    /// <para>Lwt: <c>Lwt_unix.fsync</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise FSync(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return FdJob(fd, LibC.FSync, "fsync");
    }

    /// <summary>
    /// Flushes the file's data, and only the metadata needed to read it back (its size), to the
    /// storage device (a job on the worker pool); errors as <see cref="FSync"/>.
    /// <para>Lwt: <c>Lwt_unix.fdatasync</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise FDataSync(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return FdJob(fd, LibC.FDataSync, "fdatasync");
    }

    /// <summary>
    /// Locks, unlocks or tests a region of the file with a POSIX record lock (a job on the
    /// worker pool: <see cref="LockCommand.Lock"/> and <see cref="LockCommand.ReadLock"/> may
    /// wait for another process, and cannot be canceled). The region starts at the
    /// descriptor's current position and spans <paramref name="length"/> bytes forward; a
    /// negative length spans that many bytes before the position instead; 0 spans to the end
    /// of the file and beyond, however it grows. Locks belong to the process (see the file's
    /// overview): they never conflict with each other within it, and closing any descriptor of
    /// the file releases them all. A write lock needs a descriptor open for writing, a read
    /// lock one open for reading (EBADF otherwise).
    /// <para>
    /// The call runs on a worker thread (see <see cref="CancelJobs"/>): canceling the promise of
    /// a waiting <see cref="LockCommand.Lock"/> or <see cref="LockCommand.ReadLock"/> (a
    /// <see cref="WithTimeout{T}"/> or <see cref="Promise.Pick{T}(IEnumerable{Promise{T}})"/>
    /// that gives up) stops only the wait. The system call goes on waiting, and takes the lock
    /// when the holder releases it: the process then holds a lock that nothing told it about,
    /// and other processes wait for it. For a wait with a time limit, poll with
    /// <see cref="LockCommand.TryLock"/> and <see cref="Sleep(double)"/> instead.
    /// </para>
    /// <para>Lwt: <c>Lwt_unix.lockf</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="command">What to do.</param>
    /// <param name="length">The size of the region (see above).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="command"/> is not a <see cref="LockCommand"/>,
    /// or <paramref name="length"/> is <see cref="long.MinValue"/> (a region of 2^63 bytes before the position).</exception>
    /// <exception cref="PlatformNotSupportedException">A 32-bit process (struct flock has another layout there).</exception>
    public static Promise LockF(LwtFd fd, LockCommand command, long length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if ((uint)command > (uint)LockCommand.TryReadLock)
            throw new ArgumentOutOfRangeException(nameof(command), command, "Pass one of the LockCommand values.");
        ArgumentOutOfRangeException.ThrowIfEqual(length, long.MinValue);
        if (!Environment.Is64BitProcess)
            throw new PlatformNotSupportedException("LwtUnix.LockF needs a 64-bit process: struct flock is only mapped for 64-bit Linux.");
        return FdJob(fd, raw => LockNow(raw, command, length), "lockf");
    }

    /// <summary>One fcntl call for <paramref name="command"/> (EINTR retried), as OCaml's Unix.lockf maps the commands.</summary>
    private static unsafe int LockNow(int raw, LockCommand command, long length)
    {
        LibC.Flock lck = new()
        {
            Whence = LibC.SEEK_CUR,
            Start = length < 0 ? length : 0,
            Length = length < 0 ? -length : length,
            Type = command switch
            {
                LockCommand.Unlock => LibC.F_UNLCK,
                LockCommand.ReadLock or LockCommand.TryReadLock => LibC.F_RDLCK,
                _ => LibC.F_WRLCK,
            },
        };
        int cmd = command switch
        {
            LockCommand.Lock or LockCommand.ReadLock => LibC.F_SETLKW,
            LockCommand.Test => LibC.F_GETLK,
            _ => LibC.F_SETLK,
        };

        int rc;
        do
        {
            rc = LibC.FcntlLock(raw, cmd, &lck);
        }
        while (rc < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);

        // F_GETLK succeeds either way and describes a conflicting lock in place, if there is one.
        if (rc == 0 && command == LockCommand.Test && lck.Type != LibC.F_UNLCK)
        {
            Marshal.SetLastPInvokeError(LibC.EACCES);
            return -1;
        }

        return rc;
    }

    /// <summary>
    /// Writes the UTF-8 encoding of <paramref name="text"/>, as <see cref="Write(LwtFd, ReadOnlyMemory{byte})"/> writes a
    /// buffer: the promise gives the number of bytes written, which may be fewer than asked.
    /// <para>Lwt: <c>Lwt_unix.write_string</c> (the whole string)</para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<int> WriteString(LwtFd fd, string text)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(text);
        return Write(fd, Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Writes part of the UTF-8 encoding of <paramref name="text"/>, as <see cref="Write(LwtFd, ReadOnlyMemory{byte})"/>
    /// does. An OCaml string is bytes, and Lwt's offset and length count bytes: here too
    /// <paramref name="offset"/> and <paramref name="length"/> count bytes of the UTF-8
    /// encoding, not chars (they equal char positions only for ASCII text), and may cut a
    /// character's encoding in two. The promise gives the number of bytes written, which may
    /// be fewer than <paramref name="length"/>: continue from <c>offset + written</c>.
    /// <para>Lwt: <c>Lwt_unix.write_string</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="text">The text.</param>
    /// <param name="offset">The first byte of the encoding to write.</param>
    /// <param name="length">How many bytes of the encoding to write, at most.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="length"/> is
    /// negative, or they reach past the end of the encoding.</exception>
    public static Promise<int> WriteString(LwtFd fd, string text, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(text);
        return Write(fd, Utf8Range(text, offset, length));
    }

    /// <summary>
    /// The bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/>
    /// of the UTF-8 encoding of <paramref name="text"/>: what WriteString and PWriteString write
    /// (Lwt's offsets count a string's bytes).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset or length, or a range past the encoding's end.</exception>
    private static Memory<byte> Utf8Range(string text, int offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (offset > bytes.Length - length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"offset + length ({(long)offset + length}) is past the end of the text's {bytes.Length} UTF-8 bytes (they count bytes, not chars: use Encoding.UTF8.GetByteCount).");
        return bytes.AsMemory(offset, length);
    }

    /// <summary>
    /// Whether the descriptor is a terminal (run at once: the driver answers without waiting);
    /// EBADF if the descriptor is closed.
    /// <para>Lwt: <c>Lwt_unix.isatty</c></para>
    /// </summary>
    /// <param name="fd">The descriptor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static Promise<bool> IsAtty(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (!fd.TryGetFd("isatty", out int raw, out var error)) return Promise.Fail<bool>(error!);
        return Promise.Return(LibC.IsAtty(raw) == 1);
    }
}
