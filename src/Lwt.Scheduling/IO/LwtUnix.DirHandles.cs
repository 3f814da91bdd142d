// The working directory and directory streams (Lwt_unix.getcwd, chdir, chroot,
// opendir, readdir, readdir_n, rewinddir, closedir, and files_of_directory on
// top of them). All are jobs on LwtPreemptive's worker pool, as Lwt runs them: a
// directory may live on a slow or remote file system.
//
// A DirHandle owns a libc DIR* through a SafeHandle. Two invariants keep it
// sound while jobs run on other threads:
//  - the DIR* is never freed under a running call: every job holds a reference
//    on the SafeHandle (DangerousAddRef) for the call's duration, so closedir
//    runs when the last such call returns, not in the middle of one;
//  - calls on one DIR* never overlap: readdir and rewinddir change the
//    stream's position, and a DIR* is not safe for concurrent use, so each job
//    holds the handle's lock around its call. Two ReadDir started without
//    waiting for each other thus get distinct entries, in some order.
// After CloseDir (or Dispose), every call rejects with EBADF, as Lwt does on a
// closed dir_handle (CloseDir on a closed handle too): at once, before any job,
// with Lwt's function name ("Lwt_unix.readdir", "Lwt_unix.readdir_n",
// "Lwt_unix.rewinddir", "Lwt_unix.closedir") and an empty argument.
//
// Listing a directory by path (FilesOfDirectory, ReadDir(string)) goes through
// the same opendir/readdir/closedir, never through .NET's enumeration, so that
// it fails exactly as opendir does: the kernel's errno, EACCES included, as a
// UnixErrorException from "opendir" with the path.

using System.Runtime.InteropServices;
using System.Text;

namespace Lwt;

/// <summary>
/// An open directory stream, from <see cref="LwtUnix.OpenDir"/>: read it with
/// <see cref="LwtUnix.ReadDir(DirHandle)"/> or <see cref="LwtUnix.ReadDirN"/>, close it with
/// <see cref="LwtUnix.CloseDir"/> or <see cref="Dispose"/>. Usable from any loop.
/// <para>Lwt: <c>Lwt_unix.dir_handle</c></para>
/// </summary>
public sealed class DirHandle : IDisposable
{
    private readonly SafeDirHandle _dir;
    private readonly Lock _gate = new();

