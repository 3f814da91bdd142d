namespace Lwt;

/*
 * Work that another thread hands to a running loop because it touches one of the loop's
 * promises, and that must be done exactly once even if the loop stops before it gets to it:
 * a resolution or a cancel made from another thread (a resolver, an AsTask token, an async
 * method finishing elsewhere, a Task's completion), or attaching a callback for someone who
 * waits (an await or AsTask outside the loop, LwtMain.Run of a promise of another loop).
 * All of the core's marshaling, ILoopDispatcher.TryPost included, goes this way.
 *
 * A plain post to a loop that stops waits in its inbox for the loop's next run (the
 * contract of EventLoop.Post), which suits a user's action. Work on a promise that waited
 * there would be lost: once the loop has stopped, its promises are anyone's, so a
 * resolution or a cancel made a moment later is done at once on the thread that makes it,
 * while one made in the loop's last iteration would wait for a run that may never come (its
 * waiters hang), and an attach would miss a resolution done directly meanwhile. So the loop
 * keeps the claimable posts it has not run yet in a list, and its Exit runs those left, on
 * its own thread, under the lock that posting takes too: a poster either finds the loop
 * running and posts (the loop or its Exit then runs the work), or finds it stopped, after
 * Exit's runs are done, and does the work itself. The post left in the inbox after Exit ran
 * it is skipped by the next run: the list says who has run.
 */

/// <summary>Work on a promise posted to its loop that runs once, by the loop or by its Exit. See the file comment.</summary>
internal abstract class ClaimablePost
{
    /// <summary>Neighbours in the loop's list of posts not yet run; guarded by the loop's lock.</summary>
    internal ClaimablePost? Previous, Next;

    /// <summary>Whether the post is in the loop's list (posted and not yet run); guarded by the loop's lock.</summary>
    internal bool IsListed;

    /// <summary>The work; called once, on the loop's thread, by the loop or by its Exit.</summary>
    internal abstract void Run();
}

/// <summary>A claimable post of an action (<see cref="ILoopDispatcher.TryPost"/>).</summary>
internal sealed class PostedAction(Action action) : ClaimablePost
{
    internal override void Run() => action();
}

/// <summary>A claimable post of a static callback and its state: no delegate per post.</summary>
internal sealed class PostedCallback(SendOrPostCallback callback, object? state) : ClaimablePost
{
    internal override void Run() => callback(state);
}
