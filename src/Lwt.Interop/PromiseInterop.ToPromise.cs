namespace Lwt.Interop;

public static partial class PromiseInterop
{
    // ------------------------------------------------------------------ Task -> promise

    /// <summary>
    /// A promise that resolves as <paramref name="task"/> completes: RanToCompletion gives a
    /// fulfilled promise; Canceled a promise rejected with <see cref="CanceledException"/>;
    /// Faulted with one inner exception a promise rejected with that exception, with several
    /// with the Task's own <see cref="AggregateException"/>. An already-completed Task gives
    /// an already-resolved promise, with no hop. Otherwise the promise belongs to the loop
    /// that called <c>ToPromise</c> and is resolved on it, whatever thread completes the Task
    /// (inside the completion when that is the loop's thread); called off any loop, or once
    /// that loop has stopped, on the thread that completes the Task. A Task made with
    /// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/> is never followed
    /// inside its completion: the promise is resolved by a post to its running loop, or else
    /// from the thread pool.
    /// <see cref="Promise.Cancel"/> on the promise does nothing to the Task: use
    /// <see cref="FromTask{T}(Func{CancellationToken, Task{T}})"/> for that.
    /// <para>Lwt: (none: a .NET <c>Task&lt;T&gt;</c> seen as an <c>'a Lwt.t</c>, like <c>Lwt.wait</c> resolved by the Task)</para>
    /// </summary>
    /// <param name="task">The Task.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The promise (not cancelable).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    public static Promise<T> ToPromise<T>(this Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.IsCompleted ? Completed<T>(task) : new TaskPromise<T>(task);
    }

    /// <summary>
    /// A <see cref="Promise{Unit}"/> that resolves as <paramref name="task"/> completes, with the
    /// mapping and threading of <see cref="ToPromise{T}(Task{T})"/>.
    /// <para>Lwt: (none: a .NET <c>Task</c> seen as a <c>unit Lwt.t</c>)</para>
    /// </summary>
    /// <param name="task">The Task.</param>
    /// <returns>The promise (not cancelable).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is null.</exception>
    public static Promise ToPromise(this Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.IsCompleted ? Completed<Unit>(task) : new TaskPromise<Unit>(task);
    }

    /// <summary>
    /// A promise that resolves as <paramref name="task"/> completes, as <see cref="ToPromise{T}(Task{T})"/>;
    /// no allocation beyond the promise when it has already succeeded.
    /// <para>Lwt: (none: a .NET <c>ValueTask&lt;T&gt;</c> seen as an <c>'a Lwt.t</c>)</para>
    /// </summary>
    /// <param name="task">The ValueTask (consumed: do not await it again).</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The promise (not cancelable).</returns>
    public static Promise<T> ToPromise<T>(this ValueTask<T> task) =>
        task.IsCompletedSuccessfully ? Promise.Return(task.Result) : task.AsTask().ToPromise();

    /// <summary>
    /// A promise that resolves as <paramref name="task"/> completes, as <see cref="ToPromise(Task)"/>.
    /// <para>Lwt: (none: a .NET <c>ValueTask</c> seen as a <c>unit Lwt.t</c>)</para>
    /// </summary>
    /// <param name="task">The ValueTask (consumed: do not await it again).</param>
    /// <returns>The promise (not cancelable).</returns>
    public static Promise ToPromise(this ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult();
            return Promise.ReturnUnit;
        }
        return task.AsTask().ToPromise();
    }

    /// <summary>
    /// Starts a Task with a fresh <see cref="CancellationToken"/> and returns a cancelable
    /// promise that follows it, with the mapping of <see cref="ToPromise{T}(Task{T})"/>.
    /// <paramref name="start"/> is called at once on the calling thread; if it throws, the
    /// promise is rejected with that exception (if it returns null, with an
    /// <see cref="InvalidOperationException"/>); a Task already complete gives an
    /// already-resolved promise. <see cref="Promise.Cancel"/> on the promise
    /// (directly or through Lwt's backwards search) fires the token, and the promise then
    /// follows the Task: canceled if the Task honours the token, fulfilled if it ignores it
    /// and completes. Unlike a promise from <see cref="Promise.CreateCancelable{T}"/>, Cancel()
    /// does not reject it at once: the Task owns the outcome.
    /// <para>Lwt: (none: like <c>Lwt.task</c> whose cancellation is handed to a .NET Task)</para>
    /// </summary>
    /// <param name="start">Starts the Task, given the token that the promise's Cancel() fires.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns>The cancelable promise.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> is null.</exception>
    public static Promise<T> FromTask<T>(Func<CancellationToken, Task<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var cancellation = new CancellationTokenSource();
        Task<T> task;
        try
        {
            task = start(cancellation.Token) ?? throw new InvalidOperationException("FromTask: the start function returned null instead of a Task.");
        }
        catch (Exception e)
        {
            return Promise.Fail<T>(e);
        }
        return task.IsCompleted ? Completed<T>(task) : new CancelableTaskPromise<T>(task, cancellation);
    }

    /// <summary>
    /// Starts a Task with a fresh <see cref="CancellationToken"/> and returns a cancelable
    /// promise that follows it, as <see cref="FromTask{T}(Func{CancellationToken, Task{T}})"/>.
    /// <para>Lwt: (none: like <c>Lwt.task</c> whose cancellation is handed to a .NET Task)</para>
    /// </summary>
    /// <param name="start">Starts the Task, given the token that the promise's Cancel() fires.</param>
    /// <returns>The cancelable promise.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="start"/> is null.</exception>
    public static Promise FromTask(Func<CancellationToken, Task> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var cancellation = new CancellationTokenSource();
        Task task;
        try
        {
            task = start(cancellation.Token) ?? throw new InvalidOperationException("FromTask: the start function returned null instead of a Task.");
        }
        catch (Exception e)
        {
            return Promise.Fail(e);
        }
        return task.IsCompleted ? Completed<Unit>(task) : new CancelableTaskPromise<Unit>(task, cancellation);
    }

    /// <summary>The resolved promise for a completed Task (no hop).</summary>
    private static Promise<T> Completed<T>(Task task) => task.Status switch
    {
        TaskStatus.RanToCompletion => task is Task<T> typed ? Promise.Return(typed.Result)
            : typeof(T) == typeof(Unit) ? (Promise<T>)(object)Promise.ReturnUnit : Promise.Return(default(T)!),
        TaskStatus.Canceled => Promise.Fail<T>(new CanceledException()),
        _ => Promise.Fail<T>(TaskExceptions.Unwrap(task)),
    };
}
