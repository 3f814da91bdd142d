using System.Diagnostics;

namespace Lwt;

/// <summary>
/// The promise of <see cref="LwtUnix.Sleep(double)"/> and <see cref="LwtUnix.Timeout"/>: a
/// cancelable promise that owns one timer of its loop's wheel. When the deadline passes it
/// is fulfilled (sleep) or rejected with <see cref="TimeoutException"/> (timeout); when it
/// is canceled its timer leaves the wheel at once (<see cref="Promise.OnCanceledLeaf"/>).
/// Two objects per sleep: the promise and its timer entry.
/// </summary>
internal sealed class TimerPromise<T> : Promise<T>
{
    private readonly Entry _entry;
    private readonly TimerWheel _wheel;
    private readonly bool _rejectOnExpiry;

    internal TimerPromise(EventLoop loop, long deadline, bool rejectOnExpiry) : base(CancelMode.CancelThis)
    {
        _wheel = loop.Timers;
        _rejectOnExpiry = rejectOnExpiry;
        _entry = new Entry(this);
        _wheel.Add(_entry, deadline);
    }

    internal override void OnCanceledLeaf() => _wheel.Cancel(_entry);

    internal override bool ReleasesOnCancel => true;

    private void Expire()
    {
        var p = UnderlyingT();
        if (p._status != Status.Pending) return;
        if (_rejectOnExpiry) p.RejectCore(new TimeoutException("Lwt_unix.Timeout: the time limit has passed."), allowDeferring: true);
        else p.FulfillCore(default!, allowDeferring: true);
    }

    private sealed class Entry(TimerPromise<T> owner) : TimerEntry
    {
        internal override void Fire() => owner.Expire();
    }

    /// <summary>The deadline, in Stopwatch ticks, <paramref name="seconds"/> from now.</summary>
    internal static long DeadlineAfter(double seconds)
    {
        long now = Stopwatch.GetTimestamp();
        double ticks = seconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)Math.Ceiling(ticks);
    }
}
