namespace Lwt;

/*
 * LwtMain.Run of a promise that this loop does not own.
 *
 * The promise's owner (another loop, or none) resolves it on another thread, which knows
 * nothing of this loop blocked in the kernel. So this loop attaches a callback to the
 * promise that resolves a promise of its own, whose resolver marshals to this loop from
 * any thread (waking it), and runs until that one is resolved, here, by that post.
 *
 * Where the callback may be attached. A promise's callbacks may be touched only on its
 * owner's thread while that loop runs, and by anyone while it is stopped (LoopRegistry).
 * So, the owner running, the attach is posted to it. But the owner may stop before it
 * gets to the post: the post then waits in its inbox for its next run, perhaps forever,
 * while the promise is resolved by whoever touches it, and this loop would never hear of
 * it. Hence the attach is claimable, by either side, once: the owner claims it when it
 * runs the post; and every owner's Exit wakes the loops watching it, each of which claims
 * the attach itself if the owner is still stopped when it looks. The registration and
 * Exit meet under one lock, so no stop goes unseen: either Exit finds the watch, or the
 * watch finds the owner already stopped and attaches at once.
 */

public sealed partial class EventLoop
{
    /// <summary>Waits of other loops on promises of this one, woken when this loop stops. Guarded by itself.</summary>
    private readonly List<ForeignWait> _stopWatchers = new();

    /// <summary>Runs iterations until <paramref name="p"/>, a pending promise this loop does not own, is resolved. See the file comment.</summary>
    private void RunUntilResolvedElsewhere(Promise p)
    {
        var (resolved, resolver) = Promise.Create();
        var wait = new ForeignWait(p, resolver, this);
        var owner = LoopRegistry.ForeignOwner(p._owner) as EventLoop;
        if (owner is null || !owner.Watch(wait))
        {
            wait.TryAttach();
            owner = null;
        }
        try
        {
            while (resolved._status == Status.Pending) Iterate(resolved);
        }
        finally
        {
            owner?.Unwatch(wait);
        }
    }

    /// <summary>
    /// Registers <paramref name="wait"/> to be woken when this loop stops and posts its attach
    /// here; false, with nothing done, when this loop is already stopped.
    /// </summary>
    private bool Watch(ForeignWait wait)
    {
        lock (_stopWatchers)
        {
            if (!IsRunning) return false;
            _stopWatchers.Add(wait);
        }
        Enqueue(new WorkItem((Action)wait.TryAttach, null));
        return true;
    }

    private void Unwatch(ForeignWait wait)
    {
        lock (_stopWatchers) _stopWatchers.Remove(wait);
    }

    /// <summary>Called by Exit, after IsRunning has become false: each watching loop looks whether it must attach itself.</summary>
    private void WakeStopWatchers()
    {
        lock (_stopWatchers)
        {
            foreach (var wait in _stopWatchers)
                if (!wait.IsClaimed) wait.Waiter.Enqueue(new WorkItem((Action)wait.AttachIfOwnerStopped, null));
        }
    }

    /// <summary>One loop's wait on a promise of another: the attach that either side may claim, once.</summary>
    private sealed class ForeignWait(Promise promise, Resolver<Unit> resolver, EventLoop waiter)
    {
        private int _claimed;

        /// <summary>The waiting loop.</summary>
        internal EventLoop Waiter { get; } = waiter;

        internal bool IsClaimed => Volatile.Read(ref _claimed) != 0;

        /// <summary>Attaches the callback unless the other side already has (posted to the owner, or called here).</summary>
        internal void TryAttach()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0) promise.OnTermination(resolver.Resolve);
        }

        /// <summary>Posted to the waiter by the owner's Exit: attaches here if the owner has not run again since.</summary>
        internal void AttachIfOwnerStopped()
        {
            if (LoopRegistry.ForeignOwner(promise._owner) is null) TryAttach();
        }
    }
}
