// Child processes and signals (Lwt_unix.waitpid, wait4, on_signal).
//
// WaitPid and Wait4 are SIGCHLD-driven, without blocking a worker per child: a
// waiter is recorded (pid, loop, resolver) and then the child is checked once
// with WNOHANG (so a child that had already exited is seen at once; recording
// first closes the race with a SIGCHLD arriving in between). The runtime
// delivers SIGCHLD to a PosixSignalRegistration on one of its threads; the
// registration posts a check to each loop that has waiters, and the check
// calls wait4(pid, WNOHANG) for each of that loop's waiters. Signals coalesce,
// but every check looks at every waiter, so none is missed. A SIGCHLD ignored
// (SIG_IGN, inherited or set later) would make the kernel discard the statuses:
// each wait, and each LwtProcess spawn, first puts the handler back over it, as
// Lwt's sigaction replaces it (EnsureSigChld).
//
// Both functions reap through wait4(2), which is waitpid(2) plus the child's
// resource usage; WaitPid drops the usage. A child is reaped once: whichever
// waiter's check comes first takes the status (and the usage with it), and
// a second waiter of the same pid gets ECHILD, as with Unix.waitpid.
//
// The .NET runtime reaps only the children it started itself
// (System.Diagnostics.Process): WaitPid is for children started otherwise
// (posix_spawn, fork/exec through LibC).
//
// OnSignal and the other signal functions are in LwtUnix.Signals.cs;
// HandleSignal(SIGCHLD) reaches OnSigChld below, as a real SIGCHLD does.

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// How a child process ended (or stopped).
/// <para>Lwt: <c>Unix.process_status</c></para>
/// </summary>
public enum ProcessStatusKind
{
    /// <summary>WEXITED: the code is the exit status.</summary>
    Exited,

    /// <summary>WSIGNALED: the code is the signal that killed it.</summary>
    Signaled,

    /// <summary>WSTOPPED: the code is the signal that stopped it.</summary>
    Stopped,
}

/// <summary>
/// The status of a child process.
/// <para>Lwt: <c>Unix.process_status</c> (<c>WEXITED n | WSIGNALED n | WSTOPPED n</c>)</para>
/// </summary>
/// <param name="Kind">Exited, signaled or stopped. Lwt: the constructor, <c>WEXITED</c> / <c>WSIGNALED</c> / <c>WSTOPPED</c>.</param>
/// <param name="Code">The exit code or the signal number. Lwt: the constructor's argument.</param>
public readonly record struct ProcessStatus(ProcessStatusKind Kind, int Code)
{
    /// <summary>Decodes a wait status word.</summary>
    internal static ProcessStatus Decode(int status)
    {
        int low = status & 0x7f;
        if (low == 0) return new ProcessStatus(ProcessStatusKind.Exited, (status >> 8) & 0xff);
        if ((status & 0xff) == 0x7f) return new ProcessStatus(ProcessStatusKind.Stopped, (status >> 8) & 0xff);
        return new ProcessStatus(ProcessStatusKind.Signaled, low);
    }

    /// <summary>"exited 0", "killed by signal 9", "stopped by signal 19".<para>Lwt: none (formatting, for messages)</para></summary>
    public override string ToString() => Kind switch
    {
        ProcessStatusKind.Exited => $"exited {Code}",
        ProcessStatusKind.Signaled => $"killed by signal {Code}",
        _ => $"stopped by signal {Code}",
    };
}

/// <summary>
/// The CPU time a child process used, from its reaping (the kernel's <c>struct rusage</c>).
/// <para>Lwt: <c>Lwt_unix.resource_usage</c></para>
/// </summary>
/// <param name="UserTime">Seconds spent in user mode. Lwt: <c>ru_utime</c>.</param>
/// <param name="SystemTime">Seconds spent in the kernel on its behalf. Lwt: <c>ru_stime</c>.</param>
public readonly record struct ResourceUsage(double UserTime, double SystemTime)
{
    /// <summary>
    /// Reads the two <c>struct timeval</c> that open a <c>struct rusage</c>: on Linux each is
    /// two <c>long</c> (seconds, microseconds), so pointer-sized on every architecture.
    /// </summary>
    internal static unsafe ResourceUsage Decode(byte* rusage)
    {
        var fields = (nint*)rusage;
        return new ResourceUsage(fields[0] + fields[1] / 1e6, fields[2] + fields[3] / 1e6);
    }
}

/// <summary>
/// Options of <see cref="LwtUnix.WaitPid"/> and <see cref="LwtUnix.Wait4"/>.
/// <para>Lwt: <c>Unix.wait_flag</c></para>
/// </summary>
[Flags]
public enum WaitFlags
{
    /// <summary>Wait until the child ends.</summary>
    None = 0,

    /// <summary>WNOHANG: do not wait; pid 0 if the child has not changed state.</summary>
    NoHang = 1,

    /// <summary>WUNTRACED: also report stopped children.</summary>
    Untraced = 2,
}

public static partial class LwtUnix
{
    private static readonly object s_childGate = new();
    private static readonly List<IChildWaiter> s_childWaiters = new();
    private static PosixSignalRegistration? s_sigchld;

