using System.Globalization;
using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// A system call of <see cref="LwtUnix"/> failed: the errno, the function and its argument.
/// <para>Lwt: <c>Unix.Unix_error</c> (as raised by <c>Lwt_unix</c>)</para>
/// </summary>
public sealed class UnixErrorException : IOException
{
    /// <summary>
    /// Creates the exception for <paramref name="errno"/> raised by <paramref name="function"/>.
    /// <para>Lwt: <c>Unix.Unix_error (err, fn, arg)</c></para>
    /// </summary>
    /// <param name="errno">The Linux errno value.</param>
    /// <param name="function">The failing call (e.g. <c>read</c>).</param>
    /// <param name="argument">Its argument, if meaningful (a path), else empty.</param>
    public UnixErrorException(int errno, string function, string argument = "")
        : base(FormatMessage(errno, function, argument))
    {
        Errno = errno;
        Function = function;
        Argument = argument;
    }

    /// <summary>The errno value.<para>Lwt: the <c>Unix.error</c> of <c>Unix_error</c></para></summary>
    public int Errno { get; }

    /// <summary>The function that failed.<para>Lwt: the second field of <c>Unix_error</c></para></summary>
    public string Function { get; }

    /// <summary>The argument of the call, or empty.<para>Lwt: the third field of <c>Unix_error</c></para></summary>
    public string Argument { get; }

    private static string FormatMessage(int errno, string function, string argument) =>
        $"{function}{(argument.Length != 0 ? "(" + argument + ")" : string.Empty)} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>
    /// The exception for the errno of the last P/Invoke call. The argument must be a string
    /// already at hand: one that still needs building goes to the generic overload instead,
    /// which builds it after the errno is read.
    /// </summary>
    internal static UnixErrorException FromLastError(string function, string argument = "") =>
        new(Marshal.GetLastPInvokeError(), function, argument);

    /// <summary>
    /// The exception for the errno of the last P/Invoke call, with <paramref name="argument"/>
    /// formatted (invariant culture) only once that errno is read. Formatting may itself make
    /// P/Invoke calls that overwrite the saved errno: the first invariant-culture formatting of
    /// an int in a process loads the culture data, and the first error reported would carry
    /// that loading's errno. So a pid, a signal number or an address is passed as it is, never
    /// formatted by the caller.
    /// </summary>
    internal static UnixErrorException FromLastError<TArgument>(string function, TArgument argument)
        where TArgument : notnull
    {
        int errno = Marshal.GetLastPInvokeError();
        string text = argument is IFormattable formattable
            ? formattable.ToString(null, CultureInfo.InvariantCulture)
            : argument.ToString() ?? string.Empty;
        return new UnixErrorException(errno, function, text);
    }
}
