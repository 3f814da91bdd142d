// Signals (Lwt_unix.on_signal, on_signal_full, disable_signal_handler, signal_count,
// reinstall_signal_handler, handle_signal), built as Lwt builds them: on notifications.
//
// Lwt keeps, per signal number, one OS-level handler, one notification and the list of Lwt
// handlers; the OS-level handler only sends the notification, and the notification walks the
// list on the loop. Here the OS-level handler is the runtime's (a PosixSignalRegistration: the
// runtime's C handler wakes its signal thread, which calls back into managed code), one per
// signal number while it has handlers. Handlers run on the loop that installed them, so the
// notification is one per (signal number, loop) that has handlers: a signal, real or told by
// HandleSignal, sends one to each such loop, and that loop then walks its handlers of the
// number as they are *at delivery*, in installation order. The list is read at delivery, as
// Lwt reads it: a handler disabled before its loop got to a pending signal does not run, one
// installed in between does (a handler swapped for another while a signal is on its way is
// not left without it), and one that an earlier handler of the same walk installs runs in
// that walk, as Lwt_sequence.iter_l reaches a node appended during the iteration. When a
// loop's last handler of the number goes, its notification is stopped, dropping a signal
// still on its way, as Lwt's stop_notification does when the list empties.
//
// One order is not Lwt's: two signals that arrive close together may be delivered in either
// order. The runtime's signal thread hands each signal to its managed handlers on another
// thread (the thread pool, or a thread of its own for SIGINT/SIGQUIT/SIGTERM), so their
// DeliverSignal calls race; Lwt's C handler writes the signals into its pipe as they arrive.
//
// While a signal number has handlers, its default action is replaced (SIGINT, SIGTERM no
// longer end the process; the runtime's registration is canceled), as Lwt's sigaction does;
// when its last handler is disabled the registration goes and the runtime restores the
// previous disposition. An inherited SIG_IGN is replaced too, as by Lwt's sigaction (and
// SIG_DFL comes back after the last handler, as Lwt's remove_signal sets), except for the
// signals the runtime settled at its start (RegisterOverIgnored). SIGCHLD is the exception to the cancel: its default action is to
// do nothing, and the runtime reaps System.Diagnostics.Process children on it.
//
// ReinstallSignalHandler puts back the runtime's C handler if other code replaced it with
// sigaction(2): the disposition is read right after the registration is made (the runtime's
// handler, whatever its address) and written back as it was. Going through the runtime
// instead (dispose and re-register) would not do: for the signals it always watches
// (SIGINT, SIGTERM, ...) it believes its handler installed and calls no sigaction again.
//
// The runtime's own SIGCHLD watch for WaitPid/Wait4 (LwtUnix.Processes.cs) is not an Lwt
// handler and is not counted by SignalCount (in Lwt it is one more on_signal handler, once
// a waitpid has run); HandleSignal(SIGCHLD) reaches it all the same.

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// A handler installed by <see cref="LwtUnix.OnSignal(int, Action{int})"/> or <see cref="LwtUnix.OnSignalFull(int, Action{LwtSignalHandler, int})"/>;
/// <see cref="Stop"/> (or <see cref="LwtUnix.DisableSignalHandler"/>) removes it.
/// <para>Lwt: <c>Lwt_unix.signal_handler_id</c></para>
/// </summary>
public sealed class LwtSignalHandler : IDisposable
{
    internal LwtSignalHandler(int signum, EventLoop loop, Action<LwtSignalHandler, int> handler, long sequence)
    {
        Signum = signum;
        Loop = loop;
        Handler = handler;
        Sequence = sequence;
    }

    /// <summary>The signal number it handles.<para>Lwt: <c>Lwt_unix.signal_handler_id</c> (its <c>sh_num</c>)</para></summary>
    public int Signum { get; }

    /// <summary>Whether it is still installed (not stopped). Set under the signal table's lock.<para>Lwt: <c>Lwt_unix.signal_handler_id</c> (<c>Some</c> until disabled)</para></summary>
    public bool IsActive { get; internal set; } = true;

    /// <summary>The loop it runs on (the one that installed it).</summary>
    internal EventLoop Loop { get; }

