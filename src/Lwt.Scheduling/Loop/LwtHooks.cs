namespace Lwt;

/// <summary>
/// A hook registered in an <see cref="LwtHooks"/> sequence; pass it to <see cref="LwtHooks.Remove"/>.
/// <para>Lwt: <c>Lwt_main.Enter_iter_hooks.hook</c></para>
/// </summary>
public sealed class LwtHook
{
    private readonly Action _action;

    internal LwtHook(Action action) => _action = action;

    /// <summary>Set by <see cref="LwtHooks.Remove"/>: a snapshot taken before still lists the hook, and skips it.</summary>
    internal volatile bool Removed;

    internal void Run()
    {
        if (!Removed) _action();
    }
}

/// <summary>
/// An ordered sequence of hooks that every event loop runs around each iteration (the
/// enter hooks before it, the leave hooks after it), on its own thread. Changes are safe
/// from any thread (copy on write): a loop reads the sequence when it starts running it, so
/// a hook added while the sequence runs (by one of its hooks) runs from the next pass, and
/// one added during the iteration (a leave hook added by an enter hook or by the loop's
/// work) runs in that iteration's pass; Lwt's traversal would also run, in the same pass,
/// a hook that one of its hooks added last. A hook removed, even by an earlier hook of the
/// same pass, does not run again (as Lwt_sequence's traversal skips removed nodes). An
/// exception a hook throws escapes from <see cref="LwtMain.Run(Promise)"/>, which stops the
/// loop (the hooks after it in that pass do not run), as in Lwt.
/// <para>Lwt: <c>Lwt_main.Enter_iter_hooks</c> / <c>Lwt_main.Leave_iter_hooks</c></para>
/// </summary>
public sealed class LwtHooks
{
    private readonly object _gate = new();
    private LwtHook[] _hooks = [];

    internal LwtHooks()
    {
    }

    /// <summary>The hooks, in order, as an immutable array (what a loop iteration runs).</summary>
    internal LwtHook[] Snapshot => Volatile.Read(ref _hooks);

    /// <summary>The number of hooks.<para>Lwt: none (the length of the <c>Lwt_sequence</c> of hooks)</para></summary>
    public int Count => Snapshot.Length;

    /// <summary>Adds a hook that runs before the others.<para>Lwt: <c>add_first</c></para></summary>
    /// <param name="hook">The hook.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public LwtHook AddFirst(Action hook) => Add(hook, first: true);

    /// <summary>Adds a hook that runs after the others.<para>Lwt: <c>add_last</c></para></summary>
    /// <param name="hook">The hook.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public LwtHook AddLast(Action hook) => Add(hook, first: false);

    private LwtHook Add(Action hook, bool first)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var h = new LwtHook(hook);
        lock (_gate)
        {
            var old = _hooks;
            var grown = new LwtHook[old.Length + 1];
            Array.Copy(old, 0, grown, first ? 1 : 0, old.Length);
            grown[first ? 0 : old.Length] = h;
            Volatile.Write(ref _hooks, grown);
        }
        return h;
    }

    /// <summary>Removes a hook (nothing happens if it is not there).<para>Lwt: <c>remove</c></para></summary>
    /// <param name="hook">The hook returned by <see cref="AddFirst"/> or <see cref="AddLast"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public void Remove(LwtHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        lock (_gate)
        {
            int i = Array.IndexOf(_hooks, hook);
            if (i < 0) return;
            hook.Removed = true;
            var shrunk = new LwtHook[_hooks.Length - 1];
            Array.Copy(_hooks, 0, shrunk, 0, i);
            Array.Copy(_hooks, i + 1, shrunk, i, _hooks.Length - i - 1);
            Volatile.Write(ref _hooks, shrunk);
        }
    }

    /// <summary>Removes every hook.<para>Lwt: <c>remove_all</c></para></summary>
    public void RemoveAll()
    {
        lock (_gate)
        {
            foreach (var hook in _hooks) hook.Removed = true;
            Volatile.Write(ref _hooks, []);
        }
    }
}
