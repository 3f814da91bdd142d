// What an engine says about itself: its kind (Id), whether it forwards signals
// (ForwardsSignal), and the do-nothing event (FakeEvent). None of it is on the
// dispatch path: these members are read by code that chooses or reports an
// engine, never per event.
//
// Signals. In Lwt 5.7 an engine may watch signals itself (libev's ev_signal)
// and hand them to Lwt_unix.handle_signal; Lwt_unix then installs no handler
// of its own for those. Here no engine ever watches a signal: LwtUnix's
// signal handlers (IO/LwtUnix.Signals.cs) sit on the runtime's
// PosixSignalRegistration, whose C handler wakes the runtime's signal thread,
// and the handlers run on their loops through notifications, whatever engine
// those loops use. So ForwardsSignal answers false for every engine, and it is
// not virtual: an engine derived by a user (PollBasedEngine) cannot claim
// signals either, since LwtUnix would not ask it to deliver them.

using System.Runtime.CompilerServices;

namespace Lwt;

public abstract partial class LwtEngine
{
    /// <summary>The highest signal number Linux and the BSDs define (the real-time signals included).</summary>
    private const int MaxSignal = 64;

    /// <summary>
    /// The event that is registered nowhere and does nothing when stopped: a placeholder for a
    /// variable that holds an event before there is one to stop. The same object as
    /// <see cref="LwtEvent.Fake"/>.
    /// <para>Lwt: <c>Lwt_engine.fake_event</c></para>
    /// </summary>
    public static LwtEvent FakeEvent => LwtEvent.Fake;

    /// <summary>
    /// The kind of this engine: <c>"epoll"</c> for <see cref="EpollEngine"/>, <c>"poll"</c> for
    /// <see cref="PollEngine"/> (the names <c>LWT_ENGINE</c> accepts, so that a reported id can
    /// be set back), and what a <see cref="PollBasedEngine"/> subclass chooses (its type name
    /// unless it overrides <see cref="PollBasedEngine.EngineId"/>).
    /// <para>Lwt: <c>Lwt_engine.id</c> (Lwt 6.1; the engine's <c>engine_id</c>)</para>
    /// </summary>
    public string Id => EngineIdCore;

    /// <summary>The id of the backend; see <see cref="Id"/>.</summary>
    private protected abstract string EngineIdCore { get; }

    /// <summary>
    /// Whether this engine itself catches <paramref name="signum"/> and delivers it to
    /// <see cref="LwtUnix.HandleSignal"/>. Always false here: no engine watches signals;
    /// <see cref="LwtUnix.OnSignal(int, Action{int})"/> installs the runtime's handler for any engine (see the
    /// comment of LwtEngine.Identity.cs).
    /// <para>Lwt: <c>Lwt_engine.forwards_signal</c> (Lwt 5.7)</para>
    /// </summary>
    /// <param name="signum">A signal number (1 to 64, as <c>SIGINT</c> = 2).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signum"/> is not a signal number.</exception>
    public bool ForwardsSignal(int signum)
    {
        if (signum is < 1 or > MaxSignal)
        {
            ThrowBadSignal(signum);
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSignal(int signum) =>
        throw new ArgumentOutOfRangeException(nameof(signum), signum, $"A signal number is between 1 and {MaxSignal}.");
}
