namespace Lwt;

/*
 * A callback that a running loop attached to a promise of no loop.
 *
 * Such a promise may be resolved on any thread (Promise.Shared.cs), and its callbacks run
 * where it is resolved. What the loop attached to it, though, is the loop's: a Bind's node
 * is a promise of the loop, an await's continuation or an On* callback is the loop's code.
 * Run on the resolving thread, they would resolve the loop's promises and run its callbacks
 * there, beside the loop thread and without a lock: exactly what the threading model rules
 * out (DESIGN.md: anything that reaches a loop's promise from another thread is marshaled to
 * the loop first).
 *
 * So the attach wraps the callback in this node, which knows the loop. Resolved on the loop's
 * thread, or after the loop has stopped (its promises are then anyone's, as LoopRegistry
 * says), the node runs the callback at once, as any callback; resolved on another thread
 * while the loop runs, it posts the call there, claimably (ClaimablePost.cs), so that a loop
 * stopping meanwhile still makes it, on its own thread, before it exits.
 *
 * The source is resolved, and a resolved promise never changes, so the posted call reads it
 * on the loop thread as it was. A race that detaches its node (CallbackStore.Detach) finds
 * this wrapper instead of its node: the node's own flag keeps it from running, and the
 * compaction sees through the wrapper (CallbackStore.IsDead).
 */

/// <summary>A callback attached by a running loop to a promise of no loop: run on that loop. See the file comment.</summary>
internal sealed class LoopBoundCallback(int loopId, object inner) : Callback
{
    /// <summary>The callback (a dependent promise or a <see cref="Callback"/>) that the loop attached.</summary>
    internal readonly object Inner = inner;

    /// <inheritdoc/>
    internal override bool IsCancelCallback => Inner is Callback { IsCancelCallback: true };

    /// <inheritdoc/>
    internal override void Invoke(Promise source)
    {
        if (loopId != ResolutionLoop.Current.LoopId && LoopRegistry.Get(loopId) is { } loop
            && loop.TryPostClaimable(new PostedInvocation(source, Inner)))
            return;
        CallbackStore.InvokeAll(source, Inner); // inside the resolution's own depth accounting
    }

    /// <summary>The call, made on the loop thread: as a resolution there would make it.</summary>
    private sealed class PostedInvocation(Promise source, object callback) : ClaimablePost
    {
        internal override void Run() => source.RunCallbacks(callback, allowDeferring: true);
    }
}
