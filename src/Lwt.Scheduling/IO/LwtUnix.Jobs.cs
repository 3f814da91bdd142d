// The system thread pool of Lwt_unix (pool_size, set_pool_size, thread_count,
// thread_waiting_count), mapped onto the one pool this port has: LwtUnix runs every
// blocking call (Stat, file jobs, the databases, GetAddrInfo) as a job of LwtPreemptive's
// workers, so Lwt_unix's pool and Lwt_preemptive's are one here, and these are views of it.
//
// One difference is kept from LwtPreemptive rather than Lwt_unix: a job that finds every
// worker busy waits in the queue; Lwt_unix runs it synchronously on the loop instead,
// blocking it. Lwt's async_method, default_async_method, with_async_* and run_job have no
// counterpart: every job is Async_detach here (as run_job always is since Lwt 5), and a job
// is a C# lambda given to LwtPreemptive.Detach rather than a C job structure.

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
}
