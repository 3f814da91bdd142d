// The convenience timer entry: a delegate to call when the deadline passes.
// Cancel through the wheel (or Cancel() here) drops the delegate at once, so a
// canceled entry kept alive by its owner does not keep the closure alive.

namespace Lwt;

/// <summary>
/// A <see cref="TimerEntry"/> that calls a delegate.
/// <para>Lwt: the timer behind <c>Lwt_engine.on_timer</c> / <c>Lwt_timeout</c></para>
/// </summary>
internal sealed class ActionTimerEntry : TimerEntry
{
    private Action? _action;

    /// <summary>Creates an unscheduled entry that calls <paramref name="action"/> when fired.</summary>
    internal ActionTimerEntry(Action action) => _action = action;

    /// <summary>Unschedules the entry (if scheduled) and drops the delegate; idempotent.</summary>
    internal void Cancel()
    {
        _wheel?.Cancel(this);
        _action = null;
    }

    /// <inheritdoc/>
    internal override void Fire() => _action?.Invoke();
}
