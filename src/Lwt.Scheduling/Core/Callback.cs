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
internal abstract class Callback
{
    /// <summary>A regular callback.</summary>
    protected Callback()
    {
    }

    /// <summary>A callback that is (or is not) a cancel callback.</summary>
    protected Callback(bool isCancelCallback)
    {
        IsCancelCallback = isCancelCallback;
    }

    /// <summary>Runs only in the first pass of a cancellation (Lwt's <c>on_cancel</c>).</summary>
    internal bool IsCancelCallback;

    /// <summary>Skipped when the promise resolves; removed at the next compaction.</summary>
    internal bool Detached;

    /// <summary>Called once, when the promise it is attached to is resolved.</summary>
    /// <param name="source">The resolved promise (never a proxy).</param>
    internal abstract void Invoke(Promise source);
}

/// <summary>Storage for two or more callbacks of one promise, in attachment order.</summary>
internal sealed class CallbackList
{
    internal object?[] Items;
    internal int Count;

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
