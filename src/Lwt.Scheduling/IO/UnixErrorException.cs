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
    /// <exception cref="ArgumentNullException"><paramref name="function"/> or <paramref name="argument"/> is null.</exception>
    public UnixErrorException(int errno, string function, string argument = "")
        : base(FormatMessage(errno, function, argument))
    {
        Errno = errno;
        Function = function;
        Argument = argument;
    }

    /// <summary>
    /// Creates the exception for the error <paramref name="error"/> raised by
    /// <paramref name="function"/>, as OCaml code raises <c>Unix_error</c> itself.
    /// <para>Lwt: <c>raise (Unix.Unix_error (err, fn, arg))</c></para>
    /// </summary>
    /// <param name="error">The error, by name.</param>
    /// <param name="function">The failing call (e.g. <c>open</c>).</param>
    /// <param name="argument">Its argument, if meaningful (a path), else empty.</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> or <paramref name="argument"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="error"/> is <see cref="UnixError.EUNKNOWNERR"/> or not a member of <see cref="UnixError"/>: use the constructor that takes the errno number.</exception>
    public UnixErrorException(UnixError error, string function, string argument = "")
        : this(ErrnoOf(error), function, argument)
    {
    }

    /// <summary>The errno value, as the system gave it (Linux's numbering).<para>Lwt: the <c>Unix.error</c> of <c>Unix_error</c>, as a number (<c>EUNKNOWNERR n</c> carries it)</para></summary>
    public int Errno { get; }

    /// <summary>
    /// The error by name: <see cref="Errno"/> as OCaml's <c>Unix.error</c>, or
    /// <see cref="UnixError.EUNKNOWNERR"/> for an errno OCaml has no name for.
    /// <para>Lwt: the <c>Unix.error</c> of <c>Unix_error</c></para>
    /// </summary>
    public UnixError Error => IsErrno((UnixError)Errno) ? (UnixError)Errno : UnixError.EUNKNOWNERR;

    /// <summary>
    /// The system's description of the error (<c>strerror</c>), e.g. <c>No such file or
    /// directory</c>: what <see cref="Exception.Message"/> quotes after the function.
    /// <para>Lwt: <c>Unix.error_message</c></para>
    /// </summary>
    public string ErrorMessage => Marshal.GetPInvokeErrorMessage(Errno);

    /// <summary>The function that failed.<para>Lwt: the second field of <c>Unix_error</c></para></summary>
    public string Function { get; }

    /// <summary>The argument of the call, or empty.<para>Lwt: the third field of <c>Unix_error</c></para></summary>
    public string Argument { get; }

    /// <summary>
    /// The three fields, for positional patterns:
    /// <c>catch (UnixErrorException e) when (e is (UnixError.ENOENT, _, _))</c>, as OCaml
    /// matches <c>Unix_error (ENOENT, _, _)</c>.
    /// <para>Lwt: the pattern <c>Unix.Unix_error (err, fn, arg)</c></para>
    /// </summary>
    /// <param name="error">Receives <see cref="Error"/>.</param>
    /// <param name="function">Receives <see cref="Function"/>.</param>
    /// <param name="argument">Receives <see cref="Argument"/>.</param>
    public void Deconstruct(out UnixError error, out string function, out string argument)
    {
        error = Error;
        function = Function;
        argument = Argument;
    }

    /// <summary>Whether <paramref name="error"/> is a name whose value is an errno (a member, not EUNKNOWNERR).</summary>
    private static bool IsErrno(UnixError error) => error != UnixError.EUNKNOWNERR && Enum.IsDefined(error);

    private static int ErrnoOf(UnixError error) =>
        IsErrno(error)
            ? (int)error
            : throw new ArgumentException(
                $"{error} names no errno: pass the errno number to UnixErrorException(int, string, string) instead.", nameof(error));

    // Checks the strings here, as the base constructor's argument: the body runs too late.
    private static string FormatMessage(int errno, string function, string argument)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(argument);
        return $"{function}{(argument.Length != 0 ? "(" + argument + ")" : string.Empty)} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }

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
