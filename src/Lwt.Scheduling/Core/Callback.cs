namespace Lwt;

/*
 * A callback attached to a pending promise.
 *
 * Two kinds of objects sit in a promise's callback storage:
 *  - a dependent Promise (the result of Bind, Map, Join, an async method's box, ...),
 *    notified through Promise.OnDependencyResolved. The result promise *is* the callback,
 *    so attaching Bind to a pending promise allocates one object, not a promise plus a
 *    closure plus a list cell as Lwt does;
 *  - a Callback node (on_success, on_cancel, await continuations, races, ...).
 *
 * Cancel callbacks (Lwt's on_cancel) live in the same storage, flagged, and run in a
 * first pass when the promise is canceled, "before any other callbacks that are
 * triggered by rejection".
 *
 * A Callback may be Detached: it stays in the storage but is skipped, and storage
 * holding many detached nodes is compacted (CallbackStore.Detach). This is Lwt's
 * "explicitly removable callback" that pick/choose/protected use, so that a long-lived
 * promise raced many times does not accumulate dead callbacks.
 */

/// <summary>A callback node attached to a pending promise. See the file comment.</summary>
/// <remarks>
/// No fields here: a node holding one reference is then 24 bytes, not 32 (two flags would be
/// padded to a word). The cancel flag is a property of the kind of node, and only the nodes
/// that can be detached (<see cref="DetachableCallback"/>) carry the detached flag.
/// </remarks>
internal abstract class Callback
{
    /// <summary>Runs only in the first pass of a cancellation (Lwt's <c>on_cancel</c>).</summary>
    internal virtual bool IsCancelCallback => false;

    /// <summary>Called once, when the promise it is attached to is resolved.</summary>
    /// <param name="source">The resolved promise (never a proxy).</param>
    internal abstract void Invoke(Promise source);
}

/// <summary>
/// An internal cancel callback (Lwt's <c>on_cancel</c> as the library uses it): runs in the
/// first pass of a cancellation, and does nothing when the promise resolves otherwise (it is
/// then called in the ordinary pass, or alone, like any callback).
/// </summary>
internal abstract class CancelCallback : Callback
{
    /// <inheritdoc/>
    internal sealed override bool IsCancelCallback => true;

    /// <inheritdoc/>
    internal sealed override void Invoke(Promise source)
    {
        if (source._link is OperationCanceledException) OnCanceled();
    }

    /// <summary>Called once, when the promise it is attached to was canceled.</summary>
    private protected abstract void OnCanceled();
}

/// <summary>
/// A callback that <see cref="CallbackStore.Detach"/> can remove (races, protected's
/// forwarder, a Task adapter whose token fired): once detached it stays in the storage until
/// the next compaction but does nothing when the promise resolves.
/// </summary>
internal abstract class DetachableCallback : Callback
{
    /// <summary>Skipped when the promise resolves; removed at the next compaction.</summary>
    internal bool Detached;

    /// <inheritdoc/>
    internal sealed override void Invoke(Promise source)
    {
        if (!Detached) InvokeAttached(source);
    }

    /// <summary>Called once, when the promise resolves, unless the node was detached.</summary>
    /// <param name="source">The resolved promise (never a proxy).</param>
    internal abstract void InvokeAttached(Promise source);
}

/// <summary>Storage for two or more callbacks of one promise, in attachment order.</summary>
internal sealed class CallbackList
{
    internal object?[] Items;
    internal int Count;

    /// <summary>
    /// How many items were flagged detached since the last compaction (they stay in
    /// <see cref="Items"/> until then). Kept here rather than in the promise: only a list
    /// can hold detached nodes that are not removed at once, and a promise's fields are
    /// sized to the byte (Promise.cs).
    /// </summary>
    internal int DetachedCount;

    internal CallbackList(object first, object second)
    {
        Items = new object?[4];
        Items[0] = first;
        Items[1] = second;
        Count = 2;
    }

    internal void Add(object callback)
    {
        if (Count == Items.Length) Array.Resize(ref Items, Count * 2);
        Items[Count++] = callback;
    }
}
