// The values that describe a child process to LwtProcess: what to run
// (ProcessCommand, Lwt_process.command), where its standard descriptors go
// (ProcessRedirection, Lwt_process.redirection) and whether it still runs
// (ProcessState, Lwt_process.state).
//
// A command keeps Lwt's shape, a program and the whole argv (argv[0]
// included), because that is what exec takes and what Lwt's callers write:
// ("ls", [|"ls"; "-l"|]). An empty program means argv[0]. The program is
// looked up in PATH when it has no '/' (execvp), as Lwt does. Of() and
// Shell() build the common cases without repeating the program name.
//
// A redirection is applied in the child between fork and exec (by
// posix_spawn's file actions, LwtProcess.Spawn.cs). The child shares the
// open file description of a copied or kept descriptor, flags included: a
// descriptor made non-blocking by LwtFd stays non-blocking in the child, which
// most programs do not expect. Hand over the plain end of LwtUnix.PipeIn /
// PipeOut, a file, or /dev/null, rather than an LwtFd in use by the loop.

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// A command to run: the program and its whole argument vector (argv[0] included), as
/// Lwt's <c>string * string array</c>. An empty <see cref="Program"/> means
/// <c>Args[0]</c>; a program without '/' is looked up in PATH.
/// <para>Lwt: <c>Lwt_process.command</c></para>
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class ProcessCommand
{
    /// <summary>
    /// A command from a program and its whole argument vector, exactly as Lwt's pair
    /// <c>(prog, args)</c>: <c>new ProcessCommand("ls", ["ls", "-l"])</c>.
    /// <para>Lwt: <c>Lwt_process.command</c></para>
    /// </summary>
    /// <param name="program">The program ("" for <c>args[0]</c>).</param>
    /// <param name="args">The argument vector, argv[0] included.</param>
    /// <exception cref="ArgumentNullException">An argument or an element of <paramref name="args"/> is null.</exception>
    /// <exception cref="ArgumentException">Both the program and the arguments are empty, or one of them contains a NUL character.</exception>
    public ProcessCommand(string program, IEnumerable<string> args)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(args);
        var argv = args.ToArray();
        foreach (var a in argv) ArgumentNullException.ThrowIfNull(a, nameof(args));
        if (program.Length == 0 && argv.Length == 0) throw new ArgumentException("A command needs a program or an argv[0].", nameof(args));
        // Refused here, so that every function taking a command refuses it at its call: a C
        // string ends at the first NUL, and the spawn would otherwise fail (or run a cut-down
        // command) inside functions that report errors in their promise.
        if (program.Contains('\0')) throw new ArgumentException("The program contains a NUL character.", nameof(program));
        foreach (var a in argv)
        {
            if (a.Contains('\0')) throw new ArgumentException("An argument contains a NUL character.", nameof(args));
        }
        Program = program;
        Args = argv;
    }

    /// <summary>The program ("" for <c>Args[0]</c>).<para>Lwt: the first component of <c>Lwt_process.command</c></para></summary>
    public string Program { get; }

    /// <summary>The argument vector, argv[0] included.<para>Lwt: the second component of <c>Lwt_process.command</c></para></summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>
    /// A command running <paramref name="program"/> with <paramref name="arguments"/> (argv[0] is
    /// the program): <c>ProcessCommand.Of("ls", "-l")</c> is Lwt's <c>("ls", [|"ls"; "-l"|])</c>.
    /// <para>Lwt: <c>Lwt_process.command</c></para>
    /// </summary>
    /// <param name="program">The program (looked up in PATH when it has no '/').</param>
    /// <param name="arguments">The arguments after argv[0].</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="program"/> is empty, or it or an argument contains a NUL character.</exception>
    public static ProcessCommand Of(string program, params string[] arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        return new ProcessCommand(program, [program, .. arguments]);
    }

    /// <summary>
    /// A command running <paramref name="commandLine"/> with the shell:
    /// <c>("/bin/sh", [|"/bin/sh"; "-c"; commandLine|])</c>.
    /// <para>Lwt: <c>Lwt_process.shell</c></para>
    /// </summary>
    /// <param name="commandLine">The shell command line.</param>
    /// <exception cref="ArgumentNullException"><paramref name="commandLine"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="commandLine"/> contains a NUL character.</exception>
    public static ProcessCommand Shell(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        return new ProcessCommand("/bin/sh", ["/bin/sh", "-c", commandLine]);
    }

    /// <summary>
    /// Lwt's literal form: <c>("ls", new[] { "ls", "-l" })</c>.
    /// <para>Lwt: <c>Lwt_process.command</c></para>
    /// </summary>
    /// <param name="command">The program and the whole argument vector.</param>
    /// <exception cref="ArgumentNullException">The program, the array or one of its elements is null.</exception>
    /// <exception cref="ArgumentException">Both the program and the array are empty, or one of them contains a NUL character.</exception>
    public static implicit operator ProcessCommand((string Program, string[] Args) command) => new(command.Program, command.Args);

    /// <summary>
    /// Whether the child leads a process group of its own (see <see cref="InNewProcessGroup"/>).
    /// <para>Lwt: none (Lwt_process starts every child in the parent's process group)</para>
    /// </summary>
    public bool NewProcessGroup { get; private init; }

    /// <summary>
    /// This command, started in a process group of its own, which the child leads (its process
    /// group id is its pid, as after <c>setpgid(0, 0)</c>). Then
    /// <see cref="LwtProcessBase.Kill(int)"/>, <see cref="LwtProcessBase.Terminate"/> and the
    /// <c>timeout</c> of the LwtProcess functions signal the whole group, so they reach what the
    /// child started and that did not leave the group: the command of a
    /// <see cref="LwtProcess.Shell"/> line and its pipelines, which would otherwise live on and
    /// hold the child's pipes open. .NET's <c>Process.Kill(entireProcessTree: true)</c> for a
    /// child of Lwt's. The group is no longer the terminal's foreground group: a Ctrl-C at the
    /// terminal reaches this process, not the child (forward it with <c>Kill(2)</c>). For the
    /// same reason the child is in the terminal's background: if it reads from the terminal
    /// (its standard input inherited from a terminal), the kernel stops it with SIGTTIN, as a
    /// shell's background job, and its status waits for ever (a stop is not a status): give
    /// such a child another standard input (a pipe, <c>/dev/null</c>); writing to the terminal
    /// stops it likewise (SIGTTOU) when the terminal has <c>stty tostop</c>. A stopped child
    /// still dies of <see cref="LwtProcessBase.Terminate"/> (SIGKILL).
    /// <para>Lwt: none (an addition: Lwt's <c>process#kill</c> signals the child only)</para>
    /// </summary>
    /// <returns>A new command, with the same program and arguments.</returns>
    public ProcessCommand InNewProcessGroup() => new(this) { NewProcessGroup = true };

    private ProcessCommand(ProcessCommand other)
    {
        Program = other.Program;
        Args = other.Args;
        NewProcessGroup = other.NewProcessGroup;
    }

    /// <summary>The file to execute: the program, or argv[0] when it is empty.</summary>
    internal string File => Program.Length != 0 ? Program : Args[0];

    /// <summary>The argv given to the program (the program alone when the vector is empty).</summary>
    internal IReadOnlyList<string> Argv => Args.Count != 0 ? Args : [Program];

    /// <summary>The argument vector, space-separated (for messages; no quoting).<para>Lwt: none (formatting, for messages)</para></summary>
    public override string ToString() => string.Join(' ', Argv);
}

