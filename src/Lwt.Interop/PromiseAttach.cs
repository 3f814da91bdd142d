using System.Runtime.CompilerServices;

namespace Lwt.Interop;

/*
 * Attaching an adapter's node to a pending promise.
 *
 * Promises are not thread-safe: a node is attached on the promise's own loop thread.
 * AwaitSupport.Register does that, but its marshaling lambda captures its parameters, and
 * C# allocates the closure object on entry to the method, whichever branch runs: 32 B on
 * every call, the on-loop common case included. Here the common case (the caller may touch
 * the promise: it is on the owning loop's thread, or the promise has no running owner) adds
 * the node directly; only a caller on another thread goes through AwaitSupport.Register.
 */

/// <summary>Attaches adapter nodes to pending promises. See the file comment.</summary>
internal static class PromiseAttach
{
    /// <summary>
    /// Attaches <paramref name="node"/> to <paramref name="promise"/> (pending when the
    /// caller looked), on the promise's loop thread; runs it at once if the promise has
    /// resolved by the time the attachment happens there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Attach(Promise promise, Callback node)
    {
        var p = promise.Underlying();
        if (p._status == Status.Pending && LoopRegistry.ForeignOwner(p._owner) is null) CallbackStore.Add(p, node);
        else AttachSlow(promise, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AttachSlow(Promise promise, Callback node) => AwaitSupport.Register(promise, node);
}
