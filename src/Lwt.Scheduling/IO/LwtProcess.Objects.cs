// The process objects of Lwt_process (process_none, process_in, process_out,
// process, process_full): a running child, its pipes as LwtIO channels, and
// its status.
//
// What every object shares (Lwt's virtual class `common`):
//  - the status is LwtUnix.Wait4 started at once, on the loop that started
//    the child, so the child is reaped whether or not anyone looks; Status
//    and Rusage both come from that one reaping (as Lwt's object keeps one
//    wait4 promise and maps it twice), and are promises that cancellation
//    cannot touch (Lwt's `protected wait`). Rusage is resolved just before
//    Status, so a callback on Status finds it resolved;
//  - Kill and Terminate do nothing once the status is known: the pid may
//    belong to another process by then. Between the child's death and the
//    reaping the pid is a zombie's, and a signal to it is harmless;
//  - Close closes every channel (an output channel is flushed first), then
//    waits for the status. It is computed once (Lwt's `lazy`); each call
//    returns a protected view of it;
//  - a timeout (Lwt's ?timeout) races a sleep against the status: if the
//    sleep wins, the child is killed (SIGKILL, Lwt's terminate) and closed.
//    Its pending reads and writes then reject; the P* functions of LwtProcess
//    report that as a TimeoutException;
//  - a channel nobody can reach any more is closed (Lwt's Gc.finalise of
//    ignore_close on each channel): a process object dropped without Close,
//    or a PReadLines stream not read to its end, lets go of its pipes, so the
//    child gets end of file or EPIPE instead of blocking for ever. LwtGC runs
//    the close on the loop that started the child, never on the finalizer
//    thread, and its promise is dropped (Lwt ignores it): an output channel's
//    flush may never end if the child does not read.
//
// The parent's ends of the pipes are non-blocking fds driven by the loop's
// engine (LwtUnix.PipeIn/PipeOut); the child's ends are plain blocking
// descriptors, closed in the parent as soon as the child has them.

using System.Diagnostics;

namespace Lwt;

