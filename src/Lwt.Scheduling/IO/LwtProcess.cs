// LwtProcess (Lwt_process): running child processes on the event loop.
//
// Three levels, as in Lwt:
//  - Open*: start a child and get a process object (LwtProcess.Objects.cs)
//    with its pipes as LwtIO channels; With*: the same, closed when a
//    function's promise resolves;
//  - Exec: run and wait for the status;
//  - PRead*/PWrite*/PMap*: run a command as a function of strings or streams
//    of lines or chars (bytes, as LwtIO's ReadChar/WriteChar).
//
// The P* functions follow Lwt's: PRead reads the child's output up to end of
// file and closes the pipe; it does not wait for the exit status (the child
// is reaped in the background by Wait4). A stream (PReadLines...) closes
// the pipe when it ends. PMap writes and reads at the same time (so a child
// that answers before it has read all its input cannot deadlock us) and fails
// if either side fails; cancelling it cancels both. With a timeout, an
// operation cut short by the kill rejects with TimeoutException (Lwt reports
// the closed channel; the cause is clearer here).
//
// Every function takes Lwt's optional arguments in Lwt's order: timeout (in
// seconds), env (the whole environment, "NAME=value" strings; null: this
// process's), cwd (null: this process's), then the redirections of the
// descriptors that are not pipes (null: Keep).
//
// Errors: a command that cannot be started (no such program, bad cwd) makes
// Open* throw UnixErrorException at the call, and every promise-returning
// function reject with it; a NaN timeout likewise, with
// ArgumentOutOfRangeException, before anything is started. A null argument (command, text, stream, function)
// is a bug of the caller: every function throws ArgumentNullException at the
// call, never through its promise or stream.

using System.Runtime.ExceptionServices;
using System.Text;

namespace Lwt;

/// <summary>
/// Child processes with their pipes as <see cref="LwtIO"/> channels, their status from
/// <see cref="LwtUnix.Wait4"/>, timeouts and redirections. Use from an event loop's thread.
/// <para>
/// The pipes, the status and the timeout belong to the calling thread's event loop: called
/// where no loop runs (Task code on a thread-pool thread, such as an ASP.NET Core endpoint),
/// the child starts but every promise stays pending for ever, with no error. From such code,
/// start the work on the loop (<see cref="EventLoop.Post(Action)"/>, then Lwt.Interop's
/// <c>AsTask</c>).
/// </para>
/// <para>Lwt: <c>Lwt_process</c></para>
/// </summary>
public static partial class LwtProcess
{
    internal const int SIGKILL = 9;

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// A command running <paramref name="commandLine"/> with <c>/bin/sh -c</c>. The child is the
    /// shell, which (dash, Debian's /bin/sh, for one) forks even a single command rather than exec it, so
    /// a signal (<see cref="LwtProcessBase.Kill(int)"/>, a <c>timeout</c>) reaches the shell only: its
    /// own children live on, orphaned, and keep the process's pipes open, so that a read of the
    /// child's output waits for them to end. Prefix the command with <c>exec</c>, or close the
    /// process (<see cref="LwtProcessBase.Close"/>) after the kill so that waiting reads fail.
    /// <para>Lwt: <c>Lwt_process.shell</c></para>
    /// </summary>
    /// <param name="commandLine">The shell command line.</param>
    /// <exception cref="ArgumentNullException"><paramref name="commandLine"/> is null.</exception>
    public static ProcessCommand Shell(string commandLine) => ProcessCommand.Shell(commandLine);

    // ---- process objects -------------------------------------------------

    /// <summary>
    /// Starts <paramref name="command"/> with its standard descriptors redirected as asked
    /// (all kept by default).
    /// <para>Lwt: <c>Lwt_process.open_process_none</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds.</param>
    /// <param name="env">The child's whole environment ("NAME=value"); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: keep).</param>
    /// <param name="stdout">The child's standard output (null: keep).</param>
    /// <param name="stderr">The child's standard error (null: keep).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    /// <exception cref="UnixErrorException">The child could not be started (no such program, a bad <paramref name="cwd"/>...).</exception>
    /// <exception cref="ObjectDisposedException">A redirection's descriptor wrapper or handle is closed (nothing is started).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN (nothing is started).</exception>
    public static LwtProcessNone OpenProcessNone(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckTimeout(timeout);
        env = CheckSpawnInputs(env, cwd);
        int pid = Spawn(command, env, cwd, stdin ?? ProcessRedirection.Keep, stdout ?? ProcessRedirection.Keep, stderr ?? ProcessRedirection.Keep);
        return new LwtProcessNone(pid, command, timeout);
    }

