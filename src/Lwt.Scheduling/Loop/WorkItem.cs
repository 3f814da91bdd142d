namespace Lwt;

/// <summary>
/// One unit of work queued to an event loop: an <see cref="Action"/>, a
/// <see cref="SendOrPostCallback"/> with its state, or a <see cref="Task"/> for the loop's
/// TaskScheduler. A struct, so queuing allocates nothing beyond the queue's own storage.
/// </summary>
internal readonly struct WorkItem
{
    internal readonly object Callback;
    internal readonly object? State;

    internal WorkItem(object callback, object? state)
    {
        Callback = callback;
        State = state;
    }
}
