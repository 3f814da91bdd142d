// The two socket option families whose values are not plain ints (Lwt_unix.getsockopt_optint
// / setsockopt_optint: SO_LINGER, and getsockopt_float / setsockopt_float: SO_RCVTIMEO,
// SO_SNDTIMEO). Like the other option calls they answer at once and throw.
//
// SO_LINGER is a struct linger {int l_onoff; int l_linger;}: OCaml's `int option` maps
// "off" to None and "on, n seconds" to Some n. The timeouts are a struct timeval {long
// tv_sec; long tv_usec;}, as seconds (0: no timeout). They bound blocking calls only: every
// socket this library waits on is non-blocking, so they matter for a socket handed to
// blocking code, as in Lwt.

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// The socket options whose value is an optional integer.
/// <para>Lwt: <c>Unix.socket_optint_option</c></para>
/// </summary>
public enum SocketOptIntOption
{
    /// <summary>SO_LINGER: how many seconds a close waits for unsent data, or none (the default: close returns at once).</summary>
    Linger,
}

/// <summary>
/// The socket options whose value is a duration in seconds.
/// <para>Lwt: <c>Unix.socket_float_option</c></para>
/// </summary>
public enum SocketFloatOption
{
    /// <summary>SO_RCVTIMEO: how long a blocking receive waits (0: forever).</summary>
    RcvTimeo,

    /// <summary>SO_SNDTIMEO: how long a blocking send waits (0: forever).</summary>
    SndTimeo,
}

public static partial class LwtUnix
{
    /// <summary>
    /// Sets an optional-integer socket option: for <see cref="SocketOptIntOption.Linger"/>,
    /// <c>Some(n)</c> makes a close wait up to n seconds for unsent data, <c>None</c> turns
    /// lingering off.
    /// <para>Lwt: <c>Lwt_unix.setsockopt_optint</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> holds a negative number, or <paramref name="option"/> is not an option.</exception>
    /// <exception cref="UnixErrorException">setsockopt(2) failed, or the socket is closed.</exception>
    public static void SetSockOpt(LwtFd fd, SocketOptIntOption option, Option<int> value)
    {
        ArgumentNullException.ThrowIfNull(fd);
        int name = Native(option);
        if (value.HasValue) ArgumentOutOfRangeException.ThrowIfNegative(value.Value, nameof(value));
        var linger = new LibC.Linger { OnOff = value.HasValue ? 1 : 0, Seconds = value.HasValue ? value.Value : 0 };
        SetOption(fd, LibC.SOL_SOCKET, name, linger);
    }

    /// <summary>
    /// Reads an optional-integer socket option: for <see cref="SocketOptIntOption.Linger"/>,
    /// the linger time in seconds, or <c>None</c> when lingering is off.
    /// <para>Lwt: <c>Lwt_unix.getsockopt_optint</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not an option.</exception>
    /// <exception cref="UnixErrorException">getsockopt(2) failed, or the socket is closed.</exception>
    public static Option<int> GetSockOpt(LwtFd fd, SocketOptIntOption option)
    {
        ArgumentNullException.ThrowIfNull(fd);
        var linger = GetOption<LibC.Linger>(fd, LibC.SOL_SOCKET, Native(option));
        return linger.OnOff != 0 ? Option.Some(linger.Seconds) : Option<int>.None;
    }

    /// <summary>
    /// Sets a duration socket option, in seconds (microsecond precision; 0: no timeout).
    /// <para>Lwt: <c>Lwt_unix.setsockopt_float</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <param name="seconds">The duration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is negative, not finite or
    /// larger than <see cref="int.MaxValue"/>, or <paramref name="option"/> is not an option.</exception>
    /// <exception cref="UnixErrorException">setsockopt(2) failed, or the socket is closed.</exception>
    public static void SetSockOpt(LwtFd fd, SocketFloatOption option, double seconds)
    {
        ArgumentNullException.ThrowIfNull(fd);
        int name = Native(option);
        if (!(seconds >= 0 && seconds <= int.MaxValue))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "A duration in seconds, from 0 (no timeout) to int.MaxValue.");
        long whole = (long)Math.Floor(seconds);
        var time = new LibC.TimeVal { Seconds = whole, Microseconds = (long)Math.Round((seconds - whole) * 1e6) };
        if (time.Microseconds == 1_000_000) time = new LibC.TimeVal { Seconds = whole + 1, Microseconds = 0 };
        SetOption(fd, LibC.SOL_SOCKET, name, time);
    }

    /// <summary>
    /// Reads a duration socket option, in seconds (0: no timeout). The kernel keeps it in clock
    /// ticks, so it reads back rounded up to a tick (1 to 10 ms, by the kernel's configuration).
    /// <para>Lwt: <c>Lwt_unix.getsockopt_float</c></para>
    /// </summary>
    /// <param name="fd">The socket.</param>
    /// <param name="option">The option.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="option"/> is not an option.</exception>
    /// <exception cref="UnixErrorException">getsockopt(2) failed, or the socket is closed.</exception>
    public static double GetSockOpt(LwtFd fd, SocketFloatOption option)
    {
        ArgumentNullException.ThrowIfNull(fd);
        var time = GetOption<LibC.TimeVal>(fd, LibC.SOL_SOCKET, Native(option));
        return time.Seconds + time.Microseconds / 1e6;
    }

    private static int Native(SocketOptIntOption option) => option switch
    {
        SocketOptIntOption.Linger => LibC.SO_LINGER,
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
    };

    private static int Native(SocketFloatOption option) => option switch
    {
        SocketFloatOption.RcvTimeo => LibC.SO_RCVTIMEO,
        SocketFloatOption.SndTimeo => LibC.SO_SNDTIMEO,
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
    };
}
