// Lwt_unix.handle_unix_error: the top-level guard of a small Unix program. It runs a
// promise-returning function; a Unix error (UnixErrorException here), thrown at the call or
// rejecting the promise, is printed to standard error as OCaml's Unix.handle_unix_error
// prints it, and the process exits with code 2:
//
//     <program>: "<function>" failed on "<argument>": <strerror message>
//
// (without ` on "<argument>"` when the error has no argument), where <program> is argv[0]:
// Environment.GetCommandLineArgs()[0], the path the program was started by. Any other
// exception, and the value, pass through unchanged.
//
// The exit is Environment.Exit(2), as OCaml's is `exit 2`: the process's exit handlers run,
// and with them Lwt's exit hooks (LwtMain.ExitHooks). While those hooks run (the process is
// exiting already, and Environment.Exit would wait for ever for that exit to end), it ends
// their pass instead, with exit code 2, as OCaml's exit does inside an at_exit function
// (Promise.ExitProcess, LwtExitHooks). A test cannot let the test host exit,
// so the output and the exit go through two internal seams; when the replaced exit returns,
// the promise is rejected with the Unix error, so nothing is left pending.

using System.Runtime.InteropServices;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>Where <see cref="HandleUnixError{T}(Func{Promise{T}})"/> writes its message (tests replace it; null: standard error).</summary>
    internal static TextWriter? UnixErrorOutput;

    /// <summary>How <see cref="HandleUnixError{T}(Func{Promise{T}})"/> ends the process (tests replace it; null: <see cref="Environment.Exit"/>).</summary>
    internal static Action<int>? UnixErrorExit;

    /// <summary>
    /// Runs <paramref name="f"/>; if it throws or its promise is rejected with a
    /// <see cref="UnixErrorException"/>, prints <c>program: "function" failed on "argument":
    /// message</c> to standard error (as OCaml's <c>Unix.handle_unix_error</c>) and exits the
    /// process with code 2. The value and any other exception pass through unchanged.
    /// <para>Lwt: <c>Lwt_unix.handle_unix_error</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <typeparam name="T">The type of its value.</typeparam>
    /// <returns>The promise of <paramref name="f"/>, unless it fails with a Unix error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> HandleUnixError<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Promise.Catch(f, e => e is UnixErrorException u ? ExitOnUnixError<T>(u) : Promise.Fail<T>(e));
    }

    /// <summary>
    /// Runs <paramref name="f"/> on <paramref name="x"/> as <see cref="HandleUnixError{T}(Func{Promise{T}})"/> does.
    /// <para>Lwt: <c>Lwt_unix.handle_unix_error f x</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="x">Its argument.</param>
    /// <typeparam name="TArg">The type of the argument.</typeparam>
    /// <typeparam name="T">The type of its value.</typeparam>
    /// <returns>The promise of <paramref name="f"/>, unless it fails with a Unix error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> HandleUnixError<TArg, T>(Func<TArg, Promise<T>> f, TArg x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return HandleUnixError(() => f(x));
    }

    /// <summary>
    /// <see cref="HandleUnixError{T}(Func{Promise{T}})"/> for a computation without a value.
    /// <para>Lwt: <c>Lwt_unix.handle_unix_error</c> (on a <c>unit Lwt.t</c>)</para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <returns>The promise of <paramref name="f"/>, unless it fails with a Unix error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise HandleUnixError(Func<Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Promise.Catch(f, e => e is UnixErrorException u ? ExitOnUnixError<Unit>(u) : Promise.Fail(e));
    }

    /// <summary>
    /// <see cref="HandleUnixError{TArg, T}(Func{TArg, Promise{T}}, TArg)"/> for a computation without a value.
    /// <para>Lwt: <c>Lwt_unix.handle_unix_error f x</c> (on a <c>unit Lwt.t</c>)</para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <param name="x">Its argument.</param>
    /// <typeparam name="TArg">The type of the argument.</typeparam>
    /// <returns>The promise of <paramref name="f"/>, unless it fails with a Unix error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise HandleUnixError<TArg>(Func<TArg, Promise> f, TArg x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return HandleUnixError(() => f(x));
    }

    /// <summary>The message of OCaml's Unix.handle_unix_error for <paramref name="error"/> (file comment).</summary>
    internal static string UnixErrorMessage(UnixErrorException error)
    {
        string[] args = Environment.GetCommandLineArgs();
        string program = args.Length > 0 && args[0].Length > 0 ? args[0] : Environment.ProcessPath ?? "dotnet";
        string on = error.Argument.Length > 0 ? $" on \"{error.Argument}\"" : string.Empty;
        return $"{program}: \"{error.Function}\" failed{on}: {Marshal.GetPInvokeErrorMessage(error.Errno)}";
    }

    private static Promise<T> ExitOnUnixError<T>(UnixErrorException error)
    {
        var output = UnixErrorOutput ?? Console.Error;
        try
        {
            output.WriteLine(UnixErrorMessage(error));
            output.Flush();
        }
        finally
        {
            (UnixErrorExit ?? Promise.ExitProcess)(2);
        }

        // Only a test's replacement of the exit returns.
        return Promise.Fail<T>(error);
    }
}
