namespace Lwt;

/*
 * Lwt_switch: a one-way on/off switch that runs cleanup hooks when turned off, used to
 * tie the lifetime of resources to a scope (WithSwitch) or to an explicit TurnOff.
 *
 * Invariants:
 *  - On, then off, never on again. TurnOff on a switch that is off does nothing.
 *  - Each hook runs at most once: TurnOff takes the hook list and forgets it before
 *    calling any hook; a hook added to a switch that is off is refused (AddHook throws
 *    OffException) or run at once (AddHookOrExec), never stored.
 *  - Order, as Lwt's implementation: the most recently added hook is called first (a
 *    cleanup stack, like nested `using`s). All hooks are called before any is awaited;
 *    TurnOff resolves when all have resolved, rejected if one of them failed (a hook that
 *    throws counts as a failed hook, and the others still run).
 */

/// <summary>
/// A switch that is on until turned off, at which point it runs its hooks (cleanup
/// actions). Disposing it (<c>await using</c>) turns it off.
/// <para>Lwt: <c>Lwt_switch.t</c></para>
/// </summary>
public sealed class LwtSwitch : IAsyncDisposable
{
    private List<Func<Promise>>? _hooks = [];

    /// <summary>Creates a switch that is on and has no hooks.<para>Lwt: <c>Lwt_switch.create</c></para></summary>
    public LwtSwitch()
    {
    }

    /// <summary>Creates a switch that is on and has no hooks.<para>Lwt: <c>Lwt_switch.create</c></para></summary>
    public static LwtSwitch Create() => new();

    /// <summary>
    /// Thrown by <see cref="Check(LwtSwitch?)"/> and <see cref="AddHook(LwtSwitch?, Func{Promise})"/>
    /// on a switch that is off.
    /// <para>Lwt: <c>Lwt_switch.Off</c></para>
    /// </summary>
    public sealed class OffException : InvalidOperationException
    {
        /// <summary>Creates the exception with the default message.<para>Lwt: <c>Lwt_switch.Off</c></para></summary>
        public OffException() : base("The switch is off.")
        {
        }

        /// <summary>Creates the exception with a message.<para>Lwt: <c>Lwt_switch.Off</c></para></summary>
        /// <param name="message">The message.</param>
        public OffException(string message) : base(message)
        {
        }
    }

