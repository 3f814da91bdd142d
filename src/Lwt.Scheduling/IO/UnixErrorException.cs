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

    /// <summary>The exception for the errno of the last P/Invoke call.</summary>
    internal static UnixErrorException FromLastError(string function, string argument = "") =>
        new(Marshal.GetLastPInvokeError(), function, argument);
}