    /// <summary>
    /// Starts <paramref name="command"/> with its standard output on a pipe
    /// (<see cref="LwtProcessIn.Stdout"/>).
    /// <para>Lwt: <c>Lwt_process.open_process_in</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    /// <exception cref="UnixErrorException">The child could not be started (no such program, a bad <paramref name="cwd"/>...).</exception>
    /// <exception cref="ObjectDisposedException">A redirection's descriptor wrapper or handle is closed (nothing is started).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN (nothing is started).</exception>
    public static LwtProcessIn OpenProcessIn(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckTimeout(timeout);
        env = CheckSpawnInputs(env, cwd);
        var (outR, outW) = LwtUnix.PipeIn();
        int pid;
        try
        {
            pid = Spawn(command, env, cwd, stdin ?? ProcessRedirection.Keep, ProcessRedirection.FdMove(outW), stderr ?? ProcessRedirection.Keep);
        }
        catch
        {
            outR.Dispose();
            outW.Dispose();
            throw;
        }

        return new LwtProcessIn(pid, command, timeout, LwtIO.OfFd(LwtIO.Input, outR));
    }

    /// <summary>
    /// Starts <paramref name="command"/> with its standard input on a pipe
    /// (<see cref="LwtProcessOut.Stdin"/>).
    /// <para>Lwt: <c>Lwt_process.open_process_out</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    /// <exception cref="UnixErrorException">The child could not be started (no such program, a bad <paramref name="cwd"/>...).</exception>
    /// <exception cref="ObjectDisposedException">A redirection's descriptor wrapper or handle is closed (nothing is started).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN (nothing is started).</exception>
    public static LwtProcessOut OpenProcessOut(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckTimeout(timeout);
        env = CheckSpawnInputs(env, cwd);
        var (inR, inW) = LwtUnix.PipeOut();
        int pid;
        try
        {
            pid = Spawn(command, env, cwd, ProcessRedirection.FdMove(inR), stdout ?? ProcessRedirection.Keep, stderr ?? ProcessRedirection.Keep);
        }
        catch
        {
            inR.Dispose();
            inW.Dispose();
            throw;
        }

        return new LwtProcessOut(pid, command, timeout, LwtIO.OfFd(LwtIO.Output, inW));
    }

    /// <summary>
    /// Starts <paramref name="command"/> with its standard input and output on pipes.
    /// <para>Lwt: <c>Lwt_process.open_process</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    /// <exception cref="UnixErrorException">The child could not be started (no such program, a bad <paramref name="cwd"/>...).</exception>
    /// <exception cref="ObjectDisposedException">A redirection's descriptor wrapper or handle is closed (nothing is started).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN (nothing is started).</exception>
    public static LwtProcessInOut OpenProcess(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckTimeout(timeout);
        env = CheckSpawnInputs(env, cwd);
        var (inR, inW) = LwtUnix.PipeOut();
        LwtFd? outR = null;
        Microsoft.Win32.SafeHandles.SafeFileHandle? outW = null;
        int pid;
        try
        {
            (outR, outW) = LwtUnix.PipeIn();
            pid = Spawn(command, env, cwd, ProcessRedirection.FdMove(inR), ProcessRedirection.FdMove(outW), stderr ?? ProcessRedirection.Keep);
        }
        catch
        {
            inR.Dispose();
            inW.Dispose();
            outR?.Dispose();
            outW?.Dispose();
            throw;
        }

        return new LwtProcessInOut(pid, command, timeout, LwtIO.OfFd(LwtIO.Output, inW), LwtIO.OfFd(LwtIO.Input, outR));
    }