    /// <summary>
    /// Creates a switch, calls <paramref name="f"/> with it, and turns it off when the
    /// promise <paramref name="f"/> returned resolves (or <paramref name="f"/> throws).
    /// <para>Lwt: <c>Lwt_switch.with_switch</c></para>
    /// </summary>
    /// <param name="f">The scope.</param>
    /// <typeparam name="T">The type of the scope's value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> WithSwitch<T>(Func<LwtSwitch, Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var sw = new LwtSwitch();
        return Promise.Finally(() => f(sw), sw.TurnOff);
    }

    /// <summary>
    /// Creates a switch, calls <paramref name="f"/> with it, and turns it off when the
    /// promise <paramref name="f"/> returned resolves (or <paramref name="f"/> throws).
    /// <para>Lwt: <c>Lwt_switch.with_switch</c></para>
    /// </summary>
    /// <param name="f">The scope.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise WithSwitch(Func<LwtSwitch, Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var sw = new LwtSwitch();
        return Promise.Finally(() => f(sw), sw.TurnOff);
    }

    /// <summary>Whether the switch is on.<para>Lwt: <c>Lwt_switch.is_on</c></para></summary>
    public bool IsOn => _hooks is not null;

    /// <summary>
    /// Turns the switch off: calls every hook (the most recently added first), then
    /// resolves when all of their promises have resolved; rejected with a hook's exception
    /// if one failed (of several hooks that fail at once, the most recently added, as in Lwt).
    /// Does nothing (returns a fulfilled promise) when already off, including while the hooks
    /// of an earlier <see cref="TurnOff"/> are still running: only the first call's promise
    /// waits for them (as Lwt's <c>St_off -&gt; return_unit</c>). So an <c>await using</c>
    /// that disposes a switch which other code is turning off, or a <see cref="WithSwitch{T}"/>
    /// whose scope turned its own switch off, can complete before the cleanup is done: keep
    /// and await the promise of the first call when the cleanup must be over.
    /// <para>Lwt: <c>Lwt_switch.turn_off</c></para>
    /// </summary>
    public Promise TurnOff()
    {
        var hooks = _hooks;
        if (hooks is null) return Promise.ReturnUnit;
        _hooks = null;
        if (hooks.Count == 0) return Promise.ReturnUnit;
        var started = new Promise[hooks.Count];
        for (int i = 0; i < started.Length; i++)
            started[i] = Call(hooks[hooks.Count - 1 - i]);
        if (started.Length == 1) return started[0];
        // Called and joined newest first: Lwt 5's turn_off is
        // Lwt.join (List.map (fun hook -> Lwt.apply hook ()) hooks) over its newest-first
        // list, and join takes the first already-rejected promise of its list, so when several
        // hooks fail at once the most recently added one's exception wins. (Lwt 4 and older
        // used Lwt_list.iter_p, which joins in reverse: the oldest one's.)
        return Promise.Join(started);
    }

    private static Promise Call(Func<Promise> hook)
    {
        try
        {
            return hook() ?? Promise.Fail(new InvalidOperationException("A switch hook returned null instead of a promise."));
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    /// <summary>
    /// Throws <see cref="OffException"/> if <paramref name="sw"/> is a switch that is off;
    /// does nothing for null or a switch that is on.
    /// <para>Lwt: <c>Lwt_switch.check</c></para>
    /// </summary>
    /// <param name="sw">The switch, or null (OCaml's <c>None</c>).</param>
    /// <exception cref="OffException">The switch is off.</exception>
    public static void Check(LwtSwitch? sw)
    {
        if (sw is not null && sw._hooks is null) throw new OffException();
    }

    /// <summary>
    /// Throws <see cref="OffException"/> if this switch is off.
    /// <para>Lwt: <c>Lwt_switch.check (Some switch)</c></para>
    /// </summary>
    /// <exception cref="OffException">The switch is off.</exception>
    public void Check() => Check(this);

    /// <summary>
    /// Registers <paramref name="hook"/> to be called when <paramref name="sw"/> is turned
    /// off; does nothing when <paramref name="sw"/> is null.
    /// <para>Lwt: <c>Lwt_switch.add_hook</c></para>
    /// </summary>
    /// <param name="sw">The switch, or null (OCaml's <c>None</c>).</param>
    /// <param name="hook">The cleanup action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    /// <exception cref="OffException">The switch is off.</exception>
    public static void AddHook(LwtSwitch? sw, Func<Promise> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (sw is null) return;
        var hooks = sw._hooks ?? throw new OffException("The switch is off: no hook can be added.");
        hooks.Add(hook);
    }

    /// <summary>
    /// Registers <paramref name="hook"/> to be called when this switch is turned off.
    /// <para>Lwt: <c>Lwt_switch.add_hook (Some switch)</c></para>
    /// </summary>
    /// <param name="hook">The cleanup action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    /// <exception cref="OffException">The switch is off.</exception>
    public void AddHook(Func<Promise> hook) => AddHook(this, hook);

    /// <summary>
    /// Registers <paramref name="hook"/> like <see cref="AddHook(LwtSwitch?, Func{Promise})"/>,
    /// but when <paramref name="sw"/> is already off, calls it at once and returns its
    /// promise. Returns a fulfilled promise when <paramref name="sw"/> is null or on. A hook
    /// that throws gives a promise rejected with its exception, as a hook that throws during
    /// <see cref="TurnOff"/> counts as failed; Lwt calls the hook bare here, so there the
    /// exception reaches the caller directly.
    /// <para>Lwt: <c>Lwt_switch.add_hook_or_exec</c></para>
    /// </summary>
    /// <param name="sw">The switch, or null (OCaml's <c>None</c>).</param>
    /// <param name="hook">The cleanup action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public static Promise AddHookOrExec(LwtSwitch? sw, Func<Promise> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (sw is null) return Promise.ReturnUnit;
        if (sw._hooks is { } hooks)
        {
            hooks.Add(hook);
            return Promise.ReturnUnit;
        }
        return Call(hook);
    }

    /// <summary>
    /// Registers <paramref name="hook"/> on this switch, or calls it at once if the switch
    /// is off.
    /// <para>Lwt: <c>Lwt_switch.add_hook_or_exec (Some switch)</c></para>
    /// </summary>
    /// <param name="hook">The cleanup action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public Promise AddHookOrExec(Func<Promise> hook) => AddHookOrExec(this, hook);

    /// <summary>
    /// Turns the switch off (<see cref="TurnOff"/>) and completes when its hooks have.
    /// <para>Lwt: <c>Lwt_switch.turn_off</c></para>
    /// </summary>
    public async ValueTask DisposeAsync() => await TurnOff();
}
