// LwtIO: whole files as streams, temporary files and directories.
//
// LinesOfFile and CharsOfFile open the file when the stream is first read and
// close it when the stream reaches its end, as lwt_io.ml's make_stream; unlike
// Lwt, which leaves a failed read's file to the GC's finaliser, they also close
// it when a read fails. A stream dropped before its end keeps its file open
// until then: read it to the end, or use WithFile and ReadLines.
//
// Temporary names are Lwt's: prefix, six random hex digits, suffix, in the
// system's temporary directory unless told otherwise. Creation is exclusive
// (O_EXCL, mkdir) and retried with a new name when the name exists (up to 1000
// times, as Lwt); other errors (a missing directory, EACCES) fail at once,
// where Lwt retries every error a thousand times. WithTempFile and WithTempDir
// remove what they made whether the callback succeeded, failed or threw.

namespace Lwt;

public static partial class LwtIO
{
    /// <summary>
    /// The lines of a file (as <see cref="ReadLine"/> reads them) as a stream. The file is
    /// opened at the first read and closed at the end of the stream or when a read fails; a
    /// stream dropped before either has its file closed once it is garbage-collected (on the
    /// loop that opened it, when that loop next runs), as Lwt's finaliser does.
    /// <para>Lwt: <c>Lwt_io.lines_of_file</c></para>
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    public static LwtStream<string> LinesOfFile(string path)
    {
        LwtUnix.CheckPath(path); // at the call, not at the first read
        return StreamOfFile(path, static ic => ReadLineOpt(ic));
    }

    /// <summary>
    /// The bytes of a file as a stream of chars (0..255). The file is opened at the first
    /// read and closed at the end of the stream or when a read fails; a stream dropped before
    /// either has its file closed once it is garbage-collected, as with <see cref="LinesOfFile"/>.
    /// <para>Lwt: <c>Lwt_io.chars_of_file</c></para>
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    public static LwtStream<char> CharsOfFile(string path)
    {
        LwtUnix.CheckPath(path); // at the call, not at the first read
        return StreamOfFile(path, static ic => ReadCharOpt(ic));
    }

    // lwt_io.ml's make_stream: the channel, once open, is closed when it is collected
    // (Gc.finalise ignore_close ic), so a stream dropped before its end does not keep its file
    // open for the rest of the process. LwtGC runs the close on the loop that opened it.
    private static readonly Func<InputChannel, Promise> s_closeUnreachableFile = static ic =>
    {
        _ = ic.Close();
        return Promise.ReturnUnit;
    };

    private static LwtStream<T> StreamOfFile<T>(string path, Func<InputChannel, Promise<Option<T>>> next)
    {
        Promise<InputChannel>? opened = null;
        return LwtStream.From(() => (opened ??= OpenFile(Input, path).Map(static ic =>
        {
            LwtGC.Finalise(s_closeUnreachableFile, ic);
            return ic;
        })).Bind(ic => Promise.TryBind(
            () => next(ic),
            item => item.HasValue ? Promise.Return(item) : ic.Close().Map(() => item),
            e => Promise.Catch(() => ic.Close(), _ => Promise.ReturnUnit).Bind(() => Promise.Fail<Option<T>>(e)))));
    }

    /// <summary>
    /// Writes the lines of <paramref name="lines"/> (each followed by "\n") to a file, created
    /// or truncated, until the stream ends; the file is closed whatever happens.
    /// <para>Lwt: <c>Lwt_io.lines_to_file</c></para>
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="lines">The lines.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    public static Promise LinesToFile(string path, LwtStream<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return WithFile(Output, path, oc => WriteLines(oc, lines));
    }

    /// <summary>
    /// Writes the chars of <paramref name="chars"/> (bytes, 0..255) to a file, created or
    /// truncated, until the stream ends; the file is closed whatever happens.
    /// <para>Lwt: <c>Lwt_io.chars_to_file</c></para>
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="chars">The bytes, as chars.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character (thrown at the call).</exception>
    public static Promise CharsToFile(string path, LwtStream<char> chars)
    {
        ArgumentNullException.ThrowIfNull(chars);
        return WithFile(Output, path, oc => WriteChars(oc, chars));
    }

    private const int TempNameAttempts = 1000;

    /// <summary>A fresh candidate name: prefix, six random hex digits, suffix (as Lwt's temp_file_name).</summary>
    private static string TempName(string? directory, string prefix, string suffix) =>
        Path.Combine(directory ?? Path.GetTempPath(), $"{prefix}{Random.Shared.Next(0x1000000):x6}{suffix}");

    /// <summary>
    /// Creates a new file with a fresh name and opens it for writing; its path and channel.
    /// The file stays when the channel is closed (see <see cref="WithTempFile{T}"/>).
    /// <para>Lwt: <c>Lwt_io.open_temp_file</c></para>
    /// </summary>
    /// <param name="tempDir">The directory (null: the system's temporary directory).</param>
    /// <param name="prefix">The start of the name.</param>
    /// <param name="suffix">The end of the name.</param>
    /// <param name="flags">Open flags (default write-only, create, exclusive; close-on-exec is always added).</param>
    /// <param name="permissions">Permissions of the file (0o666 before the umask, as Lwt's open_file).</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> or <paramref name="suffix"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<(string Path, OutputChannel Channel)> OpenTempFile(string? tempDir = null, string prefix = "lwt_io_temp_file_", string suffix = "", OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        CheckBufferSize(bufferSize); // before a file is created that a failing channel would leave behind
        var f = flags ?? OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive;
        return Attempt(0);

