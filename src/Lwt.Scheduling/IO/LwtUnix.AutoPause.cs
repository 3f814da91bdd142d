// Cooperative yielding by the clock (Lwt_unix.auto_pause, Lwt 5.5, and auto_yield, its
// deprecated old name).
//
// A long computation on the loop thread starves every other promise: nothing else runs
// until it awaits something pending. Pausing at every step is correct but costs a loop
// iteration per step. AutoPause(timeout) returns a function to call at every step: it
// answers a paused promise (Promise.Pause) only when at least `timeout` seconds have passed
// since the last time it paused (or since it was made), and the shared resolved unit promise
// otherwise. So the loop gets a turn about every `timeout` seconds, whatever the step size.
//
// The deadline belongs to the returned function, not to the thread: two functions made by
// two calls keep separate deadlines, as each Lwt closure has its own `limit` ref. The first
// deadline is `timeout` seconds after AutoPause itself (not after the first call), and it
// moves to `now + timeout` when the function pauses, measured at the call, as Lwt does
// (not `limit + timeout`: a late call does not make the next pauses come faster).
//
// Lwt reads Unix.gettimeofday, which jumps when the wall clock is set; this reads
// Stopwatch's monotonic clock instead, so setting the clock back cannot stop the pauses
// for hours. The times are doubles in seconds, so an infinite timeout simply never pauses
// and a zero or negative one always does (now >= now + timeout), as in Lwt. NaN, which Lwt
// would silently treat as "never", is refused: it is always a bug in the caller.

using System.Diagnostics;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// A function that yields to the event loop now and then: each call answers
    /// <see cref="Promise.Pause"/> if at least <paramref name="timeout"/> seconds have passed
    /// since that function last paused (or, for its first pause, since <c>AutoPause</c> made
    /// it), and an already resolved promise otherwise. Call it at each step of a long
    /// computation on the loop thread, and await what it returns, so that other promises get
    /// a turn about every <paramref name="timeout"/> seconds. Each returned function keeps its
    /// own deadline, on a monotonic clock. A timeout of 0 or less pauses at every call; an
    /// infinite one never pauses.
    /// <para>Lwt: <c>Lwt_unix.auto_pause</c></para>
    /// </summary>
    /// <param name="timeout">The least time between two pauses, in seconds.</param>
    /// <returns>The function to call at each step (on the loop thread).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN.</exception>
    public static Func<Promise> AutoPause(double timeout)
    {
        if (double.IsNaN(timeout)) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout is NaN.");
        double limit = MonotonicSeconds() + timeout;
        return () =>
        {
            double now = MonotonicSeconds();
            if (now < limit) return Promise.ReturnUnit;
            limit = now + timeout;
            return Promise.Pause();
        };
    }

    /// <summary>
    /// Lwt's old name for <see cref="AutoPause"/>: the same function, pausing with
    /// <see cref="Promise.Pause"/>.
    /// <para>Lwt: <c>Lwt_unix.auto_yield</c> (deprecated since Lwt 5.5 in favour of <c>Lwt_unix.auto_pause</c>)</para>
    /// </summary>
    /// <param name="timeout">The least time between two pauses, in seconds.</param>
    /// <returns>The function to call at each step (on the loop thread).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN.</exception>
    [Obsolete("Lwt_unix.auto_yield is deprecated: use LwtUnix.AutoPause.")]
    public static Func<Promise> AutoYield(double timeout) => AutoPause(timeout);

    /// <summary>
    /// Lwt's old name for <see cref="Promise.Pause"/>: a promise resolved at the next iteration
    /// of the loop.
    /// <para>Lwt: <c>Lwt_unix.yield</c> (deprecated since Lwt 5.5 in favour of <c>Lwt.pause</c>)</para>
    /// </summary>
    /// <returns>The paused promise.</returns>
    [Obsolete("Lwt_unix.yield is deprecated: use Promise.Pause().")]
    public static Promise Yield() => Promise.Pause();

    /// <summary>Seconds on the monotonic clock (from an arbitrary origin).</summary>
    private static double MonotonicSeconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
}
