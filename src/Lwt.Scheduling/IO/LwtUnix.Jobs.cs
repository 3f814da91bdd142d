// The jobs of Lwt_unix: the system thread pool (pool_size, set_pool_size, thread_count,
// thread_waiting_count) and the pending jobs (wait_for_jobs, cancel_jobs, abort_jobs).
//
// The pool. LwtUnix runs every blocking call (Stat, the file jobs, the databases, GetAddrInfo,
// reads and writes on blocking descriptors...) as a job of LwtPreemptive's workers, so
// Lwt_unix's pool and Lwt_preemptive's are one here, and the pool functions are views of it.
// One difference is kept from LwtPreemptive rather than Lwt_unix: a job that finds every
// worker busy waits in the queue; Lwt_unix runs it synchronously on the loop instead,
// blocking it. (A worker blocked in LwtPreemptive.RunInMain lends its place to LwtUnix jobs,
// a stand-in thread beyond the maximum: the function it waits for may stat or write a file.)
// Lwt's async_method, default_async_method, with_async_* and run_job have no
// counterpart: every job is Async_detach here (as run_job always is since Lwt 5), and a job
// is a C# lambda given to Job below rather than a C job structure.
//
// The pending jobs. A job is started by Job (below), which registers it until its completion
// reaches the loop. The registry is PER EVENT LOOP, not process-wide, because a job's promise
// belongs to the loop that started it: the completion is posted to that loop, whose thread is
// the only one that may resolve the promise there and then. A process-wide AbortJobs would
// have to post rejections into other loops (another hosted service's work, say) and could not
// say when they happen; a process-wide WaitForJobs would make one loop wait for another one to
// run. Per loop, everything happens on one thread and needs no lock. (The Lwt sources that
// run one loop per OCaml domain make the same choice: their job sequence is per domain.) A loop
// being one thread's (EventLoop.Current), the registry is a [ThreadStatic] intrusive list: one
// node per job, which also carries the result from the worker to the loop (so a job costs no
// more allocations than LwtPreemptive.Detach), two links set at the start, two at the end.
//
// Late completions. AbortJobs unlinks the pending jobs, then rejects their promises; the
// blocking calls go on on their workers (nothing can stop a system call in another thread
// safely) and their completions still arrive on the loop. There each finds its promise
// resolved and does nothing: TryResolve/TryReject answer false, nothing is thrown, nothing
// goes to the async exception hook. A late result that owns a resource (the LwtFd of an
// OpenFile, the handle of an OpenDir) is disposed, as nobody will ever see it; Lwt leaks it.
//
// WaitForJobs waits for the jobs pending at the call, and is fulfilled once all of them have
// terminated, however: Lwt joins their promises, so a single failed stat makes its
// wait_for_jobs fail too; here each failure stays with the caller of its job, and the barrier
// stays a barrier. An aborted job counts as terminated (its promise is), as in Lwt.
//
// The number of pending jobs is also kept in the loop's PendingJobs (Register, Unregister,
// AbortJobs), because LwtRuntimeEvents' job gauge runs on the thread that collects metrics,
// which cannot read this thread's registry.
//
// Only LwtUnix's (and LwtBytes's) own blocking calls are jobs. A function the user runs with
// LwtPreemptive.Detach is not one (in Lwt neither does Lwt_preemptive.detach go through
// run_job): AbortJobs leaves it alone, and WaitForJobs does not wait for it.

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>
    /// The maximum number of worker threads that run LwtUnix's blocking calls (the maximum of
    /// <see cref="LwtPreemptive"/>'s bounds: one pool serves both).
    /// <para>Lwt: <c>Lwt_unix.pool_size</c></para>
    /// </summary>
    public static int PoolSize() => LwtPreemptive.MaxThreads;

    /// <summary>
    /// Sets the maximum number of worker threads (lowering the minimum of <see cref="LwtPreemptive"/>'s
    /// bounds with it if it was above). Jobs beyond the busy workers wait in order.
    /// <para>Lwt: <c>Lwt_unix.set_pool_size</c></para>
    /// </summary>
    /// <param name="size">At least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public static void SetPoolSize(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The pool needs at least one thread.");
        LwtPreemptive.SetBounds(Math.Min(LwtPreemptive.MinThreads, size), size);
    }

    /// <summary>
    /// The number of worker threads alive (busy or waiting for a job).
    /// <para>Lwt: <c>Lwt_unix.thread_count</c></para>
    /// </summary>
    public static int ThreadCount() => LwtPreemptive.NbThreads;

    /// <summary>
    /// The number of worker threads waiting for a job.
    /// <para>Lwt: <c>Lwt_unix.thread_waiting_count</c></para>
    /// </summary>
    public static int ThreadWaitingCount() => LwtPreemptive.NbThreads - LwtPreemptive.NbThreadsBusy;

    // ---- pending jobs --------------------------------------------------------------------

    /// <summary>This thread's loop's pending jobs, oldest first (file comment).</summary>
    [ThreadStatic]
    private static PendingJob? t_jobsHead;

    [ThreadStatic]
    private static PendingJob? t_jobsTail;

    /// <summary>
    /// A promise fulfilled once every job pending now on the calling thread's event loop (the
    /// blocking calls LwtUnix runs on worker threads) has terminated: fulfilled, rejected, or
    /// aborted by <see cref="AbortJobs"/>/<see cref="CancelJobs"/>. Jobs started later are not
    /// waited for. It is fulfilled whatever the jobs' outcomes: each job's failure belongs to
    /// the caller of that job. Canceling it only stops the wait.
    /// <para>Lwt: <c>Lwt_unix.wait_for_jobs</c></para>
    /// </summary>
    /// <returns>The promise (already fulfilled when no job is pending).</returns>
    public static Promise WaitForJobs()
    {
        if (t_jobsHead is null) return Promise.ReturnUnit;
        var pending = new List<Promise>();
        for (var job = t_jobsHead; job is not null; job = job.Next) pending.Add(job.Promise);

        var (promise, resolver) = Promise.CreateCancelable();
        int left = pending.Count;
        // Every callback runs on this loop's thread (the jobs' promises are resolved there).
        Action onTerminated = () =>
        {
            if (--left == 0) resolver.TryResolve(default);
        };
        foreach (var p in pending) p.OnTermination(onTerminated);
        return promise;
    }

    /// <summary>
    /// Rejects the promise of every job pending on the calling thread's event loop with
    /// <see cref="CanceledException"/>. The blocking calls themselves are not stopped: they
    /// finish on their workers, and their results are dropped (see <see cref="AbortJobs"/>).
    /// <para>Lwt: <c>Lwt_unix.cancel_jobs</c></para>
    /// </summary>
    public static void CancelJobs() => AbortJobs(new CanceledException("Lwt_unix.cancel_jobs canceled the pending jobs."));

    /// <summary>
    /// Rejects the promise of every job pending on the calling thread's event loop (the
    /// blocking calls LwtUnix runs on worker threads: Stat, OpenFile, reads of blocking
    /// descriptors...) with <paramref name="exception"/>, oldest job first. The blocking calls
    /// themselves are not stopped: each finishes on its worker, and its late result is dropped
    /// without effect (a result that owns a resource, such as the descriptor of an
    /// <see cref="OpenFile"/>, is disposed). Jobs started by the rejections' callbacks are
    /// not aborted.
    /// <para>Lwt: <c>Lwt_unix.abort_jobs</c></para>
    /// </summary>
    /// <param name="exception">The exception the jobs' promises are rejected with.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public static void AbortJobs(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        // Detach the whole list first: a callback of these rejections that starts a job (or
        // calls AbortJobs again) sees a registry holding only the jobs started after this call.
        PendingJob? job = t_jobsHead;
        if (job is null) return;
        t_jobsHead = t_jobsTail = null;
        EventLoop.ForCurrentThread().PendingJobs = 0;
        while (job is not null)
        {
            PendingJob? next = job.Next;
            job.Next = job.Prev = null;
            job.Registered = false;
            job.Abort(exception);
            job = next;
        }
    }

    /// <summary>How many completions this thread's loop dropped because AbortJobs had resolved their promise (tests).</summary>
    [ThreadStatic]
    internal static int t_lateJobCompletions;

    /// <summary>The number of jobs pending on the calling thread's loop (tests).</summary>
    internal static int PendingJobCount
    {
        get
        {
            int n = 0;
            for (var job = t_jobsHead; job is not null; job = job.Next) n++;
            return n;
        }
    }

    /// <summary>
    /// Runs the blocking <paramref name="f"/> as a job: on a worker thread, its promise resolved
    /// on the calling thread's loop, and registered there until then (for
    /// <see cref="AbortJobs"/> and <see cref="WaitForJobs"/>). The promise is not cancelable,
    /// as Lwt's job promises are not.
    /// </summary>
    internal static Promise<T> Job<T>(Func<T> f)
    {
        var loop = EventLoop.ForCurrentThread();
        var job = new UnixJob<T>(f, loop);
        Register(job, loop);
        LwtPreemptive.Run(job.Execute);
        return job.Resolver.Promise;
    }

    /// <summary><see cref="Job{T}(Func{T})"/> for a call without a result.</summary>
    internal static Promise Job(Action f) => Job(() =>
    {
        f();
        return default(Unit);
    });

    private static void Register(PendingJob job, EventLoop loop)
    {
        loop.PendingJobs++;
        job.Prev = t_jobsTail;
        if (t_jobsTail is null) t_jobsHead = job;
        else t_jobsTail.Next = job;
        t_jobsTail = job;
        job.Registered = true;
    }

    /// <summary>Removes a completed job (a no-op for one that AbortJobs removed already); on the job's loop.</summary>
    private static void Unregister(PendingJob job, EventLoop loop)
    {
        if (!job.Registered) return;
        job.Registered = false;
        loop.PendingJobs--;
        if (job.Prev is null) t_jobsHead = job.Next;
        else job.Prev.Next = job.Next;
        if (job.Next is null) t_jobsTail = job.Prev;
        else job.Next.Prev = job.Prev;
        job.Next = job.Prev = null;
    }

    /// <summary>A node of the registry of pending jobs.</summary>
    private abstract class PendingJob
    {
        internal PendingJob? Prev, Next;

        /// <summary>True while the node is in its loop's registry.</summary>
        internal bool Registered;

        /// <summary>The job's promise.</summary>
        internal abstract Promise Promise { get; }

        /// <summary>Rejects the job's promise if it is still pending.</summary>
        internal abstract void Abort(Exception exception);
    }

    /// <summary>One job: the function, where its result goes, and the result on its way from the worker to the loop.</summary>
    private sealed class UnixJob<T>(Func<T> f, EventLoop loop) : PendingJob
    {
        private static readonly SendOrPostCallback s_complete = static state => ((UnixJob<T>)state!).Complete();

        private T _value = default!;
        private Exception? _error;

        internal Resolver<T> Resolver { get; } = Lwt.Promise.Create<T>().Resolver;

        internal override Promise Promise => Resolver.Promise;

        internal override void Abort(Exception exception) => Resolver.TryReject(exception);

        /// <summary>On a worker: the blocking call, then its outcome posted to the loop (the post publishes the fields).</summary>
        internal void Execute()
        {
            try
            {
                _value = f();
            }
            catch (Exception e)
            {
                _error = e;
            }

            // The worker stops counting as busy before the loop can see the result, as a
            // Detach's does: a loop that has seen every job's promise resolved then reads
            // NbThreadsBusy 0, not the few instructions the worker has left before it waits
            // again (Lwt's jobs are never counted there: Lwt_unix's pool is not Lwt_preemptive's).
            LwtPreemptive.ReleaseBusy();
            // A loop whose thread has ended (a host's loop after the host was disposed) would
            // never run the post: the result is delivered here, or its promise would pend for ever.
            if (!loop.TryPostUnlessEnded(s_complete, this)) CompleteAfterLoopEnded();
        }

        /// <summary>
        /// On the worker, when the job's loop thread has ended: resolves the promise (anyone's
        /// once its loop has stopped). The registry is that dead thread's and is left alone.
        /// </summary>
        private void CompleteAfterLoopEnded()
        {
            bool delivered = _error is { } e ? Resolver.TryReject(e) : Resolver.TryResolve(_value);
            if (!delivered && _error is null && _value is IDisposable orphan)
            {
                try
                {
                    orphan.Dispose();
                }
                catch (Exception)
                {
                    // A dropped result's disposal has no one to report to (file comment).
                }
            }
        }

        /// <summary>On the loop: leaves the registry and resolves the promise, unless AbortJobs got there first.</summary>
        private void Complete()
        {
            Unregister(this, loop);
            bool delivered = _error is { } e ? Resolver.TryReject(e) : Resolver.TryResolve(_value);
            if (delivered) return;
            t_lateJobCompletions++;
            if (_error is null && _value is IDisposable orphan)
            {
                // Aborted: nobody will ever receive this result, so nobody else will release it.
                try
                {
                    orphan.Dispose();
                }
                catch (Exception)
                {
                    // A dropped result's disposal has no one to report to (file comment).
                }
            }
        }
    }
}
