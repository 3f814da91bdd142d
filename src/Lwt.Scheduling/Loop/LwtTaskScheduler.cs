namespace Lwt;

/// <summary>
/// The <see cref="TaskScheduler"/> of an <see cref="EventLoop"/>: runs tasks on the loop
/// thread only, one at a time (<see cref="MaximumConcurrencyLevel"/> is 1), and inlines a
/// task only when asked on the loop thread. Queuing is safe from any thread.
/// <para>Lwt: (none: the .NET face of <c>Lwt_main</c>)</para>
/// </summary>
public sealed class LwtTaskScheduler : TaskScheduler, ILoopContext
{
    internal LwtTaskScheduler(EventLoop loop) => Loop = loop;

    /// <summary>The loop that runs the tasks.<para>Lwt: none (the .NET TaskScheduler of the <c>Lwt_main</c> loop)</para></summary>
    public EventLoop Loop { get; }

    int ILoopContext.LoopId => Loop.Id;

    /// <summary>One: the loop runs one thing at a time.<para>Lwt: none (one thread, as Lwt)</para></summary>
    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Queues the task to the loop.<para>Lwt: none (the .NET TaskScheduler pattern: a task runs as a loop callback)</para></summary>
    /// <param name="task">The task.</param>
    /// <exception cref="InvalidOperationException">
    /// The loop's thread has ended, as for <see cref="EventLoop.Post(Action)"/>: the task could never
    /// run (<c>Task.Factory.StartNew</c> then throws a <see cref="TaskSchedulerException"/> and the task is faulted).
    /// </exception>
    protected override void QueueTask(Task task) => Loop.PostTask(task);

    /// <summary>Runs the task inline only on the loop thread.<para>Lwt: none (the .NET TaskScheduler pattern)</para></summary>
    /// <param name="task">The task.</param>
    /// <param name="taskWasPreviouslyQueued">Whether it was queued before.</param>
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Loop.IsOnLoopThread && TryExecuteTask(task);

    /// <summary>Not tracked (the queued tasks sit in the loop's queues with other work).<para>Lwt: none (the .NET TaskScheduler pattern, for debuggers)</para></summary>
    protected override IEnumerable<Task>? GetScheduledTasks() => null;

    /// <summary>Runs a task the loop dequeued, with the loop's context current.</summary>
    internal void Execute(Task task) => TryExecuteTask(task);
}
