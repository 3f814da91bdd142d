using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// .NET's <see cref="PosixSignal"/> as the Linux signal numbers that <c>kill(2)</c> and
/// <c>sigaction(2)</c> take. The enum's named values are negative placeholders that the
/// runtime maps per platform (SIGTERM is -4, not 15); any other value is the raw number
/// itself, .NET's own convention (<c>(PosixSignal)10</c> is SIGUSR1). The overloads that take
/// a <see cref="PosixSignal"/> (<see cref="LwtProcessBase.Kill(PosixSignal)"/>,
/// <see cref="LwtUnix.OnSignal(PosixSignal, Action{int})"/>) translate through here, so that
/// <c>(int)PosixSignal.SIGTERM</c> never reaches the system as -4.
/// </summary>
internal static class PosixSignalNumbers
{
    /// <summary>The Linux number of <paramref name="signal"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative value that names no signal.</exception>
    internal static int ToLinux(PosixSignal signal) => (int)signal switch
    {
        // The enum's values, by number: some are marked unsupported on Windows, and naming
        // them would need a platform guard for a mapping that is only arithmetic.
        -1 => 1,   // SIGHUP
        -2 => 2,   // SIGINT
        -3 => 3,   // SIGQUIT
        -4 => 15,  // SIGTERM
        -5 => 17,  // SIGCHLD
        -6 => 18,  // SIGCONT
        -7 => 28,  // SIGWINCH
        -8 => 21,  // SIGTTIN
        -9 => 22,  // SIGTTOU
        -10 => 20, // SIGTSTP
        >= 0 => (int)signal,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal,
            "Not a signal: the named PosixSignal values and raw signal numbers (0 and up) are."),
    };
}
