using System.Runtime.ExceptionServices;

namespace Lwt.Tests.Loop;

/// <summary>
/// The tests that touch process-wide state (Promise.AsyncExceptionHook, LwtMain's iteration
/// hooks, LwtPreemptive's bounds, process CPU time) share this collection: xunit runs it alone,
/// one test at a time, after the parallel collections.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopGlobalState
{
    public const string Name = "Loop global state";
}

internal static class LoopTest
{
    /// <summary>
    /// Runs <paramref name="body"/> on a fresh thread (so each test gets its own event loop and
    /// engine, and a deadlock fails the test instead of hanging the run), rethrows what it threw,
    /// and disposes the thread's engine.
    /// </summary>
    public static void OnFreshThread(Action body, int timeoutMs = 20_000)
    {
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                try
                {
                    LwtEngine.Current.Dispose();
                }
                catch (Exception e)
                {
                    error ??= ExceptionDispatchInfo.Capture(e);
                }
            }
        }) { IsBackground = true, Name = "loop test" };
        thread.Start();
        if (!thread.Join(timeoutMs)) throw new TimeoutException($"the loop thread did not finish within {timeoutMs} ms (a hang or deadlock)");
        error?.Throw();
    }

    /// <summary>Like <see cref="OnFreshThread(Action, int)"/>, returning a value.</summary>
    public static T OnFreshThread<T>(Func<T> body, int timeoutMs = 20_000)
    {
        T result = default!;
        OnFreshThread(() => { result = body(); }, timeoutMs);
        return result;
    }

    /// <summary>Replaces Promise.AsyncExceptionHook for the duration of <paramref name="body"/>.</summary>
    public static void WithExceptionHook(Action<Exception> hook, Action body)
    {
        var previous = Promise.AsyncExceptionHook;
        Promise.AsyncExceptionHook = hook;
        try
        {
            body();
        }
        finally
        {
            Promise.AsyncExceptionHook = previous;
        }
    }
}