    /// <summary>The handler given to <see cref="LwtUnix.OnSignalFull(int, Action{LwtSignalHandler, int})"/>.</summary>
    internal Action<LwtSignalHandler, int> Handler { get; }

    /// <summary>Its place in installation order (all signals): a delivery's walk runs each handler of its loop once, in this order.</summary>
    internal long Sequence { get; }

    /// <summary>
    /// Removes the handler (idempotent, from any thread); a signal not yet delivered to it is
    /// dropped. When no handler is left for the signal, it gets back the behaviour it had before
    /// its first handler, except that a signal inherited as ignored gets its default action (as
    /// <see cref="LwtUnix.OnSignal(int, Action{int})"/> says, and as Lwt's <c>remove_signal</c> sets <c>SIG_DFL</c>).
    /// <para>Lwt: <c>Lwt_unix.disable_signal_handler</c></para>
    /// </summary>
    public void Stop() => LwtUnix.DisableSignalHandler(this);

    /// <summary>Same as <see cref="Stop"/>.<para>Lwt: <c>Lwt_unix.disable_signal_handler</c></para></summary>
    public void Dispose() => Stop();
}

public static partial class LwtUnix
{
    /// <summary>Linux's SIGCHLD.</summary>
    private const int SigChld = 17;

    /// <summary>Signal numbers above this are not Linux's (NSIG is 65).</summary>
    private const int MaxSignal = 64;

    private static readonly object s_signalGate = new();
    private static readonly Dictionary<int, SignalSlot> s_signals = new();
    private static long s_lastSignalHandler;

    /// <summary>
    /// Calls <paramref name="handler"/> (with the signal number) on this thread's event loop
    /// each time the process receives <paramref name="signum"/>, instead of the signal's
    /// default action, until the returned handler is stopped. A signal the process inherited
    /// as ignored (SIGHUP under <c>nohup</c>) is handled too, as in Lwt, and has its default
    /// action once its last handler is stopped; SIGINT and SIGQUIT inherited as ignored are the
    /// exception: the .NET runtime keeps them ignored (it settles them at its start), so their
    /// handlers run only through <see cref="HandleSignal"/>. A signal runs the loop's handlers
    /// of its number as they are when the loop gets to it, in installation order; two signals
    /// that arrive together may reach the loop in either order (the .NET runtime dispatches
    /// each on a thread of its own). An exception the handler throws goes to
    /// <see cref="Promise.AsyncExceptionHook"/>, and the loop's other handlers of the signal still run.
    /// <para>Lwt: <c>Lwt_unix.on_signal</c></para>
    /// </summary>
    /// <param name="signum">The Linux signal number (e.g. 2 for SIGINT, 15 for SIGTERM, 10 for SIGUSR1).</param>
    /// <param name="handler">The handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The signal cannot be handled (not 1 to 64, or SIGKILL, SIGSTOP).</exception>
    /// <exception cref="UnixErrorException">sigaction(2) refused the signal (32 and 33, which the C library keeps for its threads).</exception>
    public static LwtSignalHandler OnSignal(int signum, Action<int> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnSignalFull(signum, (_, s) => handler(s));
    }

    /// <summary>
    /// <see cref="OnSignal(int, Action{int})"/> for a .NET <see cref="PosixSignal"/>: a named
    /// value is its Linux number (<c>PosixSignal.SIGTERM</c> is 15), any other value the raw
    /// number it is (<c>(PosixSignal)10</c> is SIGUSR1). The handler receives the Linux number.
    /// <para>Lwt: <c>Lwt_unix.on_signal</c></para>
    /// </summary>
    /// <param name="signal">The signal.</param>
    /// <param name="handler">The handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The signal cannot be handled (a negative value that names no signal, not 1 to 64, or SIGKILL, SIGSTOP).</exception>
    /// <exception cref="UnixErrorException">sigaction(2) refused the signal.</exception>
    public static LwtSignalHandler OnSignal(PosixSignal signal, Action<int> handler) => OnSignal(PosixSignalNumbers.ToLinux(signal), handler);