/// <summary>
/// A child process started by <see cref="LwtProcess"/>: its pid, state and status, and
/// the means to signal and close it. Use it from the loop that started it.
/// <para>
/// Close what you start (<see cref="Close"/>, or the <c>LwtProcess.With*</c> functions). A
/// process object dropped without it has its pipes closed only after the garbage collector
/// has collected its channels, and then on the loop that started the child, when that loop
/// next runs (Lwt's <c>Gc.finalise</c> of each channel, see <see cref="LwtGC.Finalise{T}"/>):
/// started on a loop that never runs again (a thread whose last <see cref="LwtMain.Run(Promise)"/>
/// has returned), its pipes stay open until this process exits.
/// </para>
/// <para>Lwt: the methods common to <c>Lwt_process</c>'s process objects</para>
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public abstract class LwtProcessBase
{
    /// <summary>Lwt's ignore_close: the close is started, its result dropped.</summary>
    private static readonly Func<LwtChannel, Promise> s_closeUnreachable = static channel =>
    {
        _ = channel.Close();
        return Promise.ReturnUnit;
    };

    private readonly Promise<ProcessStatus> _status;
    private readonly Promise<ResourceUsage> _usage;
    private readonly LwtChannel[] _channels;
    private readonly double? _timeout;
    private Promise<ProcessStatus>? _closed;

    private protected LwtProcessBase(int pid, ProcessCommand command, double? timeout, LwtChannel[] channels)
    {
        Pid = pid;
        Command = command;
        _timeout = timeout;
        _channels = channels;
        var (status, statusResolver) = Promise.Create<ProcessStatus>();
        var (usage, usageResolver) = Promise.Create<ResourceUsage>();
        _status = status;
        _usage = usage;
        LwtUnix.Wait4(pid).OnAny(
            r =>
            {
                usageResolver.Resolve(r.Usage);
                statusResolver.Resolve(r.Status);
            },
            e =>
            {
                usageResolver.Reject(e);
                statusResolver.Reject(e);
            });
        if (timeout is { } seconds) StartTimeout(seconds);
        foreach (var channel in channels) LwtGC.Finalise(s_closeUnreachable, channel);
    }

    /// <summary>
    /// The child's process id.
    /// <para>Lwt: <c>process#pid</c></para>
    /// </summary>
    public int Pid { get; }

    /// <summary>The command the child runs.<para>Lwt: the <c>command</c> given to <c>Lwt_process.open_process*</c></para></summary>
    public ProcessCommand Command { get; }

    /// <summary>
    /// Running until the child has ended and been reaped, then Exited with its status.
    /// <para>Lwt: <c>process#state</c></para>
    /// </summary>
    public ProcessState State => _status.IsFulfilled ? ProcessState.Exited(_status.Value) : ProcessState.Running;

    /// <summary>
    /// The child's status, once it has ended (canceling this promise does nothing).
    /// <para>Lwt: <c>process#status</c></para>
    /// </summary>
    public Promise<ProcessStatus> Status => _status;

    /// <summary>
    /// The CPU time the child used, once it has ended and been reaped (the same reaping as
    /// <see cref="Status"/>; canceling this promise does nothing).
    /// <para>Lwt: <c>process#rusage</c></para>
    /// </summary>
    public Promise<ResourceUsage> Rusage => _usage;

    /// <summary>True if the timeout expired and killed the child.<para>Lwt: none (whether the <c>?timeout</c> of <c>Lwt_process.open_process*</c> expired and killed the child)</para></summary>
    public bool TimedOut { get; private set; }

    /// <summary>
    /// Sends the signal <paramref name="signum"/> (a Linux number: 15 SIGTERM, 9 SIGKILL,
    /// 2 SIGINT...) to the child, unless its status is already known. The values of .NET's
    /// <see cref="System.Runtime.InteropServices.PosixSignal"/> are not signal numbers
    /// (<c>(int)PosixSignal.SIGTERM</c> is -4): such a value fails with
    /// <see cref="UnixErrorException"/> EINVAL; pass the enum itself to
    /// <see cref="Kill(System.Runtime.InteropServices.PosixSignal)"/>. Only the child gets it, not
    /// the processes it started (a <see cref="LwtProcess.Shell"/> command's are the shell's
    /// children): those keep running, holding the child's pipes open, so a read of its output
    /// still waits for them; <see cref="Close"/> makes such reads fail at once. A command
    /// started <see cref="ProcessCommand.InNewProcessGroup"/> is the exception: the signal goes
    /// to its whole process group, which holds what it started (and to the child itself as well
    /// when the child moved to another group). Once the child's status is known, the group is
    /// not signalled either: what the child left running in it lives on, so signal the group
    /// before the child ends (a timeout does) if what it started must not outlive it.
    /// <para>Lwt: <c>process#kill</c></para>
    /// </summary>
    /// <param name="signum">The signal number.</param>
    /// <exception cref="UnixErrorException">kill failed (EINVAL: no such signal).</exception>
    public void Kill(int signum)
    {
        if (!_status.IsPending) return;
        // The group's id is the child's pid, which is not reused while the group has a member.
        // A child that left its group (setsid, setpgid) is not reached by kill(-pid): the group
        // is then empty (ESRCH) or holds only what the child left in it, so the child, which
        // the status still pending says is there, gets the signal of its own. Asked after the
        // group's signal: a child that leaves in between gets it twice, never not at all.
        if (Command.NewProcessGroup && LwtProcess.TrySignalGroup(Pid, signum) && LwtProcess.LeadsItsGroup(Pid)) return;
        LwtProcess.SendSignal(Pid, signum);
    }

    /// <summary>
    /// <see cref="Kill(int)"/> with a .NET <see cref="System.Runtime.InteropServices.PosixSignal"/>:
    /// a named value is sent as its Linux number (<c>PosixSignal.SIGTERM</c> as 15), any other
    /// value as the raw number it is (<c>(PosixSignal)9</c> is SIGKILL, which the enum does not name).
    /// <para>Lwt: <c>process#kill</c></para>
    /// </summary>
    /// <param name="signal">The signal.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative value that names no signal.</exception>
    /// <exception cref="UnixErrorException">kill failed (EINVAL: no such signal).</exception>
    public void Kill(System.Runtime.InteropServices.PosixSignal signal) => Kill(PosixSignalNumbers.ToLinux(signal));

    /// <summary>
    /// Kills the child (SIGKILL), unless its status is already known.
    /// <para>Lwt: <c>process#terminate</c></para>
    /// </summary>
    public void Terminate() => Kill(LwtProcess.SIGKILL);

    /// <summary>
    /// Closes the process's channels (flushing its stdin first) and then waits for its
    /// status. Idempotent; canceling the returned promise does not stop the closing.
    /// A failed flush of stdin (EPIPE: the child did not read it) does not fail the close, as
    /// with Lwt_io.close: the status comes all the same.
    /// <para>Lwt: <c>process#close</c></para>
    /// </summary>
    public Promise<ProcessStatus> Close()
    {
        _closed ??= CloseChannels().Bind(() => _status);
        return _closed.Protected();
    }

    private Promise CloseChannels()
    {
        if (_channels.Length == 0) return Promise.ReturnUnit;
        var closes = new Promise[_channels.Length];
        for (int i = 0; i < closes.Length; i++) closes[i] = _channels[i].Close();
        return Promise.Join(closes);
    }

    /// <summary>Lwt's timeout: a sleep raced against the status; if it wins, terminate and close.</summary>
    private void StartTimeout(double seconds)
    {
        var sleep = LwtUnix.Sleep(seconds);
        _status.OnTermination(sleep.Cancel);
        Promise.DontWait(
            () => sleep.Bind(() =>
            {
                if (!_status.IsPending) return Promise.ReturnUnit;
                TimedOut = true;
                Terminate();
                return Close();
            }),
            static _ => { /* A canceled sleep, or a close error that Close() reports anyway. */ });
    }

    /// <summary>The error of an operation that failed because the timeout killed the child.</summary>
    internal TimeoutException TimeoutError(Exception inner) =>
        new($"The process {Pid} ({Command}) ran longer than {_timeout} s and was killed.", inner);

    private string DebuggerDisplay => $"pid {Pid} ({Command}): {State}";
}