    /// <summary>
    /// Starts <paramref name="command"/> with its standard input, output and error on pipes.
    /// <para>Lwt: <c>Lwt_process.open_process_full</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    /// <exception cref="UnixErrorException">The child could not be started (no such program, a bad <paramref name="cwd"/>...).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is NaN (nothing is started).</exception>
    public static LwtProcessFull OpenProcessFull(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckTimeout(timeout);
        env = CheckSpawnInputs(env, cwd);
        var (inR, inW) = LwtUnix.PipeOut();
        LwtFd? outR = null, errR = null;
        Microsoft.Win32.SafeHandles.SafeFileHandle? outW = null, errW = null;
        int pid;
        try
        {
            (outR, outW) = LwtUnix.PipeIn();
            (errR, errW) = LwtUnix.PipeIn();
            pid = Spawn(command, env, cwd, ProcessRedirection.FdMove(inR), ProcessRedirection.FdMove(outW), ProcessRedirection.FdMove(errW));
        }
        catch
        {
            inR.Dispose();
            inW.Dispose();
            outR?.Dispose();
            outW?.Dispose();
            errR?.Dispose();
            errW?.Dispose();
            throw;
        }

        return new LwtProcessFull(pid, command, timeout, LwtIO.OfFd(LwtIO.Output, inW), LwtIO.OfFd(LwtIO.Input, outR), LwtIO.OfFd(LwtIO.Input, errR));
    }

    /// <summary>
    /// Starts the process as <see cref="OpenProcessNone"/>, runs <paramref name="f"/> on it and
    /// closes it when <paramref name="f"/>'s promise resolves (either way).
    /// <para>Lwt: <c>Lwt_process.with_process_none</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="f">What to do with the process.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="f"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<T> WithProcessNone<T>(ProcessCommand command, Func<LwtProcessNone, Promise<T>> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessNone(command, timeout, e, cwd, stdin, stdout, stderr), f);

    /// <inheritdoc cref="WithProcessNone{T}"/>
    public static Promise WithProcessNone(ProcessCommand command, Func<LwtProcessNone, Promise> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessNone(command, timeout, e, cwd, stdin, stdout, stderr), Unitize(f));

    /// <summary>
    /// Starts the process as <see cref="OpenProcessIn"/>, runs <paramref name="f"/> on it and
    /// closes it when <paramref name="f"/>'s promise resolves (either way).
    /// <para>Lwt: <c>Lwt_process.with_process_in</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="f">What to do with the process.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="f"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<T> WithProcessIn<T>(ProcessCommand command, Func<LwtProcessIn, Promise<T>> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), f);