    /// <summary>
    /// <see cref="OnSignalFull(int, Action{LwtSignalHandler, int})"/> for a .NET
    /// <see cref="PosixSignal"/>, translated as <see cref="OnSignal(PosixSignal, Action{int})"/> does.
    /// <para>Lwt: <c>Lwt_unix.on_signal_full</c></para>
    /// </summary>
    /// <param name="signal">The signal.</param>
    /// <param name="handler">The handler: its id and the signal's Linux number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The signal cannot be handled (a negative value that names no signal, not 1 to 64, or SIGKILL, SIGSTOP).</exception>
    /// <exception cref="UnixErrorException">sigaction(2) refused the signal.</exception>
    public static LwtSignalHandler OnSignalFull(PosixSignal signal, Action<LwtSignalHandler, int> handler) => OnSignalFull(PosixSignalNumbers.ToLinux(signal), handler);

    /// <summary>
    /// As <see cref="OnSignal(int, Action{int})"/>, the handler also receiving its own <see cref="LwtSignalHandler"/>,
    /// so that it can stop itself.
    /// <para>Lwt: <c>Lwt_unix.on_signal_full</c></para>
    /// </summary>
    /// <param name="signum">The Linux signal number.</param>
    /// <param name="handler">The handler: its id and the signal number.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The signal cannot be handled (not 1 to 64, or SIGKILL, SIGSTOP).</exception>
    /// <exception cref="UnixErrorException">sigaction(2) refused the signal (32 and 33, which the C library keeps for its threads).</exception>
    public static LwtSignalHandler OnSignalFull(int signum, Action<LwtSignalHandler, int> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CheckSignal(signum, catchable: true);
        var loop = EventLoop.ForCurrentThread();
        lock (s_signalGate)
        {
            if (!s_signals.TryGetValue(signum, out var slot))
            {
                slot = SignalSlot.Install(signum);
                s_signals.Add(signum, slot);
            }

            if (!slot.Deliveries.ContainsKey(loop))
            {
                slot.Deliveries.Add(loop, MakeNotification(() => RunSignalHandlers(signum, loop)));
            }

            var id = new LwtSignalHandler(signum, loop, handler, ++s_lastSignalHandler);
            slot.Handlers.Add(id);
            return id;
        }
    }