/// <summary>
/// A child process without pipes (its descriptors are redirected as asked).
/// <para>Lwt: <c>Lwt_process.process_none</c></para>
/// </summary>
public sealed class LwtProcessNone : LwtProcessBase
{
    internal LwtProcessNone(int pid, ProcessCommand command, double? timeout)
        : base(pid, command, timeout, [])
    {
    }
}

/// <summary>
/// A child process whose standard output is a pipe read by the parent.
/// <para>Lwt: <c>Lwt_process.process_in</c></para>
/// </summary>
public sealed class LwtProcessIn : LwtProcessBase
{
    internal LwtProcessIn(int pid, ProcessCommand command, double? timeout, InputChannel stdout)
        : base(pid, command, timeout, [stdout])
    {
        Stdout = stdout;
    }

    /// <summary>
    /// The child's standard output.
    /// <para>Lwt: <c>process_in#stdout</c></para>
    /// </summary>
    public InputChannel Stdout { get; }
}

/// <summary>
/// A child process whose standard input is a pipe written by the parent.
/// <para>Lwt: <c>Lwt_process.process_out</c></para>
/// </summary>
public sealed class LwtProcessOut : LwtProcessBase
{
    internal LwtProcessOut(int pid, ProcessCommand command, double? timeout, OutputChannel stdin)
        : base(pid, command, timeout, [stdin])
    {
        Stdin = stdin;
    }

    /// <summary>
    /// The child's standard input (close it to send end of file).
    /// <para>Lwt: <c>process_out#stdin</c></para>
    /// </summary>
    public OutputChannel Stdin { get; }
}

/// <summary>
/// A child process whose standard input and output are pipes.
/// <para>Lwt: <c>Lwt_process.process</c></para>
/// </summary>
public sealed class LwtProcessInOut : LwtProcessBase
{
    internal LwtProcessInOut(int pid, ProcessCommand command, double? timeout, OutputChannel stdin, InputChannel stdout)
        : base(pid, command, timeout, [stdin, stdout])
    {
        Stdin = stdin;
        Stdout = stdout;
    }

    /// <summary>The child's standard input.<para>Lwt: <c>process#stdin</c></para></summary>
    public OutputChannel Stdin { get; }

    /// <summary>The child's standard output.<para>Lwt: <c>process#stdout</c></para></summary>
    public InputChannel Stdout { get; }
}

/// <summary>
/// A child process whose standard input, output and error are pipes.
/// <para>Lwt: <c>Lwt_process.process_full</c></para>
/// </summary>
public sealed class LwtProcessFull : LwtProcessBase
{
    internal LwtProcessFull(int pid, ProcessCommand command, double? timeout, OutputChannel stdin, InputChannel stdout, InputChannel stderr)
        : base(pid, command, timeout, [stdin, stdout, stderr])
    {
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
    }

    /// <summary>The child's standard input.<para>Lwt: <c>process_full#stdin</c></para></summary>
    public OutputChannel Stdin { get; }

    /// <summary>The child's standard output.<para>Lwt: <c>process_full#stdout</c></para></summary>
    public InputChannel Stdout { get; }

    /// <summary>The child's standard error.<para>Lwt: <c>process_full#stderr</c></para></summary>
    public InputChannel Stderr { get; }
}