    internal DirHandle(SafeDirHandle dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    /// <summary>
    /// The path the directory was opened with.
    /// <para>Lwt: none (Lwt's dir_handle is opaque; kept for error messages and debugging)</para>
    /// </summary>
    public string Path { get; }

    /// <summary>
    /// True once the handle was closed.
    /// <para>Lwt: none (a closed dir_handle raises EBADF when used)</para>
    /// </summary>
    public bool IsClosed => _dir.IsClosed;

    /// <summary>
    /// Closes the directory stream if it is open (errors ignored); a call running on it
    /// finishes first.
    /// <para>Lwt: <c>Lwt_unix.closedir</c> (ignoring its errors)</para>
    /// </summary>
    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Runs <paramref name="call"/> on the DIR*, holding a reference and the lock (file
    /// comment); EBADF (<see cref="ClosedError"/>) if the handle is closed.
    /// </summary>
    internal T Use<T>(string function, Func<nint, T> call)
    {
        bool added = false;
        try
        {
            _dir.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw ClosedError(function);
        }

        try
        {
            lock (_gate)
            {
                // Closed between the reference and the lock: the DIR* is still allocated
                // (our reference defers closedir) but the handle is closed to its users.
                if (_dir.IsClosed) throw ClosedError(function);
                return call(_dir.DangerousGetHandle());
            }
        }
        finally
        {
            if (added) _dir.DangerousRelease();
        }
    }

    /// <summary>
    /// The error of <paramref name="function"/> (Lwt_unix's name without the module) on a
    /// closed handle: Lwt's <c>Unix_error (EBADF, "Lwt_unix.readdir", "")</c> and its likes.
    /// </summary>
    internal static UnixErrorException ClosedError(string function) => new(LibC.EBADF, "Lwt_unix." + function, string.Empty);

    /// <summary>Closes now (or when the running call returns); false if it was closed already.</summary>
    internal bool Close()
    {
        lock (_gate)
        {
            if (_dir.IsClosed) return false;
            _dir.Dispose();
            return true;
        }
    }

    /// <summary>A DIR* from opendir, released by closedir.</summary>
    internal sealed class SafeDirHandle() : SafeHandle(0, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        internal static SafeDirHandle Of(nint dir)
        {
            var h = new SafeDirHandle();
            h.SetHandle(dir);
            return h;
        }

        protected override bool ReleaseHandle() => LibC.CloseDir(handle) == 0;
    }
}

public static partial class LwtUnix
{
    /// <summary>
    /// The current working directory of the process (a job on the worker pool).
    /// <para>Lwt: <c>Lwt_unix.getcwd</c></para>
    /// </summary>
    public static Promise<string> GetCwd() => Job(GetCwdNow);

    /// <summary>getcwd(3) with a buffer that doubles while it is too small (ERANGE).</summary>
    private static unsafe string GetCwdNow()
    {
        for (int size = 512; ; size *= 2)
        {
            byte[] buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                if (LibC.GetCwd(p, (nuint)size) != null)
                    return Encoding.UTF8.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.ERANGE) throw new UnixErrorException(errno, "getcwd");
        }
    }

    /// <summary>
    /// Changes the working directory of the whole process (a job on the worker pool): relative
    /// paths everywhere, other threads and .NET's <see cref="Environment.CurrentDirectory"/>
    /// included, resolve from there afterwards.
    /// <para>Lwt: <c>Lwt_unix.chdir</c></para>
    /// </summary>
    /// <param name="path">The new working directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise ChDir(string path)
    {
        CheckPath(path);
        return PathJob(() => LibC.ChDir(path), "chdir", path);
    }

    /// <summary>
    /// Changes the root directory of the process (a job on the worker pool); needs
    /// CAP_SYS_CHROOT (EPERM otherwise).
    /// <para>Lwt: <c>Lwt_unix.chroot</c></para>
    /// </summary>
    /// <param name="path">The new root directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise ChRoot(string path)
    {
        CheckPath(path);
        return PathJob(() => LibC.ChRoot(path), "chroot", path);
    }

    /// <summary>
    /// Opens a directory for reading its entries one by one (a job on the worker pool). The
    /// handle holds a descriptor until <see cref="CloseDir"/> or
    /// <see cref="DirHandle.Dispose"/>. ENOENT, ENOTDIR, EACCES as the kernel says.
    /// <para>Lwt: <c>Lwt_unix.opendir</c></para>
    /// </summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<DirHandle> OpenDir(string path)
    {
        CheckPath(path);
        return Job(() => OpenDirNow(path));
    }

    /// <summary>opendir(3) on the calling thread: the open handle, or opendir's errno.</summary>
    private static DirHandle OpenDirNow(string path)
    {
        nint dir = LibC.OpenDir(path);
        if (dir == 0) throw UnixErrorException.FromLastError("opendir", path);
        return new DirHandle(DirHandle.SafeDirHandle.Of(dir), path);
    }

    /// <summary>
    /// The next entry's name (<c>.</c> and <c>..</c> included, in the file system's order) (a
    /// job on the worker pool). After the last entry the promise is rejected with
    /// <see cref="EndOfStreamException"/>, as Lwt raises End_of_file. EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.readdir</c></para>
    /// </summary>
    /// <param name="handle">The open directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    public static Promise<string> ReadDir(DirHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return Promise.Fail<string>(DirHandle.ClosedError("readdir"));
        return Job(() => handle.Use("readdir", dir =>
            NextEntry(dir, handle) ?? throw new EndOfStreamException($"No more entries in {handle.Path}.")));
    }

