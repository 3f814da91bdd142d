using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * `await Promise.ReturnFrom(p)`: an async Promise method's tail call.
 *
 * OCaml's `let rec loop n = bind (pause ()) (fun () -> loop (n - 1))` runs in constant memory
 * because bind makes the promise that loop (n-1) returns a proxy for its own (lwt.ml's
 * make_into_proxy), and the level that asked for it is gone. The same loop as an async method,
 *
 *     async Promise Loop(int n) { if (n == 0) return; await Promise.Pause(); await Loop(n - 1); }
 *
 * cannot be: `await Loop(n - 1)` may be followed by more of the method (a finally block, a
 * `using`'s disposal, code after it), so every level's state machine waits for the next level
 * to finish, and a run of n levels holds n suspended methods (as `async Task` does: the .NET
 * anchor's loop-memory peaks at 2 GB for ten million). The compiler does not say whether an
 * await is the method's last act, so the method has to: `await Promise.ReturnFrom(Loop(n - 1))`
 * ends it there, and its promise becomes Loop(n - 1)'s, as a bind's promise becomes its
 * callback's. F# has the same construct for the same reason: `return!` in a computation
 * expression, whose builder method is called ReturnFrom.
 *
 * The builder (AsyncBuilderCore.ReturnFrom, PromiseMethodBuilder.cs) recognizes the awaiter
 * by its type, like the promise awaiters, and never resumes the state machine:
 *  - a method that has not suspended yet returns the promise itself as its own (no box), as
 *    Bind on a resolved promise returns its callback's promise: a recursion of such calls on
 *    resolved promises trampolines (ResolutionLoop.cs) and every level returns the same one;
 *  - a method that has suspended (its box is the promise its caller holds) adopts the promise
 *    as a bind's promise adopts its callback's (Promise<T>.Adopt): a pending one of the same
 *    owner is made a proxy for the box, so each level's box is garbage once it has handed
 *    over, and a level that was itself made a proxy hands over to what it stands for.
 * Nothing after the await runs: not the rest of the method, not a catch or finally around it.
 * That is the contract, stated on ReturnFrom, and the reason it is a separate method instead
 * of something `await p` does on its own.
 *
 * Awaited anywhere else (an async Task method, by hand), the awaiter waits like a promise
 * awaiter and then throws InvalidOperationException from GetResult: it cannot end a method
 * whose builder does not know it, and running the code after it would break the contract.
 */

public partial class Promise
{
    /// <summary>
    /// Ends the <c>async Promise</c> method that awaits it, whose promise becomes
    /// <paramref name="promise"/>: fulfilled, rejected or canceled as it is, and, while
    /// pending, one promise with it (canceling the method's promise cancels
    /// <paramref name="promise"/>). A method that recurses through
    /// <c>await Promise.ReturnFrom(Loop(n - 1))</c> runs in constant memory and stack however
    /// deep it goes, where <c>await Loop(n - 1)</c> keeps every level's suspended method
    /// until the last one finishes. Nothing after the await runs, not even a <c>catch</c> or
    /// <c>finally</c> around it: write it as the method's last statement, outside any
    /// <c>try</c> block. In an <c>async Promise&lt;T&gt;</c> method, use
    /// <see cref="ReturnFrom{T}(Promise{T})"/> with a <see cref="Promise{T}"/> of the same T.
    /// Awaited anywhere but in an <c>async Promise</c> method, it waits for
    /// <paramref name="promise"/> and then throws <see cref="InvalidOperationException"/>.
    /// <para>Lwt: the tail of a <c>let%lwt</c> chain, <c>Lwt.bind p (fun () -&gt; promise)</c> (the bind's promise becomes a proxy of <c>promise</c>); F#'s <c>return!</c></para>
    /// </summary>
    /// <param name="promise">The promise the method's promise becomes.</param>
    /// <returns>An awaitable for the method's last <c>await</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static ReturnFromAwaitable ReturnFrom(Promise promise)
    {
        if (promise is null) ThrowHelper.ThrowArgumentNull(nameof(promise));
        return new ReturnFromAwaitable(promise);
    }

    /// <summary>
    /// Ends the <c>async Promise&lt;T&gt;</c> method that awaits it
    /// (<c>return await Promise.ReturnFrom(p);</c>), whose promise becomes
    /// <paramref name="promise"/>: fulfilled, rejected or canceled as it is, and, while
    /// pending, one promise with it. As <see cref="ReturnFrom(Promise)"/>: constant memory for
    /// a recursion through it, nothing after the await runs (not even a <c>catch</c> or
    /// <c>finally</c> around it), and awaited anywhere but in an <c>async Promise</c> method it
    /// waits and then throws <see cref="InvalidOperationException"/>. The method's result
    /// type must be <typeparamref name="T"/> (otherwise the method's promise is rejected with
    /// <see cref="InvalidOperationException"/>); an <c>async Promise</c> method takes any.
    /// <para>Lwt: the tail of a <c>let%lwt</c> chain, <c>Lwt.bind p (fun () -&gt; promise)</c> (the bind's promise becomes a proxy of <c>promise</c>); F#'s <c>return!</c></para>
    /// </summary>
    /// <param name="promise">The promise the method's promise becomes.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>An awaitable for the method's last <c>await</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="promise"/> is null.</exception>
    public static ReturnFromAwaitable<T> ReturnFrom<T>(Promise<T> promise)
    {
        if (promise is null) ThrowHelper.ThrowArgumentNull(nameof(promise));
        return new ReturnFromAwaitable<T>(promise);
    }
}

/// <summary>Marks the awaiters of <see cref="Promise.ReturnFrom(Promise)"/>, whose first (and only) field is the promise.</summary>
internal interface IReturnFromAwaiter
{
}

/// <summary>What <see cref="Promise.ReturnFrom(Promise)"/> returns: awaited as an <c>async Promise</c> method's last statement.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
public readonly struct ReturnFromAwaitable
{
    private readonly Promise _promise;

    internal ReturnFromAwaitable(Promise promise) => _promise = promise;

    /// <summary>The awaiter.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
    public ReturnFromAwaiter GetAwaiter() => new(_promise);

    /// <summary>The awaiter of <see cref="ReturnFromAwaitable"/>: the async Promise builders end the method with it.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
    public readonly struct ReturnFromAwaiter : ICriticalNotifyCompletion, IReturnFromAwaiter
    {
        private readonly Promise _promise;

        internal ReturnFromAwaiter(Promise promise) => _promise = promise;

        /// <summary>Always false, so that the method's builder is handed the awaiter.<para>Lwt: none</para></summary>
        public bool IsCompleted => false;

        /// <summary>Never called in an <c>async Promise</c> method; anywhere else, throws.<para>Lwt: none</para></summary>
        /// <exception cref="InvalidOperationException">Always: the awaiting code is not an <c>async Promise</c> method.</exception>
        public void GetResult() => throw AwaitSupport.ReturnFromOutsideAsyncPromise();

        /// <summary>Schedules the continuation, which then throws from <see cref="GetResult"/>.<para>Lwt: none</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: true, continueOnCapturedContext: true);

        /// <summary>Schedules the continuation, which then throws from <see cref="GetResult"/>.<para>Lwt: none</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: false, continueOnCapturedContext: true);
    }
}

/// <summary>What <see cref="Promise.ReturnFrom{T}(Promise{T})"/> returns: awaited as an <c>async Promise&lt;T&gt;</c> method's last statement.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct ReturnFromAwaitable<T>
{
    private readonly Promise<T> _promise;

    internal ReturnFromAwaitable(Promise<T> promise) => _promise = promise;

    /// <summary>The awaiter.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
    public ReturnFromAwaiter GetAwaiter() => new(_promise);

    /// <summary>The awaiter of <see cref="ReturnFromAwaitable{T}"/>: the async Promise builders end the method with it.<para>Lwt: the tail of a <c>let%lwt</c> chain</para></summary>
    public readonly struct ReturnFromAwaiter : ICriticalNotifyCompletion, IReturnFromAwaiter
    {
        private readonly Promise<T> _promise;

        internal ReturnFromAwaiter(Promise<T> promise) => _promise = promise;

        /// <summary>Always false, so that the method's builder is handed the awaiter.<para>Lwt: none</para></summary>
        public bool IsCompleted => false;

        /// <summary>Never called in an <c>async Promise</c> method; anywhere else, throws.<para>Lwt: none</para></summary>
        /// <returns>Never returns.</returns>
        /// <exception cref="InvalidOperationException">Always: the awaiting code is not an <c>async Promise</c> method.</exception>
        public T GetResult() => throw AwaitSupport.ReturnFromOutsideAsyncPromise();

        /// <summary>Schedules the continuation, which then throws from <see cref="GetResult"/>.<para>Lwt: none</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void OnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: true, continueOnCapturedContext: true);

        /// <summary>Schedules the continuation, which then throws from <see cref="GetResult"/>.<para>Lwt: none</para></summary>
        /// <param name="continuation">What to run when the promise is resolved.</param>
        public void UnsafeOnCompleted(Action continuation) => AwaitSupport.OnCompleted(_promise, continuation, flowContext: false, continueOnCapturedContext: true);
    }
}