    /// <inheritdoc cref="WithProcessIn{T}"/>
    public static Promise WithProcessIn(ProcessCommand command, Func<LwtProcessIn, Promise> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), Unitize(f));

    /// <summary>
    /// Starts the process as <see cref="OpenProcessOut"/>, runs <paramref name="f"/> on it and
    /// closes it when <paramref name="f"/>'s promise resolves (either way).
    /// <para>Lwt: <c>Lwt_process.with_process_out</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="f">What to do with the process.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="f"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<T> WithProcessOut<T>(ProcessCommand command, Func<LwtProcessOut, Promise<T>> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), f);

    /// <inheritdoc cref="WithProcessOut{T}"/>
    public static Promise WithProcessOut(ProcessCommand command, Func<LwtProcessOut, Promise> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), Unitize(f));

    /// <summary>
    /// Starts the process as <see cref="OpenProcess"/>, runs <paramref name="f"/> on it and
    /// closes it when <paramref name="f"/>'s promise resolves (either way).
    /// <para>Lwt: <c>Lwt_process.with_process</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="f">What to do with the process.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="f"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<T> WithProcess<T>(ProcessCommand command, Func<LwtProcessInOut, Promise<T>> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcess(command, timeout, e, cwd, stderr), f);

    /// <inheritdoc cref="WithProcess{T}"/>
    public static Promise WithProcess(ProcessCommand command, Func<LwtProcessInOut, Promise> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null) =>
        With(command, env, cwd, e => OpenProcess(command, timeout, e, cwd, stderr), Unitize(f));

    /// <summary>
    /// Starts the process as <see cref="OpenProcessFull"/>, runs <paramref name="f"/> on it and
    /// closes it when <paramref name="f"/>'s promise resolves (either way).
    /// <para>Lwt: <c>Lwt_process.with_process_full</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="f">What to do with the process.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never). A read or write on its channels that is waiting then, or made later, fails with <see cref="ChannelClosedException"/> (not a <see cref="TimeoutException"/>): <see cref="LwtProcessBase.TimedOut"/> tells a timeout from other closes.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="f"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<T> WithProcessFull<T>(ProcessCommand command, Func<LwtProcessFull, Promise<T>> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null) =>
        With(command, env, cwd, e => OpenProcessFull(command, timeout, e, cwd), f);

    /// <inheritdoc cref="WithProcessFull{T}"/>
    public static Promise WithProcessFull(ProcessCommand command, Func<LwtProcessFull, Promise> f, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null) =>
        With(command, env, cwd, e => OpenProcessFull(command, timeout, e, cwd), Unitize(f));

    /// <summary>
    /// Copies <paramref name="env"/> once (a lazy sequence is read once, here) and refuses a null
    /// element, or a NUL character in an element or in <paramref name="cwd"/>, at the call, as
    /// <see cref="ProcessCommand"/> refuses a null or NUL argument: the functions returning a
    /// promise or a stream used to reject with them instead, while the OpenProcess* functions
    /// threw them after closing the caller's FdMove redirections.
    /// </summary>
    private static string[]? CheckSpawnInputs(IEnumerable<string>? env, string? cwd)
    {
        if (cwd is not null) LwtUnix.CheckPath(cwd); // a path, refused as LwtUnix refuses one
        if (env is null) return null;
        var envp = env.ToArray();
        foreach (var v in envp)
        {
            if (v is null) throw new ArgumentNullException(nameof(env), "The environment contains a null element.");
            if (v.Contains('\0')) throw new ArgumentException("A variable of the environment contains a NUL character.", nameof(env));
        }
        return envp;
    }

    /// <summary>
    /// Refuses the timeout that LwtUnix.Sleep would refuse, before anything is started: found
    /// by the process object's constructor, it would leave the child running, its pipes open
    /// and its waiter registered, with no object left to reach them.
    /// </summary>
    private static void CheckTimeout(double? timeout)
    {
        if (timeout is { } seconds && double.IsNaN(seconds))
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout is NaN.");
    }

    private static Func<TP, Promise<Unit>> Unitize<TP>(Func<TP, Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return p => f(p).Bind(() => Promise.ReturnUnit);
    }

    private static Promise<T> With<TP, T>(ProcessCommand command, IEnumerable<string>? env, string? cwd, Func<IEnumerable<string>?, TP> open, Func<TP, Promise<T>> f)
        where TP : LwtProcessBase
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(f);
        var envp = CheckSpawnInputs(env, cwd);
        TP process;
        try
        {
            process = open(envp);
        }
        catch (Exception e)
        {
            return Promise.Fail<T>(e);
        }

        return Promise.Finally(() => f(process), () => process.Close());
    }

    // ---- exec --------------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="command"/> and returns its status (exited with a code, or killed
    /// by a signal).
    /// <para>Lwt: <c>Lwt_process.exec</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); the status is then <c>Signaled 9</c>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<ProcessStatus> Exec(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envp = CheckSpawnInputs(env, cwd);
        try
        {
            return OpenProcessNone(command, timeout, envp, cwd, stdin, stdout, stderr).Close();
        }
        catch (Exception e)
        {
            return Promise.Fail<ProcessStatus>(e);
        }
    }

    // ---- reading -----------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="command"/> and returns its whole standard output (UTF-8), read up
    /// to end of file. Does not wait for the exit status.
    /// <para>Lwt: <c>Lwt_process.pread</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill the process after this many seconds (the promise then rejects with <see cref="TimeoutException"/>).</param>
    /// <param name="env">The child's whole environment ("NAME=value"); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: keep).</param>
    /// <param name="stderr">The child's standard error (null: keep).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<string> PRead(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        Start(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), p => Recv(p, p.Stdout));

    /// <summary>
    /// Runs <paramref name="command"/> and returns the first line of its standard output
    /// (then closes the pipe). Rejects with <see cref="EndOfStreamException"/> if there is none.
    /// <para>Lwt: <c>Lwt_process.pread_line</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the operation short, the promise rejects with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<string> PReadLine(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        Start(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), p => RecvLine(p, p.Stdout));

    /// <summary>
    /// Runs <paramref name="command"/> and returns the lines of its standard output as a
    /// stream, which ends (and closes the pipe) at end of file.
    /// <para>Lwt: <c>Lwt_process.pread_lines</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the stream short, it fails with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static LwtStream<string> PReadLines(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        StartStream(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), p => RecvItems(p, p.Stdout, LwtIO.ReadLineOpt));

    /// <summary>
    /// Runs <paramref name="command"/> and returns the bytes of its standard output as a
    /// stream of chars (one byte each, as <see cref="LwtIO.ReadChar"/>), which ends at end of file.
    /// <para>Lwt: <c>Lwt_process.pread_chars</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the stream short, it fails with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdin">The child's standard input (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static LwtStream<char> PReadChars(ProcessCommand command, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdin = null, ProcessRedirection? stderr = null) =>
        StartStream(command, env, cwd, e => OpenProcessIn(command, timeout, e, cwd, stdin, stderr), p => RecvItems(p, p.Stdout, LwtIO.ReadCharOpt));

    // ---- writing -----------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="command"/>, writes <paramref name="text"/> (UTF-8) to its standard
    /// input and closes it. Resolves once the text is written and the pipe closed (not when the
    /// child exits).
    /// <para>Lwt: <c>Lwt_process.pwrite</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="text">What to write.</param>
    /// <param name="timeout">Kill the process after this many seconds (the promise then rejects with <see cref="TimeoutException"/>).</param>
    /// <param name="env">The child's whole environment ("NAME=value"); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: keep).</param>
    /// <param name="stderr">The child's standard error (null: keep).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="text"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise PWrite(ProcessCommand command, string text, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Start(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), p => Send(p, p.Stdin, oc => oc.Write(text)));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, writes <paramref name="line"/> and a newline to its
    /// standard input and closes it.
    /// <para>Lwt: <c>Lwt_process.pwrite_line</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="line">What to write (a newline is added).</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the operation short, the promise rejects with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="line"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise PWriteLine(ProcessCommand command, string line, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Start(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), p => Send(p, p.Stdin, oc => oc.WriteLine(line)));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, writes each line of <paramref name="lines"/> (with a
    /// newline) to its standard input until the stream ends, and closes it.
    /// <para>Lwt: <c>Lwt_process.pwrite_lines</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="lines">The lines to write.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the operation short, the promise rejects with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="lines"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise PWriteLines(ProcessCommand command, LwtStream<string> lines, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Start(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), p => Send(p, p.Stdin, oc => lines.IterS(l => oc.WriteLine(l))));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, writes each char of <paramref name="chars"/> (one byte
    /// each, as <see cref="LwtIO.WriteChar"/>) to its standard input until the stream ends, and
    /// closes it.
    /// <para>Lwt: <c>Lwt_process.pwrite_chars</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="chars">The chars to write.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the operation short, the promise rejects with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stdout">The child's standard output (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="chars"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise PWriteChars(ProcessCommand command, LwtStream<char> chars, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stdout = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(chars);
        return Start(command, env, cwd, e => OpenProcessOut(command, timeout, e, cwd, stdout, stderr), p => Send(p, p.Stdin, oc => chars.IterS(c => oc.WriteChar(c))));
    }

    // ---- mapping -----------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="command"/>, writes <paramref name="text"/> to its standard input
    /// (then closes it) while reading its whole standard output, and returns that output.
    /// <para>Lwt: <c>Lwt_process.pmap</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="text">The input.</param>
    /// <param name="timeout">Kill the process after this many seconds (the promise then rejects with <see cref="TimeoutException"/>).</param>
    /// <param name="env">The child's whole environment ("NAME=value"); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: keep).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="text"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<string> PMap(ProcessCommand command, string text, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Start(command, env, cwd, e => OpenProcess(command, timeout, e, cwd, stderr), p => Both(Send(p, p.Stdin, oc => oc.Write(text)), Recv(p, p.Stdout)));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, writes <paramref name="line"/> and a newline to its
    /// standard input while reading the first line of its output, and returns that line.
    /// <para>Lwt: <c>Lwt_process.pmap_line</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="line">The input line.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the operation short, the promise rejects with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="line"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static Promise<string> PMapLine(ProcessCommand command, string line, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Start(command, env, cwd, e => OpenProcess(command, timeout, e, cwd, stderr), p => Both(Send(p, p.Stdin, oc => oc.WriteLine(line)), RecvLine(p, p.Stdout)));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, feeds it <paramref name="lines"/> (each with a newline;
    /// its standard input is closed when the stream ends), and returns the lines of its
    /// standard output as a stream. A write error comes out of the returned stream.
    /// <para>Lwt: <c>Lwt_process.pmap_lines</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="lines">The input lines.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the stream short, it fails with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="lines"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static LwtStream<string> PMapLines(ProcessCommand command, LwtStream<string> lines, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return StartStream(
            command,
            env,
            cwd,
            e => OpenProcess(command, timeout, e, cwd, stderr),
            p => Monitor(Send(p, p.Stdin, oc => lines.IterS(l => oc.WriteLine(l))), RecvItems(p, p.Stdout, LwtIO.ReadLineOpt)));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, feeds it <paramref name="chars"/> (one byte each), and
    /// returns the bytes of its standard output as a stream of chars.
    /// <para>Lwt: <c>Lwt_process.pmap_chars</c></para>
    /// </summary>
    /// <param name="command">What to run.</param>
    /// <param name="chars">The input chars.</param>
    /// <param name="timeout">Kill (SIGKILL) and close the process after this many seconds (null: never); if that cuts the stream short, it fails with <see cref="TimeoutException"/>.</param>
    /// <param name="env">The child's whole environment ("NAME=value" strings); null: this process's.</param>
    /// <param name="cwd">The child's working directory; null: this process's.</param>
    /// <param name="stderr">The child's standard error (null: <see cref="ProcessRedirection.Keep"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> or <paramref name="chars"/> is null, or <paramref name="env"/> contains a null element (thrown at the call; nothing is started).</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="env"/>, or <paramref name="cwd"/>, contains a NUL character (thrown at the call; nothing is started).</exception>
    public static LwtStream<char> PMapChars(ProcessCommand command, LwtStream<char> chars, double? timeout = null, IEnumerable<string>? env = null, string? cwd = null, ProcessRedirection? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(chars);
        return StartStream(
            command,
            env,
            cwd,
            e => OpenProcess(command, timeout, e, cwd, stderr),
            p => Monitor(Send(p, p.Stdin, oc => chars.IterS(c => oc.WriteChar(c))), RecvItems(p, p.Stdout, LwtIO.ReadCharOpt)));
    }

    // ---- helpers (Lwt's recv, recv_line, recv_lines, send, monitor) ---------

    /// <summary>
    /// Opens the process and runs <paramref name="use"/> on it; a failure to start rejects. A null
    /// command throws at the call, as documented, instead of hiding in the promise.
    /// </summary>
    private static Promise<T> Start<TP, T>(ProcessCommand command, IEnumerable<string>? env, string? cwd, Func<IEnumerable<string>?, TP> open, Func<TP, Promise<T>> use)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envp = CheckSpawnInputs(env, cwd);
        try
        {
            return use(open(envp));
        }
        catch (Exception e)
        {
            return Promise.Fail<T>(e);
        }
    }

    private static Promise Start<TP>(ProcessCommand command, IEnumerable<string>? env, string? cwd, Func<IEnumerable<string>?, TP> open, Func<TP, Promise> use)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envp = CheckSpawnInputs(env, cwd);
        try
        {
            return use(open(envp));
        }
        catch (Exception e)
        {
            return Promise.Fail(e);
        }
    }

    /// <summary>Opens the process and makes its stream; a failure to start comes out of the stream.</summary>
    private static LwtStream<T> StartStream<TP, T>(ProcessCommand command, IEnumerable<string>? env, string? cwd, Func<IEnumerable<string>?, TP> open, Func<TP, LwtStream<T>> use)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envp = CheckSpawnInputs(env, cwd);
        try
        {
            return use(open(envp));
        }
        catch (Exception e)
        {
            return LwtStream.From(() => Promise.Fail<Option<T>>(e));
        }
    }

    /// <summary>Reads everything, then closes the channel (Lwt's recv).</summary>
    private static async Promise<string> Recv(LwtProcessBase p, InputChannel ic)
    {
        try
        {
            return s_utf8.GetString(await ic.Read());
        }
        catch (Exception e) when (p.TimedOut)
        {
            throw p.TimeoutError(e);
        }
        finally
        {
            await ic.Close();
        }
    }

    /// <summary>Reads one line, then closes the channel (Lwt's recv_line).</summary>
    private static async Promise<string> RecvLine(LwtProcessBase p, InputChannel ic)
    {
        try
        {
            return await ic.ReadLine();
        }
        catch (Exception e) when (p.TimedOut)
        {
            throw p.TimeoutError(e);
        }
        finally
        {
            await ic.Close();
        }
    }

    /// <summary>The items of the channel as a stream; end of file (or EPIPE) ends it and closes the channel (Lwt's recv_lines, recv_chars).</summary>
    private static LwtStream<T> RecvItems<T>(LwtProcessBase p, InputChannel ic, Func<InputChannel, Promise<Option<T>>> read) =>
        LwtStream.From(() => ReadOrEnd(p, ic, read));

    private static async Promise<Option<T>> ReadOrEnd<T>(LwtProcessBase p, InputChannel ic, Func<InputChannel, Promise<Option<T>>> read)
    {
        Option<T> item;
        try
        {
            item = await read(ic);
        }
        catch (UnixErrorException e) when (e.Errno == LibC.EPIPE && !p.TimedOut)
        {
            item = Option<T>.None;
        }
        catch (Exception e) when (p.TimedOut)
        {
            throw p.TimeoutError(e);
        }

        if (!item.HasValue) await ic.Close();
        return item;
    }

    /// <summary>Runs <paramref name="write"/> on the channel, then closes it (flushing) whatever happened (Lwt's send).</summary>
    private static async Promise Send(LwtProcessBase p, OutputChannel oc, Func<OutputChannel, Promise> write)
    {
        Exception? error = null;
        try
        {
            await write(oc);
        }
        catch (Exception e)
        {
            error = e;
        }

        try
        {
            await oc.Close();
        }
        catch (Exception e)
        {
            error ??= e;
        }

        if (error is null) return;
        if (p.TimedOut) throw p.TimeoutError(error);
        ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>Waits for the sender and the getter (Lwt's <c>sender &gt;&gt; getter</c>); a canceled sender cancels the getter.</summary>
    private static async Promise<T> Both<T>(Promise sender, Promise<T> getter)
    {
        try
        {
            await sender;
        }
        catch (OperationCanceledException)
        {
            getter.Cancel();
            throw;
        }

        return await getter;
    }

    /// <summary>
    /// The stream <paramref name="items"/>, except that a failure of <paramref name="sender"/>
    /// comes out of it as soon as it happens (Lwt's monitor): once, in place of the item being
    /// waited for, which is delivered next.
    /// </summary>
    private static LwtStream<T> Monitor<T>(Promise sender, LwtStream<T> items)
    {
        var senderDone = sender.Map(static () => Option<T>.None);
        int state = 0; // 0: watching the sender, 1: a getter saved after the sender failed, 2: done
        Promise<Option<T>>? saved = null;
        return LwtStream.From(() =>
        {
            switch (state)
            {
                case 0:
                    var getter = items.Get();
                    Promise<Option<T>> Result()
                    {
                        if (senderDone.IsPending) return getter;
                        if (senderDone.IsFulfilled)
                        {
                            state = 2;
                            return getter;
                        }

                        state = 1;
                        saved = getter;
                        return senderDone;
                    }

                    return Promise.TryBind(() => Promise.Choose(senderDone, getter), _ => Result(), _ => Result());
                case 1:
                    state = 2;
                    return saved!;
                default:
                    return items.Get();
            }
        });
    }
}
