using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// Runs callbacks in the <see cref="ExecutionContext"/> captured when they were attached,
/// so that <see cref="AsyncLocal{T}"/> values flow into them as they were at attachment:
/// the .NET form of Lwt's implicit callback arguments (<c>Lwt.with_value</c>), which Lwt
/// snapshots in exactly the functions that attach callbacks. Whatever a callback changes is
/// undone afterwards, so it never leaks into the code that resolved the promise.
/// </summary>
internal static class CallbackContext
{
    /// <summary>The context to store with a callback being attached now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ExecutionContext? Capture() => ExecutionContext.Capture();

    /// <summary>Switches to <paramref name="target"/> and returns the context to restore.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ExecutionContext? Enter(ExecutionContext? target)
    {
        var current = ExecutionContext.Capture();
        if (target is not null && !ReferenceEquals(target, current)) ExecutionContext.Restore(target);
        return current;
    }

    /// <summary>Restores the context that <see cref="Enter"/> returned, if the callback changed it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Exit(ExecutionContext? saved)
    {
        if (saved is not null && !ReferenceEquals(ExecutionContext.Capture(), saved)) ExecutionContext.Restore(saved);
    }
}