    /// <summary>The SIGCHLD disposition the registration installed (the runtime's handler), put back over a later SIG_IGN; null if it installed none.</summary>
    private static byte[]? s_sigchldAction;

    /// <summary>
    /// Waits for the child <paramref name="pid"/> to end (SIGCHLD-driven, no worker thread
    /// blocked): the pid and its status. With <see cref="WaitFlags.NoHang"/>, answers at once
    /// (pid 0, with the status <c>Exited 0</c> as <c>Unix.waitpid</c> gives, when the child is still running). Cancelable (the child is then not reaped).
    /// <para>Lwt: <c>Lwt_unix.waitpid</c></para>
    /// </summary>
    /// <param name="pid">A child's pid (must be positive: no process groups).</param>
    /// <param name="flags">NoHang, Untraced.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is not positive.</exception>
    public static Promise<(int Pid, ProcessStatus Status)> WaitPid(int pid, WaitFlags flags = WaitFlags.None) =>
        Wait<(int, ProcessStatus)>(pid, flags, "waitpid", static r => (r.Pid, r.Status));

    /// <summary>
    /// Waits for the child <paramref name="pid"/> to end, as <see cref="WaitPid"/>, and also
    /// answers the CPU time it used (user and system). With <see cref="WaitFlags.NoHang"/>,
    /// answers at once (pid 0, the status <c>Exited 0</c> and zero usage, when the child is still running). Cancelable
    /// (the child is then not reaped).
    /// <para>Lwt: <c>Lwt_unix.wait4</c></para>
    /// </summary>
    /// <param name="pid">A child's pid (must be positive: no process groups).</param>
    /// <param name="flags">NoHang, Untraced.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is not positive.</exception>
    public static Promise<(int Pid, ProcessStatus Status, ResourceUsage Usage)> Wait4(int pid, WaitFlags flags = WaitFlags.None) =>
        Wait<(int, ProcessStatus, ResourceUsage)>(pid, flags, "wait4", static r => r);

    /// <summary>
    /// Runs <paramref name="command"/> with the shell (<c>/bin/sh -c</c>), with this process's
    /// standard input, output and error, and gives its status once it ends. When the shell
    /// cannot be started, the status is <c>Exited 127</c>, as Lwt's and the C library's
    /// <c>system</c> say. Canceling the promise stops the wait, not the command.
    /// <para>Lwt: <c>Lwt_unix.system</c></para>
    /// </summary>
    /// <param name="command">The shell command line.</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null.</exception>
    public static Promise<ProcessStatus> System(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Promise.Catch(
            () => LwtProcess.Exec(LwtProcess.Shell(command)),
            static e => e is UnixErrorException { Function: "posix_spawnp" }
                ? Promise.Return(new ProcessStatus(ProcessStatusKind.Exited, 127))
                : Promise.Fail<ProcessStatus>(e));
    }

    /// <summary>
    /// Whether <see cref="Wait4"/> reports the child's resource usage on this system: the old
    /// name of <c>LwtSys.Have(Feature.Wait4)</c>, which Lwt deprecates.
    /// <para>Lwt: <c>Lwt_unix.has_wait4</c> (deprecated in favour of <c>Lwt_sys.have `wait4</c>)</para>
    /// </summary>
    [Obsolete("Lwt_unix.has_wait4 is deprecated: use LwtSys.Have(Feature.Wait4).")]
    public static bool HasWait4 => LwtSys.Have(Feature.Wait4);

    /// <summary>WaitPid and Wait4: <paramref name="function"/> names them in errors.</summary>
    private static Promise<T> Wait<T>(int pid, WaitFlags flags, string function, Func<(int Pid, ProcessStatus Status, ResourceUsage Usage), T> project)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        int options = LibC.WNOHANG | ((flags & WaitFlags.Untraced) != 0 ? LibC.WUNTRACED : 0);
        if ((flags & WaitFlags.NoHang) != 0)
        {
            try
            {
                var result = TryReap(pid, options, function);
                return Promise.Return(project(result ?? (0, default, default)));
            }
            catch (Exception e)
            {
                return Promise.Fail<T>(e);
            }
        }

