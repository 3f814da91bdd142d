using System.Runtime.ExceptionServices;

namespace Lwt.Tests.Core;

/// <summary>The exception the tests reject promises with (compared by reference).</summary>
public sealed class Boom(string message = "boom") : Exception(message);

/// <summary>How an input promise is (or becomes) resolved.</summary>
public enum Kind { Fulfilled, Rejected, FulfilledLater, RejectedLater }

/// <summary>Makes input promises of each <see cref="Kind"/>.</summary>
internal static class In
{
    public static TheoryData<Kind> Kinds => new() { Kind.Fulfilled, Kind.Rejected, Kind.FulfilledLater, Kind.RejectedLater };

    public static bool Later(Kind k) => k is Kind.FulfilledLater or Kind.RejectedLater;
    public static bool Fulfils(Kind k) => k is Kind.Fulfilled or Kind.FulfilledLater;

    /// <summary>An input of kind <paramref name="k"/>; <c>settle</c> resolves it when it is a "later" one.</summary>
    public static (Promise<T> P, Action Settle) Make<T>(Kind k, T value, Exception e, bool cancelable = false)
    {
        switch (k)
        {
            case Kind.Fulfilled: return (Promise.Return(value), () => { });
            case Kind.Rejected: return (Promise.Fail<T>(e), () => { });
            default:
                var (p, r) = cancelable ? Promise.CreateCancelable<T>() : Promise.Create<T>();
                return k == Kind.FulfilledLater ? (p, () => r.Resolve(value)) : (p, () => r.Reject(e));
        }
    }
}

internal static class Threads
{
    /// <summary>Runs <paramref name="body"/> on a fresh thread with a normal (1.5 MB) stack, rethrowing what it throws.</summary>
    public static void Run(Action body, int stackSize = 1536 * 1024)
    {
        ExceptionDispatchInfo? error = null;
        var t = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
        }, stackSize);
        t.Start();
        t.Join();
        error?.Throw();
    }
}

/// <summary>
/// Tests that replace the process-wide <see cref="Promise.AsyncExceptionHook"/> or measure the
/// process-wide heap: never in parallel with anything else.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Lwt core serial";
}

/// <summary>Replaces the async exception hook with a capturing one; restores it on Dispose (a finally).</summary>
internal sealed class HookCapture : IDisposable
{
    private readonly Action<Exception> _saved;
    public readonly List<Exception> Seen = new();

    public HookCapture()
    {
        _saved = Promise.AsyncExceptionHook;
        Promise.AsyncExceptionHook = Seen.Add;
    }

    public void Dispose() => Promise.AsyncExceptionHook = _saved;
}