    /// <summary>
    /// Removes a signal handler (idempotent, from any thread); same as <see cref="LwtSignalHandler.Stop"/>.
    /// <para>Lwt: <c>Lwt_unix.disable_signal_handler</c></para>
    /// </summary>
    /// <param name="id">The handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    public static void DisableSignalHandler(LwtSignalHandler id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (s_signalGate)
        {
            if (!id.IsActive) return;
            id.IsActive = false;
            var slot = s_signals[id.Signum];
            slot.Handlers.Remove(id);
            if (!slot.Handlers.Exists(h => h.Loop == id.Loop))
            {
                StopNotification(slot.Deliveries[id.Loop]);
                slot.Deliveries.Remove(id.Loop);
            }

            if (slot.Handlers.Count == 0)
            {
                s_signals.Remove(id.Signum);
                slot.Registration.Dispose();
            }
        }
    }

    /// <summary>
    /// The number of signal handlers installed (all signals, all loops).
    /// <para>Lwt: <c>Lwt_unix.signal_count</c></para>
    /// </summary>
    public static int SignalCount()
    {
        lock (s_signalGate)
        {
            int count = 0;
            foreach (var slot in s_signals.Values) count += slot.Handlers.Count;
            return count;
        }
    }

    /// <summary>
    /// If <paramref name="signum"/> has handlers, installs the process's signal handler for it
    /// again (with sigaction(2)), for when other code replaced it; otherwise does nothing.
    /// <para>Lwt: <c>Lwt_unix.reinstall_signal_handler</c></para>
    /// </summary>
    /// <param name="signum">The Linux signal number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signum"/> is not 1 to 64.</exception>
    /// <exception cref="UnixErrorException">sigaction(2) failed.</exception>
    public static void ReinstallSignalHandler(int signum)
    {
        CheckSignal(signum, catchable: false);
        lock (s_signalGate)
        {
            if (s_signals.TryGetValue(signum, out var slot)) slot.Reinstall();
        }
    }

    /// <summary>
    /// Acts as if the process had received <paramref name="signum"/>: each of its handlers runs
    /// (on its loop), and for SIGCHLD the pending <see cref="WaitPid"/>/<see cref="Wait4"/> check
    /// their children. For another library that owns the signal's handler and passes the signal
    /// on (typically SIGCHLD). A signal with no handler is ignored. Safe from any thread.
    /// <para>Lwt: <c>Lwt_unix.handle_signal</c></para>
    /// </summary>
    /// <param name="signum">The Linux signal number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signum"/> is not 1 to 64.</exception>
    public static void HandleSignal(int signum)
    {
        CheckSignal(signum, catchable: false);
        DeliverSignal(signum);
        if (signum == SigChld) OnSigChld();
    }

    /// <summary>A signal arrived (or is told): sends the notification of each loop that has handlers for it.</summary>
    private static void DeliverSignal(int signum)
    {
        int[] notifications;
        lock (s_signalGate)
        {
            if (!s_signals.TryGetValue(signum, out var slot)) return;
            notifications = [.. slot.Deliveries.Values];
        }

        foreach (int n in notifications) SendNotification(n);
    }

    /// <summary>
    /// On <paramref name="loop"/>, a signal's delivery: runs the loop's handlers of
    /// <paramref name="signum"/> in installation order, each at most once, reading the list
    /// afresh before each one (see the file comment). A handler's exception goes to the async
    /// exception hook and the walk goes on, as it did when each handler was a notification of
    /// its own (in Lwt it leaves the walk and reaches the loop).
    /// </summary>
    private static void RunSignalHandlers(int signum, EventLoop loop)
    {
        long last = 0;
        while (true)
        {
            LwtSignalHandler? next = null;
            lock (s_signalGate)
            {
                if (!s_signals.TryGetValue(signum, out var slot)) return;
                foreach (var h in slot.Handlers)
                {
                    if (h.Sequence > last && h.Loop == loop)
                    {
                        next = h;
                        break;
                    }
                }
            }

            if (next is null) return;
            last = next.Sequence;
            try
            {
                next.Handler(next, signum);
            }
            catch (Exception e)
            {
                Promise.ExceptionFilter.RethrowIfRefused(e);
                Promise.ReportUnhandled(e);
            }
        }
    }

    private static void CheckSignal(int signum, bool catchable)
    {
        if (signum < 1 || signum > MaxSignal)
        {
            throw new ArgumentOutOfRangeException(nameof(signum), signum, "A Linux signal number is 1 to 64.");
        }

        if (catchable && (signum == 9 || signum == 19))
        {
            throw new ArgumentOutOfRangeException(nameof(signum), signum, "SIGKILL (9) and SIGSTOP (19) cannot be handled.");
        }
    }

    // ---- dispositions (Linux's struct sigaction) ---------------------------------

    private const nint SigDfl = 0;
    private const nint SigIgn = 1;

    /// <summary>
    /// Makes the runtime's registration of <paramref name="signum"/> and writes the disposition
    /// it leaves into <paramref name="installed"/> (<see cref="LibC.SigActionSize"/> bytes).
    /// <para>
    /// Lwt's sigaction replaces whatever disposition the signal had, SIG_IGN included: a
    /// program started with the signal ignored (SIGHUP under nohup, SIGINT and SIGQUIT in a
    /// shell's background job, SIGCHLD set by a parent) still gets its handler called. The
    /// runtime respects an ignored signal instead (a registration installs no handler over
    /// SIG_IGN), so an inherited SIG_IGN is put back to SIG_DFL first; the runtime then
    /// installs its handler and records SIG_DFL as the previous disposition, which it restores
    /// when the registration goes, as Lwt's remove_signal sets SIG_DFL. A signal arriving in
    /// between those two calls gets its default action: Lwt swaps dispositions in one call.
    /// </para>
    /// <para>
    /// The signals the runtime watches from its start (SIGINT and SIGQUIT for the console,
    /// SIGCHLD once a System.Diagnostics.Process ran) are settled there: if they were ignored
    /// then, the registration installs nothing even over SIG_DFL. The inherited SIG_IGN is put
    /// back (SIG_DFL alone would let a SIGINT end the process, or leave every child a zombie),
    /// so the signal stays ignored and its handlers are not called; <see cref="HandleSignal"/>
    /// still reaches them.
    /// </para>
    /// </summary>
    private static unsafe PosixSignalRegistration RegisterOverIgnored(int signum, PosixSignal signal, Action<PosixSignalContext> handler, byte* installed)
    {
        byte* inherited = stackalloc byte[LibC.SigActionSize];
        GetSigAction(signum, inherited);
        bool ignored = SigActionHandler(inherited) == SigIgn;
        if (ignored)
        {
            byte* dfl = stackalloc byte[LibC.SigActionSize];
            new Span<byte>(dfl, LibC.SigActionSize).Clear(); // SIG_DFL, no flags, empty mask
            SetSigAction(signum, dfl);
        }

        PosixSignalRegistration registration;
        try
        {
            registration = PosixSignalRegistration.Create(signal, handler);
            GetSigAction(signum, installed);
        }
        catch
        {
            if (ignored) SetSigAction(signum, inherited);
            throw;
        }

        if (ignored && SigActionHandler(installed) is SigDfl or SigIgn)
        {
            SetSigAction(signum, inherited); // the runtime settled on SIG_IGN (summary)
            new Span<byte>(inherited, LibC.SigActionSize).CopyTo(new Span<byte>(installed, LibC.SigActionSize));
        }

        return registration;
    }

    /// <summary>The sa_handler of a struct sigaction: its first field on Linux (glibc and musl, but MIPS).</summary>
    private static unsafe nint SigActionHandler(byte* action) => *(nint*)action;

    private static unsafe nint SigActionHandler(byte[] action)
    {
        fixed (byte* d = action) return SigActionHandler(d);
    }

    private static unsafe void GetSigAction(int signum, byte* action)
    {
        if (LibC.SigAction(signum, null, action) != 0) throw UnixErrorException.FromLastError("sigaction", signum);
    }

    private static unsafe void SetSigAction(int signum, byte* action)
    {
        if (LibC.SigAction(signum, action, null) != 0) throw UnixErrorException.FromLastError("sigaction", signum);
    }

    /// <summary>
    /// One handled signal number: the runtime's registration, the disposition it installed
    /// (for <see cref="Reinstall"/>), the handlers in installation order, and the notification
    /// of each loop that has handlers.
    /// </summary>
    private sealed class SignalSlot
    {
        private readonly int _signum;
        private readonly byte[]? _disposition;

        private SignalSlot(int signum, PosixSignalRegistration registration, byte[]? disposition = null)
        {
            _signum = signum;
            Registration = registration;
            _disposition = disposition;
        }

        internal PosixSignalRegistration Registration { get; }

        internal List<LwtSignalHandler> Handlers { get; } = new();

        /// <summary>Per loop with handlers here, the notification a signal sends it (it runs <see cref="RunSignalHandlers"/>).</summary>
        internal Dictionary<EventLoop, int> Deliveries { get; } = new();

        internal static unsafe SignalSlot Install(int signum)
        {
            PosixSignal signal = signum switch
            {
                1 => PosixSignal.SIGHUP,
                2 => PosixSignal.SIGINT,
                3 => PosixSignal.SIGQUIT,
                15 => PosixSignal.SIGTERM,
                _ => (PosixSignal)signum, // a raw Linux signal number (the runtime accepts them)
            };
            Action<PosixSignalContext> handler = context =>
            {
                if (signum != SigChld) context.Cancel = true;
                DeliverSignal(signum);
            };
            if (!OperatingSystem.IsLinux())
            {
                // The struct sigaction read by Reinstall is Linux's.
                return new SignalSlot(signum, PosixSignalRegistration.Create(signal, handler));
            }

            var disposition = new byte[LibC.SigActionSize];
            PosixSignalRegistration registration;
            fixed (byte* d = disposition) registration = RegisterOverIgnored(signum, signal, handler, d);
            return new SignalSlot(signum, registration, disposition);
        }

        internal unsafe void Reinstall()
        {
            if (_disposition is null) return; // not Linux: its struct sigaction is not known here
            fixed (byte* d = _disposition) SetSigAction(_signum, d);
        }
    }
}