        EnsureSigChld();
        var waiter = new ChildWaiter<T>(pid, options, function, EventLoop.ForCurrentThread(), project);
        lock (s_childGate) s_childWaiters.Add(waiter);
        waiter.Check();
        return waiter;
    }

    /// <summary>
    /// The number of <see cref="WaitPid"/> and <see cref="Wait4"/> promises (of all loops) still
    /// waiting for their child.
    /// <para>Lwt: <c>Lwt_unix.wait_count</c></para>
    /// </summary>
    public static int WaitCount()
    {
        lock (s_childGate) return s_childWaiters.Count;
    }

    /// <summary>
    /// Makes sure a SIGCHLD reaches <see cref="OnSigChld"/>, and that SIGCHLD is not ignored:
    /// with SIG_IGN the kernel reaps children itself and sends no SIGCHLD, so a waiter would
    /// get ECHILD or wait for ever. The registration replaces an inherited SIG_IGN as Lwt's
    /// sigaction does (<see cref="RegisterOverIgnored"/>); the runtime then records SIG_DFL as
    /// the previous disposition, so it goes on reaping only the System.Diagnostics.Process
    /// children. The handler it installed is kept: if other code sets SIG_IGN later, the next
    /// wait (or spawn: LwtProcess calls this before it starts a child) installs it again.
    /// </summary>
    internal static unsafe void EnsureSigChld()
    {
        lock (s_childGate)
        {
            if (!OperatingSystem.IsLinux())
            {
                // The signal number and struct sigaction read here are Linux's.
                s_sigchld ??= PosixSignalRegistration.Create((PosixSignal)SigChld, _ => OnSigChld());
                return;
            }

            if (s_sigchld is null)
            {
                var installed = new byte[LibC.SigActionSize];
                fixed (byte* d = installed)
                {
                    s_sigchld = RegisterOverIgnored(SigChld, (PosixSignal)SigChld /* as a raw number */, _ => OnSigChld(), d);
                }

                // Nothing to put back later if the runtime kept the inherited SIG_IGN
                // (RegisterOverIgnored): waits then behave as before.
                if (SigActionHandler(installed) is not (SigDfl or SigIgn)) s_sigchldAction = installed;
            }
            else if (s_sigchldAction is { } action)
            {
                byte* current = stackalloc byte[LibC.SigActionSize];
                GetSigAction(SigChld, current);
                if (SigActionHandler(current) == SigIgn)
                {
                    fixed (byte* d = action) SetSigAction(SigChld, d);
                }
            }
        }
    }

    /// <summary>
    /// A SIGCHLD (real, or told by <see cref="HandleSignal"/>): from any thread, asks each loop
    /// with waiters to check its children.
    /// </summary>
    private static void OnSigChld()
    {
        HashSet<EventLoop> loops = new();
        lock (s_childGate)
        {
            foreach (var w in s_childWaiters) loops.Add(w.Loop);
        }

        foreach (var loop in loops)
        {
            // A loop whose thread has ended (a host's loop after the host was disposed) can
            // run no post, and Post would throw here, on the runtime's signal thread, which
            // ends the process: its waiters are checked on this thread instead (its promises
            // are anyone's once it has stopped), one signal at a time.
            if (!loop.TryPostUnlessEnded(() => CheckChildren(loop)))
            {
                lock (s_endedLoopChecks) CheckChildren(loop);
            }
        }
    }

    /// <summary>Serializes the checks that SIGCHLDs run off the loop, for loops whose thread has ended (<see cref="OnSigChld"/>).</summary>
    private static readonly object s_endedLoopChecks = new();

    private static void CheckChildren(EventLoop loop)
    {
        IChildWaiter[] waiters;
        lock (s_childGate) waiters = s_childWaiters.FindAll(w => w.Loop == loop).ToArray();
        foreach (var w in waiters) w.Check();
    }

    /// <summary>wait4 with WNOHANG: the result, or null if the child has not changed state.</summary>
    private static unsafe (int, ProcessStatus, ResourceUsage)? TryReap(int pid, int options, string function)
    {
        int status = 0, rc;
        byte* rusage = stackalloc byte[LibC.RUsageSize];
        do
        {
            rc = LibC.Wait4(pid, &status, options, rusage);
        }
        while (rc < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        if (rc < 0) throw UnixErrorException.FromLastError(function, pid);
        return rc == 0 ? null : (rc, ProcessStatus.Decode(status), ResourceUsage.Decode(rusage));
    }

    /// <summary>What the SIGCHLD checks see of a pending waiter, whatever its result type.</summary>
    private interface IChildWaiter
    {
        EventLoop Loop { get; }

        void Check();
    }

    /// <summary>
    /// A pending WaitPid or Wait4: the promise itself, registered in s_childWaiters while
    /// pending; <c>project</c> makes its result from what wait4 gave.
    /// </summary>
    private sealed class ChildWaiter<T> : Promise<T>, IChildWaiter
    {
        private readonly int _pid;
        private readonly int _options;
        private readonly string _function;
        private readonly Func<(int Pid, ProcessStatus Status, ResourceUsage Usage), T> _project;

        internal ChildWaiter(int pid, int options, string function, EventLoop loop, Func<(int Pid, ProcessStatus Status, ResourceUsage Usage), T> project)
            : base(CancelMode.CancelThis)
        {
            _pid = pid;
            _options = options;
            _function = function;
            _project = project;
            Loop = loop;
        }

        public EventLoop Loop { get; }

        /// <summary>On the loop: reaps the child if it is done, and then resolves.</summary>
        public void Check()
        {
            var p = UnderlyingT();
            if (p._status != Status.Pending) return;
            try
            {
                if (TryReap(_pid, _options, _function) is not { } result) return;
                Forget();
                p.FulfillCore(_project(result), allowDeferring: true);
            }
            catch (Exception e)
            {
                Forget();
                p.RejectCore(e, allowDeferring: true);
            }
        }

        private void Forget()
        {
            lock (s_childGate) s_childWaiters.Remove(this);
        }

        internal override void OnCanceledLeaf() => Forget();

        internal override bool ReleasesOnCancel => true;
    }
}
