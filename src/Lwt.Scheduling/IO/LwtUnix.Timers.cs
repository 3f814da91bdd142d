namespace Lwt;

/*
 * Timers (Lwt_unix.sleep, timeout, with_timeout). Each sleep is a cancelable promise
 * owning one entry of the calling thread's timer wheel (TimerPromise.cs): insert, cancel
 * and expiry cost O(1) however many timers there are, and canceling removes the entry at
 * once. A timer never fires before its deadline (the wheel rounds waits up).
 */

/// <summary>
/// Lwt's Unix layer: timers, file descriptors, sockets, files and processes on the calling
/// thread's event loop.
/// <para>Lwt: <c>Lwt_unix</c></para>
/// </summary>
public static partial class LwtUnix
{
    /// <summary>
    /// A cancelable promise fulfilled after <paramref name="seconds"/> seconds (never before).
    /// <c>Sleep(0)</c> (or a negative delay) yields like <see cref="Promise.Pause"/>.
    /// <para>
    /// The timer belongs to the calling thread's event loop and fires only while that thread
    /// runs <see cref="LwtMain.Run(Promise)"/>. Called where no loop runs (a plain
    /// <c>async Task Main</c>, a thread-pool thread, a <c>BackgroundService</c>), the promise
    /// stays pending for ever, with no error: start it on the loop instead
    /// (<see cref="EventLoop.Post(Action)"/>, then Lwt.Interop's <c>AsTask</c>). So does
    /// <see cref="Timeout"/>.
    /// </para>
    /// <para>Lwt: <c>Lwt_unix.sleep</c></para>
    /// </summary>
    /// <param name="seconds">The delay, in seconds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is NaN.</exception>
    public static Promise Sleep(double seconds) => SleepTyped(seconds);

    /// <inheritdoc cref="Sleep(double)"/>
    /// <param name="delay">The delay.</param>
    public static Promise Sleep(TimeSpan delay) => SleepTyped(delay.TotalSeconds);

    internal static Promise<Unit> SleepTyped(double seconds)
    {
        if (double.IsNaN(seconds)) throw new ArgumentOutOfRangeException(nameof(seconds), "The delay is NaN.");
        if (seconds <= 0) return Promise.PauseTyped();
        return new TimerPromise<Unit>(EventLoop.ForCurrentThread(), TimerPromise<Unit>.DeadlineAfter(seconds), rejectOnExpiry: false);
    }

    /// <summary>
    /// A cancelable promise rejected with <see cref="TimeoutException"/> after
    /// <paramref name="seconds"/> seconds.
    /// <para>Lwt: <c>Lwt_unix.timeout</c></para>
    /// </summary>
    /// <param name="seconds">The delay, in seconds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is NaN.</exception>
    public static Promise Timeout(double seconds) => TimeoutTyped<Unit>(seconds);

    /// <summary>
    /// <see cref="Timeout(double)"/> typed as a promise of <typeparamref name="T"/>, as Lwt's
    /// <c>timeout</c> is of any type (<c>'a Lwt.t</c>): it never fulfils, so it races any
    /// promise of that type without a conversion, <c>Promise.Pick(ic.ReadLine(),
    /// LwtUnix.Timeout&lt;string&gt;(5))</c>.
    /// <para>Lwt: <c>Lwt_unix.timeout</c></para>
    /// </summary>
    /// <param name="seconds">The delay, in seconds.</param>
    /// <typeparam name="T">The type of the promises it races.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is NaN.</exception>
    public static Promise<T> Timeout<T>(double seconds) => TimeoutTyped<T>(seconds);

    private static Promise<T> TimeoutTyped<T>(double seconds)
    {
        if (double.IsNaN(seconds)) throw new ArgumentOutOfRangeException(nameof(seconds), "The delay is NaN.");
        return new TimerPromise<T>(EventLoop.ForCurrentThread(), TimerPromise<T>.DeadlineAfter(Math.Max(0, seconds)), rejectOnExpiry: true);
    }

    /// <summary>
    /// Runs <paramref name="f"/> with a time limit: <c>Pick</c> of its promise and
    /// <see cref="Timeout"/>, so the loser is canceled either way.
    /// <para>Lwt: <c>Lwt_unix.with_timeout</c></para>
    /// </summary>
    /// <param name="seconds">The time limit, in seconds.</param>
    /// <param name="f">The computation.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is NaN (<paramref name="f"/> is not called).</exception>
    public static Promise<T> WithTimeout<T>(double seconds, Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var timeout = TimeoutTyped<T>(seconds);
        Promise<T> work;
        try
        {
            work = ThrowHelper.NullAsRejected(f());
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            work = Promise.Fail<T>(e);
        }
        return Promise.Pick(timeout, work);
    }
}
