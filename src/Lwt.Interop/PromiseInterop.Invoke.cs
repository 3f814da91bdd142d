namespace Lwt.Interop;

/*
 * InvokeAsync on an EventLoop: what Task code (an ASP.NET Core endpoint, a controller) that
 * is handed the host's loop from DI (AddLwtEventLoop registers only EventLoop) needs to run
 * promise code there and get a Task back. Without it every caller wrote a Post, a
 * TaskCompletionSource of the promise's Task and an `await await`, and a function that threw
 * before making its promise left that source unset and the caller waiting for ever (user
 * trial 11). A loop that an EventLoopThread runs (the host's is one) goes through that
 * thread's InvokeAsync, and so gets its guarantees: the token reaches the promise, a throw
 * faults the Task, and a call the loop never gets to ends Canceled when the thread is
 * disposed. A loop run by LwtMain.Run on a thread of the caller's has no such owner to keep
 * those promises, so it is refused with what to do instead.
 */

public static partial class PromiseInterop
{
    /// <summary>
    /// Runs <paramref name="f"/> on <paramref name="loop"/> and returns a Task that ends as its
    /// promise ends, as <see cref="EventLoopThread.InvokeAsync{T}(Func{Promise{T}}, CancellationToken)"/>
    /// does (the token cancels the promise, on the loop, and ends the Task Canceled; a throw
    /// from <paramref name="f"/> faults the Task; the Task's continuations run on the thread
    /// pool). For the loop of an <see cref="EventLoopThread"/>, the host's loop
    /// (<see cref="LwtServiceCollectionExtensions.AddLwtEventLoop"/>) included: Task code given
    /// the <see cref="EventLoop"/> from DI runs its promise code with this.
    /// <para>Lwt: none (<c>f ()</c> run on the loop, seen as a Task)</para>
    /// </summary>
    /// <param name="loop">The loop: one that an <see cref="EventLoopThread"/> or a host runs.</param>
    /// <param name="f">Makes the promise, on the loop thread.</param>
    /// <param name="cancellationToken">Cancels the promise and the Task.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The Task of the promise's outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="loop"/> or <paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The loop is run by <c>LwtMain.Run</c> on a thread of the caller's, not by an <see cref="EventLoopThread"/>.</exception>
    /// <exception cref="ObjectDisposedException">The loop's <see cref="EventLoopThread"/> (or host) was disposed.</exception>
    public static Task<T> InvokeAsync<T>(this EventLoop loop, Func<Promise<T>> f, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(f);
        return DriverOf(loop).InvokeAsync(f, cancellationToken);
    }

    /// <summary>
    /// The untyped <see cref="InvokeAsync{T}(EventLoop, Func{Promise{T}}, CancellationToken)"/>.
    /// <para>Lwt: none (<c>f ()</c> run on the loop, seen as a Task)</para>
    /// </summary>
    /// <param name="loop">The loop: one that an <see cref="EventLoopThread"/> or a host runs.</param>
    /// <param name="f">Makes the promise, on the loop thread.</param>
    /// <param name="cancellationToken">Cancels the promise and the Task.</param>
    /// <returns>The Task of the promise's outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="loop"/> or <paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The loop is run by <c>LwtMain.Run</c> on a thread of the caller's, not by an <see cref="EventLoopThread"/>.</exception>
    /// <exception cref="ObjectDisposedException">The loop's <see cref="EventLoopThread"/> (or host) was disposed.</exception>
    public static Task InvokeAsync(this EventLoop loop, Func<Promise> f, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(f);
        return DriverOf(loop).InvokeAsync(f, cancellationToken);
    }

    private static EventLoopThread DriverOf(EventLoop loop) =>
        loop.Driver as EventLoopThread ?? throw new InvalidOperationException(
            "InvokeAsync runs a function on a loop that an EventLoopThread (or a host's AddLwtEventLoop) runs; this loop is run by " +
            "LwtMain.Run on a thread of your own. Call the function from that run (it is the loop's code), or post it there " +
            "(EventLoop.Post) and give its promise back with AsTask(token); or run the loop on an EventLoopThread.");
}