/// <summary>
/// Where a standard descriptor (stdin, stdout or stderr) of a child process goes.
/// The child shares the file description of a kept or copied descriptor, O_NONBLOCK
/// included: prefer the plain ends of <see cref="LwtUnix.PipeIn"/>/<see cref="LwtUnix.PipeOut"/>,
/// files or <see cref="DevNull"/> to an <see cref="LwtFd"/> in use by the loop.
/// <para>Lwt: <c>Lwt_process.redirection</c></para>
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class ProcessRedirection
{
    internal enum RedirectionKind : byte
    {
        Keep,
        DevNull,
        Close,
        Copy,
        Move,
    }

    private readonly int _fd;
    private readonly LwtFd? _lwtFd;
    private readonly SafeHandle? _handle;

    private ProcessRedirection(RedirectionKind kind, int fd = -1, LwtFd? lwtFd = null, SafeHandle? handle = null)
    {
        Kind = kind;
        _fd = fd;
        _lwtFd = lwtFd;
        _handle = handle;
    }

    internal RedirectionKind Kind { get; }

    /// <summary>
    /// The child inherits the parent's descriptor (the default). Note that
    /// <see cref="LwtIO.Stdin"/>/<see cref="LwtIO.Stdout"/>/<see cref="LwtIO.Stderr"/> make
    /// descriptors 0, 1 and 2 non-blocking once used, and a child keeping them shares that.
    /// <para>Lwt: <c>`Keep</c></para>
    /// </summary>
    public static ProcessRedirection Keep { get; } = new(RedirectionKind.Keep);

    /// <summary>
    /// The descriptor is opened on /dev/null in the child.
    /// <para>Lwt: <c>`Dev_null</c></para>
    /// </summary>
    public static ProcessRedirection DevNull { get; } = new(RedirectionKind.DevNull);

    /// <summary>
    /// The descriptor is closed in the child.
    /// <para>Lwt: <c>`Close</c></para>
    /// </summary>
    public static ProcessRedirection Close { get; } = new(RedirectionKind.Close);

    /// <summary>
    /// The descriptor is a copy (dup2) of <paramref name="fd"/> in the child; the parent's
    /// stays open.
    /// <para>Lwt: <c>`FD_copy</c></para>
    /// </summary>
    /// <param name="fd">A raw descriptor of this process.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    public static ProcessRedirection FdCopy(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        return new(RedirectionKind.Copy, fd);
    }

    /// <inheritdoc cref="FdCopy(int)"/>
    /// <param name="fd">A descriptor wrapper (see the class remarks about O_NONBLOCK).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static ProcessRedirection FdCopy(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return new(RedirectionKind.Copy, lwtFd: fd);
    }

    /// <inheritdoc cref="FdCopy(int)"/>
    /// <param name="handle">A handle holding a descriptor (a <c>SafeFileHandle</c>...).</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    public static ProcessRedirection FdCopy(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new(RedirectionKind.Copy, handle: handle);
    }

    /// <summary>
    /// As <see cref="FdCopy(int)"/>, and the parent's descriptor is closed once the child
    /// is started, or has failed to start.
    /// <para>Lwt: <c>`FD_move</c></para>
    /// </summary>
    /// <param name="fd">A raw descriptor of this process.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    public static ProcessRedirection FdMove(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        return new(RedirectionKind.Move, fd);
    }

    /// <inheritdoc cref="FdMove(int)"/>
    /// <param name="fd">A descriptor wrapper, closed once the child is started (or failed to start).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    public static ProcessRedirection FdMove(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return new(RedirectionKind.Move, lwtFd: fd);
    }

    /// <inheritdoc cref="FdMove(int)"/>
    /// <param name="handle">A handle holding a descriptor, disposed once the child is started (or failed to start).</param>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    public static ProcessRedirection FdMove(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new(RedirectionKind.Move, handle: handle);
    }

    /// <summary>The raw descriptor to copy into the child.</summary>
    /// <exception cref="ObjectDisposedException">The wrapper or handle is closed.</exception>
    internal int SourceFd()
    {
        if (_lwtFd is { } l)
        {
            if (l.IsClosed) throw new ObjectDisposedException(nameof(LwtFd), "The descriptor to redirect is closed.");
            return l.Fd;
        }

        if (_handle is { } h)
        {
            if (h.IsClosed || h.IsInvalid) throw new ObjectDisposedException(nameof(SafeHandle), "The handle to redirect is closed or invalid.");
            return (int)h.DangerousGetHandle();
        }

        return _fd;
    }

    /// <summary>Once the spawn is over, started or not: closes the parent's descriptor of a move.</summary>
    internal void CloseMoved()
    {
        if (Kind != RedirectionKind.Move) return;
        if (_lwtFd is { } l) l.Dispose();
        else if (_handle is { } h) h.Dispose();
        else LibC.Close(_fd);
    }

    /// <summary>"keep", "dev_null", "close", "copy fd 5", "move fd 5".<para>Lwt: none (formatting, for messages)</para></summary>
    public override string ToString() => Kind switch
    {
        RedirectionKind.Keep => "keep",
        RedirectionKind.DevNull => "dev_null",
        RedirectionKind.Close => "close",
        _ => $"{(Kind == RedirectionKind.Copy ? "copy" : "move")} fd {(_lwtFd is { } l ? l.Fd : _handle is { } h ? (int)h.DangerousGetHandle() : _fd)}",
    };
}

/// <summary>
/// Whether a child process runs: <see cref="Running"/> or exited (with its status).
/// <para>Lwt: <c>Lwt_process.state</c> (<c>Running | Exited of Unix.process_status</c>)</para>
/// </summary>
/// <param name="IsRunning">True while the child has not been reaped. Lwt: <c>Running</c>.</param>
/// <param name="Status">The status once exited (default while running). Lwt: the status of <c>Exited status</c>.</param>
public readonly record struct ProcessState(bool IsRunning, ProcessStatus Status)
{
    /// <summary>The child runs (or has ended but is not reaped yet).<para>Lwt: <c>Running</c></para></summary>
    public static ProcessState Running => new(true, default);

    /// <summary>The child exited with <paramref name="status"/>.<para>Lwt: <c>Exited status</c></para></summary>
    /// <param name="status">Its status.</param>
    public static ProcessState Exited(ProcessStatus status) => new(false, status);

    /// <summary>"running", or "exited (exited 0)", "exited (killed by signal 9)".<para>Lwt: none (formatting, for messages)</para></summary>
    public override string ToString() => IsRunning ? "running" : $"exited ({Status})";
}
