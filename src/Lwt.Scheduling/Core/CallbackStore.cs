using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// Operations on a pending promise's callback storage, which is null (no callback), a single
/// callback (a dependent <see cref="Promise"/> or a <see cref="Callback"/>), or a
/// <see cref="CallbackList"/>. A single callback, the common case, costs no extra object.
/// </summary>
internal static class CallbackStore
{
    /// <summary>Compaction threshold for detached callbacks (Lwt compacts after 42 as well).</summary>
    private const int CleanupThreshold = 42;

    /// <summary>Appends <paramref name="callback"/> to the storage of pending <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Add(Promise p, object callback)
    {
        object? current = p._callbacks;
        if (current is null) p._callbacks = callback;
        else AddSlow(p, current, callback);
    }

    private static void AddSlow(Promise p, object current, object callback)
    {
        if (current is CallbackList list) list.Add(callback);
        else p._callbacks = new CallbackList(current, callback);
    }

    /// <summary>
    /// Moves the callbacks of <paramref name="from"/> after those of <paramref name="into"/>
    /// (Lwt's <c>merge_callbacks</c>, used when a promise becomes a proxy).
    /// </summary>
    internal static void Merge(Promise into, Promise from)
    {
        object? moving = from._callbacks;
        from._callbacks = null;
        if (moving is null) return;
        if (moving is CallbackList list)
        {
            for (int i = 0; i < list.Count; i++)
                if (list.Items[i] is { } item && !IsDead(item)) Add(into, item);
        }
        else
        {
            Add(into, moving);
        }
    }

    /// <summary>
    /// Detaches <paramref name="callback"/> from pending <paramref name="p"/>: at once when it is
    /// the only callback, otherwise by flagging it and compacting once enough are flagged.
    /// </summary>
    internal static void Detach(Promise p, DetachableCallback callback)
    {
        callback.Detached = true;
        p = p.Underlying();
        if (p.IsShared) DetachShared(p, callback);
        else DetachPending(p, callback);
    }

    /// <summary>
    /// Detach from a shared promise (of no loop, or of a stopped loop off its thread:
    /// Promise.IsShared): under its lock, which its resolution and an attach take to take or
    /// change the storage (Promise.Shared.cs), so that the storage is never changed while
    /// another thread runs it or adds to it. The promise may have become a proxy meanwhile:
    /// follow it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DetachShared(Promise p, DetachableCallback callback)
    {
        lock (p)
        {
            if (p._status != Status.Proxy)
            {
                DetachPending(p, callback);
                return;
            }
        }
        Detach(p, callback);
    }

    private static void DetachPending(Promise p, DetachableCallback callback)
    {
        if (p._status != Status.Pending) return;
        object? current = p._callbacks;
        if (ReferenceEquals(current, callback))
        {
            p._callbacks = null;
            return;
        }
        if (current is CallbackList list)
        {
            // The newest callback is the likeliest to be detached first (races are short).
            if (ReferenceEquals(list.Items[list.Count - 1], callback))
            {
                list.Items[--list.Count] = null;
                return;
            }
            if (++list.DetachedCount >= CleanupThreshold && list.DetachedCount * 2 >= list.Count)
                Compact(p, list);
        }
    }

    private static void Compact(Promise p, CallbackList list)
    {
        int kept = 0;
        for (int i = 0; i < list.Count; i++)
        {
            object? item = list.Items[i];
            if (item is not null && !IsDead(item)) list.Items[kept++] = item;
        }
        Array.Clear(list.Items, kept, list.Count - kept);
        list.Count = kept;
        list.DetachedCount = 0;
        if (kept == 0) p._callbacks = null;
        else if (kept == 1) p._callbacks = list.Items[0];
    }

    private static bool IsDead(object item) =>
        item is DetachableCallback { Detached: true } or LoopBoundCallback { Inner: DetachableCallback { Detached: true } };

    /// <summary>The number of live callbacks (for the debugger view and tests).</summary>
    internal static int Count(object? callbacks) => callbacks switch
    {
        null => 0,
        CallbackList list => CountLive(list),
        { } item when IsDead(item) => 0,
        _ => 1,
    };

    private static int CountLive(CallbackList list)
    {
        int n = 0;
        for (int i = 0; i < list.Count; i++)
            if (list.Items[i] is { } item && !IsDead(item)) n++;
        return n;
    }

    /// <summary>
    /// Runs every callback taken from <paramref name="source"/>, which has just been resolved.
    /// When it was canceled, the cancel callbacks run first (Lwt's order).
    /// </summary>
    internal static void InvokeAll(Promise source, object callbacks)
    {
        if (callbacks.GetType() != typeof(CallbackList))
        {
            InvokeOne(source, callbacks);
            return;
        }
        InvokeList(source, Unsafe.As<CallbackList>(callbacks));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InvokeOne(Promise source, object callback)
    {
        if (callback is Callback c)
        {
            c.Invoke(source); // a detached node does nothing (DetachableCallback)
        }
        else
        {
            Unsafe.As<Promise>(callback).OnDependencyResolved(source);
        }
    }

    private static void InvokeList(Promise source, CallbackList list)
    {
        object?[] items = list.Items;
        int count = list.Count;
        if (source._status == Status.Rejected && source._link is OperationCanceledException)
        {
            for (int i = 0; i < count; i++)
            {
                if (items[i] is Callback { IsCancelCallback: true } c)
                {
                    items[i] = null;
                    c.Invoke(source);
                }
            }
        }
        for (int i = 0; i < count; i++)
        {
            object? item = items[i];
            if (item is not null) InvokeOne(source, item);
        }
    }
}