        Promise<(string, OutputChannel)> Attempt(int n)
        {
            string path = TempName(tempDir, prefix, suffix);
            return Promise.Catch(
                () => OpenFile(Output, path, f, permissions, bufferSize).Map(oc => (path, oc)),
                e => e is UnixErrorException { Errno: LibC.EEXIST } && n < TempNameAttempts ? Attempt(n + 1) : Promise.Fail<(string, OutputChannel)>(e));
        }
    }

    /// <summary>
    /// Creates a temporary file (<see cref="OpenTempFile"/>), runs <paramref name="f"/> with its
    /// path and channel, then closes the channel and deletes the file, whatever
    /// <paramref name="f"/> did. A file that is already gone (<paramref name="f"/> removed or
    /// renamed it) makes the deletion fail: the promise rejects with ENOENT (unlink) even when
    /// <paramref name="f"/> succeeded, as in Lwt, whose finalizer is a plain unlink.
    /// <para>Lwt: <c>Lwt_io.with_temp_file</c></para>
    /// </summary>
    /// <param name="f">What to do with the file.</param>
    /// <param name="tempDir">The directory (null: the system's temporary directory).</param>
    /// <param name="prefix">The start of the name.</param>
    /// <param name="suffix">The end of the name.</param>
    /// <param name="flags">Open flags (default write-only, create, exclusive).</param>
    /// <param name="permissions">Permissions of the file.</param>
    /// <param name="bufferSize">The buffer size (16 to <see cref="Array.MaxLength"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<T> WithTempFile<T>(Func<string, OutputChannel, Promise<T>> f, string? tempDir = null, string prefix = "lwt_io_temp_file_", string suffix = "", OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return OpenTempFile(tempDir, prefix, suffix, flags, permissions, bufferSize).Bind(file => Promise.Finally(
            () => f(file.Path, file.Channel),
            () => Promise.Finally(() => file.Channel.Close(), () => LwtUnix.Unlink(file.Path))));
    }

    /// <inheritdoc cref="WithTempFile{T}(Func{string, OutputChannel, Promise{T}}, string?, string, string, OpenFlags?, int, int?)"/>
    public static Promise WithTempFile(Func<string, OutputChannel, Promise> f, string? tempDir = null, string prefix = "lwt_io_temp_file_", string suffix = "", OpenFlags? flags = null, int permissions = 0b110_110_110, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithTempFile<Unit>((path, oc) => f(path, oc).Bind(() => Promise.ReturnUnit), tempDir, prefix, suffix, flags, permissions, bufferSize);
    }

    /// <summary>
    /// Creates a new directory with a fresh name; its path.
    /// <para>Lwt: <c>Lwt_io.create_temp_dir</c></para>
    /// </summary>
    /// <param name="permissions">Its permissions (0o755, as Lwt).</param>
    /// <param name="parent">Where to create it (null: the system's temporary directory).</param>
    /// <param name="prefix">The start of the name.</param>
    /// <param name="suffix">The end of the name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> or <paramref name="suffix"/> is null.</exception>
    public static Promise<string> CreateTempDir(int permissions = 0b111_101_101, string? parent = null, string prefix = "lwt_io_temp_dir_", string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        return Attempt(0);

        Promise<string> Attempt(int n)
        {
            string path = TempName(parent, prefix, suffix);
            return Promise.Catch(
                () => LwtUnix.Mkdir(path, permissions).Map(() => path),
                e => e is UnixErrorException { Errno: LibC.EEXIST } && n < TempNameAttempts ? Attempt(n + 1) : Promise.Fail<string>(e));
        }
    }

    /// <summary>
    /// Creates a temporary directory (<see cref="CreateTempDir"/>), runs <paramref name="f"/>
    /// with its path, then deletes it and everything in it (<see cref="DeleteRecursively"/>),
    /// whatever <paramref name="f"/> did.
    /// <para>Lwt: <c>Lwt_io.with_temp_dir</c></para>
    /// </summary>
    /// <param name="f">What to do in the directory.</param>
    /// <param name="permissions">Its permissions.</param>
    /// <param name="parent">Where to create it (null: the system's temporary directory).</param>
    /// <param name="prefix">The start of the name.</param>
    /// <param name="suffix">The end of the name.</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<T> WithTempDir<T>(Func<string, Promise<T>> f, int permissions = 0b111_101_101, string? parent = null, string prefix = "lwt_io_temp_dir_", string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(f);
        return CreateTempDir(permissions, parent, prefix, suffix).Bind(path => Promise.Finally(() => f(path), () => DeleteRecursively(path)));
    }

    /// <inheritdoc cref="WithTempDir{T}(Func{string, Promise{T}}, int, string?, string, string)"/>
    public static Promise WithTempDir(Func<string, Promise> f, int permissions = 0b111_101_101, string? parent = null, string prefix = "lwt_io_temp_dir_", string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithTempDir<Unit>(path => f(path).Bind(() => Promise.ReturnUnit), permissions, parent, prefix, suffix);
    }

    /// <summary>
    /// Deletes a directory and everything in it. Symbolic links are removed, not followed.
    /// <para>Lwt: <c>Lwt_io.delete_recursively</c></para>
    /// </summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    public static Promise DeleteRecursively(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return DeleteTree(directory);
    }

    private static async Promise DeleteTree(string directory)
    {
        foreach (string name in await LwtUnix.ReadDir(directory))
        {
            if (name is "." or "..") continue;
            string path = Path.Combine(directory, name);
            var stats = await LwtUnix.LStat(path);
            if (stats.Kind == FileKind.Directory) await DeleteTree(path);
            else await LwtUnix.Unlink(path);
        }

        await LwtUnix.Rmdir(directory);
    }
}
