namespace Lwt;

/*
 * The loop's side of ClaimablePost (see that file): the posts not yet run, kept in a list
 * in posting order, which Exit runs if the loop stops before it gets to them.
 *
 * One lock guards the list and the moment the loop stops. Posting takes it to look at
 * IsRunning and list the post; Exit takes it to run what is listed and then clear
 * IsRunning. So a post is either listed before Exit (and run by the loop or by Exit), or
 * sees the loop stopped after Exit is done with the list (and its poster does the work).
 * Exit runs the posts before it clears IsRunning so that, meanwhile, other threads still
 * marshal to the loop instead of touching its promises at the same time as those posts.
 *
 * The loop running a post takes the lock to unlist it, and skips a post no longer listed:
 * the inbox copy of a post that Exit ran. Only the loop's thread ever runs a post, so the
 * list is the only claim needed.
 */

public sealed partial class EventLoop
{
    private readonly object _claimableGate = new();
    private ClaimablePost? _firstUnrun, _lastUnrun;
    private SendOrPostCallback? _runClaimable;

    bool ILoopDispatcher.TryPostClaimable(ClaimablePost post)
    {
        lock (_claimableGate)
        {
            if (!IsRunning) return false;
            post.IsListed = true;
            post.Previous = _lastUnrun;
            if (_lastUnrun is null) _firstUnrun = post;
            else _lastUnrun.Next = post;
            _lastUnrun = post;
        }
        // A benign race: two threads may each make the delegate; either one will do.
        Enqueue(new WorkItem(_runClaimable ??= RunClaimable, post));
        return true;
    }

    /// <summary>The inbox item of a claimable post: runs it unless Exit already has.</summary>
    private void RunClaimable(object? state)
    {
        var post = (ClaimablePost)state!;
        lock (_claimableGate)
        {
            if (!post.IsListed) return;
            Unlist(post);
        }
        post.Run();
    }

    /// <summary>
    /// Called by Exit: runs the claimable posts the loop has not run, in posting order, then
    /// marks the loop stopped, as one atomic step for the posters (file comment).
    /// </summary>
    private void StopAndRunUnrunClaimables()
    {
        lock (_claimableGate)
        {
            // Still running to other threads while the posts run: they would otherwise act
            // directly on the same promises at the same time (LoopRegistry.ForeignOwner).
            while (_firstUnrun is { } post)
            {
                Unlist(post);
                try
                {
                    post.Run();
                }
                catch (Exception e)
                {
                    Promise.ReportUnhandled(e);
                }
            }
            Volatile.Write(ref _runDepth, 0); // read from other threads (IsRunning, LoopRegistry.ForeignOwner)
        }
    }

    private void Unlist(ClaimablePost post)
    {
        if (post.Previous is null) _firstUnrun = post.Next;
        else post.Previous.Next = post.Next;
        if (post.Next is null) _lastUnrun = post.Previous;
        else post.Next.Previous = post.Previous;
        post.Previous = post.Next = null;
        post.IsListed = false;
    }
}