    /// <summary>
    /// Up to <paramref name="count"/> next entries' names (a job on the worker pool). Fewer
    /// than <paramref name="count"/> means the end of the directory was reached (an empty
    /// array: it had been); no end-of-file error. EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.readdir_n</c></para>
    /// </summary>
    /// <param name="handle">The open directory.</param>
    /// <param name="count">The most entries to read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static Promise<string[]> ReadDirN(DirHandle handle, int count)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (handle.IsClosed) return Promise.Fail<string[]>(DirHandle.ClosedError("readdir_n"));
        return Job(() => handle.Use("readdir_n", dir =>
        {
            var names = new List<string>(Math.Min(count, 256));
            while (names.Count < count && NextEntry(dir, handle) is { } name) names.Add(name);
            return names.ToArray();
        }));
    }

    /// <summary>
    /// Restarts the listing: the next read gives the first entry again (and sees entries
    /// created since) (a job on the worker pool). EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.rewinddir</c></para>
    /// </summary>
    /// <param name="handle">The open directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    public static Promise RewindDir(DirHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return Promise.Fail(DirHandle.ClosedError("rewinddir"));
        return Job(() => handle.Use("rewinddir", dir =>
        {
            LibC.RewindDir(dir);
            return 0;
        }));
    }

    /// <summary>
    /// Closes the directory stream (a job on the worker pool; a read running on it finishes
    /// first). Closing a closed handle rejects with EBADF.
    /// <para>Lwt: <c>Lwt_unix.closedir</c></para>
    /// </summary>
    /// <param name="handle">The open directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    public static Promise CloseDir(DirHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed) return Promise.Fail(DirHandle.ClosedError("closedir"));
        return Job(() =>
        {
            // Closed by another call since the check above (two CloseDir started together).
            if (!handle.Close()) throw DirHandle.ClosedError("closedir");
        });
    }

    /// <summary>
    /// The names in a directory, <c>.</c> and <c>..</c> included, in the order readdir gives
    /// them (a job on the worker pool that opens, reads to the end and closes the directory,
    /// so no descriptor outlives the call). Fails as opendir does: a
    /// <see cref="UnixErrorException"/> from <c>opendir</c> with the kernel's errno (ENOENT,
    /// ENOTDIR, ELOOP, EACCES, ...) and the path; a failed read is one from <c>readdir</c>.
    /// <para>Lwt: <c>Lwt_unix.opendir</c>, <c>Lwt_unix.readdir_n</c> to the end, then
    /// <c>Lwt_unix.closedir</c> (the whole directory at once)</para>
    /// </summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static Promise<IReadOnlyList<string>> ReadDir(string path)
    {
        CheckPath(path);
        return Job<IReadOnlyList<string>>(() =>
        {
            // Disposing closes the DIR* whether the reads ended or failed, as files_of_directory
            // closes the handle when readdir_n fails.
            using var handle = OpenDirNow(path);
            return handle.Use("readdir", dir =>
            {
                var names = new List<string>();
                while (NextEntry(dir, handle) is { } name) names.Add(name);
                return names;
            });
        });
    }

    /// <summary>
    /// The names in a directory as a stream (<c>.</c> and <c>..</c> included, in the order
    /// readdir gives them). Nothing is opened until the stream is first read; then the
    /// directory is opened and read by chunks of 1024 names (jobs on the worker pool), and
    /// closed after the last chunk, or when a read fails. A directory of fewer than 1024
    /// entries is thus closed before its first name is handed out; a larger one stays open
    /// between chunks, and is closed by the garbage collector if the stream is dropped before
    /// its end. Fails as opendir does: a <see cref="UnixErrorException"/> from <c>opendir</c>
    /// with the kernel's errno (ENOENT, ENOTDIR, ELOOP, EACCES, ...) and the path. A failed
    /// opendir leaves the stream unstarted: the next read tries to open the directory again.
    /// <para>Lwt: <c>Lwt_unix.files_of_directory</c></para>
    /// </summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (nothing is done: the system would see only the part before it).</exception>
    public static LwtStream<string> FilesOfDirectory(string path)
    {
        CheckPath(path);
        return LwtStream.Concat(LwtStream.From(new DirectoryChunks(path).Next));
    }

    /// <summary>
    /// The chunks of <see cref="FilesOfDirectory"/>, in Lwt's three states: not started
    /// (<see cref="_handle"/> null, <see cref="_done"/> false), listing (a handle kept open
    /// between chunks) and done. The stream never runs two calls of <see cref="Next"/> at
    /// once (Lwt_stream.from shares the call in flight), so the fields need no lock.
    /// </summary>
    private sealed class DirectoryChunks(string path)
    {
        private const int ChunkSize = 1024;
        private DirHandle? _handle;
        private bool _done;

        public async Promise<Option<LwtStream<string>>> Next()
        {
            if (_done) return Option<LwtStream<string>>.None;

            // A failed opendir changes no state, so the next read opens again. Once open, the
            // handle is kept until the end even if a read fails and closes it: a later read
            // then fails with EBADF, as Lwt's stream stays in its listing state.
            var handle = _handle ?? await OpenDir(path);
            string[] names;
            try
            {
                names = await ReadDirN(handle, ChunkSize);
            }
            catch
            {
                await CloseDir(handle);
                throw;
            }

            if (names.Length < ChunkSize)
            {
                // The end: drop the handle before closing it, so that a failed closedir leaves
                // a finished stream, not one that reads a closed handle.
                _done = true;
                _handle = null;
                await CloseDir(handle);
            }
            else
            {
                // More may follow: keep the handle open for the next chunk. If the stream is
                // dropped first, the handle's SafeHandle finalizer runs closedir, as Lwt
                // registers a finaliser on its listing state.
                _handle = handle;
            }

            return Option<LwtStream<string>>.Some(LwtStream.OfArray(names));
        }
    }

    /// <summary>
    /// One readdir64: the entry's name, or null at the end. readdir returns null for both the
    /// end and an error; only errno tells them apart (the stub cleared it before the call).
    /// </summary>
    private static unsafe string? NextEntry(nint dir, DirHandle handle)
    {
        byte* entry = LibC.ReadDir64(dir);
        if (entry != null) return Marshal.PtrToStringUTF8((nint)(entry + LibC.DirentNameOffset));
        int errno = Marshal.GetLastPInvokeError();
        if (errno != 0) throw new UnixErrorException(errno, "readdir", handle.Path);
        return null;
    }
}
